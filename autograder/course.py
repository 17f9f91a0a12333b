"""An nbgrader course for this package: ``course init DIR`` and ``release LESSON --course DIR``.

``course init`` lays out nbgrader's standard course directory::

    DIR/nbgrader_config.py          hardened (see CONFIG below and RECIPES section 1)
    DIR/gradebook.db                created by the first release
    DIR/source/<lesson>/<lesson>.ipynb        the nbgrader source notebook from solutions/
    DIR/source/<lesson>/backprop_lib/*.py     the student skeleton (``build.strip_solutions``)

nbgrader's generate_assignment (the command, formgrader's Generate button, ``--force``) copies
every non-notebook file of source/ verbatim into release/, so source/ holds no library solution
at all: plain nbgrader releases exactly what ``backprop-course release`` does. The reference
library stays in the repository's solutions/; grading needs none of it: ``backprop-course
autograde`` grades the submitted library as it is and puts nothing over it.

``release`` runs generate_assignment and then fails loudly if any solution line, hidden-test line
or marker reached the release (a source/ edited by hand, or made by an older version).

Every lesson releases the whole skeleton: a student carries their own library forward from
lesson to lesson (as CS231n's assignments ask students to copy earlier layers), and grading uses
the library files the student submitted (plain ``nbgrader autograde`` is told the same with
``exclude_overwriting``).

The config paths are the config file's own folder, so a copied course (next term's) grades into
its own gradebook, and ``nbgrader zip_collect`` reads the hand-in zips ``backprop-course submit``
writes (HANDIN_NAME, HANDIN_REGEXP).
"""

import copy
import difflib
import shutil
from pathlib import Path

import nbformat

from . import build as build_module

LIBRARY = "backprop_lib"
CONFIG_NAME = "nbgrader_config.py"
# The files a leak check reads: everything a student opens as text.
TEXT_SUFFIXES = {".py", ".ipynb", ".txt", ".md", ".json", ".csv", ".html"}


class CourseError(Exception):
    """A course directory that cannot be used as asked; the message names the fix."""


def lessons_available(root=build_module.ROOT):
    """Lesson names with a source notebook in ``root/solutions``, e.g. ["02_linear_layer", ...]."""
    return sorted(path.stem for path in (Path(root) / "solutions").glob("*.ipynb"))


def library_files(root=build_module.ROOT):
    """{file name: text} of the reference library in ``root/solutions/backprop_lib``."""
    return {path.name: path.read_text()
            for path in sorted((Path(root) / "solutions" / LIBRARY).glob("*.py"))}


def student_files(root=build_module.ROOT):
    """Library paths (relative to an assignment folder) that students edit: those with solution
    regions. Autograde keeps the student's copies of these and overwrites every other file."""
    return [f"{LIBRARY}/{name}" for name, text in library_files(root).items()
            if build_module.BEGIN in text]


# The hand-in zip `backprop-course submit` writes (stamp: UTC, %Y%m%dT%H%M%SZ) and the regexp
# nbgrader's zip_collect matches against each extracted file's path. nbgrader extracts a zip into a
# folder named after it, so the folder names the student and the time, and file_id is the path
# inside the assignment (the notebook, or backprop_lib/NAME.py). Also read: a prefix an LMS adds to
# the zip's name, and a zip of the whole assignment folder (one LESSON/ folder inside). Student IDs
# may hold "-" and "_"; no ID or file name starts with "." (a ".." ID would be collected outside
# submitted/; "._x.py" files are macOS metadata).
HANDIN_NAME = "{lesson}-{student}-{stamp}.zip"
HANDIN_REGEXP = (r".*[\\/][^\\/]*?\d\d_\w+?-(?P<student_id>[^\\/.][^\\/]*)-(?P<timestamp>\d{8}T\d{6}Z)[\\/]"
                 r"(?:\d\d_\w+[\\/])?(?P<file_id>[^\\/.][^\\/]*\.ipynb|backprop_lib[\\/][^\\/.][^\\/]*\.py)$")

