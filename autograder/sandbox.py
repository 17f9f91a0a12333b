"""Run untrusted student code (an nbgrader kernel or a whole grading subprocess) under OS limits.

Every sandboxed run gets:

- **rlimits** set with :mod:`resource` in the child before ``exec``: CPU seconds, address space
  (memory), number of processes, size of any file written, open files. They are inherited by
  everything the student starts.
- **a new session / process group**, killed as a whole at the wall-clock limit and when the run
  ends; when the grader runs as root each run also gets its own unprivileged uid
  (``UID_BASE + slot``, leased with a lock file so parallel workers never share one), so
  ``RLIMIT_NPROC`` counts only this run's processes and every process of that uid - even one that
  left the process group with ``setsid`` - is killed at the end (``kill(-1)`` sent as that uid).
- **isolation**, the strongest of these that works on this machine (``describe()`` says which):

  ``bwrap``    Debian's bubblewrap: new mount, pid, ipc, uts and network namespaces. The sandbox
               sees only the system directories (read-only), the Python installation
               (read-only), extra read-only paths the caller names, its working copy and a
               private run directory (read-write); ``/tmp`` is an empty tmpfs. So the course's
               ``source/``, ``gradebook.db``, the reference solutions and other students'
               folders simply do not exist inside. No network: a fresh namespace has only a
               loopback that is down.
  ``unshare``  util-linux ``unshare --net --pid --fork --kill-child``: no network and the whole
               process tree dies with the run, but the file system is the host's, so secrets
               are protected only by file permissions (run as an unprivileged uid when the
               Python installation is readable by one, and keep the course directory ``0700``).
  ``none``     rlimits and the process group only (macOS, containers without namespaces).

  ``Limits(isolation="auto")`` picks the first that works, or the tier named in the environment
  variable ``BACKPROP_SANDBOX_ISOLATION`` (CI grades with each weaker tier forced this way);
  naming one in ``Limits`` forces it (tests use this to exercise the fallbacks). A forced tier
  that is not available fails with a one-line error.

Kernels talk to nbclient over ZMQ. Inside a network namespace TCP to the grader's 127.0.0.1 is
impossible, so sandboxed kernels use ZMQ's ``ipc`` transport (unix sockets in the run directory).

Entry points:

- ``run_limited(cmd, cwd, limits) -> Outcome`` for a whole grading subprocess.
- ``SandboxedKernelManager`` (a jupyter_client ``AsyncKernelManager``) and ``SandboxedExecute``
  (nbgrader's ``Execute`` preprocessor using it) for nbclient / nbgrader. nbgrader 0.9.6's
  ``Execute`` ignores ``c.Execute.kernel_manager_class`` (its ``__init__`` passes
  ``AsyncKernelManager`` as a keyword, which beats config), so put ``SandboxedExecute`` in
  ``c.Autograde.autograde_preprocessors`` in place of ``Execute`` instead; limits are configured as
  ``c.SandboxedKernelManager.cpu_seconds = ...`` etc., or baked into a class by ``kernel_manager_for``.
- ``working_copy(src)`` a private temporary copy of a submission (symlinks are not followed).
- ``describe(limits)`` what is enforced on this machine, one line per mechanism.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

try:  # POSIX only; on Windows nothing here can be enforced and run_limited refuses to start.
    import fcntl
    import resource
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = resource = None

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Float, Integer, Unicode

ISOLATIONS = ("auto", "bwrap", "unshare", "none")
# Caps what "auto" picks, for the whole grader and its workers (CI forces each weaker tier with it).
FORCE_ENV = "BACKPROP_SANDBOX_ISOLATION"
# Sandbox uids: far above any real account, one per concurrently running sandbox.
UID_BASE = 2_100_000
UID_SLOTS = 4096
# How much of a sandboxed process's stdout/stderr an Outcome keeps.
TAIL_BYTES = 4000
# Environment variables a sandboxed process inherits; everything else (tokens, the grader's
# paths, NBGRADER_EXECUTION which would tell student code it is being graded) is dropped.
KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "SYSTEMROOT")
# One BLAS thread and two malloc arenas per sandbox: parallel workers share the cores, and every
# extra thread reserves address space that RLIMIT_AS counts.
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "MALLOC_ARENA_MAX": "2", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
              # `python -m ipykernel_launcher` must not run an ipykernel_launcher.py from the
              # working copy (Python 3.11+; older ones ignore it, the integrity scan flags it)
              "PYTHONSAFEPATH": "1"}
# IPython puts the working directory first on sys.path, so a submitted numpy.py or IPython/ would
# replace the real package for the tests too. The working copy goes last instead: the student's
# backprop_lib (installed nowhere else the sandbox can see) still imports, numpy stays numpy.
SHADOW_SAFE_ARGS = ["--InteractiveShellApp.ignore_cwd=True",
                    "--InteractiveShellApp.exec_lines=['import os as _os, sys as _sys; "
                    "_sys.path.append(_os.getcwd()); del _os, _sys']"]
# System directories the sandboxed process needs to run Python (bound read-only in bwrap).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


class SandboxError(ValueError):
    """The sandbox cannot be set up as asked; the message names the problem and the fix (a
    ValueError: the CLI prints it as one line, like any other bad setting)."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed run.

    cpu_seconds   CPU time of each process (RLIMIT_CPU; SIGXCPU, then SIGKILL one second later)
    memory_mb     address space of each process (RLIMIT_AS; allocations fail with MemoryError)
    processes     processes + threads of the sandbox uid (RLIMIT_NPROC; enforced only when the
                  process does not run as root, see ``describe()``)
    file_mb       largest file any process may write (RLIMIT_FSIZE; SIGXFSZ kills the writer)
    open_files    open file descriptors per process (RLIMIT_NOFILE)
    wall_seconds  wall-clock time of the whole run; then the whole process group / uid is killed
    network       allow network access (False: a new, empty network namespace where available)
    isolation     "auto" (strongest available), "bwrap", "unshare" or "none"
    """

    cpu_seconds: int = 60
    memory_mb: int = 2048
    processes: int = 64
    file_mb: int = 64
    open_files: int = 256
    wall_seconds: float = 300.0
    network: bool = False
    isolation: str = "auto"

    def __post_init__(self):
        for name in ("cpu_seconds", "memory_mb", "processes", "file_mb", "open_files",
                     "wall_seconds"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")
        if self.isolation not in ISOLATIONS:
            raise ValueError(f"Limits.isolation must be one of {', '.join(ISOLATIONS)}, "
                             f"got {self.isolation!r}")


@dataclasses.dataclass
class Outcome:
    """How a ``run_limited`` process ended.

    returncode        the exit status (negative: killed by that signal, as subprocess reports it)
    timed_out         the wall-clock limit was reached and the whole sandbox was killed
    killed_by_signal  signal name ("SIGKILL", "SIGXCPU", "SIGSEGV", ...) or None
    stdout_tail, stderr_tail  the last TAIL_BYTES of each stream, decoded leniently
    reason            one line for a report: "ok", "exit status 3", "wall-clock limit of 8 s", ...
    """

    returncode: int | None
    timed_out: bool
    killed_by_signal: str | None
    stdout_tail: str
    stderr_tail: str
    reason: str

    @property
    def ok(self):
        return self.returncode == 0 and not self.timed_out


# ---------------------------------------------------------------------------------------------
# What this machine offers (probed once per process, by running the real thing)

def _is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _can_setuid():
    return _is_root() and shutil.which("setpriv") is not None


def _python_paths():
    """Directories holding the running Python (venv and base installation), real paths."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).parent)}
    paths |= {os.path.realpath(p) for p in list(paths)}
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    keep = sorted(p for p in paths if os.path.isdir(p))
    # Drop paths inside other kept paths and those under a system dir that is bound anyway.
    return [p for p in keep
            if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in keep)
            and not any(p == d or p.startswith(d + "/") for d in SYSTEM_DIRS)]


