"""What a killed grader leaves behind, and how nothing is: every sandboxed process gets a
parent-death signal (``die_with_parent``), so a SIGKILLed grader takes its kernels along, and
every temporary folder of a grading run is named after the process that made it (``prefix``), so
the next run removes those whose process is gone (``clean``), killing any process still named
after them (a sandbox that missed its parent-death signal): student files, kernel connection
files and their keys.

A folder's owner is "pid.start" (the start time in clock ticks since boot, from /proc): a pid
that was reused since is not taken for the owner still running.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path

# Every temporary folder a grading run makes: working copies, sandbox run dirs, submission copies.
PREFIXES = ("backprop-grade-", "backprop-sandbox-run-", "backprop-submission-")
SANDBOX_RUN = "backprop-sandbox-run-"
OWNER = re.compile(r"^(?:%s)(\d+)\.(\d+)-" % "|".join(map(re.escape, PREFIXES)))
PR_SET_PDEATHSIG = 1
_libc = None


def start_time(pid):
    """The start time of ``pid`` (clock ticks since boot), 0 where /proc does not say, None when
    there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, IndexError):  # no /proc (macOS): is the pid in use at all?
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return 0


def prefix(kind):
    """``kind`` ("backprop-grade-", ...) tagged with this process: for tempfile's ``prefix=``."""
    return f"{kind}{os.getpid()}.{start_time(os.getpid()) or 0}-"


def owner_alive(name):
    """Whether the process that made the folder ``name`` still runs (True for a name that does
    not say: it is not ours to remove)."""
    found = OWNER.match(name)
    if not found:
        return True
    started = start_time(int(found[1]))
    return started is not None and (started == 0 or started == int(found[2]))


def _ours(entries):
    for entry in entries:
        if entry.name.startswith(PREFIXES):
            with contextlib.suppress(OSError):
                if entry.is_dir(follow_symlinks=False) and (
                        os.geteuid() == 0 or entry.stat(follow_symlinks=False).st_uid == os.geteuid()):
                    yield entry


def clean(tmp=None):
    """Remove the grading folders in ``tmp`` (default: the temp folder) whose process is gone,
    after killing any process still named after one (``kill_users``). Returns the paths removed."""
    with os.scandir(tmp or tempfile.gettempdir()) as entries:
        dead = [Path(entry.path) for entry in _ours(entries) if not owner_alive(entry.name)]
    kill_users(dead)
    for path in dead:
        shutil.rmtree(path, ignore_errors=True)
    return dead


def kill_users(folders):
    """SIGKILL every process (of ours; any, for root) whose command line names one of ``folders``:
    a sandbox whose grader died should have died with it (parent-death signals), and one seen
    alive after CI runs (bubblewrap's namespace init, reparented to pid 1, around a kernel or a
    zygote's placeholder) names its working copy and run folder in its arguments. Killing a pid
    namespace's init ends everything in it. Linux only (/proc); elsewhere nothing is killed."""
    names = [os.fsencode(folder) for folder in folders]
    if not names or not Path("/proc").is_dir():
        return
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        if any(argument == name or argument.startswith(name + b"/")
               for argument in arguments for name in names):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


def live_sandboxes(tmp=None):
    """How many sandboxes of our uid run now (their run dirs, whose process is alive)."""
    with os.scandir(tmp or tempfile.gettempdir()) as entries:
        return sum(1 for entry in _ours(entries)
                   if entry.name.startswith(SANDBOX_RUN) and owner_alive(entry.name)
                   and entry.stat(follow_symlinks=False).st_uid == os.geteuid())


def die_with_parent_function(parent=None):
    """A function for a child between fork and exec (a ``preexec_fn``) that makes it die with
    SIGKILL when its parent (``parent``, default: this process) ends, or exits at once if that
    already happened; None where the OS has no parent-death signal (not Linux). Set up here,
    before the fork. (Linux sends it when the parent's *thread* that forked ends: kernels are
    started from threads that live as long as the worker.)"""
    global _libc
    if not sys.platform.startswith("linux"):
        return None
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    prctl, parent = _libc.prctl, parent or os.getpid()

    def die_with_parent():
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return die_with_parent


def die_with_parent():
    """Make this process die with SIGKILL when its parent ends (a grading worker process)."""
    function = die_with_parent_function(os.getppid())
    if function is not None:
        function()
