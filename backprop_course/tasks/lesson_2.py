"""Lesson 2 (the linear layer): the hand-checkable example, the graded cases and the h plot.

The checks build layers with the class they are given (the student's ``Linear``), so nothing
here is a linear layer: every value a layer computes comes from the student's code, and every
expected value of a visible check is passed in by the notebook cell. ``small_inputs`` gives the
visible checks' inputs by the names the misconception catalogue uses (x, W, b, grad_out, calls).

The graded checks (``run_graded_cases``) run the student's layer on ``graded_cases()`` and only
record what it returned (``records``); the grader's judge (``backprop_course.autograder.judge.lesson_2``) builds
the same cases and decides. No expected value of a graded case is in this file or a notebook.

Before each backward task the student derives its gradients by hand for one sample (``HAND``:
X_ONE, GRAD_ONE and the example's W and b), checked against central differences of the forward
formula (``check_by_hand``) and judged by ``backprop_course.autograder.judge.derivations``; the
formulas are shown only once a check passes (``REVEALS``).
"""

import numpy as np

from ..lesson import grading
from ..records import Observation, emit, encode_error, not_judged_warning
from . import hand_answers

# The visible example, small enough to verify by hand: Linear(3, 2) on a batch of N = 2.
W_SMALL = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])   # (in=3, out=2)
B_SMALL = np.array([0.5, -1.0])                             # (out=2,); its sum is not 0, so a
                                                            # bias summed over is not a missing bias
X_SMALL = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])     # (N=2, in=3)
GRAD_SMALL = np.array([[1.0, -1.0], [0.5, 2.0]])            # dL/dout, (N=2, out=2)
# A square layer for dL/dx: only with in == out does grad_out @ W (no transpose) run and show.
W_SQUARE = W_SMALL[:2]                                      # (in=2, out=2)


# The one sample of the hand derivations: no zero, repeated or opposite entries, so that a swapped
# factor, a missing transpose or a sign shows in the numbers.
X_ONE = np.array([[2.0, -1.0, 0.5]])                         # (N=1, in=3)
GRAD_ONE = np.array([[1.5, -2.0]])                           # dL/dout, (N=1, out=2)
ONE_SAMPLE = {"x": X_ONE, "W": W_SMALL, "b": B_SMALL, "grad_out": GRAD_ONE}

# Each derivation: the names the student fills in -> the catalogued quantity each one is.
HAND = {"Lesson 2, task 2: by hand": {"dL_dW": "dL/dW", "dL_db": "dL/db"},
        "Lesson 2, task 3: by hand": {"dL_dx": "dL/dx"}}


def one_sample_slopes():
    """{"dL_dW": (3, 2), "dL_db": (2,), "dL_dx": (1, 3)}: central differences of
    sum((x W + b) * G) on the one sample, from the forward formula alone (no layer)."""
    x, W, b, grad = X_ONE, W_SMALL, B_SMALL, GRAD_ONE
    return {"dL_dW": hand_answers.slope(lambda W: x @ W + b, W, grad),
            "dL_db": hand_answers.slope(lambda b: x @ W + b, b, grad),
            "dL_dx": hand_answers.slope(lambda x: x @ W + b, x, grad)}


def check_by_hand(check, **answers):
    """The visible check of a derivation (``check.label`` is one of HAND): each hand answer
    against central differences on the one sample, showing no expected number (when grading,
    only that the answers are numbers)."""
    got = hand_answers.numbers(check, **answers)
    if grading():  # the grader's judge compares: no expected number is computed in a grading kernel
        return
    slopes = one_sample_slopes()
    for name, quantity in HAND[check.label].items():
        if name in got:
            hand_answers.agree(check, f"{quantity} for one sample", got[name], slopes[name])


