"""Lesson 1's judge: the kernel-side ``run_graded_cases`` records hand answers and engines, the
grader's judge (``backprop_course.autograder.judge.lesson_1``) decides.

In-process tests make the records with the kernel's own code and a stand-in ``display``: the
model answers and the reference engine score full, the untouched notebook and skeleton score 0,
each planted bug of the misconception corpus loses exactly its task (and is named), and no
verdict shows a graded case's expected value. The slow tests grade whole notebooks in a kernel,
with verdict-rewriting attacks added to wrong answers and a wrong engine.
"""

import base64
import json
import re
import textwrap
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pytest

from backprop_course import check_rows, records
from backprop_course.autograder import judge
from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks import lesson_1
from helpers.checkout import ROOT, SOLUTIONS
from misconception_corpus.lessons_1_3 import BACKWARD, FORWARD, GRADIENTS, LOCAL

LABELS = [f"Lesson 1, task {k}" for k in (1, 2, 3, 4)]
LESSON_TEXT = (SOLUTIONS / "lessons" / "01_computation_graph.py").read_text()
GRAPH_TEXT = (SOLUTIONS / "backprop_lib" / "graph.py").read_text()
ANSWER_BLOCK = re.compile(r"\n    ### BEGIN SOLUTION\n(.*?)    ### END SOLUTION", re.S)


def answers(bugs=()):
    """The notebook's names after the model answers of tasks 1 and 2 ran, with ``bugs`` [(line,
    buggy line)] applied to their text."""
    text = "".join(ANSWER_BLOCK.findall(LESSON_TEXT)[:2])
    for line, bug in bugs:
        assert text.count(line) == 1, f"the model answers no longer hold {line!r}"
        text = text.replace(line, bug)
    names = {}
    exec(textwrap.dedent(text), {}, names)
    assert set(names) == set(lesson_1.FORWARD_NAMES + lesson_1.GRADIENT_NAMES)
    return names


def engine(text=GRAPH_TEXT, bugs=(), name="planted_graph"):
    """The ``Scalar`` class of a graph.py ``text`` with ``bugs`` applied, as its own module."""
    for line, bug in bugs:
        assert text.count(line) == 1, f"graph.py no longer holds {line!r}"
        text = text.replace(line, bug)
    module = types.ModuleType(name)
    exec(compile(text, f"/tmp/{name}/backprop_lib/graph.py", "exec"), module.__dict__)
    return module.Scalar


