"""The instructor's workflow end to end: course init, release, the sample class autograded with
its expected per-test scores, feedback without hidden tests, reports, resuming, the lock, the
wall-clock limit, a Dask cluster, and the students' `check` command.

One course (module fixture) is built, released and autograded once for lessons 2 to 5; the other
tests reuse it or copy single submissions from it.
"""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from backprop_course.autograder import (grading, nbgrader_course, report, sample_class, solution_markers,
                                        student_check)
from backprop_course.autograder.cli import main
from backprop_course.autograder.grading import driver

from helpers.checkout import ROOT
from helpers.lock_holder import held_lock

LESSONS = [lesson for lesson in sample_class.LESSONS if (ROOT / "solutions" / f"{lesson}.ipynb").exists()]
pytestmark = [pytest.mark.skipif(not LESSONS, reason="no lesson 2-5 notebook in solutions/ yet"), pytest.mark.slow]

# Expected scores, from the lessons' graded cells: each student scores full marks on every
# autograded test cell except those listed here (which score 0); written answers score 0 until a
# person grades them. Students in NOTHING score 0 everywhere. Each bug costs only the cells of its
# own task (tests/test_planted_bugs_cost_their_task.py plants more of them in every lesson).
FAILS = {
    "bias_grad_mean": {"02_linear_layer": {"task2-check"}},
    "missing_transpose": {"02_linear_layer": {"task3-check"}},
    "inplace_relu": {"03_activations": {"task1-check"}},
    "tanh_from_input": {"03_activations": {"task3-check"}},
    "loss_not_averaged": {"04_losses": {"task1-mseloss-values", "task1-mseloss-gradients",
                                        "task1-mseloss-edge"}},
    "softmax_no_shift": {"04_losses": {"task3-log-softmax-huge", "task3-softmaxcrossentropyloss-edge"}},
    "mlp_backward_order": {"05_mlp": {"task2-backward", "task2-gradcheck", "task2-input-grad"}},
}
NOTHING = {"not_started", "syntax_error"}
# Answers written in the notebook, judged apart from the library: a library that does not import
# (syntax_error) still scores them.
NOTEBOOK_ANSWERS = {"02_linear_layer": {"task2-hand", "task3-hand"}, "03_activations": {"task2-hand", "task3-hand"},
                    "04_losses": {"task1-derivation", "task2-derivation"}, "05_mlp": {"task2-paths", "task3-count"}}
FULL_MARKS = {"correct", "einsum", "np_dot", "relu_mask", "deleted_test_cell"}


