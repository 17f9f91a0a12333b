"""Sandboxed Jupyter kernels for nbclient / nbgrader: ``SandboxedKernelManager`` and
``kernel_manager_for``."""

from __future__ import annotations

import dataclasses
import functools
import os
import resource
import subprocess
import sys
import threading
import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager, _get_future
import zmq
from traitlets import Bool, Float, Integer, Type, Unicode

from . import zygote
from .box import THREAD_ENV, Sandbox, chown_tree
from .limits import KernelStartError, Limits, SandboxError
from .run import tail
from .uids import kill_group

# IPython puts the working directory first on sys.path, so a submitted numpy.py or IPython/ would
# replace the real package for the tests too. The working copy goes last instead: the student's
# backprop_lib (installed nowhere else the sandbox can see) still imports, numpy stays numpy.
SHADOW_SAFE_ARGS = ["--InteractiveShellApp.ignore_cwd=True",
                    "--InteractiveShellApp.exec_lines=['import os as _os, sys as _sys; "
                    "_sys.path.append(_os.getcwd()); del _os, _sys']"]
# ``python -m ipykernel_launcher`` without the debugger: ipykernel imports debugpy whenever it can,
# a third of a kernel's start-up CPU, and grading never debugs. Like the launcher, the kernel's
# folder is not put on sys.path while ipykernel imports (PYTHONSAFEPATH says so too).
LEAN_LAUNCHER = ("import sys\n"
                 "if sys.path and sys.path[0] == '': del sys.path[0]\n"
                 "sys.modules['debugpy'] = None\n"
                 "from ipykernel import kernelapp\n"
                 "kernelapp.launch_new_instance()\n")
# What a kernel's start needs: the probe run under the memory limit alone (see start_failure).
MEMORY_PROBE = ("import sys, threading\n"
                "sys.modules['debugpy'] = None\n"
                "from ipykernel import kernelapp\n"
                "import zmq\n"
                "socket = zmq.Context().socket(zmq.PUB)\n"
                "thread = threading.Thread(target=int)\n"
                "thread.start()\n"
                "thread.join()\n")
# What a kernel's log says when a process or thread could not be created (EAGAIN from clone).
OUT_OF_TASKS = ("Resource temporarily unavailable", "can't start new thread", "pthread_create",
                "BlockingIOError")
# How often an idle IOPub channel checks whether ZMQ dropped its connection (WatchedChannel).
WATCH_SECONDS = 0.25
# How often a killed kernel is checked for having ended (jupyter_client: every 0.1 s).
EXIT_POLL_SECONDS = 0.005


def lean_command(kernel_cmd):
    """``kernel_cmd`` with ``-m ipykernel_launcher`` replaced by LEAN_LAUNCHER (any other kernel
    command is kept as it is)."""
    if kernel_cmd[1:3] == ["-m", "ipykernel_launcher"]:
        return [kernel_cmd[0], "-c", LEAN_LAUNCHER, *kernel_cmd[3:]]
    return list(kernel_cmd)


