"""Outcomes an instructor must be able to trust: a submission missing a library file is "not
gradable" (never graded against the grader's own installed skeleton), a changed resubmission is
regraded whatever its timestamp says, written answers not graded yet are told apart from 0, and
an unreachable Dask scheduler is one line.

One course with lesson 4 (it has written answers) is released once; each test grades its own
students in it.
"""

import csv
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from traitlets.config import Config

from backprop_course.autograder import grading, kernel_imports, report, sample_class
from backprop_course.autograder.cli import main

from helpers.checkout import ROOT

LESSON = "04_losses"
pytestmark = [pytest.mark.skipif(not (ROOT / "solutions" / f"{LESSON}.ipynb").exists(),
                                 reason=f"no {LESSON} notebook in solutions/ yet"), pytest.mark.slow]
STUDENTS = {student.name: student for student in sample_class.STUDENTS}


def run_cli(*args):
    return main([str(arg) for arg in args])


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory):
    course_dir = tmp_path_factory.mktemp("outcomes") / "course"
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 0
    assert run_cli("release", LESSON, "--course", course_dir) == 0
    return course_dir


def submit(course_dir, name, like):
    """Student ``name``'s submission: the sample student ``like``'s work, with a timestamp."""
    sample_class.submit(course_dir, LESSON, students=[STUDENTS[like]])
    target = course_dir / "submitted" / name / LESSON
    if name != like:
        shutil.rmtree(target.parent, ignore_errors=True)
        (course_dir / "submitted" / like / LESSON).parent.rename(target.parent)
    return target


def grade(course_dir, pattern):
    rows, failed = grading.autograde(course_dir, LESSON, workers=2, student=pattern, progress=False)
    assert not failed
    return {row["student"]: row for row in rows}


def test_a_missing_library_file_is_not_gradable_and_listed_for_review(course_dir):
    shutil.rmtree(course_dir / "reports", ignore_errors=True)
    (submit(course_dir, "miss_losses", "correct") / "backprop_lib" / "losses.py").unlink()
    shutil.rmtree(submit(course_dir, "miss_library", "correct") / "backprop_lib")
    # Nothing is put in place of a missing file, not even one without a solution region.
    (submit(course_dir, "miss_init", "correct") / "backprop_lib" / "__init__.py").unlink()
    submit(course_dir, "miss_none", "correct")
    rows = grade(course_dir, "miss_*")
    assert rows["miss_losses"]["outcome"] == "not gradable"
    assert rows["miss_losses"]["reason"] == "backprop_lib/losses.py missing"
    assert rows["miss_library"]["outcome"] == "not gradable"
    for name in ("graph", "layers", "losses", "mlp", "optim"):
        assert f"backprop_lib/{name}.py" in rows["miss_library"]["reason"]
    assert rows["miss_init"]["outcome"] == "not gradable"
    assert rows["miss_init"]["reason"] == "backprop_lib/__init__.py missing"
    assert rows["miss_none"]["outcome"] == "graded" and rows["miss_none"]["score"] > 0
    _, _, _, review = report.report(course_dir, LESSON)
    listed = {row["student"]: row for row in review}
    assert listed["miss_losses"]["outcome"] == "not gradable"
    assert "backprop_lib/losses.py missing" in listed["miss_losses"]["reason"]
    assert "miss_library" in listed and "miss_init" in listed and "miss_none" not in listed
    with open(course_dir / "reports" / LESSON / "review.csv") as handle:
        lines = {row["student"]: row for row in csv.DictReader(handle)}
    assert lines["miss_losses"]["outcome"] == "not gradable"
    assert lines["miss_losses"]["reason"] == "backprop_lib/losses.py missing"


def test_a_grading_kernel_imports_backprop_lib_only_from_the_working_copy():
    # The grader's environment has backprop_lib installed (editable: the repository's skeleton,
    # whose layers.py exists). The submission has a library without layers.py.
    notebook = new_notebook(cells=[
        new_code_cell("import backprop_lib\nprint(backprop_lib.__file__)"),
        new_code_cell("import backprop_lib.layers"),
        new_code_cell("print(sorted(name for name in globals() if 'guard' in name or name == 'install'))"),
    ])
    job = grading.Job("lesson", "student", "", {"backprop_lib/__init__.py": b"VERSION = 'student'\n"},
                      nbformat.writes(notebook), {}, 120)
    result = grading.grade_submission(job)
    assert result.outcome == "graded", result.reason
    cells = nbformat.reads(result.notebook, 4).cells
    where = cells[0].outputs[0].text.strip()
    assert "backprop-grade-" in where and where.endswith("lesson/backprop_lib/__init__.py")
    assert not where.startswith(str(ROOT))
    error = cells[1].outputs[0]
    assert error.output_type == "error" and error.ename == "ModuleNotFoundError"
    assert "backprop_lib.layers" in error.evalue
    assert cells[2].outputs[0].text.strip() == "[]"  # the guard leaves no names to the student