def _probe(cmd, **kwargs):
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30, **kwargs).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=None)
def available():
    """Which mechanisms work here: {"rlimits", "bwrap", "unshare", "uid_drop"} -> bool.

    "uid_drop": the grader is root and an unprivileged uid can run this Python outside bwrap
    (inside bwrap the Python installation is bound where any uid can reach it).
    """
    posix = resource is not None and sys.platform != "win32"
    linux = sys.platform.startswith("linux")
    # The same installation must start, not another Python found when parts are unreadable.
    python = [os.path.realpath(sys.executable), "-c",
              f"import sys; sys.exit(sys.base_prefix != {sys.base_prefix!r})"]
    found = {"rlimits": posix, "bwrap": False, "unshare": False, "uid_drop": False}
    if linux and shutil.which("bwrap"):
        # as it will run: as root, it drops to a sandbox uid inside
        uid = UID_BASE + UID_SLOTS - 1 if _can_setuid() else None
        found["bwrap"] = _probe(_bwrap_prefix("/", [], [], network=False, uid=uid) + python)
    if linux and shutil.which("unshare"):
        found["unshare"] = _probe(_unshare_prefix(uid=None) + python)
    if linux and _can_setuid():
        found["uid_drop"] = _probe(_setpriv_prefix(UID_BASE + UID_SLOTS - 1) + python, cwd="/")
    return found


