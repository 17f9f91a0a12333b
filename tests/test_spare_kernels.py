"""Spare kernels (backprop_course.autograder.grading.spare): a worker grades each submission in the kernel it
started during the previous one. Grades must not depend on it, a spare's wall clock starts with
its job, the job's files are the kernel's own, and no spare outlives its worker."""

import os
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from jupyter_core.utils import run_sync

from backprop_course.autograder import grading, sample_class
from backprop_course.autograder.grading import spare
from backprop_course.autograder.grading.job import notebook_from_text
from helpers.sandbox_tiers import needs_posix
from helpers.waiting import within

pytestmark = needs_posix
LESSON = "02_linear_layer"
STUDENTS = ("correct", "missing_transpose", "einsum")


@pytest.fixture(scope="module")
def lesson_course(tmp_path_factory, released_course):
    folder = released_course([LESSON], tmp_path_factory.mktemp("spare") / "course")
    students = [student for student in sample_class.STUDENTS if student.name in STUDENTS]
    sample_class.submit(folder, LESSON, students=students)
    return grading.Course(folder, LESSON)


@pytest.fixture
def spares(monkeypatch):
    """Spares on in this process (as in a LocalPool worker); the last one shut down after."""
    monkeypatch.setattr(spare, "_enabled", True)
    yield
    spare.discard()


def scores(course_view, results):
    return {result.student: (result.outcome, course_view.record(result)["score"]) for result in results}


def test_grades_are_the_same_with_and_without_spare_kernels(lesson_course, monkeypatch):
    jobs = [lesson_course.prepare(student, 60) for student in STUDENTS]
    cold = scores(lesson_course, [grading.grade_submission(job) for job in jobs])
    monkeypatch.setattr(spare, "_enabled", True)
    try:
        results = []
        for job in jobs:
            results.append(grading.grade_submission(job))
            waiting = spare._spare
            # the next submission's kernel was started during this one, and is alive
            assert waiting is not None and run_sync(waiting.km.is_alive)()
        warm = scores(lesson_course, results)
    finally:
        spare.discard()
    assert warm == cold
    assert cold["correct"][1] > cold["missing_transpose"][1]  # the grades say something


def test_grades_are_the_same_with_forked_and_exec_d_kernels(lesson_course, monkeypatch):
    from backprop_course.autograder.sandbox import zygote

    jobs = [lesson_course.prepare(student, 60) for student in STUDENTS]
    forked = scores(lesson_course, [grading.grade_submission(job) for job in jobs])
    monkeypatch.setattr(zygote, "_broken", "this test starts every kernel as its own process")
    exec_d = scores(lesson_course, [grading.grade_submission(job) for job in jobs])
    assert forked == exec_d


