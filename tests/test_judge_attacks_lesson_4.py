"""Verdict-rewriting attacks on the judged lesson 4, graded end to end (``helpers.attack_grading``:
one autograde run of the whole class under each sandbox tier).

As test_judge_attacks_lesson_2.py does for lesson 2: each attack is wrong code (``zeros``: every loss and
log_softmax returns zeros; ``partial``: task 1 right, the rest zeros) plus code in the student's
``losses.py`` that tries to rewrite the verdict in the kernel (failures sunk, numpy, builtins and
the canary guards patched, records forged, printed or emitted twice, exceptions swallowed,
``sys.exit``, ``os._exit`` in the middle of a cell). Each must score no more than its wrong code
alone. The feedback of every submission is then searched for the graded cases' expected values.
The submissions are sample-class students (``autograder.sample_class``): the reference library
with edits, the notebook's hand answers filled in.
"""

import numpy as np
import pytest

from helpers.attack_grading import (Submission, check_attack, check_feedback_shows_no_expected_value,
                                    check_no_record_kept, sample_class_per_tier)
from helpers.expected_texts import shown_forms
from helpers.verdict_attacks import FORGE, GUARDS, SINK, SWALLOW, emit_twice, printed_records

LESSON = "04_losses"
ANCHOR = "LOSS_FOR_OUTPUT = {"  # module-level code of losses.py goes in front of it
MSE = [("return float(np.mean(diff * diff))", "return 0.0"),
       ("return (2.0 / diff.size) * diff", "return np.zeros_like(diff)")]
OTHERS = [("return float(np.mean(softplus - y * scores))", "return 0.0"),
          ("return (sigmoid(scores) - y) / scores.shape[0]", "return np.zeros_like(scores)"),
          ("return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))", "return np.zeros_like(shifted)"),
          ("return float(-np.mean(logp[np.arange(len(y)), y]))", "return 0.0"),
          ("return grad / len(y)", "return np.zeros_like(grad)")]
WRONG = {"zeros": MSE + OTHERS, "partial": OTHERS}
TWICE = emit_twice(4)
PRINTS = printed_records("Lesson 4, task 1: values", "the example", "loss", " " * 8)

# name: (the wrong code, edits of losses.py that attack)
ATTACKS = {
    "failures_sink": ("zeros", [(ANCHOR, SINK + "\n" + ANCHOR)]),
    "patched_guards_numpy": ("zeros", [(ANCHOR, GUARDS + "\n" + ANCHOR)]),
    "forged_records": ("zeros", [(ANCHOR, FORGE + "\n" + ANCHOR)]),
    "printed_records": ("zeros", [("self.cache = diff\n        return 0.0",
                                   "self.cache = diff\n" + PRINTS + "        return 0.0")]),
    "swallowed_exceptions": ("zeros", [(ANCHOR, SWALLOW + "\n" + ANCHOR)]),
    "sys_exit": ("zeros", [("return np.zeros_like(diff)", "import sys\n        sys.exit(0)")]),
    "os_exit_mid_cell": ("partial", [("return np.zeros_like(scores)", "import os\n        os._exit(0)")]),
    "record_twice": ("zeros", [(ANCHOR, TWICE + "\n" + ANCHOR)]),
    "everything": ("partial", [(ANCHOR, SINK + GUARDS + FORGE + SWALLOW + "\n" + ANCHOR)]),
}


def submission(wrong, attack=()):
    """``wrong`` ("correct", "zeros" or "partial") with ``attack``'s edits of losses.py added."""
    return Submission({"losses.py": [*WRONG.get(wrong, []), *attack]})


graded = sample_class_per_tier(LESSON, submission, ATTACKS)


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    rows = graded.rows
    assert rows["correct"]["score"] == 19  # every autograded cell; the written answers wait for a person
    assert rows["zeros"]["score"] == 4     # the two derivations by hand, right in every submission here
    assert rows["partial"]["score"] == 4 + 5  # and task 1's three cells


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    check_attack(graded, name, ATTACKS[name][0])


def expected_texts():
    """The expected values of every graded case (none is a visible check's; the hand answers are
    left out: a few short numbers that the lesson's own text could hold), as the feedback could
    show them: each number to 4 and 6 significant digits, and each array's bytes in base64."""
    from backprop_course.autograder.judge.lesson_4 import truth
    from backprop_course.autograder.judge.reference import reference
    from backprop_course.tasks.lesson_4 import graded_cases

    arrays = []
    for task in (1, 2, 3):
        for part in ("values", "edge cases"):
            for name, scores, y in graded_cases(f"Lesson 4, task {task}: {part}"):
                value, grad = truth(task, scores, y)
                arrays += [np.array([value]), grad]
    for part in ("log_softmax", "log_softmax at huge scores"):
        for name, scores, _ in graded_cases(f"Lesson 4, task 3: {part}"):
            arrays.append(reference("losses").log_softmax(scores.astype(np.float64)))
    return shown_forms(arrays)


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    check_feedback_shows_no_expected_value(graded, *expected_texts())


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    check_no_record_kept(graded, LESSON)
