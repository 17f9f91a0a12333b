"""Forked grading kernels. A kernel's own start costs ~0.25 CPU s (Python, ipykernel, IPython and
numpy imported again each time), two thirds of what grading one submission costs in the kernel.
Where the sandbox is bubblewrap run by root (each kernel its own uid), a kernel is instead a fork
of a per-process "zygote" that imported them once (``zygote_main.py``): the sandbox is started as
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
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .limits import SandboxError
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
_zygote = None  # (pid of the process it belongs to, Zygote): a forked worker starts its own
_broken = None  # why forking failed on this machine, once it did


def preload_request():
    """What the zygote imports ahead (``zygote_main.preload``): PRELOADED from the folder the
    kernels' import guard pins the machinery to (``kernel_imports``), never NEVER_PRELOADED."""
    roots = [os.path.dirname(path) for path in machinery_paths()]
    return {"root": roots[0] if roots else None, "top": MACHINERY[0], "modules": list(PRELOADED),
            "never": list(NEVER_PRELOADED)}


def usable(box):
    """Whether kernels in ``box`` are forked: bubblewrap with a sandbox uid (root), on Linux,
    unless forking failed here before."""
    return (box.isolation == "bwrap" and box.uid is not None and sys.platform.startswith("linux")
            and hasattr(os, "pidfd_open") and _broken is None)


def give_up(reason):
    """Fork no more kernels in this process (``reason``: why the last one failed)."""
    global _broken
    _broken = reason


class Zygote:
    """The zygote process and its end of the channel. ``spawn(request)`` returns the kernel's pid."""

    def __init__(self, env):
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-s", str(MAIN), str(theirs.fileno()), json.dumps(preload_request())],
                pass_fds=[theirs.fileno()],
                env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        self.channel = ours
        self.answers = ours.makefile("rb")

    def spawn(self, request):
        self.channel.sendall(json.dumps(request).encode() + b"\n")
        line = self.answers.readline()
        answer = json.loads(line) if line else {"error": "the zygote process ended"}
        if "error" in answer:
            raise SandboxError(f"a forked kernel could not join its sandbox: {answer['error']}")
        return answer["pid"]

    def close(self):
        self.answers.close()
        self.channel.close()
        self.process.kill()
        self.process.wait()


def spawn(request, env):
    """Fork a kernel (``request``: see ``zygote_main``) from this process's zygote, started with
    ``env`` (minus the per-sandbox folders) when there is none yet or it died. Returns the
    kernel's pid, which leads its own process group."""
    global _zygote
    with _lock:
        for attempt in (1, 2):
            if _zygote is None or _zygote[0] != os.getpid() or _zygote[1].process.poll() is not None:
                _zygote = (os.getpid(), Zygote({key: value for key, value in env.items()
                                                if key not in PER_SANDBOX}))
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