def working_tiers():
    """The isolation tiers that work here, strongest first ("none" always does)."""
    found = available()
    return [tier for tier in ISOLATIONS[1:] if tier == "none" or found[tier]]


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
        wanted = forced_isolation() or working_tiers()[0]
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
    separate_uid = _can_setuid() and (isolation == "bwrap" or available()["uid_drop"])
    return {"process limit": separate_uid or not _is_root(),
            "separate uid": separate_uid,
            "filesystem isolation": isolation == "bwrap",
            "network isolation": not limits.network and isolation in ("bwrap", "unshare"),
            "escaped processes killed": isolation != "none" or separate_uid}


def weak_isolation_warning(limits=None):
    """One line for the start of a grading run when its isolation is weak (no file-system
    isolation, or root without a separate uid), naming the fix; None when it is strong."""
    limits = limits or Limits()
    protections = enforced(limits)
    missing = [name for name in ("filesystem isolation", "separate uid", "process limit")
               if not protections[name] and (name == "filesystem isolation" or _is_root())]
    if not missing:
        return None
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
            "the grader's own uid (root: RLIMIT_NPROC is not enforced)" if _is_root() else
            "the grader's own uid (RLIMIT_NPROC counts all of its processes)")
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


# ---------------------------------------------------------------------------------------------
# Command prefixes

def _bwrap_prefix(chdir, readonly, writable, network, uid):
    args = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox"]
    if not network:
        args.append("--unshare-net")
    for top in SYSTEM_DIRS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
             "--perms", "1777", "--tmpfs", "/var/tmp"]
    binds = ([("--ro-bind", path) for path in _python_paths() + [os.path.realpath(p) for p in readonly]]
             + [("--bind", os.path.realpath(path)) for path in writable])
    # bwrap creates missing parents of a bind point as 0700 directories, which a dropped uid could
    # not walk through (/root/.pyenv/...): create them 0755 first.
    parents = sorted({str(parent) for _, path in binds for parent in Path(path).parents
                      if str(parent) not in ("/", "/tmp", "/var/tmp") and not any(
                          str(parent) == d or str(parent).startswith(d + "/") for d in SYSTEM_DIRS)},
                     key=len)
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    for kind, path in binds:
        args += [kind, path, path]
    # ipykernel exits at once when JPY_PARENT_PID (the grader's pid, outside the pid namespace)
    # does not match its parent; the sandbox dies with the grader anyway (--die-with-parent).
    args += ["--chdir", os.path.realpath(chdir), "--unsetenv", "JPY_PARENT_PID", "--"]
    return args + (_setpriv_prefix(uid) if uid is not None else [])


