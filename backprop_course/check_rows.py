"""What a failed check says beyond its relative error, and the row format that carries it.

A WRONG row of ``checks.Checks`` ends with the finding of ``misconceptions.name_misconception``
after a fixed separator:

      WRONG  dL/db                         rel error 3.3e-01  (bar 1e-12) — misconception db-mean: dL/db equals ...
      WRONG  dL/dW                         rel error 3.3e-01  (bar 1e-12) — diagnosis factor: dL/dW is exactly 1/2 ...
             got [1.5, -2], expected [3, -4]

"misconception KEY" names a catalogued wrong implementation, "diagnosis KEY" a structural
pattern (``misconceptions.structural``). The second line, got and expected, appears only when
both are at most ``SMALL`` numbers and the row is not hidden (``checks.task(label, hidden=True)``
or a name starting "hidden:"; a label's wording decides nothing): a hidden row never prints an
input, an expected value or a result, while the finding (a catalogue sentence or a pattern such
as a factor or wrong rows) reveals none of them.

The text is for the student only. What reads rows (``backprop-course check``, the report's
misconceptions.csv) reads them as data: a task's rows travel in a display_data output with
``ROWS_MIME`` beside the text (``show_rows``; the grader's judge writes the same for a judged
task), never parsed back from printed lines.
"""

import re
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .misconceptions import entries_for, name_across, name_misconception

STATUS_WIDTH = 5          # "ok   " and "WRONG"
NAME_WIDTH = 28           # names are padded to this, and always followed by two spaces
SEPARATOR = " — "         # between a row's detail and its finding
SMALL = 6                 # got and expected of at most this many numbers are shown
HIDDEN_PREFIX = "hidden:"  # rows named "hidden: ..." belong to hidden tests
# A task's rows as data (``show_rows`` in a kernel, the grader's judge for a judged task):
# {"task": label, "passed": bool, "rows": [Row fields]}; check and the report read rows from there.
ROWS_MIME = "application/vnd.backprop-course.rows+json"

@dataclass(frozen=True)
class Row:
    """One check's row as data; kind ("misconception" or "diagnosis"), key and message are "" without a finding."""

    ok: bool
    name: str
    detail: str
    kind: str
    key: str
    message: str


FIELDS = [field.name for field in fields(Row)]


def format_row(ok, name, detail, finding=None):
    """One check row; a finding is added only to a WRONG row (never a message on a correct result)."""
    return format_data_row(row_of(ok, name, detail, finding))


def format_data_row(row):
    """The line of a Row as the student reads it."""
    status = "ok   " if row.ok else "WRONG"
    text = f"  {status}  {row.name:<{NAME_WIDTH}}  {row.detail}".rstrip()
    if row.kind:
        text += f"{SEPARATOR}{row.kind} {row.key}: {row.message}"
    return text


def row_of(ok, name, detail, finding=None):
    """The Row ``format_row`` prints, as data (a finding only on a WRONG row)."""
    kind = "" if finding is None or ok else ("misconception" if finding.kind == "misconception" else "diagnosis")
    return Row(ok, name, detail, kind, finding.key if kind else "", finding.message if kind else "")


def with_finding(row, finding):
    """A WRONG ``row`` carrying ``finding`` (None: no finding) in place of its own."""
    return row_of(row.ok, row.name, row.detail, finding)


def one_name_per_task(rows):
    """``rows`` with no structural diagnosis beside a named misconception (issue 18): once one
    row of a task names what went wrong, a pattern on another row (a factor, wrong rows) is the
    same mistake seen again, and a second, vaguer explanation only blurs the name."""
    if not any(row.kind == "misconception" for row in rows):
        return list(rows)
    return [replace(row, kind="", key="", message="") if row.kind == "diagnosis" else row for row in rows]


def rows_data(task, passed, rows):
    """The body of a ``ROWS_MIME`` output: {"task", "passed", "rows": [Row fields]}."""
    return {"task": task, "passed": bool(passed), "rows": [asdict(row) for row in rows]}


def show_rows(task, passed, rows, lines):
    """A task's rows for the student and as data: in a kernel one display_data output whose
    text/plain is ``lines`` and whose ``ROWS_MIME`` is the rows (``check`` and the report read
    that, never the text); outside a kernel (a console, a test) the lines are printed."""
    from IPython import get_ipython

    text = "\n".join(lines)
    if get_ipython() is None:
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text, ROWS_MIME: rows_data(task, passed, rows)}, raw=True)


def rows_of(output):
    """[(task, passed, [Row])] of an output holding ``ROWS_MIME`` (one entry), [] for any other
    output or a body that is not rows (a student's code may display anything)."""
    body = output.get("data", {}).get(ROWS_MIME) if output.get("output_type") == "display_data" else None
    try:
        rows = [Row(**{field: (bool(row[field]) if field == "ok" else str(row[field])) for field in FIELDS})
                for row in body["rows"]]
        return [(str(body["task"]), bool(body["passed"]), rows)]
    except (TypeError, KeyError, AttributeError):
        return []


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


def find_across(task, quantity, results, bar):
    """The Finding for one check run on several inputs ``[(got, expected, inputs)]``
    (``misconceptions.name_across``), or None, also when diagnosis itself fails."""
    try:
        return name_across(task, quantity, results, bar=bar)
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
