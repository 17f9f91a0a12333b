"""kept_when_small: a pure function's result is kept per distinct short text, and a long text is
worked on at each call (a class of 5 MB files must not fill a worker's memory)."""

from backprop_course.autograder.kept_results import SMALL, kept_when_small


def test_short_texts_are_worked_on_once_and_long_ones_each_time():
    calls = []

    @kept_when_small(maxsize=8)
    def length(text, name):
        calls.append(name)
        return len(text)

    short, long = b"x" * SMALL, b"x" * (SMALL + 1)
    assert [length(short, "a"), length(short, "a"), length(long, "b"), length(long, "b")] == \
           [SMALL, SMALL, SMALL + 1, SMALL + 1]
    assert calls == ["a", "b", "b"]
