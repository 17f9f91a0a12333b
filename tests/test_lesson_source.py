"""Lesson text sources (jupytext percent format) -> nbgrader source notebooks."""

import numpy as np
import pytest

from backprop_course.autograder import lesson_source
from backprop_course.autograder.lesson_source import LessonSourceError, literal, read_lesson
from helpers.checkout import SOLUTIONS

LESSON = '''\
# %% [markdown] id="title"
# # A lesson
#
# | Lesson 9, task 1 | {{ points["task1-check"] }} |
# | **total** | **{{ total_points }}** |

# %% role="build"
from backprop_lib.layers import Linear
layer = Linear(3, 2, rng=0)
out = layer.forward(np.ones((2, 3)))
import backprop_lib
library_file = backprop_lib.__file__

# %% id="setup"
# %load_ext autoreload
import numpy as np

# %% id="task1-check" role="tests" points=2
got = {{ out }}
### BEGIN HIDDEN TESTS
assert {{ out.sum() }} < 10
### END HIDDEN TESTS

# %% id="fill-in" role="solution"
def f():
    ### BEGIN SOLUTION
    return 1
    ### END SOLUTION

# %% [markdown] id="why" role="answer" points=1
# ### BEGIN SOLUTION
# Because.
# ### END SOLUTION

# %% id="plot" tags=["raises-exception"]
print({{ repr(library_file) }})
'''


def lesson(tmp_path, text=LESSON):
    path = tmp_path / "09_demo.py"
    path.write_text(text)
    return path


def test_roles_become_nbgrader_metadata(tmp_path):
    nb = read_lesson(lesson(tmp_path), SOLUTIONS)
    cells = {cell.id: cell for cell in nb.cells}
    assert list(cells) == ["title", "setup", "task1-check", "fill-in", "why", "plot"]
    meta = {key: cell.metadata["nbgrader"] for key, cell in cells.items()}
    assert meta["title"]["locked"] and not meta["title"]["grade"]
    assert meta["task1-check"] == {"grade": True, "grade_id": "task1-check", "locked": True, "points": 2,
                                   "schema_version": 3, "solution": False, "task": False}
    assert cells["task1-check"].metadata["tags"] == ["raises-exception"]
    assert meta["fill-in"]["solution"] and not meta["fill-in"]["locked"] and not meta["fill-in"]["grade"]
    assert meta["why"] == {"grade": True, "grade_id": "why", "locked": False, "points": 1,
                           "schema_version": 3, "solution": True, "task": False}
    assert cells["why"].cell_type == "markdown"
    assert cells["plot"].metadata["tags"] == ["raises-exception"]
    assert cells["setup"].source.startswith("%load_ext autoreload")  # jupytext's commented magic
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["language_info"]["name"] == "python"


def test_build_cells_compute_with_the_reference_and_leave_no_trace(tmp_path):
    import sys

    before = {name: module for name, module in sys.modules.items() if name.startswith("backprop_lib")}
    nb = read_lesson(lesson(tmp_path), SOLUTIONS)
    text = "\n".join(cell.source for cell in nb.cells)
    assert "Linear(3, 2, rng=0)" not in text  # the build cell is not in the notebook
    assert "| Lesson 9, task 1 | 2 |" in text and "**total** | **3**" in text
    plot = next(cell for cell in nb.cells if cell.id == "plot")
    assert repr(str(SOLUTIONS / "backprop_lib" / "__init__.py")) in plot.source
    assert {name: module for name, module in sys.modules.items() if name.startswith("backprop_lib")} == before
    check = next(cell for cell in nb.cells if cell.id == "task1-check")
    got = eval(check.source.splitlines()[0].split("=", 1)[1], {"np": np})
    with lesson_source.reference_library(SOLUTIONS):
        from backprop_lib.layers import Linear

        expected = Linear(3, 2, rng=0).forward(np.ones((2, 3)))
    np.testing.assert_allclose(got, expected, rtol=1e-11)


def test_literals_do_not_depend_on_the_last_bit():
    values = np.random.default_rng(0).standard_normal(2000) * 10.0 ** np.random.default_rng(1).integers(-8, 8, 2000)
    moved = [literal(np.nextafter(value, np.inf)) == literal(value) == literal(np.nextafter(value, -np.inf))
             for value in values]
    assert sum(moved) == len(values)
    assert literal(np.float64(0.1)) == "0.1" and literal(3) == "3" and literal("a | b") == "a | b"
    assert literal(np.array([1.0, 2.5], dtype=np.float32)) == "np.array([1.0, 2.5], dtype=np.float32)"
    for value in values[:50]:
        assert abs(eval(literal(value)) - value) <= 1e-11 * abs(value)


@pytest.mark.parametrize("text, message", [
    ("# %% id=\"a\"\nx = 1\n# %% id=\"a\"\ny = 2\n", "3: every cell needs its own id=\"...\" (repeated)"),
    ("# %% id=\"a\"\nx = 1\n\n# %%\ny = 2\n", "4: every cell needs its own id=\"...\" (missing)"),
    ("# %% id=\"a\" role=\"test\"\nx = 1\n", "1: unknown role 'test'"),
    ("# %% id=\"a\" point=2\nx = 1\n", "1: unknown header keys ['point']"),
    ("# %% role=\"build\"\nraise ValueError('no')\n", "1: the build cell raised ValueError: no"),
    ("# %% id=\"a\"\nx = {{ nothing }}\n", "1: {{ nothing }} cannot be computed: NameError"),
    ("x = 1\n# %% id=\"a\"\ny = 2\n", "1: text before the first '# %%' cell header"),
])
def test_bad_sources_fail_with_file_and_line(tmp_path, text, message):
    path = lesson(tmp_path, text)
    with pytest.raises(LessonSourceError) as err:
        read_lesson(path, SOLUTIONS)
    assert str(err.value).startswith(f"{path}:") and message in str(err.value)
    assert "\n" not in str(err.value)
