"""``backprop-course autograde``: nbgrader's autograde split into one unit per submission, run in
parallel over disjoint students, with the gradebook written by this process only.

nbgrader's own pipeline for one notebook is: sanitize (ClearOutput, DeduplicateIds,
OverwriteKernelspec, OverwriteCells, CheckCellMetadata; reads the gradebook), execute (Execute,
IgnorePattern, ClearMetadataPreprocessor, LimitOutput; no gradebook), save (SaveAutoGrades,
AssignLatePenalties, CheckCellMetadata; writes the gradebook). Here the driver sanitizes, a worker
executes, and the driver saves:

    driver:  prepare(student) -> Job            (reads submitted/, reads and writes the gradebook)
    worker:  grade_submission(Job) -> Result    (temp folder, kernel, no course access at all)
    driver:  record(Result) -> Row              (writes autograded/, gradebook, grading/<lesson>/)

so one submission never touches another's files, two runs never overlap (a lock file), an
interrupted run resumes (a submission whose files and timestamp were already recorded is skipped),
and the same ``grade_submission`` runs in a local process pool or on a Dask cluster.

A submission that breaks (timeout, dead kernel, unreadable notebook) still gets a recorded score:
test cells that ran keep their result, those that never ran score 0 (nbgrader would lose the
whole notebook). Only a failure of the grader itself makes the command exit non-zero.
"""

import fnmatch
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import course as course_module
from . import import_guard, sandbox, submission

LOCK_NAME = ".autograde.lock"
RESULTS = "grading"  # DIR/grading/<lesson>/<student>.json: outcome, reason, flags; never handed out
MAX_FILE_BYTES = 5_000_000  # larger submitted files are not shipped to a worker (the reason says so)
DEFAULT_WALL_LIMIT = 300.0  # seconds per submission; a lesson runs in a few seconds
# Output kept per code cell and per notebook after execution. nbgrader's LimitOutput counts lines
# only: 200 lines of 1 MB each would be stored, pickled back from the worker and put in feedback.
MAX_CELL_OUTPUT_BYTES = 500_000
MAX_NOTEBOOK_OUTPUT_BYTES = 2_000_000
MAX_ERROR_CHARS = 1_000  # per error text (evalue, traceback line); error outputs are never dropped
NOT_RUN = "NotRun"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


class GraderError(Exception):
    """The grader itself failed (not a student's submission); the command exits non-zero."""


@dataclass
class Job:
    """Everything one submission's grading needs, so a worker needs no access to the course.

    files: the submitted folder as submitted, {relative path: bytes}.
    notebook: the sanitized notebook (JSON text), or None when it could not be sanitized.
    overlay: the instructor's files that replace the student's ({relative path: bytes}).
    config: {"Execute": {...}, "LimitOutput": {...}, ...} from the course's nbgrader_config.py.
    fingerprint: submission.fingerprint(files), stored with the result to detect a changed resubmission.
    """

    lesson: str
    student: str
    timestamp: str
    files: dict
    notebook: str
    overlay: dict
    config: dict
    wall_limit: float = DEFAULT_WALL_LIMIT
    reason: str = ""
    fingerprint: str = ""


@dataclass
class Result:
    """What a worker sends back. outcome: graded | timeout | kernel died | not gradable | grader error."""

    lesson: str
    student: str
    timestamp: str
    outcome: str
    reason: str = ""
    notebook: str = None
    flags: list = field(default_factory=list)
    seconds: float = 0.0
    fingerprint: str = ""


# ---- the worker side ----------------------------------------------------------------------------

def _kernel_manager_class(wall_limit):
    """autograder.sandbox's kernel manager class (rlimits, isolation, wall-clock kill) when that
    module exists, else jupyter_client's plain AsyncKernelManager (the driver's timer still kills
    the kernel at the wall-clock limit)."""
    try:
        from . import sandbox
    except ImportError:
        from jupyter_client.manager import AsyncKernelManager

        return AsyncKernelManager
    return sandbox.kernel_manager_for(sandbox.Limits(wall_seconds=wall_limit))


