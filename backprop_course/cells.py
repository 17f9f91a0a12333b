"""Guards for notebook cells that are not checks: hand-computed answers, demos, strict numerics.
Each turns an unfinished task, a crash or a numeric overflow into one line instead of a traceback.
"""

import sys
from contextlib import contextmanager

import numpy as np

from backprop_course.checks import crash_report


@contextmanager
def answers(label):
    """Hold a notebook task's hand-computed answers: until nbgrader's stub in the block is replaced
    (it raises NotImplementedError), print one line instead of a traceback."""
    try:
        yield
    except NotImplementedError:
        print(f"not implemented yet: {label}: write your numbers in place of `raise NotImplementedError()`")


def _open_figures():
    """The numbers of matplotlib's open figures; none when pyplot was never imported (a demo
    does not import matplotlib only to find out)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot else set()


def _close_figures_since(before):
    """Close the figures opened since ``before``: the inline backend would show them, empty or
    half drawn, at the end of the cell."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    for number in _open_figures() - before:
        pyplot.close(number)


@contextmanager
def demo(what):
    """Run a demo that needs student code. Until that code exists, or when it crashes, print one
    line instead of a traceback, and drop the figures the demo had opened."""
    before = _open_figures()
    try:
        yield
    except NotImplementedError as err:
        _close_figures_since(before)
        print(f"{what}: skipped until this is done: {err}")
    except Exception as err:
        _close_figures_since(before)
        print(f"{what}: stopped: {crash_report(err)}")


def run_strict(check, name, compute):
    """compute() with every floating-point overflow, division by zero or invalid operation raised.

    Returns compute()'s result, or None after a failed row "name: overflow encountered in exp
    (...)" instead of a traceback, so the checks that need the result can be skipped.
    """
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            return compute()
    except FloatingPointError as err:
        check.true(name, False, f"{err}: a naive formula overflows here, use the stable one")
        return None
