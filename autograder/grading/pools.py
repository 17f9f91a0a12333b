"""Where the units run: ``LocalPool`` (forked processes) or ``DaskPool`` (a Dask cluster). Both
take ``submit(job)`` and return futures of ``worker.grade_submission(job)``."""

import gc
import multiprocessing
import os
import signal
import socket
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .. import nbgrader_course
from .. import integrity, sandbox
from ..sandbox import zygote
from . import spare, worker


def _grade(job):
    # Looked up at call time, so a replaced worker.grade_submission (tests) reaches forked workers.
    return worker.grade_submission(job)


def _start_worker(first_kernel=None):
    """A worker leaves Ctrl-C to the driver (a terminal sends it to every process of the group),
    and ends on the driver's SIGTERM through SystemExit, so its temporary folder and its kernels
    are cleaned up on the way out. A killed grader takes its workers along (they take their
    kernels: Sandbox.preexec). With ``first_kernel`` (``Course.first_kernel``), the kernel of its
    first job starts now, before that job comes."""
    sandbox.leftovers.die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    spare.enable()
    zygote.adopt()
    # What it inherited lives as long as it does: no cycle collection walks it again (in the
    # worker, the first full one took 0.15 s and wrote to most of the pages it shares with the
    # driver). Freezing moves the collector's lists only; nothing is copied.
    gc.freeze()
    if first_kernel is not None:
        spare.start_next(*first_kernel)


def _stop(signum, frame):
    # What an ended worker's half-run notebook prints on the way out (asyncio's "Task exception
    # was never retrieved") is noise after the driver's one line: it goes nowhere.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    sys.exit(128 + signum)


class LocalPool:
    """A process pool of ``workers``, forked: each starts with everything the driver imported
    (nbgrader, nbclient, the sandbox) and pays no import per submission, and starts each next
    submission's kernel while it grades the current one (``spare``). With ``kernel_limits`` (the
    Limits of the kernels to come) under which kernels are forked, the zygote of each worker
    starts now (``zygote.prestart``), as the driver prepares the first jobs. With
    ``first_kernel`` (``Course.first_kernel``), the workers fork now and each starts the kernel
    of its first job then, instead of when that job comes."""

    def __init__(self, workers, kernel_limits=None, first_kernel=None):
        integrity.warm_up()
        if kernel_limits is not None and zygote.would_fork(kernel_limits):
            zygote.prestart(workers, sandbox.box.shared_env())
        else:  # one the command started early (``zygote.start_early``) for nothing
            zygote.stop_prestarted()
        self.executor = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                            initargs=(first_kernel,),
                                            mp_context=multiprocessing.get_context("fork"))
        if first_kernel is not None:
            # Forked workers inherit what the sandbox probes found, instead of each probing again.
            sandbox.available()
            # A fork pool forks all its workers at its first job: this one does nothing.
            self.executor.submit(int)

    def submit(self, job):
        return self.executor.submit(_grade, job)

    @staticmethod
    def wait_first(futures):
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return done

    def abort(self):
        """Stop at once (Ctrl-C): the waiting jobs are dropped and the running ones ended."""
        workers = list((self.executor._processes or {}).values())
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        zygote.stop_prestarted()

    def close(self):
        self.executor.shutdown(wait=True, cancel_futures=True)
        zygote.stop_prestarted()


class DaskPool:
    """The same units on a Dask distributed cluster; results come back to this process."""

    CONNECT_SECONDS = 5  # to see whether anything listens; a scheduler then has 30 s to answer

    def __init__(self, address):
        from dask.distributed import Client  # dask is a dev extra: only --dask needs it

        try:
            self.client = Client(address, timeout=30)
        except (OSError, TimeoutError, ValueError) as err:  # e.g. something else listens there
            raise self.unreachable(address, err) from None

    @classmethod
    def check_address(cls, address):
        """Raise CourseError at once when nothing listens at a tcp address (a refused connection
        fails immediately, where a Client retries until its timeout and ends in a traceback)."""
        from distributed.comm.addressing import parse_address, parse_host_port

        try:
            scheme, location = parse_address(address)
            if scheme == "tcp":
                socket.create_connection(parse_host_port(location), timeout=cls.CONNECT_SECONDS).close()
        except (OSError, ValueError) as err:  # nothing listening, a malformed address
            raise cls.unreachable(address, err) from None

    @staticmethod
    def unreachable(address, err):
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        return nbgrader_course.CourseError(f"no Dask scheduler answers at {address} ({why}): start a "
                                         "scheduler with `dask scheduler` or drop --dask")

    def submit(self, job):
        return self.client.submit(worker.grade_submission, job, pure=False,
                                  key=f"grade-{job.lesson}-{job.student}-{time.time_ns()}")

    @staticmethod
    def wait_first(futures):
        from dask.distributed import wait as dask_wait

        return dask_wait(futures, return_when="FIRST_COMPLETED").done

    def abort(self):
        """Stop at once (Ctrl-C): the cluster drops this client's jobs when it disconnects."""
        self.close()

    def close(self):
        self.client.close()
