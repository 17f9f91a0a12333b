"""Lesson 1 makes students derive: the formulas of tasks 2-4 are in REVEALS (shown once a task's
check passes), not in the notebook students read before; and a gradient is read as a sensitivity."""

import json

import pytest

from backprop_course import checks
from backprop_course.reveal import revealed
from backprop_course.tasks import lesson_1
from helpers.checkout import ROOT
from helpers.reference_library import reference_module

Scalar = reference_module("graph").Scalar
# What each task asks the student to find, as the reveal writes it.
FOUND_BY = {"Lesson 1, task 2": [r"+ w_8\,\mathrm{relu}'(a_4)\,w_5", r"\dfrac{\partial L}{\partial a_4}\, w_5"],
            "Lesson 1, task 3": ["| $a b$ | $b$ | $a$ |", r"$\text{out}\,(1 - \text{out})$"],
            "Lesson 1, task 4": ["parent.grad += local * node.grad", "optimizer.zero_grad()"]}


def student_text():
    cells = json.loads((ROOT / "lessons" / "01_computation_graph.ipynb").read_text())["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells)


@pytest.mark.parametrize("label", FOUND_BY)
def test_a_tasks_formula_is_revealed_after_its_check_not_before(label):
    text = student_text()
    for formula in FOUND_BY[label]:
        assert formula in revealed(label)
        assert formula not in text, f"the student notebook states {formula!r} before {label} is done"


def test_the_reveal_shows_when_the_visible_check_passes(capsys):
    with checks.task("Lesson 1, task 4") as check:
        check.true("runs", True, "")
    assert "parent.grad += local * node.grad" in capsys.readouterr().out


def test_the_reveals_hold_no_graded_value():
    """The reveals are imported in every grading kernel: no number of the graded network's answers."""
    nodes = lesson_1.network(Scalar, lesson_1.GIVEN_X, lesson_1.GIVEN_T, lesson_1.GIVEN_WEIGHTS)
    nodes["L"].backward()
    answers = {f"{nodes[name[4:]].grad:g}" for name in lesson_1.GRADIENT_NAMES} - {"1", "-1", "2", "3", "-3"}
    answers |= {f"{nodes[name].value:g}" for name in lesson_1.FORWARD_NAMES} - {"1", "2", "3"}
    text = "\n".join(lesson_1.REVEALS.values())
    assert not [answer for answer in answers if answer in text]


def test_sensitivity_reads_a_gradient_and_measures_it():
    sentence = lesson_1.sensitivity(Scalar, lesson_1.GIVEN_X, lesson_1.GIVEN_T, lesson_1.GIVEN_WEIGHTS, "w4")
    assert sentence.startswith("dL/dw4 = -9: raising w4 by 0.01 lowers L by about |-9 x 0.01| = 0.09 ")
    measured = float(sentence.split("measures ")[1].split(")")[0])
    assert measured == pytest.approx(-0.09, rel=0.02)
    assert sentence.endswith("raises w4.")
