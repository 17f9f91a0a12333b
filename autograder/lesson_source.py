"""A lesson's text source -> its nbgrader source notebook.

Each lesson is one text file, ``solutions/lessons/NN_name.py``, in jupytext's percent format: it
reads top to bottom like the notebook it becomes. A cell's header line says what the cell is::

    # %% [markdown] id="forward-md"                    a locked explanation
    # %% id="setup"                                    a locked code cell students run
    # %% id="task1-check" role="tests" points=2        a graded test cell (visible checks, then
                                                       ### BEGIN/END HIDDEN TESTS)
    # %% id="sgd" role="solution"                      an editable cell with a solution region
    # %% [markdown] id="why-sum" role="answer" points=1   a written answer graded by hand
    # %% role="build"                                  run at build time only, never in the notebook

``build`` cells run first, in order, in one namespace with the reference library importable as
``backprop_lib`` (and numpy as ``np``). Every ``{{ expression }}`` in any other cell is then
replaced by the expression's value from that namespace: numbers and arrays as Python literals
rounded to ``SIGNIFICANT_DIGITS`` (so the text does not depend on the CPU's last bit), text as it
is. ``points`` ({grade_id: points}) and ``total_points`` are always there, so a points table is
never typed by hand. Every cell needs a stable ``id`` (nbgrader's ``grade_id`` too).
"""

import contextlib
import re
import sys
from pathlib import Path

import nbformat

ROLES = {None, "tests", "solution", "answer", "build"}
PLACEHOLDER = re.compile(r"\{\{(.+?)\}\}")
SCHEMA = 3
# Header keys jupytext writes for its own layout (blank lines kept after a cell).
JUPYTEXT_KEYS = ("lines_to_next_cell", "cell_marker")
# Far below every check's bar (>= 1e-10 relative), far above the last bit (2e-16) that differs
# between CPUs: a value moves across a rounding boundary only when it lies within 1 ulp of one.
SIGNIFICANT_DIGITS = 12
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}


class LessonSourceError(Exception):
    """A lesson source that cannot become a notebook; the message starts with file:line."""


def significant(x):
    """A float rounded to SIGNIFICANT_DIGITS."""
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def literal(value):
    """Python source for a number or array, rounded to SIGNIFICANT_DIGITS, e.g.
    ``np.array([[0.5, 2.16475572947]], dtype=np.float64)``; text and booleans as they are."""
    import numpy as np

    if isinstance(value, str):
        return value
    array = np.asarray(value)
    if array.dtype.kind == "f":
        rounded = np.vectorize(lambda x: significant(x), otypes=[float])(array)
        array = rounded.astype(array.dtype) if array.ndim else rounded
    if array.ndim == 0:
        return repr(array.item())
    return f"np.array({array.tolist()!r}, dtype=np.{array.dtype})"


def _header_lines(text):
    """The line number of each cell's ``# %%`` header, in order."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if line.startswith("# %%")]


def _nbgrader(grade_id, role, points):
    meta = {"grade": role in ("tests", "answer"), "grade_id": grade_id,
            "locked": role in (None, "tests"), "schema_version": SCHEMA,
            "solution": role in ("solution", "answer"), "task": False}
    if points is not None:
        meta["points"] = points
    return meta


@contextlib.contextmanager
def reference_library(solutions):
    """``import backprop_lib`` gives the reference in ``solutions/`` inside this block only; any
    ``backprop_lib`` imported before (a student's) is put back afterwards."""
    def take():
        return {name: sys.modules.pop(name) for name in list(sys.modules)
                if name.split(".")[0] == "backprop_lib"}

    before = take()
    sys.path.insert(0, str(solutions))
    try:
        yield
    finally:
        sys.path.remove(str(solutions))
        take()
        sys.modules.update(before)


def _run_build_cells(cells, path, solutions):
    import numpy as np

    namespace = {"np": np}
    with reference_library(solutions):
        for line, cell in cells:
            try:
                exec(compile(cell.source, f"{path}:{line}", "exec"), namespace)
            except Exception as err:
                raise LessonSourceError(f"{path}:{line}: the build cell raised "
                                        f"{type(err).__name__}: {err}") from None
    return namespace


def _render(source, namespace, where):
    def value(match):
        try:
            return literal(eval(match[1], namespace))
        except Exception as err:
            raise LessonSourceError(f"{where}: {{{{{match[1]}}}}} cannot be computed: "
                                    f"{type(err).__name__}: {err}") from None

    return PLACEHOLDER.sub(value, source)


def read_lesson(path, solutions=None):
    """The nbgrader source notebook of the lesson text at ``path`` (an nbformat NotebookNode)."""
    try:
        import jupytext
    except ModuleNotFoundError:
        raise LessonSourceError(f"{path}: reading lesson sources needs jupytext, a development "
                                "dependency: pip install -e '.[dev]'") from None

    path = Path(path)
    solutions = Path(solutions) if solutions else path.resolve().parent.parent
    text = path.read_text()
    parsed = jupytext.reads(text, fmt="py:percent")
    lines = _header_lines(text)
    if len(lines) != len(parsed.cells):
        raise LessonSourceError(f"{path}:1: text before the first '# %%' cell header")
    build, cells, seen, points = [], [], set(), {}
    for line, cell in zip(lines, parsed.cells):
        for key in JUPYTEXT_KEYS:
            cell.metadata.pop(key, None)
        role = cell.metadata.pop("role", None)
        if role not in ROLES:
            raise LessonSourceError(f"{path}:{line}: unknown role {role!r}: use one of "
                                    f"{', '.join(sorted(r for r in ROLES if r))} or none")
        if role == "build":
            build.append((line, cell))
            continue
        cell_id = cell.metadata.pop("id", None)
        if not cell_id or cell_id in seen:
            raise LessonSourceError(f"{path}:{line}: every cell needs its own id=\"...\" "
                                    f"({'repeated' if cell_id else 'missing'})")
        seen.add(cell_id)
        if cell.metadata.get("points") is not None:
            points[cell_id] = cell.metadata["points"]
        cells.append((line, cell_id, role, cell))
    namespace = _run_build_cells(build, path, solutions)
    namespace.update(points=points, total_points=sum(points.values()))
    notebook = nbformat.v4.new_notebook()
    for line, cell_id, role, cell in cells:
        source = _render(cell.source, namespace, f"{path}:{line}")
        make = nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell
        new = make(source, id=cell_id)
        new.metadata["nbgrader"] = _nbgrader(cell_id, role, cell.metadata.pop("points", None))
        tags = list(cell.metadata.pop("tags", []))
        if role == "tests" and "raises-exception" not in tags:
            # JupyterLab's Run All goes on past a failing check.
            tags.append("raises-exception")
        if tags:
            new.metadata["tags"] = tags
        if cell.metadata:
            raise LessonSourceError(f"{path}:{line}: unknown header keys {sorted(cell.metadata)}: "
                                    "a header holds id, role, points and tags")
        notebook.cells.append(new)
    notebook.metadata.update(kernelspec=dict(KERNELSPEC), language_info=dict(LANGUAGE_INFO))
    return notebook
