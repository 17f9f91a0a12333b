"""Lesson 4 catalogue: the losses, each computed from raw scores.

Quantities and the inputs each needs (scores (N, K) or (N,), y the targets as the check passes them):

- Task 1 (MSELoss), "loss" and "dL/dscores": ``scores``, ``y``.
- Task 2 (BCEWithLogitsLoss), "loss": ``scores``, ``y`` (and ``expected``, always passed: a
  summed or negated loss is a known multiple of the right one); "dL/dscores": ``scores``, ``y`` and
  ``probs`` = sigmoid(scores) from the reference (this module computes no stable sigmoid).
- Tasks 1 and 2, the derivations by hand: "dl/ds by hand" (one sample's loss), "dL/ds in the
  batch by hand" (the same sample in a batch of n, task 1) and "p by hand" (task 2), from ``s``,
  ``y`` and ``n``.
- Task 3, "log_softmax": ``scores``; (SoftmaxCrossEntropyLoss) "loss": ``scores``, ``y``
  (integer labels (N,)); "dL/dscores": ``y`` and ``probs`` = softmax(scores) from the reference.

The naive formulas give NaN/inf only at huge scores (the checks' 1e4): pass those to have them
named; NaN and inf are told apart, so the naive forms, the global-max shift and a missing shift
differ there. Choose K >= 2 columns for MSE so that "divided by N" and "divided by N K" differ,
N != C for cross-entropy so that "divided by N" and "divided by N C" differ, and (N, 1) scores
whose summed loss differs from the (N, N) broadcast mean ("mse-summed" and "mse-broadcast" give
the same 5 at scores (1, 2, 3) and targets (0, 2, 5)).
"""

import numpy as np

from .entry import Misconception

T1, T2, T3 = (f"Lesson 4, task {k}" for k in (1, 2, 3))


def floats(x):
    return np.asarray(x, dtype=np.float64)


def difference(scores, y):
    """scores - y with y shaped like scores (a (N,) target against (N, 1) scores is reshaped)."""
    return floats(scores) - floats(y).reshape(np.shape(scores))


def onehot(y, probs):
    labels = np.zeros(np.shape(probs))
    labels[np.arange(len(labels)), np.asarray(y, dtype=np.intp)] = 1.0
    return labels


def naive_log_softmax(scores, axis=1):
    """log(e^s / sum e^s): overflows for scores of several hundred."""
    e = np.exp(floats(scores))
    return np.log(e / e.sum(axis=axis, keepdims=True))


def unshifted_log_softmax(scores):
    """s - log(sum e^s), the stable formula without its max shift: overflows like the naive one,
    but a tiny e^s (at s = -1000) is not rounded to log 0."""
    return floats(scores) - np.log(np.exp(floats(scores)).sum(axis=1, keepdims=True))


def naive_log_loss(scores, y, **_):
    """-mean(y log p + (1 - y) log(1 - p)) with p = 1 / (1 + e^-s): log 0 at large |scores|."""
    p = 1 / (1 + np.exp(-floats(scores)))
    y = floats(y).reshape(np.shape(scores))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def shifted_log_softmax(scores, shift):
    """s - shift - log(sum e^(s - shift)) per row, for a shift of shape (N, 1) or a global one."""
    z = floats(scores) - shift
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def global_max_log_softmax(scores):
    """log_softmax shifted by the largest score of the whole batch: at scores of 1e4 a row far
    below it has every e^(s - max) round to 0, and its log-probabilities become inf."""
    return shifted_log_softmax(scores, np.max(floats(scores)))


def row_max_log_softmax(scores):
    """The stable log_softmax, used here only as the inner step of a wrong formula."""
    return shifted_log_softmax(scores, np.max(floats(scores), axis=1, keepdims=True))


def softmax_of(values):
    """softmax per row of values in [0, 1] (probabilities), where no e^v can overflow."""
    e = np.exp(floats(values))
    return e / e.sum(axis=1, keepdims=True)


def logistic(values):
    """1 / (1 + e^-v) (overflows quietly to 0 for v below -709, as a student's code would)."""
    return 1 / (1 + np.exp(-floats(values)))


def broadcast_difference(scores, y):
    """scores (N, 1) minus y flattened to (N,): NumPy broadcasts them to (N, N), every score
    against every target (raises for scores (N, C) with C not N or 1)."""
    return floats(scores) - floats(y).ravel()


def label_columns(probs, y):
    """The one-hot subtracted as probs[:, y] -= 1: 1 off every row in each label's column."""
    grad = floats(probs).copy()
    grad[:, np.asarray(y, dtype=np.intp)] -= 1.0
    return grad


