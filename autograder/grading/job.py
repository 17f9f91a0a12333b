"""What the driver sends a worker (Job) and what comes back (Result): plain data, picklable, so the
same worker runs in a local process or on a Dask cluster with no access to the course."""

import json
from dataclasses import dataclass, field

from nbformat.v4 import nbjson

DEFAULT_WALL_LIMIT = 300.0  # seconds per submission; a lesson runs in a few seconds
# The outcome of a submission the grader failed on (a kernel that never started, a sandbox that
# could not be set up, a limit hit before the first cell): not the student's doing, so it gets no
# score and the next run grades it again.
GRADER_ERROR = "grader error"


def notebook_text(nb):
    """A notebook as a Job's or Result's JSON text. Not nbformat.writes: its schema validation,
    deep copy and indented pure-Python encoding cost ~4 ms a pass, paid four times per submission
    on the way between driver and worker; the notebook was validated when the driver read the
    student's file and is validated again when the autograded notebook is written."""
    return json.dumps(nb)


def notebook_from_text(text):
    """The notebook (nbformat's NotebookNode) in ``notebook_text``'s JSON, or in an .ipynb file's
    (lines split into lists), without validating it again."""
    return nbjson.reads(text)


class GraderError(Exception):
    """The grader itself failed (not a student's submission); the command exits non-zero."""


@dataclass
class Job:
    """Everything one submission's grading needs, so a worker needs no access to the course.

    files: the submitted folder as submitted, {relative path: bytes}; used as it is (the course
    machinery comes from the installed ``backprop_course`` package, nothing is put over it).
    notebook: the sanitized notebook (JSON text), or None when it could not be sanitized.
    config: {"Execute": {...}, "LimitOutput": {...}, ...} from the course's nbgrader_config.py.
    fingerprint: submission.fingerprint(files), stored with the result to detect a changed resubmission.
    flags: integrity flags found by the driver (links in the submission, which are never shipped).
    spare_after: whether the worker starts a kernel for a next job while grading this one (see
    ``spare``); False for a batch's last jobs, after which no job is left for that worker.
    """

    lesson: str
    student: str
    timestamp: str
    files: dict
    notebook: str
    config: dict
    wall_limit: float = DEFAULT_WALL_LIMIT
    reason: str = ""
    fingerprint: str = ""
    flags: list = field(default_factory=list)
    spare_after: bool = True


@dataclass
class Result:
    """What a worker sends back. outcome: graded | timeout | kernel died | not gradable | grader error
    (then ``reason`` names the step or limit that failed, and ``notebook`` is None).

    cpu: seconds per phase of this submission (see ``kernel_cpu.PHASES``), with "clock" saying
    whether they are the kernel's CPU seconds ("cpu", Linux) or wall seconds ("wall").
    """

    lesson: str
    student: str
    timestamp: str
    outcome: str
    reason: str = ""
    notebook: str = None
    flags: list = field(default_factory=list)
    seconds: float = 0.0
    fingerprint: str = ""
    cpu: dict = field(default_factory=dict)
