"""The lessons as products: every source notebook in solutions/ and its student version in lessons/.

Generic over ALL solutions/*.ipynb (a new lesson is picked up without editing this file):
- the source notebook runs top to bottom against the reference library (times printed);
- ``nbgrader validate`` passes on the source and fails on the student notebook;
- the student notebook, run with the untouched skeleton, finishes and reports every unfinished
  task as "not implemented yet: Lesson k, task j";
- every hidden test fails on the untouched skeleton (with a real failure, not a NameError);
- no student-facing file contains solution or hidden-test text; the build is byte-reproducible;
  every source notebook is generated from its lesson text, and a last-bit change of any value a
  build cell computes leaves the notebook unchanged.
Then, for lessons 1-3, planted bugs run against the hidden tests alone: each fails exactly its own
task's graded cell, with a diagnosis naming what is wrong (test_lessons_456.py plants bugs in all
six lessons and runs the whole notebook, visible checks included).

Every notebook runs in a temporary folder beside the library it needs (the source run uses
solutions/ itself, read only), so these tests can run in parallel.
"""

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from backprop_course.autograder import build as build_module
from conftest import ROOT, SOLUTIONS

SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))
NAMES = [path.stem for path in SOURCES]
CELL_TIMEOUT = 60        # seconds per cell: a stuck cell fails the test instead of hanging it
SANITY_CEILING = 60      # seconds per notebook; the target is 20 s, printed, not asserted
TASK_CALL = re.compile(r'task\("(Lesson \d+, task \d+)"\)')
TOTAL_ROW = re.compile(r"\*\*total\*\*.*?\*\*(\d+(?:\.\d+)?)\*\*")
HIDDEN_BEGIN, HIDDEN_END = f"### {build_module.HIDDEN}", f"### {build_module.HIDDEN_END}"
NOT_A_REAL_FAILURE = {"NameError", "SyntaxError", "ImportError", "ModuleNotFoundError",
                      "IndentationError"}

pytestmark = pytest.mark.slow


def execute(nb, folder, allow_errors=False):
    """Run ``nb`` (in place) with ``folder`` as the working directory; returns the seconds taken.
    The kernel talks over local sockets in a private folder: TCP ports picked by many kernels
    starting at once on a shared machine collided ("Address already in use", kernel died)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lesson-kernel-") as sockets:
        local = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
        NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=allow_errors, config=local,
                       resources={"metadata": {"path": str(folder)}}).execute()
    return time.perf_counter() - start


def student_files():
    """{relative path: text} of the untouched student files, as the build would write them now."""
    return {path.relative_to(ROOT): text for path, (_, text, _) in build_module.targets(ROOT).items()}


def folder_with(tmp_path, library, notebooks=()):
    """A working folder holding backprop_lib/ (``library`` is "reference" or "skeleton") and the
    given {name: notebook} as files; returns its path."""
    folder = tmp_path / library
    folder.mkdir()
    if library == "reference":
        shutil.copytree(SOLUTIONS / "backprop_lib", folder / "backprop_lib",
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        for relative, text in student_files().items():
            if relative.parts[0] == "backprop_lib":
                (folder / relative).parent.mkdir(exist_ok=True)
                (folder / relative).write_text(text)
    for name, nb in dict(notebooks).items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def source(name):
    return nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)


def student(name):
    """The student notebook exactly as the build writes it (not the possibly stale lessons/ file)."""
    return nbformat.reads(student_files()[Path("lessons") / f"{name}.ipynb"], as_version=4)


def graded_cells(nb):
    return [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
            and cell.cell_type == "code"]


def hidden_part(text):
    return text.split(HIDDEN_BEGIN, 1)[1].split(HIDDEN_END, 1)[0]


def judged_line(text):
    """The line of a test cell that hands its task to the grader's judge, or None."""
    from backprop_course.autograder import judge

    return next((line for line in text.splitlines() if judge.judged_task(line)), None)


