"""Losses: each pairs with an output activation, and each is computed from the raw scores.

| output activation | loss                     | predict_proba      |
|-------------------|--------------------------|--------------------|
| identity          | MSELoss                  | scores             |
| sigmoid           | BCEWithLogitsLoss        | sigmoid(scores)    |
| softmax           | SoftmaxCrossEntropyLoss  | softmax(scores)    |

Taking logits rather than probabilities lets each loss be written so that no exp overflows and
no log sees 0, for scores of any magnitude. ``forward(scores, y)`` returns the mean loss as a
Python float and caches what ``backward()`` needs; ``backward()`` returns dL/dscores with the
shape and dtype of ``scores``.
"""

import numpy as np

from .layers import sigmoid


class Loss:
    def __init__(self):
        self.cache = None

    def __call__(self, scores, y):
        return self.forward(scores, y)

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean squared error over all N K elements: the mean of (s - y)^2, without lesson 1's 1/2.

    Shapes: scores (N, K) or (N,); y with the same number of elements (N,) for K = 1 is fine.
    Cache: scores - y.
    """

    def forward(self, scores, y):
        scores = np.asarray(scores)
        y = match_targets(y, scores)
        ### BEGIN SOLUTION Lesson 4, task 1: implement MSELoss.forward
        diff = scores - y
        self.cache = diff
        return float(np.mean(diff * diff))
        ### END SOLUTION

    def backward(self):
        ### BEGIN SOLUTION Lesson 4, task 1: implement MSELoss.backward
        diff = self.cache
        return (2.0 / diff.size) * diff
        ### END SOLUTION


class BCEWithLogitsLoss(Loss):
    """Binary log loss on logits: mean of log(1 + exp(s)) - y s.

    Shapes: scores (N,) or (N, 1); y (N,) of 0/1 labels (never broadcast to (N, N)).
    Cache: scores and y, both shaped like scores.
    """

    def forward(self, scores, y):
        scores = np.asarray(scores)
        if scores.ndim == 2 and scores.shape[1] != 1 or scores.ndim > 2:
            raise ValueError(f"BCEWithLogitsLoss expects scores of shape (N,) or (N, 1), got "
                             f"{scores.shape}: for K classes use SoftmaxCrossEntropyLoss")
        y = match_targets(y, scores)
        if np.any((y != 0) & (y != 1)):
            raise ValueError("BCEWithLogitsLoss expects labels 0 or 1: map your classes to 0/1")
        ### BEGIN SOLUTION Lesson 4, task 2: implement BCEWithLogitsLoss.forward
        # log(1 + exp(s)) = max(s, 0) + log1p(exp(-|s|)): the exp never exceeds 1.
        softplus = np.maximum(scores, 0) + np.log1p(np.exp(-np.abs(scores)))
        self.cache = scores, y
        return float(np.mean(softplus - y * scores))
        ### END SOLUTION

    def backward(self):
        ### BEGIN SOLUTION Lesson 4, task 2: implement BCEWithLogitsLoss.backward
        scores, y = self.cache
        return (sigmoid(scores) - y) / scores.shape[0]
        ### END SOLUTION


def log_softmax(scores):
    """Row-wise log of softmax. scores (N, C) -> (N, C), finite for scores of any size."""
    ### BEGIN SOLUTION Lesson 4, task 3: implement log_softmax (stable)
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    ### END SOLUTION


def softmax(scores):
    """Row-wise softmax. scores (N, C) -> probabilities (N, C), each row summing to 1."""
    return np.exp(log_softmax(np.asarray(scores)))


class SoftmaxCrossEntropyLoss(Loss):
    """Mean cross-entropy of softmax(scores) against integer class labels.

    Shapes: scores (N, C); y (N,) of integers in [0, C). Cache: softmax(scores) and y.
    """

    def forward(self, scores, y):
        scores = np.asarray(scores)
        y = check_labels(y, scores)
        ### BEGIN SOLUTION Lesson 4, task 3: implement SoftmaxCrossEntropyLoss.forward
        logp = log_softmax(scores)
        self.cache = np.exp(logp), y
        return float(-np.mean(logp[np.arange(len(y)), y]))
        ### END SOLUTION

    def backward(self):
        ### BEGIN SOLUTION Lesson 4, task 3: implement SoftmaxCrossEntropyLoss.backward
        probs, y = self.cache
        grad = probs.copy()
        grad[np.arange(len(y)), y] -= 1
        return grad / len(y)
        ### END SOLUTION


LOSS_FOR_OUTPUT = {"identity": MSELoss, "sigmoid": BCEWithLogitsLoss,
                   "softmax": SoftmaxCrossEntropyLoss}


def match_targets(y, scores):
    """Return y reshaped to scores' shape and dtype, or raise a one-line error.

    A (N,) target against (N, 1) scores is reshaped rather than broadcast to (N, N).
    """
    y = np.asarray(y)
    if y.size != scores.size or y.ndim == 0:
        raise ValueError(f"targets of shape {y.shape} do not match scores of shape {scores.shape}: "
                         "give one target per score")
    return y.reshape(scores.shape).astype(scores.dtype, copy=False)


def check_labels(y, scores):
    """Return y as an int array of shape (N,), or raise a one-line error."""
    y = np.asarray(y)
    if scores.ndim != 2:
        raise ValueError(f"SoftmaxCrossEntropyLoss expects scores of shape (N, C), got {scores.shape}")
    if y.shape != (scores.shape[0],):
        raise ValueError(f"labels of shape {y.shape} do not match {scores.shape[0]} rows of scores: "
                         "give one integer class per sample, shape (N,)")
    if y.dtype.kind not in "iu":
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError("SoftmaxCrossEntropyLoss expects integer class labels, not one-hot "
                             "rows or probabilities")
        y = y.astype(np.intp)
    if y.size and (y.min() < 0 or y.max() >= scores.shape[1]):
        raise ValueError(f"labels must lie in [0, {scores.shape[1]}), got {y.min()}..{y.max()}")
    return y