def outputs_of(label, given, monkeypatch):
    """The outputs ``run_graded_cases(label, given)`` leaves in a cell."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_1.run_graded_cases(label, given)
    return [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
            for bundle in shown]


def verdicts(names, Scalar, monkeypatch):
    """{label: Verdict} of all four tasks for hand answers ``names`` and the engine ``Scalar``."""
    given = {1: names, 2: names, 3: Scalar, 4: Scalar}
    return {label: judge.judge(label, outputs_of(label, given[k], monkeypatch))
            for k, label in enumerate(LABELS, 1)}


def test_every_task_has_a_judge():
    assert set(LABELS) <= set(judge.SPECS)
    source = LESSON_TEXT
    assert [judge.judged_task(line) for line in source.splitlines() if judge.judged_task(line)] == LABELS


def test_the_model_answers_and_the_reference_engine_pass(monkeypatch):
    for label, verdict in verdicts(answers(), reference("graph").Scalar, monkeypatch).items():
        assert verdict.passed, verdict.lines
        assert verdict.lines[-1] == f"  all checks of {label} (graded) passed"


def test_the_untouched_notebook_and_skeleton_score_nothing(monkeypatch):
    skeleton = engine((ROOT / "backprop_lib" / "graph.py").read_text(), name="skeleton_graph")
    found = verdicts(dict.fromkeys(lesson_1.FORWARD_NAMES + lesson_1.GRADIENT_NAMES), skeleton, monkeypatch)
    assert not any(verdict.passed for verdict in found.values())
    assert found["Lesson 1, task 1"].message.startswith("not implemented yet: Lesson 1, task 1: fill in a1, h1")
    assert found["Lesson 1, task 3"].message.startswith("not implemented yet: Lesson 1, task 3: local derivative")
    assert found["Lesson 1, task 4"].message == "not implemented yet: Lesson 1, task 4: the backward pass"


PLANTED = ([(1, key, bugs) for key, bugs in FORWARD] + [(2, key, bugs) for key, bugs in GRADIENTS]
           + [(3, key, bugs) for key, bugs in LOCAL] + [(4, key, bugs) for key, bugs in BACKWARD])


@pytest.mark.parametrize("task, key, bugs", PLANTED, ids=[f"task{task}-{key}" for task, key, _ in PLANTED])
def test_a_planted_bug_loses_exactly_its_task_and_is_named(task, key, bugs, monkeypatch):
    names = answers(bugs if task <= 2 else ())
    Scalar = engine(bugs=bugs if task >= 3 else ())
    found = verdicts(names, Scalar, monkeypatch)
    assert [label for label, verdict in found.items() if not verdict.passed] == [f"Lesson 1, task {task}"]
    named = {row.key for row in found[f"Lesson 1, task {task}"].rows if row.kind}
    assert key in named, found[f"Lesson 1, task {task}"].lines


def test_a_left_out_path_is_named_by_the_consistency_check(monkeypatch):
    """dL/dh1 without its path through h4 (and dL/dw1 built on it): the judge names the missing
    path, as the visible check does, and the task fails."""
    names = answers([("dL_dh1, dL_dh2 = -3.75, 1.5", "dL_dh1, dL_dh2 = -3.0, 1.5"),
                     ("dL_dw1, dL_dw2, dL_dw3, dL_dw4 = -7.5, 3.0, -3.0, -9.0",
                      "dL_dw1, dL_dw2, dL_dw3, dL_dw4 = -6.0, 3.0, -3.0, -9.0")])
    verdict = judge.judge("Lesson 1, task 2", outputs_of("Lesson 1, task 2", names, monkeypatch))
    assert not verdict.passed
    text = "\n".join(verdict.lines)
    assert "dL/dh1 = dL/dh3 w3 + dL/dh4 w5" in text
    assert "leaves out the path through h4" in text
    # dL/dw1 = dL/dh1 x is consistent with the student's own dL/dh1: its row passes
    assert not any(row.name.startswith("dL/dw1 =") and not row.ok for row in verdict.rows)


def test_task_2_uses_the_true_forward_values_when_task_1_is_left(monkeypatch):
    names = {**answers(), **dict.fromkeys(lesson_1.FORWARD_NAMES)}
    found = verdicts(names, reference("graph").Scalar, monkeypatch)
    assert found["Lesson 1, task 2"].passed, found["Lesson 1, task 2"].lines
    assert not found["Lesson 1, task 1"].passed


def test_answers_that_are_not_numbers_fail_their_task(monkeypatch):
    names = {**answers(), "h3": "0.25", "dL_dw8": [1.0, 2.0]}
    found = verdicts(names, reference("graph").Scalar, monkeypatch)
    assert not found["Lesson 1, task 1"].passed and not found["Lesson 1, task 2"].passed
    assert any("h3 is a str, not an array of numbers" in line for line in found["Lesson 1, task 1"].lines)


def expected_texts():
    """The graded cases' expected values as a verdict could show them: each number to 4 and 6
    significant digits (above 1e-3 and other than the small integers any message holds), and
    each case's values as float64 and float32 bytes in base64."""
    Scalar = reference("graph").Scalar
    nodes = lesson_1.network(Scalar, lesson_1.GIVEN_X, lesson_1.GIVEN_T, lesson_1.GIVEN_WEIGHTS)
    nodes["L"].backward()
    arrays = [np.array([nodes[name].value for name in lesson_1.FORWARD_NAMES]),
              np.array([nodes[name[4:]].grad for name in lesson_1.GRADIENT_NAMES])]
    arrays += [np.array(lesson_1.local_grads_table(Scalar, expression, points)).ravel()
               for _, expression, points, _ in lesson_1.LOCAL_CASES]
    graph = lesson_1.given_graph(Scalar, lesson_1.GRADED_GRAPH)
    graph["L"].backward()
    arrays.append(np.array([node.grad for node in graph.values()]))
    numbers = {f"{value:.{digits}g}" for array in arrays for value in array
               for digits in (4, 6) if abs(value) > 1e-3 and value not in (1.0, -1.0, 2.0, 3.0, 4.0)}
    encoded = {base64.b64encode(array.astype(dtype).tobytes()).decode()[:16]
               for array in arrays for dtype in (np.float64, np.float32) if array.size > 1}
    return numbers, encoded


