"""The markers that delimit what students must not see, what a student version keeps, and the
leak check: used by ``build`` (which writes the student files), by a release and the student kit
(which check what they hand out), by feedback and by grading (which scrubs hidden-test lines).

Marked regions, in the reference library and in lesson notebooks::

    ### BEGIN SOLUTION Lesson 2, task 1: implement Linear.forward
    ...
    ### END SOLUTION

    ### BEGIN HIDDEN TESTS
    ...
    ### END HIDDEN TESTS

A library region's student version is ``raise NotImplementedError("Lesson 2, task 1: implement
Linear.forward")`` at its indentation (``strip_solutions``); a notebook's is what nbgrader's release
preprocessors leave (``student_notebook``). A line counts as a secret when it is distinctive (long,
not a comment) and appears inside a region but nowhere outside it (``solution_lines``,
``notebook_solution_lines``); ``leaks`` finds markers and secret lines in a student-facing text.
"""

import re

import nbformat

BEGIN = "BEGIN SOLUTION"
END = "END SOLUTION"
HIDDEN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
MARKER = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION (?P<tag>Lesson \d+, task \d+: .+?)\s*$")
# Lines this short or this common ("return out", "else:") say nothing about a solution.
DISTINCTIVE_LENGTH = 24


class MarkerError(ValueError):
    """A solution region written wrong (unclosed, nested, untagged); the message says where and how."""


def strip_solutions(text, where="<text>"):
    """Return ``text`` with every marked solution region replaced by its tagged stub."""
    out, region = [], None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if BEGIN in line:
            match = MARKER.match(line)
            if region is not None:
                raise MarkerError(f"{where}:{number}: a solution region opens inside another")
            if match is None:
                raise MarkerError(f"{where}:{number}: write the marker as "
                                  "'### BEGIN SOLUTION Lesson K, task J: what to implement'")
            region = match
            out.append(f'{match["indent"]}raise NotImplementedError("{match["tag"]}")\n')
        elif END in line:
            if region is None:
                raise MarkerError(f"{where}:{number}: END SOLUTION without a BEGIN SOLUTION")
            region = None
        elif region is None:
            out.append(line)
    if region is not None:
        raise MarkerError(f"{where}: the region '{region['tag']}' is never closed with ### END SOLUTION")
    return "".join(out)


def _distinctive_lines(text, all_secret=False):
    """(secret, shown): distinctive stripped lines inside solution or hidden-test regions (or all of
    them, with all_secret) and those outside."""
    secret, shown, in_region = set(), set(), False
    for line in text.splitlines():
        stripped = line.strip()
        if BEGIN in line or HIDDEN in line:
            in_region = True
        elif END in line or HIDDEN_END in line:
            in_region = False
        elif len(stripped) >= DISTINCTIVE_LENGTH and not stripped.startswith("#"):
            (secret if all_secret or in_region else shown).add(stripped)
    return secret, shown


def solution_lines(text):
    """The distinctive lines (stripped) inside solution regions and not also outside them."""
    secret, shown = _distinctive_lines(text)
    return secret - shown


def notebook_solution_lines(nb):
    """Distinctive lines of a source notebook's solution regions, solution cells and hidden tests,
    less the lines the notebook also shows students elsewhere."""
    secret, shown = set(), set()
    for cell in nb.cells:
        whole_cell = cell.metadata.get("nbgrader", {}).get("solution") and BEGIN not in cell.source
        cell_secret, cell_shown = _distinctive_lines(cell.source, all_secret=whole_cell)
        secret |= cell_secret
        shown |= cell_shown
    return secret - shown


def student_notebook(nb):
    """Apply nbgrader's release preprocessors to a source notebook (in place) and return it."""
    from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme,
                                        ClearOutput, ClearSolutions, ComputeChecksums, LockCells)

    resources = {}
    for step in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
                 ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata):
        nb, resources = step().preprocess(nb, resources)
    return nb


def leaks(text, secret):
    """The solution lines or markers found in a student-facing text (a notebook: its cells' sources)."""
    found = [marker for marker in (BEGIN, END, HIDDEN, HIDDEN_END) if marker in text]
    present = {line.strip() for line in visible_source(text).splitlines()}
    return found + sorted(secret & present)


def visible_source(text):
    """A notebook's cell sources, one after another; any other text as it is.

    Notebook JSON quotes and escapes each line, so lines must be compared in the cells' own form.
    """
    if text.lstrip().startswith("{"):
        try:
            return "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
        except (ValueError, AttributeError, nbformat.reader.NotJSONError, nbformat.ValidationError):
            pass
    return text