def run_cli(*args):
    return main([str(arg) for arg in args])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course with lessons 2-5 released, the whole sample class submitted and autograded."""
    course_dir = tmp_path_factory.mktemp("course") / "course"
    assert run_cli("course", "init", course_dir, *sum((["--lesson", lesson] for lesson in LESSONS), [])) == 0
    rows = {}
    for lesson in LESSONS:
        assert run_cli("release", lesson, "--course", course_dir) == 0
        sample_class.submit(course_dir, lesson)
        result, failed = grading.autograde(course_dir, lesson, workers=2, progress=False)
        assert not failed
        rows[lesson] = {row["student"]: row for row in result}
    return course_dir, rows


def test_sample_class_has_the_required_students():
    names = {student.name for student in sample_class.STUDENTS}
    assert len(names) >= 12
    assert {"einsum", "np_dot", "relu_mask", "missing_transpose", "bias_grad_mean", "tanh_from_input",
            "loss_not_averaged", "softmax_no_shift", "inplace_relu", "syntax_error",
            "deleted_test_cell"} <= names


def test_a_sample_edit_that_no_longer_matches_the_reference_fails_loudly():
    ghost = sample_class.Student("ghost", "edits a line that is not there",
                                 {"layers.py": [("return x @ W_that_does_not_exist", "return 0")]})
    with pytest.raises(ValueError, match="occurs 0 times"):
        sample_class.library(ghost)


def test_config_is_hardened(graded):
    course_dir, _ = graded
    config = nbgrader_course.load_config(course_dir)
    assert sorted(config.Autograde.exclude_overwriting[LESSONS[0]]) == [
        f"backprop_lib/{name}" for name in ("graph.py", "layers.py", "losses.py", "mlp.py", "optim.py")]
    assert config.OverwriteCells.add_missing_cells is True
    assert "--InteractiveShell.xmode=Minimal" in config.Execute.extra_arguments
    from nbgrader.preprocessors import ClearHiddenTests

    assert any(issubclass(step, ClearHiddenTests) for step in config.GenerateFeedback.preprocessors)
    assert config.CourseDirectory.db_url == f"sqlite:///{course_dir / 'gradebook.db'}"


def test_release_strips_the_library_and_leaks_nothing(graded):
    course_dir, _ = graded
    for lesson in LESSONS:
        release = course_dir / "release" / lesson
        layers = (release / "backprop_lib" / "layers.py").read_text()
        assert 'raise NotImplementedError("Lesson 2, task 1: implement Linear.forward")' in layers
        assert nbgrader_course.leaks_in_folder(release, nbgrader_course.secret_lines(course_dir, lesson)) == []
        text = (release / f"{lesson}.ipynb").read_text()
        assert solution_markers.HIDDEN not in text and solution_markers.BEGIN not in text


@pytest.mark.parametrize("lesson", LESSONS)
def test_sample_class_gets_its_expected_per_test_scores(graded, lesson):
    course_dir, rows = graded
    cells, results, by_hand = report.collect(course_dir, lesson)
    assert {row["student"] for row in results} == {student.name for student in sample_class.STUDENTS}
    for row in results:
        student = row["student"]
        assert row["outcome"] == "graded", (student, row["reason"])
        assert row["flags"] == [], (student, row["flags"])  # honest work is never flagged
        failing = FAILS.get(student, {}).get(lesson, set())
        assert failing <= {name for name, _ in cells}, f"FAILS names a test {lesson} does not have"
        answered = NOTEBOOK_ANSWERS.get(lesson, set()) if student == "syntax_error" else set()
        expected = {name: 0.0 if ((student in NOTHING and name not in answered) or name in failing
                                  or name in by_hand) else points for name, points in cells}
        assert row["cells"] == expected, student
        assert rows[lesson][student]["score"] == sum(expected.values())
    auto = sum(points for name, points in cells if name not in by_hand)
    assert all(rows[lesson][name]["score"] == auto for name in FULL_MARKS)


def test_a_deleted_test_cell_is_restored_as_the_gradebook_has_it(graded):
    course_dir, _ = graded
    lesson = LESSONS[0]
    submitted = nbformat.read(course_dir / "submitted" / "deleted_test_cell" / lesson / f"{lesson}.ipynb", 4)
    autograded = nbformat.read(course_dir / "autograded" / "deleted_test_cell" / lesson / f"{lesson}.ipynb", 4)

    def graded_ids(nb):
        return [cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
                if cell.metadata.get("nbgrader", {}).get("grade")]

    assert len(graded_ids(autograded)) == len(graded_ids(submitted)) + 1
    (restored,) = set(graded_ids(autograded)) - set(graded_ids(submitted))
    source = nbformat.read(course_dir / "source" / lesson / f"{lesson}.ipynb", 4)
    (cell,) = [cell for cell in autograded.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == restored]
    # nbgrader puts a note first ("This cell ... was added back by nbgrader")
    assert cell.source.endswith(next(original.source for original in source.cells
                                     if original.metadata.get("nbgrader", {}).get("grade_id") == restored))


def test_feedback_shows_no_hidden_tests_and_no_instructor_paths(graded):
    course_dir, _ = graded
    for lesson in LESSONS:
        assert run_cli("feedback", lesson, "--course", course_dir) == 0
        files = sorted((course_dir / "feedback").glob(f"*/{lesson}/{lesson}.html"))
        assert len(files) == len(sample_class.STUDENTS)
        source = nbformat.read(course_dir / "source" / lesson / f"{lesson}.ipynb", 4)
        hidden = [cell.source.split(solution_markers.HIDDEN)[1].split(solution_markers.HIDDEN_END)[0]
                  for cell in source.cells if solution_markers.HIDDEN in cell.source]
        # a judged lesson has no hidden tests: nothing of them, nor of its records, can show
        probe = max((line.strip() for block in hidden for line in block.splitlines()), key=len, default=None)
        for path in files:
            text = report.html.unescape(report.re.sub(r"<[^>]+>", "", path.read_text()))
            assert probe is None or probe not in text
            assert "backprop-course.observation" not in path.read_text()
            assert str(course_dir / "source") not in text and "most recent call last" not in text


def test_report_writes_grades_items_histogram_and_review(graded, capsys):
    course_dir, rows = graded
    lesson = LESSONS[0]
    assert run_cli("report", lesson, "--course", course_dir) == 0
    out = capsys.readouterr().out
    assert "correct" in out and "grades.csv" in out
    folder = course_dir / "reports" / lesson
    grades = (folder / "grades.csv").read_text().splitlines()
    assert len(grades) == 1 + len(sample_class.STUDENTS)
    items = (folder / "items.csv").read_text()
    cells, results, by_hand = report.collect(course_dir, lesson)
    for name, _ in cells:
        assert name in items
    # the pass rate of a test is the share of students with full marks on it
    _, items_rows, _, review = report.report(course_dir, lesson)
    first = items_rows[0]
    full = sum(row["cells"][first["test"]] == first["points"] for row in results)
    assert first["pass_rate"] == full / len(results)
    assert (folder / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The honest sample class is clean: only the syntax error is listed, named by the grader.
    assert [row["student"] for row in review] == ["syntax_error"]
    assert review[0]["flags"] == [] and review[0]["reason"].startswith("SyntaxError at backprop_lib/")
    # bias_grad_mean's dL/db (the mean over the batch) is explained on its rows and counted
    assert (folder / "misconceptions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(folder / "misconceptions.csv") as handle:
        found = list(report.csv.DictReader(handle))
    bias = [item for item in found if item["task"] == "Lesson 2, task 2" and item["message"].startswith("dL/db")]
    assert bias and all(item["students"] == "1" for item in bias), found
    assert "misconceptions.csv" in out


def test_a_rerun_skips_graded_submissions_and_regrades_a_new_timestamp(graded):
    course_dir, _ = graded
    lesson = LESSONS[0]
    before = (course_dir / "autograded" / "correct" / lesson / f"{lesson}.ipynb").read_text()
    rows, failed = grading.autograde(course_dir, lesson, progress=False)
    assert not failed and {row["outcome"] for row in rows} == {"skipped"}
    assert (course_dir / "autograded" / "correct" / lesson / f"{lesson}.ipynb").read_text() == before
    (course_dir / "submitted" / "np_dot" / lesson / "timestamp.txt").write_text("2026-11-21 09:00:00.000000 UTC\n")
    rows, failed = grading.autograde(course_dir, lesson, progress=False)
    outcomes = {row["student"]: row["outcome"] for row in rows}
    assert outcomes.pop("np_dot") == "graded"
    assert set(outcomes.values()) == {"skipped"}


def test_a_second_run_on_the_same_course_is_refused(graded, capsys):
    course_dir, _ = graded
    with held_lock(course_dir) as holder:
        assert run_cli("autograde", LESSONS[0], "--course", course_dir) == 2
        assert f"another autograde (pid {holder.pid}) is running" in capsys.readouterr().err
    # the holder is gone, killed: the OS released its lock
    rows, failed = grading.autograde(course_dir, LESSONS[0], progress=False)
    assert not failed


def _single_student_course(graded, tmp_path, students):
    """A copy of the course with only ``students``' submissions of the first lesson, ungraded."""
    course_dir, _ = graded
    copy = tmp_path / "course"
    for part in ("source", "release"):
        shutil.copytree(course_dir / part, copy / part)
    shutil.copyfile(course_dir / "gradebook.db", copy / "gradebook.db")
    nbgrader_course.write_config(copy, LESSONS)
    for name in students:
        shutil.copytree(course_dir / "submitted" / name / LESSONS[0], copy / "submitted" / name / LESSONS[0])
    return copy


