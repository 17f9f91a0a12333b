"""Small helpers for writing nbgrader source notebooks from Python authoring scripts.

Each ``solutions/authoring/lesson_NN.py`` builds its notebook from these cell constructors and
writes ``solutions/NN_name.ipynb``; values the hidden tests compare against are computed with the
reference library at authoring time and embedded as literals (``literal``), so the grading kernel
never imports the reference. Every cell gets a stable id, so rebuilding gives identical bytes.
"""

from pathlib import Path

import nbformat

SCHEMA = 3
# solutions/, which holds the reference library and the source notebooks.
SOLUTIONS = Path(__file__).resolve().parent.parent


def _nbgrader(cell_id, *, grade=False, solution=False, locked=False, points=None, task=False):
    meta = {"grade": grade, "grade_id": cell_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": task}
    if points is not None:
        meta["points"] = points
    return meta


def markdown(cell_id, source):
    """A locked explanation cell."""
    cell = nbformat.v4.new_markdown_cell(source.strip("\n"), id=cell_id)
    cell.metadata["nbgrader"] = _nbgrader(cell_id, locked=True)
    return cell


def code(cell_id, source, tags=()):
    """A locked code cell that students run but do not edit (imports, plots, demos)."""
    cell = nbformat.v4.new_code_cell(source.strip("\n"), id=cell_id)
    cell.metadata["nbgrader"] = _nbgrader(cell_id, locked=True)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def solution(cell_id, source):
    """An editable code cell whose ### BEGIN/END SOLUTION region students fill in (ungraded itself)."""
    cell = nbformat.v4.new_code_cell(source.strip("\n"), id=cell_id)
    cell.metadata["nbgrader"] = _nbgrader(cell_id, solution=True)
    return cell


def tests(cell_id, source, points):
    """A graded, locked test cell: visible checks, then ### BEGIN/END HIDDEN TESTS.

    Tagged "raises-exception" so that JupyterLab's Run All goes on past a failing check.
    """
    cell = nbformat.v4.new_code_cell(source.strip("\n"), id=cell_id)
    cell.metadata["nbgrader"] = _nbgrader(cell_id, grade=True, locked=True, points=points)
    cell.metadata["tags"] = ["raises-exception"]
    return cell


def written_answer(cell_id, source, points):
    """A markdown answer graded by hand; ``source`` holds the model answer inside a solution region."""
    cell = nbformat.v4.new_markdown_cell(source.strip("\n"), id=cell_id)
    cell.metadata["nbgrader"] = _nbgrader(cell_id, grade=True, solution=True, points=points)
    return cell


# Every float a notebook embeds is rounded to this many significant digits: CPUs differ in the
# last bit (one gave 2.1647557294733026, another 2.164755729473302 for the same Linear forward),
# and 12 digits drop that noise. Rounding moves a value by at most 5e-12 of itself, which is a
# relative error (checks.rel_error) of at most 2.5e-12: every bar that compares with an embedded
# value is 1e-10 or looser, 40 times that.
SIGNIFICANT_DIGITS = 12


def significant(number, digits=SIGNIFICANT_DIGITS):
    """The text of ``number`` rounded to ``digits`` significant digits, e.g. "2.16475572947"."""
    return f"{number:.{digits}g}"


def _rounded_floats(array):
    """The floats of ``array`` rounded to SIGNIFICANT_DIGITS, as Python floats in its shape."""
    import numpy as np

    numbers = [float(significant(v)) for v in array.astype(np.float64).ravel().tolist()]
    return np.array(numbers, dtype=object).reshape(array.shape)


def literal(value):
    """Python source for a number or array whose floats are rounded to SIGNIFICANT_DIGITS
    significant digits (the shortest repr of the rounded float): the same text on every CPU.

    A float32 array prints through float64: 12 digits are far finer than float32's spacing, so
    the literal, cast back with dtype=np.float32, holds the float32 values themselves.
    """
    import numpy as np

    array = np.asarray(value)
    items = _rounded_floats(array) if array.dtype.kind == "f" else array
    if array.ndim == 0:
        return repr(items.item())
    return f"np.array({items.tolist()!r}, dtype=np.{array.dtype})"


def write(path, cells):
    """Write a notebook with the Python 3 kernel metadata nbgrader and JupyterLab expect."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    with open(path, "w") as handle:
        nbformat.write(nb, handle)


def main(name, cells):
    """Write ``solutions/<name>.ipynb``, where solutions/ is this file's parent's parent.

    ``nbauthor.main("NN_name", cells())`` ends an authoring script; the drift test runs the
    scripts in a copy of solutions/ and compares the notebooks, numbers up to rounding noise."""
    write(SOLUTIONS / f"{name}.ipynb", cells)


# ---- appended for lessons 4-6 --------------------------------------------------------------------

def tagged(cell, *tags):
    """``cell`` with extra cell tags, e.g. a demo cell tagged "raises-exception" so Run All goes on."""
    cell.metadata["tags"] = list(dict.fromkeys([*cell.metadata.get("tags", []), *tags]))
    return cell


def points_table(cell_id, cells, rows, intro=""):
    """A markdown table of points per task, summed from the graded cells so it cannot drift.

    rows: [(label, grade_id prefix)]; a graded cell counts toward the first row whose prefix its
    grade_id starts with. Raises ValueError when a graded cell matches no row.
    """
    totals = {label: 0 for label, _ in rows}
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        label = next((label for label, prefix in rows if meta["grade_id"].startswith(prefix)), None)
        if label is None:
            raise ValueError(f"graded cell {meta['grade_id']!r} matches no row of the points table")
        totals[label] += meta["points"]
    lines = ["| part | points |", "|---|---:|"]
    lines += [f"| {label} | {points:g} |" for label, points in totals.items()]
    lines.append(f"| **total** | **{sum(totals.values()):g}** |")
    return markdown(cell_id, (intro + "\n\n" if intro else "") + "\n".join(lines))


def short_literal(value, digits=SIGNIFICANT_DIGITS):
    """Python source for a number or float64 array rounded to ``digits`` significant digits.

    For expected values shown in visible checks: short enough to read, exact enough for bars
    down to 1e-10 (see SIGNIFICANT_DIGITS).
    """
    import numpy as np

    array = np.asarray(value, dtype=np.float64)
    text = np.array2string(array, separator=", ", max_line_width=10**6, threshold=10**6,
                           formatter={"float_kind": lambda v: significant(v, digits)}).replace("\n", "")
    return text if array.ndim == 0 else f"np.array({text})"


def run_snippet(source, namespace):
    """exec ``source`` (a snippet also pasted into the notebook) in ``namespace`` and return it.

    Authoring scripts run the very text a hidden test runs, so the seeded inputs they compute
    expected values from are the inputs the test makes.
    """
    exec(compile(source, "<snippet>", "exec"), namespace)
    return namespace


def reference_library():
    """Import the REFERENCE backprop_lib from solutions/ (not the installed student skeleton).

    Authoring scripts compute the values hidden tests embed with it; raises RuntimeError when
    another backprop_lib was imported first.
    """
    import importlib
    import sys
    from pathlib import Path

    solutions = Path(__file__).resolve().parent.parent
    if str(solutions) not in sys.path:
        sys.path.insert(0, str(solutions))
    library = importlib.import_module("backprop_lib")
    if Path(library.__file__).resolve().parent != solutions / "backprop_lib":
        raise RuntimeError(f"backprop_lib was imported from {library.__file__}, not solutions/: "
                           "run the authoring script in a fresh interpreter")
    return library


def nested_literal(value, exact=True):
    """Python source for nested lists, tuples and dicts of numbers, arrays and None.

    exact=True uses ``literal`` (for hidden tests); False uses ``short_literal`` (for people).
    Both round floats to SIGNIFICANT_DIGITS.
    """
    if value is None:
        return "None"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {nested_literal(item, exact)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        # Short literals are for people: one array per line.
        separator = ", " if exact else ",\n        "
        return "[" + separator.join(nested_literal(item, exact) for item in value) + "]"
    return literal(value) if exact else short_literal(value)


def fill(template, **values):
    """``template`` with each ``<<name>>`` replaced by ``str(values[name])``: code templates are
    full of braces, so str.format and f-strings do not fit them."""
    for key, value in values.items():
        template = template.replace(f"<<{key}>>", str(value))
    if "<<" in template and ">>" in template.split("<<", 1)[1]:
        missing = template.split("<<", 1)[1].split(">>", 1)[0]
        raise KeyError(f"template placeholder <<{missing}>> has no value: pass {missing}=...")
    return template


def indent(text, spaces=4):
    """``text`` without surrounding blank lines, every non-empty line indented by ``spaces``."""
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else line for line in text.strip("\n").splitlines())


def hidden_region(label, body, setup=""):
    """A self-contained hidden-tests region: ``setup`` at top level, then ``body`` in its own
    ``with task(label) as check:`` block, so it runs (and reports) even when the visible checks
    of its cell were removed or failed."""
    setup = setup.strip("\n") + "\n" if setup.strip() else ""
    return (f"### BEGIN HIDDEN TESTS\n{setup}with task({label!r}) as check:\n{indent(body)}\n"
            "### END HIDDEN TESTS")


def hidden_first(source):
    """``source`` with its hidden-tests region moved to the top: for grading setup (e.g. swapping in
    a correct earlier-lesson function) that the visible checks must also run under."""
    begin, end = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
    start, stop = source.index(begin), source.index(end) + len(end)
    rest = (source[:start] + source[stop:]).strip("\n")
    return source[start:stop] + "\n" + rest