def hidden_only(nb, clear_solutions):
    """``nb`` with every graded cell reduced to its hidden tests, or for a judged task to the line
    running its graded cases (cells with neither are dropped), and with solutions cleared as the
    release does when ``clear_solutions``. Run ``judged`` on it after executing it."""
    from nbgrader.preprocessors import ClearSolutions

    nb = nbformat.from_dict(nb)
    if clear_solutions:
        nb, _ = ClearSolutions().preprocess(nb, {})
    graded = {cell.id for cell in graded_cells(nb)}
    kept = []
    for cell in nb.cells:
        if cell.id in graded:
            if judged_line(cell.source):
                cell.source = judged_line(cell.source)
            elif HIDDEN_BEGIN not in cell.source:
                continue
            else:
                cell.source = hidden_part(cell.source)
        kept.append(cell)
    nb.cells = kept
    return nb


def judged(nb):
    """``nb`` after the grader's judge (as after execution when grading): judged cells get their verdicts."""
    from backprop_course.autograder.grading.preprocessors import JudgeChecks

    return JudgeChecks().preprocess(nb, {})[0]


def errors_by_cell(nb):
    """{cell id: (ename, evalue, text of all outputs)} for cells whose run raised."""
    failed = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if errors:
            failed[cell.id] = (errors[0].ename, errors[0].evalue, outputs_text(cell))
    return failed


def outputs_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "display_data":
            parts.append(out.data.get("text/plain", "") + "\n")
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}\n" + "\n".join(out.traceback))
    return "".join(parts)


# ---- the source notebooks, with the reference --------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_source_notebook_runs_with_the_reference(name):
    nb = source(name)
    try:
        seconds = execute(nb, SOLUTIONS)
    except CellExecutionError as err:
        pytest.fail(f"solutions/{name}.ipynb fails with the reference library: {str(err)[-2000:]}")
    print(f"solutions/{name}.ipynb ran in {seconds:.1f} s (target 20 s)")
    assert seconds < SANITY_CEILING, f"{name} took {seconds:.0f} s; the lessons must run in about 20 s"
    for cell in graded_cells(judged(nb)):
        assert "all checks of" in outputs_text(cell), f"{name}: graded cell {cell.id} ran no checks"
        if judged_line(cell.source):
            assert outputs_text(cell).count("all checks of") == 2, f"{name}: {cell.id} failed its judge"


@pytest.fixture(scope="module")
def validations(tmp_path_factory):
    """{(name, "source" | "student"): nbgrader's validation result} for every lesson."""
    from nbgrader.validator import Validator

    results = {}
    for kind, library, load in (("source", "reference", source), ("student", "skeleton", student)):
        folder = folder_with(tmp_path_factory.mktemp(kind), library, {name: load(name) for name in NAMES})
        for name in NAMES:
            results[name, kind] = Validator().validate(str(folder / f"{name}.ipynb"))
    return results


@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_validate_passes_on_source_and_fails_on_student(name, validations):
    assert validations[name, "source"] == {}, \
        f"nbgrader validate fails on solutions/{name}.ipynb: {validations[name, 'source']}"
    assert validations[name, "student"].get("failed"), \
        f"nbgrader validate passes on the untouched student notebook {name}: hidden tests too weak?"


@pytest.mark.parametrize("name", NAMES)
def test_points_table_at_the_top_matches_the_graded_cells(name):
    nb = source(name)
    total = sum(cell.metadata["nbgrader"].get("points", 0) for cell in nb.cells
                if cell.metadata.get("nbgrader", {}).get("grade"))
    tables = [TOTAL_ROW.search(cell.source) for cell in nb.cells[:3] if cell.cell_type == "markdown"]
    found = [float(match[1]) for match in tables if match]
    assert found, f"{name}: no points table with a '**total** ... **N**' row in its first three cells"
    assert found[0] == total, f"{name}: the points table says {found[0]:g}, the graded cells add up to {total:g}"