def test_a_hanging_submission_hits_the_wall_clock_limit_and_keeps_earlier_scores(graded, tmp_path):
    copy = _single_student_course(graded, tmp_path, ["correct"])
    lesson = LESSONS[0]
    layers = copy / "submitted" / "correct" / lesson / "backprop_lib" / "layers.py"
    text = layers.read_text()
    # Linear.backward (task 3) never returns; tasks 1 and 2 do not call it.
    layers.write_text(text.replace('return grad_out @ self.params["W"].T', "while True:\n            pass"))
    rows, failed = grading.autograde(copy, lesson, workers=1, wall_limit=15, progress=False)
    assert not failed
    row = rows[0]
    assert row["outcome"] == "timeout" and "wall-clock" in row["reason"]
    cells, results, by_hand = report.collect(copy, lesson)
    scores = results[0]["cells"]
    assert scores["task1-check"] == 2 and scores["task3-check"] == 0


def test_a_grader_failure_is_reported_with_a_nonzero_exit_and_retried(graded, tmp_path, monkeypatch, capsys):
    copy = _single_student_course(graded, tmp_path, ["correct"])

    def broken(job):
        raise RuntimeError("the grader broke")

    monkeypatch.setattr(grading.worker, "grade_submission", broken)  # forked workers inherit it
    assert run_cli("autograde", LESSONS[0], "--course", copy, "--workers", 1) == 1
    assert "grader error" in capsys.readouterr().out
    monkeypatch.undo()
    rows, failed = grading.autograde(copy, LESSONS[0], workers=1, progress=False)
    assert not failed and rows[0]["outcome"] == "graded"  # nothing was recorded: it is retried


