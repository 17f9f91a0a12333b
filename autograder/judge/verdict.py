"""One graded task judged from its records: the rows the feedback shows and pass or fail.

``judge_task(label, outputs, spec)`` reads the observation records (``backprop_course.records``)
of task ``label`` among a cell's outputs, builds the task's cases itself (``spec.cases()``), and
for each case lets ``spec.judge_case`` compare what the student's code returned with the
reference's, through ``checks.Checks`` (the misconception catalogue names what a wrong result
shows; ``Checks.settle`` keeps one explanation per mistake across the task). Every row is hidden: it prints no input, expected value or result. A case whose record
is missing, malformed or there twice fails; a record of no known case is ignored (it can only
be one the student's code printed).
"""

from dataclasses import dataclass, field

from backprop_course import records
from backprop_course.checks import Checks

SHOWN = 3  # failed checks a failure message names; the rows above it list them all


class StudentRaised(Exception):
    """A value the judge needs was not produced: the student's code raised (``report``), or the
    value is not an array of numbers."""

    def __init__(self, report, not_implemented=False):
        super().__init__(report)
        self.report, self.not_implemented = report, not_implemented


class Seen:
    """One case's decoded record: ``seen[name]`` is the array the student's code produced, None
    when it produced None; raises StudentRaised when it raised or produced something else, and
    KeyError when the record lacks the value (a malformed record). "layer" holds what building
    the student's layer raised, when it did."""

    def __init__(self, values):
        self.values = {name: records.decode(value) for name, value in values.items()}

    def __getitem__(self, name):
        if name not in self.values and "layer" in self.values:
            name = "layer"  # the case stopped where the student's class could not be built
        value = self.values[name]
        if isinstance(value, records.Raised):
            raise StudentRaised(value.report, value.kind == "NotImplementedError")
        if isinstance(value, records.Missing):
            if value.kind == "NoneType":
                return None
            raise StudentRaised(value.describe(name))
        return value

    def not_implemented(self):
        """The message of a NotImplementedError the student's code raised in this case, or None."""
        raised = [value for value in self.values.values()
                  if isinstance(value, records.Raised) and value.kind == "NotImplementedError"]
        return raised[0].message if raised else None


@dataclass
class Verdict:
    """A judged task: passed, the lines the feedback shows, the rows as data, the failure message."""

    label: str
    passed: bool
    lines: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    message: str = ""


def collect(label, outputs):
    """({case: [values, ...]}, whether a malformed record was among ``outputs``) for task ``label``."""
    found, malformed = {}, False
    for output in outputs:
        try:
            record = records.read(output)
        except records.Malformed:
            malformed = True
            continue
        if record and record[0] == label:
            for case, values in record[1].items():
                found.setdefault(case, []).append(values)
    return found, malformed


def judge_task(label, outputs, spec):
    """The Verdict of task ``label`` from a cell's ``outputs`` (see the module docstring)."""
    check = Checks(f"{label} (graded)", hidden=True, write=None)
    found, malformed = collect(label, outputs)
    if malformed:
        check.true("records", False, "a malformed record among this cell's outputs")
    for case, *inputs in spec.cases():
        copies = found.get(case, [])
        if len(copies) != 1:
            check.true(f"case {case}", False, "no record of it: the cell stopped before it ran"
                       if not copies else f"recorded {len(copies)} times")
            continue
        try:
            seen = Seen(copies[0])
        except records.Malformed as err:
            check.true(f"case {case}", False, f"a malformed record ({err})")
            continue
        todo = seen.not_implemented()
        if todo is not None:
            message = f"not implemented yet: {todo or label}"
            return Verdict(label, False, [f"{label} (graded):", f"  {message}"], check.rows, message)
        try:
            spec.judge_case(check, case, *inputs, seen=seen)
        except StudentRaised as err:
            check.true(f"case {case}", False, err.report)
        except KeyError as err:
            check.true(f"case {case}", False, f"a malformed record (no value {err})")
    check.settle()
    lines = check.lines()
    passed = not check.failures
    if passed:
        lines.append(f"  all checks of {label} (graded) passed")
        message = ""
    else:
        named = ", ".join(check.failures[:SHOWN]) + (f" and {len(check.failures) - SHOWN} more"
                                                      if len(check.failures) > SHOWN else "")
        message = f"{label} (graded): {len(check.failures)} check(s) failed: {named}"
    return Verdict(label, passed, [f"{label} (graded):", *lines], check.rows, message)
