"""One sandbox: its isolation, uid lease, environment, rlimits and run directory; and the private
working copy of a submission it runs in."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from . import leftovers
from .limits import Limits, SandboxError
from .machine import available, can_setuid, is_root, resolve_isolation
from .prefixes import SYSTEM_DIRS, bwrap_prefix, launch_prefix, setpriv_prefix, unshare_prefix
from .uids import UidLease, kill_uid

try:  # POSIX only; on Windows nothing here can be enforced and run_limited refuses to start.
    import resource
except ImportError:  # pragma: no cover - exercised on Windows only
    resource = None

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


def shared_env(base=None, keep=()):
    """What every sandbox's environment holds: a short allow-list of ``base`` (default: ours),
    ``keep`` too, and one BLAS thread (``THREAD_ENV``)."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if k in KEEP_ENV or k in keep or k.startswith("LC_")}
    env.setdefault("PATH", os.defpath)
    env.update(THREAD_ENV)
    return env


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
        self.process_cap = None  # the RLIMIT_NPROC its processes get (see process_limit)

    def __enter__(self):
        self.rundir = Path(tempfile.mkdtemp(prefix=leftovers.prefix(leftovers.SANDBOX_RUN)))
        for sub in ("home", "ipython", "mpl"):
            (self.rundir / sub).mkdir()
        if can_setuid() and (self.isolation == "bwrap" or available()["uid_drop"]):
            try:
                check_handable(self.workdir)
            except SandboxError:
                shutil.rmtree(self.rundir, ignore_errors=True)
                self.rundir = None
                raise
            self._lease = UidLease()
            self.uid = self._lease.uid
            st = self.workdir.stat()
            self._owner = (st.st_uid, st.st_gid)
            chown_tree(self.workdir, self.uid, self.uid, private=True)
            chown_tree(self.rundir, self.uid, self.uid, private=True)
            if self.isolation != "bwrap":
                check_reachable(self.workdir)
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Kill every process of the sandbox uid (releasing its lease), hand the working copy
        back to its owner, remove the run folder."""
        if self._lease is not None:
            self._lease.release()
            self._lease = None
            chown_tree(self.workdir, *self._owner)
        if self.rundir is not None:
            shutil.rmtree(self.rundir, ignore_errors=True)
            self.rundir = None

    def command(self, argv):
        """``argv`` wrapped in the isolation prefix (absolute program paths are kept as given)."""
        uid = self.uid
        if self.isolation == "bwrap":
            return bwrap_prefix(self.workdir, self.readonly, [self.workdir, self.rundir],
                                 self.limits.network, uid) + list(argv)
        if self.isolation == "unshare":
            return unshare_prefix(uid, self.limits.network) + list(argv)
        return (setpriv_prefix(uid) if uid is not None else []) + list(argv)

    def launcher(self):
        """(prefix, keyword arguments for ``subprocess.Popen``): ``prefix + self.command(argv)``
        started with them runs ``argv`` in this sandbox under its rlimits, with umask 077, SIGINT
        ignored and death with the process that starts it (see ``preexec``). Where
        ``launch_prefix`` works, its programs set these up and Popen starts the child with vfork;
        a ``preexec_fn`` (prefix []) makes Popen fork the grader, whose 100+ MB of page tables
        cost ~15 ms of CPU per sandbox. A grader killed before setpriv armed the parent-death
        signal leaves nothing either: the launch then ends at its parent check. Call it in the
        process that starts the sandbox (the check names that process)."""
        prefix = launch_prefix(self.rlimits()) if available()["launch_prefix"] else None
        if prefix is None:
            return [], {"preexec_fn": self.preexec()}
        return prefix, {"umask": 0o077}

    def env(self, base=None, keep=()):
        """The sandboxed process's environment: ``shared_env`` plus private HOME, IPYTHONDIR,
        MPLCONFIGDIR (and TMPDIR outside bwrap) in the run directory."""
        env = shared_env(base, keep)
        env.update(HOME=str(self.rundir / "home"), IPYTHONDIR=str(self.rundir / "ipython"),
                   MPLCONFIGDIR=str(self.rundir / "mpl"), TMPDIR="/tmp" if self.isolation ==
                   "bwrap" else str(self.rundir / "home"))
        return env

    def rlimits(self):
        """[(resource, (soft, hard)), ...]: the limits every process of the sandbox gets."""
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
            settings.append((resource.RLIMIT_NPROC, (self.process_limit(),) * 2))
        return settings

    def process_limit(self):
        """RLIMIT_NPROC for this run. The kernel counts every process AND thread of its real uid.
        A sandbox uid runs nothing else: ``limits.processes``. The grader's own uid (non-root)
        already runs the grader's threads and the other sandboxes of this grader (a worker's
        kernel, its spare, the other workers' kernels): the budget comes on top of all the
        uid's tasks now, once for this sandbox and once for each other sandbox of the uid alive
        now, so that kernels starting together never take each other's room (measured: 70
        tasks with 2 workers, where a flat 64 killed one kernel in two runs)."""
        if self.uid is not None or is_root():
            self.process_cap = self.limits.processes
        else:
            self.process_cap = (count_own_tasks()
                                + self.limits.processes * max(1, leftovers.live_sandboxes()))
        return self.process_cap

    def preexec(self):
        """The function subprocess runs in the child before exec: set the rlimits (where
        ``launcher`` has no prefix)."""
        settings = self.rlimits()
        die_with_parent = leftovers.die_with_parent_function()

        def set_limits():
            # Dies with the process that started it, so a killed grader leaves no kernel behind
            # (bwrap's --die-with-parent and unshare's --kill-child pass the death on inside).
            if die_with_parent is not None:
                die_with_parent()
            os.umask(0o077)  # what the sandbox writes is no other sandbox uid's to read
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


def chown_tree(root, uid, gid, private=False):
    """lchown everything under ``root`` (links are not followed; a vanished tree is fine);
    ``private``: also take every permission from group and others, so no other sandbox uid
    reads a working copy it can reach."""
    paths = [root] + [os.path.join(dirpath, name) for dirpath, dirnames, filenames in os.walk(root)
                      for name in dirnames + filenames]
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.lchown(path, uid, gid)
            if private and not os.path.islink(path):
                os.chmod(path, os.lstat(path).st_mode & 0o7700)


def check_handable(workdir):
    """The working copy is handed to the sandbox uid and back (every file's owner changes): refuse
    a folder that holds more than a submission, i.e. the file-system root, a system folder, or any
    folder holding the Python installation, the temp folder or the home folder (a mistaken "/"
    would hand over the whole machine)."""
    protected = [Path(path).resolve() for path in (sys.prefix, sys.base_prefix, tempfile.gettempdir(),
                                                   Path.home(), *SYSTEM_DIRS)]
    if any(workdir == path or workdir in path.parents for path in protected):
        raise SandboxError(f"refusing to hand {workdir} to a sandbox uid: it holds more than a "
                           "submission; grade a copy of it (sandbox.working_copy)")


def check_reachable(path):
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


def count_own_tasks():
    """Processes plus threads of our real uid now, as RLIMIT_NPROC counts them."""
    if not os.path.isdir("/proc"):
        return 256  # macOS: no cheap count; a generous margin over the user's own processes
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
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
    parent = Path(tempfile.mkdtemp(prefix=leftovers.prefix(prefix)))
    os.chmod(parent, 0o711)  # a dropped sandbox uid must be able to reach its copy, not list it
    dest = parent / src.name
    shutil.copytree(src, dest, symlinks=True,
                    ignore=lambda d, names: [n for n in names if os.path.islink(os.path.join(d, n))])
    try:
        yield dest
    finally:
        shutil.rmtree(parent, ignore_errors=True)
