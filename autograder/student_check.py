"""``backprop-course check LESSON`` for students: run the lesson's visible checks, print a table.

The student's notebook (``lessons/<lesson>.ipynb``, or ``./<lesson>.ipynb`` when run inside an
nbgrader assignment folder, or ``--notebook PATH``) is executed in a fresh kernel with its own
folder as the working directory, so ``import backprop_lib`` finds the same library the notebook
does. Every code cell runs; each test cell only up to ``### BEGIN HIDDEN TESTS`` (the released
notebooks have nothing after it anyway). The notebook file is never written.

A task the grader judges (its test cell hands it to ``run_graded_cases``) is judged the way the
grader does: the kernel only emits its records, and the grader's judge (``autograder.judge``)
decides in this process, when the reference library is installed (a student kit has none: then
the table says those cases are judged when handed in). Rows are read as data (``check_rows.ROWS_MIME``,
the judge's verdicts), never parsed from printed text.

A failed test's reason is shown whole, wrapped between words to the terminal's width (a crash's
location, "(at layers.py, line 72)", stays on one line), and the misconceptions its checks named
follow it. A library file that does not compile is reported alone, once, and the command exits 1.
The last line says what the verdicts cover: hidden tests not judged here are "not run", so a
green local check is a grade only for the judged tasks.
"""

import os
import re
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import NamedTuple

import nbformat

from backprop_course import check_rows, content

from . import nbgrader_course, solution_markers

# Where a crash happened, as ``backprop_course.checks.crash_report`` ends its line: never split.
LOCATION = re.compile(r"\((?:at|in the course's) [^()]*, line \d+[^()]*\)$")
# Lines are wrapped between words to the terminal's width ($COLUMNS), but never narrower than this.
NARROWEST = 72
PROBE = "import backprop_lib as _probe_lib\nprint(_probe_lib.__file__)\ndel _probe_lib"


def find_notebook(lesson, notebook=None):
    """The notebook to check: --notebook, else ./<lesson>.ipynb (an assignment folder), else
    ./lessons/<lesson>.ipynb (a student kit), else the repo's lessons/."""
    candidates = [Path(f"{lesson}.ipynb"), Path("lessons") / f"{lesson}.ipynb"]
    if notebook:
        path = Path(notebook)
    else:
        path = next((path for path in candidates if path.exists()), content.folder("lessons") / f"{lesson}.ipynb")
    if not path.exists():
        known = [path.stem for path in sorted(content.folder("lessons").glob("*.ipynb"))]
        raise nbgrader_course.CourseError(f"no notebook {path}: {nbgrader_course.lesson_hint(lesson, known)} "
                                        "(or pass --notebook PATH)")
    return path.resolve()


def visible_part(source):
    """A test cell's code before its hidden tests."""
    return source.split(f"### {solution_markers.HIDDEN}", 1)[0].rstrip() + "\n"


def _reason(cell):
    """One line: why a test cell failed in its kernel, from its error output ('' when it passed)."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            # backprop_lib.checks errors render as one line ("check failed: ..."); others as ename: evalue.
            lines = [line for line in output.get("traceback", []) if line.strip()]
            if len(lines) == 1 and output.ename in ("CheckFailed", "NotImplementedYet"):
                return lines[0]
            return f"{output.ename}: {output.evalue}".strip().splitlines()[0]
    return ""


def _findings(rows):
    """"check: sentence" of each failed row that names its mistake, once each."""
    return list(dict.fromkeys(f"{row.name}: {row.message}" for row in rows if not row.ok and row.kind))


def kernel_rows(cell):
    """The rows the cell's checks showed, read as data (``check_rows.ROWS_MIME``), never from text."""
    return [row for output in cell.get("outputs", []) for _, _, rows in check_rows.rows_of(output) for row in rows]


def result_of(cell):
    """The Result of one executed test cell. A task the grader judges (``judge.judged_task``) is
    judged here as the grader does, from the records the kernel emitted, in this process: its
    verdict decides the cell, and a visible check that failed in the kernel is named beside it.
    Without the reference library (a student kit), that task is judged when it is handed in."""
    from .judge import judge, judged_task
    from .judge.reference import ReferenceMissing

    meta = cell.metadata["nbgrader"]
    kernel_reason, rows = _reason(cell), kernel_rows(cell)
    label = judged_task(cell.source)
    if label is None:
        return Result(meta["grade_id"], meta.get("points", 0), kernel_reason, _findings(rows), "")
    try:
        verdict = judge(label, cell.outputs)
    except ReferenceMissing:
        return Result(meta["grade_id"], meta.get("points", 0), kernel_reason, _findings(rows), "hand-in")
    findings = _findings(verdict.rows + rows)
    if verdict.passed and kernel_reason:
        findings.append(f"visible check: {kernel_reason}")
    reason = "" if verdict.passed else f"check failed: {verdict.message}"
    return Result(meta["grade_id"], meta.get("points", 0), reason, findings, "judged")