# Shown by a passing check (``backprop_course.reveal``): never in a cell read before it.
REVEALS = {
    "Lesson 2, task 2: by hand":
        "$W_{ij}$ reaches the loss only through $\\text{out}_j = \\sum_i x_i W_{ij} + b_j$, with local "
        "derivative $x_i$ (a multiply node swaps), so $\\partial L/\\partial W_{ij} = x_i\\, g_j$: the outer "
        "product $x^\\top g$, $(\\text{in}, 1)(1, \\text{out})$. $b_j$ enters with local derivative 1 (an add "
        "node distributes): $\\partial L/\\partial b = g$. Now a batch: what changes when every sample "
        "uses the same $W$ and $b$?",
    "Lesson 2, task 2":
        "$$\\frac{\\partial L}{\\partial W_{ij}} = \\sum_n x_{ni}\\, G_{nj} = (x^\\top G)_{ij},\\qquad "
        "\\frac{\\partial L}{\\partial b_j} = \\sum_n G_{nj}.$$ "
        "$W_{ij}$ reaches the loss through every sample's output: one path per sample, and the chain "
        "rule adds them. $x^\\top G$ is $(\\text{in}, N)(N, \\text{out})$: the product does that sum, so "
        "$N$ disappears and the gradient has $W$'s shape whatever $N$ is.",
    "Lesson 2, task 3: by hand":
        "$x_i$ feeds every output $j$ with local derivative $W_{ij}$: summing over those paths, "
        "$\\partial L/\\partial x_i = \\sum_j g_j W_{ij} = (g W^\\top)_i$.",
    "Lesson 2, task 3":
        "$$\\frac{\\partial L}{\\partial x_{ni}} = \\sum_j G_{nj}\\, W_{ij} = (G W^\\top)_{ni},$$ "
        "$(N, \\text{out})(\\text{out}, \\text{in}) = (N, \\text{in})$: each sample's row on its own, "
        "no sum over the batch (sample $n$'s input reaches only sample $n$'s outputs).",
}


def small_inputs(n=2, calls=1, W=W_SMALL):
    """The visible example's inputs for the catalogue: the first n samples of X_SMALL and
    GRAD_SMALL, W (W_SMALL, or W_SQUARE for the square layer), B_SMALL, and the number of
    param_backward calls made before the grads were read."""
    return {"x": X_SMALL[:n, :len(W)], "W": W, "b": B_SMALL, "grad_out": GRAD_SMALL[:n], "calls": calls}


def layer_with(linear, W, b, dtype=np.float64):
    """``linear(in, out, dtype=dtype)`` with its params set to copies of W (in, out) and b (out,)
    in ``dtype``; ``linear`` is a layer class such as the student's ``Linear``."""
    fan_in, fan_out = np.shape(W)
    layer = linear(fan_in, fan_out, dtype=dtype)
    layer.params["W"] = np.array(W, dtype=dtype)
    layer.params["b"] = np.array(b, dtype=dtype)
    return layer


def small_layer(linear, dtype=np.float64, cache=None):
    """The example layer: ``linear(3, 2)`` with W = W_SMALL and b = B_SMALL in ``dtype``.

    With ``cache`` (N, 3), ``layer.cache`` is set to a copy of it, as forward (task 1) would store
    its input, so that a check of a backward pass does not need task 1.
    """
    layer = layer_with(linear, W_SMALL, B_SMALL, dtype)
    if cache is not None:
        layer.cache = np.array(cache, dtype=dtype)
    return layer


def square_layer(linear):
    """The example's first two inputs: ``linear(2, 2)`` with W = W_SQUARE, b = B_SMALL and the cache
    X_SMALL[:, :2], ``param_backward`` switched off (``only_backward``): a check of dL/dx alone
    on which grad_out @ W, missing its transpose, runs and can be named."""
    layer = layer_with(linear, W_SQUARE, B_SMALL)
    layer.cache = X_SMALL[:, :2].copy()
    return only_backward(layer)


def only_backward(layer):
    """``layer`` with ``param_backward`` switched off (a no-op), so that a check of ``backward``'s
    dL/dx does not depend on the parameter gradients (task 2). Returns the layer."""
    layer.param_backward = _ignore
    return layer


def _ignore(grad_out):
    return None


def linear_case(seed, n, fan_in, fan_out):
    """Seeded float64 inputs for one graded case: x (n, in), W (in, out), b (out,) and
    grad_out (n, out), all standard normal from ``np.random.default_rng(seed)``."""
    normal = np.random.default_rng(seed).standard_normal
    return normal((n, fan_in)), normal((fan_in, fan_out)), normal(fan_out), normal((n, fan_out))


# The graded cases' seeds and shapes (seed, N, in, out); batch 1 first.
GRADED_SHAPES = ((21, 1, 3, 2), (22, 4, 5, 3), (23, 6, 2, 7))