def _integrity():
    """autograder.integrity (static scan and per-test-cell canaries), or None without it."""
    try:
        from . import integrity
    except ImportError:
        return None
    return integrity


def _write_files(folder, files):
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            path.unlink()
        path.write_bytes(data)


def _execute(nb, workdir, job, integrity=None):
    """Run the notebook in ``workdir`` under the job's limits; with ``integrity``, every test cell
    must also print its canary. Returns (nb, outcome, reason, run-time flags)."""
    from nbclient.exceptions import DeadKernelError
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    executed, made = set(), {}

    class Recording(Execute):
        def create_kernel_manager(self):
            # nbclient drops self.km when the kernel dies; keep it for its killed_reason.
            made["km"] = super().create_kernel_manager()
            return made["km"]

        def on_cell_executed(self, **kwargs):
            executed.add(kwargs["cell_index"])
            super().on_cell_executed(**kwargs)

    kernel_env = {"NBGRADER_EXECUTION": "autograde"}  # as nbgrader's autograde sets it
    config = Config(job.config)
    # backprop_lib from the working copy only, never the grader's installed skeleton.
    config.Execute.extra_arguments = [*config.Execute.get("extra_arguments", []),
                                      import_guard.kernel_argument(workdir)]
    # A keyword, not config: nbgrader's Execute.__init__ passes its own class as a keyword.
    # Immediate shutdown: every output is in by then, and a graceful one waits for the kernel.
    runner = Recording(config=config, kernel_manager_class=_kernel_manager_class(job.wall_limit),
                       shutdown_kernel="immediate")
    timed_out = threading.Event()

    def kill_kernel():
        # The kernel runs in its own session (jupyter_client), so its whole process group goes.
        timed_out.set()
        provisioner = getattr(made.get("km"), "provisioner", None)
        pgid = getattr(provisioner, "pgid", None) or getattr(getattr(provisioner, "process", None), "pid", None)
        if pgid:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    # A backstop to the sandbox's own wall-clock kill (and the only one without a sandbox).
    timer = threading.Timer(job.wall_limit + 5, kill_kernel)
    timer.start()
    outcome, reason = "graded", ""
    resources = {"metadata": {"path": str(workdir)}}
    saved = {key: os.environ.get(key) for key in (*kernel_env, "PYTHONPATH")}
    os.environ.update(kernel_env)
    # A PYTHONPATH entry would come before the submission's folder in the kernel's sys.path.
    os.environ.pop("PYTHONPATH", None)
    token = integrity.add_canaries(nb) if integrity is not None else None
    try:
        nb, _ = runner.preprocess(nb, resources)
    except Exception as err:  # DeadKernelError, or any way a kernel fails to start or answer
        nb = getattr(runner, "nb", nb)
        killed = getattr(made.get("km"), "killed_reason", None)
        if killed or timed_out.is_set():
            outcome, reason = "timeout", killed or f"wall-clock limit of {job.wall_limit:g} s reached"
        elif isinstance(err, DeadKernelError):
            outcome, reason = "kernel died", "the kernel died (a crash, os._exit or a resource limit)"
        else:
            outcome = "kernel died"
            reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]
    finally:
        timer.cancel()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if outcome != "graded":
        _fail_unrun_grade_cells(nb, executed, reason)
    flags = integrity.verify_canaries(nb, token, f"{job.lesson}.ipynb") if token else []
    _minimal_tracebacks(nb)
    _scrub_hidden_lines(nb)
    # After verify_canaries: a canary line cut off with the excess would look like a skipped test.
    dropped = _cap_outputs(nb)
    if dropped:
        note = f"{dropped / 1e6:.1f} MB of cell output not kept"
        reason = f"{reason}; {note}" if reason else note
    return nb, outcome, reason, list(flags)


