"""Where the course's content is: the one place every command asks (never a path computed from
a module's location up into a checkout).

    folder("solutions")    the reference library (backprop_lib/), the lesson texts (lessons/*.py)
                           and the nbgrader source notebooks (*.ipynb)
    folder("backprop_lib") the student skeleton (generated from the reference)
    folder("lessons")      the student notebooks (generated)
    folder("lab-config")   the students' JupyterLab configuration (``make lab``)
    folder("lecture")      the lecture notebook

The content ships as package data of this package, read through ``importlib.resources``. In the
repository each name here is a symbolic link to the top-level folder of that name, so in a checkout
(editable install) the same function returns the checkout's folders, which ``backprop-course build``
writes; in an installed wheel the folders are real copies inside the package (read them, never
write them).
"""

from importlib import resources
from pathlib import Path

FOLDERS = ("solutions", "backprop_lib", "lessons", "lab-config", "lecture")


def root():
    """The folder holding the FOLDERS, laid out as the repository: in a checkout this package's
    folder of symbolic links to them, in an installed wheel the package data itself."""
    # A package installed from a wheel or a checkout is a folder on disk: files() is a Path.
    return Path(resources.files(__name__))


def folder(name):
    """The real path (symbolic links resolved) of the content folder ``name`` (one of FOLDERS)."""
    if name not in FOLDERS:
        raise ValueError(f"no course content folder {name!r}: choose from {', '.join(FOLDERS)}")
    return (root() / name).resolve()


def in_checkout():
    """Whether the content is a repository's (writable by ``backprop-course build``) rather than
    an installed copy."""
    return (root() / "solutions").is_symlink()
