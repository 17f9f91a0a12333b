"""Corpus 2: mistakes taken from public Q&A, course forums and issue trackers (issue 18).

Not written from the catalogue: each bug below is one that people made in public, re-planted in
this course's code, with its source in the comment above it. Where the original is PyTorch or a
column-per-sample course (deeplearning.ai), it is written here as a student of this course would
write it in NumPy. Format as in ``__init__``.
"""

from misconception_corpus.lessons_1_3 import (DB, DW, DX, L1, L2, L3, OUT, SIG, SIG_D, SIG_F, SWEEP, TANH,
                                              TANH_D, TANH_F, submissions)
from misconception_corpus.lessons_4_6 import (BCE_GRAD, BCE_LOSS, CE_GRAD, CE_LOSS, L4, L5, L6, LS_HUGE, LS_VALUES,
                                              MOMENTUM_STEP, MSE_GRAD, MSE_LOSS, NORMALISE, ONEHOT, PLAIN_STEP,
                                              SHIFT, SOFTPLUS, T1_GRADS, T1_VALUES, T2_GRADS, T2_VALUES, T3_EDGE,
                                              T3_GRADS, T3_VALUES, mom)
from backprop_course.autograder.bug_planting import NOTEBOOK

# ---- lesson 1: the Scalar engine (micrograd-style) -----------------------------------------------

LOCAL = [  # task 3
    # https://github.com/karpathy/nn-zero-to-hero/issues/52 : exp's local gradient taken as the
    # input (self.data) instead of the output (out.data)
    ("exp-derivative-is-input", [("return (out,)", "return (self.value,)")]),
    # https://community.deeplearning.ai/t/wrong-values-for-dw1/85937 : tanh's derivative from the
    # pre-activation Z1 instead of the activation A1
    ("tanh-from-input", [(TANH, "return (1.0 - self.value ** 2,)")]),
    # https://github.com/iamtrask/Grokking-Deep-Learning/issues/56 : the derivative evaluated at the
    # wrong tensor of the pair (input vs output of the activation), here sigmoid's
    ("sigmoid-from-input", [(SIG, "return (self.value - self.value * self.value,)")]),
]
BACKWARD = [  # task 4
    # https://github.com/karpathy/nn-zero-to-hero/issues/52 (the lecture's own note: "I incorrectly
    # used = instead of +="): a node used twice keeps only its last path's gradient
    ("backward-overwrites", [(SWEEP, "parent.grad = node.grad * local")]),
    # https://github.com/karpathy/micrograd/pull/102 discussion: gradients pushed in creation
    # order, before a node's own gradient is complete
    ("backward-forward-order", [("for node in reversed(order):", "for node in order:")]),
]

# ---- lesson 2: the Linear layer ----------------------------------------------------------------

FORWARD = [  # task 1
    # https://github.com/NVlabs/tiny-cuda-nn/issues/465 : an activation applied inside the affine
    # step (the layer is affine; the activation is its own layer)
    ("forward-with-activation", [(OUT, 'return np.maximum(0.0, x @ self.params["W"] + self.params["b"])')]),
    # https://datascience.stackexchange.com/questions/20139 : the bias handled as one summed scalar
    ("forward-bias-summed", [(OUT, 'return x @ self.params["W"] + np.sum(self.params["b"])')]),
]
PARAM_BACKWARD = [  # task 2
    # https://github.com/janchorowski/nn_assignments/pull/21 : dL/dW divided by the number of
    # samples again, although the loss's gradient already carries 1/N
    ("dW-divided-by-N", [(DW, 'self.grads["W"] = np.dot(self.cache.T, grad_out) / self.cache.shape[0]')]),
    # https://community.deeplearning.ai/t/trouble-understanding-b-vector-back-propagation/536725 :
    # the bias gradient summed over the other axis
    ("db-wrong-axis", [(DB, 'self.grads["b"] = np.sum(grad_out, axis=1)')]),
    # https://stats.stackexchange.com/q/500902 : the outer product taken of batch totals, the sum
    # over samples done before the product instead of after it
    ("dW-sums-before-product", [(DW, 'self.grads["W"] = np.outer(self.cache.sum(axis=0), grad_out.sum(axis=0))')]),
    # https://community.deeplearning.ai/t/course-1-week-2-exercise-5-propagate/119220/2 : the mean
    # over the batch where the sum is needed (the 1/m of that course's formula kept)
    ("db-mean", [(DB, 'self.grads["b"] = np.mean(grad_out, axis=0)')]),
]
INPUT_GRAD = [  # task 3
    # https://community.deeplearning.ai/t/building-your-deep-neural-network-step-by-step-error-debugging/674897/8 :
    # * (elementwise) where the matrix product is needed
    ("dx-elementwise", [(DX, 'return grad_out * self.params["W"]')]),
    # https://community.deeplearning.ai/t/course-1-week-2-exercise-5-propagate/119220/2 : "leave
    # out the transpose"
    ("dx-without-transpose", [(DX, 'return np.dot(grad_out, self.params["W"])')]),
]

