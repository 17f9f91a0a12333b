"""A task's formula shows only after its check passes (``backprop_course.reveal``)."""

import pytest

from backprop_course import checks
from backprop_course.reveal import revealed
from backprop_course.tasks import lesson_2


@pytest.fixture
def formula(monkeypatch):
    text = "$\\partial L/\\partial W = x^\\top G$"
    monkeypatch.setattr(lesson_2, "REVEALS", {"Lesson 2, task 2": text}, raising=False)
    return text


def test_a_passing_check_shows_what_it_unlocks(formula, capsys):
    with checks.task("Lesson 2, task 2") as check:
        check.true("runs", True, "")
    assert formula in capsys.readouterr().out


def test_a_failing_check_unlocks_nothing(formula, capsys):
    with pytest.raises(checks.CheckFailed):
        with checks.task("Lesson 2, task 2") as check:
            check.true("runs", False, "it does not")
    assert formula not in capsys.readouterr().out


def test_a_hidden_check_and_a_part_label_follow_the_task(formula, capsys):
    assert revealed("Lesson 2, task 2: gradients") == formula
    assert revealed("Lesson 2, task 1") is None
    with checks.task("Lesson 2, task 2", hidden=True) as check:
        check.true("runs", True, "")
    assert formula not in capsys.readouterr().out
