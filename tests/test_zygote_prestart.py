"""Zygotes started by the driver before its workers fork (``zygote.prestart``): each worker
adopts its own, a kernel whose environment differs gets a zygote started for it, and the driver
ends them all."""

import json
import os

import pytest

from backprop_course.autograder.sandbox import zygote
from backprop_course.autograder.sandbox.box import shared_env
from helpers.sandbox_tiers import forking_tier, needs_posix, work  # noqa: F401  (fixtures)
from helpers.waiting import within

pytestmark = needs_posix


def fork_a_worker():
    """A process forked now (as a pool worker is) that adopts a channel and asks the zygote for
    a kernel in a sandbox that does not exist. Returns (pid, the read end of its report)."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            zygote.adopt()
            own = zygote._zygote[1] if zygote._zygote and zygote._zygote[0] == os.getpid() else None
            report = {"zygote": own.process.pid if own else None, "channels": len(own.ends) if own else 0}
            if own:
                try:
                    own.spawn({"ns_pid": -1})
                except zygote.SandboxError as err:  # the zygote's answer, through this channel
                    report["answer"] = str(err)
            os.write(write, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write)
    return child, read


def report_of(worker):
    child, read = worker
    with os.fdopen(read) as report:
        text = report.read()
    os.waitpid(child, 0)
    return json.loads(text)


def test_one_prestarted_zygote_serves_every_worker_and_the_driver_ends_it(forking_tier):
    zygote.prestart(2, shared_env())
    started = zygote._prestarted.process
    try:
        workers = [fork_a_worker(), fork_a_worker(), fork_a_worker()]  # asking at once
        # Whichever runs first claims a channel first: the one left without is any of the three.
        reports = sorted((report_of(worker) for worker in workers), key=lambda report: report["zygote"] is None)
        first, second, third = reports
        for report in (first, second):
            assert report["zygote"] == started.pid and report["channels"] == 1
            assert "could not join its sandbox" in report["answer"]
        assert third == {"zygote": None, "channels": 0}  # more workers than channels: its own
        assert started.poll() is None  # the workers' exits leave it to the driver
    finally:
        zygote.stop_prestarted()
    assert zygote._prestarted is None and started.poll() is not None


class FakeZygote:
    """Records what it was started with; answers every spawn with a pid of its own."""

    made = []

    def __init__(self, env):
        self.env, self.closed = env, False
        FakeZygote.made.append(self)

    def alive(self):
        return not self.closed

    def spawn(self, request):
        return 1000 + FakeZygote.made.index(self)

    def close(self):
        self.closed = True


def test_a_kernel_with_another_environment_than_the_adopted_zygote_gets_its_own(monkeypatch):
    FakeZygote.made = []
    monkeypatch.setattr(zygote, "Zygote", FakeZygote)
    adopted = FakeZygote({"PATH": "/usr/bin", "LANG": "C"})
    monkeypatch.setattr(zygote, "_zygote", (os.getpid(), adopted))
    # The same environment but for the per-sandbox folders: the adopted zygote forks it.
    same = {"PATH": "/usr/bin", "LANG": "C", "HOME": "/run/a/home", "TMPDIR": "/tmp"}
    assert zygote.spawn({}, same) == 1000 and len(FakeZygote.made) == 1
    # Another PATH: what the zygote imported under may differ; a new one is started for it.
    assert zygote.spawn({}, {"PATH": "/opt/bin", "LANG": "C", "HOME": "/run/b/home"}) == 1001
    assert adopted.closed and FakeZygote.made[1].env == {"PATH": "/opt/bin", "LANG": "C"}


def test_no_zygote_is_prestarted_where_kernels_are_not_forked(monkeypatch):
    from backprop_course.autograder.sandbox import Limits

    assert not zygote.would_fork(Limits(isolation="none"))
    assert not zygote.would_fork(Limits(isolation="unshare"))
    monkeypatch.setattr(zygote, "_broken", "setns refused")
    assert not zygote.would_fork(Limits(isolation="bwrap"))


@pytest.mark.parametrize("isolation", ["bwrap", "auto"])
def test_kernels_are_forked_where_the_zygote_predicts_it(forking_tier, tmp_path, isolation, monkeypatch):
    """would_fork (which runs no probe) agrees with what a kernel start decides."""
    from backprop_course.autograder import sandbox

    monkeypatch.delenv(sandbox.FORCE_ENV, raising=False)
    limits = sandbox.Limits(isolation=isolation)
    with sandbox.Sandbox(tmp_path, limits) as box:
        assert zygote.would_fork(limits) == zygote.usable(box) == True  # noqa: E712


class FakeEarlyZygote(FakeZygote):
    """A FakeZygote with channels, as ``start_early`` and ``prestart`` make them."""

    def __init__(self, env, clients=1):
        super().__init__(env)
        self.ends = [None] * clients


def test_the_command_starts_the_zygote_before_its_imports_and_the_batch_keeps_it(forking_tier, monkeypatch):
    from backprop_course.autograder import cli, sandbox

    monkeypatch.delenv(sandbox.FORCE_ENV, raising=False)
    assert cli.start_sandbox_early(["autograde", "02_linear_layer", "--workers", "3"])
    early = zygote._prestarted
    try:
        assert early is not None and len(early.ends) == 3 and early.alive()
        zygote.prestart(2, shared_env())  # the pool's: 2 workers, the same environment
        assert zygote._prestarted is early and early.alive()
        zygote.prestart(4, shared_env())  # more workers than it has channels: a new one
        assert zygote._prestarted is not early and early.process.poll() is not None
    finally:
        zygote.stop_prestarted()


@pytest.mark.parametrize("argv, channels", [
    (["autograde", "02_linear_layer"], 2),
    (["autograde", "02_linear_layer", "--workers=5", "--force"], 5),
    (["autograde", "02_linear_layer", "--workers", "x"], None),  # the command's parser says why
    (["autograde", "02_linear_layer", "--dask", "tcp://127.0.0.1:8786"], None),
    (["autograde", "--help"], None),
    (["report", "02_linear_layer"], None),
])
def test_only_a_local_autograde_starts_a_zygote_early(argv, channels, monkeypatch):
    from backprop_course.autograder import cli

    FakeZygote.made = []
    monkeypatch.setattr(zygote, "Zygote", FakeEarlyZygote)
    monkeypatch.setattr(zygote, "would_fork", lambda limits: True)
    monkeypatch.setattr(zygote, "_prestarted", None)
    assert cli.start_sandbox_early(argv) == (channels is not None)
    assert [len(made.ends) for made in FakeZygote.made] == ([channels] if channels else [])
    monkeypatch.setattr(zygote, "would_fork", lambda limits: False)  # no bubblewrap, not root
    FakeZygote.made = []
    cli.start_sandbox_early(argv)
    assert FakeZygote.made == []


def test_the_command_runs_the_sandbox_probes_beside_its_imports_once(monkeypatch):
    """The probes start with the command (``machine.probe_in_background``); the grader's later
    ``available()`` waits for their answer instead of probing again."""
    import threading
    import time

    from backprop_course.autograder import cli
    from backprop_course.autograder.sandbox import machine

    probed = []

    def slow_probes(commands):
        probed.append(threading.current_thread().name)
        time.sleep(0.3)  # as the Pythons the real probes start take their time
        return {key: False for key in commands}

    monkeypatch.setattr(machine, "_probes", slow_probes)
    monkeypatch.setattr(zygote, "Zygote", FakeEarlyZygote)
    monkeypatch.setattr(zygote, "_prestarted", None)
    machine._probed.cache_clear()
    try:
        assert cli.start_sandbox_early(["autograde", "02_linear_layer"])
        assert within(10, lambda: probed, every=0.01)
        assert probed == ["sandbox-probes"]
        assert machine.available()["bwrap"] is False  # the probes' answer, waited for
        assert probed == ["sandbox-probes"]
    finally:
        machine._probed.cache_clear()  # the next caller probes this machine for real


def test_a_pool_whose_kernels_are_not_forked_ends_the_early_zygote(monkeypatch):
    from backprop_course.autograder import grading, sandbox

    early = FakeEarlyZygote({}, clients=2)
    monkeypatch.setattr(zygote, "_prestarted", early)
    pool = grading.LocalPool(1, sandbox.Limits(isolation="unshare"))
    pool.close()
    assert early.closed and zygote._prestarted is None


def test_a_command_that_fails_before_its_batch_ends_its_early_zygote(tmp_path, monkeypatch):
    from backprop_course.autograder import cli

    FakeZygote.made = []
    monkeypatch.setattr(zygote, "Zygote", FakeEarlyZygote)
    monkeypatch.setattr(zygote, "would_fork", lambda limits: True)
    monkeypatch.setattr(zygote, "_prestarted", None)
    code = cli.main(["autograde", "02_linear_layer", "--course", str(tmp_path / "no-course")])
    assert code == 2
    assert len(FakeZygote.made) == 1 and FakeZygote.made[0].closed and zygote._prestarted is None