def test_broken_notebooks_never_stop_the_batch(graded, tmp_path):
    copy = _single_student_course(graded, tmp_path, ["correct", "np_dot", "einsum"])
    course_dir, graded_rows = graded
    lesson = LESSONS[0]
    (copy / "submitted" / "correct" / lesson / f"{lesson}.ipynb").write_bytes(b"\xff\xfe not json")
    (copy / "submitted" / "np_dot" / lesson / f"{lesson}.ipynb").unlink()
    # A test cell with metadata from an old nbgrader (its SchemaTooOldError aborts nbgrader's batch):
    # the cell loses that metadata and the real test cell is restored.
    path = copy / "submitted" / "einsum" / lesson / f"{lesson}.ipynb"
    nb = nbformat.read(path, 4)
    next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")).metadata.nbgrader["schema_version"] = 1
    nbformat.write(nb, path)
    rows, failed = grading.autograde(copy, lesson, workers=2, progress=False)
    outcomes = {row["student"]: (row["outcome"], row["score"]) for row in rows}
    assert not failed
    assert outcomes["correct"] == ("not gradable", 0.0) and outcomes["np_dot"] == ("not gradable", 0.0)
    assert outcomes["einsum"] == ("graded", graded_rows[lesson]["einsum"]["score"])


def test_demo_prints_the_gradebook_and_where_everything_went(tmp_path):
    from io import StringIO

    from backprop_course.autograder import demo

    out = StringIO()
    demo.demo(tmp_path / "course", lessons=[LESSONS[0]], out=out)
    text = out.getvalue()
    assert "correct" in text and "syntax_error" in text and "T1=" in text
    assert f"feedback HTML: {tmp_path / 'course' / 'feedback'}" in text
    assert f"misconceptions: {tmp_path / 'course' / 'reports' / LESSONS[0] / 'misconceptions.csv'}" in text
    assert (tmp_path / "course" / "reports" / LESSONS[0] / "grades.csv").exists()


