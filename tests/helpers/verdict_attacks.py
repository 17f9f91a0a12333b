"""Verdict-rewriting attacks a submission's library code can run at import (lesson 2's
end-to-end attacks, reused by the other lessons' attack tests): each must score no more than the
same wrong code without it."""

MIME = "application/vnd.backprop-course.observation+json"

SINK = """
import backprop_course.checks as _checks

class _Sink(list):
    def append(self, item):
        pass

_init = _checks.Checks.__init__

def _sunk(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.failures = _Sink()

_checks.Checks.__init__ = _sunk
"""
GUARDS = """
import builtins
import numpy as _np
for _name in list(vars(builtins)):
    if _name.startswith("_grader_guard_"):
        setattr(builtins, _name, lambda: [])
_np.__dict__["max"] = lambda *a, **k: 0.0
_np.__dict__["allclose"] = lambda *a, **k: True
"""
FORGE = """
import backprop_course.records as _records
import numpy as _np

def _forged(task, cases):
    fake = {case: {name: _records.encode(_np.zeros(1)) for name in values} for case, values in cases.items()}
    return {_records.MIME: {"task": task, "cases": fake, "passed": True, "verdict": "ok"},
            "text/plain": "all checks passed"}

_records.record = _forged
"""


def emit_twice(lesson):
    """Every record of lesson ``lesson``'s graded cases emitted twice (the records module's ``emit``
    and the name the lesson's tasks module imported)."""
    return f"""
import backprop_course.records as _records
import backprop_course.tasks.lesson_{lesson} as _lesson
_emit = _records.emit

def _twice(task, cases):
    _emit(task, cases)
    _emit(task, cases)

_records.emit = _lesson.emit = _twice
"""


def printed_records(task, case, value, indent=""):
    """Code the student's own code runs while ``task``'s graded cases run (each line indented by
    ``indent``): it prints a record as JSON text, and displays a record with the record mimetype
    claiming ``value`` of ``case`` and the judge's rows mimetype claiming a pass."""
    shown = {MIME: {"task": task, "cases": {case: {value: {"missing": "NoneType"}}}},
             "application/vnd.backprop-course.rows+json": {"task": task, "passed": True, "rows": []},
             "text/plain": "ok"}
    lines = ["import json, IPython.display as _d", f"print(json.dumps({ {MIME: {'task': task, 'cases': {}}}!r}))",
             f"_d.display({shown!r}, raw=True)"]
    return "".join(f"{indent}{line}\n" for line in lines)


TWICE = emit_twice(2)
PRINTS = printed_records("Lesson 2, task 1", "1x3 -> 1x2", "out")
SWALLOW = """
try:
    get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
except NameError:
    from IPython import get_ipython
    get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
"""