def picked(logp, y):
    return logp[np.arange(len(logp)), np.asarray(y, dtype=np.intp)]


def misread_mean(task, prefix, loss, what):
    """A log loss summed instead of averaged, or with its sign flipped: known multiples of the
    expected value, so no stable formula is needed to recognise them at any scores."""
    return (Misconception(task, "loss", f"{prefix}-summed",
                          f"the loss is summed over the samples: {loss} returns the mean",
                          lambda scores, expected, **_: len(floats(scores)) * floats(expected)),
            Misconception(task, "loss", f"{prefix}-sign",
                          f"the loss is negative: {what} is -log(probability of the label), which is >= 0",
                          lambda expected, **_: -floats(expected)))


TASK_1 = (
    Misconception(T1, "loss", "mse-summed",
                  "the loss is the sum of squared errors: MSE is their mean",
                  lambda scores, y, **_: np.sum(difference(scores, y) ** 2)),
    Misconception(T1, "loss", "mse-half",
                  "the loss is half the mean squared error: MSELoss has no factor 1/2",
                  lambda scores, y, **_: np.mean(difference(scores, y) ** 2) / 2),
    Misconception(T1, "loss", "mse-root",
                  "the loss is the root of the mean squared error: MSE takes no square root",
                  lambda scores, y, **_: np.sqrt(np.mean(difference(scores, y) ** 2))),
    Misconception(T1, "loss", "mse-per-row",
                  "the loss divides by the number of rows N: the mean runs over all N K entries",
                  lambda scores, y, **_: np.sum(difference(scores, y) ** 2) / len(floats(scores))),
    Misconception(T1, "loss", "mse-broadcast",
                  "the loss averages (N, N) squared differences: scores (N, 1) minus targets (N,) "
                  "broadcasts every score against every target; keep y shaped like scores",
                  lambda scores, y, **_: np.mean(broadcast_difference(scores, y) ** 2)),
    Misconception(T1, "dL/dscores", "mse-broadcast",
                  "dL/dscores has shape (N, N): scores (N, 1) minus targets (N,) broadcasts every "
                  "score against every target; keep y shaped like scores",
                  lambda scores, y, **_: 2 * broadcast_difference(scores, y) / broadcast_difference(scores, y).size),
    Misconception(T1, "dL/dscores", "mse-grad-without-2",
                  "dL/dscores lacks the factor 2: the derivative of (s - y)^2 is 2 (s - y)",
                  lambda scores, y, **_: difference(scores, y) / np.size(scores)),
    Misconception(T1, "dL/dscores", "mse-grad-summed",
                  "dL/dscores is not divided by the number of entries: the loss is a mean, so "
                  "each entry's share is 1/size",
                  lambda scores, y, **_: 2 * difference(scores, y)),
    Misconception(T1, "dL/dscores", "mse-grad-sign",
                  "dL/dscores has its sign flipped: it is positive where the score is above its target",
                  lambda scores, y, **_: -2 * difference(scores, y) / np.size(scores)),
    Misconception(T1, "dL/dscores", "mse-per-row",
                  "dL/dscores divides by the number of rows N: the mean runs over all N K entries",
                  lambda scores, y, **_: 2 * difference(scores, y) / len(floats(scores))),
)

TASK_2 = (
    Misconception(T2, "loss", "bce-naive-overflow",
                  "the log loss overflows at large |scores| (log of sigmoid reaches log 0): write it "
                  "from the logits in the stable softplus form, where e^-|s| never overflows",
                  naive_log_loss),
    Misconception(T2, "loss", "bce-naive-overflow",
                  "the log loss overflows at large |scores| (e^s reaches inf): write it from the "
                  "logits in the stable softplus form, where e^-|s| never overflows",
                  lambda scores, y, **_: np.mean(np.log(1 + np.exp(floats(scores)))
                                                 - floats(y).reshape(np.shape(scores)) * floats(scores))),
    *misread_mean(T2, "bce", "BCEWithLogitsLoss", "log loss"),
    Misconception(T2, "loss", "bce-sigmoid-twice",
                  "the log loss is taken of sigmoid(scores), not of the scores: the loss applies the "
                  "sigmoid itself, so pass it the raw scores (logits)",
                  lambda scores, y, **_: np.mean(np.log1p(np.exp(logistic(scores)))
                                                 - floats(y).reshape(np.shape(scores)) * logistic(scores))),
    Misconception(T2, "dL/dscores", "bce-sigmoid-twice",
                  "dL/dscores is sigmoid(sigmoid(s)) - y (over N): the sigmoid is applied twice; the "
                  "loss takes the raw scores (logits)",
                  lambda probs, y, **_: (logistic(probs) - floats(y).reshape(np.shape(probs)))
                                        / len(floats(probs))),
    Misconception(T2, "dL/dscores", "bce-grad-not-divided",
                  "dL/dscores is not divided by N: the loss is the mean over N samples",
                  lambda probs, y, **_: floats(probs) - floats(y).reshape(np.shape(probs))),
    Misconception(T2, "dL/dscores", "bce-grad-sign",
                  "dL/dscores has its sign flipped: it is sigmoid(s) - y (over N), positive where "
                  "the predicted probability is too high",
                  lambda probs, y, **_: (floats(y).reshape(np.shape(probs)) - floats(probs))
                                        / len(floats(probs))),
    Misconception(T2, "dL/dscores", "bce-grad-without-sigmoid",
                  "dL/dscores uses the raw scores, (s - y) / N: the gradient compares the "
                  "probability sigmoid(s) with y",
                  lambda scores, y, **_: difference(scores, y) / len(floats(scores))),
)