def _cap_outputs(nb):
    """Keep at most MAX_CELL_OUTPUT_BYTES of output per code cell and MAX_NOTEBOOK_OUTPUT_BYTES
    per notebook (in place); the excess of a cell is replaced by one line saying so. Error outputs
    always stay (shortened): an error is what makes a test cell score 0. Returns the bytes dropped."""
    from nbformat import NotebookNode

    left, total_dropped = MAX_NOTEBOOK_OUTPUT_BYTES, 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        allowed = min(MAX_CELL_OUTPUT_BYTES, left)
        budget, kept, dropped = allowed, [], 0
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.evalue = str(output.get("evalue", ""))[:MAX_ERROR_CHARS]
                output.traceback = [line[:MAX_ERROR_CHARS] for line in output.get("traceback", [])]
                kept.append(output)
                continue
            data = output.text.encode() if output.output_type == "stream" else json.dumps(output).encode()
            if len(data) <= budget:
                kept.append(output)
                budget -= len(data)
                continue
            dropped += len(data) - budget
            if output.output_type == "stream" and budget > 0:  # keep the start of the text
                output.text = data[:budget].decode(errors="ignore")
                kept.append(output)
            budget = 0
        if dropped:
            kept.append(NotebookNode(output_type="stream", name="stdout", text=(
                f"[grader: {dropped:,} more bytes of output not kept; at most "
                f"{MAX_CELL_OUTPUT_BYTES:,} per cell and {MAX_NOTEBOOK_OUTPUT_BYTES:,} per notebook]\n")))
            cell.outputs = kept
        left -= allowed - budget
        total_dropped += dropped
    return total_dropped


def _scrub_hidden_lines(nb):
    """Replace any output line that quotes a hidden-test line (a warning prints the line it came
    from) with a placeholder, so feedback never shows hidden-test source."""
    hidden = set()
    for cell in nb.cells:
        if HIDDEN_BEGIN in cell.source:
            region = cell.source.split(HIDDEN_BEGIN, 1)[1].split(HIDDEN_END, 1)[0]
            hidden |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 12}
    if not hidden:
        return
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = "".join("    [a line of a hidden test]\n" if line.strip() in hidden else line
                                      for line in output.text.splitlines(keepends=True))


def _minimal_tracebacks(nb):
    """Cut every error output to one line. IPython's xmode=Minimal does not apply to a SyntaxError:
    its traceback quotes the cell line that imported the broken file, which can be a hidden test
    (seen with lesson 5), and grader paths. The one-line renderings of backprop_lib.checks stay."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            lines = "".join(output.get("traceback", [])).strip("\n").splitlines()
            if output.output_type == "error" and len(lines) != 1:
                evalue = str(output.get("evalue", "")).splitlines()[0] if output.get("evalue") else ""
                output.traceback = [f"{output.ename}: {evalue}".rstrip(": ")]


def _fail_unrun_grade_cells(nb, executed, reason):
    """Give each graded code cell that never finished an error output, so it scores 0 rather than
    the full points nbgrader gives a test cell without an error."""
    from nbformat import NotebookNode

    for index, cell in enumerate(nb.cells):
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and grading.get("grade") and index not in executed:
            cell.outputs = [output for output in cell.get("outputs", []) if output.output_type != "error"]
            cell.outputs.append(NotebookNode(output_type="error", ename=NOT_RUN, evalue=reason,
                                             traceback=[f"{NOT_RUN}: {reason}"]))


def grade_submission(job):
    """Grade one submission in a private temporary folder: Job in, Result out.

    Runs autograder.integrity's static scan on the files as submitted, puts the instructor's files
    over them, executes the sanitized notebook (its kernel from autograder.sandbox; canaries in
    every test cell) with a per-cell timeout and a wall-clock limit for the whole submission,
    caps the bytes of output kept, then applies nbgrader's output steps (IgnorePattern,
    ClearMetadataPreprocessor, LimitOutput).
    Never raises for anything the submission does.
    """
    import nbformat
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import IgnorePattern, LimitOutput
    from traitlets.config import Config

    start = time.monotonic()
    result = Result(job.lesson, job.student, job.timestamp, "not gradable", job.reason,
                    fingerprint=job.fingerprint)
    with tempfile.TemporaryDirectory(prefix="backprop-grade-") as tmp:
        workdir = Path(tmp) / job.lesson
        workdir.mkdir()
        _write_files(workdir, job.files)
        integrity = _integrity()
        if integrity is not None:
            result.flags = list(integrity.scan(workdir, instructor_files=job.overlay))
        _write_files(workdir, job.overlay)
        if job.notebook is not None:
            nb = nbformat.reads(job.notebook, as_version=4)
            (workdir / f"{job.lesson}.ipynb").write_text(job.notebook)
            nb, result.outcome, reason, flags = _execute(nb, workdir, job, integrity)
            # Both: the driver's reason (a file over 5 MB not shipped) stays once the notebook grades.
            result.reason = "; ".join(part for part in (job.reason, reason) if part)
            result.flags += flags
            config = Config(job.config)
            resources = {}
            for step in (IgnorePattern, ClearMetadataPreprocessor, LimitOutput):
                nb, resources = step(config=config)(nb, resources)
            result.notebook = nbformat.writes(nb)
    result.seconds = time.monotonic() - start
    return result


# ---- the driver side ------------------------------------------------------------------------------

def _parse_timestamp(text):
    """timestamp.txt as a datetime, or None when empty or unreadable (nbgrader's own reader exits
    the whole run on a bad one)."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


