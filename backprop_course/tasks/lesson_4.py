"""Lesson 4 (losses): the visible examples, the graded cases and the checks the cells share.

A *loss* here is an instance of a class with ``forward(scores, y)`` -> the mean loss (a float)
and ``backward()`` -> dL/dscores, shaped and typed like ``scores``. ``scores`` is (N,), (N, 1) or
(N, C); ``y`` holds one target per sample (or per score, for squared error). Nothing here
computes a loss: the visible checks get their expected values from the cell (the build fills in
the reference's), and a failed comparison is explained by the misconception catalogue from
``loss_inputs``.

The graded checks (``run_graded_cases``) run the student's code on ``graded_cases(label)`` and
only record what it returned (``records``), for the gradients part also the loss at the points
where the judge takes central differences (``STEPPED``); the grader's judge
(``backprop_course.autograder.judge.lesson_4``) builds the same cases and decides. No expected
value of a graded case is in this file or a notebook, and no graded case is a visible check's.
The cases tell common mistakes apart: N, C and K differ in every case with several columns, no
targets or scores are symmetric, and the huge scores are 3x4 with rows that need their own maximum.
"""

import math
import sys
from contextlib import contextmanager

import numpy as np

from ..cells import run_strict
from ..gradcheck import BAR as GRAD_BAR
from ..gradcheck import numerical_gradient, stepped_points
from ..records import Observation, emit, encode_error, not_judged_warning
from .hand_answers import BAR as HAND_BAR  # hand answers: three significant digits
from .lesson_1 import check_numbers

F32_BAR = 1e-4   # float32 results against the float64 truth
F64_BAR = 1e-9   # float64 results: another correct formula differs by about 1e-15

# The visible examples, small enough to verify by hand (and asymmetric: no value repeats).
MSE_EXAMPLE = (np.array([[1.0], [2.0], [3.0]]), np.array([0.0, 2.5, 0.5]))  # s - y = 1, -0.5, 2.5: L = 2.5
BCE_EXAMPLE = (np.array([0.0, 2.0, -1.0]), np.array([1, 0, 0]))
CE_EXAMPLE = (np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]), np.array([2, 0]))  # N = 2, C = 3
# Huge scores: any exp of them overflows. The visible checks' (the *_HUGE) and the graded ones (the
# *_HUGE_GRADED, whose values only the judge computes) differ. 3x4 for log_softmax and the graded
# cross-entropy: the last row is far below the batch's largest score (a global max fails there),
# no row is constant.
MSE_HUGE = (np.array([[1e4], [-3e4], [2.5e3]]), np.array([0.0, 5.0, -1.0]))
BCE_HUGE = (np.array([1e4, -3e3, 800.0, -1e4, 0.5]), np.array([1, 1, 0, 0, 1]))
CE_HUGE = (np.array([[2e3, -1e4, 0.0], [-5e3, -4e3, -1e4]]), np.array([1, 2]))
MSE_HUGE_GRADED = (np.array([[-2e4], [7e3], [1.5e4], [-9e3]]), np.array([3.0, -1.0, 0.5, 2.0]))
BCE_HUGE_GRADED = (np.array([-2e3, 5e3, 1e4, -750.0, 0.25, -1e4]), np.array([1, 0, 1, 1, 0, 0]))
SCORES_HUGE = np.array([[1e4, 0.0, -1e4, 5.0], [0.0, 1e4, 1e4, -2e3], [-1e4, -1e4, -1e4, -9e3]])
CE_HUGE_GRADED = (SCORES_HUGE, np.array([2, 0, 3]))
# The derivations by hand: one sample of each loss, and that sample in a batch of HAND_N.
MSE_HAND = (0.5, 2.0)             # s, y with K = 1: l = (s - y)^2
BCE_HAND = (math.log(3.0), 1)     # s = ln 3, so sigmoid(s) = 3/4; label y = 1
HAND_N = 4

# The graded cases' seeds and (scores shape, y shape, dtype) per loss.
MSE_SPECS = (4101, [((1, 1), (1,), "float64"), ((5, 1), (5,), "float64"), ((4, 3), (4, 3), "float64"),
                    ((7,), (7,), "float64"), ((6, 2), (6, 2), "float32")], "real")
