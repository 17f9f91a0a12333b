# Course authors: this skeleton is generated from solutions/backprop_lib/__init__.py by `backprop-course build`: edit there, not here.
"""backprop_lib: a small NumPy library for learning how a multi-layer perceptron is trained.

Modules, in the order the lessons build them:
    graph      Scalar: a computation graph of single numbers (lesson 1)
    layers     Linear and the activations ReLU, Sigmoid, Tanh, Identity (lessons 2, 3)
    losses     MSELoss, BCEWithLogitsLoss, SoftmaxCrossEntropyLoss (lesson 4)
    mlp        MLP: layers stacked from hidden_layer_sizes (lesson 5)
    optim      SGD (lesson 6); train: fit and train_steps (lesson 6)
    data       seeded toy data sets

The course's checks, gradient checks and widgets are not part of it: they live in the
``backprop_course`` package, which students never edit.
"""

__version__ = "0.1.0"
