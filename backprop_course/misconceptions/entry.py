"""The two records of this package: a catalogued wrong implementation, and a diagnosis.

A ``Misconception`` is data: which task and checked quantity it belongs to, a short key, one
sentence saying what is wrong and how to fix it, and ``wrong``, a function computing the wrong
result from the same inputs the check used. ``wrong`` takes the check's inputs as keyword
arguments and ignores the ones it does not need (``**_``); the inputs it does need are the
parameters it names, so a check that cannot supply them simply does not consult that entry.
Besides the check's inputs, ``wrong`` may name ``expected``, the right value: some mistakes are
a known function of it (twice the gradient after two accumulating calls, a loss summed instead
of averaged), which spares this package any stable formula of its own.
"""

import inspect
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Misconception:
    """One typical wrong implementation of one checked quantity of one task.

    Attributes:
        task: the task label, e.g. "Lesson 2, task 2".
        quantity: what the check compares, e.g. "dL/db" (see each lesson module's docstring).
        key: a short stable name, e.g. "db-mean"; several entries may share a key when one
            misconception shows in several quantities.
        explain: one sentence, shown to the student: what the result equals and the fix.
        wrong: ``wrong(**inputs) -> array``, the wrong result on the check's inputs.
    """

    task: str
    quantity: str
    key: str
    explain: str
    wrong: Callable

    def needs(self):
        """The input names ``wrong`` requires (its parameters without a default)."""
        return tuple(name for name, parameter in inspect.signature(self.wrong).parameters.items()
                     if parameter.default is inspect.Parameter.empty
                     and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY))


@dataclass(frozen=True)
class Finding:
    """What a failed check's result shows, as data.

    Attributes:
        kind: "misconception" (a catalogue entry matched) or "structure" (a pattern such as a
            constant factor, a transpose, wrong rows, NaN/inf or a wrong shape).
        key: the catalogue key, or the pattern: "factor", "sign", "zeros", "transpose",
            "reshape", "shape", "nonfinite", "rows", "columns", "entries".
        message: one line for the student.
        task, quantity: what was checked.
    """

    kind: str
    key: str
    message: str
    task: str = ""
    quantity: str = ""
