"""The lessons' visible checks: short, honest reports instead of walls of traceback.

    with task("Lesson 2, task 1") as check:
        check.close("out", layer.forward(x), expected_out, bar=1e-9)
        check.gradients(check_layer(layer, x))

shows one row per check when the task ends (the relative error next to the bar it must meet; a
failed one also names the misconception it shows, see ``check_rows``), as text and as data for
``backprop-course check`` and the report, and, when a check fails, raises ``CheckFailed`` once at
the end, so nbgrader marks the cell failed. A task whose stub still
raises NotImplementedError ends with the one line "not implemented yet: Lesson 2, task 1:
implement Linear.forward". In Jupyter both errors show as that one line (IPython's
``_render_traceback_`` hook), and the notebooks tag their check cells "raises-exception" so that
Run All goes on past them.
"""

import linecache
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import check_rows
from .gradcheck import rel_error
from .reveal import reveal
from .task_regions import GIVEN_LINES


class CheckFailed(AssertionError):
    """A visible check did not hold; shown in Jupyter as its message alone."""

    def _render_traceback_(self):
        return [f"check failed: {self}"]


class NotImplementedYet(AssertionError):
    """A task's stub still raises NotImplementedError; shown as "not implemented yet: <task>"."""

    def _render_traceback_(self):
        return [f"not implemented yet: {self}"]


class Checks:
    """Collects the rows of one task's checks; see ``task``.

    A failed ``close`` or ``chain`` also names the misconception its result shows, or the
    structure of the error (``check_rows``), and shows got and expected when they are small. A
    hidden Checks, or a hidden row, never prints the values it compares. ``write`` takes each
    line (``print`` in a kernel; the grader's judge collects them), and ``rows`` keeps each row as
    data (``check_rows.Row``).
    """

    def __init__(self, label, hidden=False, write=print):
        self.label = label
        self.hidden = hidden
        self.write = write
        self.failures = []
        self.rows = []
        self.values = {}  # row index -> the got/expected line under it
        # each failed comparison, for naming across inputs: (row index, quantity, got, expected, inputs, bar)
        self.compared = []

    def _row(self, name, ok, detail, finding=None, values=""):
        row = check_rows.row_of(ok, name, detail, finding)
        if self.write is not None:
            self.write(check_rows.format_row(ok, name, detail, finding))
        self.rows.append(row)
        if not ok:
            if values:
                self.values[len(self.rows) - 1] = values
                if self.write is not None:
                    self.write(values)
            self.failures.append(name)
        return ok

    def settle(self):
        """Settle the findings across the task's rows before they are shown (issue 18).

        Name only what reproduces: a quantity that failed on several inputs with the same names
        (one check on a judge's cases, or on a visible check's examples) gets one finding from
        all of them at once (``misconceptions.name_across``): a misconception whose formula
        reproduces every wrong result, a pattern every wrong result shows, else none. Then one
        row per mistake: once a row names a misconception, the other rows keep their verdicts but
        lose a structural diagnosis, which would only blur the name."""
        groups = {}
        for index, quantity, got, expected, inputs, bar in self.compared:
            groups.setdefault((quantity, frozenset(inputs)), []).append((index, got, expected, inputs, bar))
        for (quantity, _), items in groups.items():
            if len(items) > 1:
                finding = check_rows.find_across(self.label, quantity, [item[1:4] for item in items],
                                               max(item[4] for item in items))
                for index, *_ in items:
                    self.rows[index] = check_rows.with_finding(self.rows[index], finding)
        self.rows = check_rows.one_name_per_task(self.rows)

    def lines(self):
        """The rows as the student reads them, with the got/expected line under a failed row."""
        shown = []
        for index, row in enumerate(self.rows):
            shown.append(check_rows.format_data_row(row))
            if index in self.values:
                shown.append(self.values[index])
        return shown

    def _explain(self, name, quantity, got, expected, bar, inputs, hidden):
        """(finding, the got/expected line or "") for a failed comparison."""
        finding = check_rows.find(self.label, quantity or check_rows.quantity_of(self.label, name),
                                got, expected, bar, inputs)
        hides = self.hidden or hidden or check_rows.is_hidden(name)
        return finding, "" if hides else check_rows.values_line(got, expected)

    def close(self, name, got, expected, bar=1e-7, *, inputs=None, quantity=None, hidden=False):
        """got and expected agree: same shape and rel_error(got, expected) <= bar.

        A failure is explained from ``inputs``, what the checked code was given, by the names the
        misconception catalogue uses (e.g. {"x": x, "grad_out": grad_out}); ``quantity`` is the
        catalogued quantity (default: the one ``name`` starts with). hidden: print no values (so
        too in a hidden task and for names starting "hidden:").
        """
        err, problem = compare(got, expected)
        ok = problem is None and err <= bar
        detail = problem or f"rel error {err:.1e}  (bar {bar:.0e})"
        if ok:
            return self._row(name, True, detail)
        self._compared(quantity or check_rows.quantity_of(self.label, name), got, expected, inputs, bar)
        return self._row(name, False, detail, *self._explain(name, quantity, got, expected, bar, inputs, hidden))

    def _compared(self, quantity, got, expected, inputs, bar):
        """Keep the failed comparison the next row shows, with the inputs it was given, for ``settle``."""
        if got is not None:
            self.compared.append((len(self.rows), quantity, got, expected, inputs or {}, bar))

    def gradients(self, result, name="gradient check"):
        """A GradCheckResult passed; each checked tensor gets its own row."""
        ok = True
        for tensor, err in result.errors.items():
            kinks = result.kinks.get(tensor, 0)
            note = f", {kinks} at a kink left out" if kinks else ""
            ok &= self._row(f"{name}: d/d{tensor}", err <= result.bar,
                            f"rel error {err:.1e}  (bar {result.bar:.0e}{note})")
        return ok

    def true(self, name, condition, why, finding=None):
        """A yes/no property, e.g. "x unchanged"; ``why`` explains a failure, and ``finding``
        (a ``misconceptions.Finding``) names what it shows, e.g. a whole pass's first wrong stage
        and the catalogued mistake behind it."""
        return self._row(name, bool(condition), "" if condition else why, finding)

    def chain(self, stages, bar=1e-7, name=None, *, inputs=None, hidden=False):
        """Values that flow through stages in order [(name, got, expected)]: name the first wrong one.

        For a backward pass list the stages from the loss down; the diagnosis then reads
        "dL/dW of layer 2 is wrong; the gradient arriving from layer 3 is right", and goes on with
        the misconception the first wrong stage shows (its name is its quantity). ``inputs`` and
        ``hidden`` as for ``close``.
        """
        name = name or f"{len(stages)} stages"
        wrong = first_wrong(stages, bar)
        if wrong is None:
            return self._row(name, True, "")
        index, message = wrong
        stage, got, expected = stages[index][:3]
        quantity = check_rows.quantity_of(self.label, stage)
        self._compared(quantity, got, expected, inputs, bar)
        return self._row(name, False, message, *self._explain(name, quantity, got, expected, bar, inputs, hidden))


