"""The zygote: a process that has imported ipykernel, IPython, numpy and the course machinery once,
and forks a grading kernel into a bubblewrap sandbox on request (see ``zygote``). Run as a script,
never imported by a kernel: ``python -s zygote_main.py FDS PRELOAD`` with FDS the comma-separated
ends of one socketpair per client (a grading worker) and PRELOAD the JSON of what to import ahead
(see ``preload``).

A request is a JSON line: {"ns_pid": a process inside the sandbox, "cwd", "uid", "env",
"rlimits": [[resource, soft, hard], ...], "log": the kernel's log file, "argv": the kernel's
arguments}; the answer is a JSON line {"pid": the kernel's pid} or {"error": "why"}. Each kernel
is the grandchild of a fork: the child joins the sandbox's namespaces (setns, as ``nsenter``),
forks the kernel into its pid namespace, reports, and waits; when the kernel ends it ends the
sandbox, so the kernel manager (which started the sandbox) sees the end.
"""

import ctypes
import gc
import importlib
import json
import os
import resource
import selectors
import signal
import socket
import sys

import numpy  # a lesson's first import (a third of its imports phase), and cell_file_hash's arithmetic

# The order nsenter joins them in: the user namespace first (it grants the rights for the
# others), the mount namespace last (after it, /proc is the sandbox's).
NAMESPACES = ("user", "cgroup", "ipc", "uts", "net", "pid", "mnt")
PR_SET_PDEATHSIG = 1
# What every grading kernel imports before a lesson's first cell: its start, once ipykernel is
# imported (the shell, magics, debugger hooks and event loop: about a quarter of a forked kernel's
# start; psutil, which jupyter_client imports to list the machine's addresses as the kernel reads
# its connection file: 15 ms of a forked kernel's CPU), and the first cell of a graded notebook,
# the integrity guard (numpy.testing: 10 ms). Modules only: the addresses are listed in each
# kernel, inside its own network namespace.
KERNEL_START = ("faulthandler", "importlib.readers", "importlib.resources.readers", "pdb", "psutil", "pwd",
                "sqlite3", "unicodedata", "IPython.core.completerlib", "IPython.core.debugger",
                "IPython.core.logger", "IPython.core.oinspect", "IPython.extensions.storemagic",
                "ipykernel.debugger", "numpy.linalg", "numpy.testing", "tornado.gen", "tornado.locks",
                "tornado.platform.asyncio", "tornado.queues")
libc = ctypes.CDLL(None, use_errno=True)
MURMUR_MULTIPLIER = 0x5BD1E995


def preload(request):
    """Import ahead what every kernel imports; returns "" or why no kernel may be forked here.

    ``request``: {"root": the folder holding the machinery's package, as the kernels' import
    guard pins it (first on sys.path only while that package is found), "top": its name,
    "modules": the machinery to import, "never": packages no kernel may inherit}. A machinery
    that does not import is dropped whole: each kernel then imports it and shows the error.
    """
    for name in KERNEL_START:
        try:
            importlib.import_module(name)
        except ImportError:  # another IPython or ipykernel: the kernel imports what it needs
            pass
    # IPython tokenizes each cell; the tokenizer's regular expression (a sixth of a forked
    # kernel's start) is compiled at its first use in a process: here, once.
    from IPython.core.inputtransformer2 import TransformerManager

    TransformerManager().transform_cell("pass\n")
    if request["root"]:
        sys.path.insert(0, request["root"])
    try:
        importlib.import_module(request["top"])
        for name in request["modules"]:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 (a broken installation: each kernel reports it)
        for name in [name for name in sys.modules if name.split(".")[0] == request["top"]]:
            del sys.modules[name]
    finally:
        if request["root"]:
            sys.path.remove(request["root"])
    loaded = sorted(name for name in sys.modules for never in request["never"]
                    if name == never or name.startswith(never + "."))
    if loaded:
        return (f"the zygote imported {', '.join(loaded)} with the course machinery, which no grading "
                "kernel may hold; a module of the machinery imports it")
    return ""


