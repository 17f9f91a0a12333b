"""A whole process under limits: ``run_limited`` and the one-line reason of how it ended."""

from __future__ import annotations

import os
import signal
import subprocess

from .box import Sandbox
from .limits import Limits, Outcome
from .uids import kill_group

# How much of a sandboxed process's stdout/stderr an Outcome keeps.
TAIL_BYTES = 4000


def _signal_name(returncode):
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def tail(path):
    """The last TAIL_BYTES of the file at ``path``, decoded leniently."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - TAIL_BYTES))
        return f.read().decode("utf-8", errors="replace")


WHY_SIGNAL = {"SIGXCPU": "CPU limit", "SIGXFSZ": "file size limit", "SIGSEGV": "crashed (segfault)",
              "SIGKILL": "killed", "SIGABRT": "aborted", "SIGBUS": "crashed (bus error)"}


def _reason(limits, returncode, timed_out, sig, stderr_tail):
    if timed_out:
        return f"wall-clock limit of {limits.wall_seconds:g} s reached; the run was killed"
    if sig == "SIGXCPU" or (sig == "SIGKILL" and "CPU" in stderr_tail):
        return f"CPU limit of {limits.cpu_seconds} s reached"
    if sig == "SIGXFSZ" or "File too large" in stderr_tail:  # Python ignores SIGXFSZ: EFBIG
        return f"wrote a file larger than the {limits.file_mb} MB limit"
    if sig:
        return f"{WHY_SIGNAL.get(sig, 'killed by ' + sig)} ({sig})"
    if returncode == 0:
        return "ok"
    if "MemoryError" in stderr_tail:
        return f"memory limit of {limits.memory_mb} MB reached (MemoryError), exit status {returncode}"
    return f"exit status {returncode}"


def run_limited(cmd, cwd, limits=None, readonly=(), env=None, keep_env=()):
    """Run ``cmd`` (an argv list) in the sandbox with ``cwd`` as its read-write working copy.

    ``readonly``: extra paths the program needs (bound read-only under bwrap); ``env``: the base
    environment to filter (default: ours; see ``Sandbox.env``); ``keep_env``: extra variable names
    to pass through. Output goes to files in the run directory (never to memory), so an output bomb
    costs at most ``limits.file_mb``. Returns an ``Outcome``; raises ``SandboxError`` only when
    the sandbox itself cannot be set up.
    """
    limits = limits or Limits()
    with Sandbox(cwd, limits, readonly) as box:
        out_path, err_path = box.rundir / "stdout", box.rundir / "stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            prefix, launch = box.launcher()
            proc = subprocess.Popen(prefix + box.command(cmd), cwd=box.workdir, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, env=box.env(env, keep_env),
                                    start_new_session=True, **launch)
            timed_out = False
            try:
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
            # Kill the rest of the run even after a normal exit: a student's background process
            # must not outlive its grading.
            kill_group(proc.pid)
            box.kill()
            proc.wait()
        stdout_tail, stderr_tail = tail(out_path), tail(err_path)
    sig = None if timed_out else _signal_name(proc.returncode)
    # unshare/bwrap report a child's death by signal as exit status 128 + signal.
    if sig is None and not timed_out and box.isolation != "none" and 128 < proc.returncode < 160:
        sig = _signal_name(128 - proc.returncode)
    return Outcome(proc.returncode, timed_out, sig, stdout_tail, stderr_tail,
                   _reason(limits, proc.returncode, timed_out, sig, stderr_tail))
