"""The driver side: one lesson of a course as the grader sees it. ``prepare`` reads submitted/ and
sanitizes the notebook into a Job (reads and writes the gradebook); ``record`` saves a Result
(autograded/, the gradebook, grading/<lesson>/<student>.json). Only the driver touches the course."""

import fnmatch
import json
import shutil
import warnings

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearOutput, DeduplicateIds
from nbgrader.utils import parse_utc

from .. import nbgrader_course
from .. import integrity, submission
from .job import GRADER_ERROR, Job, notebook_from_text, notebook_text
from .preprocessors import CheckMetadata, LatePenalties, RestoreCells, SaveGradesAtOnce, SourceKernelspec
from .shared_gradebook import SharedGradebook
from .source_snapshot import source_notebook

RESULTS = "grading"  # DIR/grading/<lesson>/<student>.json: outcome, reason, flags; never handed out
MAX_FILE_BYTES = submission.MAX_FILE_BYTES  # larger submitted files are not shipped to a worker (the reason says so)
# Config sections a worker needs. SandboxedKernelManager: the kernel's limits
# (c.SandboxedKernelManager.memory_mb = ...); the wall clock per submission is `autograde --timeout`.
JOB_SECTIONS = ("Execute", "IgnorePattern", "ClearMetadataPreprocessor", "LimitOutput",
                "NbGraderPreprocessor", "SandboxedKernelManager", "GradingPreprocessor", "AddCanaries",
                "VerifyCanaries", "FailUnrunCells", "JudgeChecks", "MinimalTracebacks", "ScrubHiddenLines",
                "CapOutputs")
# Cells only demonstrating (plots, widgets) carry this tag and are not run when grading, so a
# grading kernel imports neither matplotlib nor ipywidgets. A course config may name another tag.
DEMO_TAG = "demo"
SANITIZE = (ClearOutput, DeduplicateIds, SourceKernelspec, RestoreCells, CheckMetadata)
SAVE = (SaveGradesAtOnce, LatePenalties, CheckMetadata)


def parse_timestamp(text):
    """timestamp.txt as a datetime, or None when empty or unreadable (nbgrader's own reader exits
    the whole run on a bad one)."""
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


def is_whole(row, notebook):
    """Whether result ``row`` stands as a grade: not a grader error, and its autograded notebook
    (path ``notebook``) is there when it had one (a run killed inside ``record`` leaves none)."""
    if row.get("outcome") == GRADER_ERROR:
        return False
    return not row.get("autograded", row.get("outcome") != "not gradable") or notebook.is_file()


