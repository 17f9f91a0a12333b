"""Results kept per distinct small text: the grader computes the same pure functions for every
submission of a class (compiling library files, scanning them, turning notebook cells into Python)
and most of those texts are the ones the students were handed, so each distinct text is worked on
once per process. A long text is never kept: a class of hostile submissions (each file may hold
5 MB) must not fill a worker's memory."""

import functools

SMALL = 64_000  # texts (str or bytes) up to this length have their results kept


def kept_when_small(maxsize):
    """Decorator: ``function(text, *rest)``'s results kept (an LRU of ``maxsize`` entries) for a
    ``text`` of at most SMALL characters or bytes; a longer one is worked on at each call."""
    def decorate(function):
        kept = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(text, *rest):
            return (kept if len(text) <= SMALL else function)(text, *rest)

        return call

    return decorate
