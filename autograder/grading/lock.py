"""One autograde at a time per course: two runs over the same students destroyed an autograded
notebook while the gradebook kept its score (RECIPES 1)."""

import os
from pathlib import Path

from .. import course as course_module

LOCK_NAME = ".autograde.lock"


class CourseLock:
    """DIR/.autograde.lock holding the pid of the run; a lock whose process is gone is taken over."""

    def __init__(self, course_dir):
        self.path = Path(course_dir) / LOCK_NAME

    def __enter__(self):
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._holder()
                if pid and _alive(pid):
                    raise course_module.CourseError(
                        f"another autograde (pid {pid}) is running on this course: wait for it to "
                        f"finish (or, if that process is not an autograde, delete {self.path})") from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(f"{os.getpid()}\n")
            return self
        raise course_module.CourseError(f"could not take the lock {self.path}: delete it and retry")

    def _holder(self):
        try:
            return int(self.path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def __exit__(self, *exc):
        if self._holder() == os.getpid():
            self.path.unlink(missing_ok=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
