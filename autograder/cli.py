"""The ``backprop-course`` command (also ``python -m backprop_course.autograder``).

Each subcommand lives in its own module and registers itself through ``subcommands()``; errors the
user can fix are printed as one line, never as a traceback.
"""

import argparse
import atexit
import gc
import os
import sys
import threading
from importlib.metadata import version

from backprop_course import content

DEFAULT_WORKERS = 2  # ``autograde --workers``


def cmd_build(args):
    from . import build

    if not args.check and not content.in_checkout():
        print("backprop-course build: the installed course content is read-only: run it in a clone of "
              "the repository (`build --check` works anywhere)", file=sys.stderr)
        return 2
    stale = build.build(check=args.check)
    root = build.content_base()
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(root)}")
    if args.check and stale:
        print("student files are out of date with solutions/: run `backprop-course build`",
              file=sys.stderr)
        return 1
    if not stale:
        print("student files are up to date with solutions/")
    return 0


def add_build(subparsers):
    parser = subparsers.add_parser(
        "build", help="write backprop_lib/ and lessons/ from solutions/",
        description="Generate the student library skeleton and the student notebooks from solutions/.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when any student file is stale")
    parser.set_defaults(run=cmd_build)


def subcommands():
    """(the functions adding each subcommand to the parser, the errors a user can fix).

    Imported here, on the first call, with Python's cycle collector paused, then frozen: the
    imports (nbgrader, SQLAlchemy, nbconvert, numpy) make some 200,000 objects that live as long
    as the process, and collecting the growing heap again and again while they are made cost a
    sixth of the command's start (0.15 s of about 0.9 s, measured); frozen, no later collection
    walks them again (nor copies their pages in the processes a command forks)."""
    fresh = gc.isenabled() and __package__ + ".grading" not in sys.modules
    if fresh:
        gc.disable()
    try:
        from . import build, lesson_source, nbgrader_course
        from .demo import add_demo
        from .grading import add_autograde
        from .lecture_kit import add_lecture
        from .report import add_feedback, add_report
        from .student_check import add_check
        from .student_kit import add_student_kit
        from .submit import add_submit
    finally:
        if fresh:
            gc.freeze()
            gc.enable()
    return ([add_build, nbgrader_course.add_course, nbgrader_course.add_release, add_autograde, add_feedback,
             add_report, add_check, add_submit, add_student_kit, add_lecture, add_demo],
            (build.BuildError, nbgrader_course.CourseError, lesson_source.LessonSourceError,
             FileNotFoundError, ValueError))


def start_sandbox_early(argv):
    """For ``autograde`` (not on Dask): before ``subcommands()`` imports the grader, start the
    kernels' zygote, so that its own imports (~0.5 s) run on the core those imports leave idle
    (``zygote.start_early``; the batch keeps it or ends it), and the sandbox probes, which mostly
    wait (``machine.probe_in_background``). Returns whether a zygote may run now."""
    if not argv or argv[0] != "autograde" or any(arg in ("-h", "--help") or arg.startswith("--dask")
                                                 for arg in argv):
        return False
    workers = DEFAULT_WORKERS
    for index, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--workers=") else \
            argv[index + 1] if arg == "--workers" and index + 1 < len(argv) else None
        if value is not None:
            try:
                workers = int(value)
            except ValueError:  # the command's own parser says so
                return False
    from .sandbox import box, machine, zygote

    zygote.start_early(max(1, workers), box.shared_env())
    machine.probe_in_background()
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="backprop-course", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('backprop-course')}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    early = start_sandbox_early(sys.argv[1:] if argv is None else list(argv))
    commands, user_errors = subcommands()
    for add in commands:
        add(subparsers)
    try:
        args = parser.parse_args(argv)
        code = args.run(args)
    except user_errors as err:
        print(f"backprop-course {args.command}: {err}", file=sys.stderr)
        code = 2
    finally:
        if early:  # the batch ended it, or it never ran (an error before it, a bad argument)
            from .sandbox import zygote

            zygote.stop_prestarted()
    if argv is None:  # the program itself (console script, python -m), not a caller's function call
        leave(code)
    return code


def leave(code):
    """End the program with ``code`` once its work is done as a normal exit would: other threads
    joined, every exit handler run (logging flushed, temporary folders removed), output flushed.
    What is skipped is Python's teardown of every module and object, about 0.4 s for a process
    that loaded nbgrader, SQLAlchemy and numpy, paid after the command's last line."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
