"""The lesson helpers of backprop_course.tasks (lessons 1 and 3), run directly: they pass the
reference library and fail, with the row a student reads, the bugs they exist to catch."""

import numpy as np
import pytest

from backprop_course.checks import Checks
from backprop_course.tasks import lesson_3
from conftest import reference_module

layers = reference_module("layers")


def failures(run, *args, **kwargs):
    """The names of the rows that failed when ``run(check, *args)`` filled a fresh Checks."""
    check = Checks("test")
    run(check, *args, **kwargs)
    return check.failures


# ---- lesson 3: activations ----------------------------------------------------------------------

def test_central_difference_is_the_slope_at_every_entry():
    x = np.array([[-1.5, 0.2], [0.9, 3.0]])
    assert np.allclose(lesson_3.central_difference(np.tanh, x), 1 - np.tanh(x) ** 2, rtol=1e-8, atol=0)
    assert lesson_3.central_difference(np.tanh, x).shape == (2, 2)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_check_elementwise_passes_the_reference(name, capsys):
    f, derivative = layers.ACTIVATIONS[name], layers.DERIVATIVES[name]
    assert failures(lesson_3.check_elementwise, f, derivative) == []
    assert "ok     float32 stays float32" in capsys.readouterr().out


def in_place_relu(x):
    return np.maximum(x, 0, out=x)


def float64_relu_derivative(out):
    return (out > 0).astype(np.float64)


def tanh_derivative_from_input_formula(out):
    return 1 - out


@pytest.mark.parametrize("f, derivative, failed", [
    (in_place_relu, layers.relu_derivative, ["x unchanged"]),
    (layers.relu, float64_relu_derivative, ["float32 stays float32"]),
    (layers.tanh, tanh_derivative_from_input_formula, ["slope vs central differences"]),
])
def test_check_elementwise_fails_each_bug_in_its_own_row(f, derivative, failed):
    assert failures(lesson_3.check_elementwise, f, derivative) == failed


def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_check_extremes_passes_a_stable_sigmoid_and_names_an_overflow(capsys):
    args = dict(x=[-1000.0, 1000.0], expected=[0.0, 1.0])
    assert failures(lesson_3.check_extremes, layers.sigmoid, **args) == []
    assert failures(lesson_3.check_extremes, naive_sigmoid, **args) == ["naive_sigmoid at x = -1000, 1000"]
    assert "overflow encountered in exp" in capsys.readouterr().out
    assert failures(lesson_3.check_extremes, layers.sigmoid, x=[-1000.0, 1000.0], expected=[0.0, 0.5]) \
        == ["sigmoid at x = -1000, 1000"]


def graded_case(name):
    """(inputs, extreme, outs, slopes, expected extreme) of one activation, from the reference."""
    f, derivative = layers.ACTIVATIONS[name], layers.DERIVATIVES[name]
    inputs = [np.random.default_rng(5).standard_normal((2, 3)) * 3,
              np.array([0.0, -0.0, 1e-12, -1e-12, 0.5])]
    extreme = np.array([-1000.0, 40.0])
    outs = [f(x) for x in inputs]
    return inputs, extreme, outs, [derivative(out) for out in outs], f(extreme)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_graded_activation_passes_the_reference(name):
    f, derivative = layers.ACTIVATIONS[name], layers.DERIVATIVES[name]
    assert failures(lesson_3.graded_activation, name, f, derivative, *graded_case(name), bar=1e-10) == []


def test_graded_activation_tells_a_wrong_derivative_from_a_wrong_function(capsys):
    found = failures(lesson_3.graded_activation, "tanh", layers.tanh, tanh_derivative_from_input_formula,
                     *graded_case("tanh"), bar=1e-7)
    assert found == ["tanh and its derivative 2x3", "tanh: float32 values 2x3",
                     "tanh: your derivative vs central differences 2x3",
                     "tanh and its derivative 5", "tanh: float32 values 5",
                     "tanh: your derivative vs central differences 5"]
    assert "tanh_derivative(out) is wrong" in capsys.readouterr().out


def test_graded_activation_fails_an_overflowing_sigmoid_without_raising():
    found = failures(lesson_3.graded_activation, "sigmoid", naive_sigmoid, layers.sigmoid_derivative,
                     *graded_case("sigmoid"), bar=1e-7)
    assert found == ["sigmoid at x = -1000, 40"]



def test_gradient_norms_shows_sigmoid_gradients_vanish():
    norms = {name: lesson_3.gradient_norms(layers.ACTIVATIONS[name], layers.DERIVATIVES[name])
             for name in ("identity", "tanh", "sigmoid")}
    for found in norms.values():   # the last layer gets dL/dh = 1 / h.size on a 32 x 64 batch
        assert len(found) == 30 and found[-1] == pytest.approx(1 / np.sqrt(32 * 64), rel=1e-12)
    assert norms["sigmoid"][0] / norms["sigmoid"][-1] < 1e-15 < 1e-2 < norms["tanh"][0] / norms["tanh"][-1]


def test_gradient_norms_of_two_linear_layers_by_hand():
    rng = np.random.default_rng(0)
    bound = np.sqrt(6.0 / 6)
    _, W2 = rng.uniform(-bound, bound, (3, 3)), rng.uniform(-bound, bound, (3, 3))
    grad = np.ones((2, 3)) / 6   # dL/dh_2 = 1 / h.size; dL/dh_1 = dL/dh_2 W2^T (identity: derivative 1)
    found = lesson_3.gradient_norms(layers.identity, layers.identity_derivative, depth=2, width=3, batch=2)
    assert found == pytest.approx([np.linalg.norm(grad @ W2.T), np.linalg.norm(grad)], rel=1e-12)
