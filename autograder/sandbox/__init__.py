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
               are protected only by file permissions (a root grader runs each kernel as a
               sandbox uid; ``course init`` and ``autograde`` keep the course folder closed to
               other users; working copies and run folders are private to their uid).
  ``none``     rlimits and the process group only (macOS, containers without namespaces).

  A root grader that cannot drop to a sandbox uid outside bubblewrap (no setpriv, or the Python
  lies where no other uid can run it, e.g. pyenv under a 0700 home) is refused in ``unshare`` and
  ``none`` with one line naming the fixes: kernels never run as root. A non-root grader's kernels
  share its uid, so their ``RLIMIT_NPROC`` is sized to the uid's tasks plus ``processes`` for each
  of its live sandboxes (``Sandbox.process_limit``).

Every sandboxed process gets a parent-death signal and every temporary folder names the process
that made it, so a killed grader leaves no process, and the next run removes its folders
(``leftovers``). A kernel that ends before it answers raises ``KernelStartError`` naming the limit
it hit ("process limit", "memory limit" or None).

  ``Limits(isolation="auto")`` picks the first that works, or the tier named in the environment
  variable ``BACKPROP_SANDBOX_ISOLATION`` (CI grades with each weaker tier forced this way);
  naming one in ``Limits`` forces it (tests use this to exercise the fallbacks). A forced tier
  that is not available fails with a one-line error.

Kernels talk to nbclient over ZMQ. Inside a network namespace TCP to the grader's 127.0.0.1 is
impossible, so sandboxed kernels use ZMQ's ``ipc`` transport (unix sockets in the run directory).
A kernel is ``ipykernel`` without its debugger. Where the grader is root with bubblewrap, a kernel
is not a new Python but a fork of a per-process "zygote" that imported ipykernel and numpy once
(``zygote``): bubblewrap sets the sandbox up around a placeholder as always, and the fork joins its
namespaces (setns), then takes the sandbox uid, working copy, rlimits and environment. A folder
holding more than a submission (the root, system folders, the Python installation, the temp or
home folder) is never handed to a sandbox uid.

Modules (one idea each): ``limits`` (Limits, Outcome, SandboxError, KernelStartError),
``leftovers`` (what a killed grader leaves: parent-death signals, temp folder clean-up), ``prefixes`` (the bwrap,
unshare and setpriv command prefixes), ``uids`` (sandbox uid leases and killing), ``machine`` (which
tiers work here and what they enforce), ``box`` (one Sandbox and the working copy), ``run``
(``run_limited``), ``kernel`` (the sandboxed kernel manager), ``zygote`` and ``zygote_main`` (forked
kernels), ``kernel_messages`` (malformed kernel messages dropped) and ``sandboxed_execute``
(nbgrader's Execute with it). Everything below is importable from
``backprop_course.autograder.sandbox`` itself.

Entry points:

- ``run_limited(cmd, cwd, limits) -> Outcome`` for a whole grading subprocess.
- ``SandboxedKernelManager`` (a jupyter_client ``AsyncKernelManager``) and ``SandboxedExecute``
  (nbgrader's ``Execute`` preprocessor using it) for nbclient / nbgrader. nbgrader 0.9.6's
  ``Execute`` ignores ``c.Execute.kernel_manager_class`` (its ``__init__`` passes
  ``AsyncKernelManager`` as a keyword, which beats config), so put ``SandboxedExecute`` in
  ``c.Autograde.autograde_preprocessors`` in place of ``Execute`` instead; limits are configured as
  ``c.SandboxedKernelManager.cpu_seconds = ...`` etc., or baked into a class by ``kernel_manager_for``.
- ``working_copy(src)`` a private temporary copy of a submission (symlinks are not followed).
- ``describe(limits)`` what is enforced on this machine, one line per mechanism, and under
  "enforced" {protection: bool} (``enforced(limits)``); ``weak_isolation_warning()`` the one line
  ``backprop-course autograde`` prints right before grading when isolation is weak, naming the fix.
"""

from . import leftovers
from .box import KEEP_ENV, THREAD_ENV, Sandbox, working_copy
from .kernel import SHADOW_SAFE_ARGS, SandboxedKernelManager, kernel_manager_for
from .limits import FORCE_ENV, ISOLATIONS, KernelStartError, Limits, Outcome, SandboxError
from .machine import (available, describe, enforced, forced_isolation, resolve_isolation,
                      warn_weak_isolation, weak_isolation_warning, working_tiers)
from .prefixes import SYSTEM_DIRS
from .run import TAIL_BYTES, run_limited
from .uids import UID_BASE, UID_SLOTS, kill_uid

__all__ = ["FORCE_ENV", "ISOLATIONS", "KEEP_ENV", "SHADOW_SAFE_ARGS", "SYSTEM_DIRS", "TAIL_BYTES",
           "THREAD_ENV", "UID_BASE", "UID_SLOTS", "KernelStartError", "Limits", "Outcome", "Sandbox", "SandboxError",
           "SandboxedExecute", "SandboxedKernelManager", "available", "describe", "enforced",
           "forced_isolation", "kernel_manager_for", "kill_uid", "leftovers", "resolve_isolation",
           "run_limited", "warn_weak_isolation", "weak_isolation_warning", "working_copy",
           "working_tiers"]


def __getattr__(name):
    # nbgrader is imported only when SandboxedExecute is asked for: run_limited users do not pay
    # for it.
    if name == "SandboxedExecute":
        from .sandboxed_execute import SandboxedExecute

        globals()[name] = SandboxedExecute
        return SandboxedExecute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
