"""One autograde at a time per course: two runs over the same students destroyed an autograded
notebook while the gradebook kept its score (RECIPES 1).

An OS lock on DIR/.autograde.lock, held on the open file for the whole run: the kernel releases
it when the process ends however it ends, so there is no stale lock to detect and no window
between creating the file and writing into it (RECIPES 6: "create, then write the pid" let 4 of 40
simultaneous starts overlap). A POSIX record lock (``fcntl.lockf``), not ``flock``: an flock is
shared with forked children, so the pool's workers of a killed run, still winding down, would
keep the course locked; a record lock belongs to the process that took it. The pid written into
the file only names the holder in the refusal.
"""

import fcntl
import os
from pathlib import Path

from .. import nbgrader_course

LOCK_NAME = ".autograde.lock"


class CourseLock:
    """DIR/.autograde.lock, locked for the run; a second run is refused naming the holder's pid."""

    def __init__(self, course_dir):
        self.path = Path(course_dir) / LOCK_NAME
        self.handle = None

    def __enter__(self):
        # The file is never deleted: deleting it would let a later run lock a new file while a
        # waiting one still holds the old one.
        handle = open(self.path, "a+")
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # EACCES or EAGAIN: held by another process
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise nbgrader_course.CourseError(
                f"another autograde (pid {holder}) is running on this course: wait for it to "
                "finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.truncate(0)  # before unlocking: no later reader sees this pid
            fcntl.lockf(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