TASK_3 = (
    Misconception(T3, "log_softmax", "log-softmax-naive-overflow",
                  "log_softmax overflows at large scores (e^1000 is inf): subtract each row's "
                  "maximum before exponentiating",
                  lambda scores, **_: naive_log_softmax(scores)),
    Misconception(T3, "log_softmax", "log-softmax-naive-overflow",
                  "log_softmax overflows at large scores (e^1000 is inf): subtract each row's "
                  "maximum before exponentiating",
                  lambda scores, **_: unshifted_log_softmax(scores)),
    Misconception(T3, "log_softmax", "log-softmax-wrong-axis",
                  "log_softmax normalises over the samples (axis 0): each row (axis 1) is one "
                  "sample's distribution over the classes",
                  lambda scores, **_: naive_log_softmax(scores, axis=0)),
    Misconception(T3, "log_softmax", "log-softmax-returns-softmax",
                  "log_softmax returns the probabilities themselves: take their log",
                  lambda scores, **_: np.exp(naive_log_softmax(scores))),
    Misconception(T3, "log_softmax", "log-softmax-without-normaliser",
                  "log_softmax only subtracts the row maximum: also subtract the log of the sum "
                  "of the shifted exponentials",
                  lambda scores, **_: floats(scores) - floats(scores).max(axis=1, keepdims=True)),
    Misconception(T3, "log_softmax", "log-softmax-global-max",
                  "log_softmax subtracts the largest score of the whole batch: a row far below it "
                  "still underflows to log 0; subtract each row's own maximum (axis=1, keepdims=True)",
                  lambda scores, **_: global_max_log_softmax(scores)),
    Misconception(T3, "loss", "log-softmax-global-max",
                  "the cross-entropy is inf at large scores: log_softmax subtracts the largest score "
                  "of the whole batch, so a row far below it underflows to log 0; subtract each row's "
                  "own maximum (axis=1, keepdims=True)",
                  lambda scores, y, **_: -np.mean(picked(global_max_log_softmax(scores), y))),
    Misconception(T3, "loss", "ce-label-columns",
                  "the loss averages log-probabilities over an (N, N) block, logp[:, y]: pick one "
                  "entry per row, logp[np.arange(N), y]",
                  lambda scores, y, **_: -np.mean(row_max_log_softmax(scores)[:, np.asarray(y, dtype=np.intp)])),
    Misconception(T3, "loss", "ce-softmax-twice",
                  "the cross-entropy is taken of softmax(scores), not of the scores: the loss applies "
                  "the softmax itself, so pass it the raw scores (logits)",
                  lambda scores, y, **_: -np.mean(picked(np.log(softmax_of(np.exp(row_max_log_softmax(scores)))), y))),
    Misconception(T3, "dL/dscores", "ce-softmax-twice",
                  "dL/dscores is softmax(softmax(s)) - one-hot (over N): the softmax is applied "
                  "twice; the loss takes the raw scores (logits)",
                  lambda probs, y, **_: (softmax_of(probs) - onehot(y, probs)) / len(floats(probs))),
    Misconception(T3, "dL/dscores", "softmax-grad-label-columns",
                  "dL/dscores subtracts the one-hot as grad[:, y] -= 1, 1 off every row in each label's "
                  "column: subtract it once per row, grad[np.arange(N), y] -= 1",
                  lambda probs, y, **_: label_columns(probs, y) / len(floats(probs))),
    Misconception(T3, "dL/dscores", "softmax-grad-divided-by-size",
                  "dL/dscores is divided by N C, the number of entries: the loss averages over the N "
                  "samples only, so divide by N",
                  lambda probs, y, **_: (floats(probs) - onehot(y, probs)) / np.size(probs)),
    Misconception(T3, "dL/dscores", "softmax-grad-true-class-only",
                  "dL/dscores is nonzero only at each sample's true class: every class's score "
                  "moves the softmax, so the gradient is (softmax - one-hot) / N everywhere",
                  lambda probs, y, **_: onehot(y, probs) * (floats(probs) - 1) / len(floats(probs))),
    Misconception(T3, "loss", "ce-naive-overflow",
                  "the cross-entropy overflows at large scores: compute it from the stable "
                  "log_softmax, not from log(softmax)",
                  lambda scores, y, **_: -np.mean(picked(naive_log_softmax(scores), y))),
    *misread_mean(T3, "ce", "SoftmaxCrossEntropyLoss", "cross-entropy"),
    Misconception(T3, "dL/dscores", "softmax-grad-without-onehot",
                  "dL/dscores is softmax / N without subtracting the one-hot label: subtract 1 at "
                  "each sample's true class",
                  lambda probs, **_: floats(probs) / len(floats(probs))),
    Misconception(T3, "dL/dscores", "softmax-grad-not-divided",
                  "dL/dscores is not divided by N: the loss is the mean over N samples",
                  lambda probs, y, **_: floats(probs) - onehot(y, probs)),
    Misconception(T3, "dL/dscores", "softmax-grad-sign",
                  "dL/dscores has its sign flipped: it is (softmax - one-hot) / N, negative only at "
                  "the true class",
                  lambda probs, y, **_: (onehot(y, probs) - floats(probs)) / len(floats(probs))),
)

