"""nbgrader's own commands on a course from `course init` tell the same story as backprop-course's:
each test drives the real `nbgrader ...` command (a subprocess from the course folder, with a
private Jupyter config folder) and compares with what backprop-course's commands record.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from backprop_course.autograder import nbgrader_course, sample_class
from backprop_course.autograder.cli import main

LESSON = "02_linear_layer"
BIN = Path(sys.executable).parent
pytestmark = [pytest.mark.skipif(LESSON not in nbgrader_course.lessons_available(), reason="lesson 2 is not in solutions/"),
              pytest.mark.slow]


def run_cli(*args):
    return main([str(arg) for arg in args])


def nbgrader(*args, cwd, config_dir, check=True, path=None):
    """Run the real `nbgrader` command; returns (exit code, combined output)."""
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir),
           "PATH": path if path is not None else f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([BIN / "nbgrader", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done.returncode, done.stdout + done.stderr


def scores(course_dir, lesson=LESSON):
    """{student: (score, max_score, number of cells flagged for manual grading)} from the gradebook."""
    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        return {sub.student_id: (sub.score, sub.max_score,
                                 sum(grade.needs_manual_grade for nb in sub.notebooks for grade in nb.grades))
                for sub in gb.find_assignment(lesson).submissions}


def answer_in_writing(course_dir, student, new_student):
    """A copy of ``student``'s submission as ``new_student``, with every written answer filled in
    (an unanswered one is scored 0 automatically; an answered one waits for a hand)."""
    shutil.copytree(course_dir / "submitted" / student, course_dir / "submitted" / new_student)
    path = course_dir / "submitted" / new_student / LESSON / f"{LESSON}.ipynb"
    nb = nbformat.read(path, as_version=4)
    written = [cell for cell in nb.cells if cell.cell_type == "markdown"
               and cell.metadata.get("nbgrader", {}).get("solution")]
    assert written
    for cell in written:
        cell.source = "The bias is used by every sample, so its gradient sums over the batch."
    nbformat.write(nb, path)
    return [cell.metadata.nbgrader.grade_id for cell in written]


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("jupyter-config")


@pytest.fixture(scope="module")
def plain_graded(tmp_path_factory, config_dir, released_course):
    """A course from `course init`, lesson 2 released, a correct student and one who deleted the
    first test cell, graded by plain `nbgrader autograde`. Returns (course, autograde output)."""
    course_dir = released_course([LESSON], tmp_path_factory.mktemp("plain") / "course")
    sample_class.submit(course_dir, LESSON, students=[sample_class.BY_NAME["correct"],
                                                      sample_class.BY_NAME["deleted_test_cell"]])
    answer_in_writing(course_dir, "correct", "answered")
    _, log = nbgrader("autograde", LESSON, cwd=course_dir, config_dir=config_dir)
    return course_dir, log


def test_plain_autograde_restores_a_deleted_test_cell_with_its_points(plain_graded):
    course_dir, log = plain_graded
    assert "KeyError" not in log and "Traceback" not in log, log
    graded = scores(course_dir)
    correct, deleted = graded["correct"], graded["deleted_test_cell"]
    assert correct[0] > 0 and correct[1] == deleted[1]
    # The deleted cell is back with its points: the correct library passes it too.
    assert deleted[0] == pytest.approx(correct[0])
    # Only the written answers wait for a hand: the same count for both.
    assert deleted[2] == correct[2]
    assert "Missing grade cell" in log


def test_plain_autograde_warns_of_no_change_on_untouched_test_cells(plain_graded):
    _, log = plain_graded
    assert "has changed" not in log, [line for line in log.splitlines() if "has changed" in line]


def test_plain_autograde_still_reports_a_changed_test_cell(plain_graded, tmp_path, config_dir):
    course_dir, _ = plain_graded
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded"))
    path = copy / "submitted" / "correct" / LESSON / f"{LESSON}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
                and cell.cell_type == "code")
    cell.source = "pass  # the student replaced the test\n"
    nbformat.write(nb, path)
    _, log = nbgrader("autograde", LESSON, "--student", "correct", "--force", cwd=copy, config_dir=config_dir)
    changed = [line for line in log.splitlines() if "has changed" in line]
    assert len(changed) == 1 and cell.metadata.nbgrader.grade_id in changed[0]


def feedback_page(course_dir, student):
    return (course_dir / "feedback" / student / LESSON / f"{LESSON}.html").read_text()


def test_plain_generate_feedback_writes_the_page_backprop_course_feedback_writes(plain_graded, config_dir):
    course_dir, _ = plain_graded
    _, log = nbgrader("generate_feedback", LESSON, "--force", cwd=course_dir, config_dir=config_dir)
    assert "not recognized" not in log, log
    plain = {student: feedback_page(course_dir, student) for student in ("correct", "answered")}
    # Unanswered written answers scored 0 automatically: nothing waits. Answered ones wait.
    assert "to be graded by hand" not in plain["correct"]
    assert "Written response</a> (Score: 0.0" not in plain["answered"]
    assert "2 written answers still to be graded by hand)</h4>" in plain["answered"]
    assert plain["answered"].count("Written response</a> (Score: to be graded by hand") == 2
    assert run_cli("feedback", LESSON, "--course", course_dir) == 0
    ours = {student: feedback_page(course_dir, student) for student in ("correct", "answered")}
    assert ours == plain


def test_course_init_again_keeps_edited_files_unless_forced(tmp_path, capsys, config_dir):
    course_dir = tmp_path / "course"
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 0
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 0  # nothing edited: refreshed
    config = course_dir / nbgrader_course.CONFIG_NAME
    source = course_dir / "source" / LESSON / f"{LESSON}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].source += "\n\nOffice hours: Tuesdays."
    nbformat.write(nb, source)
    config.write_text(config.read_text() + "c.Execute.timeout = 90\n")
    edited = {path: path.read_text() for path in (config, source)}
    capsys.readouterr()
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err
    assert nbgrader_course.CONFIG_NAME in err and f"source/{LESSON}/{LESSON}.ipynb" in err
    assert {path: path.read_text() for path in edited} == edited
    # The edit is what nbgrader releases.
    nbgrader("generate_assignment", LESSON, cwd=course_dir, config_dir=config_dir)
    assert "Office hours: Tuesdays." in (course_dir / "release" / LESSON / f"{LESSON}.ipynb").read_text()
    assert run_cli("course", "init", course_dir, "--lesson", LESSON, "--force") == 0
    assert "backed up to" in capsys.readouterr().out
    (backup,) = (course_dir / "init-backups").iterdir()
    for path, text in edited.items():
        assert (backup / path.relative_to(course_dir)).read_text() == text
        assert path.read_text() != text


def test_nbgrader_exchange_route_hands_out_and_collects_under_the_course_id(tmp_path, config_dir):
    """release_assignment, then as the student fetch_assignment and submit, then collect and grade."""
    import getpass

    course_dir, exchange, home = tmp_path / "course", tmp_path / "exchange", tmp_path / "student"
    exchange.mkdir(mode=0o777)
    home.mkdir()
    assert run_cli("course", "init", course_dir, "--lesson", LESSON, "--course-id", "bp101") == 0
    assert nbgrader_course.load_config(course_dir).CourseDirectory.course_id == "bp101"
    assert run_cli("release", LESSON, "--course", course_dir) == 0
    where = f"--Exchange.root={exchange}"
    nbgrader("release_assignment", LESSON, where, cwd=course_dir, config_dir=config_dir)
    nbgrader("fetch_assignment", LESSON, "--course", "bp101", where, cwd=home, config_dir=config_dir)
    sample_class.submit(course_dir, LESSON, students=[sample_class.BY_NAME["correct"]])
    shutil.copytree(course_dir / "submitted" / "correct" / LESSON, home / LESSON, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("timestamp.txt"))
    nbgrader("submit", LESSON, "--course", "bp101", where, cwd=home, config_dir=config_dir)
    nbgrader("collect", LESSON, where, cwd=course_dir, config_dir=config_dir)
    student = getpass.getuser()
    assert (course_dir / "submitted" / student / LESSON / "timestamp.txt").exists()
    assert run_cli("autograde", LESSON, "--course", course_dir) == 0
    graded = scores(course_dir)
    assert graded[student][0] == graded["correct"][0] > 0


def test_release_runs_the_lesson_first_and_never_replaces_a_release_unasked(tmp_path, capsys):
    course_dir = tmp_path / "course"
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 0
    source = course_dir / "source" / LESSON / f"{LESSON}.ipynb"
    nb = nbformat.read(source, as_version=4)
    test_cell = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
                     and cell.cell_type == "code" and "layer" in cell.source)
    test_cell.source += "\nsmal_layer.forward\n"  # a typo for an earlier cell's `small_layer`
    nbformat.write(nb, source)
    capsys.readouterr()
    assert run_cli("release", LESSON, "--course", course_dir) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert test_cell.metadata.nbgrader.grade_id in err and "smal_layer" in err and "NameError" in err
    assert not (course_dir / "release" / LESSON).exists()
    assert run_cli("course", "init", course_dir, "--lesson", LESSON, "--force") == 0
    assert run_cli("release", LESSON, "--course", course_dir) == 0
    released = (course_dir / "release" / LESSON / f"{LESSON}.ipynb").read_bytes()
    capsys.readouterr()
    assert run_cli("release", LESSON, "--course", course_dir) == 2
    assert "--force" in capsys.readouterr().err
    assert (course_dir / "release" / LESSON / f"{LESSON}.ipynb").read_bytes() == released
    assert run_cli("release", LESSON, "--course", course_dir, "--force") == 0


def test_autograde_names_the_command_that_adds_a_lesson_missing_from_the_gradebook(plain_graded, tmp_path,
                                                                                 monkeypatch, capsys):
    course_dir, _ = plain_graded
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "grading"))
    (copy / "gradebook.db").unlink()  # a new gradebook: release/ is there, the lesson is not
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert run_cli("autograde", LESSON) == 2  # not a course folder, no --course
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--course" in err
    monkeypatch.chdir(copy)  # --course defaults to the course folder it runs in
    assert run_cli("autograde", LESSON, "--student", "correct") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not in the gradebook" in err, err
    command = re.search(r"`backprop-course (release .+?)`", err)[1].split()
    assert run_cli(*command) == 0
    assert run_cli("autograde", LESSON, "--student", "correct") == 0
    assert scores(copy)["correct"][0] == scores(course_dir)["correct"][0] > 0


def test_plain_nbgrader_needs_no_environment_on_path_and_the_config_explains_itself(tmp_path, config_dir):
    course_dir = tmp_path / "course"
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 0
    text = (course_dir / nbgrader_course.CONFIG_NAME).read_text()
    assert "RECIPES" not in text  # no reference to a document the course does not hold
    regexp_line = next(line for line in text.splitlines() if "named_regexp =" in line)
    assert regexp_line.startswith('c.FileNameCollectorPlugin.named_regexp = r"') and "\\\\\\\\" not in regexp_line
    assert "# [\\\\/] is a path separator" in text
    # A new gradebook, and no Python environment on PATH: nbgrader still finds alembic.
    code, log = nbgrader("generate_assignment", LESSON, cwd=course_dir, config_dir=config_dir, check=False,
                         path="/usr/bin:/bin")
    assert code == 0 and "alembic" not in log, log
    assert (course_dir / "gradebook.db").exists()


def test_zip_collect_reads_renamed_copies_and_names_each_skipped_file(plain_graded, tmp_path, config_dir):
    from backprop_course.autograder import submit

    course_dir, _ = plain_graded
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "grading"))
    work, archive = copy / "submitted" / "correct" / LESSON, copy / "downloaded" / LESSON / "archive"
    archive.mkdir(parents=True)
    for student in ("carol", "erin", "frank"):
        submit.write_handin(LESSON, work / f"{LESSON}.ipynb", work / "backprop_lib", student, archive)
    carol, erin, frank = (next(archive.glob(f"{LESSON}-{name}-*.zip")) for name in ("carol", "erin", "frank"))
    shutil.copyfile(carol, carol.with_name(f"{carol.stem} (1).zip"))  # a second download: both there
    erin.rename(erin.with_name(f"{erin.stem} (1).zip"))  # only the browser's renamed copy
    frank.rename(frank.with_name("frank_lesson2.zip"))  # renamed by hand: no student or time left
    _, log = nbgrader("zip_collect", LESSON, cwd=copy, config_dir=config_dir)
    library = sorted(path.name for path in (work / "backprop_lib").glob("*.py"))
    for student in ("carol", "erin"):
        collected = copy / "submitted" / student / LESSON
        assert (collected / f"{LESSON}.ipynb").exists(), log
        assert sorted(path.name for path in (collected / "backprop_lib").glob("*.py")) == library
    assert not (copy / "submitted" / "frank").exists()
    skipped = [line for line in log.splitlines() if "Skipped frank_lesson2/" in line]
    assert len(skipped) == 1 + len(library), log  # one line per file, each with the reason and the fix
    assert all("student unknown" in line and "rename the zip" in line for line in skipped)
    assert "did not match anything" not in log


def hand_grade(course_dir, student, points):
    """Give every cell the gradebook flags for hand grading ``points``, as formgrader's Manual
    Grading does; returns the grade ids."""
    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(LESSON, LESSON, student)
        names = []
        for grade in notebook.grades:
            if grade.needs_manual_grade:
                grade.manual_score, grade.needs_manual_grade = points, False
                names.append(grade.name)
        gb.db.commit()
    return names


def test_after_hand_grading_every_command_reads_the_gradebook(plain_graded, tmp_path, capsys, config_dir):
    from backprop_course.autograder import report

    course_dir, _ = plain_graded
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "grading"))
    assert run_cli("autograde", LESSON, "--course", copy, "--student", "answered") == 0
    assert report.pending_by_hand(copy, LESSON) == {"answered": sorted(hand_grade(copy, "answered", 0.5))}
    assert report.pending_by_hand(copy, LESSON) == {}
    graded = scores(copy)["answered"]
    capsys.readouterr()
    assert run_cli("autograde", LESSON, "--course", copy, "--student", "answered") == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("answered ")]
    assert "skipped" in line and f"{graded[0]:g}/{graded[1]:g}" in line, line
    # Regrading the same files keeps the hand grades: nothing waits anywhere.
    assert run_cli("autograde", LESSON, "--course", copy, "--student", "answered", "--force") == 0
    assert scores(copy)["answered"] == graded and report.pending_by_hand(copy, LESSON) == {}
    # Plain nbgrader flags hand grades for review on every regrade: report and feedback say so too.
    nbgrader("autograde", LESSON, "--student", "answered", "--force", cwd=copy, config_dir=config_dir)
    flagged = scores(copy)["answered"][2]
    assert flagged == 2 and len(report.pending_by_hand(copy, LESSON)["answered"]) == flagged
    nbgrader("generate_feedback", LESSON, "--student", "answered", cwd=copy, config_dir=config_dir)
    assert f"{flagged} written answers still to be graded by hand" in feedback_page(copy, "answered")


def test_a_submission_that_cannot_be_graded_says_why_in_feedback_and_export(plain_graded, tmp_path, config_dir):
    course_dir, _ = plain_graded
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "grading"))
    shutil.copytree(copy / "submitted" / "correct", copy / "submitted" / "incomplete")
    (copy / "submitted" / "incomplete" / LESSON / "backprop_lib" / "layers.py").unlink()
    assert run_cli("autograde", LESSON, "--course", copy, "--student", "incomplete") == 0
    assert scores(copy)["incomplete"][0] == 0
    nbgrader("generate_feedback", LESSON, "--student", "incomplete", cwd=copy, config_dir=config_dir)
    page = feedback_page(copy, "incomplete")
    assert "Not graded: backprop_lib/layers.py missing." in page
    nbgrader("export", cwd=copy, config_dir=config_dir)
    with open(copy / "grades.csv", newline="") as file:
        exported = {row["student_id"]: row for row in csv.DictReader(file) if row["assignment"] == LESSON}
    assert float(exported["incomplete"]["score"]) == 0
    assert exported["incomplete"]["outcome"] == "not gradable"
    assert exported["incomplete"]["reason"] == "backprop_lib/layers.py missing"
    assert float(exported["correct"]["score"]) > 0


def test_plain_autograde_runs_student_code_in_the_sandbox(plain_graded):
    _, log = plain_graded
    # nbgrader's Execute starts kernels over TCP (ipykernel warns); sandboxed kernels use unix sockets.
    assert "Kernel is running over TCP" not in log


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def formgrader_call(port, method, path, token="formgrader-test"):
    """One request to the jupyter server's formgrader API; returns the decoded JSON."""
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"" if method == "POST" else None,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        body = response.read()
    return json.loads(body) if body else None


