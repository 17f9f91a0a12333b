"""Lesson 1's judge: the kernel-side ``run_graded_cases`` records hand answers and engines, the
grader's judge (``backprop_course.autograder.judge.lesson_1``) decides.

In-process tests make the records with the kernel's own code and a stand-in ``display``: the
model answers and the reference engine score full, the untouched notebook and skeleton score 0,
each planted bug of the misconception corpus loses exactly its task (and is named), and no
verdict shows a graded case's expected value. Verdict-rewriting attacks on whole submissions,
graded end to end, are in test_judge_attacks_lesson_1.py.
"""

import json
import re
import textwrap
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

from backprop_course import records
from backprop_course.autograder import judge
from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks import lesson_1
from helpers import expected_texts
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


def test_no_verdict_shows_an_expected_value(monkeypatch):
    numbers, encoded = expected_texts.lesson_1()
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


def test_no_expected_value_is_in_the_notebook_or_the_code_a_grading_kernel_imports():
    """The student notebook and the kernel-side modules of lesson 1 hold none of the graded cases'
    expected values (other than numbers that are also inputs, such as w2 = 1.5 or relu at -1.5)."""
    numbers, _ = expected_texts.lesson_1()
    given = {f"{value:g}" for value in (lesson_1.GIVEN_X, lesson_1.GIVEN_T, *lesson_1.GIVEN_WEIGHTS.values())}
    given |= {f"{value:g}" for point in lesson_1.GRADED_POINTS for value in point}
    given |= {"1.5", "-1.5", "-2", "0.5"}  # the points of task 3's visible check
    given |= {f"{local:g}" for parents in lesson_1.GRADED_GRAPH.values() for _, local in parents}
    from backprop_course.misconceptions import lesson_1 as catalogue
    from backprop_course import practice

    for path in (ROOT / "lessons" / "01_computation_graph.ipynb", Path(lesson_1.__file__), Path(catalogue.__file__),
                 Path(practice.__file__)):
        found = set(re.findall(r"-?\d+\.\d+", path.read_text())) & (numbers - given)
        assert not found, (path.name, sorted(found))
