"""The kernel's CPU clock finds the processes of a kernel's group (kernel_cpu._group_pids)."""

import subprocess
import sys
import time

import pytest

from backprop_course.autograder.grading import kernel_cpu

pytestmark = pytest.mark.skipif(not kernel_cpu.PROC.is_dir(), reason="needs /proc (Linux)")

# A group leader with a child, a grandchild, and one descendant that left for a session of its own.
TREE = ("sleep 30 & sh -c 'sleep 30 & wait' & "
        f"{sys.executable} -c 'import os, time; os.setsid(); time.sleep(30)' & wait")


def every_member(pgid):
    """The group as one pass over /proc sees it."""
    return sorted(entry.name for entry in kernel_cpu.PROC.iterdir()
                  if entry.name.isdigit() and kernel_cpu._in_group(entry.name, pgid))


@pytest.fixture
def group():
    leader = subprocess.Popen(["sh", "-c", TREE], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(every_member(leader.pid)) != 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        yield leader.pid
    finally:
        subprocess.run(["pkill", "-KILL", "-s", str(leader.pid)], check=False)
        subprocess.run(["pkill", "-KILL", "-f", "os.setsid(); time.sleep(30)"], check=False)
        leader.wait()


def test_the_group_is_its_leader_and_the_descendants_still_in_it(group):
    members = every_member(group)
    assert len(members) == 4  # sh, sleep, sh, sleep: the setsid one has left
    assert sorted(kernel_cpu._group_pids(group)) == members


def test_the_clock_reads_the_cpu_of_the_whole_group(group):
    clock = kernel_cpu.KernelClock()
    clock.started(group)
    assert sorted(clock.pids) == every_member(group)
    assert clock.read() >= 0


def test_no_such_group_is_empty():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    assert kernel_cpu._group_pids(int(finished.stdout)) == []
