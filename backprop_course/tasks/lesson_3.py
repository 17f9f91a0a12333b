"""Lesson 3 (activations): the properties every activation's check shares, and the lesson's experiment.

An activation ``f`` maps an array x of any shape to f(x) of the same shape and dtype, elementwise;
its derivative maps the output ``out = f(x)`` (same shape) to f'(x). The visible checks compare
values on five points in the cell itself and call ``check_elementwise`` and ``check_extremes`` for
the rest. The graded checks (``run_graded_cases``) only record what the student's functions return
on ``graded_cases()`` (``records``), including f at x +- h for the judge's central differences;
the grader's judge (``backprop_course.autograder.judge.lesson_3``) decides.
``central_difference`` also serves the kink demo, ``gradient_norms`` the vanishing-gradient plot.
Every comparison hands the misconception catalogue its inputs: ``x`` for "<name>(x)", ``out`` for
"<name>_derivative(out)".

Before sigmoid's and tanh's code the student derives the slope from the output by hand (``HAND``:
f'(x) at three given outputs o = f(x)), checked against central differences of f at the x with
f(x) = o (``check_by_hand``) and judged by ``backprop_course.autograder.judge.derivations``; the
formulas are shown only once a check passes (``REVEALS``).
"""

import numpy as np

from ..cells import run_strict
from ..lesson import grading
from ..records import Observation, emit, encode_error, not_judged_warning
from . import hand_answers

# Tuples, not arrays: a student's function that writes into its input cannot change them.
# Not symmetric about 0: an output mirrored or negated cannot pass for the right one.
POINTS = (-2.0, -0.5, 0.0, 0.7, 1.5)
AWAY_FROM_ZERO = (-1.3, -0.4, 0.7, 2.5)  # central differences here never straddle relu's kink
KINK_DISTANCE = 1e-4  # graded entries closer to 0 than this are left out of central differences


# The hand derivations: f'(x) at the x where f(x) is each of these outputs. Neither symmetric
# about the middle of f's range nor containing it twice, so that o (1 - o), 1 - o^2, 1 - o and a
# derivative applied to o as if it were x all give different numbers.
HAND_OUTPUTS = {"sigmoid": np.array([0.2, 0.5, 0.9]), "tanh": np.array([-0.5, 0.2, 0.8])}
# Each derivation: the name the student fills in, the activation, the catalogued quantity.
HAND = {"Lesson 3, task 2: by hand": ("sigmoid_slopes", "sigmoid"),
        "Lesson 3, task 3: by hand": ("tanh_slopes", "tanh")}
_INVERSES = {"sigmoid": (lambda o: np.log(o / (1 - o)), lambda x: 0.5 * np.tanh(0.5 * x) + 0.5),
             "tanh": (np.arctanh, np.tanh)}  # (f^-1, f): the course's own, not the student's


def hand_slopes(name):
    """Central differences of activation ``name`` at the x where it outputs HAND_OUTPUTS[name]."""
    inverse, f = _INVERSES[name]
    x = inverse(HAND_OUTPUTS[name])
    return hand_answers.slope(f, x, np.ones_like(x))


def check_by_hand(check, **answers):
    """The visible check of a derivation (``check.label`` is one of HAND): the slopes typed for the
    given outputs against central differences, showing no expected number (when grading, only
    that the answers are numbers)."""
    answer, name = HAND[check.label]
    got = hand_answers.numbers(check, **answers)
    if grading():  # the grader's judge compares: no expected number is computed in a grading kernel
        return
    if answer in got:
        hand_answers.agree(check, f"{name}'(x) where {name}(x) = {', '.join(map(str, HAND_OUTPUTS[name]))}",
                           got[answer], hand_slopes(name))


# Shown by a passing check (``backprop_course.reveal``): never in a cell read before it.
REVEALS = {
    "Lesson 3, task 1":
        "$\\mathrm{relu}'(x) = 1$ where $o > 0$, else $0$: $o > 0$ exactly where $x > 0$, so the "
        "output alone tells the slope (and $o = 0$ covers the kink, by the convention 0).",
    "Lesson 3, task 2: by hand":
        "$\\sigma(x) = (1 + e^{-x})^{-1}$: by the chain rule "
        "$\\sigma'(x) = \\dfrac{e^{-x}}{(1 + e^{-x})^2} = \\sigma(x)\\,\\dfrac{e^{-x}}{1 + e^{-x}}"
        " = \\sigma(x)\\,(1 - \\sigma(x))$, so from the output, $\\sigma'(x) = o\\,(1 - o)$.",
    "Lesson 3, task 2": "$\\sigma'(x) = o\\,(1 - o)$ with $o = \\sigma(x)$: at most $1/4$, at $o = 1/2$.",
    "Lesson 3, task 3: by hand":
        "$\\tanh(x) = \\dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$: the quotient rule gives "
        "$\\tanh'(x) = \\dfrac{(e^{x} + e^{-x})^2 - (e^{x} - e^{-x})^2}{(e^{x} + e^{-x})^2} = 1 - \\tanh^2(x)$,"
        " so from the output, $\\tanh'(x) = 1 - o^2$.",
    "Lesson 3, task 3": "$\\tanh'(x) = 1 - o^2$ with $o = \\tanh(x)$: at most 1, at $o = 0$.",
}


def central_difference(f, x, h=1e-6):
    """(f(x + h) - f(x - h)) / 2h: the slope of the elementwise function f at each entry of the
    array x (any shape), all entries at once. (``gradcheck.numerical_gradient`` perturbs one entry
    at a time and differences a sum over all of them, which loses digits on small slopes.)"""
    return (f(x + h) - f(x - h)) / (2 * h)