def _unshare_prefix(uid, network=False):
    # --kill-child: when unshare dies (killed at the wall limit), the whole pid namespace goes.
    # A shell is pid 1 there and runs the command as its child: pid 1 would ignore SIGXCPU, and
    # util-linux 2.38's unshare fails ("sigprocmask unblock failed") to pass on a child's death by
    # signal, while sh reports it as exit status 128 + signal. Without JPY_PARENT_PID ipykernel does
    # not take "my parent is pid 1" for "orphaned".
    args = ["unshare", "--pid", "--fork", "--kill-child"] + ([] if network else ["--net"])
    return args + ["--"] + (_setpriv_prefix(uid) if uid is not None else []) + [
        "env", "-u", "JPY_PARENT_PID", "sh", "-c", '"$@"; exit $?', "sandbox"]


def _setpriv_prefix(uid):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


# ---------------------------------------------------------------------------------------------
# Uid leases and killing

class _UidLease:
    """An exclusive sandbox uid for this run, held through an flock on a per-slot lock file."""

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
            kill_uid(self.uid)  # leftovers of a grader that crashed while holding this slot
            return
        raise SandboxError(f"all {UID_SLOTS} sandbox uids are in use: fewer parallel workers")

    def release(self):
        kill_uid(self.uid)
        os.close(self.fd)


def kill_uid(uid):
    """SIGKILL every process running as ``uid`` (root only): ``kill(-1)`` sent *as* that uid
    reaches exactly its processes, including ones that left their process group."""
    pid = os.fork()
    if pid == 0:  # only async-signal-safe calls until _exit
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _kill_group(pid):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# One sandbox

