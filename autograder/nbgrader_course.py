"""An nbgrader course for this package: ``course init DIR`` and ``release LESSON --course DIR``.

``course init`` lays out nbgrader's standard course directory::

    DIR/nbgrader_config.py          hardened (see CONFIG below: each setting says why)
    DIR/gradebook.db                created by the first release
    DIR/source/<lesson>/<lesson>.ipynb        the nbgrader source notebook from solutions/
    DIR/source/<lesson>/backprop_lib/*.py     the student skeleton (``solution_markers.strip_solutions``)

nbgrader's generate_assignment (the command, formgrader's Generate button, ``--force``) copies
every non-notebook file of source/ verbatim into release/, so source/ holds no library solution
at all: plain nbgrader releases exactly what ``backprop-course release`` does. The reference
library stays in the repository's solutions/; grading needs none of it: ``backprop-course
autograde`` grades the submitted library as it is and puts nothing over it.

``course init`` run again refreshes what it wrote and keeps the instructor's edits
(``course_files``); ``--course-id`` names the course for nbgrader's exchange.

``release`` first runs the lesson (``release_check``: the reference passes every test, the
starting files pass none), then generate_assignment, then fails loudly if any solution line,
hidden-test line or marker reached the release (a source/ edited by hand, or made by an older
version). An existing release is replaced only with ``--force``.

Every lesson releases the whole skeleton: a student carries their own library forward from
lesson to lesson (as CS231n's assignments ask students to copy earlier layers), and grading uses
the library files the student submitted (plain ``nbgrader autograde`` is told the same with
``exclude_overwriting``).

The config paths are the config file's own folder, so a copied course (next term's) grades into
its own gradebook, and ``nbgrader zip_collect`` reads the hand-in zips ``backprop-course submit``
writes (HANDIN_NAME, HANDIN_REGEXP, ``handin_collector``). nbgrader's own commands and formgrader
run the course's steps through the config: RestoreCells, SandboxedExecute, the feedback exporter
(``feedback_html``) and the export plugin (``export_reasons``).
"""

import copy
import difflib
import os
import re
import shutil
from pathlib import Path

import nbformat

from backprop_course import content

from . import solution_markers
from . import course_files
from . import release_check
from .generated_note_cell import released_text

LIBRARY = "backprop_lib"
CONFIG_NAME = "nbgrader_config.py"
# The files a leak check reads: everything a student opens as text.
TEXT_SUFFIXES = {".py", ".ipynb", ".txt", ".md", ".json", ".csv", ".html"}


class CourseError(Exception):
    """A course directory that cannot be used as asked; the message names the fix."""


def lessons_available(root=content.root()):
    """Lesson names with a source notebook in ``root/solutions``, e.g. ["02_linear_layer", ...]."""
    return sorted(path.stem for path in (Path(root) / "solutions").glob("*.ipynb"))


def library_files(root=content.root()):
    """{file name: text} of the reference library in ``root/solutions/backprop_lib``."""
    return {path.name: path.read_text()
            for path in sorted((Path(root) / "solutions" / LIBRARY).glob("*.py"))}


def student_files(root=content.root()):
    """Library paths (relative to an assignment folder) that students edit: those with solution
    regions. Autograde keeps the student's copies of these and overwrites every other file."""
    return [f"{LIBRARY}/{name}" for name, text in library_files(root).items()
            if solution_markers.BEGIN in text]


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
from nbgrader.preprocessors import GetGrades

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# ---- nbgrader's tools on PATH ----
# nbgrader runs the `alembic` executable by name when it creates a gradebook: without the Python
# environment's bin/ folder on PATH (environment not activated) the first command then fails with
# "No such file or directory: 'alembic'". nbgrader runs in that environment, so its folder is known.
import sys
if os.path.dirname(sys.executable) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
# ---- end of tools on PATH ----

# The course is the folder of this file, wherever it is copied to (next term's course grades into
# its own gradebook), and from any working directory.
course_folder = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = course_folder
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(course_folder, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".*"]

