"""The driver side: one lesson of a course as the grader sees it. ``prepare`` reads submitted/ and
sanitizes the notebook into a Job (reads and writes the gradebook); ``record`` saves a Result
(autograded/, the gradebook, grading/<lesson>/<student>.json). Only the driver touches the course."""

import copy
import fnmatch
import json
import shutil
import warnings

import nbformat
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import (AssignLatePenalties, ClearOutput, DeduplicateIds,
                                    OverwriteKernelspec, SaveAutoGrades)
from nbgrader.utils import parse_utc

from .. import course as course_module
from .. import submission
from .job import Job
from .preprocessors import CheckMetadata, RestoreCells

RESULTS = "grading"  # DIR/grading/<lesson>/<student>.json: outcome, reason, flags; never handed out
MAX_FILE_BYTES = 5_000_000  # larger submitted files are not shipped to a worker (the reason says so)
# Config sections a worker needs. SandboxedKernelManager: the kernel's limits
# (c.SandboxedKernelManager.memory_mb = ...); the wall clock per submission is `autograde --timeout`.
JOB_SECTIONS = ("Execute", "IgnorePattern", "ClearMetadataPreprocessor", "LimitOutput",
                "NbGraderPreprocessor", "SandboxedKernelManager", "GradingPreprocessor", "AddCanaries",
                "VerifyCanaries", "FailUnrunCells", "JudgeChecks", "MinimalTracebacks", "ScrubHiddenLines",
                "CapOutputs")
# Cells only demonstrating (plots, widgets) carry this tag and are not run when grading, so a
# grading kernel imports neither matplotlib nor ipywidgets. A course config may name another tag.
DEMO_TAG = "demo"
SANITIZE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells, CheckMetadata)
SAVE = (SaveAutoGrades, AssignLatePenalties, CheckMetadata)


def parse_timestamp(text):
    """timestamp.txt as a datetime, or None when empty or unreadable (nbgrader's own reader exits
    the whole run on a bad one)."""
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


class Course:
    """The driver's view of one lesson in a course: paths, config, and the gradebook."""

    def __init__(self, course_dir, lesson):
        self.dir = course_module.require_course(course_dir)
        course_module.tools_on_path()
        self.lesson = lesson
        self.config = course_module.load_config(self.dir)
        self.coursedir = CourseDirectory(config=self.config)
        self.coursedir.root = str(self.dir)
        self.db_url = self.coursedir.db_url
        self.results = self.dir / RESULTS / lesson
        release = self.dir / "release" / lesson
        if not (release / f"{lesson}.ipynb").exists():
            raise course_module.CourseError(
                f"lesson {lesson!r} is not released in {self.dir}: run "
                f"`backprop-course release {lesson} --course {self.dir}` first")
        # Every file the students were given besides the notebook (their library): nothing is put
        # in place of a missing one, so a submission without one is not gradable.
        self.required = sorted(str(path.relative_to(release)) for path in release.rglob("*")
                               if path.is_file() and path.suffix != ".ipynb" and not self._ignored(path))
        release_nb = nbformat.read(release / f"{lesson}.ipynb", as_version=4)
        self.config.RestoreCells.update(RestoreCells.release_traits(release_nb))
        self.job_config = {section: dict(self.config[section]) for section in JOB_SECTIONS
                           if section in self.config}
        self.job_config.setdefault("Execute", {}).setdefault("skip_cells_with_tag", DEMO_TAG)

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
        return Gradebook(self.db_url, self.coursedir.course_id)

    def prepare(self, student, wall_limit):
        """Register the submission in the gradebook and build its Job (sanitized notebook)."""
        folder = self.submitted(student)
        timestamp = self.timestamp(student)
        with warnings.catch_warnings(), self.gradebook() as gb:
            # nbgrader's update_or_create_submission trips SQLAlchemy autoflush warnings on every
            # new submission; the rows are written correctly.
            warnings.simplefilter("ignore", category=Warning)
            gb.update_or_create_student(student)
            when = parse_timestamp(timestamp)
            if when is not None:
                gb.update_or_create_submission(self.lesson, student, timestamp=when)
            else:
                gb.update_or_create_submission(self.lesson, student)
        files, reasons = self.shipped_files(student)
        job = Job(self.lesson, student, timestamp, files, None, self.job_config, wall_limit,
                  "; ".join(reasons), submission.fingerprint(files))
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
        RestoreCells restores the real test cell instead of the whole batch aborting."""
        def run(notebook):
            resources = self.resources(student)
            for step in SANITIZE:
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
        dest = self.autograded(result.student)
        if dest.exists():
            shutil.rmtree(dest)
        if result.notebook is not None:
            nb = nbformat.reads(result.notebook, as_version=4)
            resources = self.resources(result.student)
            for step in SAVE:
                nb, resources = step(config=self.config)(nb, resources)
            # The submission's files as submitted, then the graded notebook. No other notebook (a
            # "-Copy1.ipynb"): it is not in the gradebook, and generate_feedback converts every
            # notebook in autograded/ and fails on it.
            shutil.copytree(self.submitted(result.student), dest, symlinks=True,
                            ignore=shutil.ignore_patterns(*self.coursedir.ignore, "*.ipynb"))
            (dest / f"{self.lesson}.ipynb").write_text(nbformat.writes(nb))
        else:
            self._zero(result.student)
        score, max_score = self.score(result.student)
        row = {"student": result.student, "lesson": self.lesson, "timestamp": result.timestamp,
               "outcome": result.outcome, "reason": result.reason, "score": score,
               "max_score": max_score, "flags": result.flags, "seconds": round(result.seconds, 2),
               "cpu": result.cpu, "fingerprint": result.fingerprint}
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
            found = gb.find_submission(self.lesson, student)
            return float(found.score), float(found.max_score)
