"""Which library a widget draws: the one it is given, never whatever ``backprop_lib`` is importable.

    library=backprop_lib   the library package the notebook uses (``import backprop_lib``): the
                           student's in a lesson, the reference in the lecture
    (objects)              a widget given objects built with a library (a loss Scalar, an MLP)
                           draws with that library
    (neither)              the library ``backprop_course.lesson.start`` chose for this notebook
                           (a lesson's first cell and the lecture's call it)

With none of these a widget refuses in one line. Importing ``backprop_course.viz`` imports no
library; a widget looks its library's modules up when it uses them, so edits the notebook reloads
(``backprop_course.live_reload``) reach it.
"""

import importlib
import sys
from types import ModuleType


class LibraryNotChosen(ValueError):
    """No library given and none chosen by ``backprop_course.lesson.start``."""


class Library:
    """One library package's modules by attribute: ``lib.graph.Scalar``, ``lib.mlp.MLP``, ..."""

    def __init__(self, package):
        self.package = package

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return importlib.import_module(f"{self.package.__name__}.{name}")

    def __repr__(self):
        return f"Library({self.package.__name__} at {getattr(self.package, '__file__', '?')})"


def library_of(obj):
    """The Library whose module defines ``obj``'s class (a Scalar, an MLP, a layer)."""
    module = sys.modules[type(obj).__module__]
    return Library(sys.modules[module.__package__ or module.__name__])


def choose(library=None, like=None):
    """The Library a widget draws: ``library`` (a library package or one of its modules), else the
    library of ``like`` (an object built with it), else the one ``lesson.start`` chose."""
    if isinstance(library, Library):
        return library
    if isinstance(library, ModuleType):
        return Library(sys.modules[library.__package__ or library.__name__])
    if library is not None:
        raise TypeError(f"library must be the library package (import backprop_lib, then "
                        f"library=backprop_lib), got {type(library).__name__}")
    if like is not None:
        return library_of(like)
    from backprop_course import lesson

    if lesson.STARTED is None:
        raise LibraryNotChosen("which library should this widget draw? pass library= (import backprop_lib, "
                               "then library=backprop_lib), or run backprop_course.lesson.start() first "
                               "(a lesson's first cell does)")
    return Library(importlib.import_module(lesson.LIBRARY))