def test_no_verdict_shows_an_expected_value(monkeypatch):
    numbers, encoded = expected_texts()
    wrong = {name: 0.5 for name in lesson_1.FORWARD_NAMES + lesson_1.GRADIENT_NAMES}
    zeros = engine(bugs=[("return (other.value, self.value)", "return (0.0, 0.0)"),
                         ("parent.grad += local * node.grad", "parent.grad += 0.0")], name="zeros_graph")
    # the inputs task 3's rows name ("a ** 0.5", "relu'(-2)") are not expected values
    named = {number for case, *_ in lesson_1.LOCAL_CASES for number in re.findall(r"-?\d+(?:\.\d+)?", case)}
    for verdict in verdicts(wrong, zeros, monkeypatch).values():
        assert not verdict.passed
        text = "\n".join(verdict.lines) + verdict.message + json.dumps([row.__dict__ for row in verdict.rows])
        found = set(re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)) & numbers
        found -= named if verdict.label == "Lesson 1, task 3" else set()
        assert not found, (verdict.label, sorted(found))
        assert not [chunk for chunk in encoded if chunk in text], verdict.label


def test_the_records_hold_the_students_results_only(monkeypatch):
    """What the kernel emits for a wrong engine: its own local derivatives, not the reference's."""
    swapped = engine(bugs=[("return (other.value, self.value)", "return (self.value, other.value)")],
                     name="swapped_graph")
    outputs = outputs_of("Lesson 1, task 3", swapped, monkeypatch)
    cases = outputs[0].data[records.MIME]["cases"]
    got = records.decode(cases["local derivatives of a * b"]["local grads"])
    assert np.array_equal(got, np.array(lesson_1.GRADED_POINTS))  # (a, b), where (b, a) is right


# ---- verdict-rewriting attacks, graded in a kernel -----------------------------------------------

from helpers.verdict_attacks import FORGE, GUARDS, MIME, SINK, SWALLOW, emit_twice  # noqa: E402  the attacks of lesson 2

L1 = "01_computation_graph"
ZERO_ANSWERS = ("    a1 = h1 = a2 = h2 = a3 = h3 = a4 = h4 = y = L = 0.0\n",
                "    dL_dy = dL_dh3 = dL_dh4 = dL_dh1 = dL_dh2 = 0.0\n"
                "    dL_dw1 = dL_dw2 = dL_dw3 = dL_dw4 = dL_dw5 = dL_dw6 = dL_dw7 = dL_dw8 = 0.0\n")
TWICE = emit_twice(1)
PRINTS = ('import json, IPython.display as _d\n'
          'print(json.dumps({"' + MIME + '": {"task": "Lesson 1, task 1", "cases": {}}}))\n'
          '_d.display({"' + MIME + '": {"task": "Lesson 1, task 1", "cases": {"the lesson\'s network": '
          '{"a1": {"missing": "NoneType"}}}}, "application/vnd.backprop-course.rows+json": '
          '{"task": "Lesson 1, task 1", "passed": True, "rows": []}, "text/plain": "ok"}, raw=True)\n')
# Answers that claim to equal anything (nbgrader issue 1379), and a recorder that records nothing.
LIAR = ("class _Liar(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__\n"
        "a1 = h1 = a2 = h2 = a3 = h3 = a4 = h4 = y = L = _Liar(0.0)\n")
SILENCE = "run_graded_cases = lambda *args, **kwargs: None\n"

# name: (the wrong submission, {"top": code appended to graph.py, "task1"/"task2": code after the answers})
ATTACKS = {
    "failures_sink": ("zeros", {"top": SINK}),
    "patched_guards_numpy": ("zeros", {"top": GUARDS}),
    "forged_records": ("zeros", {"top": FORGE}),
    "printed_records": ("zeros", {"task1": PRINTS}),
    "swallowed_exceptions": ("zeros", {"top": SWALLOW}),
    "sys_exit": ("zeros", {"task1": "import sys\nsys.exit(0)\n"}),
    "os_exit_mid_cell": ("partial", {"task2": "import os\nos._exit(0)\n"}),
    "record_twice": ("zeros", {"top": TWICE}),
    "answers_that_lie": ("zeros", {"task1": LIAR}),
    "recorder_silenced": ("zeros", {"task1": SILENCE}),
    "everything": ("partial", {"top": SINK + GUARDS + FORGE + SWALLOW + TWICE}),
}


def zero_engine(text):
    """graph.py with every local derivative 0 (of the right arity) and a backward pass that adds 0."""
    text = re.sub(r"(### BEGIN SOLUTION[^\n]*\n\s*)return \((.*),\)\n", r"\1return (0.0,)\n", text)
    text = re.sub(r"(### BEGIN SOLUTION[^\n]*\n\s*)return \((.*), (.*)\)\n", r"\1return (0.0, 0.0)\n", text)
    assert text.count("return (0.0") == 11
    return text.replace("parent.grad += local * node.grad", "parent.grad += 0.0")