CONFIG = '''\
"""nbgrader configuration written by `backprop-course course init`; safe to edit."""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# The course is the folder of this file, wherever it is copied to (next term's course grades into
# its own gradebook), and from any working directory.
course_folder = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = course_folder
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(course_folder, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".*"]

# Without this, autograde overwrites the student's library with the instructor's copy and the
# student's code is never graded (RECIPES 1).
c.Autograde.exclude_overwriting = {exclude!r}

# A deleted test cell comes back (with its points) instead of silently vanishing.
c.OverwriteCells.add_missing_cells = True

# Per cell: an infinite loop is interrupted and the notebook goes on. The whole submission also
# has a wall-clock limit in `backprop-course autograde --timeout`.
c.Execute.timeout = {cell_timeout}
c.Execute.interrupt_on_timeout = True
# Cells that only demonstrate (plots, widgets) are tagged "demo" and not run when grading: a
# grading kernel then imports neither matplotlib nor ipywidgets.
c.Execute.skip_cells_with_tag = "demo"
# After a cell finishes, its remaining output must arrive within this many seconds, and nbgrader
# makes running out an error; draining a flood of output under load took longer than the default 4.
c.Execute.iopub_timeout = 30
# Each submission's kernel runs in a sandbox (`python -m autograder.sandbox` shows what this machine
# enforces); its limits can be changed here, e.g.:
# c.SandboxedKernelManager.memory_mb = 2048
# c.SandboxedKernelManager.cpu_seconds = 60
# Minimal tracebacks: feedback shows "AssertionError: message", never lines of a hidden test.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal", "--HistoryManager.hist_file=:memory:"]

# The kernel computes, the grader judges: a judged test cell's score is decided after execution,
# in nbgrader's own process, from what the kernel recorded (nbgrader's default list, plus the judge).
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute,  # noqa: E402
                                    IgnorePattern, LimitOutput, SaveAutoGrades)
from autograder.grading.preprocessors import JudgeChecks  # noqa: E402
c.Autograde.autograde_preprocessors = [Execute, JudgeChecks, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# Feedback without hidden-test source: nbgrader's default list keeps it.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
c.ClearHiddenTests.enforce_metadata = False

# `nbgrader zip_collect LESSON` collects the zips students write with `backprop-course submit LESSON`
# (put them in downloaded/LESSON/archive/): the notebook and the backprop_lib/*.py files, each to
# its place in submitted/STUDENT/LESSON/, with the hand-in time as timestamp.txt.
c.FileNameCollectorPlugin.named_regexp = {handin_regexp!r}
c.FileNameCollectorPlugin.valid_ext = [".ipynb", ".py"]
'''


def write_config(course_dir, lessons, root=build_module.ROOT, cell_timeout=60):
    """Write DIR/nbgrader_config.py for ``lessons``; it names no absolute path."""
    exclude = {lesson: student_files(root) for lesson in sorted(lessons)}
    text = CONFIG.format(exclude=exclude, cell_timeout=cell_timeout, handin_regexp=HANDIN_REGEXP)
    (Path(course_dir) / CONFIG_NAME).write_text(text)


def init_course(course_dir, lessons=None, root=build_module.ROOT):
    """Create (or refresh) the course in ``course_dir`` for ``lessons`` (default: all available).

    Refreshing rewrites the config and source/ but keeps the gradebook and all student folders.
    Returns the list of lessons set up.
    """
    course_dir = Path(course_dir).resolve()
    available = lessons_available(root)
    if not available:
        raise CourseError(f"no lesson notebooks in {Path(root) / 'solutions'}: write solutions/<lesson>.ipynb first")
    lessons = list(lessons or available)
    for lesson in lessons:
        if lesson not in available:
            raise unknown_lesson(lesson, available)
    course_dir.mkdir(parents=True, exist_ok=True)
    # The skeleton, never the reference: nbgrader's own generate_assignment copies these as they are.
    skeleton = {name: build_module.strip_solutions(text, Path(root) / "solutions" / LIBRARY / name)
                for name, text in library_files(root).items()}
    for lesson in lessons:
        folder = course_dir / "source" / lesson
        if folder.exists():
            shutil.rmtree(folder)
        (folder / LIBRARY).mkdir(parents=True)
        shutil.copyfile(Path(root) / "solutions" / f"{lesson}.ipynb", folder / f"{lesson}.ipynb")
        for name, text in skeleton.items():
            (folder / LIBRARY / name).write_text(text)
    write_config(course_dir, lessons_configured(course_dir) | set(lessons), root)
    return lessons


def lessons_configured(course_dir):
    """The lessons that have a source folder in the course."""
    source = Path(course_dir) / "source"
    return {path.name for path in source.iterdir() if path.is_dir()} if source.exists() else set()


def lesson_hint(lesson, known):
    """"did you mean '<nearest known name>'?", or the known names when none is near."""
    nearest = difflib.get_close_matches(lesson, known, n=1)
    return f"did you mean {nearest[0]!r}?" if nearest else f"choose from {', '.join(known) or 'none'}"


def unknown_lesson(lesson, known, fix=""):
    """The one-line CourseError for a lesson name not in ``known``."""
    return CourseError(f"unknown lesson {lesson!r}: {lesson_hint(lesson, known)}{fix}")


def require_lesson(course_dir, lesson, root=build_module.ROOT):
    """The resolved course path, or a CourseError when the course has no such lesson (a typo gets
    the nearest lesson name; a lesson the course lacks gets the command that adds it)."""
    course_dir = require_course(course_dir)
    configured = sorted(lessons_configured(course_dir))
    if lesson in configured:
        return course_dir
    if lesson in lessons_available(root):
        raise CourseError(f"lesson {lesson!r} is not in {course_dir}: run "
                          f"`backprop-course course init {course_dir} --lesson {lesson}` to add it")
    raise unknown_lesson(lesson, configured, f" (lessons of {course_dir})")


def require_course(course_dir):
    """The resolved course path, or a CourseError saying how to create it."""
    course_dir = Path(course_dir).resolve()
    if not (course_dir / CONFIG_NAME).exists():
        raise CourseError(f"{course_dir} is not a course (no {CONFIG_NAME}): "
                          f"run `backprop-course course init {course_dir}` first")
    return course_dir


