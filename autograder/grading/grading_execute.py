"""One notebook run in a sandboxed kernel: nbgrader's Execute, with a wall-clock backstop, the
record of which cells finished, and the kernel's CPU seconds per phase. The kernel is started
by the run, or ahead of it by ``start_kernel`` (see ``spare``)."""

import contextlib
import copy
import os
import signal
import threading

from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .. import integrity, kernel_imports, sandbox
from ..sandbox.kernel_messages import DropsMalformedMessages
from .job import GRADER_ERROR
from .kernel_cpu import KernelClock

KERNEL_ENV = {"NBGRADER_EXECUTION": "autograde"}  # as nbgrader's autograde sets it
# Unset as a kernel starts: an entry would come before the working copy in the kernel's sys.path.
KERNEL_UNSET_ENV = ("PYTHONPATH",)
# Past GradingExecute.max_streamed_output_bytes a message is kept only when it is this short
# (a test cell's canary line), and only this much more in all.
SHORT_MESSAGE_BYTES = 1_000
SHORT_KEPT_BYTES = 1_000_000
BACKSTOP_SECONDS = 5  # after the wall limit, should the sandbox's own kill not have ended the kernel


class GradingExecute(DropsMalformedMessages, Execute):
    """nbgrader's Execute in the job's sandbox (``kernel_manager_for``), recording in
    ``executed`` the index of every cell that finished and in ``clock`` the kernel's CPU at the
    phase boundaries: the kernel answering, the first graded cell starting, each cell finishing."""

    max_streamed_output_bytes = Integer(
        16_000_000, help="output kept while a notebook runs; past it, only short messages (a "
                         "test cell's canary line) are kept, up to SHORT_KEPT_BYTES more; "
                         "CapOutputs trims what is stored afterwards").tag(config=True)

    def __init__(self, wall_limit, started_km=None, **kwargs):
        # A keyword, not config: nbgrader's Execute.__init__ passes its own class as a keyword.
        # Immediate shutdown: every output is in by then, and a graceful one waits for the kernel.
        super().__init__(kernel_manager_class=sandbox.kernel_manager_for(sandbox.Limits(wall_seconds=wall_limit)),
                         shutdown_kernel="immediate", **kwargs)
        self.executed, self.clock, self.made_km = set(), KernelClock(), None
        self.cells_started = 0  # none: whatever failed, nothing of the student's had run yet
        self.started_km = started_km
        self.kept_bytes, self.short_bytes, self.dropped_bytes = 0, 0, 0

    def create_kernel_manager(self):
        # nbclient drops self.km when the kernel dies; keep it for its killed_reason. A kernel
        # started ahead has a kernel, so nbclient only connects to it.
        if self.started_km is not None:
            self.km, self.started_km = self.started_km, None
            self.km.restart_wall_clock()
        else:
            self.km = super().create_kernel_manager()
        self.made_km = self.km
        return self.made_km

    def kernel_groups(self):
        """The process groups of the kernel (its own session: bwrap or unshare leads it) and,
        for a forked kernel, of the sandbox around it; [] before it starts."""
        provisioner = getattr(self.made_km, "provisioner", None)
        groups = [getattr(self.made_km, "kernel_pid", None),
                  getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)]
        return [group for group in groups if group]

    def on_notebook_start(self, **kwargs):
        self.clock.started(next(iter(self.kernel_groups()), None))

    def on_cell_execute(self, cell, cell_index, **kwargs):
        self.cells_started += 1
        if cell.metadata.get("nbgrader", {}).get("grade") and "imports" not in self.clock.readings:
            self.clock.mark("imports")

    def output(self, outs, msg, display_id, cell_index):
        # Counted as it streams in, so a print loop never grows the worker past the cap (one
        # huge message is never received at all: PromptKernelClient.max_message_bytes). Past
        # the cap the notebook runs on and its checks still score: their canary lines are short.
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(
            len(value) if isinstance(value, (str, bytes)) else 0
            for value in content.get("data", {}).values())
        if self.kept_bytes + size > self.max_streamed_output_bytes:
            if size > SHORT_MESSAGE_BYTES or self.short_bytes + size > SHORT_KEPT_BYTES:
                self.dropped_bytes += size
                return None
            self.short_bytes += size
        else:
            self.kept_bytes += size
        return super().output(outs, msg, display_id, cell_index)

    def on_cell_executed(self, **kwargs):
        self.executed.add(kwargs["cell_index"])

        self.clock.mark("tests")
        super().on_cell_executed(**kwargs)

    def kill_kernel(self, timed_out):
        timed_out.set()
        for group in self.kernel_groups():
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def with_guard(config, workdir, guard_token):
    """A copy of ``config`` (a traitlets Config) whose kernel imports ``backprop_lib`` from the
    working copy only, never anything else on the kernel's path, and installs the integrity guard
    for ``guard_token`` as it starts (``integrity.guard_argument``)."""
    config = copy.deepcopy(config)
    config.Execute.extra_arguments = [*config.Execute.get("extra_arguments", []),
                                      kernel_imports.kernel_argument(workdir),
                                      integrity.guard_argument(workdir, guard_token)]
    return config


