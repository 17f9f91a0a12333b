"""What this machine offers and enforces: which isolation tiers work (probed once per process by
running the real thing), which one a run gets, and what that tier protects (``enforced``,
``describe``), with a one-line warning when it is weak."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from .limits import FORCE_ENV, ISOLATIONS, Limits, SandboxError
from .prefixes import bwrap_prefix, launch_prefix, setpriv_prefix, unshare_prefix
from .uids import UID_BASE, UID_SLOTS

try:  # POSIX only; on Windows nothing here can be enforced and run_limited refuses to start.
    import resource
except ImportError:  # pragma: no cover - exercised on Windows only
    resource = None


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def can_setuid():
    return is_root() and shutil.which("setpriv") is not None


def _probes(commands):
    """{key: whether the command exited 0} for {key: (argv, cwd)}, run at once: each starts a
    Python inside its mechanism (~0.1 s), and the grader waits for the slowest, not the sum."""
    started = {}
    for key, (cmd, cwd) in commands.items():
        try:
            started[key] = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            started[key] = None
    results = {}
    for key, process in started.items():
        try:
            results[key] = process is not None and process.wait(timeout=30) == 0
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            results[key] = False
    return results


_probing = threading.Lock()  # held while the probes run: a second caller waits for their answer


def _new_probing_lock():
    # A process forked while another thread probed has no such thread: it probes itself.
    global _probing
    _probing = threading.Lock()


os.register_at_fork(after_in_child=_new_probing_lock)


def available():
    """Which mechanisms work here: {"rlimits", "bwrap", "unshare", "uid_drop", "launch_prefix"}
    -> bool. Probed once per process; a call while ``probe_in_background`` runs waits for it.

    "uid_drop": the grader is root and an unprivileged uid can run this Python outside bwrap
    (inside bwrap the Python installation is bound where any uid can reach it).
    "launch_prefix": ``prefixes.launch_prefix`` sets a process up here (``Sandbox.launcher``).
    """
    with _probing:
        return _probed()


def probe_in_background():
    """Run ``available()``'s probes now on a thread of their own: they mostly wait (~0.1 s) for
    the Pythons they start, which a command's imports can hide. The thread is not a daemon: a
    command that ends first waits for it rather than leave its probes behind."""
    threading.Thread(target=available, name="sandbox-probes").start()


@functools.lru_cache(maxsize=None)
def _probed():
    posix = resource is not None and sys.platform != "win32"
    linux = sys.platform.startswith("linux")
    # The same installation must start, not another Python found when parts are unreadable.
    python = [os.path.realpath(sys.executable), "-c",
              f"import sys; sys.exit(sys.base_prefix != {sys.base_prefix!r})"]
    probes = {}
    if linux and shutil.which("bwrap"):
        # as it will run: as root, it drops to a sandbox uid inside
        uid = UID_BASE + UID_SLOTS - 1 if can_setuid() else None
        probes["bwrap"] = (bwrap_prefix("/", [], [], network=False, uid=uid) + python, None)
    if linux and shutil.which("unshare"):
        probes["unshare"] = (unshare_prefix(uid=None) + python, None)
    if linux and can_setuid():
        probes["uid_drop"] = (setpriv_prefix(UID_BASE + UID_SLOTS - 1) + python, "/")
    launch = launch_prefix([(resource.RLIMIT_CORE, (0, 0))]) if posix else None
    true = shutil.which("true")
    if launch and true:
        probes["launch_prefix"] = (launch + [true], None)
    return {"rlimits": posix, "bwrap": False, "unshare": False, "uid_drop": False, "launch_prefix": False,
            **_probes(probes)}


def runs_as_root(isolation):
    """Whether kernels in ``isolation`` would run as root: a root grader that cannot drop to a
    sandbox uid outside bubblewrap (no setpriv, or the Python is out of a sandbox uid's reach)."""
    return is_root() and isolation != "bwrap" and not available()["uid_drop"]


def unreachable_python():
    """The first folder above this Python that other users cannot pass through, or None."""
    for path in (os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix)):
        for parent in reversed(Path(path).parents):
            if parent.is_dir() and not parent.stat().st_mode & 0o001:
                return parent
    return None


def root_refusal(isolation):
    """The one-line error for grading as root in ``isolation`` where kernels would run as root."""
    blocked = unreachable_python()
    why = (f"the sandbox uid cannot run {os.path.realpath(sys.executable)} ({blocked} is not "
           "world-searchable)" if blocked else "setpriv (util-linux) is missing" if not
           shutil.which("setpriv") else "the sandbox uid cannot run this Python")
    return SandboxError(
        f"refusing to grade as root in the {isolation!r} tier: kernels would run as root, "
        f"because {why}; fix: install bubblewrap (apt-get install bubblewrap), or use a Python "
        "that other users can run (e.g. outside root's home), or grade as a non-root user")


def working_tiers():
    """The isolation tiers that work here, strongest first. "none" always does, except for a
    root grader that cannot drop to a sandbox uid: no tier but bubblewrap may run kernels as root
    (then there may be none at all)."""
    found = available()
    return [tier for tier in ISOLATIONS[1:]
            if (tier == "none" or found[tier]) and not runs_as_root(tier)]