def load_config(course_dir):
    """The traitlets Config of the course's nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG_NAME, path=str(course_dir)).load_config()


def tools_on_path():
    """Put this interpreter's bin folder on PATH: nbgrader runs the `alembic` executable by name
    when it opens a gradebook, which fails when the virtualenv is not activated."""
    import os
    import sys

    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_api(course_dir):
    """nbgrader's Python API bound to the course directory and its config."""
    from nbgrader.apps import NbGraderAPI

    tools_on_path()
    from nbgrader.coursedir import CourseDirectory

    config = load_config(course_dir)
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(course_dir)
    return NbGraderAPI(coursedir=coursedir, config=config)


def secret_lines(course_dir, lesson, root=build_module.ROOT):
    """Distinctive lines of the lesson's solutions and hidden tests: the library's from the
    repository's reference (``root/solutions/backprop_lib``; the course holds none), the
    notebook's from the course's source notebook (the one nbgrader releases)."""
    inside, outside = set(), set()
    for path in sorted((Path(root) / "solutions" / LIBRARY).glob("*.py")):
        text = path.read_text()
        inside |= build_module.solution_lines(text)
        # A line that a released file hands out anyway (a loop idiom in gradcheck.py that a hidden
        # test or another file's solution also uses) is no secret.
        outside |= {line.strip() for line in build_module.strip_solutions(text, path).splitlines()}
    notebook = nbformat.read(Path(course_dir) / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    secret = build_module.notebook_solution_lines(notebook)
    # Likewise a hidden-test line that the visible part of a test cell also shows.
    visible = build_module.student_notebook(nbformat.from_dict(copy.deepcopy(notebook)))
    outside |= {line.strip() for cell in visible.cells for line in cell.source.splitlines()}
    return (secret | inside) - outside


def leaks_in_folder(folder, secret):
    """[(path, first leaked text)] for each text file under ``folder`` that contains a solution
    line or a solution/hidden-test marker."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        hits = build_module.leaks(path.read_text(errors="replace"), secret)
        if hits:
            found.append((path, hits[0]))
    return found


def release(course_dir, lesson):
    """nbgrader's generate_assignment, then a check that nothing leaked.

    Returns the release folder. Raises CourseError naming the file and the text on any leak.
    """
    course_dir = require_lesson(course_dir, lesson)
    if not (course_dir / "source" / lesson / f"{lesson}.ipynb").exists():
        raise CourseError(f"no source notebook for lesson {lesson!r} in {course_dir / 'source' / lesson}: "
                          f"run `backprop-course course init {course_dir} --lesson {lesson}`")
    result = nbgrader_api(course_dir).generate_assignment(lesson, force=True)
    if not result["success"]:
        last = (result.get("error") or result.get("log") or "no log").strip().splitlines()[-1]
        raise CourseError(f"nbgrader generate_assignment {lesson} failed: {last}")
    out = course_dir / "release" / lesson
    found = leaks_in_folder(out, secret_lines(course_dir, lesson))
    if found:
        path, text = found[0]
        raise CourseError(f"release of {lesson} leaks solution or hidden-test text in "
                          f"{path.relative_to(course_dir)}: {text!r}; nothing may be handed out "
                          f"(run `backprop-course course init {course_dir}` to rewrite source/)")
    return out


def cmd_course(args):
    if args.action == "init":
        lessons = init_course(args.dir, args.lesson or None)
        print(f"course in {Path(args.dir).resolve()}: source/ for {', '.join(lessons)}")
        print(f"next: backprop-course release LESSON --course {args.dir}")
    return 0


def cmd_release(args):
    out = release(args.course, args.lesson)
    print(f"released {args.lesson} to {out} (no solution or hidden-test text found in it)")
    return 0


def add_course(subparsers):
    parser = subparsers.add_parser(
        "course", help="create an nbgrader course directory",
        description="course init DIR: an nbgrader course with a hardened config and every lesson's source.")
    parser.add_argument("action", choices=["init"])
    parser.add_argument("dir", help="the course directory (created if missing)")
    parser.add_argument("--lesson", action="append",
                        help="only this lesson (repeatable); default: every lesson in solutions/")
    parser.set_defaults(run=cmd_course)


def add_lesson_command(subparsers, name, run, help, description):
    """A subcommand of the form ``NAME LESSON --course DIR``; returns its parser for more options.

    Before ``run``, the course and the lesson must exist (a typo gets the nearest lesson name)."""
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.add_argument("lesson")
    parser.add_argument("--course", required=True, help="the course directory")

    def checked(args):
        require_lesson(args.course, args.lesson)
        return run(args)

    parser.set_defaults(run=checked)
    return parser


def add_release(subparsers):
    add_lesson_command(
        subparsers, "release", cmd_release,
        help="nbgrader generate_assignment plus a leak check",
        description="Release LESSON to DIR/release/LESSON; fails if any solution or hidden test leaks.")
