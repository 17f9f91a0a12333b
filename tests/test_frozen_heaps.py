"""The objects a grading process inherits or imports once are frozen (``gc.freeze``): no later
cycle collection walks them again, nor writes to their pages in a forked copy. The command's
imports (``cli.subcommands``), a pool worker's inherited heap (``LocalPool``) and a forked
kernel's inherited heap (``zygote_main``) each are; the collector itself stays on."""

import json
import subprocess
import sys
import textwrap

from backprop_course.autograder.grading import pools, worker
from helpers.checkout import ROOT
from helpers.sandbox_tiers import forking_tier, needs_posix, work  # noqa: F401  (fixtures)
from helpers.sandbox_tiers import graded_run

COLLECTOR = "import gc, json; print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"


def run_python(program):
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_commands_imports_are_frozen_and_the_collector_is_on_again():
    enabled, frozen = run_python(f"""
        from backprop_course.autograder import cli
        cli.subcommands()
        {COLLECTOR}
    """)
    assert enabled and frozen > 100_000  # nbgrader, SQLAlchemy, nbconvert and numpy's objects


def test_a_process_that_imported_the_grader_before_is_left_as_it_was():
    enabled, frozen = run_python(f"""
        import gc
        from backprop_course.autograder import grading
        gc.disable()  # a caller's choice, kept
        from backprop_course.autograder import cli
        cli.subcommands()
        {COLLECTOR}
    """)
    assert (enabled, frozen) == (False, 0)


def collector_state(job):
    """What a pool worker reports instead of grading (``worker.grade_submission`` replaced)."""
    import gc

    return [gc.isenabled(), gc.get_freeze_count()]


@needs_posix
def test_a_pool_workers_inherited_heap_is_frozen(monkeypatch):
    monkeypatch.setattr(worker, "grade_submission", collector_state)
    pool = pools.LocalPool(1)
    try:
        enabled, frozen = pool.submit(None).result(timeout=120)
    finally:
        pool.close()
    assert enabled and frozen > 10_000


@needs_posix
def test_a_forked_kernel_starts_with_the_zygotes_heap_frozen(forking_tier, work):
    nb = graded_run([COLLECTOR], work)
    enabled, frozen = json.loads(nb.cells[0].outputs[0]["text"])
    assert enabled and frozen > 10_000  # ipykernel, IPython, numpy and the machinery (an exec'd kernel: 0)
