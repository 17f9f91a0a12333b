"""The source notebook as sanitizing reads it, read once per batch: every submission of a lesson
is compared with the same source cells, and looking each one up in the gradebook was most of the
driver's sanitizing time (26 queries a notebook for lesson 2).

``source_notebook(db_url, assignment, notebook)`` answers the lookups nbgrader's OverwriteCells
and OverwriteKernelspec make (``find_source_cell``, ``find_graded_cell``, ``find_notebook``) from
plain copies of the rows; an unknown cell raises nbgrader's MissingEntry, as the gradebook does.
"""

from types import SimpleNamespace

from nbgrader.api import MissingEntry

from .shared_gradebook import SharedGradebook, remembered


def source_notebook(db_url, assignment, notebook):
    """A SourceNotebook of the gradebook at ``db_url`` (once per batch: ``remembered``)."""
    return remembered(db_url, ("source notebook", assignment, notebook),
                      lambda: SourceNotebook.read(db_url, assignment, notebook))


def _copy(row, fields):
    return SimpleNamespace(**{field: getattr(row, field) for field in fields})


class SourceNotebook:
    """The gradebook's source notebook of one assignment: its cells, graded cells and kernelspec."""

    SOURCE_FIELDS = ("name", "cell_type", "locked", "checksum", "source")

    def __init__(self, kernelspec, source_cells, grade_cells, solution_cells, task_cells):
        self.kernelspec = kernelspec  # JSON text, or None
        self.source_cells = source_cells  # in notebook order
        self.grade_cells = grade_cells
        self.solution_cells = solution_cells
        self.task_cells = task_cells
        self._sources = {cell.name: cell for cell in source_cells}
        self._graded = {cell.name: cell for cell in [*task_cells, *grade_cells]}  # as nbgrader: grade cell first

    @classmethod
    def read(cls, db_url, assignment, notebook):
        with SharedGradebook(db_url) as gb:
            found = gb.find_notebook(notebook, assignment)
            return cls(found.kernelspec,
                       [_copy(cell, cls.SOURCE_FIELDS) for cell in found.source_cells],
                       [_copy(cell, ("name", "max_score")) for cell in found.grade_cells],
                       [_copy(cell, ("name",)) for cell in found.solution_cells],
                       [_copy(cell, ("name", "max_score")) for cell in found.task_cells])

    def find_notebook(self, notebook, assignment):
        return self

    def find_source_cell(self, name, notebook, assignment):
        try:
            return self._sources[name]
        except KeyError:
            raise MissingEntry(f"No such source cell: {assignment}/{notebook}/{name}") from None

    def find_graded_cell(self, name, notebook, assignment):
        try:
            return self._graded[name]
        except KeyError:
            raise MissingEntry(f"No such graded cell: {assignment}/{notebook}/{name}") from None
