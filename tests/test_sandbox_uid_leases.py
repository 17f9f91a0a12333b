"""Sandbox uid leases (root graders): a slot whose last holder crashed has its leftover processes
killed when it is taken again; a cleanly released slot is marked so, and taking it starts no killer."""

import os
import signal
import time

import pytest

from backprop_course.autograder.sandbox import uids
from backprop_course.autograder.sandbox.box import can_setuid

pytestmark = pytest.mark.skipif(not can_setuid(), reason="only a root grader leases sandbox uids")


def start_as(lease):
    """A process sleeping as the lease's uid (what a crashed grader's kernel leaves behind); it
    does not hold the lease's lock, as an exec'd kernel does not."""
    ready, started = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(lease.fd)
            os.setgid(lease.uid)
            os.setuid(lease.uid)
            os.write(started, b"1")
            time.sleep(60)
        finally:
            os._exit(0)
    os.read(ready, 1)
    os.close(ready)
    os.close(started)
    return pid


def alive(pid):
    """Whether our child ``pid`` still runs (reaping it once it ended)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # reaped before
        return False
    return done == 0


def test_a_crashed_holders_processes_die_when_the_slot_is_taken_again():
    crashed = uids.UidLease()
    leftover = start_as(crashed)
    os.close(crashed.fd)  # the holder dies without releasing: its lock goes, the marker is not written
    try:
        again = uids.UidLease()  # same process: the same first slot
        assert again.uid == crashed.uid
        for _ in range(100):
            if not alive(leftover):
                break
            time.sleep(0.02)
        else:
            pytest.fail("the crashed holder's process outlived the new lease")
        again.release()
    finally:
        if alive(leftover):
            os.kill(leftover, signal.SIGKILL)
            os.waitpid(leftover, 0)


def test_a_released_slot_is_marked_and_taken_without_a_kill(monkeypatch):
    lease = uids.UidLease()
    running = start_as(lease)
    lease.release()  # kills the uid's processes, then marks the slot
    os.waitpid(running, 0)  # returns: the release killed it
    path = uids.Path(uids.tempfile.gettempdir()) / "backprop-sandbox-uids" / str(lease.uid - uids.UID_BASE)
    assert path.read_bytes() == uids.RELEASED
    kills = []
    monkeypatch.setattr(uids, "kill_uid", kills.append)
    taken = uids.UidLease()
    assert (taken.uid, kills) == (lease.uid, [])
    assert path.read_bytes() == b""  # held: a crash from here on leaves no mark
    monkeypatch.undo()
    taken.release()


@pytest.mark.parametrize("killer", ["setpriv and kill", "a fork"])
def test_killing_a_uid_ends_its_processes_however_it_is_sent(killer, monkeypatch):
    if killer == "a fork":  # where setpriv or a kill program is missing
        monkeypatch.setattr(uids.shutil, "which", lambda name: None)
    elif not (uids.shutil.which("setpriv") and uids.shutil.which("kill")):
        pytest.skip("no setpriv or kill program here: kill_uid forks")
    lease = uids.UidLease()
    try:
        running = [start_as(lease), start_as(lease)]
        uids.kill_uid(lease.uid)
        for pid in running:
            os.waitpid(pid, 0)  # returns: the kill reached it
        assert not any(alive(pid) for pid in running)
    finally:
        lease.release()