class Sandbox:
    """The per-run state: isolation, uid lease, run directory. Use as a context manager.

    ``workdir`` is the student's working copy (read-write inside, becomes the current directory);
    ``readonly`` extra paths the sandboxed program needs (e.g. the autograder package for a
    grading subprocess). On exit every process of the run is killed, files the sandbox uid wrote
    are handed back to the working copy's owner, and the run directory is removed.
    """

    def __init__(self, workdir, limits=None, readonly=()):
        self.limits = limits or Limits()
        self.workdir = Path(workdir).resolve()
        if not self.workdir.is_dir():
            raise SandboxError(f"working directory {self.workdir} does not exist: "
                               "make the working copy first (sandbox.working_copy)")
        self.readonly = [str(Path(p).resolve()) for p in readonly]
        self.isolation = resolve_isolation(self.limits)
        self.uid = None
        self.rundir = None
        self._lease = None
        self._owner = None

    def __enter__(self):
        self.rundir = Path(tempfile.mkdtemp(prefix="backprop-sandbox-run-"))
        for sub in ("home", "ipython", "mpl"):
            (self.rundir / sub).mkdir()
        if _can_setuid() and (self.isolation == "bwrap" or available()["uid_drop"]):
            self._lease = _UidLease()
            self.uid = self._lease.uid
            st = self.workdir.stat()
            self._owner = (st.st_uid, st.st_gid)
            _chown_tree(self.workdir, self.uid, self.uid)
            _chown_tree(self.rundir, self.uid, self.uid)
            if self.isolation != "bwrap":
                _check_reachable(self.workdir)
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._lease is not None:
            self._lease.release()
            self._lease = None
            _chown_tree(self.workdir, *self._owner)
        if self.rundir is not None:
            shutil.rmtree(self.rundir, ignore_errors=True)
            self.rundir = None

    def command(self, argv):
        """``argv`` wrapped in the isolation prefix (absolute program paths are kept as given)."""
        uid = self.uid
        if self.isolation == "bwrap":
            return _bwrap_prefix(self.workdir, self.readonly, [self.workdir, self.rundir],
                                 self.limits.network, uid) + list(argv)
        if self.isolation == "unshare":
            return _unshare_prefix(uid, self.limits.network) + list(argv)
        return (_setpriv_prefix(uid) if uid is not None else []) + list(argv)

    def env(self, base=None, keep=()):
        """The sandboxed process's environment: a short allow-list of ``base`` (default: ours)
        plus private HOME/IPYTHONDIR/MPLCONFIGDIR in the run directory and one BLAS thread."""
        base = os.environ if base is None else base
        env = {k: v for k, v in base.items()
               if k in KEEP_ENV or k in keep or k.startswith("LC_")}
        env.setdefault("PATH", os.defpath)
        env.update(THREAD_ENV)
        env.update(HOME=str(self.rundir / "home"), IPYTHONDIR=str(self.rundir / "ipython"),
                   MPLCONFIGDIR=str(self.rundir / "mpl"), TMPDIR="/tmp" if self.isolation ==
                   "bwrap" else str(self.rundir / "home"))
        return env

    def preexec(self):
        """The function subprocess runs in the child before exec: set the rlimits."""
        limits = self.limits
        mb = 1024 * 1024
        # Soft CPU limit sends SIGXCPU (a clear cause of death); the hard one a second later
        # kills a process that catches it.
        settings = [(resource.RLIMIT_CPU, (int(limits.cpu_seconds), int(limits.cpu_seconds) + 1)),
                    (resource.RLIMIT_FSIZE, (limits.file_mb * mb,) * 2),
                    (resource.RLIMIT_NOFILE, (limits.open_files,) * 2),
                    (resource.RLIMIT_CORE, (0, 0))]
        if hasattr(resource, "RLIMIT_AS"):
            settings.append((resource.RLIMIT_AS, (limits.memory_mb * mb,) * 2))
        if hasattr(resource, "RLIMIT_NPROC"):
            # Counted per real uid: a sandbox uid has nothing else running; our own uid (non-root
            # fallback) already runs processes, so the budget comes on top of those.
            extra = 0 if self.uid is not None or _is_root() else _count_own_processes()
            settings.append((resource.RLIMIT_NPROC, (limits.processes + extra,) * 2))

        def set_limits():
            for which, value in settings:
                resource.setrlimit(which, value)
            # A kernel interrupt (nbclient's per-cell timeout) is SIGINT to the whole process
            # group, bwrap/unshare included, which would die of it and take the kernel along.
            # Ignored here, inherited through exec; ipykernel installs its own SIGINT handler
            # while a cell runs, so the interrupt still reaches the cell.
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        return set_limits

    def kill(self):
        """Kill every process of this sandbox's uid, if it has one (whoever started a process
        kills its process group: bwrap's and unshare's pid namespaces die with it)."""
        if self.uid is not None:
            kill_uid(self.uid)


def _chown_tree(root, uid, gid):
    """lchown everything under ``root`` (links are not followed; a vanished tree is fine)."""
    paths = [root] + [os.path.join(dirpath, name) for dirpath, dirnames, filenames in os.walk(root)
                      for name in dirnames + filenames]
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.lchown(path, uid, gid)


def _check_reachable(path):
    """Outside bwrap the sandbox uid must be able to walk to its working copy. Private temp
    folders above it (tempfile makes them 0700) get search permission only: the uid can pass
    through them but not list them."""
    temp = Path(tempfile.gettempdir()).resolve()
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & 0o001:
            continue
        if temp in parent.parents:
            os.chmod(parent, (mode & 0o7777) | 0o001)
        else:
            raise SandboxError(f"the sandbox user cannot reach {path} ({parent} is not "
                               "world-searchable): grade from sandbox.working_copy(), "
                               "which lives in the temp folder")


