"""``backprop-course lecture DIR``: a copy of the lecture notebook, from wherever the package is
installed (``backprop_course.content``). The notebook runs on the installed reference library,
wherever it is copied to. Nothing that exists is overwritten (the student kit is
``student_kit``)."""

import shutil
from pathlib import Path

from backprop_course import content

from .nbgrader_course import CourseError


def _copy(plan):
    """Copy each source to its target; refuse (copying nothing) when any target exists."""
    taken = [target for target in plan.values() if target.exists()]
    if taken:
        raise CourseError(f"{taken[0]} exists already: choose an empty folder (nothing was written)")
    for source, target in plan.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def write_lecture(folder):
    """Copy the lecture notebook(s) into ``folder`` (created if missing); returns their paths."""
    folder = Path(folder).resolve()
    plan = {path: folder / path.name for path in sorted(content.folder("lecture").glob("*.ipynb"))}
    _copy(plan)
    return list(plan.values())


def cmd_lecture(args):
    for path in write_lecture(args.dir):
        print(f"wrote {path}: open it in JupyterLab and Run All (it runs on the reference library)")
    return 0


def add_lecture(subparsers):
    parser = subparsers.add_parser(
        "lecture", help="lecturers: a copy of the lecture notebook",
        description="Copy the lecture notebook into DIR; it runs on the installed reference library.")
    parser.add_argument("dir", help="the folder to write (created if missing; nothing is overwritten)")
    parser.set_defaults(run=cmd_lecture)
