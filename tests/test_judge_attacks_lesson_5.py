"""Verdict-rewriting attacks on lesson 5's MLP, graded end to end (``helpers.attack_grading``: one
autograde run of the whole class under each sandbox tier).

Each attack is wrong code (``zeros``: MLP.forward and MLP.backward return zeros, the notebook's
parameter count and path sums 0; ``partial``: forward right, the rest the same) plus code in the
student's mlp.py that tries to rewrite the verdict in the kernel, as for lesson 2, and code that
hands the graded cases inputs of its own. Each must score no more than its wrong code alone, and
no feedback holds a graded case's expected value (``helpers.expected_texts.lesson_5``).
"""

import pytest

from backprop_course.autograder.bug_planting import NOTEBOOK
from helpers import expected_texts
from helpers.attack_grading import (Submission, check_attack, check_feedback_shows_no_expected_value,
                                    check_no_record_kept, sample_class_per_tier)
from helpers.verdict_attacks import FORGE, GUARDS, SINK, SWALLOW, emit_twice, printed_records

LESSON = "05_mlp"
FORWARD_BODY = "        for layer in self.layers:\n            x = layer.forward(x)\n        return x\n"
BACKWARD_BODY = ("        for layer in reversed(self.layers[1:]):\n            grad_out = layer.backward(grad_out)\n"
                 "        first = self.layers[0]\n        if not input_grad:\n"
                 "            first.param_backward(grad_out)\n            return None\n"
                 "        return first.backward(grad_out)\n")
ZERO_FORWARD = "        return np.zeros_like(x)\n"
ZERO_BACKWARD = "        return np.zeros_like(grad_out)\n"
NOTEBOOK_ZEROS = [
    ("return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))", "return 0"),
    ("dscore_dx = [1 * 3 * 1 + 1 * 1 * -2 + 2 * 1 * 1 + 2 * 2 * -2,\n"
     "                 0 * 3 * 1 + 0 * 1 * -2 + -1 * 1 * 1 + -1 * 2 * -2]", "dscore_dx = [0.0, 0.0]")]
TWICE = emit_twice(5)
OWN_INPUTS = """
import numpy as _np
import backprop_course.tasks.lesson_5 as _lesson
_lesson.net_inputs = lambda net, dtype=None: (_np.zeros((net.batch, net.features)),) * 2
"""
PRINTS = printed_records("Lesson 5, task 1", "3 layers of 3, batch 4, output identity", "outputs", " " * 8)

# name: (the wrong code, {"top": code appended to mlp.py, "forward"/"backward": code before that body})
ATTACKS = {
    "failures_sink": ("zeros", {"top": SINK}),
    "patched_guards_numpy": ("zeros", {"top": GUARDS}),
    "forged_records": ("zeros", {"top": FORGE}),
    "printed_records": ("zeros", {"forward": PRINTS}),
    "swallowed_exceptions": ("zeros", {"top": SWALLOW}),
    "own_inputs": ("zeros", {"top": OWN_INPUTS}),
    "sys_exit": ("zeros", {"forward": "        import sys\n        sys.exit(0)\n"}),
    "os_exit_mid_cell": ("partial", {"backward": "        import os\n        os._exit(0)\n"}),
    "record_twice": ("partial", {"top": TWICE}),
    "everything": ("partial", {"top": SINK + GUARDS + FORGE + SWALLOW}),
}


def submission(wrong, attack=None):
    """``wrong`` ("correct", "zeros" or "partial") with ``attack`` added."""
    attack = attack or {}
    if wrong == "correct":
        return Submission()
    forward = FORWARD_BODY if wrong == "partial" else ZERO_FORWARD
    edits = [(FORWARD_BODY, attack.get("forward", "") + forward),
             (BACKWARD_BODY, attack.get("backward", "") + ZERO_BACKWARD)]
    return Submission({"mlp.py": edits, NOTEBOOK: NOTEBOOK_ZEROS}, {"mlp.py": attack.get("top")})


graded = sample_class_per_tier(LESSON, submission, ATTACKS)


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    rows = graded.rows
    assert rows["correct"]["score"] == 9  # every autograded cell; the written answer waits for a person
    assert rows["zeros"]["score"] == 0
    assert rows["partial"]["score"] == 3  # task 1's points


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    check_attack(graded, name, ATTACKS[name][0])


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    check_feedback_shows_no_expected_value(graded, *expected_texts.lesson_5())


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    check_no_record_kept(graded, LESSON)
