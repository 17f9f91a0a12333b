"""Cell restoring: nbgrader's OverwriteCells, with deleted test cells put back in the right place."""

import re
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells
from traitlets import Dict, List

from ..source_snapshot import source_notebook


class RestoreCells(OverwriteCells):
    """nbgrader's OverwriteCells whose restoring of deleted test cells works for any notebook.

    nbgrader 0.9.6 puts a deleted grade cell after "the previous solution or grade cell" and raises
    KeyError when the cell before it is anything else (here: a locked setup or markdown cell, as
    in every lesson). This puts a missing grade cell in place of the submission's cell with the
    same cell id when that cell lost its nbgrader metadata (stripped metadata), else after the
    nearest earlier cell of the release that is still in the submission. The release's layout
    comes from ``release_traits(release_nb)``: set by backprop-course's driver, read from the
    course's release/ folder when plain ``nbgrader autograde`` runs this (the course's
    nbgrader_config.py puts it in ``c.Autograde.sanitize_preprocessors``).

    A locked cell whose source is the release's (the gradebook keeps the source cell, hidden tests
    included, so its checksum differs from the released cell's) is put back without nbgrader's
    "Attribute 'checksum' ... has changed!" warning: that warning is kept for a cell the student
    actually changed. The source cells are looked up in ``source_snapshot.source_notebook`` (read
    from the gradebook once per batch) instead of nbgrader's one query per cell.
    """

    release_order = List(help="grade_id (or None) of each cell of the released notebook").tag(config=True)
    release_cell_ids = Dict(help="{grade_id: cell id} in the released notebook").tag(config=True)

    @staticmethod
    def release_traits(release_nb):
        """{"release_order": ..., "release_cell_ids": ...} for the config of this class."""
        order = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in release_nb.cells]
        cell_ids = {grade_id: cell.get("id") for grade_id, cell in zip(order, release_nb.cells) if grade_id}
        return {"release_order": order, "release_cell_ids": cell_ids}

    def preprocess(self, nb, resources):
        self._layout = {"release_order": self.release_order, "release_cell_ids": self.release_cell_ids}
        if not self.release_order:
            self._layout = self._release_layout(resources["nbgrader"]["assignment"],
                                                resources["nbgrader"]["notebook"])
        # nbgrader's OverwriteCells.preprocess, its lookups answered by the source snapshot.
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = source_notebook(self.db_url, self.assignment_id, self.notebook_id)
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def _release_layout(self, assignment, notebook):
        """release_traits of the course's released notebook (empty when there is none)."""
        coursedir = CourseDirectory(config=self.config)
        path = Path(coursedir.format_path(coursedir.release_directory, ".", assignment)) / f"{notebook}.ipynb"
        if not path.exists():
            return {"release_order": [], "release_cell_ids": {}}
        return self.release_traits(nbformat.read(path, as_version=4))

    def preprocess_cell(self, cell, resources, index):
        self._unchanged_to_source(cell)
        cell, resources = super().preprocess_cell(cell, resources, index)
        # nbgrader metadata without a grade_id (DeduplicateIds empties a pasted duplicate's,
        # nbgrader deletes a grade_id the gradebook does not know) makes nbgrader's own
        # add_missing_task_cells raise KeyError; such a cell is plain student content.
        if "nbgrader" in cell.metadata and "grade_id" not in cell.metadata.nbgrader:
            del cell.metadata["nbgrader"]
        return cell, resources

    def _unchanged_to_source(self, cell):
        """Give a locked cell that is exactly as released its source cell's text (hidden tests
        included), so nbgrader's checksum comparison sees no change."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return
        try:
            source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except Exception:  # nbgrader's own preprocess_cell reports an unknown cell
            return
        if not source_cell.locked or source_cell.source == cell.source:
            return
        released = nbformat.v4.new_code_cell(source_cell.source) if source_cell.cell_type == "code" \
            else nbformat.v4.new_markdown_cell(source_cell.source)
        clear = ClearHiddenTests(parent=self, enforce_metadata=False)
        clear._remove_hidden_test_region(released)
        if released.source == cell.source:
            cell.source = source_cell.source

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        sources = {cell.name: cell for cell in source_nb.source_cells}
        solutions = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            cell = self.missing_cell_transform(sources[grade_cell.name], grade_cell.max_score,
                                               is_solution=grade_cell.name in solutions)
            wanted = self._layout["release_cell_ids"].get(grade_cell.name)
            same_id = next((i for i, existing in enumerate(nb.cells)
                            if wanted and existing.get("id") == wanted and present[i] is None), None)
            if same_id is not None:
                # The cell itself, metadata stripped: restored where it was, so it runs after
                # the set-up it needs. A written answer keeps the student's text.
                if grade_cell.name in solutions:
                    cell.source = nb.cells[same_id].source
                cell["id"] = nb.cells[same_id]["id"]
                nb.cells[same_id] = cell
                continue
            cell["id"] = self._free_id(grade_cell.name, nb)
            order = self._layout["release_order"]
            earlier = order[:order.index(grade_cell.name)] if grade_cell.name in order else []
            anchor = next((present.index(name) for name in reversed(earlier) if name in present), -1)
            nb.cells.insert(anchor + 1, cell)
        return nb, resources

    @staticmethod
    def _free_id(grade_id, nb):
        """A cell id made from ``grade_id`` that no cell of ``nb`` has."""
        taken = {existing.get("id") for existing in nb.cells}
        stem = re.sub(r"[^A-Za-z0-9_-]", "-", grade_id)[:40] or "restored"
        return next(candidate for candidate in (stem + suffix for suffix in (
            "", *(f"-restored{i}" for i in range(1, len(nb.cells) + 2)))) if candidate not in taken)
