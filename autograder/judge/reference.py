"""The reference library, imported in the grader's process for the judge.

``reference()`` imports ``solutions/backprop_lib`` under a name of its own
(``backprop_course_reference``), so it never takes the place of a ``backprop_lib`` already
imported in the grader's process and nothing in a grading kernel can import it by that name.
Where it lives is decided by ``reference_folder`` alone, through ``backprop_course.content``.
"""

import importlib.util
import sys
import threading

from backprop_course import content

NAME = "backprop_course_reference"
# Judges may run in threads (a grader's workers, the tests' pools): a module that another thread
# is still executing would be found half initialized in sys.modules.
IMPORTING = threading.RLock()


class ReferenceMissing(RuntimeError):
    """The reference library is not where ``reference_folder`` says; the grader cannot judge."""


def reference_folder():
    """The folder of the reference library: solutions/backprop_lib of the course content (the
    checkout's, or the installed package data)."""
    return content.folder("solutions") / "backprop_lib"


def reference(module="layers"):
    """A module of the reference library (e.g. ``reference("layers").Linear``), imported once."""
    with IMPORTING:
        return _import(f"{NAME}.{module}")


def _import(name):
    if name in sys.modules:
        return sys.modules[name]
    if NAME not in sys.modules:
        folder = reference_folder()
        if not (folder / "__init__.py").is_file():
            raise ReferenceMissing(f"the reference library is not in {folder}: the judge needs it "
                                   "(reinstall backprop-course: its wheel ships it; a student kit's wheel does not)")
        spec = importlib.util.spec_from_file_location(NAME, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[NAME] = package
        spec.loader.exec_module(package)
    return importlib.import_module(name)
