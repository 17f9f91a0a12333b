"""The program ends as soon as its command is done (``cli.leave``): other threads and every exit
handler finished, all output flushed, the exit code kept, and Python's teardown of every module
and object skipped (0.4 s a command)."""

import subprocess
import sys
import textwrap

from helpers.checkout import ROOT

PROGRAM = textwrap.dedent("""
    import atexit, sys, threading, time
    from backprop_course.autograder import cli

    class TornDown:
        def __del__(self):
            print("torn down", flush=True)

    kept = TornDown()
    atexit.register(lambda: print("exit handler ran"))
    threading.Thread(target=lambda: (time.sleep(0.5), print("thread finished"))).start()
    sys.argv = ["backprop-course", *sys.argv[1:]]
    sys.exit(cli.main())
""")


def run_program(*args):
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_the_program_ends_after_its_threads_and_exit_handlers_without_teardown():
    done = run_program("build", "--check")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "student files are up to date with solutions/" in lines
    assert lines.index("thread finished") < lines.index("exit handler ran")
    assert "torn down" not in lines


def test_a_refused_command_keeps_its_exit_code_and_its_line():
    done = run_program("autograde", "02_linear_layer", "--course", str(ROOT / "no-such-course"))
    assert done.returncode == 2
    assert done.stderr.startswith("backprop-course autograde: "), done.stderr