@pytest.mark.parametrize("name", NAMES)
def test_every_lesson_names_its_graded_cells_in_one_scheme(name):
    """Graded code cells are `task<j>-<what>` in every lesson, so a grade id reads the same in the report,
    the feedback and `check`, whichever lesson it comes from."""
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in graded_cells(source(name))]
    assert ids, f"{name}: no graded cells"
    strays = [grade_id for grade_id in ids if not re.fullmatch(r"task\d+-[a-z0-9]+(-[a-z0-9]+)*", grade_id)]
    assert not strays, f"{name}: graded cells outside the task<j>-<what> scheme: {strays}"


# ---- the student notebooks, with the untouched skeleton -----------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_reports_every_unfinished_task(name, tmp_path):
    nb = student(name)
    folder = folder_with(tmp_path, "skeleton")
    seconds = execute(nb, folder, allow_errors=True)   # a dead kernel or a stuck cell raises here
    print(f"lessons/{name}.ipynb ran with the skeleton in {seconds:.1f} s")
    text = "".join(outputs_text(cell) for cell in nb.cells if cell.cell_type == "code")
    tasks = sorted({label for cell in graded_cells(source(name)) for label in TASK_CALL.findall(cell.source)})
    assert tasks, f"{name}: no check cell calls task(\"Lesson k, task j\")"
    missing = [label for label in tasks if f"not implemented yet: {label}" not in text]
    assert not missing, f"{name}: no 'not implemented yet' line for {missing}"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error" and out.ename not in ("NotImplementedError",):
                # Checks report one line; only an answer cell's nbgrader stub may show a traceback.
                assert len(out.traceback) == 1, f"{name}, cell {cell.id}: a traceback:\n{outputs_text(cell)}"


@pytest.mark.parametrize("name", NAMES)
def test_every_hidden_test_fails_on_the_skeleton(name, tmp_path):
    nb = hidden_only(source(name), clear_solutions=True)
    hidden_ids = [cell.id for cell in graded_cells(nb)]
    assert hidden_ids, f"{name} has no hidden tests"
    execute(nb, folder_with(tmp_path, "skeleton"), allow_errors=True)
    failed = errors_by_cell(judged(nb))
    passing = [cell_id for cell_id in hidden_ids if cell_id not in failed]
    assert not passing, f"{name}: hidden tests pass on the untouched skeleton: {passing}"
    broken = {cell_id: failed[cell_id][:2] for cell_id in hidden_ids if failed[cell_id][0] in NOT_A_REAL_FAILURE}
    assert not broken, f"{name}: hidden tests that are not self-contained: {broken}"


# ---- what students receive ----------------------------------------------------------------------

def test_no_student_file_contains_solution_or_hidden_test_text():
    for path, (origin, text, secret) in build_module.targets(ROOT).items():
        if secret is None:  # an instructor's source notebook: it holds the solutions by design
            continue
        assert not build_module.leaks(text, secret), f"{path.relative_to(ROOT)} would leak {origin.name}"
        if path.exists():  # the files in the working tree, too
            found = build_module.leaks(path.read_text(), secret)
            assert not found, f"{path.relative_to(ROOT)} contains solution text: {found[0]!r}"


