"""Waiting in a test for something another process or thread does."""

import time


def within(seconds, condition, every=0.05):
    """Whether ``condition()`` holds within ``seconds`` (checked every ``every`` seconds)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True
