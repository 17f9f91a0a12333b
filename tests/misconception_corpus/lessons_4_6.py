"""Planted misconceptions of lessons 4-6 (losses, MLP, SGD) and correct alternatives; see __init__.

A submission carries at most one bug per graded cell's quantity: a loss's forward bug and its
backward bug are checked by different cells (values, gradients), and plain SGD and SGD with
momentum by task1-sgd and task1-momentum, so they share a submission without blurring each other.
"""

from backprop_course.autograder.bug_planting import NOTEBOOK

MSE_LOSS = "return float(np.mean(diff * diff))"
MSE_GRAD = "return (2.0 / diff.size) * diff"
SOFTPLUS = "softplus = np.maximum(scores, 0) + np.log1p(np.exp(-np.abs(scores)))"
BCE_LOSS = "return float(np.mean(softplus - y * scores))"
BCE_GRAD = "return (sigmoid(scores) - y) / scores.shape[0]"
SHIFT = "shifted = scores - scores.max(axis=1, keepdims=True)"
NORMALISE = "return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))"
CE_LOSS = "return float(-np.mean(logp[np.arange(len(y)), y]))"
ONEHOT = "grad[np.arange(len(y)), y] -= 1"
CE_GRAD = "return grad / len(y)"
# The hand answers of the derivations (task1-derivation, task2-derivation), in the source notebook.
MSE_HAND, MSE_HAND_BATCH = "mse_dl_ds = 2 * (0.5 - 2)", "mse_dL_ds = mse_dl_ds / 4"
BCE_HAND_P, BCE_HAND = "bce_p = 1 / (1 + 1 / 3)", "bce_dl_ds = bce_p - 1"

FORWARD_LOOP = "        for layer in self.layers:\n            x = layer.forward(x)\n"
BACKWARD_LOOP = "        for layer in reversed(self.layers[1:]):\n            grad_out = layer.backward(grad_out)\n"
COUNT = "return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))"

PLAIN_STEP = "param -= self.lr * grad"
MOMENTUM_STEP = ("velocity[key] *= self.momentum\n                    velocity[key] -= self.lr * grad\n"
                 "                    param += velocity[key]")
INDENT = "\n                    "

L4, L5, L6 = "04_losses", "05_mlp", "06_gradient_descent"
T1_VALUES, T1_GRADS = "task1-mseloss-values", "task1-mseloss-gradients"
T1_HAND, T2_HAND = "task1-derivation", "task2-derivation"
T2_VALUES, T2_GRADS, T2_EDGE = ("task2-bcewithlogitsloss-values", "task2-bcewithlogitsloss-gradients",
                                "task2-bcewithlogitsloss-edge")
LS_VALUES, LS_HUGE = "task3-log-softmax-values", "task3-log-softmax-huge"
T3_VALUES, T3_GRADS, T3_EDGE = ("task3-softmaxcrossentropyloss-values", "task3-softmaxcrossentropyloss-gradients",
                                "task3-softmaxcrossentropyloss-edge")


def mom(*lines):
    """The momentum branch's body as the given lines."""
    return INDENT.join(lines)


