"""The lessons' visible checks: short, honest reports instead of walls of traceback.

    with task("Lesson 2, task 1") as check:
        check.close("out", layer.forward(x), expected_out, bar=1e-9)
        check.gradients(check_layer(layer, x))

prints one row per check (the relative error next to the bar it must meet) and, when a check
fails, raises ``CheckFailed`` once at the end, so nbgrader marks the cell failed. A task whose
stub still raises NotImplementedError ends with the one line "not implemented yet: Lesson 2,
task 1: implement Linear.forward". In Jupyter both errors show as that one line (IPython's
``_render_traceback_`` hook), and the notebooks tag their check cells "raises-exception" so that
Run All goes on past them.
"""

from contextlib import contextmanager

import numpy as np

from .gradcheck import rel_error


class CheckFailed(AssertionError):
    """A visible check did not hold; shown in Jupyter as its message alone."""

    def _render_traceback_(self):
        return [f"check failed: {self}"]


class NotImplementedYet(AssertionError):
    """A task's stub still raises NotImplementedError; shown as "not implemented yet: <task>"."""

    def _render_traceback_(self):
        return [f"not implemented yet: {self}"]


class Checks:
    """Collects the rows of one task's checks; see ``task``."""

    def __init__(self, label):
        self.label = label
        self.failures = []

    def _row(self, name, ok, detail):
        print(f"  {'ok   ' if ok else 'WRONG'}  {name:<28} {detail}")
        if not ok:
            self.failures.append(name)
        return ok

    def close(self, name, got, expected, bar=1e-7):
        """got and expected agree: same shape and rel_error(got, expected) <= bar."""
        try:
            # float64 coercion first: an object that claims equality with everything fails here.
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return self._row(name, False, f"is a {type(got).__name__}, not an array of numbers")
        expected = np.asarray(expected, dtype=np.float64)
        if got.shape != expected.shape:
            return self._row(name, False, f"has shape {got.shape}, expected {expected.shape}")
        if not np.all(np.isfinite(got)):
            return self._row(name, False, "contains inf or nan")
        err = rel_error(got, expected)
        return self._row(name, err <= bar, f"rel error {err:.1e}  (bar {bar:.0e})")

    def gradients(self, result, name="gradient check"):
        """A GradCheckResult passed; each checked tensor gets its own row."""
        ok = True
        for tensor, err in result.errors.items():
            kinks = result.kinks.get(tensor, 0)
            note = f", {kinks} at a kink left out" if kinks else ""
            ok &= self._row(f"{name}: d/d{tensor}", err <= result.bar,
                            f"rel error {err:.1e}  (bar {result.bar:.0e}{note})")
        return ok

    def true(self, name, condition, why):
        """A yes/no property, e.g. "x unchanged"; ``why`` explains a failure."""
        return self._row(name, bool(condition), "" if condition else why)

    def chain(self, stages, bar=1e-7):
        """Values that flow through stages in order [(name, got, expected)]: name the first wrong one.

        For a backward pass list the stages from the loss down; the diagnosis then reads
        "dL/dW of layer 2 is wrong; the gradient arriving from layer 3 is right".
        """
        message = diagnose(stages, bar)
        return self._row(f"{len(stages)} stages", message is None, message or "")


def diagnose(stages, bar=1e-7):
    """The first of [(name, got, expected)] that disagrees, and whether the one before agreed.

    Returns None when every stage agrees, else a one-line message.
    """
    for i, (name, got, expected) in enumerate(stages):
        got = np.asarray(got, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if got.shape == expected.shape and rel_error(got, expected) <= bar:
            continue
        what = (f"has shape {got.shape}, expected {expected.shape}" if got.shape != expected.shape
                else f"is wrong (rel error {rel_error(got, expected):.1e})")
        if i == 0:
            return f"{name} {what}"
        return f"{name} {what}; {stages[i - 1][0]}, which flowed into it, is right"
    return None


@contextmanager
def task(label):
    """Run one task's checks: report each, then fail once with a one-line reason."""
    check = Checks(label)
    print(f"{label}:")
    try:
        yield check
    except NotImplementedError as err:
        raise NotImplementedYet(str(err) or label) from None
    if check.failures:
        raise CheckFailed(f"{label}: {len(check.failures)} check(s) failed: {', '.join(check.failures)}")
    print(f"  all checks of {label} passed")
