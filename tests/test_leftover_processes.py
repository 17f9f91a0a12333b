"""The next run kills what a dead grader's sandbox left running (leftovers.clean/kill_users): a
process still naming a dead owner's folder is killed before the folder goes, one naming a living
owner's folder is left alone."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_course.autograder.sandbox import leftovers

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")


def folder_of(tmp_path, pid):
    """A grading folder as the process ``pid`` would name it."""
    path = tmp_path / f"{leftovers.SANDBOX_RUN}{pid}.{leftovers.start_time(pid)}-abc"
    path.mkdir()
    return path


def sleeper(path):
    """A process in a session of its own (no parent-death tie to this test) naming ``path``."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "-f",
                             str(path / "kernel.json")], start_new_session=True)


def test_a_process_naming_a_dead_owners_folder_is_killed_and_the_folder_removed(tmp_path):
    owner = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    dead = folder_of(tmp_path, owner.pid)  # named while the owner runs, as a real run names it
    owner.stdin.close()
    owner.wait()
    alive = folder_of(tmp_path, os.getpid())
    orphan, bystander = sleeper(dead), sleeper(alive)
    try:
        time.sleep(0.2)
        assert leftovers.clean(tmp_path) == [dead]
        assert orphan.wait(timeout=10) == -9
        assert bystander.poll() is None and alive.exists() and not dead.exists()
    finally:
        for process in (orphan, bystander):
            process.kill()
            process.wait()