def forced_isolation():
    """The tier ``BACKPROP_SANDBOX_ISOLATION`` forces "auto" to, or None when it is unset."""
    forced = os.environ.get(FORCE_ENV, "").strip()
    if not forced:
        return None
    if forced not in ISOLATIONS[1:]:
        raise SandboxError(f"{FORCE_ENV}={forced!r} is not a tier: use one of "
                           f"{', '.join(ISOLATIONS[1:])}, or unset it")
    return forced


def resolve_isolation(limits):
    """The isolation ``limits`` gets here; SandboxError when a named one is missing."""
    found = available()
    if not found["rlimits"]:
        raise SandboxError("sandboxed grading needs a POSIX system (Linux or macOS); "
                           "grade on Linux, or in WSL on Windows")
    wanted = limits.isolation
    if wanted == "auto":
        wanted = forced_isolation() or next(iter(working_tiers()), "none")
    if runs_as_root(wanted) and (wanted == "none" or found[wanted]):
        raise root_refusal(wanted)
    if wanted != "none" and not found[wanted]:
        install = {"bwrap": "apt-get install bubblewrap (and allow namespaces)",
                   "unshare": "run as root or enable unprivileged user namespaces"}
        how = f"unset {FORCE_ENV}" if limits.isolation == "auto" else "use Limits(isolation='auto')"
        raise SandboxError(f"isolation {wanted!r} does not work on this machine: "
                           f"{install[wanted]}, or {how}")
    return wanted


def enforced(limits=None):
    """{protection: whether this machine enforces it for ``limits``}, the facts that tests and
    the grader's warning read:

    process limit          RLIMIT_NPROC holds (not for root without a sandbox uid)
    separate uid           each run gets its own unprivileged uid
    filesystem isolation   course secrets are not mounted (bwrap)
    network isolation      a new, empty network namespace (``limits.network`` False)
    escaped processes killed  a child that left the process group with setsid dies with the run
    """
    limits = limits or Limits()
    isolation = resolve_isolation(limits)
    separate_uid = can_setuid() and (isolation == "bwrap" or available()["uid_drop"])
    return {"process limit": separate_uid or not is_root(),
            "separate uid": separate_uid,
            "filesystem isolation": isolation == "bwrap",
            "network isolation": not limits.network and isolation in ("bwrap", "unshare"),
            "escaped processes killed": isolation != "none" or separate_uid}


def weak_isolation_warning(limits=None):
    """One line for the start of a grading run when its isolation is weak (no file-system
    isolation, or root without a separate uid), naming every protection not enforced and the
    fix; None when it is strong."""
    limits = limits or Limits()
    protections = enforced(limits)
    if protections["filesystem isolation"] and (protections["separate uid"] or not is_root()):
        return None
    # every protection this run lacks (network only when it was asked to be blocked)
    missing = [name for name, held in protections.items()
               if not held and (name != "network isolation" or not limits.network)]
    tier = resolve_isolation(limits)
    if limits.isolation == "auto" and forced_isolation() and working_tiers()[0] != tier:
        fix = f"unset {FORCE_ENV} (it forces {tier!r}; {working_tiers()[0]!r} works here)"
    elif not shutil.which("bwrap"):
        fix = "install bubblewrap: apt-get install bubblewrap"
    elif not available()["bwrap"]:
        fix = "bubblewrap is installed but cannot create namespaces here: allow user namespaces"
    else:
        fix = "install setpriv (util-linux) so each run gets its own uid"
    return (f"warning: weak grading sandbox ({tier}; not enforced: {', '.join(missing)}); "
            f"fix: {fix}")


def warn_weak_isolation(limits=None, file=None):
    """Print ``weak_isolation_warning(limits)`` to ``file`` (default stderr) when there is one."""
    warning = weak_isolation_warning(limits)
    if warning:
        print(warning, file=file or sys.stderr)


def describe(limits=None):
    """What is enforced on this machine for ``limits``: {mechanism: how} in plain words, and
    under "enforced" {protection: bool} (see ``enforced``)."""
    limits = limits or Limits()
    isolation = resolve_isolation(limits)
    protections = enforced(limits)
    drops_uid = protections["separate uid"]
    user = ("a fresh unprivileged uid per run" if drops_uid else
            "the grader's own uid (root: RLIMIT_NPROC is not enforced)" if is_root() else
            "the grader's own uid (RLIMIT_NPROC counts all its processes and threads: each "
            "sandbox gets its budget on top of them)")
    filesystem = {
        "bwrap": "only the system dirs and Python (read-only), the working copy and run dir "
                 "(read-write); course secrets are not mounted",
        "unshare": "the host's file system: secrets protected only by file permissions",
        "none": "the host's file system: secrets protected only by file permissions"}[isolation]
    network = ("allowed" if limits.network else
               "none (new network namespace)" if isolation in ("bwrap", "unshare") else
               "NOT blocked (no network namespace available)")
    return {
        "isolation": isolation,
        "rlimits": (f"cpu {limits.cpu_seconds} s, address space {limits.memory_mb} MB, "
                    f"files {limits.file_mb} MB, {limits.open_files} open files, "
                    f"{limits.processes} processes"),
        "wall clock": f"{limits.wall_seconds:g} s, then the whole process group is killed",
        "user": user,
        "processes": ("new pid namespace; killed as a whole" if isolation != "none" else
                      "new session; killed by process group" + (" and uid" if drops_uid else "")),
        "network": network,
        "filesystem": filesystem,
        "enforced": protections,
    }
