"""Gradient checks: the definitions, a pass on the reference, and a FAIL on realistic student bugs.

A check that passes everything is worthless, so each bug below is one a student would plausibly
write, and the check must name the tensor it is in. ReLU kinks must be reported, not failed.
"""

import re

import numpy as np
import pytest

from helpers.reference_library import reference_module

layers = reference_module("layers")
losses = reference_module("losses")
mlp = reference_module("mlp")
from backprop_course import gradcheck  # noqa: E402
data = reference_module("data")

H = gradcheck.H


# ---- rel_error and numerical_gradient ---------------------------------------------------------------

@pytest.mark.parametrize("x, y, expected", [
    (1.0, 1.0, 0.0),
    (1.0, 2.0, 1 / 3),
    (-1.0, 1.0, 1.0),
    (0.0, 0.0, 0.0),
    (0.0, 1e-10, 1e-10 / 1e-8),  # the 1e-8 floor keeps tiny values from looking wildly different
    ([1.0, 3.0, 0.0], [1.0, 1.0, 0.0], 0.5),  # the largest elementwise error
    (np.zeros((0, 3)), np.zeros((0, 3)), 0.0),
])
def test_rel_error_is_cs231n_definition(x, y, expected):
    assert gradcheck.rel_error(x, y) == pytest.approx(expected, rel=1e-12, abs=0)


def test_rel_error_rejects_unequal_shapes():
    with pytest.raises(ValueError, match=r"equal shapes, got \(3,\) and \(3, 1\)"):
        gradcheck.rel_error(np.ones(3), np.ones((3, 1)))


def test_numerical_gradient_of_a_scalar_function():
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    numeric = gradcheck.numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(numeric, 3 * before ** 2, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, before)  # every perturbation was undone


def test_numerical_gradient_of_an_array_function_with_grad_out():
    rng = np.random.default_rng(1)
    A, x, grad_out = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    numeric = gradcheck.numerical_gradient(lambda v: A @ v, x, grad_out)
    np.testing.assert_allclose(numeric, A.T @ grad_out, rtol=1e-8)


def test_numerical_gradient_perturbs_in_place_so_a_layer_sees_it():
    rng = np.random.default_rng(2)
    layer = layers.Linear(3, 2, rng=rng)
    x, grad_out = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    numeric = gradcheck.numerical_gradient(lambda _: layer.forward(x), layer.params["W"], grad_out)
    np.testing.assert_allclose(numeric, x.T @ grad_out, rtol=1e-8)


def test_central_slopes_at_stepped_points_are_the_numerical_gradient():
    """Values of f at ``stepped_points`` (taken in one process), differenced by ``central_slopes``
    (in another): the very numbers ``numerical_gradient`` gives, float32 x stepped in float64."""
    x = np.random.default_rng(3).standard_normal((2, 3)).astype(np.float32)
    plus, minus = gradcheck.stepped_points(x)
    assert len(plus) == len(minus) == 6 and all(p.dtype == np.float64 and p.shape == x.shape for p in plus + minus)
    assert np.count_nonzero(plus[4] - x) == 1 and plus[4][1, 1] > x[1, 1] > minus[4][1, 1]
    slopes = gradcheck.central_slopes([np.sum(p ** 3) for p in plus], [np.sum(p ** 3) for p in minus])
    numeric = gradcheck.numerical_gradient(lambda v: np.sum(v ** 3), x.astype(np.float64))
    np.testing.assert_array_equal(slopes.reshape(x.shape), numeric)


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck.numerical_gradient(np.sum, np.ones(3, dtype=np.float32))


# ---- the reference passes ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(layers.ACTIVATION_LAYERS))
def test_check_layer_passes_the_reference_activations(name):
    x = np.random.default_rng(3).standard_normal((5, 4))
    result = gradcheck.check_layer(layers.ACTIVATION_LAYERS[name](), x)
    assert result.passed, str(result)
    assert set(result.errors) == {"x"}


def test_check_layer_passes_the_reference_linear():
    rng = np.random.default_rng(4)
    layer = layers.Linear(4, 3, rng=rng)
    layer.params["b"] = rng.standard_normal(3)
    result = gradcheck.check_layer(layer, rng.standard_normal((5, 4)))
    assert result.passed, str(result)
    assert set(result.errors) == {"x", "W", "b"}
    assert max(result.errors.values()) < 1e-7


