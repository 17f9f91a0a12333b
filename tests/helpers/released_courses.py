"""Courses from `backprop-course course init` with their lessons released by `backprop-course
release`, made once per test session and copied for each test module that needs one: a release
takes seconds (nbgrader makes the gradebook by running alembic, the release check runs the lesson
twice), a copy milliseconds. A copied course is a course of its own: its config names no absolute
path, so it grades into its own gradebook (tests/test_course.py checks that)."""

import shutil
from pathlib import Path

from backprop_course.autograder.cli import main


class ReleasedCourses:
    """Released courses kept in ``folder``, one per tuple of lessons."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.made = {}

    def copy(self, lessons, destination):
        """A course of ``lessons``, each released, at ``destination`` (a new folder named "course",
        like the kept one, so that the course id nbgrader's exchange uses is the same); returns it."""
        destination = Path(destination)
        assert destination.name == "course", f"{destination}: name the copy 'course', as its course id says"
        key = tuple(lessons)
        if key not in self.made:
            course = self.folder / "-".join(key) / "course"
            assert main(["course", "init", str(course), *(arg for lesson in key for arg in ("--lesson", lesson))]) == 0
            for lesson in key:
                assert main(["release", lesson, "--course", str(course)]) == 0
            self.made[key] = course
        shutil.copytree(self.made[key], destination, symlinks=True)
        return destination