BCE_SPECS = (4201, [((1,), (1,), "float64"), ((6,), (6,), "float64"), ((5, 1), (5,), "float64"),
                    ((8, 1), (8,), "float32")], "binary")
LOG_SOFTMAX_SPECS = (4301, [((1, 2), (1,), "float64"), ((4, 3), (4,), "float64"), ((3, 7), (3,), "float64"),
                            ((5, 4), (5,), "float32")], "classes")
CE_SPECS = (4311, [((1, 2), (1,), "float64"), ((5, 3), (5,), "float64"), ((4, 10), (4,), "float64"),
                   ((6, 4), (6,), "float32")], "classes")


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


def named(specs):
    """[(name, scores, y)] of the seeded cases of ``specs``."""
    return [(f"scores {'x'.join(map(str, scores.shape))} {scores.dtype} #{i + 1}", scores, y)
            for i, (scores, y) in enumerate(seeded_cases(*specs))]


def huge(extremes):
    """[(name, scores, y)] at huge scores, in float64 and float32."""
    scores, y = extremes
    return [("huge scores float64", scores, y), ("huge scores float32", scores.astype(np.float32), y)]


TASKS = {1: (MSE_SPECS, MSE_HUGE_GRADED), 2: (BCE_SPECS, BCE_HUGE_GRADED), 3: (CE_SPECS, CE_HUGE_GRADED)}


def graded_cases(label):
    """[(name, *inputs)] of the graded part ``label`` ("Lesson 4, task 1: values", ...): a loss's
    (name, scores, y), log_softmax's (name, scores, unused labels), a derivation's (name, s, y, N).
    None of them is a visible check's input: their expected values are nowhere but in the judge."""
    task, part = int(label.split("task ")[1].split(":")[0]), label.split(": ", 1)[1]
    if part == "derivation":
        s, y = MSE_HAND if task == 1 else BCE_HAND
        return [("one sample by hand", s, y, HAND_N)]
    if part == "log_softmax":
        return named(LOG_SOFTMAX_SPECS)
    if part == "log_softmax at huge scores":
        shifted = np.array([[5e3, 5e3 + 1.0, 4e3]])  # the max shift must cancel exactly
        return huge((SCORES_HUGE, None)) + [("shifted scores", shifted, None)]
    specs, extremes = TASKS[task]
    if part == "edge cases":
        return [(f"{name}, hygiene", scores, y) for name, scores, y in named(specs)] + huge(extremes)
    return named(specs)


# ---- what the kernel records -------------------------------------------------------------------

def strict(compute):
    """compute() with every overflow, division by zero or invalid operation raised."""
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        return compute()


def _observe_values(seen, loss_class, scores, y):
    s, t = scores.copy(), y.copy()
    seen.call("loss", lambda: loss_class().forward(s, t))


def _observe_gradients(seen, loss_class, scores, y):
    loss = loss_class()
    seen.call("forward", loss.forward, scores.copy(), y.copy())
    seen.call("grad", loss.backward)
    for name, points in zip(STEPPED, stepped_points(scores)):
        seen.call(name, _losses_at, loss_class, points, y)


def _losses_at(loss_class, points, y):
    """The student's loss at each of ``points`` (a fresh instance each): values only, the judge
    takes their central differences."""
    return np.array([loss_class().forward(point, y.copy()) for point in points])


def _observe_edge(seen, loss_class, scores, y):
    s, t = scores.copy(), y.copy()
    loss = loss_class()
    with np.errstate(all="ignore"):
        seen.call("loss", loss.forward, s, t)
        seen.call("grad", loss.backward)
        seen.call("grad again", loss.backward)
    seen.call("scores after", lambda: s)
    seen.call("y after", lambda: t)
    seen.call("strict", strict, lambda: _forward_backward(loss_class(), scores.copy(), y.copy()))


def _forward_backward(loss, scores, y):
    loss.forward(scores, y)
    loss.backward()
    return True


