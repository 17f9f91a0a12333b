"""Structural diagnosis: what a wrong array has in common with the expected one.

When no catalogued misconception matches, the shape of the error still teaches: a result that
is exactly 1/3 of the expected, the expected with its sign flipped, its transpose, right except
on some rows, or NaN/inf. ``structure`` tries these patterns in order and returns a ``Finding``
for the first that fits, or None. A finding says what is observed, never a cause: a cause would
be a guess, and a wrong one misleads more than none. So a factor, a flipped sign or all zeros
are told only when they hold over ``SEVERAL`` entries (one number equals any other times some
factor), and the batch size N is named in a factor only when no other size of the check is N.
"""

from fractions import Fraction

import numpy as np

from ..gradcheck import rel_error, relative_errors
from .entry import Finding

# Diagnosis compares computed floats, so a bar of 0 (an exact check) still needs some room.
FLOOR = 1e-9
# Inputs whose first dimension is the batch size N, with the least number of dimensions that
# makes it one (an activation's x is elementwise: a 1-D x has no batch).
BATCH_KEYS = (("x", 2), ("grad_out", 2), ("scores", 1))
# A factor is named as a fraction when numerator and denominator are at most this (or it is N).
SIMPLE = 16
# At most this many wrong entries are named one by one.
FEW = 3
# A factor, a sign or zeros is a pattern only over at least this many nonzero expected entries.
SEVERAL = 3
# A factor this close to 1 is a rounding difference, not a pattern.
NEAR_ONE = 1e-3


def as_numbers(value):
    """value as a float64 array, or None when it is not numbers (None, a string, an object)."""
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except Exception:  # a student's object may raise anything from __float__ or __array__
        return None


def agree(got, expected, tolerance):
    """Same shape, the same NaN, inf or -inf at the same places, and the finite entries within
    tolerance (a NaN is not an inf: 0/0 and log 0 are different mistakes)."""
    if got.shape != expected.shape:
        return False
    finite = np.isfinite(expected)
    if not np.array_equal(np.isfinite(got), finite):
        return False
    if not np.array_equal(got[~finite], expected[~finite], equal_nan=True):
        return False
    return rel_error(got[finite], expected[finite]) <= tolerance


def batch_size(inputs, shape=()):
    """N from the check's inputs (inputs["N"], else the first dimension of x, grad_out or scores),
    or None when there is none or another size of the check (a dimension of ``shape``, the
    compared array's, or of an input array) also equals N: a factor 1/N could then be 1/C."""
    n = None
    if inputs.get("N") is not None:
        n = int(inputs["N"])
    for key, least in BATCH_KEYS:
        if n is None and inputs.get(key) is not None and np.ndim(inputs[key]) >= least:
            n = int(np.shape(inputs[key])[0])
    if n is None:
        return None
    others = list(shape[1:] if shape and shape[0] == n else shape)
    for value in inputs.values():
        dims = np.shape(value) if isinstance(value, np.ndarray) else ()
        others += list(dims[1:] if dims and dims[0] == n else dims)
    return None if n in others else n