# ---- lesson 3: activations -------------------------------------------------------------------

SIGMOID = [  # task 2
    # https://github.com/iamtrask/Grokking-Deep-Learning/issues/56 : the derivative evaluated at the
    # wrong tensor: sigmoid applied again to what is already sigmoid's output
    ("derivative-from-input", [(SIG_D, "s = 1 / (1 + np.exp(-out))\n    return s * (1 - s)")]),
    # https://github.com/apache/singa/pull/540 (review: "the result will be [nan, nan, nan, nan]"
    # for inputs of 10000): e^x / (1 + e^x) without a stable branch
    ("sigmoid-naive-overflow", [(SIG_F, "return np.exp(x) / (np.exp(x) + 1)")]),
]
TANH_TASK = [  # task 3
    # https://community.deeplearning.ai/t/wrong-values-for-dw1/85937 : tanh's derivative written
    # from the pre-activation, here applied to the output it is given
    ("derivative-from-input", [(TANH_D, "return 1 - np.tanh(out) * np.tanh(out)")]),
    # https://github.com/apache/singa/pull/540 : the naive exponential formula overflows at 1e4
    ("tanh-naive-overflow", [(TANH_F, "return (np.exp(x) - np.exp(-x)) / (np.exp(-x) + np.exp(x))")]),
]

# ---- lesson 4: losses ------------------------------------------------------------------------

