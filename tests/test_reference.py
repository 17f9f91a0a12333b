"""The reference library against an independent oracle (the autograd package) and central differences.

Every layer, activation, loss, the MLP and each Scalar op is run on random seeded inputs; its forward
values and backward gradients must match autograd's to ~1e-10 relative, and central differences of
its own forward pass to the gradient-check bar.
"""

import itertools
import math
import zlib

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.scipy.special import logsumexp

from helpers.reference_library import reference_module

graph = reference_module("graph")
layers = reference_module("layers")
losses = reference_module("losses")
mlp = reference_module("mlp")
optim = reference_module("optim")
from backprop_course import gradcheck  # noqa: E402

# Reference and autograd compute the same float64 expressions in slightly different orders.
RTOL, ATOL = 1e-10, 1e-13


def close(got, expected):
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def away_from_zero(rng, shape, margin=1e-3):
    """Standard normal values at least ``margin`` from 0, so no ReLU input sits on its kink."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, margin, x)


# ---- the oracle's versions of each elementwise function and loss ------------------------------

ORACLE_ACTIVATIONS = {
    "identity": lambda x: x,
    "relu": lambda x: anp.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + anp.exp(-x)),
    "tanh": anp.tanh,
}


def oracle_mse(scores, y):
    return anp.mean((scores - y) ** 2)


def oracle_bce(scores, y):
    return anp.mean(anp.logaddexp(0.0, scores) - y * scores)


def oracle_softmax_ce(scores, y):
    logp = scores - logsumexp(scores, axis=1, keepdims=True)
    return -anp.mean(logp[np.arange(len(y)), y])


# ---- layers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n, fan_in, fan_out", [(1, 3, 2), (5, 4, 7), (8, 1, 1)])
def test_linear_matches_autograd(n, fan_in, fan_out):
    rng = np.random.default_rng(n * 100 + fan_in)
    layer = layers.Linear(fan_in, fan_out, rng=rng)
    layer.params["b"] = rng.standard_normal(fan_out)  # the default zeros would hide a wrong b
    x = rng.standard_normal((n, fan_in))
    grad_out = rng.standard_normal((n, fan_out))
    W, b = layer.params["W"], layer.params["b"]

    def objective(x, W, b):
        return anp.sum((anp.dot(x, W) + b) * grad_out)

    close(layer.forward(x), x @ W + b)
    dx = layer.backward(grad_out)
    expected = autograd.grad(objective, (0, 1, 2))(x, W, b)
    for got, want in zip((dx, layer.grads["W"], layer.grads["b"]), expected):
        close(got, want)


@pytest.mark.parametrize("name", sorted(layers.ACTIVATION_LAYERS))
def test_activation_layer_matches_autograd(name):
    rng = np.random.default_rng(len(name))
    x = away_from_zero(rng, (6, 5))
    grad_out = rng.standard_normal((6, 5))
    layer = layers.ACTIVATION_LAYERS[name]()
    close(layer.forward(x), ORACLE_ACTIVATIONS[name](x))
    expected = autograd.grad(lambda x: anp.sum(ORACLE_ACTIVATIONS[name](x) * grad_out))(x)
    close(layer.backward(grad_out), expected)


@pytest.mark.parametrize("name", sorted(layers.ACTIVATIONS))
def test_derivative_tables_agree_with_the_functions(name):
    """DERIVATIVES[name](ACTIVATIONS[name](x)) is the elementwise derivative at x."""
    x = away_from_zero(np.random.default_rng(1), 50) * 3
    expected = autograd.elementwise_grad(ORACLE_ACTIVATIONS[name])(x)
    close(layers.DERIVATIVES[name](layers.ACTIVATIONS[name](x)), expected)


@pytest.mark.parametrize("name", sorted(layers.ACTIVATION_LAYERS))
def test_layers_pass_central_differences(name):
    rng = np.random.default_rng(7)
    result = gradcheck.check_layer(layers.ACTIVATION_LAYERS[name](), away_from_zero(rng, (4, 3)))
    assert result.passed, str(result)
    linear = layers.Linear(3, 2, rng=rng)
    linear.params["b"] = rng.standard_normal(2)
    result = gradcheck.check_layer(linear, rng.standard_normal((4, 3)))
    assert result.passed, str(result)


# ---- losses ---------------------------------------------------------------------------------

def loss_cases():
    rng = np.random.default_rng(3)
    return [
        ("mse (N, K)", losses.MSELoss, oracle_mse, rng.standard_normal((6, 3)), rng.standard_normal((6, 3))),
        ("mse (N,)", losses.MSELoss, oracle_mse, rng.standard_normal(5), rng.standard_normal(5)),
        ("mse batch 1", losses.MSELoss, oracle_mse, rng.standard_normal((1, 2)), rng.standard_normal((1, 2))),
        ("bce (N,)", losses.BCEWithLogitsLoss, oracle_bce, 3 * rng.standard_normal(7),
         rng.integers(0, 2, 7).astype(float)),
        ("bce (N, 1)", losses.BCEWithLogitsLoss, oracle_bce, 3 * rng.standard_normal((7, 1)),
         rng.integers(0, 2, (7, 1)).astype(float)),
        ("bce batch 1", losses.BCEWithLogitsLoss, oracle_bce, np.array([0.3]), np.array([1.0])),
        ("softmax ce", losses.SoftmaxCrossEntropyLoss, oracle_softmax_ce, 3 * rng.standard_normal((6, 4)),
         rng.integers(0, 4, 6)),
        ("softmax ce batch 1", losses.SoftmaxCrossEntropyLoss, oracle_softmax_ce,
         rng.standard_normal((1, 3)), np.array([2])),
    ]


@pytest.mark.parametrize("case", loss_cases(), ids=lambda case: case[0])
def test_loss_matches_autograd(case):
    _, loss_class, oracle, scores, y = case
    loss = loss_class()
    value = loss.forward(scores, y)
    assert isinstance(value, float)
    close(value, oracle(scores, y))
    close(loss.backward(), autograd.grad(oracle)(scores, y))


@pytest.mark.parametrize("case", loss_cases(), ids=lambda case: case[0])
def test_loss_passes_central_differences(case):
    _, loss_class, _, scores, y = case
    loss = loss_class()
    loss.forward(scores, y)
    analytic = loss.backward()
    numeric = gradcheck.numerical_gradient(lambda s: loss_class().forward(s, y), scores.copy())
    assert gradcheck.rel_error(analytic, numeric) < gradcheck.BAR


def test_softmax_and_log_softmax_match_autograd():
    scores = 5 * np.random.default_rng(4).standard_normal((5, 4))
    expected = scores - logsumexp(scores, axis=1, keepdims=True)
    close(losses.log_softmax(scores), expected)
    close(losses.softmax(scores), np.exp(expected))


# ---- the MLP --------------------------------------------------------------------------------

def oracle_mlp_loss(model, loss_name):
    """The MLP's mean loss as an autograd function of (x, [W1, b1, W2, b2, ...])."""
    act = ORACLE_ACTIVATIONS[model.activation]
    loss = {"identity": oracle_mse, "sigmoid": oracle_bce, "softmax": oracle_softmax_ce}[loss_name]

    def objective(x, params, y):
        for i in range(0, len(params), 2):
            x = anp.dot(x, params[i]) + params[i + 1]
            if i + 2 < len(params):
                x = act(x)
        return loss(x, y)
    return objective