def test_formgrader_flags_a_not_gradable_submission_and_its_autograde_button_uses_the_sandbox(
        plain_graded, tmp_path, config_dir):
    import time
    import urllib.error

    course_dir, _ = plain_graded
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "grading"))
    shutil.copytree(copy / "submitted" / "correct", copy / "submitted" / "incomplete")
    (copy / "submitted" / "incomplete" / LESSON / "backprop_lib" / "mlp.py").unlink()
    assert run_cli("autograde", LESSON, "--course", copy) == 0
    before = scores(copy)
    port, home = free_port(), tmp_path / "jupyter"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "IPYTHONDIR": str(home / "ipython")}
    server = subprocess.Popen([BIN / "jupyter", "server", "--no-browser", "--allow-root", "--ip", "127.0.0.1",
                               f"--port={port}", "--ServerApp.port_retries=0",
                               "--IdentityProvider.token=formgrader-test", f"--ServerApp.root_dir={copy}"],
                              cwd=copy, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):  # the server starts in a few seconds; a loaded machine takes longer
            try:
                notebooks = formgrader_call(port, "GET", f"/formgrader/api/submitted_notebooks/{LESSON}/{LESSON}")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        else:
            pytest.fail("the jupyter server did not answer")
        flagged = {row["student"]: row["flagged"] for row in notebooks}
        assert flagged["incomplete"] is True and flagged["correct"] is False
        result = formgrader_call(port, "POST", f"/formgrader/api/submission/{LESSON}/correct/autograde")
        assert result["success"], result.get("log")
        assert "SandboxedExecute" in result["log"] and "Kernel is running over TCP" not in result["log"]
        assert scores(copy)["correct"][:2] == before["correct"][:2]
        # Plain nbgrader refuses a submission missing a library file, naming it (never a silent 0).
        refused = formgrader_call(port, "POST", f"/formgrader/api/submission/{LESSON}/incomplete/autograde")
        assert not refused["success"]
        assert "not gradable: backprop_lib/mlp.py missing from the submission" in refused["log"]
    finally:
        try:
            formgrader_call(port, "POST", "/api/shutdown")
        except Exception:
            server.terminate()
        server.wait(timeout=60)
