"""Verdict-rewriting attacks on lesson 6's SGD and hand answers, graded end to end
(``helpers.attack_grading``: one autograde run of the whole class under each sandbox tier).

Each attack is wrong code (``zeros``: every SGD step goes up the gradient and every answer of
tasks 2 to 4 is 0; ``partial``: plain SGD right, the momentum step going up, the answers the
same) plus code in the student's optim.py that tries to rewrite the verdict in the kernel, as for
lesson 2, and a step() that displays records and passing rows of its own. Each must score no more
than its wrong code alone, and no feedback holds a graded case's expected value
(``helpers.expected_texts.lesson_6``).
"""

import pytest

from backprop_course.autograder.bug_planting import NOTEBOOK
from helpers import expected_texts
from helpers.attack_grading import (Submission, check_attack, check_feedback_shows_no_expected_value,
                                    check_no_record_kept, sample_class_per_tier, solution_regions)
from helpers.verdict_attacks import FORGE, GUARDS, SINK, SWALLOW, emit_twice

LESSON = "06_gradient_descent"
UP_WITH_MOMENTUM = ("velocity[key] -= self.lr * grad", "velocity[key] += self.lr * grad")
UP_PLAIN = ("param -= self.lr * grad", "param += self.lr * grad")
STEP_LOOP = "        for layer, velocity in zip(self.layers, self.velocity):\n"  # the start of SGD.step's body
[TASK2], TASK3, [TASK4] = (solution_regions(LESSON, f"task{k}-answers") for k in (2, 3, 4))
ZERO_ANSWERS = [(TASK2, '    new_weights = {f"w{k}": 0.0 for k in range(1, 9)}\n    L_predicted = L_new = 0.0\n'),
                *((region, "    return 0 * curvature\n") for region in TASK3),
                (TASK4, "    g_full = g_first = g_second = w_full = w_epoch = 0.0\n")]
TWICE = emit_twice(6)
# Displayed by the student's own step() while the graded cases run: a record of right-looking
# zeros for every case and the judge's rows mimetype claiming a pass.
PRINTS = """
import IPython.display as _display
import backprop_course.tasks.lesson_6 as _lesson
_step = SGD.step

def _forging_step(self):
    for label in ("Lesson 6, task 1: plain", "Lesson 6, task 1: momentum"):
        cases = {case[0]: {"after": _records_encode(0.0)} for case in _lesson.GRADED[label][0]()}
        _display.display({"application/vnd.backprop-course.observation+json": {"task": label, "cases": cases},
                          "application/vnd.backprop-course.rows+json": {"task": label, "passed": True, "rows": []},
                          "text/plain": "all checks passed"}, raw=True)
    _step(self)

from backprop_course.records import encode as _records_encode
SGD.step = _forging_step
"""

# name: (the wrong code, {"top": code appended to optim.py, "step": code at the start of SGD.step})
ATTACKS = {
    "failures_sink": ("zeros", {"top": SINK}),
    "patched_guards_numpy": ("zeros", {"top": GUARDS}),
    "forged_records": ("zeros", {"top": FORGE}),
    "printed_records": ("zeros", {"top": PRINTS}),
    "swallowed_exceptions": ("zeros", {"top": SWALLOW}),
    "sys_exit": ("zeros", {"step": "        import sys\n        sys.exit(0)\n"}),
    "os_exit_mid_cell": ("partial", {"step": "        if self.momentum:\n"
                                             "            import os\n            os._exit(0)\n"}),
    "record_twice": ("partial", {"top": TWICE}),
    "everything": ("partial", {"top": SINK + GUARDS + FORGE + SWALLOW + TWICE}),
}


def submission(wrong, attack=None):
    """``wrong`` ("correct", "zeros" or "partial") with ``attack`` added."""
    attack = attack or {}
    if wrong == "correct":
        return Submission()
    edits = [UP_WITH_MOMENTUM, *([UP_PLAIN] if wrong == "zeros" else []),
             *([(STEP_LOOP, attack["step"] + STEP_LOOP)] if "step" in attack else [])]
    return Submission({"optim.py": edits, NOTEBOOK: ZERO_ANSWERS}, {"optim.py": attack.get("top")})


graded = sample_class_per_tier(LESSON, submission, ATTACKS)


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    rows = graded.rows
    assert rows["correct"]["score"] == 13
    assert rows["zeros"]["score"] == 0
    assert rows["partial"]["score"] == 3  # plain SGD's points


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    check_attack(graded, name, ATTACKS[name][0])


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    check_feedback_shows_no_expected_value(graded, *expected_texts.lesson_6())


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    check_no_record_kept(graded, LESSON)
