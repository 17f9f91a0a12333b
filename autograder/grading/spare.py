"""A kernel started ahead of its submission: while a worker grades one submission, the sandboxed
kernel for its next one boots in an empty working folder, and the next job's files are written
into that folder when the job comes. A kernel's start (a third of a submission's CPU, and 0.3 s
of waiting) then overlaps the previous submission's run.

Only where ``enable()`` was called: each process of a ``LocalPool``, whose jobs all come from one
batch. A Dask worker starts each kernel with its job. The spare is used only by a job with the
same lesson, kernel and configuration as the job it was started after; otherwise it is shut down.
"""

import json
import multiprocessing.util
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_core.utils import run_sync
from traitlets.config import Config

from .. import sandbox

from .grading_execute import start_kernel

_enabled = False
_spare = None


@dataclass
class Spare:
    key: str
    folder: tempfile.TemporaryDirectory  # holds the working copy; removed with the spare
    workdir: Path
    km: object  # a started SandboxedKernelManager


def key(job, kernel_name):
    """What a kernel started for ``job``'s successor depends on."""
    return json.dumps([job.lesson, kernel_name, job.wall_limit, job.config], sort_keys=True, default=str)


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
    if spare.key == wanted and run_sync(spare.km.is_alive)():
        return spare
    _shut(spare)
    return None


def start_next(job, kernel_name):
    """Start the spare for the job after ``job`` (when enabled and none is waiting). Never
    raises: a kernel that cannot start here fails again, and is reported, when a job needs it."""
    global _spare
    if not _enabled or _spare is not None:
        return
    folder = tempfile.TemporaryDirectory(prefix=sandbox.leftovers.prefix("backprop-grade-"))
    workdir = Path(folder.name) / job.lesson
    try:
        workdir.mkdir()
        km = start_kernel(Config(job.config), workdir, job.wall_limit, kernel_name)
    except Exception:
        folder.cleanup()
        return
    _spare = Spare(key(job, kernel_name), folder, workdir, km)


def discard():
    """Shut the waiting spare down, if any."""
    global _spare
    spare, _spare = _spare, None
    if spare is not None:
        _shut(spare)


def _shut(spare):
    try:
        run_sync(spare.km.shutdown_kernel)(now=True)
    except Exception:  # already dead: its sandbox is closed by the cleanup all the same
        pass
    finally:
        spare.folder.cleanup()
