"""Lesson 2's "find the bug" exercise (backprop_course/tasks/find_the_bug.py): each shipped layer
has one planted bug the gradient check blames on one tensor, and a fix is judged by the gradient
check alone (no stored answer)."""

import nbformat
import pytest

from backprop_course import checks, content
from backprop_course.gradcheck import check_layer
from backprop_course.tasks import find_the_bug
from backprop_course.tasks.find_the_bug import (ACTIVATION_SUSPECTS, SUSPECTS, X_SUSPECT, check_fixes, listing,
                                                patched)

FIXES = {
    "LayerA": ('self.grads["b"] = grad_out.mean(axis=0)', 'self.grads["b"] = grad_out.sum(axis=0)'),
    "LayerB": ('return grad_out @ self.params["W"]', 'return grad_out @ self.params["W"].T'),
    "LayerC": ("grad_x = grad_out  # the skip path", "grad_x += grad_out"),
}


def rows(fixes):
    """{row name: ok} and the failure message (or "") of check_fixes on ``fixes``."""
    check = checks.Checks("Lesson 2, find the bug", write=lambda line: None)
    check_fixes(check, fixes)
    return {row.name: row.ok for row in check.rows}, check.failures


@pytest.mark.parametrize("name, blamed", [("LayerA", "b"), ("LayerB", "x"), ("LayerC", "x"), ("SigmoidLayer", "x")])
def test_the_gradient_check_blames_exactly_the_planted_tensor(name, blamed):
    result = check_layer({**SUSPECTS, **ACTIVATION_SUSPECTS}[name](), X_SUSPECT)
    assert [tensor for tensor, err in result.errors.items() if err > result.bar] == [blamed]


def test_the_inputs_show_the_bugs():
    """N != features (a mean is not a sum) and W square (a missing .T runs instead of raising)."""
    n, features = X_SUSPECT.shape
    assert n != features
    assert all(cls().params["W"].shape == (features, features) for cls in SUSPECTS.values())


def test_the_right_fixes_pass():
    found, failures = rows(FIXES)
    assert failures == [] and len(found) == 2 * len(SUSPECTS)


def test_lesson_3s_sigmoid_layer_is_fixed_by_caching_the_output():
    check = checks.Checks("Lesson 3, find the bug", write=lambda line: None)
    check_fixes(check, {"SigmoidLayer": ("self.cache = x", "self.cache = out")}, ACTIVATION_SUSPECTS)
    assert check.failures == [] and len(check.rows) == 2
    check = checks.Checks("Lesson 3, find the bug", write=lambda line: None)
    check_fixes(check, {"SigmoidLayer": ("out = self.cache", "out = self.cache")}, ACTIVATION_SUSPECTS)
    assert check.failures == ["SigmoidLayer: fixed, the gradient check passes"]


def test_a_line_is_matched_by_its_code_not_its_quotes_or_comments():
    layer = patched("LayerA", "self.grads['b'] = grad_out.mean(axis = 0)  # mine", "self.grads['b'] = grad_out.sum(0)")
    assert check_layer(layer(), X_SUSPECT).passed


def test_a_fix_of_another_line_or_of_forward_fails():
    wrong_line = dict(FIXES, LayerB=('self.grads["W"] = x.T @ grad_out', 'self.grads["W"] = x.T @ grad_out'))
    found, failures = rows(wrong_line)
    assert failures == ["LayerB: fixed, the gradient check passes"]
    # Dividing b by N in forward makes the mean right for the check, but forward has changed.
    in_forward = dict(FIXES, LayerA=('return x @ self.params["W"] + self.params["b"]',
                                     'return x @ self.params["W"] + self.params["b"] / len(x)'))
    assert rows(in_forward)[1] == ["LayerA: forward unchanged"]
    assert not found["LayerB: fixed, the gradient check passes"]


@pytest.mark.parametrize("answer, message", [
    (("grad_x = grad_out * 2", "grad_x += grad_out"), "no line of LayerC reads"),
    (("grad_x = grad_out  # the skip path", "grad_x +="), "not Python"),
    ("grad_x += grad_out", "two strings"),
])
def test_a_malformed_answer_gets_one_row_saying_why(answer, message):
    check = checks.Checks("Lesson 2, find the bug", write=lambda line: None)
    check_fixes(check, dict(FIXES, LayerC=answer))
    failed = [row for row in check.rows if not row.ok]
    assert len(failed) == 1 and message in failed[0].detail


def test_an_unanswered_exercise_is_not_implemented():
    with pytest.raises(NotImplementedError):
        check_fixes(checks.Checks("Lesson 2, find the bug", write=lambda line: None), None)


def test_the_listing_numbers_every_line_of_the_shipped_code():
    text = listing("LayerC")
    assert text.splitlines()[0].split() == ["1", "class", "LayerC(Suspect):"]
    assert "grad_x = grad_out  # the skip path" in text


@pytest.mark.parametrize("notebook, fix", [("02_linear_layer.ipynb", "grad_out.sum(axis=0)"),
                                          ("03_activations.ipynb", "self.cache = out")])
def test_the_lessons_ship_the_exercise_ungraded_with_no_answer(notebook, fix):
    cells = {cell.get("id"): cell for cell in
             nbformat.read(content.folder("lessons") / notebook, as_version=4).cells}
    answer, check = cells["find-the-bug-answers"], cells["find-the-bug-check"]
    assert not check.metadata.get("nbgrader", {}).get("grade")
    assert fix not in answer.source and "NotImplementedError" in answer.source
    assert "check_fixes(check, fixes" in check.source
    assert find_the_bug.__doc__ and "not graded" in find_the_bug.__doc__