def test_dask_cluster_runs_the_same_units(graded, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    copy = _single_student_course(graded, tmp_path, ["correct", "missing_transpose"])
    course_dir, rows = graded
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster:
        result, failed = grading.autograde(copy, LESSONS[0], dask=cluster.scheduler_address, progress=False)
    assert not failed
    assert {row["student"]: row["score"] for row in result} == {
        name: rows[LESSONS[0]][name]["score"] for name in ("correct", "missing_transpose")}


def test_errors_are_one_line(tmp_path, capsys):
    assert run_cli("autograde", "02_linear_layer", "--course", tmp_path) == 2
    err = capsys.readouterr().err.strip()
    assert "not a course" in err and "course init" in err and len(err.splitlines()) == 1
    assert run_cli("course", "init", tmp_path / "c", "--lesson", "99_nothing") == 2
    assert "unknown lesson '99_nothing'" in capsys.readouterr().err


def test_student_check_runs_only_the_visible_checks(graded, tmp_path):
    course_dir, _ = graded
    lesson = LESSONS[0]
    folder = tmp_path / lesson
    shutil.copytree(course_dir / "submitted" / "missing_transpose" / lesson, folder)
    # PYTHONPATH naming the repository (whose backprop_lib is the skeleton) must not win.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "backprop_course.autograder", "check", lesson, "--notebook",
                           folder / f"{lesson}.ipynb"], capture_output=True, text=True, env=env, timeout=300)
    lines = done.stdout.strip().splitlines()
    tests = [cell for cell in nbformat.read(folder / f"{lesson}.ipynb", 4).cells
             if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]
    # lesson 2's tasks are judged: their graded cases are judged in the check process, as when grading
    assert lines[-1] == (f"{len(tests) - 1}/{len(tests)} passed - graded cases of {len(tests)} test(s) judged "
                         "as the grader judges them")
    assert str(folder / "backprop_lib") in lines[0]  # the library beside the notebook was checked
    assert done.returncode == 1
    assert "hidden" not in "\n".join(lines[:-1])


def test_visible_part_cuts_the_hidden_tests():
    source = "check(1)\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\n"
    assert student_check.visible_part(source) == "check(1)\n"


def test_result_files_record_outcome_and_flags(graded):
    course_dir, _ = graded
    row = json.loads((course_dir / grading.RESULTS / LESSONS[0] / "syntax_error.json").read_text())
    # a library that does not import costs every cell but the answers typed in the notebook
    cells = nbformat.read(ROOT / "solutions" / f"{LESSONS[0]}.ipynb", as_version=4).cells
    points = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"].get("points", 0)
              for cell in cells if cell.metadata.get("nbgrader", {}).get("grade")}
    answers = sum(points[grade_id] for grade_id in NOTEBOOK_ANSWERS.get(LESSONS[0], ()))
    assert row["outcome"] == "graded" and row["score"] == answers and row["flags"] == []


def _failing_kernel_starts(monkeypatch, tmp_path, failures):
    """Make the first ``failures`` kernel starts (of this process and its forked workers) fail as
    a kernel killed by a limit at start does; returns the file counting every start."""
    count = tmp_path / "kernel-starts"
    count.write_text("")
    real = grading.grading_execute.GradingExecute.start_new_kernel

    def start(self, **kwargs):
        with open(count, "a") as handle:
            handle.write("x")
        if len(count.read_text()) <= failures:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(self, **kwargs)

    monkeypatch.setattr(grading.grading_execute.GradingExecute, "start_new_kernel", start)
    monkeypatch.setattr(grading.spare, "enable", lambda: None)  # every start is a run's own
    return count


