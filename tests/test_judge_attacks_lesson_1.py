"""Verdict-rewriting attacks on lesson 1's hand answers and engine, graded end to end
(``helpers.attack_grading``: one autograde run of the whole class under each sandbox tier).

Each attack is a wrong submission (``zeros``: every hand answer 0 and an engine whose local
derivatives are all 0 and whose backward pass adds 0; ``partial``: task 1's answers right, the
rest the same) plus code in graph.py or after the answers that tries to rewrite the verdict in the
kernel, as for lesson 2, and answers that claim to equal anything, and a recorder silenced. Each
must score no more than its wrong submission alone, and no feedback holds a graded case's expected
value (``helpers.expected_texts.lesson_1``) that its visible check does not show.
"""

import re

import numpy as np
import pytest

from backprop_course.autograder.bug_planting import NOTEBOOK
from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks import lesson_1
from helpers import expected_texts
from helpers.attack_grading import (Submission, check_attack, check_feedback_shows_no_expected_value,
                                    check_no_record_kept, sample_class_per_tier, solution_regions)
from helpers.checkout import SOLUTIONS
from helpers.verdict_attacks import FORGE, GUARDS, SINK, SWALLOW, emit_twice, printed_records

LESSON = "01_computation_graph"
ZERO_ANSWERS = {1: "    a1 = h1 = a2 = h2 = a3 = h3 = a4 = h4 = y = L = 0.0\n",
                2: "    dL_dy = dL_dh3 = dL_dh4 = dL_dh1 = dL_dh2 = 0.0\n"
                   "    dL_dw1 = dL_dw2 = dL_dw3 = dL_dw4 = dL_dw5 = dL_dw6 = dL_dw7 = dL_dw8 = 0.0\n"}
TWICE = emit_twice(1)
PRINTS = printed_records("Lesson 1, task 1", "the lesson's network", "a1")
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


def zero_engine():
    """Changes of graph.py: every local derivative 0 (of the right arity), a backward pass that adds 0."""
    text = (SOLUTIONS / "backprop_lib" / "graph.py").read_text()
    returns = re.findall(r"### BEGIN SOLUTION[^\n]*\n(\s*return \(.*\)\n)", text)
    assert len(returns) == 11, "graph.py's local derivatives changed: update this test"
    zeros = [(line, re.sub(r"return \(.*\)", "return (0.0,)" if line.rstrip().endswith(",)")
                           else "return (0.0, 0.0)", line)) for line in returns]
    return zeros + [("parent.grad += local * node.grad", "parent.grad += 0.0")]


def submission(wrong, attack=None):
    """``wrong`` ("correct", "zeros" or "partial") with ``attack`` added."""
    attack = attack or {}
    if wrong == "correct":
        return Submission()
    answers = []
    for task in (1, 2):
        [region] = solution_regions(LESSON, f"task{task}-answers")  # the end of its cell
        zero = wrong == "zeros" or task == 2
        answers.append((region, (ZERO_ANSWERS[task] if zero else region) + attack.get(f"task{task}", "")))
    return Submission({"graph.py": zero_engine(), NOTEBOOK: answers}, {"graph.py": attack.get("top")})


graded = sample_class_per_tier(LESSON, submission, ATTACKS)


@pytest.mark.slow
def test_the_wrong_answers_and_engine_score_what_they_earn(graded):
    rows = graded.rows
    assert rows["correct"]["score"] == 11
    assert rows["zeros"]["score"] == 0
    assert rows["partial"]["score"] == 2  # task 1's points


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_answers(graded, name):
    check_attack(graded, name, ATTACKS[name][0])


def visible_check_numbers():
    """What task 3's visible check shows in every submission's feedback: the central differences
    of the student's own operations at the notebook's points (here the reference's division and
    powers: only the local derivatives are zeroed), to 4 and 6 significant digits. One of them,
    -0.375 = d(a / b) at a = 1.5, b = -2, is also a hand answer (dL/dw7)."""
    Scalar = reference("graph").Scalar
    return {f"{value:.{digits}g}" for _, expression, points, _ in lesson_1.LOCAL_CASES
            if points != lesson_1.GRADED_POINTS
            for value in np.ravel(lesson_1.local_grads_table(Scalar, expression, points)) for digits in (4, 6)}


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    numbers, encoded = expected_texts.lesson_1()
    check_feedback_shows_no_expected_value(graded, numbers - visible_check_numbers(), encoded)


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    check_no_record_kept(graded, LESSON)