def submission(tmp_path, name, wrong, attack=None):
    """The score nbgrader gives lesson 1 with ``wrong`` answers and engine ("zeros": all wrong;
    "partial": task 1 right, the rest wrong; "correct") and ``attack``, after the judge."""
    from nbclient.exceptions import DeadKernelError
    from nbgrader.utils import determine_grade
    from helpers.lesson_runs import execute, folder_with, graded_cells, judged, source

    attack = attack or {}
    (tmp_path / name).mkdir()
    folder = folder_with(tmp_path / name, "reference")
    graph = folder / "backprop_lib" / "graph.py"
    graph.write_text((graph.read_text() if wrong == "correct" else zero_engine(graph.read_text()))
                     + attack.get("top", ""))
    nb = source(L1)
    nb.cells = [cell for cell in nb.cells if "demo" not in cell.metadata.get("tags", [])]  # as grading skips them
    for k, cell in ((1, "task1-answers"), (2, "task2-answers")):
        [cell] = [c for c in nb.cells if c.id == cell]
        if wrong == "zeros" or (wrong == "partial" and k == 2):
            cell.source = re.sub(r"(### BEGIN SOLUTION\n).*?(\s*### END SOLUTION)",
                                 lambda m: m[1] + ZERO_ANSWERS[k - 1].rstrip() + m[2], cell.source, flags=re.S)
        cell.source += "\n" + attack.get(f"task{k}", "")
    try:
        execute(nb, folder, allow_errors=True)
    except DeadKernelError:
        pass  # the cells after the kill have no outputs: their records are missing
    nb = judged(nb)
    return sum(determine_grade(cell)[0] for cell in graded_cells(nb)), nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("l1-attacks")
    runs = [("correct", "correct", None), ("zeros", "zeros", None), ("partial", "partial", None),
            *((name, wrong, attack) for name, (wrong, attack) in ATTACKS.items())]
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda run: submission(tmp_path, *run), runs)
        return {run[0]: result for run, result in zip(runs, results)}


@pytest.mark.slow
def test_the_wrong_answers_and_engine_score_what_they_earn(graded):
    assert graded["correct"][0] == 11
    assert graded["zeros"][0] == 0
    assert graded["partial"][0] == 2  # task 1's points


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_answers(graded, name):
    wrong = ATTACKS[name][0]
    assert graded[name][0] <= graded[wrong][0], name


@pytest.mark.slow
def test_no_graded_output_holds_an_expected_value_or_a_record(graded):
    numbers, encoded = expected_texts()
    named = {number for case, *_ in lesson_1.LOCAL_CASES for number in re.findall(r"-?\d+(?:\.\d+)?", case)}
    for name, (_, nb) in graded.items():
        if name == "correct":
            continue  # its rows show its own (right) results
        for cell in nb.cells:
            if not cell.get("metadata", {}).get("nbgrader", {}).get("grade") or cell.cell_type != "code":
                continue
            assert MIME not in json.dumps(cell.outputs), (name, cell.id)
            # what the judge wrote: its rows and its failure (the visible check's rows are the
            # student's own visible case, computed from the student's code in the kernel)
            text = json.dumps([output for output in cell.outputs if check_rows.ROWS_MIME in output.get("data", {})
                               or output.get("ename") == "CheckFailed"])
            found = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)) & numbers
            found -= named if cell.id == "task3-check" else set()
            assert not found, (name, cell.id, sorted(found))
            assert not [chunk for chunk in encoded if chunk in text], (name, cell.id)


def test_no_expected_value_is_in_the_notebook_or_the_code_a_grading_kernel_imports():
    """The student notebook and the kernel-side modules of lesson 1 hold none of the graded cases'
    expected values (other than numbers that are also inputs, such as w2 = 1.5 or relu at -1.5)."""
    numbers, _ = expected_texts()
    given = {f"{value:g}" for value in (lesson_1.GIVEN_X, lesson_1.GIVEN_T, *lesson_1.GIVEN_WEIGHTS.values())}
    given |= {f"{value:g}" for point in lesson_1.GRADED_POINTS for value in point}
    given |= {"1.5", "-1.5", "-2", "0.5"}  # the points of task 3's visible check
    given |= {f"{local:g}" for parents in lesson_1.GRADED_GRAPH.values() for _, local in parents}
    from backprop_course.misconceptions import lesson_1 as catalogue
    from backprop_course import practice

    for path in (ROOT / "lessons" / f"{L1}.ipynb", Path(lesson_1.__file__), Path(catalogue.__file__),
                 Path(practice.__file__)):
        found = set(re.findall(r"-?\d+\.\d+", path.read_text())) & (numbers - given)
        assert not found, (path.name, sorted(found))
