# generated from solutions/backprop_lib by `backprop-course build`: edit there, not here.
"""The library's task functions: those holding a solution region, with the lines given around it.

``checks.crash_report`` blames the deepest line of a traceback that is the student's: a line of
a task function in ``backprop_lib/<file>`` that is none of its given lines.
"""

GIVEN_LINES = {
    'graph.py': {
        'Scalar.__add__.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.__sub__.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.__mul__.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.__truediv__.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.__pow__.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.__neg__.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.exp.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.log.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.tanh.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.sigmoid.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.relu.<locals>.local_grads': (
            'def local_grads():',
        ),
        'Scalar.backward': (
            '"""',
            '"""Fill ``grad`` of every node in the graph with d(self)/d(node).',
            'Gradients are recomputed from zero on each call (they do not accumulate across calls).',
            'def backward(self):',
            'for node in order:',
            'node.grad = 0.0',
            'order = self.topological_order()',
            'self.grad = 1.0',
        ),
    },
    'layers.py': {
        'Linear.forward': (
            '"""x (N, in_features) -> out (N, out_features); caches x."""',
            'def forward(self, x):',
            'x = check_batch(x, self.in_features, "Linear.forward")',
        ),
        'Linear.param_backward': (
            '"""',
            '"""grad_out (N, out_features) -> fills grads["W"] (in, out) and grads["b"] (out,).',
            'Uses the cached x (N, in_features).',
            'def param_backward(self, grad_out):',
            'grad_out = check_batch(grad_out, self.out_features, "Linear.backward (grad_out)")',
        ),
        'Linear.backward': (
            '"""grad_out (N, out_features) -> dL/dx (N, in_features); also fills grads."""',
            'def backward(self, grad_out):',
            'self.param_backward(grad_out)',
        ),
        'relu': (
            'def relu(x):',
        ),
        'relu_derivative': (
            '"""d relu / dx from the output; 0 at the kink x = 0 (the convention torch also uses)."""',
            'def relu_derivative(out):',
        ),
        'sigmoid': (
            'def sigmoid(x):',
        ),
        'sigmoid_derivative': (
            'def sigmoid_derivative(out):',
        ),
        'tanh': (
            'def tanh(x):',
        ),
        'tanh_derivative': (
            'def tanh_derivative(out):',
        ),
    },
    'losses.py': {
        'MSELoss.forward': (
            'def forward(self, scores, y):',
            'scores = np.asarray(scores)',
            'y = match_targets(y, scores)',
        ),
        'MSELoss.backward': (
            'def backward(self):',
        ),
        'BCEWithLogitsLoss.forward': (
            'def forward(self, scores, y):',
            'f"{scores.shape}: for K classes use SoftmaxCrossEntropyLoss")',
            'if np.any((y != 0) & (y != 1)):',
            'if scores.ndim == 2 and scores.shape[1] != 1 or scores.ndim > 2:',
            'raise ValueError("BCEWithLogitsLoss expects labels 0 or 1: map your classes to 0/1")',
            'raise ValueError(f"BCEWithLogitsLoss expects scores of shape (N,) or (N, 1), got "',
            'scores = np.asarray(scores)',
            'y = match_targets(y, scores)',
        ),
        'BCEWithLogitsLoss.backward': (
            'def backward(self):',
        ),
        'log_softmax': (
            '"""Row-wise log of softmax. scores (N, C) -> (N, C), finite for scores of any size."""',
            'def log_softmax(scores):',
        ),
        'SoftmaxCrossEntropyLoss.forward': (
            'def forward(self, scores, y):',
            'scores = np.asarray(scores)',
            'y = check_labels(y, scores)',
        ),
        'SoftmaxCrossEntropyLoss.backward': (
            'def backward(self):',
        ),
    },
    'mlp.py': {
        'MLP.forward': (
            '"""x (N, in_features) -> scores (N, out_features); each layer caches its own input."""',
            'def forward(self, x):',
        ),
        'MLP.backward': (
            '"""',
            '"""grad_out (N, out_features) = dL/dscores -> dL/dx (N, in_features); fills every layer\'s grads.',
            "With input_grad=False (training) the first layer's dL/dx is skipped and None is returned:",
            'def backward(self, grad_out, input_grad=True):',
            'nothing uses it, and it costs about a quarter of a training step.',
        ),
    },
    'optim.py': {
        'SGD.step': (
            '"""Apply one update to every parameter from the gradients the last backward pass left."""',
            'def step(self):',
            'for key, param in layer.params.items():',
            'for layer, velocity in zip(self.layers, self.velocity):',
            'grad = layer.grads[key]',
        ),
    },
}