class CourseLock:
    """DIR/.autograde.lock holding the pid of the run; a lock whose process is gone is taken over."""

    def __init__(self, course_dir):
        self.path = Path(course_dir) / LOCK_NAME

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._holder()
                if pid and _alive(pid):
                    raise course_module.CourseError(
                        f"another autograde (pid {pid}) is running on this course: wait for it to "
                        f"finish (or, if that process is not an autograde, delete {self.path})") from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()}\n")
            return self
        raise course_module.CourseError(f"could not take the lock {self.path}: delete it and retry")

    def _holder(self):
        try:
            return int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def __exit__(self, *exc):
        if self._holder() == os.getpid():
            self.path.unlink(missing_ok=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _restoring_overwrite_cells(release_nb):
    """nbgrader's OverwriteCells whose restoring of deleted test cells works for any notebook.

    nbgrader 0.9.6 puts a deleted grade cell after "the previous solution or grade cell" and raises
    KeyError when the cell before it is anything else (here: a locked setup or markdown cell, as
    in every lesson). This puts a missing grade cell in place of the submission's cell with the
    same cell id when that cell lost its nbgrader metadata (stripped metadata), else after the
    nearest earlier cell of the release (``release_nb``) that is still in the submission.
    """
    from nbgrader.preprocessors import OverwriteCells

    order = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in release_nb.cells]
    cell_ids = {grade_id: cell.get("id") for grade_id, cell in zip(order, release_nb.cells) if grade_id}

    class RestoringOverwriteCells(OverwriteCells):
        def preprocess_cell(self, cell, resources, index):
            cell, resources = super().preprocess_cell(cell, resources, index)
            # nbgrader metadata without a grade_id (DeduplicateIds empties a pasted duplicate's,
            # nbgrader deletes a grade_id the gradebook does not know) makes nbgrader's own
            # add_missing_task_cells raise KeyError; such a cell is plain student content.
            if "nbgrader" in cell.metadata and "grade_id" not in cell.metadata.nbgrader:
                del cell.metadata["nbgrader"]
            return cell, resources

        def add_missing_grade_cells(self, nb, resources):
            source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
            sources = {cell.name: cell for cell in source_nb.source_cells}
            solutions = {cell.name for cell in source_nb.solution_cells}
            for grade_cell in source_nb.grade_cells:
                present = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
                if grade_cell.name in present:
                    continue
                self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
                cell = self.missing_cell_transform(sources[grade_cell.name], grade_cell.max_score,
                                                   is_solution=grade_cell.name in solutions)
                wanted = cell_ids.get(grade_cell.name)
                same_id = next((i for i, existing in enumerate(nb.cells)
                                if wanted and existing.get("id") == wanted and present[i] is None), None)
                if same_id is not None:
                    # The cell itself, metadata stripped: restored where it was, so it runs after
                    # the set-up it needs. A written answer keeps the student's text.
                    if grade_cell.name in solutions:
                        cell.source = nb.cells[same_id].source
                    cell["id"] = nb.cells[same_id]["id"]
                    nb.cells[same_id] = cell
                    continue
                taken = {existing.get("id") for existing in nb.cells}
                cell["id"] = next(candidate for candidate in (
                    (re.sub(r"[^A-Za-z0-9_-]", "-", grade_cell.name)[:40] or "restored") + suffix
                    for suffix in ("", *(f"-restored{i}" for i in range(1, len(nb.cells) + 2))))
                    if candidate not in taken)
                earlier = order[:order.index(grade_cell.name)] if grade_cell.name in order else []
                anchor = next((present.index(name) for name in reversed(earlier) if name in present), -1)
                nb.cells.insert(anchor + 1, cell)
            return nb, resources

    return RestoringOverwriteCells