def targets_for(output_activation, n, rng):
    if output_activation == "identity":
        return 2, rng.standard_normal((n, 2))
    if output_activation == "sigmoid":
        return 1, rng.integers(0, 2, (n, 1)).astype(float)
    return 3, rng.integers(0, 3, n)


MLP_CASES = list(itertools.product([(), (5,), (4, 3), (6, 6, 6)], sorted(layers.ACTIVATIONS),
                                   sorted(mlp.OUTPUT_ACTIVATIONS), [1, 5]))


@pytest.mark.parametrize("hidden, activation, output_activation, n", MLP_CASES,
                         ids=[f"{h}-{a}-{o}-N{n}" for h, a, o, n in MLP_CASES])
def test_mlp_matches_autograd(hidden, activation, output_activation, n):
    rng = np.random.default_rng(zlib.crc32(f"{hidden}{activation}{output_activation}{n}".encode()))
    out_features, y = targets_for(output_activation, n, rng)
    model = mlp.MLP(3, hidden, out_features, activation=activation,
                    output_activation=output_activation, rng=rng)
    for _, layer, key in model.named_parameters():
        if key == "b":  # random biases, so that a bias bug cannot hide behind zeros
            layer.params["b"] = 0.1 * rng.standard_normal(layer.params["b"].shape)
    x = rng.standard_normal((n, 3))
    params = [layer.params[key] for _, layer, key in model.named_parameters()]
    objective = oracle_mlp_loss(model, output_activation)

    loss = losses.LOSS_FOR_OUTPUT[output_activation]()
    close(loss.forward(model.forward(x), y), objective(x, params, y))
    dx = model.backward(loss.backward())
    want_dx, want_params = autograd.grad(objective, (0, 1))(x, params, y)
    close(dx, want_dx)
    for (name, layer, key), want in zip(model.named_parameters(), want_params):
        close(layer.grads[key], want)