@pytest.mark.parametrize("activation", sorted(layers.ACTIVATIONS))
@pytest.mark.parametrize("output_activation", sorted(mlp.OUTPUT_ACTIVATIONS))
def test_check_model_full_passes_the_reference(activation, output_activation):
    X, y = data.moons(20, rng=0)
    out = 2 if output_activation == "softmax" else 1
    target = X[:, :1] if output_activation == "identity" else y
    model = mlp.MLP(2, (5, 4), out, activation=activation, output_activation=output_activation, rng=0)
    result = gradcheck.check_model(model, X, target)
    assert result.method == "full"
    assert result.passed, str(result)
    assert list(result.errors) == [name for name, _, _ in model.named_parameters()]


def big_model_and_batch():
    rng = np.random.default_rng(5)
    model = mlp.MLP(784, (64,), 10, output_activation="softmax", rng=0)
    return model, rng.standard_normal((16, 784)), rng.integers(0, 10, 16)


def test_check_model_directional_passes_the_reference():
    model, X, y = big_model_and_batch()
    result = gradcheck.check_model(model, X, y)
    assert result.method.startswith("5 random directions")
    assert result.passed, str(result)
    assert set(result.errors) | set(result.kinks) == {"all", "layer1.W", "layer1.b", "layer2.W", "layer2.b"}


def test_check_model_leaves_the_model_as_it_was():
    model, X, y = big_model_and_batch()
    before = [layer.params[key].copy() for _, layer, key in model.named_parameters()]
    gradcheck.check_model(model, X, y)
    for want, (_, layer, key) in zip(before, model.named_parameters()):
        np.testing.assert_array_equal(layer.params[key], want)


def test_checks_refuse_float32_parameters():
    with pytest.raises(TypeError, match="dtype=np.float64"):
        gradcheck.check_layer(layers.Linear(2, 2, dtype=np.float32), np.ones((1, 2)))
    with pytest.raises(TypeError, match="dtype=np.float64"):
        gradcheck.check_model(mlp.MLP(2, (2,), 1, dtype=np.float32), np.ones((1, 2)), np.ones((1, 1)))


# ---- realistic student bugs are caught, in the right tensor ---------------------------------------------

class DxMissingTranspose(layers.Linear):
    def backward(self, grad_out):
        self.param_backward(grad_out)
        return grad_out @ self.params["W"]  # should be W.T


class DwMissingTranspose(layers.Linear):
    def param_backward(self, grad_out):
        self.grads["W"] = self.cache @ grad_out  # should be cache.T
        self.grads["b"] = grad_out.sum(axis=0)


class BiasMeanNotSum(layers.Linear):
    def param_backward(self, grad_out):
        self.grads["W"] = self.cache.T @ grad_out
        self.grads["b"] = grad_out.mean(axis=0)  # should be the sum over the batch


class BiasNotReduced(layers.Linear):
    def param_backward(self, grad_out):
        self.grads["W"] = self.cache.T @ grad_out
        self.grads["b"] = grad_out  # (N, out): should be summed over axis 0


class TanhDerivativeFromInput(layers.Tanh):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, grad_out):
        return grad_out * layers.tanh_derivative(self.x)  # should use the output, tanh(x)


@pytest.mark.parametrize("bug, wrong", [(DxMissingTranspose, "x"), (DwMissingTranspose, "W"),
                                        (BiasMeanNotSum, "b")])
def test_check_layer_fails_a_buggy_linear(bug, wrong):
    # Square shapes (N = in = out), so the missing transposes still give arrays of the right shape.
    rng = np.random.default_rng(6)
    layer = bug(4, 4, rng=rng)
    layer.params["b"] = rng.standard_normal(4)
    result = gradcheck.check_layer(layer, rng.standard_normal((4, 4)))
    assert not result.passed
    assert result.first_failure == wrong, str(result)
    assert [name for name, err in result.errors.items() if err > result.bar] == [wrong]
    assert "WRONG" in str(result)


def test_check_layer_names_an_unreduced_bias_grad():
    layer = BiasNotReduced(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"gradient for b has shape \(5, 2\), but b has shape \(2,\)"):
        gradcheck.check_layer(layer, np.ones((5, 3)))


def test_check_layer_fails_tanh_derivative_from_the_input():
    x = np.random.default_rng(7).standard_normal((5, 4))
    result = gradcheck.check_layer(TanhDerivativeFromInput(), x)
    assert not result.passed
    assert result.first_failure == "x"


def with_layer(model, index, layer_class):
    """Swap model.layers[index] for a buggy subclass instance carrying the same parameters."""
    old = model.layers[index]
    new = layer_class.__new__(layer_class)
    new.__dict__.update(old.__dict__)
    model.layers[index] = new
    return model