class Course:
    """The driver's view of one lesson in a course: paths, config, and the gradebook."""

    def __init__(self, course_dir, lesson):
        self.dir = nbgrader_course.require_course(course_dir)
        nbgrader_course.tools_on_path()
        self.lesson = lesson
        self.config = nbgrader_course.load_config(self.dir)
        self.coursedir = CourseDirectory(config=self.config)
        self.coursedir.root = str(self.dir)
        self.db_url = self.coursedir.db_url
        self.results = self.dir / RESULTS / lesson
        release = self.dir / "release" / lesson
        if not (release / f"{lesson}.ipynb").exists():
            raise nbgrader_course.CourseError(
                f"lesson {lesson!r} is not released in {self.dir}: run "
                f"`backprop-course release {lesson} --course {self.dir}` first")
        self._require_in_gradebook()
        # Every file the students were given besides the notebook (their library): nothing is put
        # in place of a missing one, so a submission without one is not gradable.
        self.required = submission.given_files(release, self.coursedir.ignore)
        release_nb = nbformat.read(release / f"{lesson}.ipynb", as_version=4)
        self.config.RestoreCells.update(RestoreCells.release_traits(release_nb))
        self.job_config = {section: dict(self.config[section]) for section in JOB_SECTIONS
                           if section in self.config}
        self.job_config.setdefault("Execute", {}).setdefault("skip_cells_with_tag", DEMO_TAG)

    def kernel_limits(self, wall_limit):
        """The sandbox Limits of this course's grading kernels (its config's
        SandboxedKernelManager section over the defaults), as a job's kernel gets them."""
        from traitlets.config import Config

        from .. import sandbox

        manager = sandbox.kernel_manager_for(sandbox.Limits(wall_seconds=wall_limit))
        return manager(config=Config(self.job_config)).limits

    def first_kernel(self, wall_limit):
        """(a Job with no submission in it, the kernel name) for which each worker of a local pool
        starts its first kernel as it forks (``spare.start_next``): every job of this lesson
        fits it, since sanitizing gives each notebook the source's kernelspec. None when the
        source has none (a submission's own kernelspec would then decide), or cannot be read
        (then ``prepare`` fails on each submission and says why)."""
        try:
            kernelspec = source_notebook(self.db_url, self.lesson, self.lesson).kernelspec
            name = json.loads(kernelspec).get("name") if kernelspec else None
        except Exception:
            return None
        return (Job(self.lesson, "", "", {}, None, self.job_config, wall_limit), name) if name else None

    def _require_in_gradebook(self):
        """A CourseError naming the command to run when release/ has the lesson but the gradebook
        does not (a new or replaced gradebook.db): every submission would fail to grade alike."""
        with self.gradebook() as gb:
            try:
                gb.find_assignment(self.lesson)
            except MissingEntry:
                raise nbgrader_course.CourseError(
                    f"lesson {self.lesson!r} is released but not in the gradebook {self.db_url} (a new or "
                    f"replaced gradebook.db): run `backprop-course release {self.lesson} --course {self.dir} "
                    "--force` to add it, then autograde again") from None

    def _ignored(self, path):
        return submission.ignored(path, self.coursedir.ignore)

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
        """The stored result, if this exact submission (same files and timestamp) was recorded
        before, completely: a grader error is graded again, and so is a result whose autograded
        notebook is gone (a run killed halfway through ``record``)."""
        path = self.results / f"{student}.json"
        if not path.exists():
            return None
        row = json.loads(path.read_text())
        if not is_whole(row, self.autograded(student) / f"{self.lesson}.ipynb"):
            return None
        same = (row.get("timestamp") == self.timestamp(student)
                and row.get("fingerprint") == submission.fingerprint(self.shipped_files(student)[0]))
        return row if same else None

    def selected_files(self, student):
        """submission.select over the submitted folder: [(relative path, path)], [reasons], [links]."""
        return submission.select(self.submitted(student), self._ignored, f"{self.lesson}.ipynb")

    def shipped_files(self, student):
        """({relative path: bytes} of the submitted files a worker gets, [reasons for files left
        out], [integrity flags of the links, which are never read])."""
        chosen, reasons, links = self.selected_files(student)
        flags = [integrity.Flag(relative, 0, "symlink", f"-> {target}") for relative, target in links]
        return ({relative: submission.read_file(path, submission.MAX_READ_BYTES) for relative, path in chosen},
                reasons, flags)

    def gradebook(self):
        """nbgrader's Gradebook; on the batch's engine inside ``shared_gradebook.one_engine``."""
        return SharedGradebook(self.db_url, self.coursedir.course_id)

    def prepare(self, student, wall_limit):
        """Register the submission in the gradebook and build its Job (sanitized notebook)."""
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
        files, reasons, flags = self.shipped_files(student)
        job = Job(self.lesson, student, timestamp, files, None, self.job_config, wall_limit,
                  "; ".join(reasons), submission.fingerprint(files), flags)
        name = f"{self.lesson}.ipynb"
        # A missing library file: a kernel would have nothing of the student's to import.
        missing = submission.missing_reason(files, self.required)
        if name not in files:  # absent, a link, or over the bounds (then a reason says so)
            absent = "" if any(reason.startswith((name, f"link {name}")) for reason in reasons) \
                else f"no {name} in the submission"
            job.reason = "; ".join(part for part in (*reasons, absent, missing) if part)
            return job
        if missing:
            job.reason = "; ".join([*reasons, missing])
            return job
        # Computed here: a kernel's own report of a file it failed to import is not trusted.
        job.reason = "; ".join([*reasons, *submission.syntax_reasons(files)])
        try:
            nb = nbformat.reads(files[name].decode(), as_version=4)
        except Exception as err:  # corrupt JSON, non-UTF-8 bytes, not a notebook at all
            job.reason = f"{name} is not a readable notebook ({type(err).__name__})"
            return job
        try:
            nb = self._sanitize(nb, lambda: nbformat.reads(files[name].decode(), as_version=4), student)
        except Exception as err:
            job.reason = f"{name} could not be sanitized ({type(err).__name__}: {str(err)[:120]})"
            return job
        job.notebook = notebook_text(nb)
        return job

    def _sanitize(self, nb, read_again, student):
        """nbgrader's sanitize steps; a cell whose nbgrader metadata is invalid (e.g. copied from an
        old notebook, nbgrader's SchemaTooOldError) loses that metadata and the steps run again, so
        RestoreCells restores the real test cell instead of the whole batch aborting. The steps
        change ``nb`` as they go: the second run is on the notebook as ``read_again()`` reads it
        (cheaper than a deep copy kept for every submission, 2 ms each, used by a few)."""
        def run(notebook):
            resources = self.resources(student)
            for step in SANITIZE:
                notebook, resources = step(config=self.config)(notebook, resources)
            return notebook

        try:
            return run(nb)
        except Exception:
            nb = read_again()
            validator = MetadataValidator()
            for cell in nb.cells:
                try:
                    validator.validate_cell(cell)
                except Exception:
                    cell.metadata.pop("nbgrader", None)
            return run(nb)

    def record(self, result):
        """Save a worker's result: gradebook scores, autograded folder, result file. Returns a row.

        All or nothing: the result file (the mark that a submission is done) is removed first and
        written last, and the new autograded folder is built beside the old one and swapped in,
        so a run killed halfway leaves no result and the next run grades the submission again.
        A grader error gets no score: see ``record_failure``."""
        if result.outcome == GRADER_ERROR:
            return self.record_failure(result.student, result.reason, result.seconds, result.cpu)
        same_files = self._same_submission_as_recorded(result)
        (self.results / f"{result.student}.json").unlink(missing_ok=True)
        staged = None
        if result.notebook is not None:
            nb = notebook_from_text(result.notebook)
            resources = self.resources(result.student)
            for step in SAVE:
                nb, resources = step(config=self.config)(nb, resources)
            if same_files:
                self._keep_hand_grades(result.student)
            staged = self._stage(result.student, nbformat.writes(nb))
        else:
            self._zero(result.student)
            if result.outcome == "not gradable":
                staged = self._explain_not_gradable(result)
        self._swap(result.student, staged)
        score, max_score = self.score(result.student)
        row = {"student": result.student, "lesson": self.lesson, "timestamp": result.timestamp,
               "outcome": result.outcome, "reason": result.reason, "score": score,
               "max_score": max_score, "flags": result.flags, "seconds": round(result.seconds, 2),
               "cpu": result.cpu, "fingerprint": result.fingerprint, "autograded": staged is not None}
        self._commit(row)
        return row

    def _explain_not_gradable(self, result):
        """A staged autograded folder holding the released notebook with the reason on top, so
        the student's feedback (ours, nbgrader's, formgrader's) and formgrader's view of the
        submission say why every test scored 0; formgrader flags the submission."""
        nb = nbformat.read(self.dir / "release" / self.lesson / f"{self.lesson}.ipynb", as_version=4)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"**Not graded: {result.reason}.** Every test of this lesson scores 0 until a complete "
            "submission is graded. Below is the lesson as it was handed out, not your notebook."))
        staged = self._new_stage(result.student)
        nbformat.write(nb, staged / f"{self.lesson}.ipynb")
        # formgrader's flag: the submission list marks it for a look.
        with self.gradebook() as gb:
            gb.find_submission_notebook(self.lesson, self.lesson, result.student).flagged = True
            gb.db.commit()
        return staged

    def _same_submission_as_recorded(self, result):
        """Whether the last recorded result graded these very files (a regrade with --force)."""
        path = self.results / f"{result.student}.json"
        return path.exists() and json.loads(path.read_text()).get("fingerprint") == result.fingerprint

    def _keep_hand_grades(self, student):
        """nbgrader's SaveAutoGrades flags every hand-graded answer for hand grading again on each
        regrade; for the same files nothing changed, so the hand grade stands (formgrader, report
        and feedback all read the flag)."""
        with self.gradebook() as gb:
            notebook = gb.find_submission_notebook(self.lesson, self.lesson, student)
            for grade in notebook.grades:
                if grade.manual_score is not None:
                    grade.needs_manual_grade = False
            gb.db.commit()

    def record_failure(self, student, reason, seconds=0.0, cpu=None):
        """Record that the grader failed on ``student``'s submission: no score (the gradebook's
        automatic scores are cleared and marked for grading, hand grades kept), no autograded
        notebook, a result file saying "grader error" that the next run grades again."""
        (self.results / f"{student}.json").unlink(missing_ok=True)
        self._swap(student, None)
        with self.gradebook() as gb:
            try:
                notebook = gb.find_submission_notebook(self.lesson, self.lesson, student)
            except MissingEntry:  # prepare failed before registering it: nothing to clear
                notebook = None
            for grade in notebook.grades if notebook is not None else []:
                if grade.auto_score is not None:
                    grade.auto_score = None
                    grade.needs_manual_grade = True
            gb.db.commit()
        row = {"student": student, "lesson": self.lesson, "timestamp": self.timestamp(student),
               "outcome": GRADER_ERROR, "reason": reason, "score": None, "max_score": None,
               "flags": [], "seconds": round(seconds, 2), "cpu": cpu or {}, "autograded": False}
        self._commit(row)
        return row

    def _stage(self, student, notebook_text):
        """autograded/<student>/.<lesson>.new: the submission's files as read for grading (no link,
        nothing over the bounds), then the graded notebook. No other notebook (a "-Copy1.ipynb"):
        it is not in the gradebook, and generate_feedback converts every notebook in autograded/
        and fails on it."""
        staged = self._new_stage(student)
        chosen, _, _ = self.selected_files(student)
        submission.copy_files([(relative, path) for relative, path in chosen
                               if not relative.endswith(".ipynb")], staged)
        (staged / f"{self.lesson}.ipynb").write_text(notebook_text)
        return staged

    def _new_stage(self, student):
        """An empty autograded/<student>/.<lesson>.new, to be swapped in by ``_swap``."""
        staged = self.autograded(student).with_name(f".{self.lesson}.new")
        if staged.exists():
            shutil.rmtree(staged)
        staged.mkdir(parents=True)
        return staged

    def _swap(self, student, staged):
        """Put ``staged`` (or nothing) in place of autograded/<student>/<lesson> with renames."""
        dest = self.autograded(student)
        old = dest.with_name(f".{self.lesson}.old")
        if old.exists():
            shutil.rmtree(old)
        if dest.exists() or dest.is_symlink():
            dest.rename(old)
        if staged is not None:
            staged.rename(dest)
        if old.exists():
            shutil.rmtree(old)

    def _commit(self, row):
        self.results.mkdir(parents=True, exist_ok=True)
        tmp = self.results / f".{row['student']}.json.tmp"
        tmp.write_text(json.dumps(row, indent=1))
        tmp.replace(self.results / f"{row['student']}.json")  # written last: its presence means done

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
