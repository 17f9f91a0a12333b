"""What a sandboxed run may use (``Limits``), how it ended (``Outcome``), and the error raised
when the sandbox cannot be set up (``SandboxError``)."""

from __future__ import annotations

import dataclasses

ISOLATIONS = ("auto", "bwrap", "unshare", "none")
# Caps what "auto" picks, for the whole grader and its workers (CI forces each weaker tier with it).
FORCE_ENV = "BACKPROP_SANDBOX_ISOLATION"


class SandboxError(ValueError):
    """The sandbox cannot be set up as asked; the message names the problem and the fix (a
    ValueError: the CLI prints it as one line, like any other bad setting)."""


class KernelStartError(RuntimeError):
    """A sandboxed kernel ended before it answered: the grader's failure, not the submission's
    (no student code has run yet). ``limit`` names what was hit when the kernel's log shows it:
    "process limit" (RLIMIT_NPROC: a thread or process could not be created), "memory limit"
    (RLIMIT_AS: an allocation or mapping failed), or None (another cause; the log tail says it).
    ``step`` is "kernel start"; the message is one line naming the limit and its value."""

    def __init__(self, message, limit=None, step="kernel start"):
        super().__init__(message)
        self.limit, self.step = limit, step


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
