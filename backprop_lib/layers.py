# Course authors: this skeleton is generated from solutions/backprop_lib/layers.py by `backprop-course build`: edit there, not here.
"""Vectorised layers: each has a forward pass and a backward pass over a batch of N samples.

A layer's ``forward(x)`` caches what its backward pass will need; ``backward(grad_out)`` takes
dL/d(output) and returns dL/d(input), filling ``grads`` with dL/d(param) for each entry of
``params``. Inputs are never modified.

The activations follow scikit-learn's ``neural_network/_base.py``: a table of functions and a
table of their derivatives, each derivative written in terms of the activation's *output*
(which is what the layer caches).
"""

import numpy as np


class Layer:
    """Base class. ``params`` and ``grads`` map names ("W", "b") to arrays of equal shapes."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.cache = None

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Linear(Layer):
    """An affine layer: out = x @ W + b.

    Shapes: x (N, in_features); W (in_features, out_features); b (out_features,);
    out (N, out_features). Cache: x.
    """

    def __init__(self, in_features, out_features, rng=None, dtype=np.float64):
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(f"Linear needs positive sizes, got in_features={in_features}, "
                             f"out_features={out_features}")
        rng = np.random.default_rng(rng)
        # Glorot-uniform, as scikit-learn's MLP: keeps activations' variance roughly constant.
        bound = np.sqrt(6.0 / (in_features + out_features))
        self.params["W"] = rng.uniform(-bound, bound, (in_features, out_features)).astype(dtype)
        self.params["b"] = np.zeros(out_features, dtype=dtype)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.in_features, self.out_features = in_features, out_features

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features})"

    def forward(self, x):
        """x (N, in_features) -> out (N, out_features); caches x."""
        x = check_batch(x, self.in_features, "Linear.forward")
        raise NotImplementedError("Lesson 2, task 1: implement Linear.forward")

    def param_backward(self, grad_out):
        """grad_out (N, out_features) -> fills grads["W"] (in, out) and grads["b"] (out,).

        Uses the cached x (N, in_features).
        """
        grad_out = check_batch(grad_out, self.out_features, "Linear.backward (grad_out)")
        raise NotImplementedError("Lesson 2, task 2: implement Linear.param_backward (dW and db)")

    def backward(self, grad_out):
        """grad_out (N, out_features) -> dL/dx (N, in_features); also fills grads."""
        self.param_backward(grad_out)
        raise NotImplementedError("Lesson 2, task 3: implement Linear.backward (dx)")


def check_batch(x, features, where):
    """Return x as an array of shape (N, features), or raise a one-line error saying how to fix it."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != features:
        hint = " (one sample? use x.reshape(1, -1))" if x.ndim == 1 else ""
        raise ValueError(f"{where} expects shape (N, {features}), got {x.shape}{hint}")
    return x


# ---- activations: function and derivative tables ----------------------------------------------

def identity(x):
    return x


def identity_derivative(out):
    return np.ones_like(out)


def relu(x):
    raise NotImplementedError("Lesson 3, task 1: implement relu")


def relu_derivative(out):
    """d relu / dx from the output; 0 at the kink x = 0 (the convention torch also uses)."""
    raise NotImplementedError("Lesson 3, task 1: implement relu_derivative")


def sigmoid(x):
    raise NotImplementedError("Lesson 3, task 2: implement sigmoid")


def sigmoid_derivative(out):
    raise NotImplementedError("Lesson 3, task 2: implement sigmoid_derivative")


def tanh(x):
    raise NotImplementedError("Lesson 3, task 3: implement tanh")


def tanh_derivative(out):
    raise NotImplementedError("Lesson 3, task 3: implement tanh_derivative")


ACTIVATIONS = {"identity": identity, "relu": relu, "sigmoid": sigmoid, "tanh": tanh}
DERIVATIVES = {"identity": identity_derivative, "relu": relu_derivative,
               "sigmoid": sigmoid_derivative, "tanh": tanh_derivative}


class Activation(Layer):
    """An elementwise activation from the tables above. Shapes: x, out, grad_out all alike.

    Cache: the output, from which every derivative in ``DERIVATIVES`` is computed.
    """

    name = "identity"

    def forward(self, x):
        self.cache = ACTIVATIONS[self.name](np.asarray(x))
        return self.cache

    def backward(self, grad_out):
        return grad_out * DERIVATIVES[self.name](self.cache)


class Identity(Activation):
    name = "identity"


class ReLU(Activation):
    name = "relu"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"


ACTIVATION_LAYERS = {layer.name: layer for layer in (Identity, ReLU, Sigmoid, Tanh)}
