"""`backprop-course check`: a long reason is shown whole, wrapped between words, its crash location on one line;
the misconceptions the checks named are shown, read as data; the local kernel prints no TCP warning; a judged
task is judged in the check process as the grader judges it, or said to be judged when handed in."""

import shutil
from pathlib import Path

import nbformat

from backprop_course.autograder import judge, student_check
from backprop_course.autograder.judge.reference import ReferenceMissing

ROOT = Path(__file__).resolve().parents[1]

CRASH = ("check failed: Lesson 2, task 1: your code raised ValueError: matmul: Input operand 1 has a mismatch "
         "in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) (size 3 is different from 2) "
         "(at layers.py, line 72)")


def test_a_long_reason_is_wrapped_between_words_whole_and_keeps_its_location_on_one_line():
    for width in (72, 100, 200):
        text = student_check.wrap("task1-check     2  " + CRASH, width, 19)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines), text
        assert " ".join(text.split()) == " ".join(f"task1-check 2 {CRASH}".split())  # nothing cut
        assert lines[-1].endswith("(at layers.py, line 72)") and "(at layers.py, line 72)" in lines[-1]
        assert all(line.startswith(" " * 19) for line in lines[1:])
    assert student_check.wrap("short reason", 100, 4) == "short reason"


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
    (_, _, mean_reason, mean_findings, mean_judged), (_, _, crash_reason, crash_findings, _) = results
    assert mean_judged == ""  # no task of the grader's judge: its kernel's verdict
    assert mean_findings == ["dL/db: dL/db equals the mean of grad_out over the batch: the bias is used by every "
                             "sample, so its gradient is the sum"]
    assert crash_reason.endswith("(at layers.py, line 6)") and crash_findings == []
    lines = text.splitlines()
    assert lines[0] == f"visible checks of {path.name} against {tmp_path / 'backprop_lib'}/"
    assert any(line.endswith("(at layers.py, line 6)") for line in lines)
    assert "with a label long enough to need shortening of the whole reason" in " ".join(text.split())
    assert "- dL/db: dL/db equals the mean of grad_out over the batch" in " ".join(text.split())
    assert "so its gradient is the sum" in " ".join(text.split())  # the sentence is wrapped, never cut
    assert "without encryption" not in capfd.readouterr().err


def test_long_test_names_stay_aligned_and_nothing_is_cut_at_any_width(tmp_path):
    results = [student_check.Result("task3-softmaxcrossentropyloss-gradients", 2, "", []),
               student_check.Result("task1-check", 1, "check failed: " + "NameError: name 'W' is not defined " * 5,
                                    ["dL/db: " + "x " * 80])]
    for columns in (80, 200):
        text = student_check.table(tmp_path / "04_losses.ipynb", str(tmp_path / "backprop_lib" / "__init__.py"),
                                   results, columns=columns)
        lines = text.splitlines()
        header, long_row, failed_row = lines[2], lines[3], lines[4]
        assert header.index("result") == long_row.index("passed") == failed_row.index("check failed")
        assert all(len(line) <= columns for line in lines[2:])  # the header holds a path
        words = " ".join(text.split())
        assert " ".join(results[1][2].split()) in words and " ".join(results[1][3][0].split()) in words
        assert "…" not in text


def test_a_syntax_error_in_the_library_is_printed_once_and_fails(tmp_path, capsys):
    (tmp_path / "backprop_lib").mkdir()
    (tmp_path / "backprop_lib" / "__init__.py").write_text("")
    (tmp_path / "backprop_lib" / "layers.py").write_text("import numpy as np\n\n\ndef forward(x)\n    return x\n")
    cell = nbformat.v4.new_code_cell("from backprop_lib.layers import forward")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "task1-check", "points": 2}
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), tmp_path / "02_linear_layer.ipynb")
    args = type("Args", (), {"lesson": "02_linear_layer", "notebook": str(tmp_path / "02_linear_layer.ipynb")})
    assert student_check.cmd_check(args) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "SyntaxError in backprop_lib/layers.py line 4: expected ':'"
    assert out.count("SyntaxError") == 1 and "NameError" not in out


def lesson_2_with(tmp_path, old, new):
    """A student folder: lesson 2's notebook as students get it and the reference library with
    ``old`` replaced by ``new`` in layers.py; returns the notebook's path."""
    shutil.copytree(ROOT / "solutions" / "backprop_lib", tmp_path / "backprop_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    layers = tmp_path / "backprop_lib" / "layers.py"
    assert old in layers.read_text()
    layers.write_text(layers.read_text().replace(old, new))
    shutil.copy(ROOT / "lessons" / "02_linear_layer.ipynb", tmp_path)
    return tmp_path / "02_linear_layer.ipynb"


def test_a_judged_task_is_judged_here_as_the_grader_judges_it(tmp_path, monkeypatch):
    """The bias as a mean: task 2's graded cases fail by the judge's verdict (which names db-mean once),
    tasks 1 and 3 pass by theirs; without a reference library the same run says "judged when you hand in"."""
    path = lesson_2_with(tmp_path, 'self.grads["b"] = grad_out.sum(axis=0)', 'self.grads["b"] = grad_out.mean(axis=0)')
    library, results = student_check.run_checks(path)
    by_id = {result.grade_id: result for result in results}
    assert {result.judged for result in results} == {"judged"}
    assert by_id["task2-check"].reason.startswith("check failed: Lesson 2, task 2 (graded): ")
    assert any(finding.startswith("dL/db") and "mean of grad_out" in finding
               for finding in by_id["task2-check"].findings), by_id["task2-check"].findings
    assert not by_id["task1-check"].reason and not by_id["task3-check"].reason
    text = student_check.table(path, library, results)
    blank = {result.grade_id for result in results if result.grade_id.endswith("-hand")}  # answers left blank
    assert blank and all(by_id[grade_id].reason for grade_id in blank)
    assert text.splitlines()[-1] == f"{len(results) - 1 - len(blank)}/{len(results)} passed - graded cases of " \
                                    f"{len(results)} test(s) judged as the grader judges them"

    def no_reference(label, outputs):
        raise ReferenceMissing("no reference here")

    monkeypatch.setattr(judge, "judge", no_reference)
    _, results = student_check.run_checks(path)
    assert {result.judged for result in results} == {"hand-in"}
    assert student_check.table(path, library, results).splitlines()[-1].endswith(
        f"graded cases of {len(results)} test(s) judged when you hand in")
