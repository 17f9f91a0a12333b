"""One engine per batch (grading/shared_gradebook.py) and the source notebook read once per batch
(grading/source_snapshot.py), and the steps that use them: each answers as nbgrader's own does.
A small gradebook (tests/helpers/small_gradebook.py), no kernel."""

import datetime
import json
import os
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, OverwriteKernelspec
from traitlets.config import Config

from backprop_course.autograder.grading import shared_gradebook
from backprop_course.autograder.grading.preprocessors import LatePenalties, SourceKernelspec
from backprop_course.autograder.grading.shared_gradebook import SharedGradebook, one_engine
from backprop_course.autograder.grading.source_snapshot import source_notebook
from helpers.small_gradebook import graded_cell, resources, small_gradebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (course)", "language": "python"}


@pytest.fixture
def db_url(tmp_path):
    url = small_gradebook(tmp_path)
    with Gradebook(url) as gb:
        gb.find_notebook("lesson", "lesson").kernelspec = json.dumps(KERNELSPEC)
        gb.db.commit()
    return url


def test_a_batch_opens_every_gradebook_on_one_engine_and_ends_it(db_url):
    with one_engine(db_url):
        first, second = SharedGradebook(db_url), SharedGradebook(db_url)
        assert first.engine is second.engine
        first.close()  # a step's gradebook closing leaves the engine to the next one
        second.update_or_create_student("cy")
        second.db.commit()
        second.close()
        engine = first.engine
    alone = SharedGradebook(db_url)  # outside a batch: nbgrader's, its own engine
    assert alone.engine is not engine and alone.find_student("cy").id == "cy"
    alone.close()


def test_a_gradebook_replaced_between_batches_is_opened_afresh(db_url, tmp_path):
    path = tmp_path / "gradebook.db"
    with one_engine(db_url), SharedGradebook(db_url) as gb:
        gb.update_or_create_student("cy")
        gb.db.commit()
    shutil.copy(path, tmp_path / "old.db")
    with Gradebook(db_url) as gb:
        gb.update_or_create_student("dee")
        gb.db.commit()
    os.replace(tmp_path / "old.db", path)  # the instructor puts back a copy without dee
    with one_engine(db_url), SharedGradebook(db_url) as gb:
        with pytest.raises(MissingEntry):
            gb.find_student("dee")


def test_a_forked_worker_holds_none_of_the_batchs_connections(db_url):
    with one_engine(db_url), SharedGradebook(db_url) as gb:
        gb.find_student("ann")  # a connection in the pool
        pid = os.fork()
        if pid == 0:
            os._exit(0 if not shared_gradebook._ENGINES else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert gb.find_student("bob").id == "bob"  # the parent's connection still works


def test_the_source_snapshot_answers_as_the_gradebook(db_url):
    snapshot = source_notebook(db_url, "lesson", "lesson")
    with Gradebook(db_url) as gb:
        for name in ("task1-check", "task2-check", "why"):
            cell = gb.find_source_cell(name, "lesson", "lesson")
            copy = snapshot.find_source_cell(name, "lesson", "lesson")
            assert [getattr(copy, field) for field in snapshot.SOURCE_FIELDS] == \
                   [getattr(cell, field) for field in snapshot.SOURCE_FIELDS]
            graded = gb.find_graded_cell(name, "lesson", "lesson")
            assert snapshot.find_graded_cell(name, "lesson", "lesson").max_score == graded.max_score
        assert snapshot.kernelspec == gb.find_notebook("lesson", "lesson").kernelspec
    with pytest.raises(MissingEntry):
        snapshot.find_source_cell("task9-check", "lesson", "lesson")
    with pytest.raises(MissingEntry):
        snapshot.find_graded_cell("task9-check", "lesson", "lesson")


def test_the_source_snapshot_is_read_once_per_batch_and_each_time_outside(db_url):
    with one_engine(db_url):
        assert source_notebook(db_url, "lesson", "lesson") is source_notebook(db_url, "lesson", "lesson")
    with Gradebook(db_url) as gb:
        gb.find_notebook("lesson", "lesson").kernelspec = None
        gb.db.commit()
    assert source_notebook(db_url, "lesson", "lesson").kernelspec is None


def test_the_kernelspec_step_sets_what_nbgraders_sets(db_url):
    for step in (OverwriteKernelspec, SourceKernelspec):
        nb = nbformat.v4.new_notebook(cells=[graded_cell("task1-check", 2)])
        nb.metadata["kernelspec"] = {"name": "evil", "display_name": "mine", "language": "python"}
        nb, _ = step().preprocess(nb, resources(db_url, "ann"))
        assert nb.metadata["kernelspec"] == KERNELSPEC, step


@pytest.mark.parametrize("method, seconds_late", [("zero", 3600), ("zero", 0), ("none", 3600)])
def test_the_late_penalty_is_nbgraders(db_url, method, seconds_late):
    due = datetime.datetime(2026, 12, 1, 12, 0)
    with Gradebook(db_url) as gb:
        gb.update_or_create_assignment("lesson", duedate=due)
        for student in ("ann", "bob"):
            gb.update_or_create_submission("lesson", student, timestamp=due + datetime.timedelta(seconds=seconds_late))
            for grade in gb.find_submission_notebook("lesson", "lesson", student).grades:
                grade.auto_score = grade.max_score
        gb.db.commit()
    config = Config({"LateSubmissionPlugin": {"penalty_method": method}})
    with one_engine(db_url):  # ours as a batch runs it
        LatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources(db_url, "bob"))
    AssignLatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources(db_url, "ann"))
    with Gradebook(db_url) as gb:
        penalties = [gb.find_submission_notebook("lesson", "lesson", student).late_submission_penalty
                     for student in ("ann", "bob")]
    assert penalties[1] == penalties[0]
    assert penalties[1] == (6.0 if method == "zero" and seconds_late else None)  # "zero": the whole score (2 + 3 + 1)
