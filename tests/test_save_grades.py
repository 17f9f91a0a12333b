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


def test_the_same_grades_as_nbgraders_in_one_commit(gradebook):
    nb = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("task2-check", 3, [FAILED]),
                                         answer_cell()])
    commits = {}
    for student, step in (("ann", SaveAutoGrades), ("bob", SaveGradesAtOnce)):
        count = lambda connection, made=commits.setdefault(student, []): made.append(connection)  # noqa: E731
        event.listen(Engine, "commit", count)
        try:
            step().preprocess(nbformat.from_dict(nb), resources(gradebook, student))
        finally:
            event.remove(Engine, "commit", count)
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
