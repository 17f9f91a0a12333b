"""Forked grading kernels. A kernel's own start costs ~0.25 CPU s (Python, ipykernel, IPython and
numpy imported again each time), two thirds of what grading one submission costs in the kernel.
Where the sandbox is bubblewrap run by root (each kernel its own uid), a kernel is instead a fork
of a "zygote" that imported them once (``zygote_main.py``): one per process that starts kernels, or
one for a whole batch, started by ``LocalPool`` before it forks its workers (``prestart``), each
worker speaking to it on a channel of its own (``adopt``); ``backprop-course autograde`` starts it
before its own imports (``start_early``), and the pool keeps it when it fits. The sandbox is started as
always, around a placeholder process (``STUB``), and the fork joins its namespaces and takes the
sandbox uid, working folder, limits and environment the exec'd kernel would have had.

The kernel manager keeps managing the sandbox process: the zygote's child waits for the kernel
and then kills the placeholder, so the sandbox ends when the kernel does, and killing the sandbox
(shutdown, wall-clock limit) kills the kernel with its pid namespace.

The zygote also imports the course machinery every lesson's first cell imports (``PRELOADED``),
so a forked kernel's imports are the student's library alone. The zygote runs outside the
sandbox, where the course content (reference library, hidden tests) is not covered: it forks no
kernel once any module of ``NEVER_PRELOADED`` is loaded (see ``zygote_main.preload``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .limits import Limits, SandboxError
from .prefixes import HIDDEN_CONTENT, MACHINERY, machinery_paths

STUB = ["sleep", "infinity"]  # what the sandbox runs until the kernel joins it
MAIN = Path(__file__).with_name("zygote_main.py")
READY_SECONDS = 10  # for bubblewrap to set the sandbox up and start the placeholder
# The kernel's environment names its sandbox's folders; the zygote serves every sandbox.
PER_SANDBOX = ("HOME", "IPYTHONDIR", "MPLCONFIGDIR", "TMPDIR")
# What the lessons' first cells import from the machinery (with what these import: records,
# check_rows, misconceptions, reveal, task_regions, hand_answers). Not viz: grading draws nothing.
PRELOADED = ("backprop_course.lesson", "backprop_course.cells", "backprop_course.checks",
             "backprop_course.gradcheck", "backprop_course.network", "backprop_course.tasks.find_the_bug",
             *(f"backprop_course.tasks.lesson_{number}" for number in range(1, 7)))
# Never in a zygote: the content (the reference and the hidden tests), the grader and its judge,
# and the student's library (each submission's own; see kernel_imports).
NEVER_PRELOADED = (HIDDEN_CONTENT, "backprop_course.autograder", "backprop_lib")

_lock = threading.Lock()
_zygote = None  # (pid of the process it belongs to, Zygote): a forked worker adopts one or starts its own
_broken = None  # why forking failed on this machine, once it did
_prestarted = None  # the Zygote ``prestart`` started in this process, for its workers to ``adopt``
_claims = None  # a pipe's read end holding one byte per channel of it left to adopt: its index


def preload_request():
    """What the zygote imports ahead (``zygote_main.preload``): PRELOADED from the folder the
    kernels' import guard pins the machinery to (``kernel_imports``), never NEVER_PRELOADED."""
    roots = [os.path.dirname(path) for path in machinery_paths()]
    return {"root": roots[0] if roots else None, "top": MACHINERY[0], "modules": list(PRELOADED),
            "never": list(NEVER_PRELOADED)}


def usable(box):
    """Whether kernels in ``box`` are forked: bubblewrap with a sandbox uid (root), on Linux,
    unless forking failed here before."""
    return box.isolation == "bwrap" and box.uid is not None and _forking_works()


def _forking_works():
    """On Linux with pidfd_open, unless forking failed here before."""
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and _broken is None


def would_fork(limits):
    """Whether kernels under ``limits`` will be forked here, as far as is known without starting
    one: bubblewrap (named, or the first working tier), run by root, on Linux. Runs no probe
    (``machine.available``): a zygote started for nothing is stopped unused."""
    from .machine import can_setuid, forced_isolation

    isolation = limits.isolation if limits.isolation != "auto" else forced_isolation() or "bwrap"
    return isolation == "bwrap" and shutil.which("bwrap") is not None and can_setuid() and _forking_works()


def prestart(count, env):
    """Start the zygote now, with a kernel's environment ``env`` and ``count`` channels, for as
    many worker processes forked from this one to ``adopt``: its imports (~0.5 s) then run while
    the grader prepares its first jobs, not when a worker starts its first kernel, and once for
    all workers. One ``start_early`` started is kept when it fits (alive, the same environment,
    channels enough). ``stop_prestarted`` ends it."""
    global _prestarted, _claims
    fits = (_prestarted is not None and _prestarted.env == _shared(env)
            and len(_prestarted.ends) >= count and _prestarted.alive())
    if not fits:
        stop_prestarted()
        _prestarted = Zygote(_shared(env), clients=count)
    elif _claims is not None:
        os.close(_claims)
    read, write = os.pipe()
    os.write(write, bytes(range(count)))
    os.close(write)  # an emptied pipe then reads as b"", never blocks
    _claims = read


