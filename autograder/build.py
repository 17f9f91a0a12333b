"""Generate everything a student sees from ``solutions/``: the library skeleton and the lessons.

``solutions/backprop_lib/*.py`` -> ``backprop_lib/*.py``: each region

    ### BEGIN SOLUTION Lesson 2, task 1: implement Linear.forward
    ...
    ### END SOLUTION

becomes ``raise NotImplementedError("Lesson 2, task 1: implement Linear.forward")`` at the
region's indentation; every other line is copied as it is (the markers, the student versions and
the leak check are ``solution_markers``'s, shared with the commands that hand files out).

``solutions/lessons/<lesson>.py`` (the lesson's text, see ``lesson_source``) ->
``solutions/<lesson>.ipynb``, the nbgrader source notebook that a course releases.

``solutions/<lesson>.ipynb`` -> ``lessons/<lesson>.ipynb`` through the preprocessors nbgrader's
``generate_assignment`` uses (solutions and hidden tests cleared, outputs cleared, cells locked,
checksums computed), minus the database step, which only a course has.

Every generated file says so in its first line, with the command that regenerates it: a source
notebook in its first cell (``generated_note_cell``: never released) and its metadata, a student
notebook in its metadata only (students edit it). The output is deterministic, so ``--check`` can compare byte for byte.
"""

import re
from pathlib import Path

import nbformat

from backprop_course import content

from . import lesson_source
from .generated_note_cell import with_note, without_note
from .solution_markers import (BEGIN, END, leaks, notebook_solution_lines, solution_lines, strip_solutions,
                               student_notebook)

REGENERATE = "backprop-course build"


class BuildError(Exception):
    """A source file that cannot be turned into its student version; the message says where and why."""


def task_functions(text):
    """{qualified name: the stripped lines given around its regions} for the innermost function
    holding each solution region of a library source ("Scalar.__add__.<locals>.local_grads",
    "MLP.backward"): what a crash report needs to tell the student's lines from the given ones."""
    import ast

    lines = text.splitlines()
    regions, start = [], None
    for number, line in enumerate(lines, start=1):
        if BEGIN in line:
            start = number
        elif END in line and start is not None:
            regions.append((start, number))
            start = None
    found = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                inner = [(begin, end) for begin, end in regions if child.lineno <= begin <= child.end_lineno]
                nested = len(found)
                visit(child, f"{name}.<locals>.")
                claimed = {region for qualname in list(found)[nested:] for region in found[qualname][1]}
                mine = [region for region in inner if region not in claimed]
                if mine:
                    given = {lines[number - 1].strip() for number in range(child.lineno, child.end_lineno + 1)
                             if not any(begin <= number <= end for begin, end in inner)}
                    found[name] = (sorted(given - {""}), mine)

    visit(ast.parse(text), "")
    return {name: given for name, (given, _) in found.items()}


def task_regions_text(sources, root):
    """The text of ``backprop_course/task_regions.py`` from the library's solution files."""
    table = {source.name: task_functions(source.read_text()) for source in sources}
    table = {name: functions for name, functions in table.items() if functions}
    body = "".join(f"    {name!r}: {{\n" + "".join(f"        {function!r}: (\n" + "".join(f"            {line!r},\n"
                                                                                  for line in given) + "        ),\n"
                                                     for function, given in functions.items()) + "    },\n"
                   for name, functions in table.items())
    return (f"# {generated_note(root / 'solutions' / 'backprop_lib', root)}.\n"
            '"""The library\'s task functions: those holding a solution region, with the lines given around it.\n\n'
            "``checks.crash_report`` blames the deepest line of a traceback that is the student's: a line of\n"
            "a task function in ``backprop_lib/<file>`` that is none of its given lines.\n"
            '"""\n\n'
            f"GIVEN_LINES = {{\n{body}}}\n")


def generated_note(source, root):
    """The header every generated file carries: where it comes from and how to regenerate it."""
    return f"generated from {source.relative_to(root)} by `{REGENERATE}`: edit there, not here"


def _notebook_text(nb, source, root, note_cell=False):
    """The notebook's text, its metadata (and, with note_cell, its first cell) saying it is generated."""
    nb.metadata["backprop_course"] = {"generated": generated_note(source, root)}
    if note_cell:
        with_note(nb, generated_note(source, root))
    return nbformat.writes(nb) + "\n"


