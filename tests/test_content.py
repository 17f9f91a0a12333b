"""The course content (backprop_course.content) and the copies made from it: in a checkout the
content is the repository's folders; a student kit and the lecture are written from it into any
folder, never over an existing file."""

import subprocess
import sys

import pytest

from backprop_course import content
from backprop_course.autograder import kits
from backprop_course.autograder.course import CourseError
from conftest import ROOT


def test_in_a_checkout_the_content_is_the_repositorys_folders():
    assert content.in_checkout()
    for name in content.FOLDERS:
        assert content.folder(name) == ROOT / name
    with pytest.raises(ValueError, match="no course content folder 'solution'"):
        content.folder("solution")


def test_a_student_kit_is_an_assignment_folder_and_is_never_written_twice(tmp_path):
    lessons = kits.write_student_kit(tmp_path / "kit")
    assert lessons == sorted(path.stem for path in (ROOT / "lessons").glob("*.ipynb"))
    for lesson in lessons:
        assert (tmp_path / "kit" / f"{lesson}.ipynb").read_bytes() == \
            (ROOT / "lessons" / f"{lesson}.ipynb").read_bytes()
    assert sorted(p.name for p in (tmp_path / "kit" / "backprop_lib").iterdir()) == \
        sorted(p.name for p in (ROOT / "backprop_lib").glob("*.py"))
    assert (tmp_path / "kit" / "lab-config" / "labconfig" / "page_config.json").is_file()
    edited = tmp_path / "kit" / "backprop_lib" / "layers.py"
    edited.write_text("# my work\n")
    with pytest.raises(CourseError, match="exists already: choose an empty folder"):
        kits.write_student_kit(tmp_path / "kit")
    assert edited.read_text() == "# my work\n"


def test_the_lecture_copy_runs_on_the_installed_reference(tmp_path):
    [notebook] = kits.write_lecture(tmp_path)
    assert notebook.read_bytes() == (ROOT / "lecture" / notebook.name).read_bytes()
    # Its first code cell finds the reference through the content, not a relative path.
    code = ("from backprop_course import content\nfrom backprop_course.lesson import start\n"
            "print(start(content.folder('solutions')))\nimport backprop_lib\nprint(backprop_lib.__file__)")
    printed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60).stdout.split()
    assert printed == [str(ROOT / "solutions"), str(ROOT / "solutions" / "backprop_lib" / "__init__.py")]


def test_build_writes_only_a_checkout(monkeypatch, capsys):
    from backprop_course.autograder.cli import main

    monkeypatch.setattr(content, "in_checkout", lambda: False)
    assert main(["build"]) == 2
    assert "installed course content is read-only" in capsys.readouterr().err