class WatchedChannel(AsyncZMQSocketChannel):
    """An IOPub channel that waits in short slices and, between them, lets its client check the
    connection (``check``, set by ``PromptKernelClient``)."""

    check = None

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = WATCH_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                return await super().get_msg(timeout=max(0, min(left, WATCH_SECONDS)))
            except Empty:
                if self.check is not None:
                    self.check()
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's client without its 0.2 s of idle per kernel start: ``wait_for_ready``
    there ends by draining IOPub until nothing came for 0.2 s. Nothing needs the drain: nbclient
    skips every message that answers another request than the cell it runs.

    An IOPub message over ``max_message_bytes`` (one ``print`` of a huge string) is never
    received: ZMQ drops it with the connection, so the grader's memory never holds it. The rest of
    that cell's output is lost with the connection, so the kernel is stopped and its manager's
    ``stopped_reason`` says why (as for a notebook whose output passes its cap while it streams).
    """

    # Far above what a print loop sends at once (ipykernel sends what was printed in 0.2 s as one
    # message: the hostile corpus's 200 MB flood arrives whole), far below the 1 GB print that
    # grew a worker to 1.1 GB.
    max_message_bytes = Integer(256 * 1024 * 1024).tag(config=True)
    iopub_channel_class = Type(WatchedChannel, config=True)
    _iopub_monitor = None

    def _create_connected_socket(self, channel, identity=None):
        sock = super()._create_connected_socket(channel, identity)
        if channel == "iopub":
            # ZMQ reads the option when it connects: set it, then connect again.
            url = self._make_url(channel)
            sock.disconnect(url)
            sock.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
            # the monitor as a plain socket (of the same ZMQ context), read without blocking
            address = f"inproc://backprop-iopub-monitor-{id(sock)}"
            sock.monitor(address, zmq.EVENT_DISCONNECTED)
            self._iopub_monitor = zmq.Context.shadow(self.context.underlying).socket(zmq.PAIR)
            self._iopub_monitor.connect(address)
            sock.connect(url)
        return sock

    @property
    def iopub_channel(self):
        channel = AsyncKernelClient.iopub_channel.fget(self)
        channel.check = self._check_connection
        return channel

    def _check_connection(self):
        # A disconnection while the kernel lives is ZMQ dropping an oversized message (a kernel
        # that ended closes its end itself).
        disconnected = False
        while self._iopub_monitor is not None:
            try:
                self._iopub_monitor.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            disconnected = True
        stop = getattr(self.parent, "stop", None)
        if disconnected and stop is not None:
            stop(f"an output message over {self.max_message_bytes / 2**20:g} MB was not received: "
                 "the kernel was stopped")

    def stop_channels(self):
        if self._iopub_monitor is not None:  # first: the ZMQ context ends only once it is closed
            self._iopub_monitor.close(linger=0)
            self._iopub_monitor = None
        super().stop_channels()

    async def _async_wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if reply["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected: the kernel's status message for this request came
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(reply)
                        return
            if not await self._async_is_alive():
                why = getattr(self.parent, "start_failure", None)
                raise why() if why else RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    wait_for_ready = _async_wait_for_ready


def pending_without_pause(method):
    """jupyter_client's ``in_pending_state`` (the manager's ``ready`` future, set when ``method``,
    its start or shutdown, is done) without the ``asyncio.sleep(0.01)`` it adds "to ensure tests can
    capture the state": 10 ms with nothing to run, twice a kernel, in each grading worker's path.
    ``method`` is the undecorated one (``__wrapped__``); a jupyter_client without it keeps its pause."""
    method = getattr(method, "__wrapped__", method)

    @functools.wraps(method)
    async def pending(self, *args, **kwargs):
        if self._attempted_start or not self._ready:
            self._ready = _get_future()
        try:
            out = await method(self, *args, **kwargs)
        except Exception as err:
            self._ready.set_exception(err)
            self.log.exception(self._ready.exception())
            raise
        if self.owns_kernel:
            self._ready.set_result(None)
        return out

    return pending


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
    stopped_reason = None  # why ``stop`` ended the kernel
    wall_clock_started = None  # time.monotonic() when the wall-clock limit last started counting
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient, config=True)

    @property
    def limits(self):
        return Limits(self.cpu_seconds, self.memory_mb, self.processes, self.file_mb,
                      self.open_files, self.wall_seconds, self.network, self.isolation)

    async def _async_pre_start_kernel(self, **kw):
        self._close_sandbox()
        cwd = kw.get("cwd") or os.getcwd()
        box = Sandbox(cwd, self.limits, self.readonly_paths).__enter__()
        self._sandbox, self.killed_reason, self.stopped_reason = box, None, None
        if not self.limits.network:
            # unix sockets in the run directory work across network namespaces; TCP does not
            self.transport = "ipc"
            self.ip = str(box.rundir / "kernel-ipc")
        self.connection_file = str(box.rundir / "kernel.json")
        self._log = open(box.rundir / "kernel.log", "wb")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if box.uid is not None:
            os.chown(self.connection_file, box.uid, box.uid)
        command = lean_command(kernel_cmd) + SHADOW_SAFE_ARGS
        prefix, launch = box.launcher()
        kw.update(env=box.env(kw.get("env")), stdout=self._log, stderr=self._log, **launch)
        self.kernel_pid, self._fork = None, None
        if zygote.usable(box):  # the sandbox around a placeholder; the kernel is forked into it
            self._fork = {"argv": command[3:], "cwd": str(box.workdir), "uid": box.uid,
                          "env": dict(kw["env"]),
                          "rlimits": [[which, *value] for which, value in box.rlimits()],
                          "log": str(box.rundir / "kernel.log"), "command": prefix + box.command(command)}
            return prefix + box.command(zygote.STUB), kw
        return prefix + box.command(command), kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self._fork is not None:
            fork, self._fork = self._fork, None
            try:
                placeholder = zygote.wait_ready(self.provisioner.pid)
                self.kernel_pid = zygote.spawn({**fork, "ns_pid": placeholder}, fork["env"])
            except (OSError, SandboxError) as err:
                # This machine cannot fork kernels into sandboxes (e.g. setns refused): say so
                # once, and start this and every later kernel as its own process.
                zygote.give_up(f"{err}")
                self.log.warning("kernels are started without the zygote: %s", err)
                await self.provisioner.kill()
                await self.provisioner.wait()
                await super()._async_launch_kernel(fork["command"], **kw)
        self.restart_wall_clock()

    async def _async_signal_kernel(self, signum):
        # A forked kernel leads its own process group, apart from the sandbox's.
        if self.kernel_pid is not None:
            kill_group(self.kernel_pid, signum)
        else:
            await super()._async_signal_kernel(signum)

    signal_kernel = _async_signal_kernel

    def restart_wall_clock(self):
        """Count ``wall_seconds`` from now (a kernel started ahead of its job: from the job's start)."""
        if getattr(self, "_timer", None) is not None:
            self._timer.cancel()
        self.wall_clock_started = time.monotonic()
        self._timer = threading.Timer(self.limits.wall_seconds, self._wall_limit,
                                      args=(self.provisioner.pid,))
        self._timer.daemon = True
        self._timer.start()

    def give(self, folder):
        """Make the files written into the working copy after the kernel started the sandbox
        uid's, as those written before are (so the kernel may change its own files)."""
        box = getattr(self, "_sandbox", None)
        if box is not None and box.uid is not None:
            chown_tree(folder, box.uid, box.uid, private=True)

    async def _async_wait(self, pollinterval=EXIT_POLL_SECONDS):
        await super()._async_wait(pollinterval=pollinterval)

    def _wall_limit(self, pid):
        # Also on the class: nbclient drops its kernel manager (client.km = None) when the kernel
        # dies, so callers read it from the class kernel_manager_for made for this job.
        reason = f"wall-clock limit of {self.limits.wall_seconds:g} s reached"
        self.killed_reason = type(self).killed_reason = reason
        kill_group(pid)
        if getattr(self, "_sandbox", None) is not None:
            self._sandbox.kill()

    def start_failure(self):
        """The KernelStartError for this kernel, which ended before it answered: which limit it
        hit, from a probe of the memory limit alone and the kernel's log (the log cannot tell:
        a thread that cannot be created fails with EAGAIN under either limit)."""
        box, log = getattr(self, "_sandbox", None), self.kernel_log_tail()
        last = next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "")
        if box is None:
            return KernelStartError(f"kernel did not start: {last or 'no log'}")
        limits = self.limits
        if not starts_within_memory(limits.memory_mb):
            return KernelStartError(
                f"kernel did not start: the memory limit of {limits.memory_mb} MB (address space) "
                "is too small for a kernel; raise SandboxedKernelManager.memory_mb", "memory limit")
        if any(sign in log for sign in OUT_OF_TASKS):
            shared = ("its own uid" if box.uid is not None else
                      f"uid {os.getuid()}: the grader's threads and all its kernels")
            return KernelStartError(
                f"kernel did not start: the process limit of {box.process_cap} processes+threads "
                f"(RLIMIT_NPROC of {shared}) was reached ({last}); grade with fewer --workers "
                "or raise SandboxedKernelManager.processes", "process limit")
        return KernelStartError(f"kernel did not start: {last or 'it ended without a word'}")

    def stop(self, reason):
        """Kill a kernel that still runs, and say why in ``stopped_reason`` (on the instance and
        its class, as ``killed_reason``)."""
        process = getattr(self.provisioner, "process", None)
        if process is None or process.poll() is not None:
            return
        self.stopped_reason = type(self).stopped_reason = reason
        if self.kernel_pid is not None:
            kill_group(self.kernel_pid)
        kill_group(process.pid)
        if getattr(self, "_sandbox", None) is not None:
            self._sandbox.kill()

    def kernel_log_tail(self):
        """The end of the kernel process's own stdout/stderr ('' once the sandbox is closed)."""
        box = getattr(self, "_sandbox", None)
        if box is None or box.rundir is None:
            return ""
        return tail(box.rundir / "kernel.log")

    async def _async_cleanup_resources(self, restart=False):
        # The last step of shutdown_kernel, and all nbclient calls for a kernel already dead.
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            if not restart:
                self._close_sandbox()

    # AsyncKernelManager binds its public names to KernelManager's functions, not to overrides.
    cleanup_resources = _async_cleanup_resources
    _async_start_kernel = start_kernel = pending_without_pause(AsyncKernelManager._async_start_kernel)
    _async_shutdown_kernel = shutdown_kernel = pending_without_pause(AsyncKernelManager._async_shutdown_kernel)

    def _close_sandbox(self):
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None
        box = getattr(self, "_sandbox", None)
        if box is not None:
            if self.provisioner is not None and self.provisioner.pid:
                kill_group(self.provisioner.pid)
            self._log.close()
            box.close()  # kills every process of the sandbox's uid first
            self._sandbox = None

    def __del__(self):
        super().__del__()
        self._close_sandbox()