def test_a_grader_side_failure_is_retried_once_then_recorded_without_a_score(graded, tmp_path, monkeypatch,
                                                                          capsys):
    import csv

    from nbgrader.api import Gradebook

    copy = _single_student_course(graded, tmp_path, ["correct"])
    lesson = LESSONS[0]
    expected = graded[1][lesson]["correct"]["score"]
    starts = _failing_kernel_starts(monkeypatch, tmp_path, failures=1)
    rows, failed = grading.autograde(copy, lesson, workers=1, progress=False)
    assert not failed and rows[0]["outcome"] == "graded" and rows[0]["score"] == expected
    assert starts.read_text() == "xx"  # the failed start, then one retry

    monkeypatch.undo()
    starts = _failing_kernel_starts(monkeypatch, tmp_path, failures=99)
    assert run_cli("autograde", lesson, "--course", copy, "--workers", 1, "--force") == 1
    out = capsys.readouterr().out
    assert starts.read_text() == "xx"  # retried once, not more
    line = next(line for line in out.splitlines() if line.startswith("correct "))
    assert "grader error" in line and "before the first cell ran" in line and " - " in line, line
    result = json.loads((copy / grading.RESULTS / lesson / "correct.json").read_text())
    assert result["outcome"] == "grader error" and result["score"] is None
    assert "Kernel died before replying to kernel_info (failed 2 times)" in result["reason"]
    assert not (copy / "autograded" / "correct" / lesson).exists()  # nothing to give feedback from
    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}") as gb:
        grades = gb.find_submission_notebook(lesson, lesson, "correct").grades
        assert all(grade.auto_score is None for grade in grades)  # no score, not 0
    paths, _, _, review = report.report(copy, lesson)
    with open(paths["grades.csv"]) as handle:
        (row,) = csv.DictReader(handle)
    assert row["outcome"] == "grader error" and row["score"] == "" and "kernel_info" in row["reason"]
    assert [item["student"] for item in review] == ["correct"]
    assert run_cli("feedback", lesson, "--course", copy) == 2  # nothing autograded to give back
    assert "nothing autograded" in capsys.readouterr().err

    monkeypatch.undo()
    rows, failed = grading.autograde(copy, lesson, workers=1, progress=False)  # a plain rerun
    assert not failed and rows[0]["outcome"] == "graded" and rows[0]["score"] == expected


def test_a_batch_started_with_sigint_ignored_runs_to_the_end(graded, tmp_path):
    """A shell without job control starts ``autograde ... &`` with SIGINT ignored: a Ctrl-C at the
    terminal then grades on, records included (it once ended a batch inside a record)."""
    import signal

    students = ["correct", "np_dot", "einsum"]
    copy = _single_student_course(graded, tmp_path, students)
    lesson = LESSONS[0]
    run, out, err = _autograde_interrupted_after_first_result(copy, lesson, signal.SIG_IGN)
    assert run.returncode == 0, (out, err)
    assert {path.stem for path in (copy / grading.RESULTS / lesson).glob("*.json")} == set(students)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped one