def content_base():
    """The folder the generated files are written under: the checkout (where ``backprop_course/``
    sits beside ``solutions/``, so build also regenerates ``backprop_course/task_regions.py``), or
    the installed content (read-only: ``build --check`` only)."""
    return content.folder("solutions").parent


def targets(root=None):
    """{generated path: (source path, its text, the solution lines it must not contain)}; the
    instructor's source notebooks, which keep their solutions, have None for the lines."""
    root = Path(root or content_base())
    plan = {}
    for source in sorted((root / "solutions" / "backprop_lib").glob("*.py")):
        text = source.read_text()
        # Students do edit this file: the note is for course authors.
        header = f"# Course authors: this skeleton is {generated_note(source, root)}.\n"
        student = header + strip_solutions(text, source)
        plan[root / "backprop_lib" / source.name] = (source, student, solution_lines(text))
    library = sorted((root / "solutions" / "backprop_lib").glob("*.py"))
    # Beside the reference in a checkout (or a copy of its solutions/), not in the installed content
    # package, whose backprop_course/ is the package itself.
    if library and not (root / "__init__.py").is_file():
        plan[root / "backprop_course" / "task_regions.py"] = (
            root / "solutions" / "backprop_lib", task_regions_text(library, root), None)
    texts = {path.stem: path for path in sorted((root / "solutions" / "lessons").glob("*.py"))}
    for name, source in texts.items():
        # The source notebook keeps its solutions: it is for instructors, never handed out. It opens
        # with a note cell (JupyterLab shows no metadata), left out of everything released.
        plan[root / "solutions" / f"{name}.ipynb"] = (
            source, _notebook_text(lesson_source.read_lesson(source, root / "solutions"), source, root,
                                   note_cell=True), None)
    notebooks = {root / "solutions" / f"{name}.ipynb" for name in texts}
    for notebook in sorted(notebooks | set((root / "solutions").glob("*.ipynb"))):
        source = texts.get(notebook.stem, notebook)
        if notebook.stem in texts:
            nb = nbformat.reads(plan[notebook][1], as_version=4)
        else:
            nb = nbformat.read(notebook, as_version=4)
        without_note(nb)
        secret = notebook_solution_lines(nb)
        plan[root / "lessons" / notebook.name] = (source, _notebook_text(student_notebook(nb), source, root), secret)
    return plan


# Generated numbers agree up to rounding noise: values a few ulps apart on two CPUs can still round
# to neighbours in the 12th significant digit (lesson_source.SIGNIFICANT_DIGITS). Two numbers agree
# when they differ by at most 2e-11 of their size (two units of the 12th digit) or by at most 1e-15
# (cancellation noise around zero); all other text must be identical.
NUMBER = re.compile(r"([-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)")
DRIFT_RELATIVE, DRIFT_ABSOLUTE = 2e-11, 1e-15


def drift(generated, committed):
    """None when two texts agree up to rounding noise, else where they first differ."""
    ours, theirs = NUMBER.split(generated), NUMBER.split(committed)
    if len(ours) != len(theirs):
        return "the texts differ beyond their numbers"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a == b:
            continue
        if i % 2 == 0:  # text between numbers
            return f"text differs: {a[:80]!r} vs {b[:80]!r}"
        if abs(float(a) - float(b)) > max(DRIFT_RELATIVE * max(abs(float(a)), abs(float(b))), DRIFT_ABSOLUTE):
            return f"number differs: {a} vs {b}"
    return None


def build(root=None, check=False):
    """Write (or with check=True, only compare) every generated file. Returns the stale paths: those
    missing or differing beyond rounding noise (``drift``).

    Raises BuildError when a student text would contain solution or hidden-test text.
    """
    root = Path(root or content_base())
    plan = targets(root)
    for path, (source, text, secret) in plan.items():
        found = leaks(text, secret) if secret is not None else []
        if found:
            raise BuildError(f"{path.relative_to(root)} would leak solution text from "
                             f"{source.relative_to(root)}: {found[0]!r}")
    # Up to rounding noise, so that another CPU neither reports nor rewrites a current file.
    stale = [path for path, (_, text, _) in plan.items()
             if not path.exists() or drift(text, path.read_text()) is not None]
    extra = [path for pattern in ("backprop_lib/*.py", "lessons/*.ipynb")
             for path in root.glob(pattern) if path not in plan]
    stale += sorted(extra)
    if not check:
        for path in stale:
            if path in plan:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(plan[path][1])
            else:
                path.unlink()
    return stale