def compare(got, expected):
    """(relative error, None) for two arrays of numbers of one shape with got finite, else
    (None, what is wrong with got)."""
    if got is None:
        return None, "is missing (still None)"
    if hasattr(type(got), "missing"):  # network.LayerNotCalled, NoneReturned: never an internal name
        return None, type(got).missing
    try:
        # float64 coercion first: an object that claims equality with everything fails here.
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"is a {type(got).__name__}, not a number or an array of numbers"
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return None, f"has shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return None, "contains inf or nan"
    return rel_error(got, expected), None


def first_wrong(stages, bar=1e-7):
    """(index, one-line message) of the first stage that disagrees (see ``diagnose``), or None."""
    for i, (name, got, expected, *inflow) in enumerate(stages):
        err, what = compare(got, expected)
        if what is None and err <= bar:
            continue
        what = what or f"is wrong (rel error {err:.1e})"
        source = inflow[0] if inflow else (stages[i - 1][0] if i else None)
        if not source:
            return i, f"{name} {what}"
        verb = "are" if " and " in source else "is"
        return i, f"{name} {what}; {source}, which flowed into it, {verb} right"
    return None


def diagnose(stages, bar=1e-7):
    """The first of [(name, got, expected)] that disagrees, and whether what flowed into it agreed.

    What flowed into a stage is the stage before it, unless the stage names it as a fourth item,
    (name, got, expected, inflow), e.g. for a graph node fed by several others ("dL/da3 and dL/da4").
    List stages in the order values are computed, so that every inflow comes earlier.
    Returns None when every stage agrees, else a one-line message.
    """
    wrong = first_wrong(stages, bar)
    return wrong and wrong[1]


