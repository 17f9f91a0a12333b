"""SaveGradesAtOnce saves what nbgrader's SaveAutoGrades saves (scores, review flags, comments), in one
commit per notebook instead of one per cell, and a failure while saving leaves none of the notebook's
scores. A gradebook of one small assignment, made with nbgrader's own SaveCells; no kernel."""

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backprop_course.autograder.grading.preprocessors import SaveGradesAtOnce
from helpers.small_gradebook import FAILED, answer_cell, graded_cell, resources, small_gradebook


@pytest.fixture
def gradebook(tmp_path):
    return small_gradebook(tmp_path)


def saved(db_url, student):
    with Gradebook(db_url) as gb:
        grades = {grade.name: (grade.auto_score, grade.needs_manual_grade)
                  for grade in gb.find_submission_notebook("lesson", "lesson", student).grades}
        comments = {comment.name: comment.auto_comment
                    for comment in gb.find_submission_notebook("lesson", "lesson", student).comments}
    return grades, comments


def saved_by_both(gradebook, nb, event_name, kept):
    """Save ``nb``'s grades for ann with nbgrader's SaveAutoGrades and for bob with SaveGradesAtOnce,
    listening to SQLAlchemy's Engine event ``event_name``: {student: [what ``kept(*event
    arguments)`` returned, where not None]}."""
    seen = {}
    for student, step in (("ann", SaveAutoGrades), ("bob", SaveGradesAtOnce)):
        def keep(*arguments, made=seen.setdefault(student, [])):
            value = kept(*arguments)
            if value is not None:
                made.append(value)
        event.listen(Engine, event_name, keep)
        try:
            step().preprocess(nbformat.from_dict(nb), resources(gradebook, student))
        finally:
            event.remove(Engine, event_name, keep)
    return seen


def test_the_same_grades_as_nbgraders_in_one_commit(gradebook):
    nb = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("task2-check", 3, [FAILED]),
                                         answer_cell()])
    commits = saved_by_both(gradebook, nb, "commit", lambda connection: connection)
    assert saved(gradebook, "bob") == saved(gradebook, "ann")
    assert saved(gradebook, "bob")[0]["task1-check"] == (2.0, False)
    assert saved(gradebook, "bob")[0]["task2-check"] == (0.0, False)
    # nbgrader: one per grade or comment cell (4 here) beside the gradebook's opening; here one in all
    assert len(commits["ann"]) - len(commits["bob"]) == 3, commits


def test_a_failure_while_saving_leaves_none_of_the_notebooks_scores(gradebook, monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("task2-check", 3)])
    before = saved(gradebook, "ann")
    calls = []

    def determine_grade(cell, log=None):
        calls.append(cell)
        if len(calls) == 2:
            raise RuntimeError("killed while saving")
        return 2.0, 2.0

    monkeypatch.setattr("nbgrader.utils.determine_grade", determine_grade)
    with pytest.raises(RuntimeError):
        SaveGradesAtOnce().preprocess(nb, resources(gradebook, "ann"))
    monkeypatch.undo()
    assert saved(gradebook, "ann") == before


def test_the_notebooks_rows_are_read_at_once_not_per_cell(gradebook):
    """nbgrader queries each grade and comment cell's row with a join of six tables; here the
    notebook's rows are read once, so the statements do not grow with the cells."""
    nb = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("task2-check", 3),
                                         answer_cell()])
    selects = saved_by_both(gradebook, nb, "before_cursor_execute",
                            lambda connection, cursor, statement, *rest:
                            statement if statement.lstrip().upper().startswith("SELECT") else None)
    assert saved(gradebook, "bob") == saved(gradebook, "ann")
    # nbgrader: one find per grade and comment (4) besides opening the gradebook
    assert len(selects["ann"]) - len(selects["bob"]) >= 1, selects
    assert sum("JOIN" in statement.upper() and "base_cell" in statement for statement in selects["bob"]) <= 2


def test_a_cell_missing_from_the_gradebook_still_raises_nbgraders_missing_entry(gradebook):
    from nbgrader.api import MissingEntry

    nb = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("not-in-gradebook", 1)])
    with pytest.raises(MissingEntry):
        SaveGradesAtOnce().preprocess(nb, resources(gradebook, "ann"))
