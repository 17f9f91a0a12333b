"""Copies of the course material into a folder of one's own, from wherever the package is
installed (``backprop_course.content``): ``backprop-course student-kit DIR`` and
``backprop-course lecture DIR``.

A student kit is laid out as an nbgrader assignment folder, so ``check``, ``submit`` and every
lesson's ``start()`` work in it as in a released assignment::

    DIR/NN_name.ipynb          the student notebooks
    DIR/backprop_lib/*.py      the library skeleton the student completes
    DIR/lab-config/            the students' JupyterLab settings (no nbgrader instructor menus)

The lecture notebook runs on the installed reference library, wherever it is copied to. Nothing
that exists is overwritten: a second kit in the same folder is refused, naming the file.
"""

import shutil
from pathlib import Path

from backprop_course import content

from .course import CourseError


def _plan_student_kit(folder):
    """{source path: target path} of a student kit in ``folder``."""
    plan = {path: folder / path.name for path in sorted(content.folder("lessons").glob("*.ipynb"))}
    plan |= {path: folder / "backprop_lib" / path.name
             for path in sorted(content.folder("backprop_lib").glob("*.py"))}
    config = content.folder("lab-config")
    plan |= {path: folder / "lab-config" / path.relative_to(config)
             for path in sorted(config.rglob("*")) if path.is_file()}
    return plan


def _copy(plan):
    """Copy each source to its target; refuse (copying nothing) when any target exists."""
    taken = [target for target in plan.values() if target.exists()]
    if taken:
        raise CourseError(f"{taken[0]} exists already: choose an empty folder (nothing was written)")
    for source, target in plan.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def write_student_kit(folder):
    """Write a student kit into ``folder`` (created if missing); returns the lesson names."""
    folder = Path(folder).resolve()
    plan = _plan_student_kit(folder)
    _copy(plan)
    return [target.stem for target in plan.values() if target.suffix == ".ipynb"]


def write_lecture(folder):
    """Copy the lecture notebook(s) into ``folder`` (created if missing); returns their paths."""
    folder = Path(folder).resolve()
    plan = {path: folder / path.name for path in sorted(content.folder("lecture").glob("*.ipynb"))}
    _copy(plan)
    return list(plan.values())


def cmd_student_kit(args):
    lessons = write_student_kit(args.dir)
    folder = Path(args.dir).resolve()
    print(f"student kit in {folder}: {len(lessons)} lessons and backprop_lib/")
    print(f"next: cd {folder} && JUPYTER_CONFIG_PATH=lab-config jupyter lab "
          "(then `backprop-course check LESSON` and `backprop-course submit LESSON` there)")
    return 0


def cmd_lecture(args):
    for path in write_lecture(args.dir):
        print(f"wrote {path}: open it in JupyterLab and Run All (it runs on the reference library)")
    return 0


def _add_folder_command(subparsers, name, run, help, description):
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.add_argument("dir", help="the folder to write (created if missing; nothing is overwritten)")
    parser.set_defaults(run=run)


def add_student_kit(subparsers):
    _add_folder_command(
        subparsers, "student-kit", cmd_student_kit,
        help="students: the lessons and the library skeleton in a folder of your own",
        description="Copy the student notebooks, backprop_lib/ and the lab settings into DIR.")


def add_lecture(subparsers):
    _add_folder_command(
        subparsers, "lecture", cmd_lecture, help="lecturers: a copy of the lecture notebook",
        description="Copy the lecture notebook into DIR; it runs on the installed reference library.")
