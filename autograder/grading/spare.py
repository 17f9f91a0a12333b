"""A kernel started ahead of its submission: while a worker grades one submission, the sandboxed
kernel for its next one boots in an empty working folder, and the next job's files are written
into that folder when the job comes. A kernel's start (a third of a submission's CPU, and 0.3 s
of waiting) then overlaps the previous submission's run.

The start itself runs in the worker's starter thread, beside the current submission's cells: the
worker waited about 90 ms a submission for it (bubblewrap building the sandbox, the zygote's
fork), during which neither it nor its kernel had anything to run. One thread for the process's
whole life: a sandbox's parent-death signal fires when the *thread* that started it ends
(prctl(2)), so a thread per start would kill each spare as its thread ended.

Only where ``enable()`` was called: each process of a ``LocalPool``, whose jobs all come from one
batch. A Dask worker starts each kernel with its job. The spare is used only by a job with the
same lesson, kernel and configuration as the job it was started after; otherwise it is shut down.
"""

import json
import multiprocessing.util
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from jupyter_core.utils import run_sync
from traitlets.config import Config

from .. import sandbox

from .grading_execute import kernel_env, start_kernel

_enabled = False
_spare = None
_starter = None  # the ThreadPoolExecutor of one thread that starts this process's spares


@dataclass
class Spare:
    key: str
    folder: tempfile.TemporaryDirectory  # holds the working copy; removed with the spare
    workdir: Path
    starting: Future  # of a started SandboxedKernelManager (``start_kernel`` in the starter thread)

    @property
    def km(self):
        """The started kernel manager, once the starter thread is done with it (this waits for
        it); None when the start failed: a kernel that cannot start fails again, and is
        reported, when a job starts its own."""
        try:
            return self.starting.result()
        except Exception:
            return None


def key(job, kernel_name):
    """What a kernel started for ``job``'s successor depends on."""
    return json.dumps([job.lesson, kernel_name, job.wall_limit, job.config], sort_keys=True, default=str)


def _no_starter_in_child():
    """A forked process has none of its parent's threads: it starts its spares on a starter
    thread of its own (a LocalPool forked by a process that used spares)."""
    global _starter
    _starter = None


os.register_at_fork(after_in_child=_no_starter_in_child)


def enable():
    """Start spares in this process from now on, and shut the last one down when it exits."""
    global _enabled
    _enabled = True
    multiprocessing.util.Finalize(None, discard, exitpriority=10)


def take(wanted):
    """The spare started for a job like this one (key ``wanted``) if its kernel is alive, else
    None (a spare that does not fit is shut down)."""
    global _spare
    spare, _spare = _spare, None
    if spare is None:
        return None
    if spare.key == wanted and spare.km is not None and run_sync(spare.km.is_alive)():
        return spare
    _shut(spare)
    return None


def start_next(job, kernel_name):
    """Start the spare for the job after ``job`` (when enabled and none is waiting), in the
    starter thread: returns at once. Never raises (see ``Spare.km``)."""
    global _spare, _starter
    if not _enabled or _spare is not None:
        return
    try:  # an unwritable temp folder too: the job then starts its own kernel, and says why
        folder = tempfile.TemporaryDirectory(prefix=sandbox.leftovers.prefix("backprop-grade-"))
    except OSError:
        return
    workdir = Path(folder.name) / job.lesson
    try:
        workdir.mkdir()
        if _starter is None:
            _starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-starter")
        # The environment is read here, in the thread that may change it (run_notebook).
        starting = _starter.submit(start_kernel, Config(job.config), workdir, job.wall_limit,
                                   kernel_name, kernel_env())
    except Exception:
        folder.cleanup()
        return
    _spare = Spare(key(job, kernel_name), folder, workdir, starting)


def discard():
    """Shut the waiting spare down, if any."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        _shut(spare)


def _shut(spare):
    try:
        if spare.km is not None:
            run_sync(spare.km.shutdown_kernel)(now=True)
    except Exception:  # already dead: its sandbox is closed by the cleanup all the same
        pass
    finally:
        spare.folder.cleanup()
