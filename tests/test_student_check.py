"""`backprop-course check`: a long reason is cut in its middle, never at the crash's location;
the misconceptions the checks named are shown; the local kernel prints no TCP warning."""

import nbformat

from backprop_course.autograder import student_check

CRASH = ("check failed: Lesson 2, task 1: your code raised ValueError: matmul: Input operand 1 has a mismatch "
         "in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) (size 3 is different from 2) "
         "(at layers.py, line 72)")


def test_a_long_reason_keeps_its_location_and_is_cut_between_words():
    short = student_check.shorten(CRASH)
    assert len(short) <= student_check.WIDTH
    assert short.endswith("… (at layers.py, line 72)")
    head = short[:-len("… (at layers.py, line 72)")]
    assert CRASH.startswith(head) and CRASH[len(head)] == " "
    course = ("check failed: Lesson 5, task 2: the check itself stopped with TypeError: unsupported operand "
              "(in the course's network.py, line 40; your code's last line on the way: mlp.py, line 88)")
    assert student_check.shorten(course).endswith("(in the course's network.py, line 40; your code's "
                                                  "last line on the way: mlp.py, line 88)")
    assert student_check.shorten("short reason") == "short reason"


LAYERS = '''"""A student's library with a shape error on line 6."""
import numpy as np


def forward(x, W):
    return np.matmul(x, W)
'''

CHECKS = '''from backprop_course.checks import task
import numpy as np
from backprop_lib import layers
grad_out = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]])
with task("Lesson 2, task 2") as check:
    check.close("dL/db", grad_out.mean(axis=0), grad_out.sum(axis=0), bar=1e-12, inputs={"grad_out": grad_out})
'''

CRASHING = '''from backprop_course.checks import task
import numpy as np
from backprop_lib import layers
with task("Lesson 2, task 1 with a label long enough to need shortening of the whole reason") as check:
    check.close("out", layers.forward(np.ones((2, 3)), np.ones((2, 2))), np.ones((2, 2)))
'''


def test_check_shows_misconceptions_keeps_locations_and_prints_no_tcp_warning(tmp_path, capfd):
    (tmp_path / "backprop_lib").mkdir()
    (tmp_path / "backprop_lib" / "__init__.py").write_text("")
    (tmp_path / "backprop_lib" / "layers.py").write_text(LAYERS)
    cells = []
    for grade_id, source in (("task2-check", CHECKS), ("task1-check", CRASHING)):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 2}
        cells.append(cell)
    path = tmp_path / "02_linear_layer.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)

    library, results = student_check.run_checks(path)
    text = student_check.table(path, library, results)
    (_, _, mean_reason, mean_findings), (_, _, crash_reason, crash_findings) = results
    assert mean_findings == ["dL/db: dL/db equals the mean of grad_out over the batch: the bias is used by every "
                             "sample, so its gradient is the sum"]
    assert crash_reason.endswith("(at layers.py, line 6)") and crash_findings == []
    lines = text.splitlines()
    assert lines[0] == f"visible checks of {path.name} against {tmp_path / 'backprop_lib' / '__init__.py'}"
    assert any(line.startswith("task1-check") and line.endswith("(at layers.py, line 6)") for line in lines)
    assert "- dL/db: dL/db equals the mean of grad_out over the batch" in text
    assert "the sum" in text  # the sentence is wrapped, never cut
    assert "without encryption" not in capfd.readouterr().err
