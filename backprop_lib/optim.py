# Course authors: this skeleton is generated from solutions/backprop_lib/optim.py by `backprop-course build`: edit there, not here.
"""Gradient descent: move every parameter a step against its gradient."""

import numpy as np


class SGD:
    """Stochastic gradient descent with optional (heavy-ball) momentum: lesson 6, task 1 says
    what one step does (its check shows the formula once it passes).

    ``model`` is anything with a ``layers`` list (an MLP) or a single Layer; parameters are
    updated in place, so references to them stay valid. ``velocity[i][key]`` is the velocity of
    parameter ``key`` of the i-th layer that has parameters, zeros at first.
    """

    def __init__(self, model, lr, momentum=0.0):
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got lr={lr!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must lie in [0, 1), got momentum={momentum!r}")
        self.layers = [layer for layer in getattr(model, "layers", [model]) if layer.params]
        self.lr = lr
        self.momentum = momentum
        self.velocity = [{key: np.zeros_like(value) for key, value in layer.params.items()}
                         for layer in self.layers]

    def step(self):
        """Apply one update to every parameter from the gradients the last backward pass left."""
        for layer, velocity in zip(self.layers, self.velocity):
            for key, param in layer.params.items():
                grad = layer.grads[key]
                raise NotImplementedError("Lesson 6, task 1: implement SGD.step")
