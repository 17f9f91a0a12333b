"""Where the time of `backprop-course autograde` goes, per submission, in one process: the
driver's prepare (read, sanitize, gradebook), the worker (integrity scan, kernel start, the
notebook's cells, the steps after execution, the judge among them) and the driver's record.

    .venv/bin/python bench/autograde_profile.py [--submissions 8] [--lesson 02_linear_layer] [--top 25]

The same functions the command runs (``Course.prepare``, ``worker.grade_submission``,
``Course.record``), called in order for each submission of a course built as bench/autograde.py
builds it inside one gradebook engine as a batch runs them (``shared_gradebook.one_engine``), with
the steps after execution timed one by one and the grader's CPU profiled with cProfile (a
process-time clock: waiting for the kernel is left out, the kernel's CPU is in its own rows).
Prints seconds per submission, medians; the first submission (imports, first kernel) is left out
of the medians.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from autograde import ONE_THREAD, build_course  # noqa: E402


def timed_steps(worker):
    """Wrap each step after execution so that its seconds are kept: {step name: [seconds]}."""
    times = {}

    def wrap(step):
        class Timed(step):
            def preprocess(self, nb, resources):
                begin = time.perf_counter()
                try:
                    return super().preprocess(nb, resources)
                finally:
                    times.setdefault(step.__name__, []).append(time.perf_counter() - begin)

        Timed.__name__ = step.__name__
        return Timed

    worker.AFTER_EXECUTION = tuple(wrap(step) for step in worker.AFTER_EXECUTION)
    return times


def grade_each(course, profile, phases, cpu, worker, wall_limit):
    """Prepare, grade and record every submission in turn, the first one outside the profile."""
    for index, name in enumerate(course.students()):
        if index == 1:
            profile.enable()
        begin = time.perf_counter()
        job = course.prepare(name, wall_limit)
        prepared = time.perf_counter()
        result = worker.grade_submission(job)
        graded = time.perf_counter()
        course.record(result)
        recorded = time.perf_counter()
        if index:
            phases["prepare"].append(prepared - begin)
            phases["grade"].append(graded - prepared)
            phases["record"].append(recorded - graded)
            if result.cpu:
                cpu.append(result.cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--lesson", default="02_linear_layer")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    os.environ.update(ONE_THREAD)
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

    from backprop_course.autograder.grading import Course, DEFAULT_WALL_LIMIT, spare, worker
    from backprop_course.autograder.grading.shared_gradebook import one_engine

    steps = timed_steps(worker)
    spare.enable()
    phases = {"prepare": [], "grade": [], "record": []}
    cpu = []
    profile = cProfile.Profile(time.process_time)  # the grader's CPU: waiting for the kernel is not in it
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        folder = Path(tmp) / "course"
        build_course(folder, args.lesson, args.submissions)
        course = Course(folder, args.lesson)
        with one_engine(course.db_url):  # as a batch runs: one gradebook engine for all
            grade_each(course, profile, phases, cpu, worker, DEFAULT_WALL_LIMIT)
        profile.disable()
        spare.discard()

    print(f"\n{args.submissions - 1} submissions of {args.lesson} (the first left out), load average "
          f"{', '.join(f'{value:.1f}' for value in os.getloadavg())}, {os.cpu_count()} cores\n")
    print("| phase | median s / submission |\n|---|---|")
    for phase, values in phases.items():
        print(f"| {phase} | {statistics.median(values):.3f} |")
    for phase in ("kernel start", "imports", "tests"):
        values = [reading[phase] for reading in cpu if phase in reading]
        if values:
            print(f"| kernel CPU: {phase} | {statistics.median(values):.3f} |")
    for step, values in steps.items():
        print(f"| after execution: {step} | {statistics.median(values[1:] or values):.4f} |")
    print()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
