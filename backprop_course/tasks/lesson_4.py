"""Lesson 4 (losses): the seeded cases and the checks its graded cells share.

A *loss* here is an instance of a class with ``forward(scores, y)`` -> the mean loss (a float)
and ``backward()`` -> dL/dscores, shaped and typed like ``scores``. ``scores`` is (N,), (N, 1) or
(N, C); ``y`` holds one target per sample (or per score, for squared error). Expected values are
passed in by the cells, which the build fills in from the reference library; nothing here
computes a loss. A failed comparison is explained by the misconception catalogue from
``loss_inputs``: the scores, the targets and, for the log losses, the probabilities recovered
from the expected gradient.
"""

import numpy as np

from ..cells import run_strict
from ..gradcheck import BAR as GRAD_BAR
from ..gradcheck import numerical_gradient

F32_BAR = 1e-4   # float32 results against the float64 truth
F64_BAR = 1e-9   # float64 results: another correct formula differs by about 1e-15


def seeded_cases(seed, specs, targets):
    """[(scores, y)], one pair per (scores shape, y shape, dtype name) in ``specs``.

    scores ~ N(0, 2^2) in that dtype; ``targets`` says what y holds: "real" (N(0, 1), in the
    dtype), "binary" (0 or 1, in the dtype) or "classes" (integer labels in [0, C) for scores
    of shape (N, C)). The same seed gives the same cases on every machine.
    """
    rng = np.random.default_rng(seed)
    cases = []
    for scores_shape, y_shape, dtype in specs:
        scores = rng.normal(0, 2, size=scores_shape).astype(dtype)
        if targets == "real":
            y = rng.normal(size=y_shape).astype(dtype)
        elif targets == "binary":
            y = rng.integers(0, 2, size=y_shape).astype(dtype)
        elif targets == "classes":
            y = rng.integers(0, scores_shape[1], size=y_shape)
        else:
            raise ValueError(f"targets must be 'real', 'binary' or 'classes', got {targets!r}")
        cases.append((scores, y))
    return cases


def loss_inputs(scores, y, grad=None):
    """The catalogue's inputs for a check of a loss at ``scores``: {"scores", "y"} and, given the
    expected dL/dscores ``grad``, "probs" = N grad + target (sigmoid(s) for a log loss, softmax(s)
    for cross-entropy, whose target is the one-hot label), so no probability is computed here."""
    inputs = {"scores": scores, "y": y}
    if grad is not None:
        grad = np.asarray(grad, dtype=np.float64)
        labels = np.asarray(y)
        if labels.dtype.kind in "iu" and grad.ndim == 2 and grad.shape[1] > 1 and labels.shape == (len(grad),):
            target = np.zeros(grad.shape)
            target[np.arange(len(grad)), labels] = 1.0
        else:
            target = labels.astype(np.float64).reshape(grad.shape)
        inputs["probs"] = len(grad) * grad + target
    return inputs


def bar_for(scores):
    """The relative-error bar for a result computed from ``scores``: looser for float32."""
    return F32_BAR if np.asarray(scores).dtype == np.float32 else F64_BAR


def check_against_differences(check, loss, scores, y, name="backward vs differences"):
    """One row: ``loss.backward()`` after ``loss.forward(scores, y)`` against central differences
    of ``loss.forward(., y)`` at ``scores`` (float64), bar ``gradcheck.BAR``."""
    loss.forward(scores, y)
    grad = loss.backward()
    numeric = numerical_gradient(lambda s: loss.forward(s, y), np.array(scores, dtype=np.float64))
    return check.close(name, grad, numeric, bar=GRAD_BAR)


def strict_forward_backward(check, loss, scores, y, name="no overflow at huge scores"):
    """(loss value, dL/dscores) with every overflow, division by zero or invalid operation an
    error (``cells.run_strict``); None after a failed row when one happened."""
    return run_strict(check, name, lambda: (loss.forward(scores, y), loss.backward()))


HUGE_ROWS = ("no overflow at huge scores", "loss at huge scores", "gradient at huge scores")


