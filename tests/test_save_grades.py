"""SaveGradesAtOnce saves what nbgrader's SaveAutoGrades saves (scores, review flags, comments), in one
commit per notebook instead of one per cell, and a failure while saving leaves none of the notebook's
scores. A gradebook of one small assignment, made with nbgrader's own SaveCells; no kernel."""

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveAutoGrades, SaveCells
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backprop_course.autograder import nbgrader_course
from backprop_course.autograder.grading.preprocessors import SaveGradesAtOnce


def graded_cell(grade_id, points, outputs=()):
    cell = nbformat.v4.new_code_cell("check()")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                                 "points": points, "schema_version": 3, "task": False}
    cell.outputs = list(outputs)
    return cell


def answer_cell():
    cell = nbformat.v4.new_markdown_cell("my answer")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "grade_id": "why",
                                 "points": 1, "schema_version": 3, "task": False}
    return cell


FAILED = nbformat.v4.new_output("error", ename="CheckFailed", evalue="no", traceback=["no"])


def resources(db_url, student):
    return {"nbgrader": {"notebook": "lesson", "assignment": "lesson", "student": student, "db_url": db_url}}


@pytest.fixture
def gradebook(tmp_path):
    nbgrader_course.tools_on_path()  # a new gradebook runs `alembic`
    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    source = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("task2-check", 3),
                                             answer_cell()])
    with Gradebook(db_url) as gb:
        gb.add_assignment("lesson")
    SaveCells().preprocess(source, {"nbgrader": {"notebook": "lesson", "assignment": "lesson", "db_url": db_url}})
    with Gradebook(db_url) as gb:
        for student in ("ann", "bob"):
            gb.add_student(student)
            gb.add_submission("lesson", student)
    return db_url


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