def test_demo_cells_are_not_run_when_grading_and_plotting_is_never_imported(course_dir):
    # A cell tagged "demo" that would import matplotlib and fail is skipped; graded cells still run
    # (the config is the one the course's own autograde builds from its nbgrader_config.py).
    config = grading.Course(course_dir, LESSON).job_config
    assert config["Execute"]["skip_cells_with_tag"] == grading.DEMO_TAG
    assert 'c.Execute.skip_cells_with_tag = "demo"' in (course_dir / "nbgrader_config.py").read_text()
    test = {"grade": True, "grade_id": "graded", "locked": True, "points": 1, "schema_version": 3,
            "solution": False, "task": False}
    notebook = new_notebook(cells=[
        new_code_cell("import numpy as np"),
        new_code_cell("import matplotlib.pyplot as plt\nimport ipywidgets\nraise RuntimeError('demo ran')",
                      metadata={"tags": [grading.DEMO_TAG]}),
        new_code_cell("import sys\nprint('graded ran', np.ones(2).sum())", metadata={"nbgrader": test}),
        new_code_cell("print(sorted(name for name in sys.modules if name.split('.')[0] in "
                      "('matplotlib', 'ipywidgets')))"),
    ])
    job = grading.Job(LESSON, "demo", "", {}, nbformat.writes(notebook), config, 120)
    result = grading.grade_submission(job)
    assert result.outcome == "graded", result.reason
    cells = nbformat.reads(result.notebook, 4).cells
    assert cells[1].get("outputs", []) == [] and cells[1].get("execution_count") is None
    assert cells[2].outputs[0].text.strip() == "graded ran 2.0"
    assert cells[3].outputs[0].text.strip() == "[]"
    # The kernel's seconds per phase are measured (CPU seconds where /proc exists).
    assert set(result.cpu) == {"kernel start", "imports", "tests", "clock"}
    assert result.cpu["kernel start"] > 0 and result.cpu["imports"] >= 0 and result.cpu["tests"] >= 0


def test_the_import_guard_pins_the_library_to_the_copy_and_the_machinery_to_the_install(tmp_path):
    import backprop_course

    library = tmp_path / "backprop_lib"
    library.mkdir()
    (library / "__init__.py").write_text("")
    (library / "layers.py").write_text("WHERE = 'working copy'\n")
    fake = tmp_path / "backprop_course"  # a submission's stand-in for the checks
    fake.mkdir()
    (fake / "__init__.py").write_text("FAKE = True\n")
    (fake / "checks.py").write_text("def task(label):\n    return None\n")
    installed = Path(backprop_course.__file__).resolve().parent
    saved_path, saved_sys_path, saved_modules = list(sys.meta_path), list(sys.path), dict(sys.modules)
    try:
        for name in [name for name in sys.modules if name.split(".")[0] in ("backprop_lib", "backprop_course")]:
            del sys.modules[name]
        sys.path.insert(0, str(tmp_path))  # as in a kernel started in the working copy
        kernel_imports.install(tmp_path, installed.parent)
        from backprop_lib import layers

        assert layers.WHERE == "working copy"
        with pytest.raises(ModuleNotFoundError, match="backprop_lib.optim"):
            import backprop_lib.optim  # noqa: F401 (installed in the grader's environment, not here)
        from backprop_course import checks

        assert Path(checks.__file__).resolve().parent == installed
        assert not hasattr(sys.modules["backprop_course"], "FAKE")
    finally:
        sys.meta_path[:] = saved_path
        sys.path[:] = saved_sys_path
        sys.modules.clear()
        sys.modules.update(saved_modules)