def cell_file_hash(data, seed, frombuffer=numpy.frombuffer, word=numpy.uint32):
    """ipykernel.compiler.murmur2_x86, the same number about five times faster: ipykernel names
    each cell's code file by this hash of its text (tracebacks show that file's lines), and its own
    pure-Python loop over every byte costs a grading kernel about 0.15 ms per KB of cells. Here
    the words are mixed by numpy at once and only the hash's own chain is a loop. numpy's
    functions are bound here, in the zygote: a cell that replaces them changes nothing.
    """
    m = MURMUR_MULTIPLIER
    raw = str.encode(data, "utf8")
    length = len(raw)
    h = seed ^ length
    rounded_end = length & 0xFFFFFFFC
    words = frombuffer(raw, "<u4", rounded_end // 4) * word(m)
    words ^= words >> word(24)
    words *= word(m)
    for k in words.tolist():
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = length & 0x03
    if tail:
        h ^= int.from_bytes(raw[rounded_end:], "little")
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    return h ^ (h >> 15)


def quick_async_check(should_be_async):
    """IPython's ``_should_be_async`` (whether a cell needs the asyncio runner), which compiles every
    cell to find out, answered without compiling for a plain-ASCII cell that says neither "await"
    nor "async": only those words make a cell a coroutine (its answer is then False, as the
    compile would give)."""

    def check(cell):
        if cell.isascii() and "await" not in cell and "async" not in cell:
            return False
        return should_be_async(cell)

    return check


def transform_each_cell_once(shell_class):
    """``shell_class.transform_cell`` running IPython's input transformers once per cell, not twice.

    ipykernel transforms a cell's text to ask whether it needs the asyncio runner; for one that
    does not, IPython's ``run_cell`` transforms the very same text again (about 0.4 ms a cell).
    The second call gets the first one's result: only for the same text object, only once, and
    only while no code ran in between (each ``pre_execute`` forgets it), so what runs is what the
    transformers (the notebook's own too) make of the cell then; each is called once a cell.
    """
    transform = shell_class.transform_cell
    kept = []  # [the shell, the raw cell object, its transform] of the last call, until used

    def forget():
        kept.clear()

    def transform_cell(self, raw_cell):
        last, kept[:] = list(kept), []
        if last and last[0] is self and last[1] is raw_cell:
            return last[2]
        result = transform(self, raw_cell)
        if forget not in self.events.callbacks["pre_execute"]:
            self.events.register("pre_execute", forget)
        kept[:] = [self, raw_cell, result]
        return result

    return transform_cell


def transform_ast_without_needless_fix(shell_class):
    """``shell_class.transform_ast`` without IPython's ``ast.fix_missing_locations`` walk of every
    cell's whole tree when each AST transformer says it needs none (``keeps_locations``, as
    live_reload's, the one a lesson installs, does): the same tree, compiled the same."""
    transform = shell_class.transform_ast

    def transform_ast(self, node):
        transformers = list(self.ast_transformers)
        if not transformers or not all(getattr(each, "keeps_locations", False) is True for each in transformers):
            return transform(self, node)
        for transformer in transformers:
            node = transformer.visit(node)
        return node

    return transform_ast


def flush_when_written(stream_class):
    """``stream_class.flush`` (ipykernel's OutStream) returning at once when the stream holds
    nothing to send: no text in its buffers, no flush pending, no echo. ipykernel flushes stdout and
    stderr before every display, result and reply and at every cell's end (some 80 times a
    notebook), each time handing two calls to its IO thread and waiting for them: about 0.9 ms of
    the kernel's CPU a cell that printed nothing (2.74-2.96 ms before, 1.66-2.01 ms after). Text written is sent as before, and any
    message published after such a flush still follows the text on IOPub (the IO thread sends in
    order), so a cell's outputs are the same."""
    flush = stream_class.flush

    def flush_written(self):
        if self.echo is None and not self._flush_pending:
            with self._buffer_lock:
                if not any(buffer.tell() for buffer in self._buffers.values()):
                    return
        flush(self)

    return flush_written


def lighten_cell_runs():
    """What every forked kernel runs for each cell, for less CPU and the same results: the cell file
    names (``cell_file_hash``), the asyncio check, the input transformers, the AST transformers and
    the empty flushes (see above)."""
    from IPython.core import interactiveshell
    from ipykernel import compiler, iostream, zmqshell

    iostream.OutStream.flush = flush_when_written(iostream.OutStream)
    compiler.murmur2_x86 = cell_file_hash
    interactiveshell._should_be_async = quick_async_check(interactiveshell._should_be_async)
    zmqshell.ZMQInteractiveShell.transform_cell = transform_each_cell_once(zmqshell.ZMQInteractiveShell)
    zmqshell.ZMQInteractiveShell.transform_ast = transform_ast_without_needless_fix(zmqshell.ZMQInteractiveShell)


def join_namespaces(ns_pid):
    """setns(2) into every namespace of ``ns_pid`` that differs from ours."""
    targets = []
    for name in NAMESPACES:
        path = f"/proc/{ns_pid}/ns/{name}"
        if not os.path.exists(path) or os.readlink(path) == os.readlink(f"/proc/self/ns/{name}"):
            continue
        targets.append((name, os.open(path, os.O_RDONLY)))
    for name, fd in targets:
        if libc.setns(fd, 0) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}: {os.strerror(ctypes.get_errno())}")
        os.close(fd)


