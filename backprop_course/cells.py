"""Guards for notebook cells that are not checks: hand-computed answers, demos, strict numerics.
Each turns an unfinished task or a numeric overflow into one line instead of a traceback.
"""

from contextlib import contextmanager

import numpy as np


@contextmanager
def answers(label):
    """Hold a notebook task's hand-computed answers: until nbgrader's stub in the block is replaced
    (it raises NotImplementedError), print one line instead of a traceback."""
    try:
        yield
    except NotImplementedError:
        print(f"not implemented yet: {label}: write your numbers in place of `raise NotImplementedError()`")


@contextmanager
def demo(what):
    """Run a demo that needs student code; until that code exists print one line, not a traceback."""
    try:
        yield
    except NotImplementedError as err:
        print(f"{what}: skipped until this is done: {err}")


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