def _observe_log_softmax(seen, log_softmax, scores, _):
    s = scores.copy()
    with np.errstate(all="ignore"):
        seen.call("out", log_softmax, s)
    seen.call("scores after", lambda: s)
    seen.call("strict", strict, lambda: log_softmax(scores.copy()) is not None)


# The gradients part's records of the student's loss at scores + h e_i and at scores - h e_i, for
# every coordinate i (``gradcheck.stepped_points``, in float64 also for a float32 case): the judge
# differences them itself, as the visible cells' ``check_against_differences`` does in the kernel.
STEPPED = ("loss at scores + h", "loss at scores - h")
# What a derivation's hand answers are recorded as, per task.
ANSWERS = {1: ("dl/ds", "dL/ds in the batch"), 2: ("p", "dl/ds")}


OBSERVERS = {"values": _observe_values, "gradients": _observe_gradients, "edge cases": _observe_edge,
             "log_softmax": _observe_log_softmax, "log_softmax at huge scores": _observe_log_softmax}


@contextmanager
def stable_sigmoid(loss_class):
    """A correct sigmoid in place of lesson 3's while the log loss runs (its module's ``sigmoid``
    and ``backprop_lib.layers``'s): a lesson 3 bug is graded in lesson 3, not again here."""
    modules = [module for module in {sys.modules.get(getattr(loss_class, "__module__", "")),
                                     sys.modules.get("backprop_lib.layers")}
               if module is not None and callable(vars(module).get("sigmoid"))]
    saved = [(module, module.sigmoid) for module in modules]
    for module in modules:
        module.sigmoid = _sigmoid
    try:
        yield
    finally:
        for module, function in saved:
            module.sigmoid = function


def _sigmoid(z):
    return np.exp(-np.logaddexp(0, -np.asarray(z)))


def run_graded_cases(label, *subjects):
    """Run the graded part ``label`` (e.g. "Lesson 4, task 1: values") of ``subjects`` (the
    student's loss class, ``log_softmax``, or the hand answers of a derivation) on every graded
    case and emit its record; nothing is judged here."""
    part = label.split(": ", 1)[1]
    cases = {}
    guard = stable_sigmoid(subjects[0]) if label.startswith("Lesson 4, task 2:") else _nothing()
    with guard:
        for name, *inputs in graded_cases(label):
            seen = cases[name] = Observation()
            try:
                if part == "derivation":
                    for answer, value in zip(ANSWERS[int(label[len("Lesson 4, task ")])], subjects):
                        seen.call(answer, lambda value=value: value)
                else:
                    OBSERVERS[part](seen, subjects[0], *inputs)
            except Exception as err:  # only the course's own code is left to raise here
                seen.values.setdefault("layer", encode_error(err))
    emit(label, {name: seen.values for name, seen in cases.items()})
    not_judged_warning(label)


@contextmanager
def _nothing():
    yield


# ---- the visible checks ------------------------------------------------------------------------

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


HUGE_ROWS = ("no overflow at huge scores", "loss at huge scores")


def check_huge(check, loss, scores, y, value, bar=1e-10, names=HUGE_ROWS):
    """Rows ``names`` at huge ``scores``: no overflow (``strict_forward_backward``), then the loss
    against ``value`` and dL/dscores finite (its values are the task's to derive: the grader
    compares them). After an overflow they are computed once more with the warnings silenced, so
    that the inf or NaN of a naive formula can be named."""
    overflow, loss_row = names
    result = strict_forward_backward(check, loss, scores, y, overflow)
    if result is None:
        try:
            with np.errstate(all="ignore"):
                result = loss.forward(scores, y), loss.backward()
        except Exception:  # the overflow row already failed: a further crash adds nothing
            return
    check.close(loss_row, result[0], value, bar=bar, inputs=loss_inputs(scores, y), quantity="loss")
    grad = np.asarray(result[1], dtype=np.float64)
    check.true("gradient at huge scores", grad.shape == np.shape(scores) and bool(np.all(np.isfinite(grad))),
               "dL/dscores must be finite and shaped like the scores")


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