@pytest.mark.parametrize("hidden", [(), (4,), (3, 3)])
@pytest.mark.parametrize("output_activation", sorted(mlp.OUTPUT_ACTIVATIONS))
@pytest.mark.parametrize("n", [1, 4])
def test_mlp_passes_central_differences(hidden, output_activation, n):
    rng = np.random.default_rng(len(hidden) * 10 + n)
    out_features, y = targets_for(output_activation, n, rng)
    model = mlp.MLP(2, hidden, out_features, activation="tanh", output_activation=output_activation, rng=rng)
    x = rng.standard_normal((n, 2))
    loss = losses.LOSS_FOR_OUTPUT[output_activation]()
    loss.forward(model.forward(x), y)
    dx = model.backward(loss.backward())
    analytic = [dx] + [layer.grads[key].copy() for _, layer, key in model.named_parameters()]
    targets = [x] + [layer.params[key] for _, layer, key in model.named_parameters()]
    for got, target in zip(analytic, targets):
        numeric = gradcheck.numerical_gradient(lambda _: loss.forward(model.forward(x), y), target)
        assert gradcheck.rel_error(got, numeric) < gradcheck.BAR


@pytest.mark.parametrize("output_activation", sorted(mlp.OUTPUT_ACTIVATIONS))
def test_mlp_predict_proba_applies_the_output_activation(output_activation):
    rng = np.random.default_rng(11)
    out_features, _ = targets_for(output_activation, 4, rng)
    model = mlp.MLP(3, (5,), out_features, output_activation=output_activation, rng=rng)
    x = rng.standard_normal((4, 3))
    scores = model.forward(x)
    probs = model.predict_proba(x)
    if output_activation == "identity":
        close(probs, scores)
        close(model.predict(x), scores)
    elif output_activation == "sigmoid":
        close(probs, 1 / (1 + np.exp(-scores)))
        np.testing.assert_array_equal(model.predict(x), (probs[:, 0] > 0.5).astype(int))
    else:
        close(probs, np.exp(scores - logsumexp(scores, axis=1, keepdims=True)))
        np.testing.assert_array_equal(model.predict(x), np.argmax(probs, axis=1))


def test_mlp_backward_without_input_grad_fills_the_same_grads():
    rng = np.random.default_rng(12)
    model = mlp.MLP(4, (6, 5), 3, output_activation="softmax", rng=rng)
    x, y = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    loss = losses.SoftmaxCrossEntropyLoss()
    loss.forward(model.forward(x), y)
    grad = loss.backward()
    model.backward(grad)
    full = [layer.grads[key].copy() for _, layer, key in model.named_parameters()]
    assert model.backward(grad, input_grad=False) is None
    for want, (_, layer, key) in zip(full, model.named_parameters()):
        np.testing.assert_array_equal(layer.grads[key], want)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_the_update_rule(momentum):
    rng = np.random.default_rng(13)
    model = mlp.MLP(3, (4,), 2, rng=rng)
    optimizer = optim.SGD(model, lr=0.1, momentum=momentum)
    params = {name: layer.params[key] for name, layer, key in model.named_parameters()}
    expected = {name: value.copy() for name, value in params.items()}
    velocity = {name: np.zeros_like(value) for name, value in params.items()}
    for _ in range(3):
        grads = {}
        for name, layer, key in model.named_parameters():
            layer.grads[key] = rng.standard_normal(layer.params[key].shape)
            grads[name] = layer.grads[key]
        optimizer.step()
        for name in expected:
            velocity[name] = momentum * velocity[name] - 0.1 * grads[name]
            expected[name] += velocity[name]
    for name, layer, key in model.named_parameters():
        assert layer.params[key] is params[name], "SGD must update parameters in place"
        close(layer.params[key], expected[name])


# ---- the Scalar engine ----------------------------------------------------------------------

S = graph.Scalar