def kernel_env():
    """The environment a kernel starts from, as ``kernel_environment`` makes it, as a dict: for a
    start in another thread (``spare``), which must not change the process's own."""
    env = {key: value for key, value in os.environ.items() if key not in KERNEL_UNSET_ENV}
    env.update(KERNEL_ENV)
    return env


@contextlib.contextmanager
def kernel_environment():
    """The grader's environment as a kernel starts: KERNEL_ENV set, KERNEL_UNSET_ENV unset."""
    saved = {key: os.environ.get(key) for key in (*KERNEL_ENV, *KERNEL_UNSET_ENV)}
    os.environ.update(KERNEL_ENV)
    for key in KERNEL_UNSET_ENV:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_kernel(config, workdir, wall_limit, kernel_name, env):
    """A sandboxed kernel for a notebook run in ``workdir``, started now, exactly as
    ``run_notebook`` would start it, from ``env`` (``kernel_env()``), its guard's token in
    ``km.guard_token``: hand it to ``run_notebook(..., started_km=)``."""
    token = integrity.new_token()
    runner = GradingExecute(wall_limit, config=with_guard(config, workdir, token), kernel_name=kernel_name)
    runner.resources = {"metadata": {"path": str(workdir)}}
    km = runner.create_kernel_manager()
    km.guard_token = token
    runner.start_new_kernel(env=env)
    return km


def run_notebook(nb, workdir, config, wall_limit, started_km=None, guard_token=None):
    """Run ``nb`` in ``workdir`` under ``config`` (a traitlets Config) and the wall limit, in
    ``started_km``'s kernel (see ``start_kernel``) or a kernel started now, which installs the
    integrity guard for ``guard_token`` (a new one when None).

    Returns (nb, outcome, reason, indices of the cells that finished, {phase: seconds}); the
    outcome is GRADER_ERROR when the run failed before its first cell started (e.g.
    ``sandbox.KernelStartError``: the kernel ended before it answered, the reason naming the limit
    it hit).
    """
    runner = GradingExecute(wall_limit, started_km=started_km, config=config if started_km else
                            with_guard(config, workdir, guard_token or integrity.new_token()))
    timed_out = threading.Event()
    # A backstop to the sandbox's own wall-clock kill.
    timer = threading.Timer(wall_limit + BACKSTOP_SECONDS, runner.kill_kernel, args=(timed_out,))
    timer.start()
    outcome, reason = "graded", ""
    try:
        with kernel_environment():
            nb, _ = runner.preprocess(nb, {"metadata": {"path": str(workdir)}})
    except Exception as err:  # DeadKernelError, or any way a kernel fails to start or answer
        nb = getattr(runner, "nb", nb)
        killed = getattr(runner.made_km, "killed_reason", None)
        stopped = getattr(runner.made_km, "stopped_reason", None)
        if stopped:
            outcome, reason = "kernel died", stopped
        elif killed or timed_out.is_set():
            outcome, reason = "timeout", killed or f"wall-clock limit of {wall_limit:g} s reached"
        elif isinstance(err, sandbox.KernelStartError):  # no student code ran: the grader's failure
            outcome, reason = GRADER_ERROR, str(err)[:300]
        elif isinstance(err, DeadKernelError):
            outcome, reason = "kernel died", "the kernel died (a crash, os._exit or a resource limit)"
        else:
            outcome = "kernel died"
            reason = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:200]
        if not runner.cells_started:  # the kernel's start or the sandbox failed: the grader's fault
            outcome, reason = GRADER_ERROR, f"before the first cell ran: {reason}"
    finally:
        timer.cancel()
    stopped = getattr(runner.made_km, "stopped_reason", None)
    if stopped and outcome == "graded":  # stopped after its last cell had run
        outcome, reason = "kernel died", stopped
    if runner.dropped_bytes:
        note = (f"{runner.dropped_bytes / 1e6:.1f} MB of output past the "
                f"{runner.max_streamed_output_bytes / 1e6:g} MB cap not kept while running")
        reason = f"{reason}; {note}" if reason else note
    if runner.dropped_messages:
        note = f"{runner.dropped_messages} malformed message(s) from the kernel dropped"
        reason = f"{reason}; {note}" if reason else note
    return nb, outcome, reason, runner.executed, runner.clock.phases()