def _count_own_processes():
    if not os.path.isdir("/proc"):
        return 256  # macOS: no cheap count; a generous margin over the user's own processes
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count


@contextlib.contextmanager
def working_copy(src, prefix="backprop-submission-"):
    """A private temporary copy of the submission folder ``src``, removed afterwards.

    Symlinks are not copied (a link to ``../../source`` would otherwise copy the instructor's
    files into the student's reach; the integrity scan flags them).
    """
    src = Path(src)
    if not src.is_dir():
        raise SandboxError(f"submission folder {src} does not exist")
    parent = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(parent, 0o755)  # a dropped sandbox uid must be able to reach its copy
    dest = parent / src.name
    shutil.copytree(src, dest, symlinks=True,
                    ignore=lambda d, names: [n for n in names if os.path.islink(os.path.join(d, n))])
    try:
        yield dest
    finally:
        shutil.rmtree(parent, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# A whole process under limits

def _signal_name(returncode):
    if returncode is None or returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _tail(path):
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
            proc = subprocess.Popen(box.command(cmd), cwd=box.workdir, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, env=box.env(env, keep_env),
                                    preexec_fn=box.preexec(), start_new_session=True)
            timed_out = False
            try:
                proc.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
            # Kill the rest of the run even after a normal exit: a student's background process
            # must not outlive its grading.
            _kill_group(proc.pid)
            box.kill()
            proc.wait()
        stdout_tail, stderr_tail = _tail(out_path), _tail(err_path)
    sig = None if timed_out else _signal_name(proc.returncode)
    # unshare/bwrap report a child's death by signal as exit status 128 + signal.
    if sig is None and not timed_out and box.isolation != "none" and 128 < proc.returncode < 160:
        sig = _signal_name(128 - proc.returncode)
    return Outcome(proc.returncode, timed_out, sig, stdout_tail, stderr_tail,
                   _reason(limits, proc.returncode, timed_out, sig, stderr_tail))


# ---------------------------------------------------------------------------------------------
# Kernels for nbclient / nbgrader

class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in a ``Sandbox`` rooted at the kernel's ``cwd``.

    Configurable like any traitlets class (``c.SandboxedKernelManager.cpu_seconds = 5``).
    ``wall_seconds`` bounds the kernel's whole life (all cells); when it is reached the sandbox is
    killed, nbclient sees a dead kernel, and ``killed_reason`` (on the instance and on its class,
    because nbclient forgets the instance once the kernel is dead) says why. The kernel's own
    stdout/stderr (not cell output) go to a file; ``kernel_log_tail()`` returns its end.
    """

    cpu_seconds = Integer(Limits.cpu_seconds).tag(config=True)
    memory_mb = Integer(Limits.memory_mb).tag(config=True)
    processes = Integer(Limits.processes).tag(config=True)
    file_mb = Integer(Limits.file_mb).tag(config=True)
    open_files = Integer(Limits.open_files).tag(config=True)
    wall_seconds = Float(Limits.wall_seconds).tag(config=True)
    network = Bool(Limits.network).tag(config=True)
    isolation = Unicode(Limits.isolation).tag(config=True)
    readonly_paths = []  # extra read-only binds; set by kernel_manager_for
    killed_reason = None

    @property
    def limits(self):
        return Limits(self.cpu_seconds, self.memory_mb, self.processes, self.file_mb,
                      self.open_files, self.wall_seconds, self.network, self.isolation)

    async def _async_pre_start_kernel(self, **kw):
        self._close_sandbox()
        cwd = kw.get("cwd") or os.getcwd()
        box = Sandbox(cwd, self.limits, self.readonly_paths).__enter__()
        self._sandbox, self.killed_reason = box, None
        if not self.limits.network:
            # unix sockets in the run directory work across network namespaces; TCP does not
            self.transport = "ipc"
            self.ip = str(box.rundir / "kernel-ipc")
        self.connection_file = str(box.rundir / "kernel.json")
        self._log = open(box.rundir / "kernel.log", "wb")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if box.uid is not None:
            os.chown(self.connection_file, box.uid, box.uid)
        kw.update(env=box.env(kw.get("env")), preexec_fn=box.preexec(), stdout=self._log,
                  stderr=self._log)
        return box.command(kernel_cmd + SHADOW_SAFE_ARGS), kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._timer = threading.Timer(self.limits.wall_seconds, self._wall_limit,
                                      args=(self.provisioner.pid,))
        self._timer.daemon = True
        self._timer.start()

    def _wall_limit(self, pid):
        # Also on the class: nbclient drops its kernel manager (client.km = None) when the kernel
        # dies, so callers read it from the class kernel_manager_for made for this job.
        reason = f"wall-clock limit of {self.limits.wall_seconds:g} s reached"
        self.killed_reason = type(self).killed_reason = reason
        _kill_group(pid)
        if getattr(self, "_sandbox", None) is not None:
            self._sandbox.kill()

    def kernel_log_tail(self):
        """The end of the kernel process's own stdout/stderr ('' once the sandbox is closed)."""
        box = getattr(self, "_sandbox", None)
        if box is None or box.rundir is None:
            return ""
        return _tail(box.rundir / "kernel.log")

    async def _async_cleanup_resources(self, restart=False):
        # The last step of shutdown_kernel, and all nbclient calls for a kernel already dead.
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            if not restart:
                self._close_sandbox()

    # AsyncKernelManager binds its public names to KernelManager's functions, not to overrides.
    cleanup_resources = _async_cleanup_resources

    def _close_sandbox(self):
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None
        box = getattr(self, "_sandbox", None)
        if box is not None:
            if self.provisioner is not None and self.provisioner.pid:
                _kill_group(self.provisioner.pid)
            box.kill()
            self._log.close()
            box.close()
            self._sandbox = None

    def __del__(self):
        super().__del__()
        self._close_sandbox()


def kernel_manager_for(limits, readonly=()):
    """A ``SandboxedKernelManager`` subclass whose defaults are ``limits``, for
    ``NotebookClient(nb, kernel_manager_class=kernel_manager_for(limits))``."""
    defaults = {f.name: getattr(limits, f.name) for f in dataclasses.fields(Limits)}
    traits = {name: type(SandboxedKernelManager.class_traits()[name])(value).tag(config=True)
              for name, value in defaults.items()}
    return type("SandboxedKernelManager", (SandboxedKernelManager,),
                {**traits, "readonly_paths": [str(p) for p in readonly]})


def _sandboxed_execute():
    from nbgrader.preprocessors import Execute

    class SandboxedExecute(Execute):
        """nbgrader's Execute preprocessor with its kernel in the sandbox (configure the limits
        as ``c.SandboxedKernelManager.<limit>``)."""

        def __init__(self, *args, **kwargs):
            kwargs["kernel_manager_class"] = SandboxedKernelManager
            super().__init__(*args, **kwargs)

    return SandboxedExecute


def __getattr__(name):
    # nbgrader is imported only when SandboxedExecute is asked for: run_limited users do not pay
    # for it.
    if name == "SandboxedExecute":
        cls = _sandboxed_execute()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # `python -m autograder.sandbox`: what this machine enforces
    if sys.argv[1:] == ["--weaker-tiers"]:  # for CI: the tiers below the one "auto" picks
        print(*working_tiers()[1:])
        sys.exit(0)
    described = describe()
    for key, value in described.pop("enforced").items():
        described[key] = "enforced" if value else "NOT enforced"
    for key, value in described.items():
        print(f"{key:>24}: {value}")
    print(weak_isolation_warning() or "strong isolation: nothing to fix")
