"""Another process holding a course's lock."""

import contextlib
import subprocess
import sys


@contextlib.contextmanager
def held_lock(course_dir):
    """Another process holding the course lock; yields it (killed at the end: no clean-up runs)."""
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from backprop_course.autograder.grading import CourseLock\n"
                               "with CourseLock(sys.argv[1]):\n    print('held', flush=True)\n"
                               "    time.sleep(600)", str(course_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()