def check_mse_derivation(check, mse_dl_ds, mse_dL_ds):
    """Task 1's hand answers for consistency only (the grader compares them with the truth): both
    numbers, dl/ds negative (s = 0.5 is below its target 2, so raising s lowers the loss), and the
    sample's gradient in the batch smaller than alone (its loss is one of HAND_N in a mean)."""
    check_numbers(check, mse_dl_ds=mse_dl_ds, mse_dL_ds=mse_dL_ds)
    check.true("sign of mse_dl_ds", mse_dl_ds < 0, "s is below its target: raising s lowers the loss")
    check.true("mse_dL_ds in the batch", abs(mse_dL_ds) < abs(mse_dl_ds),
               f"in a batch L is the mean of {HAND_N} per-sample losses: one sample moves it less")


def check_bce_derivation(check, bce_p, bce_dl_ds):
    """Task 2's hand answers for consistency only: numbers, p = sigmoid(ln 3) a probability above
    1/2 (s > 0), dl/ds in (-1, 0) (label 1: raising s raises p towards it and lowers the loss)."""
    check_numbers(check, bce_p=bce_p, bce_dl_ds=bce_dl_ds)
    check.true("bce_p is a probability above 1/2", 0.5 < bce_p < 1, "sigmoid of a positive score lies in (1/2, 1)")
    check.true("sign and size of bce_dl_ds", -1 < bce_dl_ds < 0,
               "label 1: raising s lowers the loss, and the log loss's slope is never steeper than 1")


# ---- what a passing gradient check unlocks (``backprop_course.reveal``) ------------------------

_PAIRS = r"""
| problem | output activation (in `predict_proba`) | loss, from the scores | $\partial \ell/\partial s$ of one sample's loss $\ell$ |
|---|---|---|---|
| regression | identity: $\hat y = s$ | `MSELoss` | $\frac{2}{K}(s - y)$ |
| two classes | sigmoid: $p = \sigma(s)$ | `BCEWithLogitsLoss` | $\sigma(s) - y = p - y$ |
| $C$ classes | softmax: $p = \mathrm{softmax}(s)$ | `SoftmaxCrossEntropyLoss` | $\mathrm{softmax}(s) - \mathrm{onehot}(y)$ |

$L$ is the mean of $\ell$ over the $N$ samples, so $\partial L/\partial s_n = \frac{1}{N}\,\partial \ell_n/\partial s_n$.
In every pair the gradient is *prediction minus target*: the output activation's derivative
cancels against the loss's. That is why the model returns raw scores and the loss applies the
activation inside."""

REVEALS = {
    "Lesson 4, task 1: gradients": r"""For one sample with $K$ outputs, $\ell = \frac{1}{K}\sum_k (s_k - y_k)^2$, so
$\partial \ell/\partial s_k = \frac{2}{K}(s_k - y_k)$; in a batch $L = \frac{1}{N}\sum_n \ell_n$ and
$$\frac{\partial L}{\partial s_{nk}} = \frac{2}{NK}(s_{nk} - y_{nk}).$$
The factor 2 comes from the square; lesson 1's $\tfrac12 (y - t)^2$ is there only to cancel it.""",
    "Lesson 4, task 2: gradients": r"""With $p = \sigma(s)$, $\ell = -y\log p - (1 - y)\log(1 - p)$ and
$\sigma'(s) = p(1 - p)$:
$$\frac{\partial \ell}{\partial s} = \Big(-\frac{y}{p} + \frac{1 - y}{1 - p}\Big)\,p(1 - p) = p - y = \sigma(s) - y,$$
and $\partial L/\partial s_n = (\sigma(s_n) - y_n)/N$. The sigmoid's derivative cancels: a confidently
wrong sample keeps a gradient near $\pm 1$.""",
    "Lesson 4, task 3: gradients": r"""With $\ell = -s_y + \log\sum_j e^{s_j}$,
$\partial \ell/\partial s_c = -[c = y] + \mathrm{softmax}(s)_c$: the gradient is
$\mathrm{softmax}(s) - \mathrm{onehot}(y)$, and $\partial L/\partial s_n$ divides it by $N$.
""" + _PAIRS,
}
