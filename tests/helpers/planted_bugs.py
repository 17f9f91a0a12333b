"""Planting a bug: (line, bug) replacements in a copy of the reference library or in the
source notebook's cells, or a whole module back to its stubs."""

from backprop_course.autograder.solution_markers import strip_solutions


NOTEBOOK = "notebook"  # as a module name: the (line, bug) pairs apply to the source notebook's cells
STUBBED = "stubbed"  # instead of (line, bug) pairs: the whole module back to its student stubs
WORKERS = 2  # notebooks graded at once: this machine's cores


def plant(folder, nb, bugs):
    """Apply {module: [(line, bug)] or STUBBED} to the library copy in ``folder`` (and, for
    NOTEBOOK, to ``nb``'s cells)."""
    for module, changes in bugs.items():
        if module == NOTEBOOK:
            for line, bug in changes:
                cells = [cell for cell in nb.cells if line in cell.source]
                assert len(cells) == 1, f"the source notebook no longer has {line!r}: update this test"
                cells[0].source = cells[0].source.replace(line, bug)
            continue
        path = folder / "backprop_lib" / module
        text = path.read_text()
        if changes == STUBBED:
            text = strip_solutions(text, path)
        else:
            for line, bug in changes:
                assert text.count(line) == 1, f"the reference {module} no longer has {line!r}: update this test"
                text = text.replace(line, bug)
        path.write_text(text)
