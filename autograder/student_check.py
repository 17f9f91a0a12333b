"""``backprop-course check LESSON`` for students: run the lesson's visible checks, print a table.

The student's notebook (``lessons/<lesson>.ipynb``, or ``./<lesson>.ipynb`` when run inside an
nbgrader assignment folder, or ``--notebook PATH``) is executed in a fresh kernel with its own
folder as the working directory, so ``import backprop_lib`` finds the same library the notebook
does. Every code cell runs; each test cell only up to ``### BEGIN HIDDEN TESTS`` (the released
notebooks have nothing after it anyway). The notebook file is never written.

A failed test's reason is shown whole, wrapped between words to the terminal's width (a crash's
location, "(at layers.py, line 72)", stays on one line), and the misconceptions its checks named
follow it. A library file that does not compile is reported alone, once, and the command exits 1.
The last line always says "hidden tests: not run": a green local check is not a grade.
"""

import os
import re
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

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
    """One line: why a test cell failed, from its error output ('' when it passed)."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            # backprop_lib.checks errors render as one line ("check failed: ..."); others as ename: evalue.
            lines = [line for line in output.get("traceback", []) if line.strip()]
            if len(lines) == 1 and output.ename in ("CheckFailed", "NotImplementedYet"):
                return lines[0]
            return f"{output.ename}: {output.evalue}".strip().splitlines()[0]
    return ""


def _findings(cell):
    """The sentences the cell's failed checks printed after their rows (``backprop_course.check_rows``)."""
    printed = "".join(output.get("text", "") for output in cell.get("outputs", [])
                      if output.output_type == "stream" and output.get("name") == "stdout")
    rows = [check_rows.parse_row(line) for line in printed.splitlines()]
    return [f"{row.name}: {row.message}" for row in rows if row and row.kind]


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


def run_checks(path, timeout=120):
    """Execute the notebook's visible part; returns (library file, [(grade_id, points, reason,
    findings)]), findings being "check: sentence" for each failed check that names its mistake."""
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
    results = [(cell.metadata["nbgrader"]["grade_id"], cell.metadata["nbgrader"].get("points", 0),
                _reason(cell), _findings(cell)) for cell in tests]
    return probe or "backprop_lib could not be imported", results


def table(path, library, results, columns=None):
    """The report: a header naming the library folder, one row per test cell with its whole reason
    wrapped between words to ``columns`` (default: the terminal's width), the misconceptions under it."""
    width = max(columns or shutil.get_terminal_size().columns, NARROWEST)
    passed = sum(not reason for _, _, reason, _ in results)
    name_width = max([len("test")] + [len(grade_id) for grade_id, *_ in results])
    result_at = name_width + 10
    lines = [f"visible checks of {path.name} against {Path(library).parent}/"
             if library.endswith("__init__.py") else f"visible checks of {path.name}: {library}", "",
             f"{'test':<{name_width}} {'points':>6}  result"]
    for grade_id, points, reason, findings in results:
        lines.append(wrap(f"{grade_id:<{name_width}} {points:>6g}  {reason or 'passed'}", width, result_at))
        # the misconceptions in full, one sentence each, under the failed test
        lines += [wrap(" " * result_at + "- " + finding, width, result_at + 2) for finding in findings]
    lines += ["", f"public {passed}/{len(results)} passed - hidden tests: not run"]
    return "\n".join(lines)


def cmd_check(args):
    path = find_notebook(args.lesson, args.notebook)
    problem = library_problem(path)
    if problem:  # every check would fail on it: say it once
        print(f"{problem}\nfix it, then check again")
        return 1
    library, results = run_checks(path)
    print(table(path, library, results))
    sys.stdout.flush()
    return 0 if all(not reason for _, _, reason, _ in results) else 1


def add_check(subparsers):
    parser = subparsers.add_parser(
        "check", help="students: run a lesson's visible checks against your library",
        description="Run the lesson's visible checks (never the hidden tests) and print a table.")
    parser.add_argument("lesson", help="e.g. 02_linear_layer")
    parser.add_argument("--notebook", help="the notebook to check (default: ./LESSON.ipynb or lessons/LESSON.ipynb)")
    parser.set_defaults(run=cmd_check)