class Course:
    """The driver's view of one lesson in a course: paths, config, and the gradebook."""

    def __init__(self, course_dir, lesson):
        import nbformat
        from nbgrader.coursedir import CourseDirectory

        self.dir = course_module.require_course(course_dir)
        course_module.tools_on_path()
        self.lesson = lesson
        self.config = course_module.load_config(self.dir)
        self.coursedir = CourseDirectory(config=self.config)
        self.coursedir.root = str(self.dir)
        self.db_url = self.coursedir.db_url
        self.source = self.dir / "source" / lesson
        self.results = self.dir / RESULTS / lesson
        if not (self.dir / "release" / lesson / f"{lesson}.ipynb").exists():
            raise course_module.CourseError(
                f"lesson {lesson!r} is not released in {self.dir}: run "
                f"`backprop-course release {lesson} --course {self.dir}` first")
        exclude = set(self.config.Autograde.get("exclude_overwriting", {}).get(lesson, []))
        # The student's library files: never overwritten, so a submission without one is not gradable.
        self.required = sorted(exclude)
        self.overlay = {str(path.relative_to(self.source)): path.read_bytes()
                        for path in sorted(self.source.rglob("*"))
                        if path.is_file() and path.suffix != ".ipynb" and not self._ignored(path)
                        and str(path.relative_to(self.source)) not in exclude}
        release_nb = nbformat.read(self.dir / "release" / lesson / f"{lesson}.ipynb", as_version=4)
        self.restore_cells = _restoring_overwrite_cells(release_nb)
        # SandboxedKernelManager: the kernel's limits (c.SandboxedKernelManager.memory_mb = ...);
        # the wall clock per submission is `autograde --timeout`, which the driver also enforces.
        self.job_config = {section: dict(self.config[section]) for section in
                           ("Execute", "IgnorePattern", "ClearMetadataPreprocessor", "LimitOutput",
                            "NbGraderPreprocessor", "SandboxedKernelManager") if section in self.config}

    def _ignored(self, path):
        return any(fnmatch.fnmatch(part, pattern) for part in path.parts
                   for pattern in self.coursedir.ignore)

    def submitted(self, student):
        return self.dir / "submitted" / student / self.lesson

    def autograded(self, student):
        return self.dir / "autograded" / student / self.lesson

    def students(self, pattern=None):
        """Students with a submission of this lesson, optionally only those matching a glob."""
        base = self.dir / "submitted"
        found = sorted(path.parent.name for path in base.glob(f"*/{self.lesson}") if path.is_dir()) \
            if base.exists() else []
        return [name for name in found if pattern is None or fnmatch.fnmatch(name, pattern)]

    def timestamp(self, student):
        path = self.submitted(student) / "timestamp.txt"
        return path.read_text().strip() if path.exists() else ""

    def resources(self, student):
        return {"nbgrader": {"student": student, "assignment": self.lesson, "notebook": self.lesson,
                             "db_url": self.db_url}, "unique_key": self.lesson}

    def already_graded(self, student):
        """The stored result, if this exact submission (same files and timestamp) was recorded before."""
        path = self.results / f"{student}.json"
        if not path.exists():
            return None
        row = json.loads(path.read_text())
        same = (row.get("timestamp") == self.timestamp(student)
                and row.get("fingerprint") == submission.fingerprint(self.shipped_files(student)[0]))
        return row if same else None

    def shipped_files(self, student):
        """({relative path: bytes} of the submitted files a worker gets, [reasons for files left out])."""
        folder = self.submitted(student)
        files, reasons = {}, []
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and not self._ignored(path):
                # The notebook is always shipped: its saved outputs can make it large.
                if path.stat().st_size > MAX_FILE_BYTES and path.name != f"{self.lesson}.ipynb":
                    reasons.append(f"{path.relative_to(folder)} is over {MAX_FILE_BYTES // 1_000_000} MB, not graded")
                    continue
                files[str(path.relative_to(folder))] = path.read_bytes()
        return files, reasons

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.coursedir.course_id)

    def prepare(self, student, wall_limit):
        """Register the submission in the gradebook and build its Job (sanitized notebook)."""
        import nbformat

        folder = self.submitted(student)
        timestamp = self.timestamp(student)
        with warnings.catch_warnings(), self.gradebook() as gb:
            # nbgrader's update_or_create_submission trips SQLAlchemy autoflush warnings on every
            # new submission; the rows are written correctly.
            warnings.simplefilter("ignore", category=Warning)
            gb.update_or_create_student(student)
            when = _parse_timestamp(timestamp)
            if when is not None:
                gb.update_or_create_submission(self.lesson, student, timestamp=when)
            else:
                gb.update_or_create_submission(self.lesson, student)
        files, reasons = self.shipped_files(student)
        job = Job(self.lesson, student, timestamp, files, None, self.overlay, self.job_config,
                  wall_limit, "; ".join(reasons), submission.fingerprint(files))
        notebook = folder / f"{self.lesson}.ipynb"
        # A missing library file: a kernel would have nothing of the student's to import.
        missing = submission.missing_reason(files, self.required)
        if not notebook.exists():
            job.reason = "; ".join(part for part in (f"no {notebook.name} in the submission", missing) if part)
            return job
        if missing:
            job.reason = "; ".join([*reasons, missing])
            return job
        try:
            nb = nbformat.read(notebook, as_version=4)
        except Exception as err:  # corrupt JSON, non-UTF-8 bytes, not a notebook at all
            job.reason = f"{notebook.name} is not a readable notebook ({type(err).__name__})"
            return job
        try:
            nb = self._sanitize(nb, student)
        except Exception as err:
            job.reason = f"{notebook.name} could not be sanitized ({type(err).__name__}: {str(err)[:120]})"
            return job
        job.notebook = nbformat.writes(nb)
        return job

    def _sanitize(self, nb, student):
        """nbgrader's sanitize steps; a cell whose nbgrader metadata is invalid (e.g. copied from an
        old notebook, nbgrader's SchemaTooOldError) loses that metadata and the steps run again, so
        OverwriteCells restores the real test cell instead of the whole batch aborting."""
        import copy

        from nbgrader.nbgraderformat import MetadataValidator
        from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds,
                                            OverwriteKernelspec)

        def run(notebook):
            resources = self.resources(student)
            for step in (ClearOutput, DeduplicateIds, OverwriteKernelspec, self.restore_cells, CheckCellMetadata):
                notebook, resources = step(config=self.config)(notebook, resources)
            return notebook

        try:
            return run(copy.deepcopy(nb))
        except Exception:
            validator = MetadataValidator()
            for cell in nb.cells:
                try:
                    validator.validate_cell(cell)
                except Exception:
                    cell.metadata.pop("nbgrader", None)
            return run(nb)

    def record(self, result):
        """Save a worker's result: gradebook scores, autograded folder, result file. Returns a row."""
        import nbformat
        from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

        dest = self.autograded(result.student)
        if dest.exists():
            shutil.rmtree(dest)
        if result.notebook is not None:
            nb = nbformat.reads(result.notebook, as_version=4)
            resources = self.resources(result.student)
            for step in (SaveAutoGrades, AssignLatePenalties, CheckCellMetadata):
                nb, resources = step(config=self.config)(nb, resources)
            # As nbgrader: the submission's files, then the instructor's over them, then the notebook.
            # No other notebook (a "-Copy1.ipynb"): it is not in the gradebook, and generate_feedback
            # converts every notebook in autograded/ and fails on it.
            shutil.copytree(self.submitted(result.student), dest, symlinks=True,
                            ignore=shutil.ignore_patterns(*self.coursedir.ignore, "*.ipynb"))
            _write_files(dest, self.overlay)
            (dest / f"{self.lesson}.ipynb").write_text(nbformat.writes(nb))
        else:
            self._zero(result.student)
        score, max_score = self.score(result.student)
        row = {"student": result.student, "lesson": self.lesson, "timestamp": result.timestamp,
               "outcome": result.outcome, "reason": result.reason, "score": score,
               "max_score": max_score, "flags": result.flags, "seconds": round(result.seconds, 2),
               "fingerprint": result.fingerprint}
        self.results.mkdir(parents=True, exist_ok=True)
        tmp = self.results / f".{result.student}.json.tmp"
        tmp.write_text(json.dumps(row, indent=1))
        tmp.replace(self.results / f"{result.student}.json")  # written last: its presence means done
        return row

    def _zero(self, student):
        """As nbgrader does for a missing notebook: every test scores 0, nothing to grade by hand."""
        with self.gradebook() as gb:
            notebook = gb.find_submission_notebook(self.lesson, self.lesson, student)
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            gb.db.commit()

    def score(self, student):
        with self.gradebook() as gb:
            submission = gb.find_submission(self.lesson, student)
            return float(submission.score), float(submission.max_score)


