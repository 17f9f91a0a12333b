"""`make lab` on a fresh checkout: pip's progress shows during the first install (other targets stay
quiet), setuptools' editable-install notice does not, and the preview says it is the instructors'."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(target):
    """The commands `make TARGET` would run with the environment out of date (nothing is run)."""
    return subprocess.run(["make", "--no-print-directory", "-n", "-W", "pyproject.toml", target], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60).stdout


def _pip_lines(commands):
    return [line for line in commands.splitlines() if " -m pip install " in line]


def test_make_lab_shows_pips_progress_and_hides_the_editable_notice():
    lab = _dry_run("lab")
    pip = _pip_lines(lab)
    assert len(pip) == 2 and all("--quiet" not in line and "--progress-bar on" in line for line in pip), pip
    # the notice is a UserWarning of setuptools' build backend, run by pip in a child process
    assert all(line.startswith('PYTHONWARNINGS="ignore::UserWarning" ') for line in pip), pip
    assert re.search(r"setting up \.venv \(the first time takes about 3 minutes", lab)
    assert "instructors' preview" in lab and "backprop-course student-kit DIR" in lab


def test_make_test_installs_quietly():
    pip = _pip_lines(_dry_run("test"))
    assert len(pip) == 2 and all("--quiet" in line for line in pip), pip
