"""What both widgets share in how they show things: numbers, colours, status lines, the static picture."""

import html
import os

import ipywidgets as widgets
from IPython.display import display, publish_display_data, update_display

from backprop_course.widget_pictures import KEY, PICTURE, PICTURE_OF, SHOWN_BY

# Edges and points: blue for positive weights (and class 0), red for negative (and class 1).
POSITIVE, NEGATIVE, ACTIVE = "#2c7bb6", "#d7191c", "#ff9900"


def todo_message(err, action):
    """The line a widget shows instead of raising what the library raised.

    A stub's NotImplementedError("Lesson 1, task 4: the backward pass") becomes "finish Lesson 1,
    task 4 (the backward pass) to <action>"; any other error (a bug in a student's part) is named
    with its message, so that Run All goes on past the widget.
    """
    task, _, what = str(err).partition(": ")
    if not isinstance(err, NotImplementedError):
        return f"cannot {action}: {type(err).__name__}: {err}"
    if not task.startswith("Lesson"):
        return f"finish the library part that raised NotImplementedError({str(err)!r}) to {action}"
    return f"finish {task} ({what}) to {action}" if what else f"finish {task} to {action}"


def fmt(value):
    """A number as the drawings show it: 4 significant digits as lesson 1's tables, plain minus sign."""
    return f"{value + 0.0:.4g}"  # + 0.0 turns -0.0 into 0.0


class StaticHTML:
    """Shows a widget with a text/html picture of its state beside the live view, kept current.

    JupyterLab shows the live widget; a viewer without a widget manager (nbconvert, a notebook saved
    by nbgrader) and ``make lab`` after the kernel is gone show the picture. Displaying the widget
    also displays a companion output that every redraw updates with the current picture, which
    ``make lab``'s server saves as the widget's picture (see ``backprop_course.widget_pictures``).
    A subclass sets ``pictured``: the widgets whose HTML values, in order, make the picture.
    """

    pictured = ()

    def static_html(self):
        """The picture of the current state: the drawing and the status line as a static HTML block."""
        return "<div>" + "".join(part.value for part in self.pictured) + "</div>"

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.static_html()
        return bundle

    def _ipython_display_(self):
        publish_display_data(self._repr_mimebundle_(), metadata={KEY: {SHOWN_BY: os.getpid()}})
        display(self._companion(), raw=True, metadata={KEY: {PICTURE_OF: self.model_id}},
                display_id=self._display_id())

    def publish_picture(self):
        """Send the current picture to every companion output of this widget (none when not shown)."""
        if getattr(self, "_shown", False):
            update_display(self._companion(), raw=True, metadata={KEY: {PICTURE_OF: self.model_id}},
                           display_id=self._display_id())

    def _companion(self):
        self._shown = True
        return {"text/plain": "", PICTURE: self.static_html()}

    def _display_id(self):
        return f"backprop-course-picture-{self.model_id}"


def control_row(controls):
    """An HBox whose controls keep their full width and labels, wrapping onto a second line when the
    output is narrow (a plain HBox shrinks its buttons to "step for...")."""
    for control in controls:
        control.layout.flex = "0 0 auto"
    return widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap", align_items="center"))


def picture_box():
    """The HTML widget a drawing goes in: as wide as the output, so that the drawing scales with it."""
    return widgets.HTML(layout=widgets.Layout(width="100%"))


def scalable_svg_tag(css_class, width, height, max_width, font_size):
    """The opening <svg> tag of a width x height drawing shown at most ``max_width`` px wide and
    scaled down to the width of its output (JupyterLab's output area clips, it does not scroll)."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="100%" '
            f'viewBox="0 0 {width:g} {height:g}" preserveAspectRatio="xMinYMin meet" '
            f'style="max-width:{max_width:g}px;height:auto;display:block" '
            f'font-family="sans-serif" font-size="{font_size}">')


def message_html(text, kind="info", css="bp-message"):
    """A widget's status line: "info" in grey, "todo" (a task to finish, an error) in red; a
    prediction's verdict (css "bp-verdict") "right" in green, "wrong" in red."""
    colour = {"info": "#333333", "todo": "#b00020", "right": "#1a7f37", "wrong": "#b00020"}[kind]
    return (f'<div class="{css} bp-{kind}" style="font-family:sans-serif;font-size:13px;'
            f'color:{colour};min-height:1.4em">{html.escape(text)}</div>')
