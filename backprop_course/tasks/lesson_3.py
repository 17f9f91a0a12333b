"""Lesson 3 (activations): the properties every activation's check shares, and the lesson's experiment.

An activation ``f`` maps an array x of any shape to f(x) of the same shape and dtype, elementwise;
its derivative maps the output ``out = f(x)`` (same shape) to f'(x). The visible checks compare
values on five points in the cell itself and call ``check_elementwise`` and ``check_extremes`` for
the rest; the hidden tests call ``graded_activation`` with their own inputs and expected values.
``central_difference`` also serves the kink demo, ``gradient_norms`` the vanishing-gradient plot.
Every comparison hands the misconception catalogue its inputs: ``x`` for "<name>(x)", ``out`` for
"<name>_derivative(out)".
"""

import numpy as np

from ..cells import run_strict

# Tuples, not arrays: a student's function that writes into its input cannot change them.
POINTS = (-2.0, -0.5, 0.0, 0.5, 2.0)
AWAY_FROM_ZERO = (-1.3, -0.4, 0.7, 2.5)  # central differences here never straddle relu's kink
KINK_DISTANCE = 1e-4  # graded entries closer to 0 than this are left out of central differences


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


def _near(got, expected, bar):
    """max |got - expected| <= bar * max |expected|: how float32 results meet float64 values
    (an entrywise relative error would punish the cancellation in e.g. 1 - out near out = 1)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.max(np.abs(got - expected)) <= bar * np.max(np.abs(expected)))


def graded_activation(graded, name, f, derivative, inputs, extreme, outs, slopes, expected_extreme, bar):
    """The hidden test of one activation, for each x in ``inputs`` with its expected f(x) in
    ``outs`` and f'(x) in ``slopes``: values and derivative (as a chain, so a wrong derivative is
    told apart from a wrong f), no mutation of x or out, float32 in float32 out within 1e-6, the
    derivative against central differences away from 0 (only where f is right: a right
    derivative of a wrong f is not blamed); then f(extreme) == expected_extreme with no overflow."""
    for x, out, slope in zip(inputs, outs, slopes):
        shape = "x".join(map(str, x.shape))
        x_before = x.copy()
        got = f(x)
        graded.true(f"{name}: x unchanged {shape}", np.array_equal(x, x_before), "do not modify the input")
        out_given = out.copy()
        graded.chain([(f"{name}(x)", got, out),
                      (f"{name}_derivative(out)", derivative(out_given), slope, f"out = {name}(x)")],
                     bar=bar, name=f"{name} and its derivative {shape}", inputs={"x": x_before, "out": out})
        graded.true(f"{name}_derivative: out unchanged {shape}", np.array_equal(out, out_given),
                    "do not modify the output you are given")
        got32, slope32 = f(x.astype(np.float32)), derivative(out.astype(np.float32))
        graded.true(f"{name}: float32 stays float32 {shape}",
                    np.asarray(got32).dtype == np.float32 and np.asarray(slope32).dtype == np.float32,
                    f"float32 in must give float32 out (got {np.asarray(got32).dtype}, "
                    f"{np.asarray(slope32).dtype})")
        graded.true(f"{name}: float32 values {shape}", _near(got32, out, 1e-6) and _near(slope32, slope, 1e-6),
                    "float32 results must be within 1e-6 of the float64 ones")
        if not _near(got, out, bar):
            continue  # the slope of a wrong f says nothing of the derivative: the chain row told f
        away = np.abs(x) > KINK_DISTANCE
        out_away = np.asarray(f(x))[away]
        graded.close(f"{name}: your derivative vs central differences {shape}", np.asarray(derivative(f(x)))[away],
                     central_difference(f, x)[away], bar=1e-5, quantity=f"{name}_derivative(out)",
                     inputs={"out": out_away})
    check_extremes(graded, f, extreme, expected_extreme, bar=bar, name=name)


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
