"""How a course widget's last picture reaches the saved notebook, and when JupyterLab shows it.

A widget output names a model that lives in one kernel process. After that kernel restarts or
stops, JupyterLab shows "Error displaying widget: model not found" for it, even when a static
picture (``text/html``) was saved beside the view. So the kernel side (``viz.display.StaticHTML``)
writes, and ``lab_contents`` (the server of ``make lab``) reads:

- the widget output: the view, ``text/plain``, ``text/html`` (the picture when it was displayed),
  and in its metadata the pid of the kernel process that holds the model (SHOWN_BY);
- right after it, a companion output: ``text/plain`` "" (shows nothing) and PICTURE, the current
  picture, updated on every redraw through its display id (``update_display_data`` reaches a
  cell's output after the cell has finished, e.g. from a button's callback).

On saving, each companion's picture replaces its widget's ``text/html`` and the companion is left
out of the file (``keep_latest_pictures``): the file holds the last picture, for any viewer. On
reading, a widget whose model is gone (not in the saved widget state, and not shown by the kernel
process running now) loses its view, so its picture shows (``show_saved_pictures``).
"""

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# No JupyterLab renderer knows this type: the companion output shows only its empty text/plain.
PICTURE = "application/vnd.backprop-course.picture+html"
KEY = "backprop_course"      # output metadata: {KEY: {SHOWN_BY: pid}} or {KEY: {PICTURE_OF: model id}}
SHOWN_BY = "kernel_pid"
PICTURE_OF = "picture_of"


def picture_of(output):
    """The model id whose picture ``output`` carries, or None for any other output."""
    if PICTURE not in output.get("data", {}):
        return None
    return output.get("metadata", {}).get(KEY, {}).get(PICTURE_OF)


def keep_latest_pictures(notebook):
    """Put each companion's picture into its widget output's text/html and drop the companion.
    Returns how many pictures were moved."""
    moved = 0
    for cell in notebook["cells"]:
        outputs = cell.get("outputs", [])
        latest = {picture_of(output): output["data"][PICTURE] for output in outputs if picture_of(output)}
        if not latest:
            continue
        for output in outputs:
            data = output.get("data", {})
            model_id = data.get(WIDGET_VIEW, {}).get("model_id")
            if model_id in latest:
                data["text/html"] = latest[model_id]
                moved += 1
        cell["outputs"] = [output for output in outputs if not picture_of(output)]
    return moved


def show_saved_pictures(notebook, kernel_pid=None):
    """Drop the view from pictured widget outputs whose model is gone: not in the notebook's saved
    widget state, and not shown by the kernel process running for the notebook (``kernel_pid``:
    None when none runs, True when one runs whose pid is unknown). Returns how many were changed."""
    saved = notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    changed = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view is None or "text/html" not in data or view.get("model_id") in saved:
                continue
            shown_by = output.get("metadata", {}).get(KEY, {}).get(SHOWN_BY)
            if kernel_pid is not None and (kernel_pid is True or shown_by in (None, kernel_pid)):
                continue  # the kernel that holds the model (as far as anyone can tell) runs
            del data[WIDGET_VIEW]
            changed += 1
    return changed
