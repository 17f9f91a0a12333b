"""What a failed check says beyond its relative error, and the row format that carries it.

A WRONG row of ``checks.Checks`` ends with the finding of ``misconceptions.name_misconception``
after a fixed separator, so that the report can count it in autograded notebooks:

      WRONG  dL/db                         rel error 3.3e-01  (bar 1e-12) — misconception db-mean: dL/db equals ...
      WRONG  dL/dW                         rel error 3.3e-01  (bar 1e-12) — diagnosis factor: dL/dW is exactly 1/2 ...
             got [1.5, -2], expected [3, -4]

"misconception KEY" names a catalogued wrong implementation, "diagnosis KEY" a structural
pattern (``misconceptions.structural``). The second line, got and expected, appears only when
both are at most ``SMALL`` numbers and the row is not hidden (``checks.task``: a "(graded)"
task, ``hidden=True``, or a name starting "hidden:"): a hidden row never prints an
input, an expected value or a result, while the finding (a catalogue sentence or a pattern such
as a factor or wrong rows) reveals none of them. ``parse_row`` reads a WRONG row back.
"""

import re
from dataclasses import dataclass

import numpy as np

from .misconceptions import entries_for, name_misconception

STATUS_WIDTH = 5          # "ok   " and "WRONG"
NAME_WIDTH = 28           # names are padded to this, and always followed by two spaces
SEPARATOR = " — "         # between a row's detail and its finding
SMALL = 6                 # got and expected of at most this many numbers are shown
HIDDEN_PREFIX = "hidden:"  # rows named "hidden: ..." belong to hidden tests
# The rows of a judged task as data, in the output the grader's judge writes (backprop_course.autograder.judge):
# {"task": label, "passed": bool, "rows": [Row fields]}; the report reads rows from there.
ROWS_MIME = "application/vnd.backprop-course.rows+json"

ROW = re.compile(r"^  (?P<status>ok   |WRONG)  (?P<name>.+?)(?: {2,}(?P<detail>.*?))?"
                 rf"(?:{SEPARATOR}(?P<kind>misconception|diagnosis) (?P<key>[\w-]+): (?P<message>.*))?$")


@dataclass(frozen=True)
class Row:
    """A check row read back from a notebook's output; kind, key and message are "" without a finding."""

    ok: bool
    name: str
    detail: str
    kind: str
    key: str
    message: str


def format_row(ok, name, detail, finding=None):
    """One check row; a finding is added only to a WRONG row (never a message on a correct result)."""
    status = "ok   " if ok else "WRONG"
    text = f"  {status}  {name:<{NAME_WIDTH}}  {detail}".rstrip()
    if finding is not None and not ok:
        kind = "misconception" if finding.kind == "misconception" else "diagnosis"
        text += f"{SEPARATOR}{kind} {finding.key}: {finding.message}"
    return text


def row_of(ok, name, detail, finding=None):
    """The Row ``format_row`` prints, as data (a finding only on a WRONG row)."""
    kind = "" if finding is None or ok else ("misconception" if finding.kind == "misconception" else "diagnosis")
    return Row(ok, name, detail, kind, finding.key if kind else "", finding.message if kind else "")


def rows_of(output):
    """The Rows of an output holding ``ROWS_MIME``, or None for any other output."""
    body = output.get("data", {}).get(ROWS_MIME) if output.get("output_type") == "display_data" else None
    if not isinstance(body, dict):
        return None
    return [Row(**row) for row in body.get("rows", [])]


def parse_row(line):
    """The Row of a line printed by ``format_row``, or None for any other line."""
    match = ROW.match(line.rstrip("\n"))
    if not match:
        return None
    return Row(match["status"] == "ok   ", match["name"].strip(), (match["detail"] or "").strip(),
               match["kind"] or "", match["key"] or "", match["message"] or "")


def quantity_of(task, name):
    """The catalogued quantity a check's name starts with ("dL/dW after a second call" -> "dL/dW",
    "hidden: dL/dscores, (6,) float64" -> "dL/dscores"), the longest one; else the name itself."""
    bare = re.sub(rf"^{HIDDEN_PREFIX}\s*", "", name)
    known = sorted({entry.quantity for entry in entries_for(task)}, key=len, reverse=True)
    for quantity in known:
        if bare == quantity or (bare.startswith(quantity) and not re.match(r"[\w*/]", bare[len(quantity)])):
            return quantity
    return bare


def find(task, quantity, got, expected, bar, inputs=None):
    """The Finding for a failed check, or None (also when diagnosis itself fails: a check's
    verdict must never depend on its explanation)."""
    try:
        return name_misconception(task, quantity, got, expected, inputs=inputs, bar=bar)
    except Exception:  # a student's object may raise anything when read as numbers
        return None


def values_line(got, expected):
    """ "got [...], expected [...]" indented under the row when both are small arrays of numbers, else ""."""
    if got is None:
        return ""
    try:
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    except Exception:  # not numbers: the row's detail already says what got is
        return ""
    if got.size > SMALL or expected.size > SMALL:
        return ""
    return f"{' ' * (4 + STATUS_WIDTH)}got {show(got)}, expected {show(expected)}"


def show(values):
    """Numbers to 6 significant digits, on one line ("[[1, 2], [3, 4]]")."""
    text = np.array2string(values, separator=", ", max_line_width=10**6,
                           formatter={"float_kind": lambda v: f"{v:.6g}"})
    return text.replace("\n", "")


def is_hidden(name):
    """Whether a row's name marks it as a hidden test's ("hidden: ...")."""
    return name.strip().lower().startswith(HIDDEN_PREFIX)