def test_rebuilding_twice_gives_byte_identical_files(tmp_path):
    shutil.copytree(SOLUTIONS, tmp_path / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    build_module.build(tmp_path)
    first = {path: path.read_bytes() for path in sorted(tmp_path.glob("lessons/*.ipynb"))
             + sorted(tmp_path.glob("backprop_lib/*.py"))}
    assert build_module.build(tmp_path) == [], "a second build found stale files"
    second = {path: path.read_bytes() for path in first}
    assert first == second
    assert {path.name for path in tmp_path.glob("lessons/*.ipynb")} == {f"{name}.ipynb" for name in NAMES}


def test_drift_tolerates_rounding_noise_and_nothing_else():
    drift = build_module.drift
    assert drift('x = [2.16475572947, 0.0]', 'x = [2.16475572946, 1e-17]') is None
    assert drift('x = [2.16475572947]', 'x = [2.16475572917]') == "number differs: 2.16475572947 vs 2.16475572917"
    assert drift('bar=1e-10', 'bar=1e-12') == "number differs: 1e-10 vs 1e-12"
    assert drift('task("Lesson 2, task 1")', 'task("Lesson 2, task 3")') == "number differs: 1 vs 3"
    assert drift('check.close(a)', 'check.true(a)').startswith("text differs")


def test_every_source_notebook_is_generated_from_a_lesson_text():
    texts = sorted(path.stem for path in (SOLUTIONS / "lessons").glob("*.py"))
    assert texts == sorted(path.stem for path in SOURCES), \
        "every solutions/NN_name.ipynb comes from solutions/lessons/NN_name.py (run `backprop-course build`)"
    assert not (SOLUTIONS / "authoring").exists(), "lessons are authored as text only"


def render_all(monkeypatch=None, ulps=0):
    """{lesson: notebook text} from every lesson text; with ulps, every float moves that many ulps
    before it is rounded (another CPU's last bit)."""
    from backprop_course.autograder import lesson_source

    if ulps:
        rounding = lesson_source.significant
        monkeypatch.setattr(lesson_source, "significant",
                            lambda x: rounding(float(np.nextafter(x, np.copysign(np.inf, ulps) * x)) if x else x))
    return {path.stem: nbformat.writes(lesson_source.read_lesson(path, SOLUTIONS))
            for path in sorted((SOLUTIONS / "lessons").glob("*.py"))}


@pytest.mark.parametrize("ulps", [1, -1])
def test_a_last_bit_change_in_any_computed_value_leaves_the_notebooks_unchanged(monkeypatch, ulps):
    """Another CPU's last bit: every float a build cell computes, one ulp away, gives the same text."""
    plain = render_all()
    assert render_all(monkeypatch, ulps) == plain


def test_every_float_in_the_source_notebooks_has_at_most_12_significant_digits():
    """A float embedded without the build's rounding (e.g. a repr) shows its full 16-17 digits."""
    for path in SOURCES:
        for cell in source(path.stem).cells:
            for number in build_module.NUMBER.findall(cell.source):
                digits = number.lower().split("e")[0].lstrip("+-").replace(".", "").lstrip("0")
                assert len(digits) <= 12, f"{path.name}, cell {cell.id}: {number} is not rounded"


# ---- planted bugs in lessons 1-3: partial credit and diagnosis ----------------------------------

MUTANTS = [  # (lesson, library file, solution line, buggy line, the graded cell that must fail, diagnosis)
    ("01_computation_graph", "graph.py", "parent.grad += local * node.grad",
     "parent.grad = local * node.grad", "task4-check", "which flowed into it"),
    ("01_computation_graph", "graph.py", "return (other.value, self.value)",
     "return (self.value, other.value)", "task3-check", "local derivatives of a * b"),
    ("02_linear_layer", "layers.py", 'self.grads["b"] = grad_out.sum(axis=0)',
     'self.grads["b"] = grad_out.mean(axis=0)', "task2-check",
     "dL/db is wrong (rel error"),
    ("02_linear_layer", "layers.py", 'return grad_out @ self.params["W"].T',
     "return np.zeros_like(self.cache)", "task3-check", "dL/dx is wrong"),
    ("03_activations", "layers.py", "return np.where(x >= 0, 1, e) / (1 + e)",
     "return 1 / (1 + np.exp(-x))", "task2-check", "overflows"),
    ("03_activations", "layers.py", "return (out > 0).astype(out.dtype)",
     "return (out >= 0).astype(out.dtype)", "task1-check", "relu_derivative(out) is wrong"),
]


@pytest.mark.parametrize("lesson, module, line, bug, cell_id, diagnosis", MUTANTS,
                         ids=[f"{m[0][:2]}-{m[4]}-{m[3][:24]}" for m in MUTANTS])
def test_a_planted_bug_fails_only_its_task_with_a_diagnosis(lesson, module, line, bug, cell_id,
                                                             diagnosis, tmp_path):
    if lesson not in NAMES:
        pytest.skip(f"{lesson} not authored")
    folder = folder_with(tmp_path, "reference")
    path = folder / "backprop_lib" / module
    text = path.read_text()
    assert text.count(line) == 1, f"the reference {module} no longer has the line {line!r}"
    path.write_text(text.replace(line, bug))
    nb = hidden_only(source(lesson), clear_solutions=False)
    execute(nb, folder, allow_errors=True)
    nb = judged(nb)
    graded = {cell.id for cell in graded_cells(nb)}
    failed = {cell: error for cell, error in errors_by_cell(nb).items() if cell in graded}
    assert set(failed) == {cell_id}, f"the bug {bug!r} should fail only {cell_id}; failed: {sorted(failed)}"
    assert diagnosis in failed[cell_id][2], f"no diagnosis {diagnosis!r} in:\n{failed[cell_id][2]}"


def test_diagnose_names_the_first_wrong_stage_and_what_flowed_into_it():
    from backprop_course.checks import diagnose
    stages = [("a1", 1.0, 1.0, "x and w1 (given)"), ("h1", 1.0, 1.0, "a1"),
              ("a3", 0.5, 0.25, "h1 and h2"), ("h3", 0.5, 0.25, "a3")]
    assert diagnose(stages, bar=1e-3) == \
        "a3 is wrong (rel error 3.3e-01); h1 and h2, which flowed into it, are right"
    assert diagnose([("dL/dy", -1.5, -1.5, ""), ("dL/dW", [1.0, 2.0], [1.0, 2.0]), ("dL/db", 1.0, 2.0)]) == \
        "dL/db is wrong (rel error 3.3e-01); dL/dW, which flowed into it, is right"
    assert diagnose([("dL/dy", None, -1.5)]) == "dL/dy is missing (still None)"
    assert diagnose([("dL/dW", [1.0], [[1.0]])]) == "dL/dW has shape (1,), expected (1, 1)"
    assert diagnose(stages[:2]) is None


# ---- who raised: the student's code or the course's ---------------------------------------------

def test_a_crash_is_blamed_on_the_file_that_raised_it():
    """An error raised in an editable file is the student's; one raised in course code (here the
    gradient check, fed a gradient of the wrong shape) is reported as the check's, with its cause."""
    from backprop_course import checks, gradcheck
    from conftest import reference_module

    layers = reference_module("layers")
    with pytest.raises(checks.CheckFailed) as student:
        with checks.task("T"):
            layers.Linear(3, 2).forward(np.ones((2, 4)))
    assert re.fullmatch(r"T: your code raised ValueError: Linear.forward expects shape \(N, 3\), got \(2, 4\) "
                        r"\(at layers.py, line \d+\)", str(student.value)), str(student.value)

    layer = layers.Linear(3, 2, rng=0)
    backward = layer.param_backward

    def transposed(grad_out):  # the student's bug: dW as G^T x
        backward(grad_out)
        layer.grads["W"] = layer.grads["W"].T

    layer.param_backward = transposed
    with pytest.raises(checks.CheckFailed) as course:
        with checks.task("T") as check:
            check.gradients(gradcheck.check_layer(layer, np.ones((4, 3))))
    message = str(course.value)
    assert "your code raised" not in message, message
    assert re.fullmatch(r"T: the check itself stopped with ValueError: the gradient for W has shape \(2, 3\), "
                        r"but W has shape \(3, 2\) \(in the course's gradcheck.py, line \d+\)", message), message


@pytest.mark.parametrize("name", NAMES)
def test_check_cells_are_a_few_lines_that_say_what_is_checked(name):
    """A graded cell's visible part: at most 12 non-blank lines and no helper defined in front of the
    student (fixtures and comparisons live in backprop_course/tasks/)."""
    for cell in student(name).cells:
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        # the line handing the task's graded cases to the judge is not a check to read
        lines = [line for line in cell.source.splitlines() if line.strip() and not judged_line(line)]
        assert len(lines) <= 12, f"{name}, cell {cell.id}: {len(lines)} visible lines"
        defined = [line for line in lines if re.match(r"\s*(def|class|async def)\s", line) or "lambda" in line]
        assert not defined, f"{name}, cell {cell.id} defines a helper: {defined[0].strip()}"
