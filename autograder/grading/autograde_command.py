"""``backprop-course autograde``: the command line of the batch."""

import sys

from .. import nbgrader_course
from ..cli import DEFAULT_WORKERS
from .batch import autograde
from .job import DEFAULT_WALL_LIMIT
from .progress import summary_table


INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C (128 + SIGINT)


def cmd_autograde(args):
    try:
        rows, failed = autograde(args.course, args.lesson, workers=args.workers, student=args.student,
                                 dask=args.dask, force=args.force, wall_limit=args.timeout)
    except KeyboardInterrupt:
        print("autograde: interrupted; what was recorded is kept, rerun to grade the rest",
              file=sys.stderr)
        return INTERRUPTED
    print(summary_table(rows))
    if failed:
        print("autograde: the grader itself failed on some submissions (outcome 'grader error', "
              "no score recorded); rerun to grade them again", file=sys.stderr)
        return 1
    return 0


def add_autograde(subparsers):
    parser = nbgrader_course.add_lesson_command(
        subparsers, "autograde", cmd_autograde, help="grade submitted/<student>/LESSON in parallel",
        description="Autograde a lesson's submissions in parallel over students; resumable; one bad "
                    "submission never stops the batch; exits non-zero only when the grader fails.")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help=f"local worker processes (default {DEFAULT_WORKERS})")
    parser.add_argument("--student", help="only this student ID (glob patterns allowed)")
    parser.add_argument("--dask", metavar="ADDRESS", help="run the units on this Dask scheduler instead")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument("--timeout", type=float, default=DEFAULT_WALL_LIMIT,
                        help=f"wall-clock seconds per submission (default {DEFAULT_WALL_LIMIT:g})")