class Progress:
    """A one-line progress bar on a terminal; one line per submission otherwise (logs, CI)."""

    def __init__(self, total, label, stream=sys.stderr):
        self.total, self.label, self.stream = total, label, stream
        self.done, self.problems, self.start = 0, 0, time.monotonic()
        self.tty = stream.isatty()

    def update(self, row):
        self.done += 1
        self.problems += row["outcome"] != "graded"
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / max(self.total, 1))
        bar = "#" * filled + "-" * (30 - filled)
        line = (f"{self.label} [{bar}] {self.done}/{self.total}  {self.problems} not cleanly graded  "
                f"{elapsed:.0f}s elapsed, ~{eta:.0f}s left")
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(f"{line}  ({row['student']}: {row['outcome']})\n")
        self.stream.flush()


class LocalPool:
    """A process pool of ``workers`` (forked: each already has nbgrader imported)."""

    def __init__(self, workers):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.executor = ProcessPoolExecutor(max_workers=workers,
                                            mp_context=multiprocessing.get_context("fork"))

    def submit(self, job):
        return self.executor.submit(grade_submission, job)

    @staticmethod
    def wait_first(futures):
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return done

    def close(self):
        self.executor.shutdown(wait=True, cancel_futures=True)


class DaskPool:
    """The same units on a Dask distributed cluster; results come back to this process."""

    CONNECT_SECONDS = 5  # to see whether anything listens; a scheduler then has 30 s to answer

    def __init__(self, address):
        from dask.distributed import Client

        try:
            self.client = Client(address, timeout=30)
        except (OSError, TimeoutError, ValueError) as err:  # e.g. something else listens there
            raise self.unreachable(address, err) from None

    @classmethod
    def check_address(cls, address):
        """Raise CourseError at once when nothing listens at a tcp address (a refused connection
        fails immediately, where a Client retries until its timeout and ends in a traceback)."""
        import socket

        from distributed.comm.addressing import parse_address, parse_host_port

        try:
            scheme, location = parse_address(address)
            if scheme == "tcp":
                socket.create_connection(parse_host_port(location), timeout=cls.CONNECT_SECONDS).close()
        except (OSError, ValueError) as err:  # nothing listening, a malformed address
            raise cls.unreachable(address, err) from None

    @staticmethod
    def unreachable(address, err):
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        return course_module.CourseError(f"no Dask scheduler answers at {address} ({why}): start a "
                                         "scheduler with `dask scheduler` or drop --dask")

    def submit(self, job):
        return self.client.submit(grade_submission, job, pure=False,
                                  key=f"grade-{job.lesson}-{job.student}-{time.time_ns()}")

    @staticmethod
    def wait_first(futures):
        from dask.distributed import wait

        return wait(futures, return_when="FIRST_COMPLETED").done

    def close(self):
        self.client.close()


