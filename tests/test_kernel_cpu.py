"""The kernel's CPU clock finds the processes of a kernel's group (kernel_cpu._group_pids)."""

import os
import subprocess
import sys
import time

import pytest

from backprop_course.autograder.grading import kernel_cpu

pytestmark = pytest.mark.skipif(not kernel_cpu.PROC.is_dir(), reason="needs /proc (Linux)")

# A group leader with a child, a grandchild, and one descendant that leaves for a session of its
# own and then writes its pid to READY (the tree is settled once that file is there).
TREE = ("sleep 30 & sh -c 'sleep 30 & wait' & "
        f"{sys.executable} -c 'import os, sys, time; os.setsid(); "
        "open(sys.argv[1], \"w\").write(str(os.getpid())); time.sleep(30)' \"$READY\" & wait")


def every_member(pgid):
    """The group as one pass over /proc sees it."""
    return sorted(entry.name for entry in kernel_cpu.PROC.iterdir()
                  if entry.name.isdigit() and kernel_cpu._in_group(entry.name, pgid))


@pytest.fixture
def group(tmp_path):
    """(the leader's pid, the pid of the descendant that left the group)."""
    ready = tmp_path / "ready"
    leader = subprocess.Popen(["sh", "-c", TREE], start_new_session=True, env={**os.environ, "READY": str(ready)})
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly
        while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield leader.pid, ready.read_text()
    finally:
        subprocess.run(["pkill", "-KILL", "-s", str(leader.pid)], check=False)
        if ready.exists() and ready.read_text():
            subprocess.run(["kill", "-KILL", ready.read_text()], check=False)
        leader.wait()


def test_the_group_is_its_leader_and_the_descendants_still_in_it(group):
    leader, left = group
    members = every_member(leader)
    assert str(leader) in members and len(members) >= 4  # sh, sleep, sh, sleep
    assert sorted(kernel_cpu._group_pids(leader)) == members
    assert left not in members


def test_the_clock_reads_the_cpu_of_the_whole_group(group):
    leader, _ = group
    clock = kernel_cpu.KernelClock()
    clock.started(leader)
    assert sorted(clock.pids) == every_member(leader)
    assert clock.read() >= 0


def test_no_such_group_is_empty():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    assert kernel_cpu._group_pids(int(finished.stdout)) == []
