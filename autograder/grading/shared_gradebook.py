"""One database engine for every gradebook a batch opens: nbgrader's ``Gradebook`` builds a new
SQLAlchemy engine each time it is opened (checking every table, then the course row) and throws
it away on close, and with it the engine's compiled queries. The driver opens a gradebook about
six times per submission (register it, sanitize, save the grades, the late penalty, the score),
each time compiling the same queries again: measured here, 0.1 s of the driver's 0.18 s per
submission, in the one process that prepares and records for every worker.

``SharedGradebook`` is nbgrader's Gradebook, except that inside ``one_engine(db_url)`` (a batch)
it opens on the batch's engine and leaves it open on close. Outside a batch it is nbgrader's
Gradebook exactly, so plain ``nbgrader autograde`` running these steps is unchanged. The engine
ends with the batch: a gradebook.db replaced between two batches is opened afresh.
"""

import contextlib
import os

from nbgrader.api import Gradebook
from sqlalchemy.orm import scoped_session, sessionmaker

_ENGINES = {}  # {db_url: engine} of the batches running in this process
_REMEMBERED = {}  # {db_url: {key: value}}: what a batch reads once (see ``remembered``)


def _forget_engines_in_child():
    """A forked worker never uses the driver's connections; SQLAlchemy's recipe for a fork: drop
    the pool without closing what the parent still uses."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)
    _ENGINES.clear()
    _REMEMBERED.clear()


os.register_at_fork(after_in_child=_forget_engines_in_child)


@contextlib.contextmanager
def one_engine(db_url):
    """Every SharedGradebook of ``db_url`` opened inside the block shares one engine."""
    if db_url in _ENGINES:  # nested (a batch inside a batch): the outer one owns it
        yield
        return
    first = Gradebook(db_url)  # nbgrader's: creates the tables of a new gradebook, as before
    first.db.remove()
    _ENGINES[db_url] = first.engine
    try:
        yield
    finally:
        _ENGINES.pop(db_url, None)
        _REMEMBERED.pop(db_url, None)
        first.engine.dispose()


def remembered(db_url, key, read):
    """``read()``, called once per batch of ``db_url`` for each ``key`` (e.g. the source notebook,
    the same for every submission of a batch); outside a batch, called each time."""
    if db_url not in _ENGINES:
        return read()
    kept = _REMEMBERED.setdefault(db_url, {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


class SharedGradebook(Gradebook):
    """nbgrader's Gradebook on the batch's engine, when ``one_engine`` is running for its URL."""

    def __init__(self, db_url, course_id="default_course", authenticator=None):
        engine = _ENGINES.get(db_url)
        self.shared = engine is not None
        if not self.shared:
            super().__init__(db_url, course_id, authenticator)
            return
        self.engine = engine
        self.db = scoped_session(sessionmaker(autoflush=True, bind=engine, future=True))
        # The course row, made by the first gradebook of the batch when missing, stays there.
        remembered(db_url, ("course row", course_id),
                   lambda: self.check_course(course_id=course_id) is not None)
        self.course_id = course_id
        self.authenticator = authenticator

    def close(self):
        if self.shared:
            self.db.remove()  # the session ends; the engine and its compiled queries stay
        else:
            super().close()
