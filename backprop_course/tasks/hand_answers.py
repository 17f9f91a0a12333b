"""Derivations answered by hand: numbers the student types for a small case, before the code.

A derivation task ("Lesson 2, task 2: by hand") gives a case small enough for pen and paper (one
sample, a few outputs) and asks for the gradient as numbers. Its visible check compares them with
central differences of the forward formula the lesson states (``slope``), in rows that never show
the expected numbers nor a formula; when grading, ``record`` only hands the numbers to the grader's judge
(``backprop_course.autograder.judge.derivations``), which compares them with the reference's. The
formula itself is shown only once the check passes (``REVEALS`` of the lesson's tasks module).
"""

import numpy as np

from ..gradcheck import numerical_gradient
from ..records import emit, encode, not_judged_warning

CASE = "by hand"  # the one case of a derivation's record
BAR = 1e-3  # hand answers are asked to 3 significant digits


def numbers(check, **answers):
    """{name: float64 array} of the hand answers; raises NotImplementedError naming what to fill in
    while any is still None, and adds a failed row for one that is not numbers."""
    missing = [name for name, value in answers.items() if value is None]
    if missing:
        raise NotImplementedError(f"{check.label}: fill in {', '.join(missing)}")
    arrays = {}
    for name, value in answers.items():
        try:
            arrays[name] = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            check.true(f"{name} is numbers", False, f"{name} is {value!r}: write numbers, e.g. [1.5, -2.0]")
    return arrays


def agree(check, name, got, slope):
    """A row: the hand answer ``got`` against the central-difference ``slope`` (bar BAR), showing
    neither. A failure says what is observed (the shape expected, a transpose, a constant factor,
    the entries that differ) but names no catalogued misconception: the catalogue's messages state
    the right formula, which this check is there to have the student find. (The grader's judge,
    after hand-in, names them.)"""
    check.close(name, got, slope, bar=BAR, quantity=name, hidden=True)


def slope(f, at, grad_out=None):
    """Central differences of f at a copy of ``at`` (float64, any shape): d sum(f * grad_out)."""
    return numerical_gradient(f, np.array(at, dtype=np.float64), grad_out)


def record(label, answers):
    """Emit the derivation's record: {CASE: {name: value}} of the hand answers ({name: value}),
    as typed; nothing is judged here."""
    emit(label, {CASE: {name: encode(value) for name, value in answers.items()}})
    not_judged_warning(label)
