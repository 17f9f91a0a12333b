"""Contracts of the reference library: shapes, dtypes, no mutation, stability, clear errors.

Plus hypothesis property tests of the elementwise parts (activations, their derivatives, softmax).
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.reference_library import reference_module

graph = reference_module("graph")
layers = reference_module("layers")
losses = reference_module("losses")
mlp = reference_module("mlp")
optim = reference_module("optim")
train = reference_module("train")
data = reference_module("data")

LOSS_TARGETS = {
    "identity": lambda rng, n: (2, rng.standard_normal((n, 2))),
    "sigmoid": lambda rng, n: (1, rng.integers(0, 2, n)),
    "softmax": lambda rng, n: (3, rng.integers(0, 3, n)),
}


# ---- dtypes -------------------------------------------------------------------------------------

def test_float64_by_default():
    model = mlp.MLP(2, (3,), 1, rng=0)
    for _, layer, key in model.named_parameters():
        assert layer.params[key].dtype == np.float64
        assert layer.grads[key].dtype == np.float64
    x, _ = data.blobs(10)
    assert x.dtype == np.float64
    assert model.forward(x).dtype == np.float64
    assert model.forward(x.astype(int)).dtype == np.float64  # integer input is promoted


@pytest.mark.parametrize("activation", sorted(layers.ACTIVATIONS))
@pytest.mark.parametrize("output_activation", sorted(mlp.OUTPUT_ACTIVATIONS))
def test_float32_preserved_end_to_end(activation, output_activation):
    rng = np.random.default_rng(0)
    out_features, y = LOSS_TARGETS[output_activation](rng, 6)
    model = mlp.MLP(3, (4, 4), out_features, activation=activation,
                    output_activation=output_activation, rng=0, dtype=np.float32)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    loss = losses.LOSS_FOR_OUTPUT[output_activation]()
    scores = model.forward(x)
    assert scores.dtype == np.float32
    for layer in model.layers:
        assert layer.cache.dtype == np.float32, layer
    assert isinstance(loss.forward(scores, y), float)
    grad = loss.backward()
    assert grad.dtype == np.float32
    assert model.backward(grad).dtype == np.float32
    optimizer = optim.SGD(model, lr=0.1, momentum=0.5)
    optimizer.step()
    optimizer.step()
    for name, layer, key in model.named_parameters():
        assert layer.grads[key].dtype == np.float32, name
        assert layer.params[key].dtype == np.float32, name
    assert model.predict_proba(x).dtype == np.float32
    history = train.fit(model, x, y, lr=0.05, epochs=3, batch_size=4)
    assert all(np.isfinite(history.step_loss))
    for name, layer, key in model.named_parameters():
        assert layer.params[key].dtype == np.float32, f"{name} after fit"


# ---- shapes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 5])
def test_shapes_through_a_model(n):
    model = mlp.MLP(3, (4, 5), 2, rng=0)
    x = np.ones((n, 3))
    assert model.forward(x).shape == (n, 2)
    assert model.backward(np.ones((n, 2))).shape == (n, 3)
    for _, layer, key in model.named_parameters():
        assert layer.grads[key].shape == layer.params[key].shape
    assert [layer.params["W"].shape for layer in model.layers if layer.params] == [(3, 4), (4, 5), (5, 2)]
    assert model.num_parameters() == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2


def test_predict_shapes():
    x = np.ones((4, 2))
    assert mlp.MLP(2, (3,), 1, output_activation="sigmoid", rng=0).predict(x).shape == (4,)
    assert mlp.MLP(2, (3,), 3, output_activation="softmax", rng=0).predict(x).shape == (4,)
    assert mlp.MLP(2, (3,), 2, rng=0).predict(x).shape == (4, 2)


# ---- no mutation ----------------------------------------------------------------------------------

def assert_unchanged(arrays, snapshots):
    for array, snapshot in zip(arrays, snapshots):
        np.testing.assert_array_equal(array, snapshot)


@pytest.mark.parametrize("name", sorted(layers.ACTIVATION_LAYERS) + ["linear"])
def test_layers_do_not_mutate_inputs_or_grad_out(name):
    rng = np.random.default_rng(1)
    layer = layers.Linear(3, 3, rng=0) if name == "linear" else layers.ACTIVATION_LAYERS[name]()
    x, grad_out = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    snapshots = [x.copy(), grad_out.copy()]
    layer.forward(x)
    first = layer.backward(grad_out)
    second = layer.backward(grad_out)
    assert_unchanged([x, grad_out], snapshots)
    np.testing.assert_array_equal(first, second)  # backward may be called again


@pytest.mark.parametrize("output_activation", sorted(LOSS_TARGETS))
def test_model_and_losses_do_not_mutate_inputs(output_activation):
    rng = np.random.default_rng(2)
    out_features, y = LOSS_TARGETS[output_activation](rng, 5)
    model = mlp.MLP(3, (4,), out_features, output_activation=output_activation, rng=0)
    loss = losses.LOSS_FOR_OUTPUT[output_activation]()
    x = rng.standard_normal((5, 3))
    scores = model.forward(x)
    snapshots = [x.copy(), y.copy(), scores.copy()]
    loss.forward(scores, y)
    grad = loss.backward()
    np.testing.assert_array_equal(loss.backward(), grad)
    grad_snapshot = grad.copy()
    model.backward(grad)
    model.backward(grad, input_grad=False)
    assert_unchanged([x, y, scores, grad], snapshots + [grad_snapshot])


# ---- extreme logits: exact, and free of overflow / divide / invalid ---------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_logits_are_exact(dtype):
    big = 1e4
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        bce = losses.BCEWithLogitsLoss()
        scores = np.array([big, -big, big, -big], dtype=dtype)
        # per sample: log(1 + e^s) - y s = 0, 0, 1e4, 1e4
        assert bce.forward(scores, np.array([1, 0, 0, 1])) == 5e3
        np.testing.assert_array_equal(bce.backward(), np.array([0, 0, 1, -1], dtype=dtype) / 4)

        ce = losses.SoftmaxCrossEntropyLoss()
        scores = np.array([[big, -big, 0.0], [0.0, big, -big]], dtype=dtype)
        assert ce.forward(scores, np.array([0, 0])) == 5e3
        np.testing.assert_array_equal(ce.backward(), np.array([[0, 0, 0], [-1, 1, 0]], dtype=dtype) / 2)
        np.testing.assert_array_equal(losses.softmax(scores), [[1, 0, 0], [0, 1, 0]])
        np.testing.assert_array_equal(losses.log_softmax(scores), [[0, -2 * big, -big], [-big, 0, -2 * big]])

        mse = losses.MSELoss()
        scores = np.array([[big], [-big]], dtype=dtype)
        assert mse.forward(scores, np.array([0.0, 0.0])) == 1e8
        np.testing.assert_array_equal(mse.backward(), np.array([[big], [-big]], dtype=dtype))

        np.testing.assert_array_equal(layers.sigmoid(np.array([big, -big], dtype=dtype)), [1, 0])
        assert graph.Scalar(big).sigmoid().value == 1.0
        assert graph.Scalar(-big).sigmoid().value == 0.0


def test_extreme_logits_through_a_model():
    model = mlp.MLP(2, (3,), 3, output_activation="softmax", rng=0)
    model.layers[-1].params["b"][:] = [1e4, -1e4, 0.0]
    x = np.zeros((2, 2))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_array_equal(model.predict_proba(x), [[1, 0, 0], [1, 0, 0]])
        loss = losses.SoftmaxCrossEntropyLoss()
        assert loss.forward(model.forward(x), [1, 1]) == 2e4
        assert np.all(np.isfinite(model.backward(loss.backward())))


# ---- BCE and MSE never broadcast (N,) against (N, 1) ---------------------------------------------

@pytest.mark.parametrize("loss_class", [losses.BCEWithLogitsLoss, losses.MSELoss])
@pytest.mark.parametrize("score_shape, label_shape", [((5,), (5,)), ((5, 1), (5,)), ((5,), (5, 1)),
                                                      ((5, 1), (5, 1))])
def test_column_and_flat_shapes_give_the_same_loss(loss_class, score_shape, label_shape):
    scores = np.array([2.0, -1.0, 0.5, 3.0, -2.5])
    y = np.array([1, 0, 0, 1, 1])
    reference = loss_class()
    expected = reference.forward(scores, y)
    expected_grad = reference.backward()
    # Per-sample values computed by hand, so a (5, 5) broadcast would show as a different mean.
    if loss_class is losses.BCEWithLogitsLoss:
        np.testing.assert_allclose(expected, np.mean(np.log1p(np.exp(scores)) - y * scores), rtol=1e-14)
    else:
        np.testing.assert_allclose(expected, np.mean((scores - y) ** 2), rtol=1e-14)
    loss = loss_class()
    assert loss.forward(scores.reshape(score_shape), y.reshape(label_shape)) == pytest.approx(
        expected, rel=1e-15)
    grad = loss.backward()
    assert grad.shape == score_shape
    np.testing.assert_allclose(grad.ravel(), expected_grad, rtol=1e-15)


# ---- clear one-line errors --------------------------------------------------------------------------

BAD_CALLS = [
    ("Linear given 1-D x", lambda: layers.Linear(3, 2).forward(np.ones(3)),
     ValueError, r"expects shape \(N, 3\), got \(3,\).*reshape\(1, -1\)"),
    ("Linear given wrong features", lambda: layers.Linear(3, 2).forward(np.ones((4, 2))),
     ValueError, r"expects shape \(N, 3\), got \(4, 2\)"),
    ("Linear of size 0", lambda: layers.Linear(0, 2), ValueError, "positive sizes"),
    ("BCE with 2 columns", lambda: losses.BCEWithLogitsLoss().forward(np.ones((4, 2)), np.ones(4)),
     ValueError, r"\(N,\) or \(N, 1\).*SoftmaxCrossEntropyLoss"),
    ("BCE with label 2", lambda: losses.BCEWithLogitsLoss().forward(np.ones(3), [0, 1, 2]),
     ValueError, "labels 0 or 1"),
    ("BCE with too few labels", lambda: losses.BCEWithLogitsLoss().forward(np.ones(3), [0, 1]),
     ValueError, r"targets of shape \(2,\) do not match scores of shape \(3,\)"),
    ("MSE with mismatched targets", lambda: losses.MSELoss().forward(np.ones((3, 2)), np.ones(3)),
     ValueError, "do not match"),
    ("CE with one-hot labels",
     lambda: losses.SoftmaxCrossEntropyLoss().forward(np.ones((2, 3)), np.eye(3)[:2]),
     ValueError, r"labels of shape \(2, 3\).*shape \(N,\)"),
    ("CE with probabilities", lambda: losses.SoftmaxCrossEntropyLoss().forward(np.ones((2, 3)), [0.5, 1]),
     ValueError, "integer class labels"),
    ("CE with label out of range", lambda: losses.SoftmaxCrossEntropyLoss().forward(np.ones((2, 3)), [0, 3]),
     ValueError, r"\[0, 3\)"),
    ("CE with negative label", lambda: losses.SoftmaxCrossEntropyLoss().forward(np.ones((2, 3)), [-1, 0]),
     ValueError, r"\[0, 3\)"),
    ("CE with 1-D scores", lambda: losses.SoftmaxCrossEntropyLoss().forward(np.ones(3), [0, 1, 2]),
     ValueError, r"\(N, C\)"),
    ("MLP unknown activation", lambda: mlp.MLP(2, (3,), 1, activation="gelu"), ValueError, "gelu"),
    ("MLP unknown output", lambda: mlp.MLP(2, (3,), 1, output_activation="tanh"), ValueError, "softmax"),
    ("SGD lr 0", lambda: optim.SGD(mlp.MLP(2, (), 1), lr=0), ValueError, "lr=0"),
    ("SGD momentum 1", lambda: optim.SGD(mlp.MLP(2, (), 1), lr=0.1, momentum=1.0), ValueError, r"\[0, 1\)"),
    ("fit 0 epochs", lambda: train.fit(mlp.MLP(2, (), 1), np.ones((3, 2)), np.ones(3), epochs=0),
     ValueError, "epochs"),
    ("fit X and y lengths differ", lambda: train.fit(mlp.MLP(2, (), 1), np.ones((3, 2)), np.ones(2)),
     ValueError, "3 samples but y has 2"),
    ("fit batch_size 0", lambda: next(train.train_steps(mlp.MLP(2, (), 1), np.ones((3, 2)), np.ones(3),
                                                        batch_size=0)), ValueError, "batch_size"),
    ("unknown data set", lambda: data.make("swiss roll"), ValueError, "spirals"),
    ("Scalar ** Scalar", lambda: graph.Scalar(2.0) ** graph.Scalar(2.0), TypeError, r"\.log\(\)\)\.exp\(\)"),
    ("Scalar + str", lambda: graph.Scalar(2.0) + "1", TypeError, "use a number or a Scalar"),
    ("Scalar log of -1", lambda: graph.Scalar(-1.0).log(), ValueError, "positive"),
    ("Scalar / 0", lambda: 1.0 / graph.Scalar(0.0), ZeroDivisionError, "divisor"),
    ("negative ** fraction", lambda: graph.Scalar(-2.0) ** 0.5, ValueError, "integer exponent"),
]


@pytest.mark.parametrize("name, call, error, pattern", BAD_CALLS, ids=[case[0] for case in BAD_CALLS])
def test_bad_input_gives_a_clear_one_line_error(name, call, error, pattern):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    assert re.search(pattern, message), message


# ---- hypothesis: elementwise properties ---------------------------------------------------------------

finite = st.floats(-1e4, 1e4, allow_nan=False)
vectors = arrays(np.float64, st.integers(1, 20), elements=finite)
matrices = arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite)
few = settings(max_examples=40, deadline=None)
RAISE = {"over": "raise", "divide": "raise", "invalid": "raise"}


@few
@given(vectors)
def test_relu_and_its_derivative(x):
    with np.errstate(**RAISE):
        out = layers.relu(x)
        np.testing.assert_array_equal(out, np.where(x > 0, x, 0.0))
        np.testing.assert_array_equal(layers.relu_derivative(out), (x > 0).astype(float))


@few
@given(vectors)
def test_sigmoid_is_bounded_symmetric_and_its_derivative_matches(x):
    with np.errstate(**RAISE):
        out = layers.sigmoid(x)
        assert np.all((out >= 0) & (out <= 1))
        np.testing.assert_allclose(out + layers.sigmoid(-x), 1.0, atol=1e-15)
        moderate = np.abs(x) < 30  # where 1 / (1 + exp(-x)) is itself accurate
        np.testing.assert_allclose(out[moderate], 1 / (1 + np.exp(-x[moderate])), rtol=1e-14)
        deriv = layers.sigmoid_derivative(out)
        assert np.all((deriv >= 0) & (deriv <= 0.25))
        # From the output, 1 - out carries out's rounding (about 1e-16) as an absolute error, so
        # in saturation the derivative is exact to an absolute 1e-15, not to a relative 1e-12.
        np.testing.assert_allclose(deriv[moderate], np.exp(-np.abs(x[moderate])) /
                                   (1 + np.exp(-np.abs(x[moderate]))) ** 2, rtol=1e-12, atol=1e-15)


@few
@given(vectors)
def test_tanh_and_its_derivative(x):
    with np.errstate(**RAISE):
        out = layers.tanh(x)
        np.testing.assert_array_equal(out, np.tanh(x))
        deriv = layers.tanh_derivative(out)
        assert np.all((deriv >= 0) & (deriv <= 1))
        moderate = np.abs(x) < 15
        np.testing.assert_allclose(deriv[moderate], 1 / np.cosh(x[moderate]) ** 2, rtol=1e-12, atol=1e-15)


@few
@given(vectors)
def test_identity_and_its_derivative(x):
    np.testing.assert_array_equal(layers.identity(x), x)
    np.testing.assert_array_equal(layers.identity_derivative(x), np.ones_like(x))


@few
@given(matrices)
def test_softmax_rows_sum_to_one_and_log_softmax_is_finite(scores):
    with np.errstate(**RAISE):
        probs = losses.softmax(scores)
        logp = losses.log_softmax(scores)
    assert probs.shape == scores.shape
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.isfinite(logp))
    assert np.all(logp <= 0)
    np.testing.assert_allclose(logp.max(axis=1), -np.log(np.exp(scores - scores.max(axis=1, keepdims=True))
                                                         .sum(axis=1)), rtol=1e-12, atol=1e-12)


@few
@given(matrices, st.floats(-1e3, 1e3))
def test_softmax_ignores_a_constant_added_to_a_row(scores, shift):
    np.testing.assert_allclose(losses.softmax(scores + shift), losses.softmax(scores), atol=1e-12)


@few
@given(arrays(np.float64, st.integers(1, 20), elements=finite), st.data())
def test_bce_is_finite_nonnegative_and_matches_logaddexp(scores, draw):
    y = draw.draw(arrays(np.int64, scores.shape, elements=st.integers(0, 1)))
    loss = losses.BCEWithLogitsLoss()
    with np.errstate(**RAISE):
        value = loss.forward(scores, y)
        grad = loss.backward()
    assert value >= 0
    np.testing.assert_allclose(value, np.mean(np.logaddexp(0, scores) - y * scores), rtol=1e-12, atol=1e-300)
    assert np.all(np.abs(grad) <= 1 / len(scores))