def test_a_changed_resubmission_is_regraded_whatever_its_timestamp(course_dir):
    folder = submit(course_dir, "resubmit", "loss_not_averaged")
    first = grade(course_dir, "resubmit")["resubmit"]
    assert first["outcome"] == "graded"
    stored = json.loads((course_dir / grading.RESULTS / LESSON / "resubmit.json").read_text())
    assert len(stored["fingerprint"]) == 64 and stored["timestamp"] == sample_class.TIMESTAMP
    assert grade(course_dir, "resubmit")["resubmit"]["outcome"] == "skipped"  # nothing changed
    # The fixed library copied over the old one, timestamp.txt untouched.
    fixed = sample_class.library(STUDENTS["correct"])["losses.py"]
    (folder / "backprop_lib" / "losses.py").write_text(fixed)
    second = grade(course_dir, "resubmit")["resubmit"]
    assert second["outcome"] == "graded" and second["score"] > first["score"]
    assert second["timestamp"] == first["timestamp"]
    # Copied again without timestamp.txt, the bug back in.
    (folder / "timestamp.txt").unlink()
    buggy = sample_class.library(STUDENTS["loss_not_averaged"])["losses.py"]
    (folder / "backprop_lib" / "losses.py").write_text(buggy)
    third = grade(course_dir, "resubmit")["resubmit"]
    assert third["outcome"] == "graded" and third["score"] == first["score"]
    assert grade(course_dir, "resubmit")["resubmit"]["outcome"] == "skipped"


