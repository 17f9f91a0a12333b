"""bench/autograde.py runs and prints its table (it had stopped running once, unnoticed: the sample
class's students became unhashable). Two submissions, one round; the times are not asserted, only
that every command graded every submission and each row is there."""

import re
import subprocess
import sys

import pytest

from helpers.checkout import ROOT

pytestmark = pytest.mark.slow


def test_the_autograde_bench_grades_every_submission_with_every_command():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "autograde.py"), "--submissions", "2",
                           "--repeats", "1"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {match[0].strip(): int(match[1]) for match in
            re.findall(r"^\| ((?:plain|backprop-course)[^|]*)\|[^|]*\|[^|]*\|[^|]*\|\s*(\d+)\s*\|", done.stdout, re.M)}
    assert rows == {"plain nbgrader autograde": 0, "backprop-course, 1 worker": 0,
                    "backprop-course, 2 workers": 0}, done.stdout
