"""The line a graded test cell ends with while it is graded (integrity.canaries.CANARY_LINE)
reaches stdout in one write, newline included: ipykernel sends what was written so far whenever
its flush timer fires (or any thread flushes), so the separate writes of a plain print could
arrive as separate outputs, leaving a lone newline in the feedback or the names the guard found
replaced apart from the canary that carries them."""

import contextlib

from backprop_course.autograder.integrity.canaries import CANARY, CANARY_LINE, GUARD


class Recorder:
    """A stdout that keeps each write."""

    def __init__(self):
        self.writes = []

    def write(self, text):
        self.writes.append(text)
        return len(text)

    def flush(self):
        pass


def test_the_canary_line_is_one_write_with_its_newline():
    stdout = Recorder()
    namespace = {GUARD.format(token="t0"): lambda: ["numpy.max", "builtins.print"]}
    with contextlib.redirect_stdout(stdout):
        exec(CANARY_LINE.format(token="t0", grade_id="task1-check"), namespace)
    assert [text for text in stdout.writes if text] == [
        CANARY.format(token="t0", grade_id="task1-check") + " numpy.max builtins.print\n"]


def test_a_clean_canary_is_one_line():
    stdout = Recorder()
    with contextlib.redirect_stdout(stdout):
        exec(CANARY_LINE.format(token="t1", grade_id="g"), {GUARD.format(token="t1"): list})
    assert "".join(stdout.writes) == CANARY.format(token="t1", grade_id="g") + "\n"