# (name, Scalar expression, autograd expression) of two inputs a, b (b may go unused).
SCALAR_OPS = [
    ("a + b", lambda a, b: a + b, lambda a, b: a + b),
    ("a - b", lambda a, b: a - b, lambda a, b: a - b),
    ("a * b", lambda a, b: a * b, lambda a, b: a * b),
    ("a / b", lambda a, b: a / b, lambda a, b: a / b),
    ("-a", lambda a, b: -a, lambda a, b: -a),
    ("a ** 3", lambda a, b: a ** 3, lambda a, b: a ** 3),
    ("a ** -0.5", lambda a, b: a ** -0.5, lambda a, b: a ** -0.5),
    ("a ** 2.5", lambda a, b: a ** 2.5, lambda a, b: a ** 2.5),
    ("exp(a)", lambda a, b: a.exp(), lambda a, b: anp.exp(a)),
    ("log(a)", lambda a, b: a.log(), lambda a, b: anp.log(a)),
    ("tanh(a)", lambda a, b: a.tanh(), lambda a, b: anp.tanh(a)),
    ("sigmoid(a)", lambda a, b: a.sigmoid(), lambda a, b: 1 / (1 + anp.exp(-a))),
    ("relu(a)", lambda a, b: a.relu(), lambda a, b: anp.maximum(a, 0.0)),
    ("relu(-a)", lambda a, b: (-a).relu(), lambda a, b: anp.maximum(-a, 0.0)),
    # a number on either side
    ("2.0 + a", lambda a, b: 2.0 + a, lambda a, b: 2.0 + a),
    ("a + 2", lambda a, b: a + 2, lambda a, b: a + 2),
    ("2.0 - a", lambda a, b: 2.0 - a, lambda a, b: 2.0 - a),
    ("a - 2.0", lambda a, b: a - 2.0, lambda a, b: a - 2.0),
    ("3 * a", lambda a, b: 3 * a, lambda a, b: 3 * a),
    ("a * 3.5", lambda a, b: a * 3.5, lambda a, b: a * 3.5),
    ("1.5 / a", lambda a, b: 1.5 / a, lambda a, b: 1.5 / a),
    ("a / 4", lambda a, b: a / 4, lambda a, b: a / 4),
    # shared subexpressions: gradients must add over every path
    ("a * a + a", lambda a, b: a * a + a, lambda a, b: a * a + a),
    ("tanh(a*b + b) / (1 + exp(-a))", lambda a, b: (a * b + b).tanh() / (1 + (-a).exp()),
     lambda a, b: anp.tanh(a * b + b) / (1 + anp.exp(-a))),
    ("neuron", lambda a, b: (a * 0.7 + b * -1.2 + 0.1).sigmoid() * b - (a ** 2).log(),
     lambda a, b: 1 / (1 + anp.exp(-(a * 0.7 + b * -1.2 + 0.1))) * b - anp.log(a ** 2)),
]


@pytest.mark.parametrize("name, scalar_f, oracle_f", SCALAR_OPS, ids=[op[0] for op in SCALAR_OPS])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scalar_op_matches_autograd(name, scalar_f, oracle_f, seed):
    rng = np.random.default_rng(seed)
    a_value, b_value = rng.uniform(0.2, 2.0), rng.uniform(-2.0, 2.0)  # a > 0 for log and **
    a, b = S(a_value, label="a"), S(b_value, label="b")
    out = scalar_f(a, b)
    out.backward()
    assert math.isclose(out.value, oracle_f(a_value, b_value), rel_tol=RTOL, abs_tol=ATOL)
    want_a, want_b = autograd.grad(oracle_f, (0, 1))(a_value, b_value)
    assert math.isclose(a.grad, want_a, rel_tol=RTOL, abs_tol=ATOL), (a.grad, want_a)
    assert math.isclose(b.grad, want_b, rel_tol=RTOL, abs_tol=ATOL), (b.grad, want_b)
    assert out.grad == 1.0


@pytest.mark.parametrize("name, scalar_f, _", SCALAR_OPS, ids=[op[0] for op in SCALAR_OPS])
def test_scalar_op_passes_central_differences(name, scalar_f, _):
    values = np.array([0.9, -0.6])
    a, b = S(values[0]), S(values[1])
    scalar_f(a, b).backward()
    numeric = gradcheck.numerical_gradient(lambda v: scalar_f(S(v[0]), S(v[1])).value, values)
    assert gradcheck.rel_error([a.grad, b.grad], numeric) < gradcheck.BAR


def test_scalar_backward_recomputes_instead_of_accumulating():
    a = S(1.5)
    out = a * a
    out.backward()
    out.backward()
    assert a.grad == 3.0


def test_scalar_backward_handles_deep_graphs():
    """Iterative topological order: a chain deeper than Python's recursion limit works."""
    x = S(0.5)
    out = x
    for _ in range(5000):
        out = out * 1.0
    out.backward()
    assert x.grad == 1.0