def structure(quantity, got, expected, bar, inputs=None, task=""):
    """A Finding for the first pattern that explains got against expected, or None.

    got, expected: what the check compared; bar: its relative-error bar (diagnosis uses at least
    ``FLOOR``); inputs: the check's inputs, used only to name the batch size N in a factor.
    Patterns, in order: shape (transposed, reshaped, or just different), NaN/inf, all zeros, a
    constant factor (sign, 2x, 1/N, ...), right except on whole rows or columns, on a few
    entries, or on some rows or columns. Zeros and factors need ``SEVERAL`` nonzero expected
    entries; the row patterns need a wrong result that is right somewhere.
    """
    got, expected = as_numbers(got), as_numbers(expected)
    if got is None or expected is None:
        return None
    tolerance = max(bar, FLOOR)

    def found(key, message):
        return Finding("structure", key, f"{quantity} {message}", task, quantity)

    if got.shape != expected.shape:
        if got.ndim == 2 and agree(got, expected.T, tolerance):
            return found("transpose", f"is the transpose of the expected: shape {got.shape}, expected "
                                      f"{expected.shape}")
        if got.size == expected.size and agree(got.reshape(expected.shape), expected, tolerance):
            return found("reshape", f"has the right values in shape {got.shape}, expected "
                                    f"{expected.shape}: reshape it")
        return found("shape", f"has shape {got.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(got)):
        bad = ~np.isfinite(got)
        return found("nonfinite", f"contains NaN or inf at {bad.sum()} of {got.size} entries "
                                  f"({where(bad)}) where the expected is finite: looks like an overflow "
                                  "or 0/0")
    several = np.count_nonzero(expected) >= SEVERAL
    if several and not np.any(got):
        return found("zeros", "is all zeros")
    factor = constant_factor(got, expected, tolerance) if several else None
    if factor is not None:
        key, text = describe_factor(factor, batch_size(inputs or {}, expected.shape))
        return found(key, text)
    wrong = relative_errors(got, expected) > tolerance
    if got.ndim == 0 or wrong.all() or not wrong.any():
        return None
    if got.ndim == 2:
        rows, columns = np.flatnonzero(wrong.any(axis=1)), np.flatnonzero(wrong.any(axis=0))
        if wrong[rows].all():
            return found("rows", f"is right except on {plural('row', rows)}")
        if wrong[:, columns].all():
            return found("columns", f"is right except on {plural('column', columns)}")
    if wrong.sum() <= FEW:
        return found("entries", f"is right except at {where(wrong)}")
    if got.ndim == 2 and len(rows) < got.shape[0]:
        return found("rows", f"is right except on {plural('row', rows)}")
    if got.ndim == 2 and len(columns) < got.shape[1]:
        return found("columns", f"is right except on {plural('column', columns)}")
    return None


def constant_factor(got, expected, tolerance):
    """c with got == c * expected (within tolerance), c != 1, or None."""
    scale = float(np.sum(expected * expected))
    if scale == 0.0:
        return None
    c = float(np.sum(got * expected)) / scale
    if abs(c - 1.0) <= max(tolerance, NEAR_ONE) or c == 0.0 or rel_error(got, c * expected) > tolerance:
        return None
    return c


def describe_factor(c, n):
    """(key, text) for got = c * expected: "sign", or "factor" with c as a simple fraction if it is one."""
    if abs(c + 1.0) <= 1e-9:
        return "sign", "is -1x the expected: the sign is flipped"
    simple = Fraction(c).limit_denominator(SIMPLE)
    exact = abs(float(simple) - c) <= 1e-9 * abs(c) and abs(simple.numerator) <= SIMPLE
    sign = "-" if c < 0 else ""
    magnitude = abs(simple)
    if n and n > 1 and abs(abs(c) * n - 1) <= 1e-9:
        return "factor", (f"is exactly {sign}1/N = {sign}1/{n} of the expected on every entry (N = {n} "
                          "samples): looks like one division by N too many")
    if n and n > 1 and abs(abs(c) / n - 1) <= 1e-9:
        return "factor", (f"is exactly {sign}N = {sign}{n} times the expected on every entry (N = {n} "
                          "samples): looks like a missing division by N")
    if exact and magnitude.denominator == 1:
        return "factor", f"is exactly {sign}{magnitude.numerator}x the expected"
    if exact:
        return "factor", f"is exactly {sign}{magnitude.numerator}/{magnitude.denominator} of the expected"
    return "factor", f"is the expected times {c:.6g} on every entry"


def where(mask):
    """The positions of a boolean array's True entries: "index 0, 2" or "[0, 2], [1, 0]" (FEW, then "...")."""
    if mask.ndim == 0:
        return "the value"
    spots = np.argwhere(mask)
    names = [str(int(spot[0])) if mask.ndim == 1 else str([int(i) for i in spot]) for spot in spots[:FEW]]
    return ("index " if mask.ndim == 1 else "") + ", ".join(names) + (", ..." if len(spots) > FEW else "")


def plural(word, indices):
    """"row 2" or "rows 0, 2"."""
    return f"{word}{'s' if len(indices) > 1 else ''} {', '.join(str(int(i)) for i in indices)}"
