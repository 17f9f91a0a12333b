"""Verdict-rewriting attacks on lesson 3's activations, graded end to end (``helpers.attack_grading``:
one autograde run of the whole class under each sandbox tier), as test_judge_attacks_lesson_4.py
grades lesson 4's, with the attacking code in the student's ``layers.py``.

The wrong code: ``wrong`` writes each activation or its derivative as a misconception of the
catalogue has it and types the given outputs themselves as the hand-derived slopes; ``partial``
is the same with relu right. No attack may score more than its wrong code alone, and no feedback
page may show an expected value of a graded case.
"""

import numpy as np
import pytest

from backprop_course.autograder.bug_planting import NOTEBOOK
from helpers.attack_grading import (Submission, check_attack, check_feedback_shows_no_expected_value,
                                    check_no_record_kept, sample_class_per_tier)
from helpers.expected_texts import shown_forms
from helpers.verdict_attacks import FORGE, GUARDS, SINK, SWALLOW, emit_twice, printed_records

LESSON = "03_activations"
ANCHOR = "ACTIVATIONS = {"  # module-level code of layers.py goes in front of it
# The catalogue's relu-min and relu-kink-one: wrong everywhere but at the kink.
RELU = [("return np.maximum(x, 0)", "return np.minimum(x, 0)"),
        ("return (out > 0).astype(out.dtype)", "return (out >= 0).astype(out.dtype)")]
# sigmoid-double-argument with sigmoid-derivative-one-minus-out; tanh's derivative taken from the
# input (the sample class's tanh_from_input).
OTHERS = [("return np.where(x >= 0, 1, e) / (1 + e)", "return 0.5 * np.tanh(x) + 0.5"),
          ("return out * (1 - out)", "return 1 - out"),
          ("return 1 - out * out", "return 1 - np.tanh(out) ** 2")]
# The hand answers: the outputs given, typed as their slopes.
HAND = [("sigmoid_slopes = [0.16, 0.25, 0.09]", "sigmoid_slopes = [0.2, 0.5, 0.9]"),
        ("tanh_slopes = [0.75, 0.96, 0.36]", "tanh_slopes = [-0.5, 0.2, 0.8]")]
WRONG = {"wrong": RELU + OTHERS, "partial": OTHERS}
TWICE = emit_twice(3)
PRINTS = printed_records("Lesson 3, task 1", "x 5 #0", "out", " " * 4)

# name: (the wrong code, edits of layers.py that attack)
ATTACKS = {
    "failures_sink": ("wrong", [(ANCHOR, SINK + "\n" + ANCHOR)]),
    "patched_guards_numpy": ("wrong", [(ANCHOR, GUARDS + "\n" + ANCHOR)]),
    "forged_records": ("wrong", [(ANCHOR, FORGE + "\n" + ANCHOR)]),
    "printed_records": ("wrong", [("    return np.minimum(x, 0)", PRINTS + "    return np.minimum(x, 0)")]),
    "swallowed_exceptions": ("wrong", [(ANCHOR, SWALLOW + "\n" + ANCHOR)]),
    "sys_exit": ("wrong", [("return (out >= 0).astype(out.dtype)", "import sys\n    sys.exit(0)")]),
    "os_exit_mid_cell": ("partial", [("return 1 - out\n", "import os\n    os._exit(0)\n")]),
    "record_twice": ("wrong", [(ANCHOR, TWICE + "\n" + ANCHOR)]),
    "everything": ("partial", [(ANCHOR, SINK + GUARDS + FORGE + SWALLOW + "\n" + ANCHOR)]),
}


def submission(wrong, attack=()):
    """``wrong`` ("correct", "wrong" or "partial") with ``attack``'s edits of layers.py added."""
    if wrong == "correct":
        return Submission()
    return Submission({"layers.py": [*WRONG[wrong], *attack], NOTEBOOK: HAND})


graded = sample_class_per_tier(LESSON, submission, ATTACKS)


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    rows = graded.rows
    assert rows["correct"]["score"] == 8  # every autograded cell; the written answers wait for a person
    assert rows["wrong"]["score"] == 0
    assert rows["partial"]["score"] == 2  # task 1's points


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    check_attack(graded, name, ATTACKS[name][0])


def expected_texts():
    """The expected values of every graded case (each activation and its derivative at the
    reference's output) but the visible points' (the visible checks hold those in the notebook and
    show them), and the hand slopes (as numbers only), as the feedback could show them: each number
    to 4 and 6 significant digits, and each array's bytes in base64."""
    from backprop_course.autograder.judge.reference import reference
    from backprop_course.tasks.lesson_3 import HAND_OUTPUTS, POINTS, graded_cases, hand_slopes

    layers = reference("layers")
    arrays = []
    for name in ("relu", "sigmoid", "tanh"):
        for x in [x for _, x in graded_cases() if not np.array_equal(x, POINTS)]:
            with np.errstate(all="ignore"):
                out = layers.ACTIVATIONS[name](x.copy())
            arrays += [out, layers.DERIVATIVES[name](out.copy())]
    numbers, encoded = shown_forms(arrays)
    hand, _ = shown_forms([hand_slopes(name) for name in HAND_OUTPUTS])
    return numbers | hand, encoded


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    check_feedback_shows_no_expected_value(graded, *expected_texts())


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    check_no_record_kept(graded, LESSON)