# ---- nbgrader's exchange (release_assignment, fetch_assignment, submit, collect) ----
# It files hand-outs and hand-ins under this id (`course init --course-id`). Its folder, by default
# /usr/local/share/nbgrader/exchange, must exist and be writable by every user; another one:
# c.Exchange.root = "/srv/nbgrader/exchange"
c.CourseDirectory.course_id = {course_id!r}
# ---- end of exchange ----

# Without this, nbgrader's autograde copies every non-notebook file of source/LESSON/ over the
# submission: the student's library would be replaced by the starting files and never graded.
c.Autograde.exclude_overwriting = {exclude!r}

# ---- Test cells under plain `nbgrader autograde` (the same step `backprop-course autograde` runs) ----
# A deleted test cell comes back (with its points) instead of silently vanishing: nbgrader's own
# OverwriteCells raises KeyError doing so when the cell before it is not graded (every lesson);
# RestoreCells puts it back where the release has it. RestoreCells also keeps nbgrader's
# "Attribute 'checksum' ... has changed!" warning for cells a student changed: the gradebook keeps
# each test cell with its hidden tests, so every untouched test cell would otherwise be reported.
from backprop_course.autograder.grading.preprocessors import RestoreCells
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteKernelspec
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells,
                                      CheckCellMetadata]
c.OverwriteCells.add_missing_cells = True
# ---- end of test cells ----

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
# Each submission's kernel runs in a sandbox (`python -m backprop_course.autograder.sandbox` shows what this machine
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
from backprop_course.autograder.grading.preprocessors import JudgeChecks  # noqa: E402
c.Autograde.autograde_preprocessors = [Execute, JudgeChecks, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]

# ---- Feedback (`backprop-course feedback`, `nbgrader generate_feedback`, formgrader's button) ----
# Without hidden-test source: nbgrader's default list keeps it. FeedbackClearHiddenTests is
# nbgrader's ClearHiddenTests without its "display_data_priority not recognized" warning.
from backprop_course.autograder.feedback_html import FeedbackHTMLExporter
from backprop_course.autograder.grading.preprocessors import FeedbackClearHiddenTests
c.GenerateFeedback.preprocessors = [GetGrades, FeedbackClearHiddenTests, CSSHTMLHeaderPreprocessor]
c.ClearHiddenTests.enforce_metadata = False
# A written answer nobody has graded yet reads "to be graded by hand" (nbgrader's page: "0.0 / 2.0").
c.GenerateFeedback.exporter_class = FeedbackHTMLExporter
# ---- end of feedback ----

# `nbgrader zip_collect LESSON` collects the zips students write with `backprop-course submit LESSON`
# (put them in downloaded/LESSON/archive/): the notebook and the backprop_lib/*.py files, each to
# its place in submitted/STUDENT/LESSON/, with the hand-in time as timestamp.txt.
# The pattern is matched against each extracted file's path, .../ZIPNAME/FILE, where nbgrader
# extracts each zip into a folder named after it:
#   ZIPNAME    [anything an LMS puts in front]LESSON-STUDENT-TIME, as `submit` names the zip;
#   student_id STUDENT: letters, digits, "-", "_", never starting with "." (".." would escape);
#   timestamp  TIME: the hand-in time in UTC, e.g. 20261130T093000Z;
#   file_id    LESSON.ipynb or backprop_lib/NAME.py, optionally inside one LESSON/ folder
#              (a zip of the whole assignment folder); names starting with "." are never collected.
# [\\\\/] is a path separator ("/" or "\\\\"), [^\\\\/] any character but one.
c.FileNameCollectorPlugin.named_regexp = r"{handin_regexp}"
c.FileNameCollectorPlugin.valid_ext = [".ipynb", ".py"]
# ---- zip_collect's collector: renamed copies of a zip, and a line per skipped file ----
# "NAME (1).zip" (a browser's second download), "NAME - Copy.zip" and "Copy of NAME.zip" are read
# as NAME.zip; every file not collected gets a line "Skipped FILE (student S): REASON".
from backprop_course.autograder.handin_collector import HandinCollector
c.ZipCollectApp.collector_plugin = HandinCollector
# ---- end of zip_collect's collector ----