def test_check_model_fails_tanh_derivative_from_the_input():
    X, y = data.moons(20, rng=0)
    model = mlp.MLP(2, (5, 4), 1, activation="tanh", output_activation="sigmoid", rng=0)
    with_layer(model, 3, TanhDerivativeFromInput)  # layers: Linear, Tanh, Linear, Tanh, Linear
    result = gradcheck.check_model(model, X, y)
    assert not result.passed
    # The second Tanh feeds layer2, so layer3 (after it) is right and layer2 is the first wrong one.
    assert result.errors["layer3.W"] < result.bar
    assert result.first_failure == "layer1.W", str(result)


def test_check_model_fails_a_missing_transpose_in_a_model():
    X, y = data.moons(20, rng=0)
    model = mlp.MLP(2, (4, 4), 1, output_activation="sigmoid", rng=0)
    with_layer(model, 2, DxMissingTranspose)  # the square 4x4 middle layer
    result = gradcheck.check_model(model, X, y)
    assert not result.passed
    assert result.first_failure == "layer1.W"  # only what lies upstream of the wrong dx is wrong
    assert result.errors["layer2.W"] < result.bar and result.errors["layer3.W"] < result.bar


class ZeroedElement(mlp.MLP):
    """An MLP whose backward loses one element of layer1's dW, as a mis-indexed loop would."""

    element = (0, 0)

    def backward(self, grad_out, input_grad=True):
        dx = super().backward(grad_out, input_grad)
        self.layers[0].grads["W"][self.element] = 0.0
        return dx


def test_directional_check_catches_a_single_zeroed_gradient_element():
    model, X, y = big_model_and_batch()
    model.__class__ = ZeroedElement
    # Pick an element with a typical (median) nonzero gradient, not an unusually large one.
    loss = losses.SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(X), y)
    mlp.MLP.backward(model, loss.backward())
    grad = np.abs(model.layers[0].grads["W"])
    flat = np.flatnonzero(grad)
    model.element = np.unravel_index(flat[np.argsort(grad.ravel()[flat])[len(flat) // 2]], grad.shape)

    result = gradcheck.check_model(model, X, y)
    assert result.method.startswith("5 random directions")
    assert not result.passed, str(result)
    assert result.errors["layer1.W"] > result.bar
    assert result.errors["all"] > result.bar
    assert max(result.errors[name] for name in ("layer1.b", "layer2.W", "layer2.b")) < result.bar


# ---- ReLU kinks are reported, not failed ----------------------------------------------------------------

def test_relu_input_at_or_within_h_of_the_kink_is_a_kink_not_a_failure():
    x = np.array([[0.0, 0.5 * H, -0.5 * H, 1.0], [-1.0, 2.0, 0.3, -0.7]])
    grad_out = np.ones_like(x)
    result = gradcheck.check_layer(layers.ReLU(), x, grad_out=grad_out)
    assert result.passed, str(result)
    assert result.kinks == {"x": 3}
    assert "3 left out" in str(result)
    # Without the kink detection those three elements would fail: central differences straddle slopes.
    layer = layers.ReLU()
    numeric = gradcheck.numerical_gradient(lambda v: layer.forward(v), x.copy(), grad_out)
    layer.forward(x)
    assert gradcheck.rel_error(layer.backward(grad_out), numeric) > gradcheck.BAR


def test_check_model_full_reports_a_kink_in_a_hidden_layer():
    X, y = data.moons(10, rng=0)
    model = mlp.MLP(2, (4,), 1, output_activation="sigmoid", rng=0)
    first = model.layers[0]
    first.params["b"][0] = -(X[0] @ first.params["W"][:, 0])  # sample 0 sits on unit 0's kink
    result = gradcheck.check_model(model, X, y)
    assert result.passed, str(result)
    assert result.kinks["layer1.b"] >= 1 and result.kinks["layer1.W"] >= 1
    assert result.kinks["layer2.W"] == 0


def test_check_model_directional_reports_a_kink():
    model, X, y = big_model_and_batch()
    first = model.layers[0]
    first.params["b"][0] = -(X[0] @ first.params["W"][:, 0])
    result = gradcheck.check_model(model, X, y)
    assert result.passed, str(result)
    assert "all" in result.kinks and "layer1.b" in result.kinks
    assert "layer2.W" not in result.kinks
    # Every direction through layer1 crosses the kink, so layer1 is reported as not checked.
    assert "layer1.b" not in result.errors
    assert re.search(r"layer1\.b +not checked: all 1 direction\(s\) crossed a ReLU kink", str(result))
