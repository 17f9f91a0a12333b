"""Name the misconception behind a failed check, or describe the error's structure.

    finding = name_misconception("Lesson 2, task 2", "dL/db", got, expected,
                                 inputs={"x": x, "grad_out": grad_out}, bar=1e-12)
    if finding:
        print(finding.message)   # "dL/db equals the mean of grad_out over the batch: ..."

The catalogue (``CATALOG``, one module per lesson) holds, per task and checked quantity, the
typical wrong implementations as data: a key, a one-sentence explanation with the fix, and a
function computing the wrong result from the check's inputs. It holds no task's solution: the
expected value always comes from the caller. ``audit`` tells a check's author which entries
the check's inputs can tell apart. ``name_across`` names one check run on several inputs (for a
judge that sees them all): only what reproduces the result on every input. Numpy only; nothing
here imports the student's ``backprop_lib``.
"""

from .catalog import CATALOG, TASKS, entries_for, task_label
from .entry import Finding, Misconception
from .naming import audit, name_across, name_misconception
from .structural import structure

__all__ = ["CATALOG", "TASKS", "Finding", "Misconception", "audit", "entries_for", "name_across",
           "name_misconception", "structure", "task_label"]
