"""Sandboxed kernels (backprop_course.autograder.sandbox.kernel) through nbclient and nbgrader's config, on every
isolation tier that works here (or the forced one: see tests/test_sandbox.py)."""

import time

import nbformat
import pytest

from backprop_course.autograder import sandbox
from backprop_course.autograder.sandbox import Limits, SandboxError
from helpers.sandbox_tiers import TIERS, forking_tier, needs_posix, small  # noqa: F401  (fixture)

pytestmark = needs_posix


@pytest.fixture(params=TIERS)
def tier(request):
    return request.param


@pytest.fixture
def work(tmp_path):
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def test_plain_nbgrader_gets_the_sandbox_through_config():
    """For `nbgrader autograde` itself: SandboxedExecute in c.Autograde.autograde_preprocessors,
    limits from c.SandboxedKernelManager (nbgrader's Execute ignores kernel_manager_class config)."""
    from traitlets.config import Config

    config = Config()
    config.SandboxedKernelManager.cpu_seconds = 7
    config.SandboxedKernelManager.network = True
    execute = sandbox.SandboxedExecute(config=config)
    assert execute.kernel_manager_class is sandbox.SandboxedKernelManager
    manager = execute.kernel_manager_class(config=config)
    assert manager.limits == Limits(cpu_seconds=7, network=True)
    baked = sandbox.kernel_manager_for(Limits(memory_mb=300))
    assert baked().limits == Limits(memory_mb=300)



def test_a_kernel_start_and_shutdown_keep_the_ready_future_without_a_pause(work, monkeypatch):
    """jupyter_client's in_pending_state pauses 0.01 s after every start and shutdown "so tests can
    capture the state"; ours keeps its ``ready`` future and drops the pause."""
    import asyncio

    from jupyter_client import manager as jupyter_manager
    from jupyter_core.utils import run_sync

    pauses = []

    class Recorded:  # jupyter_client.manager's asyncio, recording each sleep
        def __getattr__(self, name):
            return getattr(asyncio, name)

        @staticmethod
        def sleep(seconds, *args):
            pauses.append(seconds)
            return asyncio.sleep(seconds, *args)

    monkeypatch.setattr(jupyter_manager, "asyncio", Recorded())
    km = sandbox.kernel_manager_for(Limits())()
    run_sync(km.start_kernel)(cwd=str(work))
    try:
        assert km.ready.done() and km.ready.exception() is None
        assert run_sync(km.is_alive)()
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    assert km.ready.done() and not run_sync(km.is_alive)()
    assert 0.01 not in pauses, pauses


