"""The course content (backprop_course.content) and the copies made from it: in a checkout the
content is the repository's folders; the lecture is copied from it into any folder, never over
an existing file (the student kit: test_student_kit.py)."""

import subprocess
import sys

import pytest

from backprop_course import content
from backprop_course.autograder import lecture_kit
from helpers.checkout import ROOT


def test_in_a_checkout_the_content_is_the_repositorys_folders():
    assert content.in_checkout()
    for name in content.FOLDERS:
        assert content.folder(name) == ROOT / name
    with pytest.raises(ValueError, match="no course content folder 'solution'"):
        content.folder("solution")


def test_the_lecture_copy_runs_on_the_installed_reference(tmp_path):
    [notebook] = lecture_kit.write_lecture(tmp_path)
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
