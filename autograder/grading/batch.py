"""The scheduler: every submission of a lesson through prepare -> worker -> record, a bounded
number in flight, under the course lock; one bad submission never stops the batch."""

import sys

from .. import nbgrader_course
from .. import sandbox
from .driver import Course
from .interrupts import BatchInterrupts
from .job import DEFAULT_WALL_LIMIT, GRADER_ERROR
from .lock import CourseLock
from .pools import DaskPool, LocalPool
from .progress import Progress
from .shared_gradebook import one_engine


def autograde(course_dir, lesson, workers=2, student=None, dask=None, force=False,
              wall_limit=DEFAULT_WALL_LIMIT, progress=True):
    """Grade every submission of ``lesson`` (or those whose student ID matches ``student``).

    Returns the rows (one per submission, skipped ones included) and whether the grader failed
    on any (a GRADER_ERROR row: recorded without a score, graded again by the next run).
    """
    if dask:  # before the course is read
        DaskPool.check_address(dask)
    course = Course(course_dir, lesson)
    with one_engine(course.db_url):
        return _grade_all(course, workers, student, dask, force, wall_limit, progress)


def _grade_all(course, workers, student, dask, force, wall_limit, progress):
    lesson = course.lesson
    students = course.students(student)
    if not students:
        where = course.dir / "submitted" / "<student>" / lesson
        raise nbgrader_course.CourseError(f"no submissions match: expected folders like {where}")
    rows = []
    with CourseLock(course.dir), BatchInterrupts().installed() as interrupts:
        todo = []
        for name in students:
            previous = None if force else course.already_graded(name)
            if previous is not None:
                # The score as the gradebook has it now (hand grading may have changed it).
                score, max_score = course.score(name)
                rows.append({**previous, "outcome": "skipped", "score": score, "max_score": max_score,
                             "reason": "already graded (same files and timestamp)"})
            else:
                todo.append(name)
        # Made first: the kernels' zygotes start and the workers fork and start their first
        # kernels (LocalPool) while the rest is made ready.
        pool = DaskPool(dask) if dask else LocalPool(
            max(1, min(workers, len(todo))), course.kernel_limits(wall_limit) if todo else None,
            course.first_kernel(wall_limit) if todo else None)
        in_flight = {}
        limit = 2 * (workers if not dask else max(len(todo), 1))
        try:
            sandbox.leftovers.clean()  # what a killed run left in the temp folder
            if nbgrader_course.make_private(course.dir):
                print(f"note: {course.dir} was open to other users (sandbox uids too): made it "
                      "private (chmod o-rwx)", file=sys.stderr)
            if todo and not dask:  # one line before grading starts, naming what this machine lacks
                sandbox.warn_weak_isolation()
            bar = Progress(len(todo), f"autograde {lesson}") if progress and todo else None
            queue = list(todo)
            while queue or in_flight:
                interrupts.check()
                while queue and len(in_flight) < limit:
                    name = queue.pop(0)
                    try:
                        job = course.prepare(name, wall_limit)
                        # Each worker takes about every workers-th job: with fewer left after this
                        # one, the kernel a spare would start for its worker's next job is never used.
                        job.spare_after = len(queue) >= workers
                        in_flight[pool.submit(job)] = name
                    except Exception as err:  # the gradebook or submitted/ unreadable: ours to fix
                        rows.append(grader_error(course, name, err))
                        if bar:
                            bar.update(rows[-1])
                done = pool.wait_first(list(in_flight))
                interrupts.check()  # one a finalizer dropped while this waited or prepared
                for future in done:
                    name = in_flight.pop(future)
                    with interrupts.deferred():  # a Ctrl-C waits for the record to be whole
                        try:
                            row = course.record(future.result())
                        except Exception as err:  # a worker process that died, a lost Dask worker
                            row = grader_error(course, name, err)
                    rows.append(row)
                    if bar:
                        bar.update(row)
        except KeyboardInterrupt:
            pool.abort()
            raise
        finally:
            pool.close()
    rows.sort(key=lambda row: row["student"])
    return rows, any(row["outcome"] == GRADER_ERROR for row in rows)


def grader_error(course, student, err):
    """The row of a submission the grader failed on, recorded without a score when the course
    can still be written (``Course.record_failure``), so the next run grades it again."""
    reason = f"{type(err).__name__}: {err}".splitlines()[0][:200]
    try:
        return course.record_failure(student, reason)
    except Exception:  # the gradebook itself is unwritable: nothing is recorded, the row says why
        return {"student": student, "lesson": course.lesson, "timestamp": course.timestamp(student),
                "outcome": GRADER_ERROR, "reason": reason, "score": None, "max_score": None,
                "flags": [], "seconds": 0.0}
