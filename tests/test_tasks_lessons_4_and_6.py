"""The check helpers of lessons 4 and 6 (backprop_course.tasks), on the reference and on typical bugs.

Each helper must pass the reference and fail, naming the problem, on the bug it exists to catch.
Expected values are computed here with the reference, as the build computes them for the cells.
"""

import numpy as np
import pytest

from backprop_course.checks import Checks
from backprop_course.tasks import lesson_4, lesson_6


def rows(capsys):
    """The rows the checks printed since the last call."""
    return capsys.readouterr().out


# ---- lesson 4: losses --------------------------------------------------------------------------

SPECS = [((2, 3), (2,), "float64"), ((4, 1), (4,), "float32")]


def test_seeded_cases_are_reproducible_and_shaped_as_asked():
    first = lesson_4.seeded_cases(7, SPECS, "classes")
    second = lesson_4.seeded_cases(7, SPECS, "classes")
    for (s1, y1), (s2, y2) in zip(first, second, strict=True):
        assert np.array_equal(s1, s2) and np.array_equal(y1, y2)
    (scores, labels), (scores32, _) = first
    assert scores.shape == (2, 3) and scores.dtype == np.float64 and scores32.dtype == np.float32
    assert labels.dtype.kind == "i" and set(labels) <= {0, 1, 2}
    _, binary = lesson_4.seeded_cases(7, SPECS, "binary")[1]
    assert binary.dtype == np.float32 and set(binary) <= {0.0, 1.0}
    assert not np.array_equal(lesson_4.seeded_cases(8, SPECS, "real")[0][0], scores)
    with pytest.raises(ValueError, match="targets must be 'real', 'binary' or 'classes'"):
        lesson_4.seeded_cases(7, SPECS, "labels")


def test_backward_against_differences_catches_a_missing_factor(ref):
    y = np.array([0.0, 2.0, 5.0])
    scores = np.random.default_rng(0).normal(size=(3, 1))
    check = Checks("T")
    assert lesson_4.check_against_differences(check, ref.losses.MSELoss(), scores, y)

    class WithoutTheTwo(ref.losses.MSELoss):
        def backward(self):
            return super().backward() / 2

    assert not lesson_4.check_against_differences(check, WithoutTheTwo(), scores, y)
    assert check.failures == ["backward vs differences"]


def naive_bce(ref):
    class Naive(ref.losses.BCEWithLogitsLoss):
        def forward(self, scores, y):
            self.cache = scores, y
            return float(np.mean(np.log(1 + np.exp(scores)) - y * scores))
    return Naive


def test_strict_forward_backward_turns_an_overflow_into_a_failed_row(ref, capsys):
    scores, y = np.array([1e4, -1e4, 0.0]), np.array([1, 0, 1])
    check = Checks("T")
    value, grad = lesson_4.strict_forward_backward(check, ref.losses.BCEWithLogitsLoss(), scores, y)
    assert np.isfinite(value) and grad.shape == (3,) and check.failures == []
    assert lesson_4.strict_forward_backward(check, naive_bce(ref)(), scores, y) is None
    assert check.failures == ["no overflow at huge scores"] and "overflow encountered in exp" in rows(capsys)
    assert lesson_4.strict_call(check, "log", np.log, np.array([0.0])) is None
    assert lesson_4.strict_call(check, "sum", np.add, 1.0, 2.0) == 3.0
    assert check.failures[1:] == ["log"]


def test_loss_inputs_recover_the_probabilities_from_the_expected_gradient(ref):
    scores, y = np.array([[0.5], [-2.0], [3.0]]), np.array([1, 0, 0])
    loss = ref.losses.BCEWithLogitsLoss()
    loss.forward(scores, y)
    inputs = lesson_4.loss_inputs(scores, y, loss.backward())
    assert np.allclose(inputs["probs"], 1 / (1 + np.exp(-scores)), rtol=1e-12)
    scores, labels = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), np.array([2, 0])
    loss = ref.losses.SoftmaxCrossEntropyLoss()
    loss.forward(scores, labels)
    inputs = lesson_4.loss_inputs(scores, labels, loss.backward())
    assert np.allclose(inputs["probs"], ref.losses.softmax(scores), rtol=1e-12)
    assert set(lesson_4.loss_inputs(scores, labels)) == {"scores", "y"}


def test_an_overflowing_log_softmax_fails_its_row_and_is_named(ref, capsys):
    scores = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    want = ref.losses.log_softmax(scores)
    check = Checks("Lesson 4, task 3")
    names = ("no overflow", "log_softmax at 1000")
    lesson_4.check_log_softmax_at(check, ref.losses.log_softmax, scores, want, 1e-12, names)
    assert check.failures == []

    def unshifted(s):
        return s - np.log(np.exp(s).sum(axis=1, keepdims=True))

    lesson_4.check_log_softmax_at(check, unshifted, scores, want, 1e-12, names)
    assert check.failures == list(names)
    assert "misconception log-softmax-naive-overflow:" in rows(capsys)


# ---- lesson 6: SGD -------------------------------------------------------------------------------

def test_set_gradients_fills_every_gradient(ref):
    model = ref.mlp.MLP(2, (3,), 1, rng=0)
    lesson_6.set_gradients(model, 2.0)
    for _, layer, key in model.named_parameters():
        assert layer.grads[key].shape == layer.params[key].shape and np.all(layer.grads[key] == 2.0)


def test_seeded_models_are_reproducible_with_a_gradient_per_parameter_and_step(ref):
    model, grads = lesson_6.seeded_model(ref.mlp.MLP, 2, (3, 3), 1, "float32", 6103)
    again, grads_again = lesson_6.seeded_model(ref.mlp.MLP, 2, (3, 3), 1, "float32", 6103)
    assert np.array_equal(lesson_6.parameters_vector(model), lesson_6.parameters_vector(again))
    assert len(grads) == lesson_6.MAX_STEPS
    for step, step_again in zip(grads, grads_again):
        for name, layer, key in model.named_parameters():
            assert step[name].shape == layer.params[key].shape and step[name].dtype == np.float32
            assert np.array_equal(step[name], step_again[name])
    assert lesson_6.parameters_vector(model).shape == (2 * 3 + 3 + 3 * 3 + 3 + 3 * 1 + 1,)


def test_update_error_scales_float32_by_the_array_not_each_element():
    want = np.array([1e-9, 2.0])
    got = want + np.array([1e-7, 0.0])
    assert lesson_6.update_error(got, want, "float32") == pytest.approx(1e-7 / 3)
    assert lesson_6.update_error(got, want, "float64") > 0.9  # elementwise: the tiny value is all wrong
