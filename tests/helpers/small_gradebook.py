"""A gradebook of one small assignment ("lesson": two graded test cells and a written answer; students
ann and bob), made with nbgrader's own SaveCells, no kernel; and the cells to build its notebooks."""

import atexit
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import SaveCells

from backprop_course.autograder import nbgrader_course


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


def small_gradebook(tmp_path):
    """The db_url of a new gradebook in ``tmp_path``: a copy of one made once per test process (a
    new gradebook runs `alembic`, seconds on a loaded machine)."""
    if not _MADE:
        folder = Path(tempfile.mkdtemp(prefix="small-gradebook-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _make(f"sqlite:///{folder / 'gradebook.db'}")
        _MADE.append(folder / "gradebook.db")
    shutil.copy(_MADE[0], tmp_path / "gradebook.db")
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


_MADE = []  # the gradebook small_gradebook copies


def _make(db_url):
    nbgrader_course.tools_on_path()  # a new gradebook runs `alembic`
    source = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2), graded_cell("task2-check", 3),
                                             answer_cell()])
    with Gradebook(db_url) as gb:
        gb.add_assignment("lesson")
    SaveCells().preprocess(source, {"nbgrader": {"notebook": "lesson", "assignment": "lesson", "db_url": db_url}})
    with Gradebook(db_url) as gb:
        for student in ("ann", "bob"):
            gb.add_student(student)
            gb.add_submission("lesson", student)
