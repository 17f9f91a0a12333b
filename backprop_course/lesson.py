"""A lesson's first cell: ``from backprop_course.lesson import start; start()``.

``start`` makes ``import backprop_lib`` find the student's own library (the nearest folder at or
above the notebook's that holds ``backprop_lib/``: the checkout's root in JupyterLab, the
assignment folder in an nbgrader course) and, outside grading, reloads the student's edits to it
before every cell (``backprop_course.live_reload``: objects built before an edit follow it, and a
file that does not load stops every cell with one line until it is fixed). Run it again as often
as you like: it neither repeats work nor prints.
"""

import os
import sys
from pathlib import Path

from . import live_reload

LIBRARY = "backprop_lib"
# The folder the last ``start`` put first (it holds the library this notebook uses), or None: the
# widgets draw that library unless they are given one (``backprop_course.viz.library``).
STARTED = None


class LibraryNotFound(ImportError):
    """No ``backprop_lib/`` at or above the working folder."""

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


def library_root(start_dir=None):
    """The nearest folder at or above ``start_dir`` (default: the working folder) that holds
    ``backprop_lib/__init__.py``."""
    here = Path(start_dir or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / LIBRARY / "__init__.py").is_file():
            return folder
    raise LibraryNotFound(f"no {LIBRARY}/ folder at or above {here}: open the lesson from the course "
                          f"folder that holds {LIBRARY}/ (the checkout's lessons/ or your assignment folder)")


def grading():
    """True inside nbgrader's autograde (and ``backprop-course autograde``), which set this."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def start(folder=None):
    """Put the student's library (or the one in ``folder``, e.g. the lecture's "../solutions")
    first on ``sys.path``; reload its edits (except when grading). Returns the folder that holds
    ``backprop_lib/``."""
    global STARTED
    root = str(Path(folder).resolve() if folder else library_root())
    if not (Path(root) / LIBRARY / "__init__.py").is_file():
        raise LibraryNotFound(f"no {LIBRARY}/ in {root}: pass the folder that holds it")
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    loaded = sys.modules.get(LIBRARY)
    if loaded is not None and Path(getattr(loaded, "__file__", None) or "/").parent.parent != Path(root):
        # Another library was imported first (e.g. the reference): forget it.
        for name in [name for name in sys.modules if name.split(".")[0] == LIBRARY]:
            del sys.modules[name]
    shell = _ipython()
    if shell is not None and not grading():
        live_reload.install(shell)
    STARTED = Path(root)
    return STARTED


def _ipython():
    try:
        from IPython import get_ipython
    except ModuleNotFoundError:  # plain Python: nothing to reload
        return None
    return get_ipython()