SUBMISSIONS = [
    # Lesson 4: MSE (task 1), BCE with logits (task 2), log_softmax and cross-entropy (task 3).
    ("c4-summed-without-2-naive-overflows", L4,
     {NOTEBOOK: [(MSE_HAND, "mse_dl_ds = (0.5 - 2)"), (BCE_HAND, "bce_dl_ds = 1 - bce_p")],
      "losses.py": [(MSE_LOSS, "return float(np.sum(diff * diff))"),
                    (MSE_GRAD, "return diff / diff.size"),
                    (SOFTPLUS, "softplus = np.log(1 + np.exp(scores))"),
                    (BCE_GRAD, "return sigmoid(scores) - y"),
                    (SHIFT, "shifted = scores"),
                    (ONEHOT, "grad = grad")]},
     {T1_HAND: "hand-mse-without-2", T2_HAND: "hand-bce-sign",
      T1_VALUES: "mse-summed", T1_GRADS: "mse-grad-without-2", T2_EDGE: "bce-naive-overflow",
      T2_GRADS: "bce-grad-not-divided", LS_HUGE: "log-softmax-naive-overflow", T3_EDGE: "ce-naive-overflow",
      T3_GRADS: "softmax-grad-without-onehot"}),
    ("c4-half-grad-summed-signs", L4,
     {NOTEBOOK: [(MSE_HAND, "mse_dl_ds = 2 * (2 - 0.5)"), (BCE_HAND, "bce_dl_ds = bce_p * (1 - bce_p)")],
      "losses.py": [(MSE_LOSS, "return float(np.mean(diff * diff) / 2)"),
                    (MSE_GRAD, "return 2.0 * diff"),
                    (BCE_LOSS, "return float(np.sum(softplus - y * scores))"),
                    (BCE_GRAD, "return (y - sigmoid(scores)) / scores.shape[0]"),
                    (CE_LOSS, "return float(-np.sum(logp[np.arange(len(y)), y]))"),
                    (CE_GRAD, "return grad")]},
     {T1_HAND: "hand-mse-sign", T2_HAND: "hand-bce-sigmoid-derivative",
      T1_VALUES: "mse-half", T1_GRADS: "mse-grad-summed", T2_VALUES: "bce-summed", T2_GRADS: "bce-grad-sign",
      T3_VALUES: "ce-summed", T3_GRADS: "softmax-grad-not-divided"}),
    ("c4-root-grad-sign-raw-scores", L4,
     {NOTEBOOK: [(MSE_HAND, "mse_dl_ds = 2 * (0.5 - 2) / 4"), (BCE_HAND, "bce_dl_ds = -1 / bce_p")],
      "losses.py": [(MSE_LOSS, "return float(np.sqrt(np.mean(diff * diff)))"),
                    (MSE_GRAD, "return (-2.0 / diff.size) * diff"),
                    (BCE_LOSS, "return float(np.mean(y * scores - softplus))"),
                    (BCE_GRAD, "return (scores - y) / scores.shape[0]"),
                    (CE_LOSS, "return float(np.mean(logp[np.arange(len(y)), y]))"),
                    (CE_GRAD, "return -grad / len(y)")]},
     {T1_HAND: "hand-mse-averaged", T2_HAND: "hand-bce-dl-dp",
      T1_VALUES: "mse-root", T1_GRADS: "mse-grad-sign", T2_VALUES: "bce-sign", T2_GRADS: "bce-grad-without-sigmoid",
      T3_VALUES: "ce-sign", T3_GRADS: "softmax-grad-sign"}),
    ("c4-per-row-log-softmax-wrong-axis", L4,
     {NOTEBOOK: [(MSE_HAND_BATCH, "mse_dL_ds = mse_dl_ds"), (BCE_HAND_P, "bce_p = 1 / (1 + 3)")],
      "losses.py": [(MSE_LOSS, "return float(np.sum(diff * diff) / len(diff))"),
                    (MSE_GRAD, "return (2.0 / len(diff)) * diff"),
                    (SHIFT, "shifted = scores - scores.max(axis=0, keepdims=True)"),
                    (NORMALISE, "return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))")]},
     {T1_HAND: "hand-mse-batch-not-averaged", T2_HAND: "hand-sigmoid-mirrored",
      T1_VALUES: "mse-per-row", T1_GRADS: "mse-per-row", LS_VALUES: "log-softmax-wrong-axis"}),
    ("c4-log-softmax-returns-softmax", L4,
     {"losses.py": [(NORMALISE, "return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)")]},
     {LS_VALUES: "log-softmax-returns-softmax"}),
    ("c4-log-softmax-without-normaliser", L4,
     {"losses.py": [(NORMALISE, "return shifted")]},
     {LS_VALUES: "log-softmax-without-normaliser"}),
    # Lesson 5: MLP.forward (task 1), MLP.backward (task 2), count_parameters (task 3).
    ("c5-reversed-forward-order-no-biases", L5,
     {"mlp.py": [(FORWARD_LOOP, "        for layer in reversed(self.layers):\n            x = layer.forward(x)\n"),
                 (BACKWARD_LOOP + "        first = self.layers[0]\n",
                  "        for layer in self.layers[:-1]:\n            grad_out = layer.backward(grad_out)\n"
                  "        first = self.layers[-1]\n")],
      NOTEBOOK: [(COUNT, "return sum(fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))")]},
     {"task1-forward": "forward-reversed", "task2-backward": "backward-forward-order",
      "task3-count": "count-without-biases"}),
    ("c5-skip-activations-bias-per-input", L5,
     {"mlp.py": [(FORWARD_LOOP, "        for layer in [layer for layer in self.layers if layer.params]:\n"
                                "            x = layer.forward(x)\n"),
                 (BACKWARD_LOOP, "        for layer in reversed([layer for layer in self.layers[1:] if layer.params]):\n"
                                 "            grad_out = layer.backward(grad_out)\n")],
      NOTEBOOK: [(COUNT, "return sum(fan_in * (fan_out + 1) for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))")]},
     {"task1-forward": "forward-skips-activations", "task2-backward": "backward-skips-activations",
      "task3-count": "count-bias-per-input"}),
    ("c5-not-chained-bias-per-unit", L5,
     {"mlp.py": [("x = layer.forward(x)\n        return x", "out = layer.forward(x)\n        return out"),
                 ("grad_out = layer.backward(grad_out)", "layer.backward(grad_out)")],
      NOTEBOOK: [(COUNT, "return sum(sizes) + sum(fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))")]},
     {"task1-forward": "forward-not-chained", "task2-backward": "backward-not-chained",
      "task3-count": "count-bias-per-unit"}),
    ("c5-stops-early-skips-first", L5,
     {"mlp.py": [("        for layer in self.layers:\n", "        for layer in self.layers[:-1]:\n"),
                 ("return first.backward(grad_out)", "first.param_backward(grad_out)\n        return grad_out")]},
     {"task1-forward": "forward-stops-early", "task2-backward": "backward-skips-first"}),
    # Lesson 6: SGD.step, plain (task1-sgd) and with momentum (task1-momentum).
    ("c6-rebinds-momentum-ignored", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("velocity[key] *= self.momentum", "velocity[key] -= self.lr * grad",
                                       "param -= self.lr * grad")),
                   ("                else:\n                    " + PLAIN_STEP,
                    "                else:\n                    param = param - self.lr * grad")]},
     {"task1-sgd": "sgd-rebinds", "task1-momentum": "momentum-ignored"}),
    ("c6-wrong-sign-param-before-velocity", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("param += velocity[key]", "velocity[key] *= self.momentum",
                                       "velocity[key] -= self.lr * grad")),
                   ("                else:\n                    " + PLAIN_STEP,
                    "                else:\n                    param += self.lr * grad")]},
     {"task1-sgd": "sgd-wrong-sign", "task1-momentum": "param-before-velocity"}),
    ("c6-lr-ignored-velocity-not-kept", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("step = self.momentum * velocity[key] - self.lr * grad", "param += step")),
                   ("                else:\n                    " + PLAIN_STEP,
                    "                else:\n                    param -= grad")]},
     {"task1-sgd": "sgd-lr-ignored", "task1-momentum": "momentum-ignored"}),
    ("c6-velocity-without-lr", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("velocity[key] *= self.momentum", "velocity[key] += grad",
                                       "param -= self.lr * velocity[key]"))]},
     {"task1-momentum": "velocity-without-lr"}),
    ("c6-velocity-sign", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("velocity[key] *= self.momentum", "velocity[key] += self.lr * grad",
                                       "param -= velocity[key]"))]},
     {"task1-momentum": "velocity-sign"}),
]

