"""The sandbox's isolation tiers a test runs on (every tier that works here, or the forced one),
small limits, and the fixtures of the sandbox tests."""

import pytest

from backprop_course.autograder import sandbox
from backprop_course.autograder.sandbox import Limits


FORCED = sandbox.forced_isolation()
TIERS = [FORCED] if FORCED else sandbox.working_tiers()
needs_posix = pytest.mark.skipif(not sandbox.available()["rlimits"], reason="POSIX only")


def small(tier, **changes):
    """Limits small enough to keep every test quick (2 shared cores)."""
    values = dict(cpu_seconds=5, memory_mb=1024, processes=32, file_mb=5, wall_seconds=8,
                  isolation=tier)
    values.update(changes)
    return Limits(**values)


@pytest.fixture(params=TIERS)
def tier(request):
    return request.param


@pytest.fixture
def work(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def forking_tier(work):
    """The tier whose kernels are forked from a zygote: bubblewrap run by root (where it is not,
    e.g. in ``make test-tiers``' forced runs, the exec'd kernels are what the other tests test)."""
    from backprop_course.autograder.sandbox import zygote

    if "bwrap" not in TIERS:
        pytest.skip("no bubblewrap tier here: kernels are exec'd")
    with sandbox.Sandbox(work, small("bwrap")) as box:
        if not zygote.usable(box):
            pytest.skip("bubblewrap without root: kernels are exec'd")
    return "bwrap"


def zygote_main_module():
    """A fresh copy of the zygote's program (``sandbox/zygote_main.py``, run as a script, not a
    module of the package), to test its functions here."""
    import importlib.util

    from backprop_course.autograder.sandbox import zygote

    spec = importlib.util.spec_from_file_location("zygote_main_under_test", zygote.MAIN)
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    return main


def graded_run(sources, work):
    """A notebook of these code cells run as grading runs it (``run_notebook``: sandboxed kernel,
    the default tier) in ``work``; the executed notebook, once the run is known to have graded."""
    import nbformat
    from traitlets.config import Config

    from backprop_course.autograder.grading.grading_execute import run_notebook

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nb, outcome, reason, _, _ = run_notebook(nb, work, Config(), wall_limit=60)
    assert outcome == "graded", reason
    return nb