def autograde(course_dir, lesson, workers=2, student=None, dask=None, force=False,
              wall_limit=DEFAULT_WALL_LIMIT, progress=True):
    """Grade every submission of ``lesson`` (or those whose student ID matches ``student``).

    Returns the rows (one per submission, skipped ones included) and whether the grader failed.
    """
    if dask:  # before the course is read (nbgrader's import alone takes seconds)
        DaskPool.check_address(dask)
    course = Course(course_dir, lesson)
    students = course.students(student)
    if not students:
        where = course.dir / "submitted" / "<student>" / lesson
        raise course_module.CourseError(f"no submissions match: expected folders like {where}")
    rows, grader_failed = [], False
    with CourseLock(course.dir):
        todo = []
        for name in students:
            previous = None if force else course.already_graded(name)
            if previous is not None:
                rows.append({**previous, "outcome": "skipped",
                             "reason": "already graded (same files and timestamp)"})
            else:
                todo.append(name)
        if todo and not dask:  # one line before grading starts, naming what this machine lacks
            sandbox.warn_weak_isolation()
        bar = Progress(len(todo), f"autograde {lesson}") if progress and todo else None
        pool = DaskPool(dask) if dask else LocalPool(workers)
        in_flight = {}
        limit = 2 * (workers if not dask else max(len(todo), 1))
        try:
            queue = list(todo)
            while queue or in_flight:
                while queue and len(in_flight) < limit:
                    name = queue.pop(0)
                    try:
                        in_flight[pool.submit(course.prepare(name, wall_limit))] = name
                    except Exception as err:  # the gradebook or submitted/ unreadable: ours to fix
                        grader_failed = True
                        rows.append(_grader_error(course, name, err))
                        if bar:
                            bar.update(rows[-1])
                for future in pool.wait_first(list(in_flight)):
                    name = in_flight.pop(future)
                    try:
                        row = course.record(future.result())
                    except Exception as err:  # a worker process that died, a lost Dask worker
                        grader_failed = True
                        row = _grader_error(course, name, err)
                    rows.append(row)
                    if bar:
                        bar.update(row)
        finally:
            pool.close()
    rows.sort(key=lambda row: row["student"])
    return rows, grader_failed