def check_huge(check, loss, scores, y, value, grad, bar=1e-10, names=HUGE_ROWS):
    """Rows ``names`` at huge ``scores``: no overflow (``strict_forward_backward``), then the loss
    and dL/dscores against ``value`` and ``grad``. After an overflow they are computed once more
    with the warnings silenced, so that the inf or NaN of a naive formula can be named."""
    overflow, loss_row, grad_row = names
    result = strict_forward_backward(check, loss, scores, y, overflow)
    if result is None:
        try:
            with np.errstate(all="ignore"):
                result = loss.forward(scores, y), loss.backward()
        except Exception:  # the overflow row already failed: a further crash adds nothing
            return
    inputs = loss_inputs(scores, y, grad)
    check.close(loss_row, result[0], value, bar=bar, inputs=inputs, quantity="loss")
    check.close(grad_row, result[1], grad, bar=bar, inputs=inputs, quantity="dL/dscores")


def strict_call(check, name, function, *args):
    """``function(*args)`` under ``cells.run_strict``: its result, or None after a failed row."""
    return run_strict(check, name, lambda: function(*args))


def check_log_softmax_at(check, log_softmax, scores, want, bar, names):
    """Rows ``names`` = (no overflow, value): ``log_softmax(scores)`` under ``strict_call``, then
    against ``want``; after an overflow computed once more with the warnings silenced, so that
    the inf or NaN of a naive formula can be named."""
    overflow, value = names
    out = strict_call(check, overflow, log_softmax, scores)
    if out is None:
        try:
            with np.errstate(all="ignore"):
                out = log_softmax(scores)
        except Exception:  # the overflow row already failed: a further crash adds nothing
            return
    check.close(value, out, want, bar=bar, inputs={"scores": scores}, quantity="log_softmax")


def check_values(check, loss_class, cases, expected):
    """A row per case: ``loss_class().forward(scores, y)`` against the expected loss (a float per
    case, float64 truth), bar by the scores' dtype."""
    for (scores, y), want in zip(cases, expected, strict=True):
        check.close(f"hidden: loss, scores {scores.shape} {scores.dtype}",
                    loss_class().forward(scores, y), want, bar=bar_for(scores), inputs=loss_inputs(scores, y))


def check_gradients(check, loss_class, cases, expected):
    """A row per case: backward() against the expected dL/dscores (shaped like the case's
    scores); float64 cases also against central differences of forward."""
    for (scores, y), want in zip(cases, expected, strict=True):
        loss = loss_class()
        loss.forward(scores, y)
        check.close(f"hidden: dL/dscores, {scores.shape} {scores.dtype}", loss.backward(), want,
                    bar=bar_for(scores), inputs=loss_inputs(scores, y, want))
        if scores.dtype == np.float64:
            check_against_differences(check, loss, scores, y, f"hidden: vs differences, {scores.shape}")


def check_hygiene(check, loss_class, cases):
    """Rows per case: forward leaves scores and y alone, a second backward() gives the same
    array, and dL/dscores has the scores' dtype."""
    for scores, y in cases:
        scores_before, y_before = scores.copy(), y.copy()
        loss = loss_class()
        loss.forward(scores, y)
        first = np.array(loss.backward(), copy=True)
        second = loss.backward()
        check.true(f"hidden: inputs unchanged, {scores.shape}",
                   np.array_equal(scores, scores_before) and np.array_equal(y, y_before),
                   "forward must not modify scores or y")
        check.true(f"hidden: backward repeatable, {scores.shape}", np.array_equal(first, second),
                   "a second backward() gave another result: do not modify the cache in place")
        check.true(f"hidden: gradient dtype, {scores.shape} {scores.dtype}", first.dtype == scores.dtype,
                   "return dL/dscores in the dtype of scores")


def check_huge_float32(check, loss_class, scores, y, value, grad):
    """``check_huge`` at ``scores`` cast to float32, against the float64 ``value`` and ``grad``
    (bar F32_BAR), its rows named "hidden: ..."."""
    check_huge(check, loss_class(), np.asarray(scores).astype(np.float32), y, value, grad, bar=F32_BAR,
               names=("hidden: no overflow at huge float32 scores", "hidden: huge float32 loss",
                      "hidden: huge float32 gradient"))


def check_log_softmax(check, log_softmax, cases, expected):
    """Rows per case: ``log_softmax(scores)`` against the expected (N, C) array, bar by dtype,
    and the scores left unchanged."""
    for (scores, _), want in zip(cases, expected, strict=True):
        before = scores.copy()
        check.close(f"hidden: log_softmax, {scores.shape} {scores.dtype}", log_softmax(scores), want,
                    bar=bar_for(scores), inputs={"scores": scores})
        check.true(f"hidden: scores unchanged, {scores.shape}", np.array_equal(scores, before),
                   "do not modify scores")
