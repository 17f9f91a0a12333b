"""The grader's judge: graded tasks decided in the grader's process, never in a grading kernel.

A graded test cell names its task in a call ``run_graded_cases("Lesson 2, task 1", ...)``, or one
part of a task graded in several cells, ``run_graded_cases("Lesson 4, task 1: gradients", ...)`` (the
cell's source is the gradebook's copy: nbgrader's OverwriteCells puts it back). In the kernel
that call only records what the student's code returned on the task's cases
(``backprop_course.records``); ``judge_task`` (verdict.py) builds the same cases here, runs the
reference library (reference.py) on them and compares. ``SPECS`` maps each judged task to its
cases and its per-case judge; a lesson module (lesson_2.py, ...) holds them.
"""

import re
from dataclasses import dataclass

from . import derivations, lesson_1, lesson_2, lesson_3, lesson_4, lesson_5, lesson_5_count, lesson_5_paths, lesson_6
from .verdict import Verdict, judge_task

CALL = re.compile(r"""^\s*run_graded_cases\(\s*["'](?P<label>Lesson \d+, task \d+(?:: [\w ,()-]+)?)["']""", re.MULTILINE)


@dataclass(frozen=True)
class Spec:
    """How one task is judged: ``cases()`` -> [(case name, *inputs)], and
    ``judge_case(check, case, *inputs, seen=...)`` adding the case's rows to ``check``."""

    cases: object
    judge_case: object


# A JUDGES value is a per-case judge (of the module's CASES), or (cases, judge) for a part with cases of its own.
SPECS = {label: Spec(*judge) if isinstance(judge, tuple) else Spec(module.CASES, judge)
         for module in (lesson_1, lesson_2, lesson_3, lesson_4, lesson_5, lesson_5_count, lesson_5_paths,
                        lesson_6, derivations)
         for label, judge in module.JUDGES.items()}


def judged_task(source):
    """The task label a test cell's source hands to the judge, or None (a cell judged in its kernel)."""
    match = CALL.search(source or "")
    return match["label"] if match else None


def judge(label, outputs):
    """The Verdict of task ``label`` from a cell's outputs; a task with no judge here fails."""
    spec = SPECS.get(label)
    if spec is None:
        return Verdict(label, False, [f"{label}: no judge for this task in this backprop-course"],
                       [], f"{label}: no judge for this task (update backprop-course)")
    return judge_task(label, outputs, spec)


__all__ = ["SPECS", "Spec", "Verdict", "judge", "judged_task"]
