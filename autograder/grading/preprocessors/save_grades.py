"""Saving a notebook's automatic grades in one transaction: nbgrader's SaveAutoGrades, committed once."""

from nbgrader.api import Comment, Grade
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy.orm import joinedload

from ..shared_gradebook import SharedGradebook


class SaveGradesAtOnce(SaveAutoGrades):
    """nbgrader's SaveAutoGrades (the same scores, comments and review flags), whose per-cell
    commits become flushes and whose notebook is committed once at the end, and whose grade and
    comment rows are read in two queries for the notebook instead of two per cell (nbgrader's
    finds are a six-table join each, about two dozen per lesson notebook).

    nbgrader commits after every grade and comment cell: on SQLite each commit waits for the disk
    (an fsync, ~25 ms measured here), about a dozen per lesson notebook, in the one process that
    writes the gradebook for every worker. One commit is also all or nothing: a run killed while
    saving leaves none of the notebook's new scores, never some of them.
    """

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = SharedGradebook(self.db_url)
        with self.gradebook:
            self._read_rows_at_once()
            session = self.gradebook.db
            # On this session object only, for the cells below: nothing. Their changes are flushed
            # together by the commit below (a query nbgrader's fallback makes flushes them first:
            # the session autoflushes), where a flush per cell cost ~0.3 ms each.
            session.commit = lambda: None
            try:
                nb, resources = super(SaveAutoGrades, self).preprocess(nb, resources)
            finally:
                del session.commit
            session.commit()
        return nb, resources

    def _read_rows_at_once(self):
        """Answer ``find_grade`` and ``find_comment`` for this notebook from its rows, read now;
        a name not among them, or another notebook, goes to nbgrader's own query (and its
        MissingEntry)."""
        gradebook = self.gradebook
        this_notebook = (self.notebook_id, self.assignment_id, self.student_id)
        submitted = gradebook.find_submission_notebook(self.notebook_id, self.assignment_id,
                                                       self.student_id)
        for kind, method in ((Grade, "find_grade"), (Comment, "find_comment")):
            rows = {row.cell.name: row for row in gradebook.db.query(kind).options(
                joinedload(kind.cell)).filter(kind.notebook_id == submitted.id)}
            find = getattr(gradebook, method)

            def found(name, *where, rows=rows, find=find):
                row = rows.get(name) if where == this_notebook else None
                return row if row is not None else find(name, *where)

            setattr(gradebook, method, found)
