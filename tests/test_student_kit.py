"""`backprop-course student-kit DIR`: the folder students get holds the released lessons, the skeleton,
the student view and the machinery's wheel, and no solution; no visible cell of a released lesson
holds a task's solution code; README's student section is the kit's."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from backprop_course.autograder import nbgrader_course, solution_shapes, student_kit

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "backprop_course.autograder"]


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kit") / "backprop-kit"
    run = subprocess.run([*CLI, "student-kit", str(folder)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("wrote ") and "hand this folder to students" in run.stdout
    return folder


def _regions():
    return [(path.name, tag, shapes) for path in sorted((ROOT / "solutions" / "backprop_lib").glob("*.py"))
            for tag, shapes in solution_shapes.region_shapes(path.read_text())]


@pytest.mark.slow
def test_the_kit_holds_the_lessons_the_skeleton_and_the_machinery_and_no_solution(kit):
    files = sorted(str(path.relative_to(kit)) for path in kit.rglob("*") if path.is_file())
    wheel = [name for name in files if name.startswith("wheels/")]
    assert len(wheel) == 1 and wheel[0].endswith(".whl")
    assert set(files) == {str(path) for path in student_kit.kit_files()} | {"README.md", wheel[0]}
    for inside, source in student_kit.kit_files().items():
        assert (kit / inside).read_bytes() == source.read_bytes()
    assert {path.name for path in (kit / "lessons").glob("*.ipynb")} == \
        {path.name for path in (ROOT / "lessons").glob("*.ipynb")}
    assert not any("solutions" in name for name in files)
    assert nbgrader_course.leaks_in_folder(kit, student_kit.solution_secrets()) == []
    skeleton = (kit / "backprop_lib" / "mlp.py").read_text()
    assert 'raise NotImplementedError("Lesson 5, task 1: implement MLP.forward")' in skeleton
    with zipfile.ZipFile(kit / wheel[0]) as archive:
        names = archive.namelist()
        entry_points = next(archive.read(name).decode() for name in names if name.endswith("entry_points.txt"))
    assert "backprop_course/lesson.py" in names and "backprop_course/autograder/cli.py" in names
    assert "backprop-course = backprop_course.autograder.cli:main" in entry_points
    # The skeleton and the student notebooks ship as content; the reference and the lecture do not.
    assert "backprop_course/content/backprop_lib/mlp.py" in names
    assert not [name for name in names if name.startswith(("solutions/", "backprop_lib/", "backprop_course/content/solutions/",
                                                           "backprop_course/content/lecture/"))]

    readme = (kit / "README.md").read_text()
    assert f".venv/bin/pip install {wheel[0]}" in readme


@pytest.mark.slow
def test_backprop_course_check_inside_the_kit_checks_the_kits_lesson_and_library(kit):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    run = subprocess.run([*CLI, "check", "01_computation_graph"], cwd=kit, capture_output=True, text=True,
                         timeout=600, env=env)
    lines = run.stdout.splitlines()
    assert lines[0] == f"visible checks of 01_computation_graph.ipynb against {kit.resolve() / 'backprop_lib'}/"
    assert "not implemented yet: Lesson 1, task 3" in " ".join(run.stdout.split())
    assert run.returncode == 1  # a skeleton passes nothing


def test_a_kit_is_never_written_over_a_students_files(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "mine.ipynb").write_text("my work")
    run = subprocess.run([*CLI, "student-kit", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"backprop-course student-kit: {tmp_path} is not an empty folder: "
                                               "choose a new one (a kit never writes over a student's files)"]
    assert [path.name for path in tmp_path.rglob("*")] == ["lessons", "mine.ipynb"]


@pytest.mark.parametrize("lesson", sorted(path.name for path in (ROOT / "lessons").glob("*.ipynb")))
def test_no_visible_cell_of_a_released_lesson_holds_a_tasks_solution(lesson):
    cells = [cell.source for cell in nbformat.read(ROOT / "lessons" / lesson, as_version=4).cells
             if cell.cell_type == "code"]
    found = [(name, tag) for name, tag, shapes in _regions() for source in cells
             if solution_shapes.holds(source, shapes)]
    assert found == []


def test_the_solution_finder_finds_a_task_under_other_names():
    """Lesson 5 once showed MLP.forward's loop in a helper over ``layers``: that is found."""
    helper = "def run_layers(layers, x):\n    for layer in layers:\n        x = layer.forward(x)\n    return x\n"
    assert ("mlp.py", "Lesson 5, task 1: implement MLP.forward") in \
        [(name, tag) for name, tag, shapes in _regions() if solution_shapes.holds(helper, shapes)]
    assert not any(solution_shapes.holds("for layer in layers:\n    print(layer)\n", shapes)
                   for _, _, shapes in _regions() if len(shapes) > 1)


def test_readmes_student_section_starts_with_the_kit_and_shows_its_commands():
    readme = (ROOT / "README.md").read_text()
    students = readme.split("## For students", 1)[1].split("\n## ", 1)[0]
    first = students.strip().split("\n\n", 1)[0]
    assert "backprop-course student-kit" in first
    kit_readme = student_kit.readme("WHEEL")
    for command in re.findall(r"```sh\n(.*?)```", kit_readme, re.S):
        for line in command.strip().splitlines():
            assert line.replace("wheels/WHEEL", "wheels/backprop_course-*.whl") in students, line
    assert "instructors' preview" in readme