def _execute(cells, folder, limits, timeout=10):
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    made = []

    class Recorded(sandbox.kernel_manager_for(limits)):
        async def _async_pre_start_kernel(self, **kw):
            started = await super()._async_pre_start_kernel(**kw)
            made.append(self._sandbox.rundir)
            return started

    manager = Recorded
    client = NotebookClient(nb, kernel_manager_class=manager, timeout=timeout,
                            interrupt_on_timeout=True, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    died = False
    try:
        client.execute()
    except DeadKernelError:
        died = True
    outputs = [[o.get("text", o.get("ename")) for o in cell.outputs] for cell in nb.cells]
    # the sandbox was closed with the kernel, dead or alive: its run directory is gone
    assert made and not any(rundir.exists() for rundir in made)
    return outputs, died, manager.killed_reason


def test_a_sandboxed_kernel_runs_cells_with_the_limits(tier, work, tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("grades")
    outputs, died, _ = _execute([
        "import resource, numpy as np; print(resource.getrlimit(resource.RLIMIT_CPU)[0], np.ones(3).sum())",
        "x = bytearray(3_000_000_000)",
        f"import os; print(os.path.exists({str(secret)!r}))",
        "while True: pass",
        "print('still alive')",
        "import os; print(oct(os.umask(0)))",  # forked or exec'd, what it writes is its own
    ], work, small(tier, memory_mb=1024), timeout=2)
    assert not died
    assert outputs[0] == ["5 3.0\n"]
    assert outputs[1] == ["MemoryError"]
    assert outputs[2] == [f"{tier != 'bwrap'}\n"]
    assert outputs[3] == ["KeyboardInterrupt"]  # the per-cell timeout interrupts, the kernel lives
    assert outputs[4] == ["still alive\n"]
    assert outputs[5] == ["0o77\n"]


def test_submitted_files_cannot_replace_installed_modules_in_the_kernel(tier, work):
    (work / "numpy.py").write_text("raise SystemExit('a fake numpy')\n")
    (work / "ipykernel_launcher.py").write_text("print('a fake kernel')\n")
    (work / "backprop_lib").mkdir()
    (work / "backprop_lib" / "__init__.py").write_text("STUDENT = True\n")
    outputs, died, _ = _execute(["import numpy, backprop_lib\n"
                                 "print(numpy.__file__.endswith('site-packages/numpy/__init__.py'), "
                                 "backprop_lib.STUDENT)"], work, small(tier))
    assert not died and outputs == [["True True\n"]]


def test_a_sandboxed_kernel_dies_at_the_wall_clock_limit(tier, work):
    start = time.monotonic()
    outputs, died, reason = _execute(["print(1)", "import time; time.sleep(60)", "print(2)"], work,
                                     small(tier, wall_seconds=3), timeout=30)
    assert died and reason == "wall-clock limit of 3 s reached"
    assert outputs == [["1\n"], [], []]
    assert time.monotonic() - start < 30  # killed by the sandbox, not by the cell timeout


def test_a_sandboxed_kernel_starts_without_the_debugger(tier, work):
    # ipykernel imports debugpy whenever it can (a third of its start); grading never debugs
    outputs, died, _ = _execute(["import sys, ipykernel.debugger as debugger\n"
                                 "print(debugger._is_debugpy_available, sys.modules.get('debugpy'))"],
                                work, small(tier))
    assert not died and outputs == [["False None\n"]]


def test_a_kernel_that_dies_before_it_answers_fails_the_wait_at_once(tier, work):
    from jupyter_core.utils import run_sync

    from backprop_course.autograder.sandbox.kernel import PromptKernelClient

    km = sandbox.kernel_manager_for(small(tier))()
    run_sync(km.start_kernel)(cwd=str(work), extra_arguments=["--IPKernelApp.exec_lines=['import os; os._exit(3)']"])
    client = km.client()
    assert isinstance(client, PromptKernelClient)
    client.start_channels()
    start = time.monotonic()
    try:
        with pytest.raises(sandbox.KernelStartError, match="^kernel did not start: ") as caught:
            run_sync(client.wait_for_ready)(timeout=60)
        assert caught.value.limit is None  # os._exit: no limit was hit
        assert time.monotonic() - start < 30  # noticed, not waited out
    finally:
        client.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)


def test_a_forked_kernel_is_its_sandbox_uid_with_numpy_already_imported(forking_tier, work):
    tier = forking_tier
    outputs, died, _ = _execute([
        "import os, sys\nprint('numpy' in sys.modules, os.getuid() >= 2_100_000, os.getcwd() == "
        f"{str(work.resolve())!r}, os.getppid())",
        "import os; os._exit(3)",  # the sandbox ends with its forked kernel: a dead kernel at once
        "print('never')"], work, small(tier, wall_seconds=60), timeout=60)
    # the parent (the zygote's child) is outside the kernel's pid namespace: pid 0 there
    assert outputs[0] == ["True True True 0\n"]
    assert died and outputs[2] == []


def test_a_killed_zygote_is_started_again(forking_tier, work):
    from backprop_course.autograder.sandbox import zygote

    tier = forking_tier
    first, died, _ = _execute(["print('one')"], work, small(tier))
    assert not died and first == [["one\n"]]
    zygote._zygote[1].process.kill()
    zygote._zygote[1].process.wait()
    again, died, _ = _execute(["print('two')"], work, small(tier))
    assert not died and again == [["two\n"]]


def test_where_forking_fails_kernels_are_started_as_their_own_process(forking_tier, work, monkeypatch):
    from backprop_course.autograder.sandbox import zygote

    def refused(request, env):
        raise SandboxError("a forked kernel could not join its sandbox: setns: Operation not permitted")

    monkeypatch.setattr(zygote, "spawn", refused)
    monkeypatch.setattr(zygote, "_broken", None)
    outputs, died, _ = _execute(["import sys; print('numpy' in sys.modules)"], work, small(forking_tier))
    assert not died and outputs == [["False\n"]]  # an exec'd kernel: nothing imported ahead
    assert "setns" in zygote._broken
    outputs, died, _ = _execute(["print(2)"], work, small(forking_tier))  # no second attempt
    assert not died and outputs == [["2\n"]]
