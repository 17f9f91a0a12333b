"""Sandbox uids for a root grader: leased one per concurrent run, and every process of one killed
at the end of its run."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .limits import SandboxError

try:  # POSIX only; on Windows nothing here can be enforced and run_limited refuses to start.
    import fcntl
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = None

# Sandbox uids: far above any real account, one per concurrently running sandbox.
UID_BASE = 2_100_000
UID_SLOTS = 4096
# What a slot's lock file holds once its holder released it cleanly (every process of the uid
# killed): the next holder then needs no kill of its own. A crashed holder leaves it empty.
RELEASED = b"released"


class UidLease:
    """An exclusive sandbox uid for this run, held through an flock on a per-slot lock file. Each
    kill of a uid starts a process, so a slot is killed on taking it only when its last holder
    did not release it cleanly."""

    def __init__(self):
        lockdir = Path(tempfile.gettempdir()) / "backprop-sandbox-uids"
        lockdir.mkdir(mode=0o700, exist_ok=True)
        start = os.getpid() % UID_SLOTS
        for offset in range(UID_SLOTS):
            slot = (start + offset) % UID_SLOTS
            fd = os.open(lockdir / str(slot), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.fd, self.uid = fd, UID_BASE + slot
            if os.pread(fd, len(RELEASED) + 1, 0) != RELEASED:
                kill_uid(self.uid)  # leftovers of a grader that crashed while holding this slot
            os.ftruncate(fd, 0)
            return
        raise SandboxError(f"all {UID_SLOTS} sandbox uids are in use: fewer parallel workers")

    def release(self):
        """Kill every process of the uid, mark the slot cleanly released, and unlock it."""
        kill_uid(self.uid)
        os.pwrite(self.fd, RELEASED, 0)
        os.close(self.fd)


def kill_uid(uid):
    """SIGKILL every process running as ``uid`` (root only): ``kill(-1)`` sent *as* that uid
    reaches exactly its processes, including ones that left their process group. Sent by
    util-linux's setpriv and a kill program where both are installed (subprocess starts them with
    vfork), else from a fork of this process, which costs a grader ~15 ms of CPU."""
    setpriv, kill = shutil.which("setpriv"), shutil.which("kill")
    if setpriv and kill:
        # Its exit status says nothing: kill(-1) fails when the uid runs nothing.
        subprocess.run([setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--",
                        kill, "-9", "-1"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        return
    pid = os.fork()
    if pid == 0:  # only async-signal-safe calls until _exit
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_group(pid, signum=signal.SIGKILL):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