def test_written_answers_wait_for_hand_grading_apart_from_zero(course_dir, capsys):
    from nbgrader.api import Gradebook

    folder = submit(course_dir, "written", "correct")
    # Answered (an answer left as released scores 0 at once, as nbgrader does).
    path = folder / f"{LESSON}.ipynb"
    nb = nbformat.read(path, 4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "Because the gradient of the loss shrinks with the sigmoid's slope."
    nbformat.write(nb, path)
    assert grade(course_dir, "written")["written"]["outcome"] == "graded"
    cells, rows, by_hand = report.collect(course_dir, LESSON)
    assert by_hand, f"{LESSON} has no written answers"
    row = next(row for row in rows if row["student"] == "written")
    assert row["pending"] == sorted(by_hand)

    def grades_csv():
        report.report(course_dir, LESSON)
        with open(course_dir / "reports" / LESSON / "grades.csv") as handle:
            return next(line for line in csv.DictReader(handle) if line["student"] == "written")

    line = grades_csv()
    assert line["pending_by_hand"] == str(len(by_hand))
    assert all(line[name] == "" for name in by_hand)  # blank, not 0
    assert all(float(line[name]) == points for name, points in cells if name not in by_hand)

    def feedback():
        assert run_cli("feedback", LESSON, "--course", course_dir) == 0
        html = (course_dir / "feedback" / "written" / LESSON / f"{LESSON}.html").read_text()
        return capsys.readouterr().out, html

    def heading_score(html, grade_id):
        """The score text of a cell's heading: from its anchor to the (Top) link."""
        start = html.index(f'<a name="{grade_id}"></a>')
        return " ".join(html[html.index("Score:", start):html.index("(Top)", start)].split())

    out, html = feedback()
    pending_total = sum(len(names) for names in report.pending_by_hand(course_dir, LESSON).values())
    assert pending_total >= len(by_hand) >= 2  # one is still pending after one is graded below
    assert f"{LESSON}: {pending_total} written answer(s) of" in out
    assert f"{len(by_hand)} written answers still to be graded by hand)</h4>" in html
    for name in by_hand:
        assert heading_score(html, name) == f"Score: to be graded by hand ({dict(cells)[name]:.1f} points) <a href=\"#top\">"
        assert f'<a href="#{name}">Written response</a> (Score: to be graded by hand' in html

    # A person grades one answer (as formgrader does): it counts, and is no longer pending.
    marked, *still = sorted(by_hand)
    points = dict(cells)[marked]
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        answer = gb.find_grade(marked, LESSON, LESSON, "written")
        answer.manual_score = points
        answer.needs_manual_grade = False
        gb.db.commit()
    line = grades_csv()
    assert line["pending_by_hand"] == str(len(still))
    assert float(line[marked]) == points
    out, html = feedback()
    assert f"{LESSON}: {pending_total - 1} written answer(s) of" in out
    assert heading_score(html, marked) == f"Score: {points:.1f} / {points:.1f} <a href=\"#top\">"
    for name in still:
        assert heading_score(html, name).startswith("Score: to be graded by hand")
    assert (f"{len(still)} written answer" in html) == bool(still)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_dask_scheduler_is_one_line(course_dir):
    submit(course_dir, "dask_student", "correct")
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = subprocess.run([sys.executable, "-m", "backprop_course.autograder", "autograde", LESSON, "--course", course_dir,
                           "--student", "dask_student", "--dask", address],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    # Only a one-line warning about weak isolation may come before the error line.
    lines = [line for line in done.stderr.splitlines() if "warning" not in line.lower()]
    assert len(lines) == 1, done.stderr
    assert address in lines[0] and "dask scheduler" in lines[0] and "--dask" in lines[0]


def test_the_grading_steps_are_configured_from_the_course_config(course_dir, tmp_path):
    """Each notebook transform is a preprocessor configured like nbgrader's, from nbgrader_config.py."""
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy, ignore=shutil.ignore_patterns("submitted", "autograded", "grading"))
    with open(copy / "nbgrader_config.py", "a") as config:
        config.write("\nc.CapOutputs.max_cell_output_bytes = 100\n")
    job_config = grading.Course(copy, LESSON).job_config
    assert job_config["CapOutputs"] == {"max_cell_output_bytes": 100}

    def flooded():
        output = new_output("stream", name="stdout", text="x" * 1000)
        return new_notebook(cells=[new_code_cell("print('x' * 1000)", outputs=[output])])

    nb, resources = grading.preprocessors.CapOutputs(config=Config(job_config))(flooded(), {})
    assert nb.cells[0].outputs[0].text == "x" * 100
    assert "900 more bytes of output not kept" in nb.cells[0].outputs[1].text
    assert resources["grading"]["dropped_bytes"] == 900
    job_config["CapOutputs"]["enabled"] = False
    nb, _ = grading.preprocessors.CapOutputs(config=Config(job_config))(flooded(), {})
    assert nb.cells[0].outputs[0].text == "x" * 1000 and len(nb.cells[0].outputs) == 1


def test_cell_metadata_is_checked_as_nbgrader_checks_it_however_often_it_was_seen():
    from nbgrader.nbgraderformat import ValidationError

    def graded_cell(grade_id, **changes):
        meta = {"grade": True, "solution": False, "locked": True, "points": 1, "grade_id": grade_id,
                "schema_version": 3, **changes}
        return new_code_cell("assert True", metadata={"nbgrader": meta})

    check = grading.preprocessors.CheckMetadata()
    good = new_notebook(cells=[graded_cell("a"), graded_cell("b")])
    for _ in range(2):  # the second time from memory
        assert check(good, {})[0] is good
    failing = [new_notebook(cells=[graded_cell("a"), graded_cell("a")]),  # duplicate grade id
               new_notebook(cells=[graded_cell("a", points="x")]),  # not a number
               new_notebook(cells=[graded_cell("")])]  # empty grade id
    for nb in failing + failing:  # a failing cell is never remembered as passed
        with pytest.raises(ValidationError):
            check(nb, {})


def test_a_kernel_a_limit_kills_at_start_is_a_grader_error_and_regraded_once_fixed(tmp_path):
    """A real grader-side failure, no test hook: a memory limit too small for any kernel to start
    (`c.SandboxedKernelManager.memory_mb = 8`). Tried twice, then "grader error" with no score;
    with the limit fixed, a plain rerun grades the submission instead of skipping it."""
    course_dir = tmp_path / "course"
    assert run_cli("course", "init", course_dir, "--lesson", LESSON) == 0
    assert run_cli("release", LESSON, "--course", course_dir) == 0
    submit(course_dir, "correct", "correct")
    config = course_dir / "nbgrader_config.py"
    fixed = config.read_text()
    config.write_text(fixed + "\nc.SandboxedKernelManager.memory_mb = 8  # no kernel starts\n")
    rows, failed = grading.autograde(course_dir, LESSON, workers=1, progress=False)
    (row,) = rows
    assert failed and row["outcome"] == "grader error" and row["score"] is None, row
    assert row["reason"].startswith("before the first cell ran: ") and row["reason"].endswith("(failed 2 times)")
    config.write_text(fixed)
    (row,) = grade(course_dir, "correct").values()
    assert row["outcome"] == "graded" and row["score"] > 0, row
