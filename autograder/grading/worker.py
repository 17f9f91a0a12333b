"""The worker side: ``grade_submission(Job) -> Result`` in a private temporary folder, with no
access to the course (so it runs in a local process or on a Dask worker alike)."""

import tempfile
import time
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import IgnorePattern, LimitOutput
from traitlets.config import Config

from .. import integrity, sandbox
from . import spare
from .grading_execute import run_notebook
from .job import GRADER_ERROR, Result, notebook_from_text, notebook_text
from .preprocessors import (AddCanaries, CapOutputs, FailUnrunCells, JudgeChecks, MinimalTracebacks,
                            ScrubHiddenLines, VerifyCanaries)

BEFORE_EXECUTION = (AddCanaries,)
# VerifyCanaries after FailUnrunCells (a cell that never ran is not a skipped one) and before
# CapOutputs (a canary line cut off with the excess would look like a skipped test); JudgeChecks
# after both: a judged cell's score is its verdict alone (the canaries' flags stay for review).
GRADER_ATTEMPTS = 2  # a run failing before its first cell is retried once
AFTER_EXECUTION = (FailUnrunCells, VerifyCanaries, JudgeChecks, MinimalTracebacks, ScrubHiddenLines,
                   CapOutputs, IgnorePattern, ClearMetadataPreprocessor, LimitOutput)


def write_files(folder, files):
    """Write {relative path: bytes} under ``folder`` (a symlink in the way is replaced, not followed)."""
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        path.write_bytes(data)


def apply(steps, nb, resources, config):
    for step in steps:
        nb, resources = step(config=config)(nb, resources)
    return nb, resources


def execute_once(job, workdir, config, started_km):
    """The sanitized notebook through BEFORE_EXECUTION, the kernel and AFTER_EXECUTION.
    Returns (nb, outcome, reason, the steps' "grading" state, {phase: seconds})."""
    nb = notebook_from_text(job.notebook)
    # The token of the integrity guard the kernel installs as it starts (a spare's: its own).
    token = started_km.guard_token if started_km is not None else integrity.new_token()
    resources = {"grading": {"notebook_name": f"{job.lesson}.ipynb", "guard_token": token}}
    nb, resources = apply(BEFORE_EXECUTION, nb, resources, config)
    nb, outcome, reason, executed, cpu = run_notebook(nb, workdir, config, job.wall_limit,
                                                      started_km=started_km, guard_token=token)
    if outcome == GRADER_ERROR:
        return nb, outcome, reason, {}, cpu
    resources["grading"].update(outcome=outcome, reason=reason, executed=executed)
    nb, resources = apply(AFTER_EXECUTION, nb, resources, config)
    return nb, outcome, reason, resources["grading"], cpu


def grade_submission(job):
    """Grade one submission: Job in, Result out. Never raises for anything the submission does.

    Runs backprop_course.autograder.integrity's static scan on the files as submitted, then BEFORE_EXECUTION,
    executes the sanitized notebook in a sandboxed kernel (per-cell timeout, wall-clock limit for
    the whole submission; cells tagged as ``c.Execute.skip_cells_with_tag`` are not run), then
    AFTER_EXECUTION: this package's preprocessors and nbgrader's output steps. The kernel is the
    spare started during the previous submission when there is one (see ``spare``), and the
    next submission's spare starts before this one runs (unless ``job.spare_after`` says no job
    is left for it). A run that fails before its first cell
    (the grader's fault, not the student's) is tried once more with a new kernel; failing again,
    the result is a GRADER_ERROR with no notebook.
    """
    start = time.monotonic()
    result = Result(job.lesson, job.student, job.timestamp, "not gradable", job.reason,
                    fingerprint=job.fingerprint)
    nb = notebook_from_text(job.notebook) if job.notebook is not None else None
    kernel_name = nb.metadata.get("kernelspec", {}).get("name", "") if nb is not None else ""
    ready = spare.take(spare.key(job, kernel_name)) if nb is not None else None
    folder = ready.folder if ready else tempfile.TemporaryDirectory(prefix=sandbox.leftovers.prefix("backprop-grade-"))
    with folder as tmp:
        workdir = Path(tmp) / job.lesson
        workdir.mkdir(exist_ok=True)
        write_files(workdir, job.files)
        result.flags = [*job.flags, *integrity.scan(workdir)]
        if nb is not None:
            # The kernel gets the cells to run, never a notebook file: the sanitized notebook holds
            # the gradebook's test cells, which the working copy must not.
            if ready:
                ready.km.give(workdir)
            if job.spare_after:
                spare.start_next(job, kernel_name)
            config = Config(job.config)
            for attempt in range(1, GRADER_ATTEMPTS + 1):  # the spare's kernel only at first
                run = execute_once(job, workdir, config, ready.km if ready and attempt == 1 else None)
                if run[1] != GRADER_ERROR:
                    break
            nb, outcome, reason, state, result.cpu = run
            if outcome == GRADER_ERROR:  # twice: recorded without a score, graded again next run
                result.outcome, result.reason = outcome, f"{reason} (failed {attempt} times)"
                result.seconds = time.monotonic() - start
                return result
            if state.get("dropped_bytes"):
                note = f"{state['dropped_bytes'] / 1e6:.1f} MB of cell output not kept"
                reason = f"{reason}; {note}" if reason else note
            result.outcome = outcome
            # Both: the driver's reason (a file over 5 MB not shipped) stays once the notebook grades.
            result.reason = "; ".join(part for part in (job.reason, reason) if part)
            result.flags += state.get("flags", [])
            result.notebook = notebook_text(nb)
    result.seconds = time.monotonic() - start
    return result
