"""How `make lab`'s JupyterLab reads notebooks: a lesson opens unmodified, a saved widget reopens
as its picture. lab-config/jupyter_server_config.json selects this contents manager.

- When a notebook's kernel starts, JupyterLab writes the kernel's ``language_info`` into the
  notebook and marks the tab modified if that changes anything. A generated lesson cannot carry
  all of it (``version`` is the Python of whoever opens it), so a Python notebook's
  ``language_info`` is completed with what the ``python3`` kernel of this server's Python reports.
- A widget's output names a model that lives in its kernel; once that kernel process is gone
  (stopped, restarted), JupyterLab shows "Error displaying widget: model not found" even when a
  static picture (``text/html``, which the course's widgets add) was saved beside it. Such an
  output keeps only its other representations on reading, so the picture shows; widgets restored
  from saved state (nbclient saves it) and widgets of the kernel process running now (a reloaded
  page) are left alone. On saving, each widget's picture is its last one (``widget_pictures``).

The first two happen on reading only: the file changes when the student saves, as it would anyway.
"""

import functools

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

from .widget_pictures import keep_latest_pictures, show_saved_pictures

KERNEL = "python3"


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


class LessonContentsManager(AsyncLargeFileManager):
    """Jupyter server's default contents manager, with the changes above on reading and saving."""

    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model["type"] == "notebook" and model.get("content"):
            complete_language_info(model["content"]["metadata"])
            keep_latest_pictures(model["content"])
            show_saved_pictures(model["content"], await self._kernel_pid(model["path"]))
        return model

    async def save(self, model, path=""):
        if model.get("type") == "notebook" and model.get("content"):
            keep_latest_pictures(model["content"])
        return await super().save(model, path)

    async def _kernel_pid(self, path):
        """The pid of the kernel process running for the notebook at ``path`` (True when one runs
        but its pid is unknown, e.g. a remote kernel), or None when no kernel runs for it."""
        sessions = getattr(self.parent, "session_manager", None)
        if sessions is None:
            return None
        for session in await sessions.list_sessions():
            if session["path"].strip("/") == path.strip("/"):
                kernels = getattr(self.parent, "kernel_manager", None)
                try:
                    return kernels.get_kernel(session["kernel"]["id"]).provisioner.pid or True
                except (AttributeError, KeyError, TypeError):
                    return True
        return None