def _grader_error(course, student, err):
    """The row of a submission the grader failed on; nothing is recorded, so a rerun retries it."""
    return {"student": student, "lesson": course.lesson, "timestamp": course.timestamp(student),
            "outcome": "grader error", "reason": f"{type(err).__name__}: {err}".splitlines()[0][:200],
            "score": None, "max_score": None, "flags": [], "seconds": 0.0}


def summary_table(rows):
    """The end-of-run table: one line per submission, then counts."""
    lines = [f"{'student':<22} {'outcome':<13} {'score':>11} {'seconds':>8}  flags / reason"]
    for row in rows:
        score = "-" if row["score"] is None else f"{row['score']:g}/{row['max_score']:g}"
        note = "; ".join([*row.get("flags", []), row.get("reason", "")]).strip("; ")
        lines.append(f"{row['student']:<22} {row['outcome']:<13} {score:>11} {row['seconds']:>8.1f}  {note[:70]}")
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    lines.append(", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())))
    return "\n".join(lines)


def cmd_autograde(args):
    rows, failed = autograde(args.course, args.lesson, workers=args.workers, student=args.student,
                             dask=args.dask, force=args.force, wall_limit=args.timeout)
    print(summary_table(rows))
    if failed:
        print("autograde: the grader itself failed on some submissions (outcome 'grader error'); "
              "rerun to retry them", file=sys.stderr)
        return 1
    return 0


def add_autograde(subparsers):
    parser = course_module.add_lesson_command(
        subparsers, "autograde", cmd_autograde, help="grade submitted/<student>/LESSON in parallel",
        description="Autograde a lesson's submissions in parallel over students; resumable; one bad "
                    "submission never stops the batch; exits non-zero only when the grader fails.")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--student", help="only this student ID (glob patterns allowed)")
    parser.add_argument("--dask", metavar="ADDRESS", help="run the units on this Dask scheduler instead")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument("--timeout", type=float, default=DEFAULT_WALL_LIMIT,
                        help=f"wall-clock seconds per submission (default {DEFAULT_WALL_LIMIT:g})")
