"""Verdict-rewriting attacks on the judged lesson 2, graded end to end (``helpers.attack_grading``:
one autograde run of the whole class under each sandbox tier).

Each attack is wrong code (``WRONG``: zeros everywhere, or task 1 right and the rest zeros) plus
code that tries to rewrite the verdict in the kernel: sinking the checks' failures, patching
numpy, builtins and the canary guard, forging and printing records, swallowing exceptions,
``sys.exit``, ``os._exit`` in the middle of a cell, emitting a record twice. The grading kernel
decides nothing (the judge does, in the grader: ``backprop_course.autograder.judge``), so each must score no
more than the same wrong code without the attack. The feedback of every submission is then
searched for the graded cases' expected values, as text and as base64.
"""

import pytest

from helpers.attack_grading import (check_attack, check_feedback_shows_no_expected_value, check_no_record_kept,
                                    graded_per_tier)
from helpers.expected_texts import shown_forms
from helpers.verdict_attacks import FORGE, GUARDS, PRINTS, SINK, SWALLOW, TWICE
from hostile import cases as corpus

PARTIAL = {1: corpus.CORRECT[1], 2: corpus.ZEROS[2], 3: corpus.ZEROS[3]}

# name: (the wrong code, its attack: {"tasks": {...}} overrides and/or "layers_top")
ATTACKS = {
    "failures_sink": ("zeros", {"layers_top": SINK}),
    "patched_guards_numpy": ("zeros", {"layers_top": GUARDS}),
    "forged_records": ("zeros", {"layers_top": FORGE}),
    "printed_records": ("zeros", {"tasks": {1: PRINTS + corpus.ZEROS[1]}}),
    "swallowed_exceptions": ("zeros", {"layers_top": SWALLOW}),
    "sys_exit": ("zeros", {"tasks": {1: "import sys\nsys.exit(0)"}}),
    "os_exit_mid_cell": ("partial", {"tasks": {2: "import os\nos._exit(0)"}}),
    "record_twice": ("zeros", {"layers_top": TWICE}),
    "everything": ("partial", {"layers_top": SINK + GUARDS + FORGE + SWALLOW}),
}
WRONG = {"zeros": corpus.ZEROS, "partial": PARTIAL}


def _case(name, wrong, attack=None):
    attack = attack or {}
    return corpus.Case(name, "cheat", "", "", tasks={**WRONG[wrong], **attack.get("tasks", {})},
                       layers_top=attack.get("layers_top", ""))


def hand_in(course, release):
    """The correct student, the wrong code alone, and each attack on its wrong code."""
    cases = [_case("correct", "zeros", {"tasks": corpus.CORRECT}),
             *(_case(name, wrong) for name, wrong in (("zeros", "zeros"), ("partial", "partial"))),
             *(_case(name, wrong, attack) for name, (wrong, attack) in ATTACKS.items())]
    for case in cases:
        corpus.materialize(case, release, course, {})


graded = graded_per_tier(corpus.LESSON, hand_in)


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    rows = graded.rows
    assert rows["zeros"]["score"] == 0
    assert rows["partial"]["score"] == 2  # task 1's points
    assert rows["correct"]["score"] == 7


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    check_attack(graded, name, ATTACKS[name][0])


def expected_texts():
    """Every graded case's expected values (the reference's results), as the feedback could show
    them: each number to 4 and 6 significant digits, and each array's bytes in base64."""
    from backprop_course.autograder.judge.reference import reference
    from backprop_course.tasks.lesson_2 import GRADED_SHAPES, layer_with, linear_case, only_backward

    linear = reference("layers").Linear
    arrays = []
    for shape in GRADED_SHAPES:
        x, W, b, grad_out = linear_case(*shape)
        layer = layer_with(linear, W, b)
        arrays.append(layer.forward(x))
        layer.param_backward(grad_out)
        arrays += [layer.grads["W"], layer.grads["b"]]
        arrays.append(only_backward(layer_with(linear, W, b)).backward(grad_out))
    return shown_forms(arrays)


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    check_feedback_shows_no_expected_value(graded, *expected_texts())


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    check_no_record_kept(graded, corpus.LESSON)