LOSS_SUBMISSIONS = [
    # https://github.com/pytorch/pytorch/issues/16045 , https://github.com/pytorch/pytorch/issues/19699 ,
    # https://github.com/LAMDA-Tabular/TALENT/pull/92 : scores (N, 1) against targets (N,) broadcast
    # to (N, N). This course reshapes y to the scores' shape first, so the student flattens it back.
    ("p4-mse-broadcast", L4, {"losses.py": [("diff = scores - y", "diff = scores - y.ravel()")]},
     {T1_VALUES: "mse-broadcast", T1_GRADS: "mse-broadcast"}),
    # https://github.com/rinuboney/ladder/issues/5 : a mean taken over the wrong count (the rows,
    # not every entry); https://github.com/victorlempitsky/Mate/issues/2 : the gradient normalised
    # by numel instead of the batch size
    ("p4-mse-per-row-softmax-by-size", L4,
     {"losses.py": [(MSE_LOSS, "return float((diff ** 2).sum() / diff.shape[0])"),
                    (MSE_GRAD, "return 2.0 * diff / diff.shape[0]"),
                    (CE_GRAD, "return grad / grad.size")]},
     {T1_VALUES: "mse-per-row", T1_GRADS: "mse-per-row", T3_GRADS: "softmax-grad-divided-by-size"}),
    # https://github.com/linxiaow/EECS498-Deep-Learning-for-Vision/issues/2 : the max of the whole
    # matrix subtracted, not each row's ("a nan which indicates a problem")
    ("p4-global-max", L4, {"losses.py": [(SHIFT, "shifted = scores - np.max(scores)")]},
     {LS_HUGE: "log-softmax-global-max", T3_EDGE: "log-softmax-global-max"}),
    # https://github.com/deeplearning4j/deeplearning4j/issues/345 : softmax over dimension 0
    # instead of 1 (over the samples, not the classes)
    ("p4-wrong-axis", L4, {"losses.py": [(SHIFT, "shifted = scores - scores.max(axis=0, keepdims=True)"),
                                         (NORMALISE, "return shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))")]},
     {LS_VALUES: "log-softmax-wrong-axis"}),
    # https://github.com/tflearn/tflearn/pull/562 , https://github.com/nfmcclure/tensorflow_cookbook/issues/86 :
    # softmax applied to what is already softmax's output (the loss takes logits)
    ("p4-softmax-twice", L4, {"losses.py": [("logp = log_softmax(scores)", "logp = log_softmax(softmax(scores))")]},
     {T3_VALUES: "ce-softmax-twice", T3_GRADS: "ce-softmax-twice"}),
    # https://github.com/Lightning-AI/pytorch-lightning/issues/18272 , https://github.com/itakurah/focal-loss-pytorch/pull/5 :
    # sigmoid applied to the scores before a loss that works on logits
    ("p4-sigmoid-twice", L4, {"losses.py": [(SOFTPLUS, "scores = sigmoid(scores)\n        " + SOFTPLUS)]},
     {T2_VALUES: "bce-sigmoid-twice", T2_GRADS: "bce-sigmoid-twice"}),
    # https://blog.csdn.net/icameling/article/details/55260003 and the CS231n softmax assignment:
    # the labels indexed as a column, logp[:, y], instead of one entry per row
    ("p4-label-columns", L4, {"losses.py": [(CE_LOSS, "return float(-np.mean(logp[:, y]))"),
                                            (ONEHOT, "grad[:, y] -= 1")]},
     {T3_VALUES: "ce-label-columns", T3_GRADS: "softmax-grad-label-columns"}),
    # https://github.com/hankcs/CS224n/issues/17 : dL/dscores kept only at the true class (the
    # softmax term of the other classes dropped)
    ("p4-true-class-only", L4,
     {"losses.py": [("grad = probs.copy()\n        " + ONEHOT,
                     "grad = np.zeros_like(probs)\n        rows = np.arange(len(y))\n"
                     "        grad[rows, y] = probs[rows, y] - 1")]},
     {T3_GRADS: "softmax-grad-true-class-only"}),
    # https://github.com/tensorflow/tensorflow/pull/1358 : the cross-entropy summed over the batch;
    # https://github.com/apache/mxnet/pull/2215 : the softmax gradient not divided by N;
    # https://github.com/aymericdamien/TensorFlow-Examples/issues/10 : "I forgot to compute the mean
    # loss over a batch"
    ("p4-summed", L4, {"losses.py": [(CE_LOSS, "return float(-np.sum(logp[np.arange(len(y)), y]))"),
                                     (CE_GRAD, "return grad"),
                                     (BCE_LOSS, "return float(np.sum(softplus - y * scores))")]},
     {T3_VALUES: "ce-summed", T3_GRADS: "softmax-grad-not-divided", T2_VALUES: "bce-summed"}),
    # https://github.com/deeplearning4j/deeplearning4j/issues/345 (second comment: labels.sub(p)
    # instead of p.sub(labels)): the gradient's sign flipped
    ("p4-grad-signs", L4, {"losses.py": [(BCE_GRAD, "return (y - sigmoid(scores)) / len(scores)"),
                                         (CE_GRAD, "return -grad / len(y)")]},
     {T2_GRADS: "bce-grad-sign", T3_GRADS: "softmax-grad-sign"}),
]

# ---- lesson 5: the MLP -------------------------------------------------------------------------

RETURN = "x = layer.forward(x)\n        return x"
MLP_SUBMISSIONS = [
    # https://github.com/Graylab/DL4Proteins-notebooks/issues/13 , https://github.com/lansinuote/Huggingface_Toturials/issues/6 :
    # the model's forward returns softmax(logits) although the loss applies it itself
    ("p5-forward-output-activation", L5,
     {"mlp.py": [(RETURN, "x = layer.forward(x)\n        return OUTPUT_ACTIVATIONS[self.output_activation](x)")]},
     {"task1-forward": "forward-applies-output-activation"}),
    # https://github.com/sugi-chan/custom_bert_pipeline/issues/1 : a softmax always applied at the
    # end of forward
    ("p5-forward-softmax-always", L5, {"mlp.py": [(RETURN, "x = layer.forward(x)\n        return softmax(x)")]},
     {"task1-forward": "forward-applies-output-activation"}),
    # https://github.com/unda-ml/unda/issues/1 : layers chained wrongly in backward (each layer
    # handed the gradient at the output instead of the one the layer after it returned)
    ("p5-not-chained", L5, {"mlp.py": [("grad_out = layer.backward(grad_out)", "layer.backward(grad_out)"),
                                       (RETURN, "out = layer.forward(x)\n        return out")]},
     {"task1-forward": "forward-not-chained", "task2-backward": "backward-not-chained"}),
]

