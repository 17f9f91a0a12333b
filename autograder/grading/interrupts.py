"""Ctrl-C during a batch: it always ends the batch, and never in the middle of a record."""

import contextlib
import signal
import threading


class BatchInterrupts:
    """SIGINT while a batch runs (the driver's main thread, where Python delivers signals).

    Raised at once as KeyboardInterrupt, except inside ``deferred()``, which holds it to the end of
    the block: a result is recorded whole or not at all. Raising alone is not enough: Python drops
    an exception raised inside a finalizer (``__del__``, a weakref callback: "Exception ignored
    in ...") and a library's bare ``except:`` drops it too, and the batch would then run to the end
    and exit 0. So an interrupt is also remembered, and ``check()``, called after every wait and
    every record, raises it again.

    Nothing is installed outside the main thread (a batch run from a thread cannot receive SIGINT),
    nor where SIGINT is ignored (a shell without job control starts ``cmd &`` so): such a batch
    runs to the end on a Ctrl-C, records included.
    """

    def __init__(self):
        self.caught = False
        self._deferring = False

    def _on_sigint(self, signum, frame):
        self.caught = True
        if not self._deferring:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread() \
                or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            yield self
            return
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    @contextlib.contextmanager
    def deferred(self):
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        self.check()

    def check(self):
        if self.caught:
            raise KeyboardInterrupt