MACHINERY = Path(__file__).resolve().parent
INSTALLED = tuple(str(Path(prefix).resolve()) for prefix in {sys.prefix, sys.base_prefix})


def _owner(filename):
    """Who wrote the code of a traceback frame: "course" (this package), None (numpy, Python and
    other installed packages) or "student" (the student's library and the notebook's own cells)."""
    path = Path(filename).resolve()
    if MACHINERY in path.parents:
        return "course"
    return None if str(path).startswith(INSTALLED) else "student"


def _students_line(frame):
    """Whether a traceback frame (filename, line, qualified name) is a line the student wrote: in a
    task function of ``backprop_lib/`` (``task_regions``) and none of the lines given around its
    region. Python 3.10 has no qualified names: there the function's own name decides."""
    filename, lineno, qualname = frame
    functions = GIVEN_LINES.get(Path(filename).name) if Path(filename).parent.name == "backprop_lib" else None
    if not functions:
        return False
    given = [lines for name, lines in functions.items() if name == qualname or
             ("." not in qualname and name.rsplit(".", 1)[-1] == qualname)]
    line = linecache.getline(filename, lineno).strip()
    return bool(given) and all(line not in lines for lines in given)


def crash_report(err):
    """One line on an exception raised inside a check: "your code raised ..." at the deepest line
    the student wrote (in a task region of ``backprop_lib/``; the given function that complained is
    named after it), else at the innermost frame in our code (numpy's own frames skipped) when it is
    the student's; otherwise a check problem naming the course file and line that raised it, and
    the student's last line on the way there."""
    frames, tb = [], err.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        frames.append(((code.co_filename, tb.tb_lineno, getattr(code, "co_qualname", code.co_name)),
                       _owner(code.co_filename)))
        tb = tb.tb_next
    ours = [(frame, owner) for frame, owner in frames if owner]
    (filename, lineno, qualname), owner = ours[-1] if ours else frames[-1]
    what = f"{type(err).__name__}: {err}"
    written = [frame for frame, who in ours if who == "student" and _students_line(frame)]
    if owner == "student":
        if written and written[-1] != (filename, lineno, qualname) and Path(filename).parent.name == "backprop_lib":
            mine = written[-1]
            return (f"your code raised {what} (at {Path(mine[0]).name}, line {mine[1]}, in {mine[2]}; "
                    f"the given {qualname} complained, {Path(filename).name} line {lineno})")
        return f"your code raised {what} (at {Path(filename).name}, line {lineno})"
    students = written or [frame for frame, who in ours
                           if who == "student" and Path(frame[0]).parent.name == "backprop_lib"]
    last = students[-1] if students else None
    via = f"; your code's last line on the way: {Path(last[0]).name}, line {last[1]}" if last else ""
    return (f"the check itself stopped with {what} (in the course's {Path(filename).name}, "
            f"line {lineno}{via})")


@contextmanager
def task(label, hidden=False):
    """Run one task's checks: report each, then fail once with a one-line reason.

    hidden: the task is a hidden test's, whose rows never print the values they compare (say so
    here: the label's wording decides nothing). The rows are shown when the task ends, once
    ``Checks.settle`` has kept one explanation per mistake, as text and as data
    (``check_rows.show_rows``).
    """
    check = Checks(label, hidden, write=None)
    passed = False
    try:
        try:
            yield check
        except NotImplementedError as err:
            raise NotImplementedYet(str(err) or label) from None
        except (CheckFailed, NotImplementedYet):
            raise
        except Exception as err:
            raise CheckFailed(f"{label}: {crash_report(err)}") from None
        if check.failures:
            raise CheckFailed(f"{label}: {len(check.failures)} check(s) failed: {', '.join(check.failures)}")
        passed = True
    finally:  # also when the cell is interrupted: the rows so far are shown
        check.settle()
        check_rows.show_rows(label, passed, check.rows, [f"{label}:", *check.lines()]
                           + ([f"  all checks of {label} passed"] if passed else []))
    if not check.hidden:
        reveal(label)