def starts_within_memory(memory_mb):
    """Whether a kernel's start (ipykernel, ZMQ and a thread) fits in ``memory_mb`` of address
    space, every other limit lifted: the memory half of diagnosing a kernel that died."""
    mb = 1024 * 1024

    def memory_only():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * mb,) * 2)

    try:
        return subprocess.run([sys.executable, "-c", MEMORY_PROBE], env={**os.environ, **THREAD_ENV},
                              preexec_fn=memory_only, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def kernel_manager_for(limits, readonly=()):
    """A ``SandboxedKernelManager`` subclass whose defaults are ``limits``, for
    ``NotebookClient(nb, kernel_manager_class=kernel_manager_for(limits))``; the same class for
    the same limits (making a traitlets class costs a grading worker ~3 ms a kernel)."""
    return _kernel_manager_class(limits, tuple(str(p) for p in readonly))


@functools.lru_cache(maxsize=64)
def _kernel_manager_class(limits, readonly):
    defaults = {f.name: getattr(limits, f.name) for f in dataclasses.fields(Limits)}
    traits = {name: type(SandboxedKernelManager.class_traits()[name])(value).tag(config=True)
              for name, value in defaults.items()}
    return type("SandboxedKernelManager", (SandboxedKernelManager,),
                {**traits, "readonly_paths": list(readonly)})