# ---- `nbgrader export`: each submission's outcome and reason next to its score ----
# A submission `backprop-course autograde` could not grade (a library file missing) is a 0 in the
# gradebook; the CSV also says why (columns outcome, reason).
from backprop_course.autograder.export_reasons import GradesWithReasonsExport
c.ExportApp.plugin_class = GradesWithReasonsExport
# ---- end of export ----

# ---- zip_collect's extractor ----
# nbgrader's own extractor unpacks zips inside zips without any bound (a 17 KB zip became 4.1 GB):
# this one bounds depth, size and count, never creates links, and names what it skipped, e.g.
# c.BoundedExtractor.max_bytes = 1_000_000_000 (see autograder/zip_extract.py for the others).
c.ZipCollectApp.extractor_plugin = "backprop_course.autograder.zip_extract.BoundedExtractor"
# ---- end of extractor ----

# ---- Kernels of plain `nbgrader autograde` and formgrader's Autograde button in the sandbox ----
# nbgrader's Execute runs a student's code with the instructor's rights; SandboxedExecute runs it in
# the sandbox `backprop-course autograde` uses. Kept last: it swaps Execute in whatever list the
# settings above leave (nbgrader's default list when none set one).
from backprop_course.autograder.sandbox import SandboxedExecute
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
_steps = c.Autograde.autograde_preprocessors if "autograde_preprocessors" in c.Autograde \
    else Autograde.class_traits()["autograde_preprocessors"].default()