def logistic_of(s):
    return 1 / (1 + np.exp(-float(s)))


HAND = (
    Misconception(T1, "dl/ds by hand", "hand-mse-without-2",
                  "the derivative lacks the factor 2: the derivative of (s - y)^2 is 2 (s - y)",
                  lambda s, y, **_: s - y),
    Misconception(T1, "dL/ds in the batch by hand", "hand-mse-without-2",
                  "the derivative lacks the factor 2: the derivative of (s - y)^2 is 2 (s - y)",
                  lambda s, y, n, **_: (s - y) / n),
    Misconception(T1, "dl/ds by hand", "hand-mse-sign",
                  "the sign is flipped: s is below its target, so raising s lowers the loss",
                  lambda s, y, **_: 2 * (y - s)),
    Misconception(T1, "dL/ds in the batch by hand", "hand-mse-sign",
                  "the sign is flipped: s is below its target, so raising s lowers the loss",
                  lambda s, y, n, **_: 2 * (y - s) / n),
    Misconception(T1, "dl/ds by hand", "hand-mse-averaged",
                  "one sample's loss alone is divided by N: only the batch's mean L divides by N",
                  lambda s, y, n, **_: 2 * (s - y) / n),
    Misconception(T1, "dL/ds in the batch by hand", "hand-mse-batch-not-averaged",
                  "the sample's gradient in the batch is its own: L is the mean of N losses, so each "
                  "sample's share is divided by N",
                  lambda s, y, **_: 2 * (s - y)),
    Misconception(T2, "p by hand", "hand-sigmoid-mirrored",
                  "p is sigmoid(-s): sigmoid(s) = 1 / (1 + e^-s) is above 1/2 for s > 0",
                  lambda s, **_: logistic_of(-s)),
    Misconception(T2, "dl/ds by hand", "hand-bce-sign",
                  "the sign is flipped: for label 1, raising s raises p and lowers the loss",
                  lambda s, y, **_: y - logistic_of(s)),
    Misconception(T2, "dl/ds by hand", "hand-bce-sigmoid-derivative",
                  "that is the sigmoid's derivative p (1 - p) alone: the chain rule multiplies it by "
                  "dl/dp = -y/p + (1 - y)/(1 - p)",
                  lambda s, **_: logistic_of(s) * (1 - logistic_of(s))),
    Misconception(T2, "dl/ds by hand", "hand-bce-dl-dp",
                  "that is dl/dp: multiply it by dp/ds = p (1 - p) (chain rule through the sigmoid)",
                  lambda s, y, **_: -y / logistic_of(s) + (1 - y) / (1 - logistic_of(s))),
)

ENTRIES = TASK_1 + TASK_2 + TASK_3 + HAND
