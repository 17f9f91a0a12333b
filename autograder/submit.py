"""``backprop-course submit LESSON`` for students: write the hand-in zip nbgrader's zip_collect reads.

The zip holds the lesson notebook as ``LESSON.ipynb`` and every ``backprop_lib/*.py`` of the
library the notebook imports, at the paths they have in an nbgrader assignment folder. Its name,
``LESSON-STUDENT-YYYYmmddTHHMMSSZ.zip`` (``course.HANDIN_NAME``, UTC), is what the course's
``c.FileNameCollectorPlugin.named_regexp`` (``course.HANDIN_REGEXP``) reads the student ID and the
hand-in time from. Nothing the student has is changed; an existing zip is never overwritten.

Where the work is found: the notebook as ``backprop-course check`` finds it (``--notebook``, else
``./LESSON.ipynb`` inside an nbgrader assignment folder, else ``./lessons/`` in a student kit,
else the repository's ``lessons/``), the
library beside the notebook, else one folder up (the repository's ``backprop_lib/`` beside
``lessons/``).
"""

import getpass
import os
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from backprop_course import content

from . import nbgrader_course
from .student_check import find_notebook

LIBRARY = nbgrader_course.LIBRARY
# A student ID safe in a file name and as nbgrader's submitted/<student>/ folder (no leading ".").
STUDENT_ID = re.compile(r"[\w@+-][\w.@+-]*")
# Longer IDs make the zip's name longer than a file name may be (255 bytes on most file systems).
MAX_STUDENT_ID = 64
ID_RULES = (f"1 to {MAX_STUDENT_ID} letters, digits and . _ @ + - (not starting with .), "
            "e.g. --student jdoe")


def student_id(given=None):
    """--student, else $JUPYTERHUB_USER, else the login name ($USER, $LOGNAME, ...). A given
    --student is used as it is, even empty (then refused): never silently replaced."""
    if given is None:
        try:
            given = os.environ.get("JUPYTERHUB_USER") or getpass.getuser()
        except (OSError, KeyError):  # no login name at all (some containers)
            given = ""
        if not given:
            raise nbgrader_course.CourseError(f"no student ID found: pass --student YOUR_ID ({ID_RULES})")
    if not given.strip():
        raise nbgrader_course.CourseError(f"the student ID is empty: pass --student YOUR_ID ({ID_RULES})")
    if len(given) > MAX_STUDENT_ID:
        raise nbgrader_course.CourseError(f"the student ID is {len(given)} characters long, over "
                                        f"{MAX_STUDENT_ID}: pass --student YOUR_ID ({ID_RULES})")
    if not STUDENT_ID.fullmatch(given):
        raise nbgrader_course.CourseError(f"student ID {given!r} is not valid: pass --student YOUR_ID "
                                        f"({ID_RULES})")
    return given


def library_folder(notebook):
    """The backprop_lib/ folder the notebook imports: beside it, else one folder up."""
    for folder in (notebook.parent, notebook.parent.parent):
        if (folder / LIBRARY / "__init__.py").is_file():
            return folder / LIBRARY
    raise nbgrader_course.CourseError(f"no {LIBRARY}/ beside {notebook} or in {notebook.parent.parent}: "
                                    f"keep your {LIBRARY}/ folder next to the lesson notebook")


def write_handin(lesson, notebook, library, student, out_dir, when=None):
    """Write the hand-in zip into ``out_dir``; returns (zip path, number of library files)."""
    when = when or datetime.now(timezone.utc)
    name = nbgrader_course.HANDIN_NAME.format(lesson=lesson, student=student,
                                            stamp=when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    path = Path(out_dir) / name
    if path.exists():
        raise nbgrader_course.CourseError(f"{path} exists already: wait a second and submit again")
    modules = sorted(library.glob("*.py"))
    with zipfile.ZipFile(path, "x", zipfile.ZIP_DEFLATED) as archive:
        archive.write(notebook, f"{lesson}.ipynb")
        for module in modules:
            archive.write(module, f"{LIBRARY}/{module.name}")
    return path, len(modules)


def submit(lesson, student=None, notebook=None, out_dir="."):
    """Find the student's work on ``lesson`` and write its hand-in zip; returns (path, library files)."""
    known = [path.stem for path in sorted(content.folder("lessons").glob("*.ipynb"))]
    if notebook and known and lesson not in known:  # the zip's name must name the lesson
        raise nbgrader_course.unknown_lesson(lesson, known)
    path = find_notebook(lesson, notebook)
    try:
        nbformat.read(path, as_version=4)
    except Exception as err:  # corrupt JSON, not a notebook: grading could not read it either
        raise nbgrader_course.CourseError(f"{path} is not a readable notebook ({type(err).__name__}): "
                                        "save it again in JupyterLab, then submit") from None
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise nbgrader_course.CourseError(f"no folder {out_dir}: pass --out an existing folder")
    return write_handin(lesson, path, library_folder(path), student_id(student), out_dir)


def cmd_submit(args):
    path, modules = submit(args.lesson, args.student, args.notebook, args.out)
    print(f"wrote {path.resolve()} ({args.lesson}.ipynb and {modules} {LIBRARY} files): hand in this file")
    return 0


def add_submit(subparsers):
    parser = subparsers.add_parser(
        "submit", help="students: write the zip to hand in (notebook and backprop_lib/)",
        description="Write LESSON-STUDENT-TIME.zip with your lesson notebook and backprop_lib/*.py, "
                    "as the course's nbgrader zip_collect expects.")
    parser.add_argument("lesson", help="e.g. 02_linear_layer")
    parser.add_argument("--student", help="your student ID (default: $JUPYTERHUB_USER, else your login name)")
    parser.add_argument("--notebook", help="the notebook to hand in (default: ./LESSON.ipynb or lessons/LESSON.ipynb)")
    parser.add_argument("--out", default=".", help="the folder to write the zip to (default: here)")
    parser.set_defaults(run=cmd_submit)
