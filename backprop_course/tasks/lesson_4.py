"""Lesson 4 (losses): the seeded cases and the checks its graded cells share.

A *loss* here is an instance of a class with ``forward(scores, y)`` -> the mean loss (a float)
and ``backward()`` -> dL/dscores, shaped and typed like ``scores``. ``scores`` is (N,), (N, 1) or
(N, C); ``y`` holds one target per sample (or per score, for squared error). Expected values are
passed in by the cells, which the build fills in from the reference library; nothing here
computes a loss.
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


def strict_call(check, name, function, *args):
    """``function(*args)`` under ``cells.run_strict``: its result, or None after a failed row."""
    return run_strict(check, name, lambda: function(*args))


def check_values(check, loss_class, cases, expected):
    """A row per case: ``loss_class().forward(scores, y)`` against the expected loss (a float per
    case, float64 truth), bar by the scores' dtype."""
    for (scores, y), want in zip(cases, expected, strict=True):
        check.close(f"hidden: loss, scores {scores.shape} {scores.dtype}",
                    loss_class().forward(scores, y), want, bar=bar_for(scores))


def check_gradients(check, loss_class, cases, expected):
    """A row per case: backward() against the expected dL/dscores (shaped like the case's
    scores); float64 cases also against central differences of forward."""
    for (scores, y), want in zip(cases, expected, strict=True):
        loss = loss_class()
        loss.forward(scores, y)
        check.close(f"hidden: dL/dscores, {scores.shape} {scores.dtype}", loss.backward(), want,
                    bar=bar_for(scores))
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
    """Rows: no overflow at ``scores`` cast to float32, and the loss and gradient there against
    the float64 ``value`` and ``grad`` (bar F32_BAR)."""
    result = strict_forward_backward(check, loss_class(), np.asarray(scores).astype(np.float32), y,
                                     "hidden: no overflow at huge float32 scores")
    if result is not None:
        check.close("hidden: huge float32 loss", result[0], value, bar=F32_BAR)
        check.close("hidden: huge float32 gradient", result[1], grad, bar=F32_BAR)


def check_log_softmax(check, log_softmax, cases, expected):
    """Rows per case: ``log_softmax(scores)`` against the expected (N, C) array, bar by dtype,
    and the scores left unchanged."""
    for (scores, _), want in zip(cases, expected, strict=True):
        before = scores.copy()
        check.close(f"hidden: log_softmax, {scores.shape} {scores.dtype}", log_softmax(scores), want,
                    bar=bar_for(scores))
        check.true(f"hidden: scores unchanged, {scores.shape}", np.array_equal(scores, before),
                   "do not modify scores")
