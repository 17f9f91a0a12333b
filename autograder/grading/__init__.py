"""``backprop-course autograde``: nbgrader's autograde split into one unit per submission, run in
parallel over disjoint students, with the gradebook written by this process only.

nbgrader's own pipeline for one notebook is: sanitize (ClearOutput, DeduplicateIds,
OverwriteKernelspec, OverwriteCells, CheckCellMetadata; reads the gradebook), execute (Execute,
IgnorePattern, ClearMetadataPreprocessor, LimitOutput; no gradebook), save (SaveAutoGrades,
AssignLatePenalties, CheckCellMetadata; writes the gradebook). Here the driver sanitizes, a worker
executes, and the driver saves:

    driver:  Course.prepare(student) -> Job            (reads submitted/, reads and writes the gradebook)
    worker:  grade_submission(Job) -> Result           (temp folder, sandboxed kernel, no course access)
    driver:  Course.record(Result) -> row              (writes autograded/, gradebook, grading/<lesson>/)

so one submission never touches another's files, two runs never overlap (an OS lock held for the
run), an interrupted run resumes (a submission whose files and timestamp were already recorded,
whole, is skipped; ``record`` writes all or nothing),
and the same ``grade_submission`` runs in a local process pool or on a Dask cluster. The
submission is graded as submitted: nothing of the instructor's is put over it (the course
machinery comes from the installed ``backprop_course`` package, which the sandbox mounts
read-only). Cells tagged "demo" (plots, widgets) are not run.

A submission that breaks (timeout, dead kernel, unreadable notebook) still gets a recorded score:
test cells that ran keep their result, those that never ran score 0 (nbgrader would lose the
whole notebook). A failure of the grader itself (a kernel that never started: retried once) is
recorded as "grader error" with no score, graded again by the next run, and makes the command
exit non-zero.

Modules: ``job`` (Job, Result), ``worker`` (grade_submission and its preprocessor lists),
``grading_execute`` (the sandboxed Execute), ``spare`` (the next submission's kernel, started while a
worker grades the current one), ``kernel_cpu`` (CPU seconds per phase), ``driver`` (Course),
``lock`` (CourseLock), ``pools`` (LocalPool, DaskPool), ``batch`` (autograde), ``progress``
(Progress, summary_table), ``autograde_command`` (the command) and ``preprocessors`` (one notebook transform each).
"""

from .batch import autograde
from .autograde_command import add_autograde, cmd_autograde
from .driver import DEMO_TAG, MAX_FILE_BYTES, RESULTS, Course, is_whole
from .job import DEFAULT_WALL_LIMIT, GRADER_ERROR, GraderError, Job, Result
from .lock import LOCK_NAME, CourseLock
from .pools import DaskPool, LocalPool
from .progress import Progress, summary_table
from .worker import grade_submission

__all__ = ["DEFAULT_WALL_LIMIT", "DEMO_TAG", "GRADER_ERROR", "LOCK_NAME", "MAX_FILE_BYTES", "RESULTS", "Course",
           "CourseLock", "DaskPool", "GraderError", "Job", "LocalPool", "Progress", "Result",
           "add_autograde", "autograde", "cmd_autograde", "grade_submission", "is_whole",
           "summary_table"]