def with_cell(job, source):
    """``job`` with a code cell appended to its notebook."""
    nb = nbformat.reads(job.notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return grading.Job(**{**vars(job), "notebook": nbformat.writes(nb)})


def test_a_spare_counts_its_wall_clock_from_its_job(lesson_course, spares, monkeypatch):
    """The property itself, not a race against a budget: the spare's wall clock started before
    the job, and is restarted when the job takes the spare."""
    grading.grade_submission(lesson_course.prepare("correct", 60))  # a spare starts
    waiting = spare._spare
    assert waiting is not None and waiting.km.wall_clock_started is not None
    booted = waiting.km.wall_clock_started
    taken = []
    take = spare.take
    monkeypatch.setattr(spare, "take", lambda wanted: taken.append(take(wanted)) or taken[-1])
    job_start = time.monotonic()
    result = grading.grade_submission(with_cell(lesson_course.prepare("einsum", 60), "print('ran')"))
    assert result.outcome == "graded", result.reason
    assert taken and taken[0] is waiting  # the job ran in the spare
    assert booted < job_start <= waiting.km.wall_clock_started
    assert nbformat.reads(result.notebook, as_version=4).cells[-1].outputs[0]["text"] == "ran\n"


def test_a_spare_that_does_not_fit_the_job_is_shut_down(lesson_course, spares):
    job = lesson_course.prepare("correct", 60)
    spare.start_next(job, "python3")
    waiting = spare._spare
    assert waiting is not None and run_sync(waiting.km.is_alive)()
    longer = grading.Job(**{**vars(job), "wall_limit": 120})  # another batch's limits
    assert spare.take(spare.key(longer, "python3")) is None
    assert spare._spare is None and not waiting.workdir.exists()
    assert not run_sync(waiting.km.is_alive)()


def test_a_job_in_a_spare_kernel_may_change_its_own_files(lesson_course, spares):
    first = lesson_course.prepare("correct", 60)
    grading.grade_submission(first)  # leaves a spare for the next job
    job = with_cell(lesson_course.prepare("einsum", 60),
                    "with open('backprop_lib/data.py', 'a') as f:\n    f.write('# edited while graded\\n')\nprint('edited')")
    result = grading.grade_submission(job)
    assert result.outcome == "graded"
    outputs = nbformat.reads(result.notebook, as_version=4).cells[-1].outputs
    assert [output.get("text") for output in outputs] == ["edited\n"], outputs


def started_manager():
    """A stand-in for a started kernel manager: alive until shut down."""
    async def alive():
        return True

    async def shut(now=False):
        pass

    return SimpleNamespace(is_alive=alive, shutdown_kernel=shut)


def test_the_next_kernel_starts_beside_the_current_submission(lesson_course, spares, monkeypatch):
    """start_next hands the start to the worker's starter thread and returns at once; taking the
    spare waits for it. Every start runs on the same thread, alive afterwards: a sandbox's
    parent-death signal fires when the thread that started it ends."""
    import threading

    release, threads = threading.Event(), []

    def held_start(config, workdir, wall_limit, kernel_name, env):
        threads.append(threading.current_thread())
        assert env["NBGRADER_EXECUTION"] == "autograde" and "PYTHONPATH" not in env
        release.wait(30)
        return started_manager()

    monkeypatch.setattr(spare, "start_kernel", held_start)
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    job = lesson_course.prepare("correct", 60)
    for _ in range(2):
        spare.start_next(job, "python3")
        waiting = spare._spare
        assert waiting is not None and not waiting.starting.done()  # still starting: not waited for
        release.set()
        assert spare.take(spare.key(job, "python3")) is waiting and waiting.km is not None
        waiting.folder.cleanup()
        release.clear()
    assert len(threads) == 2 and threads[0] is threads[1] and threads[0].is_alive()
    assert threads[0] is not threading.current_thread()


def test_a_forked_process_starts_its_spares_on_a_thread_of_its_own(lesson_course, spares, monkeypatch):
    """A LocalPool forked by a process that has used spares: the child has none of its threads."""
    monkeypatch.setattr(spare, "start_kernel", lambda *args: started_manager())
    job = lesson_course.prepare("correct", 60)
    spare.start_next(job, "python3")  # this process's starter thread now runs
    spare.take(spare.key(job, "python3")).folder.cleanup()
    child = os.fork()
    if child == 0:
        code = 1
        try:
            spare.start_next(job, "python3")
            code = 0 if spare._spare.starting.result(timeout=10) is not None else 1
            spare._spare.folder.cleanup()
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_spare_whose_start_failed_is_not_taken(lesson_course, spares, monkeypatch):
    def failing_start(*args):
        raise RuntimeError("no kernel here")

    monkeypatch.setattr(spare, "start_kernel", failing_start)
    job = lesson_course.prepare("correct", 60)
    spare.start_next(job, "python3")
    waiting = spare._spare
    assert waiting is not None
    assert spare.take(spare.key(job, "python3")) is None
    assert spare._spare is None and not waiting.workdir.exists()


def test_a_spare_that_gets_no_temporary_folder_is_not_started(lesson_course, spares, monkeypatch):
    """Started in a pool worker's initializer too: raising there would break the whole pool."""
    def no_folder(**kwargs):
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr(spare.tempfile, "TemporaryDirectory", no_folder)
    spare.start_next(*lesson_course.first_kernel(60))
    assert spare._spare is None


def test_a_job_with_no_job_after_it_starts_no_spare(lesson_course, spares):
    job = lesson_course.prepare("correct", 60)
    job.spare_after = False
    assert grading.grade_submission(job).outcome == "graded"
    assert spare._spare is None


def test_a_batch_starts_no_spare_for_its_last_job_in_each_worker(lesson_course, monkeypatch):
    """With 2 workers over 3 submissions, each worker's next job comes 2 jobs later: only the
    first job has one after it in its worker."""
    marks = []
    submit = grading.LocalPool.submit
    monkeypatch.setattr(grading.LocalPool, "submit",
                        lambda pool, job: marks.append(job.spare_after) or submit(pool, job))
    rows, failed = grading.autograde(lesson_course.dir, LESSON, workers=2, force=True, progress=False)
    assert not failed and len(rows) == len(STUDENTS)
    assert marks == [True, False, False]


def test_no_spare_outlives_its_local_pool(lesson_course):
    before = _kernels()
    pool = grading.LocalPool(1)
    try:
        result = pool.submit(lesson_course.prepare("correct", 60)).result()
        assert result.outcome == "graded"
        # the spare for a next job starts beside the job, and waits
        assert within(10, lambda: _kernels() - before)
    finally:
        pool.close()
    assert within(10, lambda: not _kernels() - before)


def _kernels():
    """Processes working in a grading folder: kernels, exec'd or forked."""
    return {path.name for path in Path("/proc").iterdir()
            if path.name.isdigit() and "/backprop-grade-" in _cwd(path)}


def test_every_job_of_the_lesson_takes_the_kernel_its_worker_started_first(lesson_course, spares, monkeypatch):
    """``Course.first_kernel``, which each local worker starts as it forks, fits every job of the
    lesson (the sanitized notebook runs in the source's kernel), and the first job takes it."""
    first = lesson_course.first_kernel(60)
    assert first is not None
    jobs = [lesson_course.prepare(student, 60) for student in STUDENTS]
    for job in jobs:
        name = notebook_from_text(job.notebook).metadata.kernelspec.name
        assert spare.key(job, name) == spare.key(*first)
    taken = []
    take = spare.take
    monkeypatch.setattr(spare, "take", lambda wanted: taken.append(take(wanted)) or taken[-1])
    spare.start_next(*first)
    started = spare._spare
    jobs[0].spare_after = False
    assert grading.grade_submission(jobs[0]).outcome == "graded"
    assert taken == [started] and spare._spare is None


def _grading_folders(pids):
    """The grading folders (a kernel's and its sandbox's processes work in one) of ``pids``."""
    return {_cwd(Path("/proc") / pid).partition("/backprop-grade-")[2].partition("/")[0] for pid in pids}


def test_a_pool_given_a_first_kernel_forks_its_workers_at_once_and_each_starts_one(lesson_course):
    before = _kernels()
    pool = grading.LocalPool(2, first_kernel=lesson_course.first_kernel(60))
    try:
        # no job submitted: the workers start them as they fork
        assert within(20, lambda: len(_grading_folders(_kernels() - before)) >= 2)
        assert len(_grading_folders(_kernels() - before)) == 2
        assert pool.submit(lesson_course.prepare("correct", 60)).result().outcome == "graded"
    finally:
        pool.close()
    assert within(10, lambda: not _kernels() - before)


def _cwd(path):
    try:
        return os.readlink(path / "cwd")
    except OSError:
        return ""