def start_early(count, env):
    """Start the zygote at a command's start, before the grader's imports (~0.6 s on one core, the
    other idle): where kernels may be forked here at all (``would_fork`` with the default limits)
    and none is prestarted. ``prestart`` keeps it, or ends it when the batch's limits or
    environment want another; ``stop_prestarted`` ends it when no batch runs."""
    global _prestarted
    if _prestarted is None and would_fork(Limits()):
        _prestarted = Zygote(_shared(env), clients=count)


def adopt():
    """In a worker forked after ``prestart``: take one channel of the zygote as this process's
    own (used when a kernel's environment is the one it was started with)."""
    global _zygote, _prestarted, _claims
    if _prestarted is None:
        return
    try:
        _zygote = (os.getpid(), _prestarted.take(os.read(_claims, 1)[0]))
    except IndexError:  # more workers than channels: it starts its own
        _prestarted.close()
    _prestarted = None
    os.close(_claims)
    _claims = None


def stop_prestarted():
    """End the zygote ``prestart`` started in this process (its workers are done with it)."""
    global _prestarted, _claims
    if _prestarted is not None:
        _prestarted.close()
        _prestarted = None
    if _claims is not None:
        os.close(_claims)
        _claims = None


def give_up(reason):
    """Fork no more kernels in this process (``reason``: why the last one failed)."""
    global _broken
    _broken = reason


class Zygote:
    """The zygote process and this process's end of its channel: ``spawn(request)`` returns the
    kernel's pid. Started with ``clients`` channels, one for each process to ``take``."""

    def __init__(self, env, clients=1):
        self.env, self.parent = env, os.getpid()
        pairs = [socket.socketpair() for _ in range(clients)]
        theirs = [pair[1].fileno() for pair in pairs]
        self.process = subprocess.Popen(
            [sys.executable, "-s", str(MAIN), ",".join(map(str, theirs)), json.dumps(preload_request())],
            pass_fds=theirs, env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        for _, end in pairs:
            end.close()
        self.ends = [(ours, ours.makefile("rb")) for ours, _ in pairs]

    def take(self, index):
        """Keep channel ``index`` as this process's, closing the others here; returns self."""
        kept = self.ends[index]
        for end in self.ends:
            if end is not kept:
                self._close(end)
        self.ends = [kept]
        return self

    def spawn(self, request):
        channel, answers = self.ends[0]
        channel.sendall(json.dumps(request).encode() + b"\n")
        line = answers.readline()
        answer = json.loads(line) if line else {"error": "the zygote process ended"}
        if "error" in answer:
            raise SandboxError(f"a forked kernel could not join its sandbox: {answer['error']}")
        return answer["pid"]

    def alive(self):
        if os.getpid() == self.parent:
            return self.process.poll() is None
        try:  # an adopted zygote (see ``adopt``) is not this process's child: poll() cannot tell
            os.kill(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def close(self):
        """Close this process's channels, and end the zygote if this process started it (an
        adopted one serves other workers too: its starter ends it)."""
        for end in self.ends:
            self._close(end)
        self.ends = []
        if os.getpid() == self.parent:
            self.process.kill()
            self.process.wait()

    @staticmethod
    def _close(end):
        channel, answers = end
        answers.close()
        channel.close()


def _shared(env):
    """``env`` less the per-sandbox folders: what a zygote starts with."""
    return {key: value for key, value in env.items() if key not in PER_SANDBOX}


def spawn(request, env):
    """Fork a kernel (``request``: see ``zygote_main``) from this process's zygote, started with
    ``env`` (minus the per-sandbox folders) when there is none yet, it died, or it was started
    with another environment. Returns the kernel's pid, which leads its own process group."""
    global _zygote
    with _lock:
        for attempt in (1, 2):
            if _zygote is not None and _zygote[0] == os.getpid() and _zygote[1].env != _shared(env):
                _zygote[1].close()  # prestarted with another environment than this kernel's
                _zygote = None
            if _zygote is None or _zygote[0] != os.getpid() or not _zygote[1].alive():
                _zygote = (os.getpid(), Zygote(_shared(env)))
            try:
                return _zygote[1].spawn(request)
            except (OSError, ValueError):  # the zygote died while answering: once more with a new one
                _zygote[1].close()
                _zygote = None
                if attempt == 2:
                    raise


def wait_ready(sandbox_pid):
    """The pid of the placeholder once bubblewrap runs it (the sandbox is set up), inside the
    process tree of ``sandbox_pid``."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for pid in _descendants(sandbox_pid):
            if _read(f"/proc/{pid}/comm") == STUB[0]:
                return pid
        if not os.path.exists(f"/proc/{sandbox_pid}"):
            break
        time.sleep(0.001)
    raise SandboxError("the sandbox did not start (bubblewrap failed or took over "
                       f"{READY_SECONDS} s): see the kernel log")


def _descendants(pid):
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for child in _read(f"/proc/{parent}/task/{parent}/children").split():
            found.append(int(child))
            stack.append(int(child))
    return found


def _read(path):
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return ""
