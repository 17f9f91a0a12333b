"""Lessons 4-6: typical student bugs cost exactly their own task, and earlier bugs are not charged again.

Each case plants a bug in a copy of the reference library, runs the source notebook's graded
cells (visible checks and hidden tests, as nbgrader's autograde runs them) and compares the set of
failing cells with the cells of the task the bug belongs to. The generic checks (notebooks run,
validate, skeleton reports, no leaks, reproducible build) are in test_lessons.py.
"""

import pytest

from autograder.build import strip_solutions
from test_lessons import NAMES, errors_by_cell, execute, folder_with, graded_cells, source

pytestmark = pytest.mark.slow

STUBBED = "stubbed"  # instead of (line, bug) pairs: the whole module back to its student stubs

# (id, lesson, {module: [(reference line, buggy line)] or STUBBED}, graded cells that must fail,
#  (cell, text its output must contain) or None, ungraded cells to run as well)
CASES = [
    ("loss-not-averaged", "04_losses",
     {"losses.py": [("return float(np.mean(diff * diff))", "return float(np.sum(diff * diff))"),
                    ("return (2.0 / diff.size) * diff", "return 2.0 * diff")]},
     {"l4-t1-mseloss-values", "l4-t1-mseloss-gradients", "l4-t1-mseloss-edge"},
     ("l4-t1-mseloss-values", "WRONG  loss of the example"), ()),
    ("softmax-without-max-shift", "04_losses",
     {"losses.py": [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")]},
     {"l4-t3-log-softmax-huge", "l4-t3-softmaxcrossentropyloss-edge"},
     ("l4-t3-log-softmax-huge", "overflow encountered in exp"), ()),
    ("lesson-3-sigmoid-overflows", "04_losses",
     {"layers.py": [("return np.where(x >= 0, 1, e) / (1 + e)", "return 1 / (1 + np.exp(-x))")]},
     set(), None, ()),
    ("forward-not-chained", "05_mlp",
     {"mlp.py": [("x = layer.forward(x)\n        return x", "out = layer.forward(x)\n        return out")]},
     {"l5-t1-forward"},
     ("l5-t1-forward", "the input of sine 1 is wrong"), ()),
    ("backward-not-reversed", "05_mlp",
     {"mlp.py": [("for layer in reversed(self.layers[1:]):", "for layer in self.layers[1:]:")]},
     {"l5-t2-backward", "l5-t2-gradcheck", "l5-t2-input-grad"},
     ("l5-t2-backward", "the gradient into layer 3 is wrong"), ()),
    ("lesson-2-bias-gradient", "05_mlp",
     {"layers.py": [('self.grads["b"] = grad_out.sum(axis=0)', 'self.grads["b"] = grad_out.mean(axis=0)')]},
     {"l5-whole-check"},
     ("l5-whole-check", "dL/db of layer 3 is wrong"), ("l5-whole-expected", "l5-whole-check")),
    ("lessons-2-4-not-done", "05_mlp", {"layers.py": STUBBED, "losses.py": STUBBED}, set(), None, ()),
    ("sgd-updates-a-copy", "06_gradient_descent",
     {"optim.py": [("param -= self.lr * grad", "param = param - self.lr * grad")]},
     {"l6-t1-sgd"}, ("l6-t1-sgd", "update it in place"), ()),
    ("lessons-2-5-not-done", "06_gradient_descent",
     {"layers.py": STUBBED, "losses.py": STUBBED, "mlp.py": STUBBED}, set(), None, ()),
]


def plant(folder, bugs):
    """Apply {module: [(line, bug)] or STUBBED} to the library copy in ``folder``."""
    for module, changes in bugs.items():
        path = folder / "backprop_lib" / module
        text = path.read_text()
        if changes == STUBBED:
            text = strip_solutions(text, path)
        else:
            for line, bug in changes:
                assert text.count(line) == 1, f"the reference {module} no longer has {line!r}: update this test"
                text = text.replace(line, bug)
        path.write_text(text)


def graded_run(lesson, keep):
    """The source notebook without its demos: demo cells (ungraded, tagged raises-exception) are
    dropped unless listed in ``keep``; setup cells, solution cells and graded cells stay."""
    nb = source(lesson)
    nb.cells = [cell for cell in nb.cells
                if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade")
                or "raises-exception" not in cell.metadata.get("tags", []) or cell.id in keep]
    return nb


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_student_bug_costs_exactly_its_own_task(case, tmp_path):
    _, lesson, bugs, must_fail, diagnosis, keep = case
    if lesson not in NAMES:
        pytest.skip(f"{lesson} not authored")
    folder = folder_with(tmp_path, "reference")
    plant(folder, bugs)
    nb = graded_run(lesson, keep)
    graded = {cell.id: cell.metadata["nbgrader"]["points"] for cell in graded_cells(nb)}
    assert must_fail <= set(graded) | set(keep), f"unknown cells in {must_fail}: update this test"
    execute(nb, folder, allow_errors=True)
    failed = errors_by_cell(nb)
    assert set(failed) == must_fail, (
        f"{case[0]}: expected exactly {sorted(must_fail)} to fail, got {sorted(failed)}:\n"
        + "\n".join(f"{cell}: {ename}: {evalue}" for cell, (ename, evalue, _) in failed.items()))
    lost = sum(graded.get(cell, 0) for cell in failed)
    print(f"{case[0]}: loses {lost} of {sum(graded.values())} points ({sorted(failed)})")
    if diagnosis:
        cell, text = diagnosis
        assert text in failed[cell][2], f"no {text!r} in the output of {cell}:\n{failed[cell][2]}"


def test_the_lesson_2_bug_is_diagnosed_at_its_layer(tmp_path):
    """The whole-network check names the parameter and confirms that what flowed into it was right."""
    if "05_mlp" not in NAMES:
        pytest.skip("05_mlp not authored")
    folder = folder_with(tmp_path, "reference")
    plant(folder, {"layers.py": [('self.grads["W"] = self.cache.T @ grad_out',
                                  'self.grads["W"] = 2 * self.cache.T @ grad_out')]})
    nb = graded_run("05_mlp", {"l5-whole-expected", "l5-whole-check"})
    execute(nb, folder, allow_errors=True)
    output = errors_by_cell(nb)["l5-whole-check"][2]
    assert "dL/dW of layer 3 is wrong" in output, output
    assert "the gradient into layer 3, which flowed into it, is right" in output, output


def test_hidden_tests_of_lessons_4_to_6_never_import_the_reference():
    for lesson in ("04_losses", "05_mlp", "06_gradient_descent"):
        if lesson not in NAMES:
            continue
        for cell in source(lesson).cells:
            assert "solutions" not in cell.source and "reference_lib" not in cell.source, \
                f"{lesson}, cell {cell.id} refers to the reference library"