# ---- lesson 6: SGD with momentum ---------------------------------------------------------------

PLAIN = "                else:\n                    " + PLAIN_STEP
SGD_SUBMISSIONS = [
    # https://vivek-s.com/Programming/Deep+Learning/Momentum (Andrew Ng's form),
    # https://github.com/ml-explore/mlx/pull/87 ("our momentum ... we scale the gradient by (1 - momentum)"):
    # the velocity as an average
    ("p6-momentum-average", L6, {"optim.py": [(MOMENTUM_STEP, mom(
        "velocity[key] *= self.momentum", "velocity[key] += (1 - self.momentum) * grad",
        "param -= self.lr * velocity[key]"))]},
     {"task1-momentum": "momentum-average"}),
    # https://vivek-s.com/Programming/Deep+Learning/Momentum (Keras with nesterov=True),
    # https://github.com/oysteijo/simd_neuralnet/issues/17 : the Nesterov step where plain momentum is asked
    ("p6-nesterov", L6, {"optim.py": [(MOMENTUM_STEP, mom(
        "velocity[key] *= self.momentum", "velocity[key] -= self.lr * grad",
        "param += self.momentum * velocity[key] - self.lr * grad"))]},
     {"task1-momentum": "momentum-nesterov"}),
    # https://stats.stackexchange.com/q/299920 (the first formulation: v <- lr grad; theta <- theta
    # - (v + mu v_old)): only the last raw gradient step kept as the velocity
    ("p6-last-gradient", L6, {"optim.py": [(MOMENTUM_STEP, mom(
        "param -= self.lr * grad + self.momentum * velocity[key]", "velocity[key][...] = self.lr * grad"))]},
     {"task1-momentum": "momentum-last-gradient"}),
    # https://stats.stackexchange.com/q/299920 ("Pytorch has implemented this version"): the velocity
    # kept without the learning rate; with the plain step rebinding a name
    # (https://github.com/ml-explore/mlx/issues/440 returns a new array from the plain branch)
    ("p6-torch-velocity-rebinds", L6, {"optim.py": [(MOMENTUM_STEP, mom(
        "velocity[key] *= self.momentum", "velocity[key] += grad", "param -= self.lr * velocity[key]")),
        (PLAIN, "                else:\n                    param = param - self.lr * grad")]},
     {"task1-momentum": "velocity-without-lr", "task1-sgd": "sgd-rebinds"}),
]

SUBMISSIONS = (
    [(f"p-{name}", lesson, bugs, expected) for name, lesson, bugs, expected in
     submissions(L1, [("task3-check", "graph.py", LOCAL), ("task4-check", "graph.py", BACKWARD)])
     + submissions(L2, [("task1-check", "layers.py", FORWARD), ("task2-check", "layers.py", PARAM_BACKWARD),
                        ("task3-check", "layers.py", INPUT_GRAD)])
     + submissions(L3, [("task2-check", "layers.py", SIGMOID), ("task3-check", "layers.py", TANH_TASK)])]
    + LOSS_SUBMISSIONS + MLP_SUBMISSIONS + SGD_SUBMISSIONS
)

ALTERNATIVES = [
    # Correct code written as the sources above write it: they must pass with no name.
    ("p-alt-losses", L4, {"losses.py": [
        (MSE_LOSS, "return float(np.square(diff).mean())"),
        (SHIFT, "shifted = scores - np.amax(scores, axis=1)[:, np.newaxis]"),
        (CE_LOSS, "return float(-np.mean(np.choose(y, logp.T)))"),
        ("grad = probs.copy()\n        " + ONEHOT + "\n        " + CE_GRAD,
         "grad = probs.copy()\n        np.subtract.at(grad, (np.arange(len(y)), y), 1)\n        return grad / probs.shape[0]")]}),
    ("p-alt-momentum-rebinds-dict-entry", L6, {"optim.py": [(MOMENTUM_STEP, mom(
        "velocity[key] = self.momentum * velocity[key] - self.lr * grad", "param += velocity[key]"))]}),
    ("p-alt-mlp-own-name", L5, {"mlp.py": [("        for layer in self.layers:\n            " + RETURN,
                                            "        out = x\n        for layer in self.layers:\n"
                                            "            out = layer.forward(out)\n        return out")]}),
]