def graded_cases():
    """[(name, x, W, b, grad_out)] of the graded checks: the visible example, its square layer
    (where a missing transpose runs) and the seeded GRADED_SHAPES, float64."""
    cases = [("the example 2x3 -> 2x2", X_SMALL, W_SMALL, B_SMALL, GRAD_SMALL),
             ("the example 2x2 -> 2x2", X_SMALL[:, :2], W_SQUARE, B_SMALL, GRAD_SMALL)]
    for seed, n, fan_in, fan_out in GRADED_SHAPES:
        cases.append((f"{n}x{fan_in} -> {n}x{fan_out}", *linear_case(seed, n, fan_in, fan_out)))
    return cases


def _observe_forward(seen, linear, x, W, b, grad_out):
    layer = layer_with(linear, W, b)
    x_in = x.copy()
    seen.call("out", layer.forward, x_in)
    seen.call("x after", lambda: x_in)
    seen.call("cache", lambda: layer.cache)
    seen.call("out float32", lambda: layer_with(linear, W, b, np.float32).forward(x.astype(np.float32)))


def _observe_param_backward(seen, linear, x, W, b, grad_out):
    layer = layer_with(linear, W, b)
    layer.cache = x.copy()
    grad = grad_out.copy()
    seen.call("call", layer.param_backward, grad)
    seen.call("dW", lambda: layer.grads["W"])
    seen.call("db", lambda: layer.grads["b"])
    seen.call("grad_out after", lambda: grad)
    seen.call("second call", layer.param_backward, grad)
    seen.call("dW after a second call", lambda: layer.grads["W"])
    layer32 = layer_with(linear, W, b, np.float32)
    layer32.cache = x.astype(np.float32)
    seen.call("float32 call", layer32.param_backward, grad_out.astype(np.float32))
    seen.call("dW float32", lambda: layer32.grads["W"])
    seen.call("db float32", lambda: layer32.grads["b"])


def _observe_backward(seen, linear, x, W, b, grad_out):
    for dtype, suffix in ((np.float64, ""), (np.float32, " float32")):
        layer = only_backward(layer_with(linear, W, b, dtype))   # task 2 is graded on its own
        layer.cache = x.astype(dtype)
        grad = grad_out.astype(dtype)
        seen.call("dx" + suffix, layer.backward, grad)
        seen.call("grad_out after" + suffix, lambda: grad)


OBSERVERS = {"Lesson 2, task 1": _observe_forward, "Lesson 2, task 2": _observe_param_backward,
             "Lesson 2, task 3": _observe_backward}


def run_graded_cases(label, linear=None, **answers):
    """Run the graded task ``label`` (e.g. "Lesson 2, task 1") of ``linear`` (the student's
    ``Linear`` class) on every graded case and emit the task's record; nothing is judged here.
    A derivation (a label of HAND) records the hand ``answers`` instead ({name: value})."""
    if label in HAND:
        hand_answers.record(label, answers)
        return
    cases = {}
    for name, x, W, b, grad_out in graded_cases():
        seen = cases[name] = Observation()
        try:
            OBSERVERS[label](seen, linear, x, W, b, grad_out)
        except Exception as err:  # the layer could not even be built: the record says so
            seen.values.setdefault("layer", encode_error(err))
    emit(label, {name: seen.values for name, seen in cases.items()})
    not_judged_warning(label)


def near(got, expected, bar):
    """Same shape and max |got - expected| <= bar * max |expected|: how float32 results are held
    to float64 values (an elementwise relative error would punish entries near zero)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return (got.shape == expected.shape
            and bool(np.max(np.abs(got - expected)) <= bar * np.max(np.abs(expected))))


def slope_error(linear, dtype, h, seed=3):
    """Relative error of the central difference (f(w + h) - f(w - h)) / 2h for dL/dW[0, 0] of a
    seeded ``linear(3, 2, rng=seed, dtype=dtype)`` on a (4, 3) batch, L = sum(sin(out)), against
    the layer's own backward pass (CS231n's relative error)."""
    layer = linear(3, 2, rng=seed, dtype=dtype)
    x = np.random.default_rng(seed).standard_normal((4, 3)).astype(dtype)
    layer.backward(np.cos(layer.forward(x)))
    analytic = float(layer.grads["W"][0, 0])
    W, old = layer.params["W"], layer.params["W"][0, 0]
    W[0, 0] = old + dtype(h)
    plus = float(np.sin(layer.forward(x)).sum())
    W[0, 0] = old - dtype(h)
    minus = float(np.sin(layer.forward(x)).sum())
    W[0, 0] = old
    numeric = (plus - minus) / (2 * h)
    return abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))