def check_elementwise(check, f, derivative):
    """Rows "x unchanged", "slope vs central differences" (bar 1e-6, away from 0) and "float32
    stays float32" for the activation f and its derivative (written from the output)."""
    x = np.array(POINTS)
    f(x)
    check.true("x unchanged", np.array_equal(x, POINTS), "do not modify the input")
    # Against the slope of the student's own f, not the true derivative: no catalogue name fits
    # this row (a right derivative of a wrong f fails it too), so none is asked for.
    out = f(np.array(AWAY_FROM_ZERO))
    check.close("slope vs central differences", derivative(out), central_difference(f, np.array(AWAY_FROM_ZERO)),
                bar=1e-6)
    x32 = np.array(POINTS, dtype=np.float32)
    dtypes = (np.asarray(f(x32)).dtype, np.asarray(derivative(f(x32))).dtype)
    check.true("float32 stays float32", dtypes == (np.float32, np.float32),
               f"got {dtypes[0]} and {dtypes[1]}: build results from x and out, e.g. with astype(out.dtype)")


def check_extremes(check, f, x, expected, bar=1e-7, name=None):
    """A row "<name> at x = ..." for the activation f at huge |x|: it must match ``expected``
    (a wrong value, e.g. NaN from inf / inf, is named from x), and then a row "<name> at x = ...:
    no overflow" only when an overflow happened on the way (right values, so a row of its own).
    name: the activation's (default f's own name)."""
    name = name or getattr(f, "__name__", "f")
    label = f"{name} at x = {', '.join(f'{value:g}' for value in x)}"
    x = np.array(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        got = f(x.copy())
    if check.close(label, got, expected, bar=bar, quantity=f"{name}(x)", inputs={"x": x}):
        run_strict(check, f"{label}: no overflow", lambda: f(x.copy()))


# The graded inputs: seeded, the last holding the kink 0 (and -0.0) and points within 1e-12 of it.
GRADED_EXTREME = (-1000.0, -40.0, 40.0, 1000.0)
STEP = 1e-6  # of the central differences the judge computes from f(x + h) and f(x - h)


def graded_cases():
    """[(name, x)] of the graded checks: the visible points and the seeded inputs (float64)."""
    inputs = [np.array(POINTS), np.random.default_rng(31).standard_normal((1, 4)) * 3,
              np.random.default_rng(32).standard_normal((3, 5)) * 3,
              np.concatenate([np.random.default_rng(33).standard_normal(8) * 3,
                              [0.0, -0.0, 1e-12, -1e-12]]).reshape(2, 3, 2)]
    return [(f"x {'x'.join(map(str, x.shape))} #{i}", x) for i, x in enumerate(inputs)] + \
        [("x at the extremes", np.array(GRADED_EXTREME))]


def _observe(seen, f, derivative, x):
    x_in = x.copy()
    out = seen.call("out", f, x_in)
    seen.call("x after", lambda: x_in)
    # The student's own out, as the derivative receives it (the judge makes the same from "out").
    given = np.array(out, dtype=np.float64, copy=True) if out is not None else None
    kept = None if given is None else given.copy()
    seen.call("slope", derivative, kept)
    seen.call("out after", lambda: kept)
    seen.call("out float32", f, x.astype(np.float32))
    seen.call("slope float32", derivative, None if given is None else given.astype(np.float32))
    seen.call("out at x + h", f, x + STEP)
    seen.call("out at x - h", f, x - STEP)
    seen.call("strict", lambda: run_strict_value(f, x))


def run_strict_value(f, x):
    """f(x) with every floating-point overflow, division by zero or invalid operation raised."""
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        return f(x.copy())


def run_graded_cases(label, f=None, derivative=None, **answers):
    """Run the graded task ``label`` (e.g. "Lesson 3, task 2") of the activation ``f`` and its
    ``derivative`` (the student's) on every graded case and emit the task's record; nothing is
    judged here. A derivation (a label of HAND) records the hand ``answers`` instead."""
    if label in HAND:
        hand_answers.record(label, answers)
        return
    cases = {}
    for name, x in graded_cases():
        seen = cases[name] = Observation()
        with np.errstate(all="ignore"):
            try:
                _observe(seen, f, derivative, x)
            except Exception as err:  # only the course's own code is left to raise here
                seen.values.setdefault("layer", encode_error(err))
    emit(label, {name: seen.values for name, seen in cases.items()})
    not_judged_warning(label)


def gradient_norms(f, derivative, depth=30, width=64, batch=32, rng=0):
    """The vanishing-gradient experiment: ||dL/dh_k|| for k = 1 .. depth (a list, layer 1 next to
    the input) when a (batch, width) standard-normal input passes through ``depth`` layers h = f(h W)
    with Glorot-uniform (width, width) weights W and no biases, and dL/dh_depth = 1 / h.size is sent
    back down, each layer multiplying it by derivative(out) and then by W^T."""
    rng = np.random.default_rng(rng)
    bound = np.sqrt(6.0 / (2 * width))
    weights = [rng.uniform(-bound, bound, (width, width)) for _ in range(depth)]
    h = rng.standard_normal((batch, width))
    outs = []
    for W in weights:
        h = f(h @ W)
        outs.append(h)
    grad = np.ones_like(h) / h.size
    norms = []
    for W, out in zip(weights[::-1], outs[::-1]):
        norms.append(np.linalg.norm(grad))
        grad = (grad * derivative(out)) @ W.T
    return norms[::-1]