def wrap(text, width, indent):
    """text in lines of at most width characters (a longer word stays whole), broken between words,
    every line after the first indented by ``indent`` spaces; a crash location is never broken."""
    location = LOCATION.search(text)
    if location:  # one unbreakable word
        text = text[:location.start()] + location[0].replace(" ", "\0")
    lines = textwrap.wrap(text, width, subsequent_indent=" " * indent, break_long_words=False,
                          break_on_hyphens=False) or [""]
    return "\n".join(line.replace("\0", " ") for line in lines)


def library_problem(notebook):
    """The one line saying which file of the notebook's library does not compile, or ""."""
    from backprop_course.lesson import LibraryNotFound, library_root
    from backprop_course.live_reload import load_error

    try:
        root = library_root(notebook.parent)
    except LibraryNotFound:
        return ""  # the run says so: backprop_lib could not be imported
    for source in sorted((root / "backprop_lib").glob("*.py")):
        try:
            compile(source.read_bytes(), str(source), "exec")
        except (SyntaxError, ValueError) as err:
            return load_error(err, source)
    return ""


class Result(NamedTuple):
    """One test cell's line of the table. reason: why it failed ("" when it passed); findings:
    "check: sentence" for each failed check that names its mistake; judged: "judged" (its task's
    graded cases were judged here as the grader does), "hand-in" (they are judged when handed in:
    no reference library here) or "" (a cell whose hidden tests are not run here)."""

    grade_id: str
    points: float
    reason: str
    findings: list
    judged: str = ""


def run_checks(path, timeout=120):
    """Execute the notebook's visible part in a kernel, then judge its judged tasks in this
    process; returns (library file, [Result])."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    nb = nbformat.read(path, as_version=4)
    tests = []
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("grade"):
            cell.source = visible_part(cell.source)
            tests.append(cell)
    if not tests:
        raise nbgrader_course.CourseError(f"{path} has no test cells: is it a lesson notebook?")
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    # A PYTHONPATH entry comes before the notebook's folder in the kernel's sys.path and would
    # check another backprop_lib than the one beside the notebook (JupyterLab has no PYTHONPATH).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # The kernel talks to us over local sockets in a private folder rather than TCP: nothing to
    # eavesdrop on, and ipykernel's "running over TCP without encryption" warning stays away.
    with tempfile.TemporaryDirectory(prefix="backprop-check-") as sockets:
        local = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3", config=local,
                                resources={"metadata": {"path": str(path.parent)}},
                                extra_arguments=["--InteractiveShell.xmode=Minimal"])
        client.execute(env=env)
    probe = "".join(output.get("text", "") for output in nb.cells[-1].outputs).strip()
    return probe or "backprop_lib could not be imported", [result_of(cell) for cell in tests]


def table(path, library, results, columns=None):
    """The report: a header naming the library folder, one row per test cell with its whole reason
    wrapped between words to ``columns`` (default: the terminal's width), the misconceptions under it."""
    width = max(columns or shutil.get_terminal_size().columns, NARROWEST)
    passed = sum(not result.reason for result in results)
    name_width = max([len("test")] + [len(result.grade_id) for result in results])
    result_at = name_width + 10
    lines = [f"visible checks of {path.name} against {Path(library).parent}/"
             if library.endswith("__init__.py") else f"visible checks of {path.name}: {library}", "",
             f"{'test':<{name_width}} {'points':>6}  result"]
    for grade_id, points, reason, findings, _ in results:
        lines.append(wrap(f"{grade_id:<{name_width}} {points:>6g}  {reason or 'passed'}", width, result_at))
        # the misconceptions in full, one sentence each, under the failed test
        lines += [wrap(" " * result_at + "- " + finding, width, result_at + 2) for finding in findings]
    lines += ["", f"{passed}/{len(results)} passed - {scope(results)}"]
    return "\n".join(lines)


def scope(results):
    """What the table's verdicts cover: a green local check is a grade only where the grader's judge ran."""
    judged = sum(result.judged == "judged" for result in results)
    later = sum(result.judged == "hand-in" for result in results)
    others = len(results) - judged - later
    parts = ([f"graded cases of {judged} test(s) judged as the grader judges them"] if judged else []) \
        + ([f"graded cases of {later} test(s) judged when you hand in"] if later else []) \
        + ([f"hidden tests of {others if judged or later else 'the'} other test(s): not run"
            if judged or later else "hidden tests: not run"] if others else [])
    return "; ".join(parts)


def cmd_check(args):
    path = find_notebook(args.lesson, args.notebook)
    problem = library_problem(path)
    if problem:  # every check would fail on it: say it once
        print(f"{problem}\nfix it, then check again")
        return 1
    library, results = run_checks(path)
    print(table(path, library, results))
    sys.stdout.flush()
    return 0 if all(not result.reason for result in results) else 1


def add_check(subparsers):
    parser = subparsers.add_parser(
        "check", help="students: run a lesson's checks against your library, judged tasks as the grader judges them",
        description="Run the lesson's visible checks (never the hidden tests), judge the tasks the grader "
                    "judges as it does (with the reference library installed), and print a table.")
    parser.add_argument("lesson", help="e.g. 02_linear_layer")
    parser.add_argument("--notebook", help="the notebook to check (default: ./LESSON.ipynb or lessons/LESSON.ipynb)")
    parser.set_defaults(run=cmd_check)