c.Autograde.autograde_preprocessors = [SandboxedExecute if step is Execute else step for step in _steps]
# ---- end of sandbox ----
'''


def config_text(lessons, course_id, root=content.root(), cell_timeout=60):
    """The text of DIR/nbgrader_config.py for ``lessons``; it names no absolute path."""
    exclude = {lesson: student_files(root) for lesson in sorted(lessons)}
    assert '"' not in HANDIN_REGEXP  # written as a raw string literal: readable, as in this module
    return CONFIG.format(exclude=exclude, cell_timeout=cell_timeout, handin_regexp=HANDIN_REGEXP,
                         course_id=course_id)


def write_config(course_dir, lessons, root=content.root(), cell_timeout=60):
    """Write DIR/nbgrader_config.py for ``lessons`` (course id: the folder's name)."""
    text = config_text(lessons, default_course_id(course_dir), root, cell_timeout)
    (Path(course_dir) / CONFIG_NAME).write_text(text)


def default_course_id(course_dir):
    """The course id nbgrader's exchange files hand-outs under: the folder's name, in the letters
    nbgrader accepts."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", Path(course_dir).resolve().name).strip("-") or "course"


def configured_course_id(course_dir):
    """The course id of an existing course's config, or None."""
    if not (Path(course_dir) / CONFIG_NAME).exists():
        return None
    try:
        return load_config(course_dir).CourseDirectory.get("course_id") or None
    except Exception:  # a config broken by hand: init will name it as edited
        return None


def init_course(course_dir, lessons=None, root=content.root(), course_id=None, force=False):
    """Create (or refresh) the course in ``course_dir`` for ``lessons`` (default: all available).

    Refreshing rewrites the config and source/ files course init wrote, keeping the gradebook,
    all student folders and the instructor's edits (``course_files``: refused without ``force``,
    backed up with it). ``course_id`` (nbgrader's exchange): default the config's, else the
    folder's name. Returns (lessons set up, backup folder or None).
    """
    course_dir = Path(course_dir).resolve()
    available = lessons_available(root)
    if not available:
        raise CourseError(f"no lesson notebooks in {Path(root) / 'solutions'}: write solutions/<lesson>.ipynb first")
    lessons = list(lessons or available)
    for lesson in lessons:
        if lesson not in available:
            raise unknown_lesson(lesson, available)
    if course_id is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", course_id):
        raise CourseError(f"course id {course_id!r} may hold only letters, digits, '-' and '_'")
    course_id = course_id or configured_course_id(course_dir) or default_course_id(course_dir)
    course_dir.mkdir(parents=True, exist_ok=True)
    make_private(course_dir)
    # The skeleton, never the reference: nbgrader's own generate_assignment copies these as they are.
    skeleton = {name: solution_markers.strip_solutions(text, Path(root) / "solutions" / LIBRARY / name)
                for name, text in library_files(root).items()}
    planned = {}
    for lesson in lessons:
        planned[f"source/{lesson}/{lesson}.ipynb"] = released_text(Path(root) / "solutions" / f"{lesson}.ipynb")
        for name, text in skeleton.items():
            planned[f"source/{lesson}/{LIBRARY}/{name}"] = text
    planned[CONFIG_NAME] = config_text(lessons_configured(course_dir) | set(lessons), course_id, root)
    course_dir.mkdir(parents=True, exist_ok=True)
    try:
        backup = course_files.write_files(course_dir, planned, [f"source/{lesson}" for lesson in lessons], force)
    except course_files.EditedFiles as edited:
        raise CourseError(str(edited)) from None
    return lessons, backup


def make_private(course_dir):
    """Take every permission from other users on the course folder, so nothing in it (source/,
    gradebook.db, submitted/, autograded/) is reachable by a sandbox uid: without bubblewrap the
    file system a kernel sees is the host's. Returns whether it was open before."""
    mode = Path(course_dir).stat().st_mode
    if not mode & 0o007:
        return False
    os.chmod(course_dir, mode & 0o7770)
    return True


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


def require_lesson(course_dir, lesson, root=content.root()):
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


def secret_lines(course_dir, lesson, root=content.root()):
    """Distinctive lines of the lesson's solutions and hidden tests: the library's from the
    repository's reference (``root/solutions/backprop_lib``; the course holds none), the
    notebook's from the course's source notebook (the one nbgrader releases)."""
    inside, outside = set(), set()
    for path in sorted((Path(root) / "solutions" / LIBRARY).glob("*.py")):
        text = path.read_text()
        inside |= solution_markers.solution_lines(text)
        # A line that a released file hands out anyway (a loop idiom in gradcheck.py that a hidden
        # test or another file's solution also uses) is no secret.
        outside |= {line.strip() for line in solution_markers.strip_solutions(text, path).splitlines()}
    notebook = nbformat.read(Path(course_dir) / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    secret = solution_markers.notebook_solution_lines(notebook)
    # Likewise a hidden-test line that the visible part of a test cell also shows.
    visible = solution_markers.student_notebook(nbformat.from_dict(copy.deepcopy(notebook)))
    outside |= {line.strip() for cell in visible.cells for line in cell.source.splitlines()}
    return (secret | inside) - outside


def leaks_in_folder(folder, secret):
    """[(path, first leaked text)] for each text file under ``folder`` that contains a solution
    line or a solution/hidden-test marker."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        hits = solution_markers.leaks(path.read_text(errors="replace"), secret)
        if hits:
            found.append((path, hits[0]))
    return found


def release(course_dir, lesson, force=False):
    """Run the lesson (``release_check``), then nbgrader's generate_assignment, then a check that
    nothing leaked.

    Returns the release folder. Raises CourseError (one line) on an existing release without
    ``force``, a lesson that does not run as it should (nothing released), or any leak.
    """
    course_dir = require_lesson(course_dir, lesson)
    source = course_dir / "source" / lesson
    if not (source / f"{lesson}.ipynb").exists():
        raise CourseError(f"no source notebook for lesson {lesson!r} in {source}: "
                          f"run `backprop-course course init {course_dir} --lesson {lesson}`")
    out = course_dir / "release" / lesson
    if out.exists() and not force:
        raise CourseError(f"{lesson} was released before ({out} exists): rerun with --force to replace it "
                          "(students who already have it keep their copy)")
    secret = secret_lines(course_dir, lesson)
    found = leaks_in_folder(source / LIBRARY, secret)
    if not found:
        student_library = {path.name: path.read_text() for path in sorted((source / LIBRARY).glob("*.py"))}
        broken = release_check.problems(nbformat.read(source / f"{lesson}.ipynb", as_version=4),
                                        library_files(), student_library, LIBRARY)
        if broken:
            more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
            raise CourseError(f"{lesson} not released: {broken[0]}{more}; fix "
                              f"{(source / f'{lesson}.ipynb').relative_to(course_dir)} and release again")
        result = nbgrader_api(course_dir).generate_assignment(lesson, force=True)
        if not result["success"]:
            last = (result.get("error") or result.get("log") or "no log").strip().splitlines()[-1]
            raise CourseError(f"nbgrader generate_assignment {lesson} failed: {last}")
        found = leaks_in_folder(out, secret)
    if found:
        path, text = found[0]
        raise CourseError(f"release of {lesson} leaks solution or hidden-test text in "
                          f"{path.relative_to(course_dir)}: {text!r}; nothing may be handed out "
                          f"(run `backprop-course course init {course_dir}` to rewrite source/)")
    return out


def cmd_course(args):
    if args.action == "init":
        lessons, backup = init_course(args.dir, args.lesson or None, course_id=args.course_id, force=args.force)
        course_id = load_config(Path(args.dir).resolve()).CourseDirectory.course_id
        print(f"course {course_id!r} in {Path(args.dir).resolve()}: source/ for {', '.join(lessons)}")
        if backup:
            print(f"edited files backed up to {backup} before they were rewritten")
        print(f"next: backprop-course release LESSON --course {args.dir}")
    return 0


def cmd_release(args):
    out = release(args.course, args.lesson, force=args.force)
    print(f"released {args.lesson} to {out} (ran with the reference: every test passes, none passes "
          "on the starting files; no solution or hidden-test text found in it)")
    return 0


def add_course(subparsers):
    parser = subparsers.add_parser(
        "course", help="create an nbgrader course directory",
        description="course init DIR: an nbgrader course with a hardened config and every lesson's source.")
    parser.add_argument("action", choices=["init"])
    parser.add_argument("dir", help="the course directory (created if missing)")
    parser.add_argument("--lesson", action="append",
                        help="only this lesson (repeatable); default: every lesson in solutions/")
    parser.add_argument("--course-id", help="the course id nbgrader's exchange uses (release_assignment, "
                        "fetch_assignment, submit, collect); default: the config's, else the folder's name")
    parser.add_argument("--force", action="store_true",
                        help="rewrite files edited since course init wrote them (backed up to DIR/init-backups/ first)")
    parser.set_defaults(run=cmd_course)


def current_course():
    """The current folder when it is a course, else a CourseError asking for --course."""
    here = Path.cwd()
    if not (here / CONFIG_NAME).exists():
        raise CourseError(f"no --course given and {here} is not a course (no {CONFIG_NAME}): "
                          "pass --course DIR, or run in the course folder")
    return here


def add_lesson_command(subparsers, name, run, help, description):
    """A subcommand of the form ``NAME LESSON [--course DIR]``; returns its parser for more options.

    Before ``run``, the course and the lesson must exist (a typo gets the nearest lesson name)."""
    parser = subparsers.add_parser(name, help=help, description=description)
    parser.add_argument("lesson")
    parser.add_argument("--course", help="the course directory (default: the current folder, when it "
                        f"holds an {CONFIG_NAME})")

    def checked(args):
        args.course = args.course or current_course()
        require_lesson(args.course, args.lesson)
        return run(args)

    parser.set_defaults(run=checked)
    return parser


def add_release(subparsers):
    parser = add_lesson_command(
        subparsers, "release", cmd_release,
        help="run the lesson, then nbgrader generate_assignment plus a leak check",
        description="Release LESSON to DIR/release/LESSON: first the lesson runs (every test passes with "
                    "the reference, none on the starting files); fails if any solution or hidden test leaks.")
    parser.add_argument("--force", action="store_true", help="replace an existing release")
