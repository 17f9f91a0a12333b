# Course authors: this skeleton is generated from solutions/backprop_lib/mlp.py by `backprop-course build`: edit there, not here.
"""A multi-layer perceptron: Linear and activation layers in a list, run forward then backward."""

import numpy as np

from .layers import ACTIVATION_LAYERS, Linear, identity, sigmoid
from .losses import softmax

OUTPUT_ACTIVATIONS = {"identity": identity, "sigmoid": sigmoid, "softmax": softmax}


class MLP:
    """Linear -> activation -> ... -> Linear, with the output activation applied only by predict.

    ``forward`` returns raw scores (logits), which the loss takes: see ``losses.LOSS_FOR_OUTPUT``.

    Shapes: x (N, in_features) -> scores (N, out_features).

    Args:
        in_features: size of each input sample.
        hidden_layer_sizes: units per hidden layer, e.g. (16, 16); () gives a linear model.
        out_features: size of each output.
        activation: hidden activation, a key of ``layers.ACTIVATIONS``.
        output_activation: "identity" (regression), "sigmoid" (binary) or "softmax" (classes).
        rng: seed or numpy Generator for the initial weights.
        dtype: float64 (default) or float32 parameters.
    """

    def __init__(self, in_features, hidden_layer_sizes, out_features, activation="relu",
                 output_activation="identity", rng=None, dtype=np.float64):
        if activation not in ACTIVATION_LAYERS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {sorted(ACTIVATION_LAYERS)}")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"unknown output_activation {output_activation!r}: "
                             f"choose one of {sorted(OUTPUT_ACTIVATIONS)}")
        rng = np.random.default_rng(rng)
        sizes = [in_features, *hidden_layer_sizes, out_features]
        self.layers = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.layers.append(Linear(fan_in, fan_out, rng=rng, dtype=dtype))
            self.layers.append(ACTIVATION_LAYERS[activation]())
        self.layers.pop()  # no hidden activation after the output layer
        self.sizes = sizes
        self.activation = activation
        self.output_activation = output_activation

    def __repr__(self):
        hidden = tuple(self.sizes[1:-1])
        return (f"MLP({self.sizes[0]}, {hidden}, {self.sizes[-1]}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r})")

    def forward(self, x):
        """x (N, in_features) -> scores (N, out_features); each layer caches its own input."""
        raise NotImplementedError("Lesson 5, task 1: implement MLP.forward")

    def backward(self, grad_out, input_grad=True):
        """grad_out (N, out_features) = dL/dscores -> dL/dx (N, in_features); fills every layer's grads.

        With input_grad=False (training) the first layer's dL/dx is skipped and None is returned:
        nothing uses it, and it costs about a quarter of a training step.
        """
        raise NotImplementedError("Lesson 5, task 2: implement MLP.backward")

    def __call__(self, x):
        return self.forward(x)

    def named_parameters(self):
        """[(name, layer, key)] for every parameter, e.g. ("layer1.W", <Linear>, "W"), input side first."""
        linears = [layer for layer in self.layers if layer.params]
        return [(f"layer{i}.{key}", layer, key)
                for i, layer in enumerate(linears, start=1) for key in layer.params]

    def num_parameters(self):
        return sum(layer.params[key].size for _, layer, key in self.named_parameters())

    def predict_proba(self, x):
        """x (N, in_features) -> the output activation of the scores, (N, out_features)."""
        return OUTPUT_ACTIVATIONS[self.output_activation](self.forward(x))

    def predict(self, x):
        """Regression: the outputs (N, out_features). Binary: labels 0/1 (N,). Softmax: argmax (N,)."""
        if self.output_activation == "identity":
            return self.forward(x)
        if self.output_activation == "sigmoid":
            # sigmoid(s) > 0.5 exactly when s > 0, so the probabilities are not needed.
            labels = (self.forward(x) > 0).astype(int)
            return labels[:, 0] if labels.shape[1] == 1 else labels
        return np.argmax(self.forward(x), axis=1)