def test_a_ctrl_c_that_a_finalizer_drops_still_ends_the_batch(graded, tmp_path, monkeypatch):
    """Python drops an exception raised in a ``__del__`` ("Exception ignored in"): a Ctrl-C whose
    KeyboardInterrupt lands there still ends the batch, before the next result is recorded."""
    import signal

    students = ["correct", "np_dot", "einsum"]
    copy = _single_student_course(graded, tmp_path, students)
    lesson = LESSONS[0]

    class InterruptedInFinalizer:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)
            for _ in range(3):  # Python runs the handler here, inside the finalizer
                pass

    prepare = driver.Course.prepare

    def prepare_then_drop_an_interrupt(course, student, wall_limit):
        job = prepare(course, student, wall_limit)
        if student == students[1]:
            InterruptedInFinalizer()
        return job

    monkeypatch.setattr(driver.Course, "prepare", prepare_then_drop_an_interrupt)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # pytest run as `cmd &`
    try:
        with pytest.raises(KeyboardInterrupt):
            grading.autograde(copy, lesson, workers=1, progress=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    recorded = {path.stem for path in (copy / grading.RESULTS / lesson).glob("*.json")}
    assert recorded < set(students)


CRASH_IN_RECORD = """
import os, sys
from backprop_course.autograder.grading import batch, driver
course, lesson, step = sys.argv[1:4]
setattr(driver.Course, step, lambda *args, **kwargs: os._exit(9))  # killed right there
batch.autograde(course, lesson, workers=1, force=True, progress=False)
"""


@pytest.mark.parametrize("step", ["_swap", "_commit"])
def test_a_run_killed_inside_record_leaves_nothing_a_rerun_skips(graded, tmp_path, step, capsys):
    """Killed before the new autograded folder is swapped in, or after it and before the result
    file: no result file is left, `feedback` names the student, and a plain rerun grades again."""
    copy = _single_student_course(graded, tmp_path, ["correct", "np_dot"])
    lesson = LESSONS[0]
    rows, failed = grading.autograde(copy, lesson, workers=1, progress=False)
    assert not failed
    scores = {row["student"]: row["score"] for row in rows}
    done = subprocess.run([sys.executable, "-c", CRASH_IN_RECORD, copy, lesson, step], timeout=600)
    assert done.returncode == 9
    results = copy / grading.RESULTS / lesson
    assert not (results / "correct.json").exists()  # the first one recorded was killed
    assert run_cli("feedback", lesson, "--course", copy) == 1
    assert "correct: no feedback (not graded, or its grading was interrupted" in capsys.readouterr().err
    rows, failed = grading.autograde(copy, lesson, workers=1, progress=False)
    outcomes = {row["student"]: row["outcome"] for row in rows}
    assert not failed and outcomes == {"correct": "graded", "np_dot": "skipped"}
    assert {row["student"]: row["score"] for row in rows} == scores
    assert sorted(path.name for path in (copy / "autograded" / "correct").iterdir()) == [lesson]


def test_a_result_without_its_autograded_notebook_is_graded_again(graded, tmp_path, capsys):
    copy = _single_student_course(graded, tmp_path, ["correct", "np_dot"])
    lesson = LESSONS[0]
    grading.autograde(copy, lesson, workers=1, progress=False)
    shutil.rmtree(copy / "autograded" / "correct")  # as the old record's crash left it
    assert run_cli("feedback", lesson, "--course", copy) == 1
    assert "correct: no feedback (its autograded notebook is missing" in capsys.readouterr().err
    rows, failed = grading.autograde(copy, lesson, workers=1, progress=False)
    assert not failed and {row["student"]: row["outcome"] for row in rows} == {
        "correct": "graded", "np_dot": "skipped"}
    assert (copy / "autograded" / "correct" / lesson / f"{lesson}.ipynb").is_file()


def _autograde_interrupted_after_first_result(copy, lesson, sigint):
    """``backprop-course autograde`` of ``copy``, started with SIGINT's disposition ``sigint`` (a
    terminal's command has SIG_DFL, whatever the shell that runs pytest gave it), sent SIGINT (a
    terminal's Ctrl-C: its whole process group) once its first result is recorded. Returns the
    process, ended, and its output."""
    import signal
    import time

    results = copy / grading.RESULTS / lesson
    run = subprocess.Popen([sys.executable, "-m", "backprop_course.autograder", "autograde", lesson, "--course", copy,
                            "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    while run.poll() is None and not list(results.glob("*.json")):
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=600)
    return run, out, err


def test_ctrl_c_prints_one_line_exits_130_and_leaves_nothing_half_written(graded, tmp_path):
    import signal

    students = ["correct", "np_dot", "einsum", "relu_mask"]
    copy = _single_student_course(graded, tmp_path, students)
    lesson = LESSONS[0]
    results = copy / grading.RESULTS / lesson
    run, out, err = _autograde_interrupted_after_first_result(copy, lesson, signal.SIG_DFL)
    assert run.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert [line for line in err.splitlines() if "interrupted" in line] == [
        "autograde: interrupted; what was recorded is kept, rerun to grade the rest"]
    recorded = {path.stem for path in results.glob("*.json")}
    assert recorded and recorded != set(students)
    assert not list(results.glob(".*.tmp"))
    for student in students:
        folder = copy / "autograded" / student
        names = sorted(path.name for path in folder.iterdir()) if folder.exists() else []
        assert names == ([lesson] if student in recorded else []), (student, names)
    rows, failed = grading.autograde(copy, lesson, workers=1, progress=False)
    assert not failed
    assert {row["student"] for row in rows if row["outcome"] == "skipped"} == recorded
