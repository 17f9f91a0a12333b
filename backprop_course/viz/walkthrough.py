"""GraphWalkthrough: one forward pass, one backward pass and one update, revealed step by step.

What is drawn comes from a source (``scalar_source``, ``network_source``, ``layer_source``) as a
trace of events; this module holds the widget: its buttons, Play, and what each step reveals. With
``predict`` a backward step first asks for its number (``predict`` checks it), then reveals it.
"""

import ipywidgets as widgets
import numpy as np

from .display import StaticHTML, control_row, fmt, message_html, picture_box, todo_message
from .graph_svg import graph_svg
from .layer_source import LayerSource
from .library import choose, library_of
from .network_source import MLP_LOSS, NetworkSource, slide_source
from .predict import parse_number, verdict
from .scalar_source import ScalarSource

# predict=None reveals each step at once; "type": each backward step waits for the student's number,
# checks it and then reveals; "room" (a lecture): the question shows, the room answers aloud, and
# "reveal" (or step backward again) shows the step; a number typed for the room is checked too.
PREDICT_MODES = (None, "type", "room")


class GraphWalkthrough(StaticHTML, widgets.VBox):
    """Step through one forward pass, one backward pass and one gradient-descent update on a graph.

    ``GraphWalkthrough(loss)`` draws every Scalar of the graph that computed ``loss``; ``params``
    (default: the labelled leaves that are not written-in numbers) are what ``update`` moves.
    See ``slide_network`` and ``from_mlp`` for the slides' unit-by-unit view of a network.

    Methods (the buttons call them): step_forward, step_backward, update, reset, next (what Play
    does: forward, then backward, then update, then backward again ...); with ``predict``, check
    (the typed number) and reveal.

    predict: None, "type" (before each backward step the student types ∂L/∂node; the widget checks
    it, names the slip its number shows, then reveals the product) or "room" (a lecture: the question
    shows, the room answers first, "reveal" shows the step). A layer-sized step (a matrix) is not asked.
    """

    def __init__(self, loss=None, params=None, lr=0.1, *, predict=None, _source=None):
        super().__init__()
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got lr={lr!r}")
        if predict not in PREDICT_MODES:
            raise ValueError(f"predict must be one of {PREDICT_MODES}: None, 'type' (students type each "
                             f"∂L/∂node first) or 'room' (a lecture's room answers first), got {predict!r}")
        self._source = _source or ScalarSource(loss, params)
        self.lr = lr
        self.updates = 0
        self.graph = picture_box()
        self.status = widgets.HTML()
        buttons = {"forward": ("step forward", self.step_forward),
                   "backward": ("step backward", self.step_backward),
                   "update": ("update", self.update), "reset": ("reset", self.reset)}
        self.buttons = {}
        for name, (label, action) in buttons.items():
            button = widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, action=action: action())
            self.buttons[name] = button
        # Play's buttons are icons: its tooltip says what they do (a tooltip shows only without a description).
        self.play = widgets.Play(value=0, min=0, max=10**9, interval=500, show_repeat=False,
                                 tooltip="play: forward, backward and update steps in turn; pause; stop")
        self.play.observe(self._on_tick, "value")
        self.speed = widgets.FloatSlider(value=2.0, min=0.5, max=10.0, step=0.5, description="steps/s",
                                         layout=widgets.Layout(width="260px"))
        self.speed.observe(lambda change: setattr(self.play, "interval", int(1000 / change.new)), "value")
        controls = control_row([*self.buttons.values(), self.play, self.speed])
        self.predict, self.asking, self.verdict = predict, False, None
        self.question = widgets.HTML()
        self.answer = widgets.Text(placeholder="e.g. -1.5*2", continuous_update=False,
                                   layout=widgets.Layout(width="160px"))
        # Enter (or leaving the box) checks; setting the box back to "" after a check does not.
        self.answer.observe(lambda change: self.check() if change.new.strip() else None, "value")
        self.check_button = widgets.Button(description="check", layout=widgets.Layout(width="auto"))
        self.check_button.on_click(lambda _: self.check())
        self.reveal_button = widgets.Button(description="reveal", layout=widgets.Layout(width="auto"),
                                            tooltip="show this step without an answer")
        self.reveal_button.on_click(lambda _: self.reveal())
        asked = [self.question, self.answer, self.check_button] + ([self.reveal_button] if predict == "room" else [])
        self.predict_row = control_row(asked)
        self.children = [controls, self.graph, self.status, self.predict_row]
        self.pictured = (self.graph, self.status)
        self._retrace()
        self.done_forward, self.done_backward, self.active = 0, 0, None
        self.message = self._trace.forward_error or "step forward to compute the values node by node"
        self._draw()

    @classmethod
    def slide_network(cls, x=2.0, target=1.0, weights=None, activation="relu", lr=0.02, predict=None,
                      library=None):
        """The 1-2-2-1 network of lesson 1: x → h1, h2 → h3, h4 → y, no biases, L = ½(y − t)².

        library: the library package whose Scalar computes it (``import backprop_lib``, then
        ``library=backprop_lib``); by default the one ``backprop_course.lesson.start`` chose.

        weights: {name: value} overriding any of ``SLIDE_WEIGHTS`` (w1 x→h1, w2 x→h2, w3 h1→h3,
        w4 h2→h3, w5 h1→h4, w6 h2→h4, w7 h3→y, w8 h4→y), e.g. the lesson's ``weights`` dict.
        """
        return cls(lr=lr, predict=predict,
                   _source=slide_source(x, target, weights, activation, library=choose(library)))

    @classmethod
    def from_mlp(cls, model, x, y, lr=0.1, predict=None):
        """Walk one sample x (in_features,) with target y through ``model``; updates change the model.

        Up to 4 layers of at most 8 units are drawn unit by unit; larger models one node per layer.
        The model's own library (the one that built it) computes the graph.
        y: (out_features,) for regression, a 0/1 label for a sigmoid output, a class for softmax.
        """
        x = np.asarray(x, dtype=float)
        if x.ndim == 2 and x.shape[0] == 1:
            x = x[0]
        if x.ndim != 1 or len(x) != model.sizes[0]:
            raise ValueError(f"from_mlp walks one sample through the graph: x must have shape "
                             f"({model.sizes[0]},), got {x.shape}; pass X[0]")
        linears = [layer for layer in model.layers if layer.params]
        if len(linears) <= 4 and max(model.sizes) <= 8:
            source = NetworkSource([layer.params["W"] for layer in linears],
                                    [layer.params["b"] for layer in linears], x, y,
                                    model.activation, MLP_LOSS[model.output_activation], model=model,
                                    library=library_of(model))
        else:
            y = np.asarray(y)
            y = y.reshape(1, -1) if model.output_activation == "identity" else y.reshape(1)
            source = LayerSource(model, x.reshape(1, -1), y)
        return cls(lr=lr, predict=predict, _source=source)

    # ---- the steps ------------------------------------------------------------------------

    def step_forward(self):
        """Compute the next node's value (showing the sum that made it)."""
        t = self._trace
        if t.forward_error:
            self.message = t.forward_error
        elif self.done_forward < len(t.forward):
            self.done_forward += 1
            self.active, self.message = t.forward[self.done_forward - 1]
        else:
            self.active = None
            self.message = f"forward pass done: L = {fmt(t.loss)}; step backward next"
        self._draw()

    def step_backward(self):
        """Reveal the next dL/dnode or dL/dw, with the chain-rule product that gave it.

        Completes the forward pass first if it is not done. With ``predict`` a step that has a
        question asks it first; "room" reveals it at the next press, "type" waits for ``check``.
        """
        t = self._trace
        if t.forward_error or t.backward_error:
            self.message = t.forward_error or t.backward_error
        elif self.asking and self.predict == "room":
            self.reveal()
            return
        elif self.asking:
            self.message = f"type your {self._asked().name} and press check (or Enter) to see this step"
            self.play.playing = False
        else:
            self.done_forward = len(t.forward)
            if self.done_backward < len(t.backward) and self.predict and self.done_backward in t.questions:
                self._ask()
                return
            if self.done_backward < len(t.backward):
                self.done_backward += 1
                self.active, self.message = t.backward[self.done_backward - 1]
            else:
                self.active = None
                self.message = "backward pass done: every ∂L/∂w is known; press update"
            self.verdict = None
        self._draw()

    def check(self, text=None):
        """Check ``text`` (default: the number in the box) as the open question's answer: the
        verdict names a slip only when its formula reproduces the number; then the step shows."""
        if not self.asking:
            return None
        text = self.answer.value if text is None else text
        try:
            typed = parse_number(text)
        except ValueError as err:
            self.verdict = ("wrong", str(err))
            self._draw()
            return None
        result = verdict(self._asked(), typed)
        self.answer.value = ""
        self.reveal(("right" if result.right else "wrong", result.text))
        return result

    def reveal(self, shown_verdict=None):
        """Show the asked step (its chain-rule product), with the verdict on an answer if one was checked."""
        if not self.asking:
            return
        self.asking = False
        self.done_backward += 1
        self.active, self.message = self._trace.backward[self.done_backward - 1]
        self.verdict = shown_verdict
        self._draw()

    def _ask(self):
        question = self._asked()
        self.asking, self.verdict = True, None
        self.active = self._trace.backward[self.done_backward][0]
        self.play.playing = False  # Play waits for the answer
        self.question.value = f"<b>{question.name} =</b>"
        self.message = (f"ask the room for {question.name}, then press reveal (or type their number and check)"
                        if self.predict == "room" else
                        f"predict {question.name}: type your number and press check (or Enter)")
        self._draw()

    def _asked(self):
        return self._trace.questions[self.done_backward]

    def update(self):
        """One gradient-descent step w ← w − lr·∂L/∂w on every parameter; then the new forward pass."""
        t = self._trace
        if t.forward_error or t.backward_error:
            self.message = t.forward_error or t.backward_error
            self._draw()
            return
        try:
            count = self._source.update(self.lr)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            self.message = todo_message(err, "apply an update")
            self._draw()
            return
        before = t.loss
        self.asking, self.verdict = False, None
        self._retrace()
        self.updates += 1
        self.done_forward, self.done_backward, self.active = len(self._trace.forward), 0, None
        self.message = (f"update {self.updates}: w ← w − {self.lr:g}·∂L/∂w on {count} parameters; "
                        f"L {fmt(before)} → {fmt(self._trace.loss)}")
        self._draw()

    def reset(self):
        """Back to the initial weights, nothing computed yet."""
        self.play.playing = False
        self._source.reset()
        self.asking, self.verdict = False, None
        self._retrace()
        self.updates, self.done_forward, self.done_backward, self.active = 0, 0, 0, None
        self.message = self._trace.forward_error or "reset: step forward to compute the values"
        self._draw()

    def next(self):
        """One step of the cycle forward → backward → update; Play calls this on every tick."""
        t = self._trace
        if t.forward_error or (t.backward_error and self.done_forward == len(t.forward)):
            self.play.playing = False
            self.message = t.forward_error or t.backward_error
            self._draw()
        elif self.done_forward < len(t.forward):
            self.step_forward()
        elif self.done_backward < len(t.backward):
            self.step_backward()
        else:
            self.update()

    # ---- state and drawing ----------------------------------------------------------------

    @property
    def svg(self):
        """The graph as currently drawn (SVG text)."""
        t = self._trace
        values = t.known | {key for key, _ in t.forward[:self.done_forward]}
        grads = {key for key, _ in t.backward[:self.done_backward]}
        return graph_svg(t, values, grads, self.active)

    def _status_html(self):
        t = self._trace
        kind = "todo" if self.message in (t.forward_error, t.backward_error) or \
            self.message.startswith(("finish ", "cannot ")) else "info"
        shown = message_html(self.verdict[1], self.verdict[0], "bp-verdict") if self.verdict else ""
        return shown + message_html(self.message, kind)

    def _retrace(self):
        self._trace = self._source.trace()

    def _draw(self):
        self.predict_row.layout.display = None if self.asking else "none"
        self.graph.value = self.svg
        self.status.value = self._status_html()
        self.publish_picture()

    def _on_tick(self, change):
        # Only Play's own ticks move forward; reset setting the value back to 0 does not.
        if change.new > change.old:
            self.next()