def run_kernel(request):
    """In the forked kernel: the sandbox's working folder, limits, uid, environment and log, then
    ipykernel as ``python -m ipykernel_launcher ARGV`` would run it."""
    os.chdir(request["cwd"])
    # The log as the exec'd kernel gets it: opened by the grader (before the uid changes).
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    for which, soft, hard in request["rlimits"]:
        resource.setrlimit(which, (soft, hard))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the exec'd kernels get it (Sandbox.launcher)
    os.umask(0o077)  # likewise: what the kernel writes is no other sandbox uid's to read
    uid = request["uid"]
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.environ.clear()
    os.environ.update(request["env"])
    sys.dont_write_bytecode = True
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    from ipykernel import kernelapp  # imported by the zygote already

    kernelapp.launch_new_instance()


def spawn(request, report):
    """In the zygote's child: join the sandbox, fork the kernel, report its pid on ``report``,
    wait for it, then end the sandbox. Never returns."""
    try:
        os.setsid()
        # A pidfd, not the pid: when the sandbox ends first, its pid may be another process's.
        placeholder = os.pidfd_open(request["ns_pid"])
        join_namespaces(request["ns_pid"])
        kernel = os.fork()
    except BaseException as err:
        os.write(report, json.dumps({"error": f"{type(err).__name__}: {err}"}).encode())
        os._exit(1)
    if kernel == 0:
        os.close(report)
        os.close(placeholder)
        os.setsid()  # its own process group: interrupts go to the kernel and what it started
        try:
            run_kernel(request)
        finally:
            os._exit(0)
    os.write(report, json.dumps({"pid": kernel}).encode())
    os.close(report)
    os.waitpid(kernel, 0)
    try:
        signal.pidfd_send_signal(placeholder, signal.SIGKILL)  # the sandbox ends with its kernel
    except OSError:  # it ended first (a shutdown, the wall-clock limit)
        pass
    os._exit(0)


def serve(channels, refusal):
    """Answer each request on any of ``channels`` (one per client) with a forked kernel, or with
    ``refusal`` when it is not ""; return once every client has closed its end."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # never outlive the grader that started it
    if os.getppid() == 1:
        sys.exit(0)
    # A client sends its next request only once answered: a readline never waits for a line.
    clients = {channel.fileno(): (channel, channel.makefile("rb")) for channel in channels}
    waiting = selectors.DefaultSelector()
    for channel in channels:
        waiting.register(channel, selectors.EVENT_READ)
    while clients:
        for key, _ in waiting.select():
            channel, lines = clients[key.fd]
            line = lines.readline()
            if not line:  # that client is gone
                waiting.unregister(channel)
                lines.close()
                channel.close()
                del clients[key.fd]
                continue
            if refusal:
                channel.sendall(json.dumps({"error": refusal}).encode() + b"\n")
                continue
            channel.sendall(answer(json.loads(line), waiting, clients.values()) + b"\n")


def answer(request, waiting, clients):
    """The answer to one request: the pid of a kernel forked for it, as a JSON line's text. The
    fork keeps nothing of the zygote's channels (``waiting``, ``clients``)."""
    while True:  # reap the children of kernels that have ended
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        waiting.close()
        for channel, lines in clients:
            lines.close()
            channel.close()
        spawn(request, write)
    os.close(write)
    with os.fdopen(read, "rb") as report:
        return (report.read() or b'{"error": "the sandbox joiner died"}').strip()


if __name__ == "__main__":
    sys.modules["debugpy"] = None  # grading never debugs (see sandbox.kernel.LEAN_LAUNCHER)
    from ipykernel import kernelapp  # noqa: F401  (what every kernel imports first)

    lighten_cell_runs()  # every kernel forks from here

    refusal = preload(json.loads(sys.argv[2]))
    # Frozen: a kernel's cycle collections never walk what it inherited (some 50,000 objects),
    # nor write to their pages, each such write a copy of the page in that kernel.
    gc.freeze()
    serve([socket.socket(fileno=int(fd)) for fd in sys.argv[1].split(",")], refusal)