ALTERNATIVES = [
    ("a4-logaddexp-dot-einsum", L4,
     {"losses.py": [(SOFTPLUS, "softplus = np.logaddexp(0, scores)"),
                    (MSE_LOSS, "return float(np.dot(diff.ravel(), diff.ravel()) / diff.size)"),
                    (NORMALISE, "return shifted - np.log(np.einsum('ij->i', np.exp(shifted)))[:, None]")]}),
    ("a4-tanh-sigmoid-eye-take-along-axis", L4,
     {"losses.py": [(BCE_GRAD, "return (0.5 * np.tanh(0.5 * scores) + 0.5 - y) / len(scores)"),
                    (MSE_GRAD, "return 2.0 * diff / diff.size"),
                    ("grad = probs.copy()\n        " + ONEHOT + "\n        " + CE_GRAD,
                     "return (probs - np.eye(probs.shape[1], dtype=probs.dtype)[y]) / len(y)"),
                    (CE_LOSS, "return float(-np.take_along_axis(logp, y[:, None], axis=1).mean())")]}),
    ("a5-indexed-loops-dot-count", L5,
     {"mlp.py": [(FORWARD_LOOP, "        for i in range(len(self.layers)):\n            x = self.layers[i].forward(x)\n"),
                 (BACKWARD_LOOP, "        for i in range(len(self.layers) - 1, 0, -1):\n"
                                 "            grad_out = self.layers[i].backward(grad_out)\n")],
      NOTEBOOK: [(COUNT, "return int(np.dot(np.array(sizes[:-1]) + 1, sizes[1:]))")]}),
    ("a5-slices-count-per-layer", L5,
     {"mlp.py": [("for layer in reversed(self.layers[1:]):", "for layer in self.layers[:0:-1]:")],
      NOTEBOOK: [(COUNT, "return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))")]}),
    ("a6-ufunc-out", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("np.multiply(velocity[key], self.momentum, out=velocity[key])",
                                       "np.subtract(velocity[key], self.lr * grad, out=velocity[key])",
                                       "np.add(param, velocity[key], out=param)")),
                   ("                else:\n                    " + PLAIN_STEP,
                    "                else:\n                    np.subtract(param, self.lr * grad, out=param)")]}),
    ("a6-slice-assignment", L6,
     {"optim.py": [(MOMENTUM_STEP, mom("velocity[key][...] = self.momentum * velocity[key] - self.lr * grad",
                                       "param[...] = param + velocity[key]")),
                   ("                else:\n                    " + PLAIN_STEP,
                    "                else:\n                    param[...] = param - self.lr * grad")]}),
]
