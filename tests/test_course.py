"""The course `course init` makes, used through nbgrader's own commands as an instructor would:
plain `nbgrader generate_assignment` (with and without --force) for every lesson leaks nothing,
the config names no absolute path (a copied course grades into its own gradebook only), the
students' `backprop-course submit` zip goes through `nbgrader zip_collect` and grades the same as a
direct copy, and a lesson name typo gets the nearest lesson in one line.

nbgrader runs as a real subprocess (`nbgrader ...` from the course directory, or from elsewhere
with --CourseDirectory.root), with a private Jupyter config folder so no user config interferes.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from backprop_course.autograder import grading, nbgrader_course, sample_class, solution_markers
from backprop_course.autograder.cli import main

from helpers.checkout import ROOT

LESSONS = nbgrader_course.lessons_available()
GRADED = "02_linear_layer"  # the lesson submitted and graded below
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.skipif(GRADED not in LESSONS, reason="lesson 2 is not in solutions/ yet"), pytest.mark.slow]


def run_cli(*args):
    return main([str(arg) for arg in args])


def nbgrader(*args, cwd, config_dir):
    """Run the real `nbgrader` command; returns its combined output (asserts it succeeded)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTER_CONFIG_DIR": str(config_dir)}
    done = subprocess.run([BIN / "nbgrader", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def gradebook_rows(course_dir):
    """(student, assignment, score) of every submission in the course's gradebook.db."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        return sorted((sub.student_id, sub.assignment.name, sub.score)
                      for assignment in gb.assignments for sub in assignment.submissions)


def fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("jupyter-config")


@pytest.fixture(scope="module")
def released(tmp_path_factory, config_dir):
    """A course of every lesson released by plain nbgrader: first `nbgrader generate_assignment
    LESSON` from the course folder, then `--force` from another folder with --CourseDirectory.root.
    Returns the course and {(round, lesson): leaks found right after that round}."""
    course_dir = tmp_path_factory.mktemp("released") / "course"
    assert run_cli("course", "init", course_dir) == 0
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    leaks = {}
    for round_name, extra, cwd in (("plain", [], course_dir),
                                   ("--force", ["--force", f"--CourseDirectory.root={course_dir}"], elsewhere)):
        for lesson in LESSONS:
            nbgrader("generate_assignment", lesson, *extra, cwd=cwd, config_dir=config_dir)
            leaks[round_name, lesson] = nbgrader_course.leaks_in_folder(course_dir / "release" / lesson,
                                                               nbgrader_course.secret_lines(course_dir, lesson))
    assert not (elsewhere / "gradebook.db").exists()
    return course_dir, leaks


def test_plain_nbgrader_release_leaks_nothing_for_every_lesson(released):
    course_dir, leaks = released
    assert set(leaks) == {(round_name, lesson) for round_name in ("plain", "--force") for lesson in LESSONS}
    assert {key: found for key, found in leaks.items() if found} == {}
    for lesson in LESSONS:
        release = course_dir / "release" / lesson
        assert sorted(path.name for path in (release / nbgrader_course.LIBRARY).glob("*.py")) == \
            sorted(nbgrader_course.library_files())
        layers = (release / nbgrader_course.LIBRARY / "layers.py").read_text()
        assert 'raise NotImplementedError("Lesson 2, task 1: implement Linear.forward")' in layers
        # The check can fail: every line of the reference library's solutions is a secret.
        reference = (ROOT / "solutions" / nbgrader_course.LIBRARY / "layers.py").read_text()
        assert solution_markers.solution_lines(reference) <= nbgrader_course.secret_lines(course_dir, lesson)


def test_source_holds_no_library_solution(released):
    course_dir, _ = released
    for lesson in LESSONS:
        for path in (course_dir / "source" / lesson / nbgrader_course.LIBRARY).glob("*.py"):
            reference = (ROOT / "solutions" / nbgrader_course.LIBRARY / path.name).read_text()
            assert path.read_text() == solution_markers.strip_solutions(reference), path  # the skeleton


def test_release_refuses_a_source_that_holds_solutions(released, tmp_path):
    course_dir, _ = released
    copy = tmp_path / "course"
    shutil.copytree(course_dir / "source", copy / "source")
    nbgrader_course.write_config(copy, LESSONS)
    # A course made by an older version, or edited by hand: the reference in source/.
    shutil.copyfile(ROOT / "solutions" / nbgrader_course.LIBRARY / "layers.py",
                    copy / "source" / GRADED / nbgrader_course.LIBRARY / "layers.py")
    with pytest.raises(nbgrader_course.CourseError, match="leaks solution or hidden-test text.*course init"):
        nbgrader_course.release(copy, GRADED)


def test_config_names_no_absolute_path_and_follows_its_folder(released, tmp_path):
    course_dir, _ = released
    text = (course_dir / nbgrader_course.CONFIG_NAME).read_text()
    assert str(course_dir) not in text and str(course_dir.parent) not in text
    copy = tmp_path / "next-term"
    shutil.copytree(course_dir, copy)
    config = nbgrader_course.load_config(copy)
    assert Path(config.CourseDirectory.root) == copy
    assert config.CourseDirectory.db_url == f"sqlite:///{copy / 'gradebook.db'}"
    # The --force round above ran from another folder: every lesson is in this course's gradebook.
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        assert sorted(assignment.name for assignment in gb.assignments) == LESSONS


def readme_commands(after):
    """The first ```sh block after the line ``after`` in README.md, as a shell script."""
    text = (ROOT / "README.md").read_text()
    return text.split(after, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]


def shell(script, cwd, config_dir, **env):
    """Run a README block with bash -e (each command must succeed); returns its combined output."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTER_CONFIG_DIR": str(config_dir), **env}
    done = subprocess.run(["bash", "-ec", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, script + done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def handed_in(released, tmp_path_factory, config_dir):
    """Lesson 2's correct work handed in twice: copied into submitted/correct/ as it is, and as the
    README shows: the student's `backprop-course submit` (ID from $JUPYTERHUB_USER: zip_student),
    then the instructor's block (course init, release, zip_collect, autograde, feedback, report).
    Returns (course, student's folder, zip path, README block output, {student: result row})."""
    course_dir, _ = released
    sample_class.submit(course_dir, GRADED, students=[sample_class.BY_NAME["correct"]])
    work = tmp_path_factory.mktemp("student") / GRADED
    shutil.copytree(course_dir / "submitted" / "correct" / GRADED, work,
                    ignore=shutil.ignore_patterns("timestamp.txt"))
    student = readme_commands("To hand in, save the notebook and run")
    assert "backprop-course submit 02_linear_layer" in student
    shell(student, work, config_dir, JUPYTERHUB_USER="zip_student")
    (handin,) = work.glob("*.zip")
    instructor = readme_commands("Your own course")
    assert "nbgrader zip_collect 02_linear_layer" in instructor and "submitted" in instructor
    script = re.sub(r"\bDIR\b", str(course_dir), instructor.replace("PATH/TO/ZIPS", str(work)))
    # The block is a first release: the one plain nbgrader made above is not replaced without --force.
    shutil.rmtree(course_dir / "release" / GRADED)
    log = shell(script, course_dir.parent, config_dir)
    results = course_dir / grading.RESULTS / GRADED
    rows = {name: json.loads((results / f"{name}.json").read_text()) for name in ("correct", "zip_student")}
    return course_dir, work, handin, log, rows


def test_submit_zip_holds_the_notebook_and_library_under_the_collected_name(handed_in):
    course_dir, work, handin, _, _ = handed_in
    assert handin.name.startswith(f"{GRADED}-zip_student-") and handin.suffix == ".zip"
    with zipfile.ZipFile(handin) as archive:
        names = sorted(archive.namelist())
    assert names == sorted([f"{GRADED}.ipynb"] + [f"backprop_lib/{path.name}"
                                                  for path in (work / "backprop_lib").glob("*.py")])


def test_zip_collect_puts_every_file_in_place(handed_in):
    course_dir, work, handin, log, _ = handed_in
    collected = course_dir / "submitted" / "zip_student" / GRADED
    files = {str(path.relative_to(collected)) for path in collected.rglob("*") if path.is_file()}
    expected = {f"{GRADED}.ipynb", *(f"backprop_lib/{path.name}" for path in (work / "backprop_lib").glob("*.py"))}
    assert files == expected | {"timestamp.txt"}
    for name in expected:
        assert (collected / name).read_bytes() == (work / name).read_bytes(), name
    assert f"{len(expected)} files collected" in log and "Invalid submission" not in log
    # The hand-in time, from the zip's name.
    stamp = datetime.strptime(handin.stem.rsplit("-", 1)[1], "%Y%m%dT%H%M%SZ")
    assert (collected / "timestamp.txt").read_text().strip() == stamp.isoformat(" ")


def test_collecting_again_with_force_keeps_each_students_latest_zip(handed_in, tmp_path, config_dir):
    from backprop_course.autograder import submit

    course_dir, work, handin, _, _ = handed_in
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy)
    resubmitted = tmp_path / GRADED
    shutil.copytree(work, resubmitted, ignore=shutil.ignore_patterns("*.zip"))
    with open(resubmitted / "backprop_lib" / "layers.py", "a") as layers:
        layers.write("# fixed after the first hand-in\n")
    first = datetime.strptime(handin.stem.rsplit("-", 1)[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    later = first.replace(year=first.year + 1)
    submit.write_handin(GRADED, resubmitted / f"{GRADED}.ipynb", resubmitted / "backprop_lib", "zip_student",
                        copy / "downloaded" / GRADED / "archive", when=later)
    direct = (copy / "submitted" / "correct" / GRADED / "backprop_lib" / "layers.py").read_bytes()
    nbgrader("zip_collect", "--force", GRADED, cwd=copy, config_dir=config_dir)
    collected = copy / "submitted" / "zip_student" / GRADED
    assert (collected / "backprop_lib" / "layers.py").read_text().endswith("# fixed after the first hand-in\n")
    assert (collected / "timestamp.txt").read_text().strip() == later.replace(tzinfo=None).isoformat(" ")
    assert (copy / "submitted" / "correct" / GRADED / "backprop_lib" / "layers.py").read_bytes() == direct


def test_zip_path_grades_the_same_as_a_direct_copy(handed_in):
    _, _, _, _, rows = handed_in
    direct, zipped = rows["correct"], rows["zip_student"]
    assert zipped["outcome"] == direct["outcome"] == "graded"
    assert zipped["max_score"] == direct["max_score"] > 0
    assert zipped["score"] == pytest.approx(direct["score"])
    assert direct["score"] > 0  # the student's library was collected and graded, not a stub


def test_a_copied_course_grades_into_its_own_gradebook_only(handed_in, tmp_path, config_dir):
    course_dir, _, _, _, _ = handed_in
    original = course_dir / "gradebook.db"
    before_rows, before_print = gradebook_rows(course_dir), fingerprint(original)
    copy = tmp_path / "next-term"
    shutil.copytree(course_dir, copy)
    shutil.copytree(copy / "submitted" / "correct", copy / "submitted" / "new_student")
    assert run_cli("autograde", GRADED, "--course", copy, "--student", "new_student") == 0
    nbgrader("autograde", GRADED, "--student", "correct", "--force", cwd=copy, config_dir=config_dir)
    assert fingerprint(original) == before_print
    assert gradebook_rows(course_dir) == before_rows
    copied_rows = gradebook_rows(copy)
    assert ("new_student", GRADED) in {(student, lesson) for student, lesson, _ in copied_rows}


# The course config's autograde steps, with SandboxedExecute in place of Execute.
SANDBOXED_AUTOGRADE = """
from backprop_course.autograder.sandbox import SandboxedExecute
c.Autograde.autograde_preprocessors = [SandboxedExecute, JudgeChecks, IgnorePattern, ClearMetadataPreprocessor,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                       CheckCellMetadata]
"""


def test_plain_nbgrader_with_the_sandboxed_execute_grades_as_backprop_course_does(handed_in, tmp_path,
                                                                                  config_dir):
    """The sandbox module's documented set-up for plain `nbgrader autograde` (SandboxedExecute in
    place of Execute) grades nbgrader's own autograded/ folder in the sandbox (forked kernels as
    root with bubblewrap), to the same score."""
    course_dir, _, _, _, rows = handed_in
    copy = tmp_path / "sandboxed"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "grading"))
    with open(copy / "nbgrader_config.py", "a") as config:
        config.write(SANDBOXED_AUTOGRADE)
    output = nbgrader("autograde", GRADED, "--student", "correct", "--force", cwd=copy, config_dir=config_dir)
    assert "Exception while loading config file" not in output
    assert "Kernel is running over TCP" not in output  # sandboxed: no network, unix sockets
    score = {student: value for student, lesson, value in gradebook_rows(copy) if lesson == GRADED}
    assert score["correct"] == pytest.approx(rows["correct"]["score"]) and score["correct"] > 0


@pytest.mark.parametrize("path, expected", [
    ("02_linear_layer-alice-20261130T093000Z/02_linear_layer.ipynb", ("alice", "02_linear_layer.ipynb")),
    ("02_linear_layer-mary-jane_2-20261130T093000Z/backprop_lib/layers.py",
     ("mary-jane_2", "backprop_lib/layers.py")),
    # An LMS's prefix on the zip's name; a zip of the whole assignment folder.
    ("Doe_123_456_02_linear_layer-alice-20261130T093000Z/backprop_lib/mlp.py", ("alice", "backprop_lib/mlp.py")),
    ("02_linear_layer-alice-20261130T093000Z/02_linear_layer/backprop_lib/mlp.py", ("alice", "backprop_lib/mlp.py")),
    # Never collected: a ".." ID, macOS metadata, checkpoints, caches, files outside the assignment.
    ("02_linear_layer-..-20261130T093000Z/02_linear_layer.ipynb", None),
    ("02_linear_layer-alice-20261130T093000Z/__MACOSX/backprop_lib/._layers.py", None),
    ("02_linear_layer-alice-20261130T093000Z/backprop_lib/._layers.py", None),
    ("02_linear_layer-alice-20261130T093000Z/.ipynb_checkpoints/02_linear_layer-checkpoint.ipynb", None),
    ("02_linear_layer-alice-20261130T093000Z/backprop_lib/__pycache__/layers.cpython-311.py", None),
    ("02_linear_layer-alice-20261130T093000Z/notes/layers.py", None),
    ("02_linear_layer-alice.zip-folder/02_linear_layer.ipynb", None),
])
def test_the_collector_regexp_reads_the_hand_in_zips(path, expected):
    match = re.match(nbgrader_course.HANDIN_REGEXP, f"/course/downloaded/02_linear_layer/extracted/{path}")
    assert (match and (match["student_id"], match["file_id"])) == expected


def test_submit_refuses_a_missing_notebook_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli("submit", "02_linear_layr", "--student", "alice") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "02_linear_layr" in err and "did you mean '02_linear_layer'" in err
    assert list(tmp_path.iterdir()) == []
    assert run_cli("check", "02_linear_layr") == 2  # the same lookup
    assert "did you mean '02_linear_layer'" in capsys.readouterr().err


def test_submit_refuses_a_bad_student_id_and_never_overwrites(released, tmp_path, monkeypatch, capsys):
    course_dir, _ = released
    work = tmp_path / GRADED
    shutil.copytree(course_dir / "release" / GRADED, work)
    monkeypatch.chdir(work)
    for bad in ("../alice", "..", ".hidden", "two words"):
        assert run_cli("submit", GRADED, "--student", bad) == 2
        assert "student ID" in capsys.readouterr().err
    monkeypatch.setenv("JUPYTERHUB_USER", "hub_alice")
    assert run_cli("submit", GRADED, "--out", tmp_path) == 0
    line = capsys.readouterr().out.strip()
    (handin,) = tmp_path.glob("*.zip")
    assert handin.name.startswith(f"{GRADED}-hub_alice-") and line == (
        f"wrote {handin} ({GRADED}.ipynb and {len(nbgrader_course.library_files())} backprop_lib files): hand in this file")
    from backprop_course.autograder import submit

    stamp = datetime.strptime(handin.name.rsplit("-", 1)[1], "%Y%m%dT%H%M%SZ.zip").replace(tzinfo=timezone.utc)
    data = handin.read_bytes()
    with pytest.raises(nbgrader_course.CourseError, match="exists already"):
        submit.write_handin(GRADED, work / f"{GRADED}.ipynb", work / "backprop_lib", "hub_alice", tmp_path, stamp)
    assert handin.read_bytes() == data


def test_a_lesson_name_typo_suggests_the_nearest_lesson_in_one_line(released, tmp_path, capsys):
    course_dir, _ = released
    typo = "02_linear_layr"
    for args in (["release", typo, "--course", course_dir], ["autograde", typo, "--course", course_dir],
                 ["feedback", typo, "--course", course_dir], ["report", typo, "--course", course_dir],
                 ["course", "init", tmp_path / "new", "--lesson", typo]):
        assert run_cli(*args) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "did you mean '02_linear_layer'?" in err, (args, err)
    assert not (course_dir / "release" / typo).exists() and not (course_dir / "source" / typo).exists()
    assert not (tmp_path / "new").exists()


def test_a_lesson_the_course_lacks_names_the_command_that_adds_it(tmp_path, capsys):
    small = tmp_path / "course"
    assert run_cli("course", "init", small, "--lesson", GRADED) == 0
    other = next(lesson for lesson in LESSONS if lesson != GRADED)
    assert run_cli("release", other, "--course", small) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"course init {small} --lesson {other}" in err
    assert not (small / "release").exists()


def test_plain_nbgrader_autograde_runs_the_judge_and_gives_the_same_scores(released, tmp_path, config_dir):
    """`nbgrader autograde` with the course's own nbgrader_config.py judges lesson 2 in nbgrader's
    process (JudgeChecks after Execute): per student the same score as `backprop-course
    autograde`, wrong work included; nbgrader's default steps (a course without our config) give
    every judged cell 0, with the reason on stderr, rather than unjudged points."""
    course_dir, _ = released
    copy = tmp_path / "judged"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "grading", "submitted"))
    names = ["correct", "bias_grad_mean", "missing_transpose", "not_started"]
    sample_class.submit(copy, GRADED, students=[sample_class.BY_NAME[name] for name in names])
    ours, failed = grading.autograde(copy, GRADED, workers=1, progress=False)
    assert not failed
    ours = {row["student"]: row["score"] for row in ours if row["student"] in names}
    assert ours["correct"] > ours["bias_grad_mean"] > 0 and ours["not_started"] == 0
    nbgrader("autograde", GRADED, "--force", cwd=copy, config_dir=config_dir)
    plain = {student: score for student, lesson, score in gradebook_rows(copy)
             if lesson == GRADED and student in names}
    assert plain == pytest.approx(ours)
    autograded = nbformat.read(copy / "autograded" / "bias_grad_mean" / GRADED / f"{GRADED}.ipynb", 4)
    text = json.dumps(autograded)
    assert "misconception db-mean" in text and "backprop-course.observation" not in text

    with open(copy / "nbgrader_config.py", "a") as config:
        config.write("\n# nbgrader 0.9's default steps: no judge\n"
                     "c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor,"
                     " LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]\n")
    nbgrader("autograde", GRADED, "--force", "--student", "correct", cwd=copy, config_dir=config_dir)
    unjudged = {student: score for student, lesson, score in gradebook_rows(copy) if lesson == GRADED}
    assert unjudged["correct"] == 0
