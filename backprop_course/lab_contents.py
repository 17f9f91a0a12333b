"""How `make lab`'s JupyterLab reads notebooks: a lesson opens unmodified, a saved widget reopens
as its picture. lab-config/jupyter_server_config.json selects this contents manager.

- When a notebook's kernel starts, JupyterLab writes the kernel's ``language_info`` into the
  notebook and marks the tab modified if that changes anything. A generated lesson cannot carry
  all of it (``version`` is the Python of whoever opens it), so a Python notebook's
  ``language_info`` is completed with what the ``python3`` kernel of this server's Python reports.
- A widget's output names a model that lives in its kernel; opened without that kernel,
  JupyterLab shows "Error displaying widget: model not found" even when a static picture
  (``text/html``, which the course's widgets add) was saved beside it. Opened with no kernel
  running for it, a widget output whose model is not saved in the notebook keeps only its other
  representations, so the picture shows. Widgets restored from saved state (nbclient saves it)
  and live kernels (a reloaded page) are left alone.

Both happen on reading only: the file changes when the student saves, as it would anyway.
"""

import functools

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

KERNEL = "python3"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@functools.cache
def kernel_language_info():
    """The language_info ipykernel's kernel reports from this Python (ipykernel is imported only
    when a notebook is first read, not when the server starts)."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


def complete_language_info(metadata):
    """Fill in the keys missing from ``metadata["language_info"]`` of a notebook for the python3
    kernel; a notebook for another kernel, or one that says otherwise, is left as it is."""
    info = metadata.get("language_info")
    if metadata.get("kernelspec", {}).get("name") != KERNEL or not info:
        return
    reported = kernel_language_info()
    if info.get("name") == reported["name"]:
        for key, value in reported.items():
            info.setdefault(key, value)


def show_saved_pictures(notebook):
    """Drop the widget view from outputs whose model is not in the notebook's saved widget state
    and that hold a text/html picture beside it. Returns how many were changed."""
    saved = notebook["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    changed = 0
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view is not None and "text/html" in data and view.get("model_id") not in saved:
                del data[WIDGET_VIEW]
                changed += 1
    return changed


class LessonContentsManager(AsyncLargeFileManager):
    """Jupyter server's default contents manager, with the two changes above on reading."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model["type"] == "notebook" and model.get("content"):
            complete_language_info(model["content"]["metadata"])
            if not await self._has_kernel(model["path"]):
                show_saved_pictures(model["content"])
        return model

    async def _has_kernel(self, path):
        """Whether a kernel session runs for the notebook at ``path`` (its widgets' models live)."""
        sessions = getattr(self.parent, "session_manager", None)
        if sessions is None:
            return False
        return any(session["path"].strip("/") == path.strip("/") for session in await sessions.list_sessions())
