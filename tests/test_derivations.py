"""Derivations by hand in lessons 2 and 3: the visible check (central differences, no expected
number shown), the record and the grader's judge (autograder/judge/derivations.py), and the
formula revealed only once the check passes."""

import nbformat
import numpy as np
import pytest

from backprop_course import checks, content
from backprop_course.autograder import judge
from backprop_course.reveal import revealed
from backprop_course.tasks import lesson_2, lesson_3

RIGHT = {
    "Lesson 2, task 2: by hand": {"dL_dW": [[3.0, -4.0], [-1.5, 2.0], [0.75, -1.0]], "dL_db": [1.5, -2.0]},
    "Lesson 2, task 3: by hand": {"dL_dx": [[-2.5, -3.5, -4.5]]},
    "Lesson 3, task 2: by hand": {"sigmoid_slopes": [0.16, 0.25, 0.09]},
    "Lesson 3, task 3: by hand": {"tanh_slopes": [0.75, 0.96, 0.36]},
}
MODULES = {"Lesson 2": lesson_2, "Lesson 3": lesson_3}


def module_of(label):
    return MODULES[label[:8]]


def visible(label, answers, capsys):
    """(passed, what the visible check printed and raised) for hand ``answers`` of ``label``."""
    try:
        with checks.task(label) as check:
            module_of(label).check_by_hand(check, **answers)
        passed, raised = True, ""
    except (checks.CheckFailed, checks.NotImplementedYet) as err:
        passed, raised = False, str(err)
    return passed, capsys.readouterr().out + raised


def judged(label, answers, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    module_of(label).run_graded_cases(label, **answers)
    return judge.judge(label, [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
                               for bundle in shown])


def test_every_derivation_is_judged_and_revealed():
    assert set(RIGHT) == set(lesson_2.HAND) | set(lesson_3.HAND)
    for label in RIGHT:
        assert label in judge.SPECS
        assert revealed(label) and revealed(label) != revealed(label.split(":")[0])


@pytest.mark.parametrize("label", sorted(RIGHT))
def test_right_numbers_pass_the_visible_check_and_the_judge(label, capsys, monkeypatch):
    passed, printed = visible(label, RIGHT[label], capsys)
    assert passed, printed
    assert revealed(label) in printed  # the formula comes with the passing check
    verdict = judged(label, RIGHT[label], monkeypatch)
    assert verdict.passed, verdict.lines


@pytest.mark.parametrize("label, answers, key", [
    # dL/dW as grad_out.T @ x: shape (2, 3)
    ("Lesson 2, task 2: by hand", {"dL_dW": [[3.0, -1.5, 0.75], [-4.0, 2.0, -1.0]], "dL_db": [1.5, -2.0]},
     "dW-transposed"),
    # sigmoid's slope as tanh's formula on the outputs: 1 - o^2
    ("Lesson 3, task 2: by hand", {"sigmoid_slopes": [0.96, 0.75, 0.19]}, "sigmoid-derivative-is-tanh"),
    # tanh's slope as 1 - o
    ("Lesson 3, task 3: by hand", {"tanh_slopes": [1.5, 0.8, 0.2]}, "tanh-one-minus-out"),
])
def test_wrong_numbers_fail_without_the_answer_and_the_judge_names_them(label, answers, key, capsys, monkeypatch):
    passed, printed = visible(label, answers, capsys)
    assert not passed
    assert revealed(label) not in printed
    assert "expected [" not in printed and "got [" not in printed
    assert "misconception" not in printed  # its message would state the formula to be found
    verdict = judged(label, answers, monkeypatch)
    assert not verdict.passed
    assert key in {row.key for row in verdict.rows if row.kind == "misconception"}
    assert "expected [" not in "\n".join(verdict.lines)


def test_a_wrong_number_fails_and_the_visible_check_says_what_it_observes(capsys, monkeypatch):
    answers = {"dL_dx": [[-2.5, -3.5, -4.0]]}
    passed, printed = visible("Lesson 2, task 3: by hand", answers, capsys)
    assert not passed and "right except on column 2" in printed
    assert not judged("Lesson 2, task 3: by hand", answers, monkeypatch).passed
    passed, printed = visible("Lesson 2, task 2: by hand", {"dL_dW": [[3.0, -1.5, 0.75], [-4.0, 2.0, -1.0]],
                                                            "dL_db": [1.5, -2.0]}, capsys)
    assert not passed and "transpose" in printed


def test_unanswered_is_not_implemented_and_text_is_not_numbers(capsys, monkeypatch):
    passed, printed = visible("Lesson 2, task 2: by hand", {"dL_dW": None, "dL_db": None}, capsys)
    assert not passed and "fill in dL_dW, dL_db" in printed
    assert not judged("Lesson 2, task 2: by hand", {"dL_dW": None, "dL_db": None}, monkeypatch).passed
    verdict = judged("Lesson 3, task 2: by hand", {"sigmoid_slopes": "0.16, 0.25, 0.09"}, monkeypatch)
    assert not verdict.passed and "not an array of numbers" in "\n".join(verdict.lines)


def test_a_forged_duplicate_record_fails(monkeypatch):
    label = "Lesson 2, task 3: by hand"
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_2.run_graded_cases(label, **RIGHT[label])
    lesson_2.run_graded_cases(label, **RIGHT[label])
    outputs = [nbformat.from_dict({"output_type": "display_data", "data": b, "metadata": {}}) for b in shown]
    assert not judge.judge(label, outputs).passed


def test_the_hand_answers_differ_from_common_mistakes():
    """The inputs tell mistakes apart: no one-sample gradient or slope equals a mistaken one."""
    x, W, g = lesson_2.X_ONE, lesson_2.W_SMALL, lesson_2.GRAD_ONE
    slopes = lesson_2.one_sample_slopes()
    assert np.allclose(slopes["dL_dW"], x.T @ g) and np.allclose(slopes["dL_dx"], g @ W.T)
    assert len(set(np.abs(x).ravel())) == x.size and len(set(np.abs(g).ravel())) == g.size
    for name, wrongs in {"sigmoid": lambda o: [1 - o ** 2, 1 - o, o, 0.25 - 0 * o],
                         "tanh": lambda o: [o * (1 - o), 1 - o, 1 - np.tanh(o) ** 2, 1 - o ** 2 + 0 * o]}.items():
        right = lesson_3.hand_slopes(name)
        out = lesson_3.HAND_OUTPUTS[name]
        for wrong in wrongs(out)[:3]:
            assert not np.allclose(wrong, right, rtol=1e-3)
        assert len(set(np.round(right, 6))) == 3  # three different slopes: no symmetric outputs


def student_cells(notebook):
    cells = nbformat.read(content.folder("lessons") / notebook, as_version=4).cells
    return cells


@pytest.mark.parametrize("notebook, hidden", [
    ("02_linear_layer.ipynb", ["x^\\top G", "G W^\\top", "\\sum_n G", "x_{ni}\\, G_{nj}"]),
    ("03_activations.ipynb", ["o\\,(1 - o)", "1 - o^2", "o(1-o)"]),
])
def test_no_student_cell_gives_a_formula_before_its_check(notebook, hidden):
    """The formulas a derivation asks for appear in no cell before the check that reveals them."""
    cells = student_cells(notebook)
    ids = [cell.get("id") for cell in cells]
    last_check = max(i for i, cell_id in enumerate(ids) if cell_id in ("task3-check",))
    text = "\n".join(cell.source for cell in cells[:last_check + 1])
    for formula in hidden:
        assert formula not in text, formula


def test_the_notebooks_call_the_judged_derivations():
    for notebook, labels in (("02_linear_layer.ipynb", lesson_2.HAND), ("03_activations.ipynb", lesson_3.HAND)):
        cells = student_cells(notebook)
        graded = [judge.judged_task(cell.source) for cell in cells
                  if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")]
        assert set(labels) <= set(graded), graded
        for label in labels:
            cell_id = "task{}-hand".format(label.split("task ")[1][0])
            cell = next(cell for cell in cells if cell.get("id") == cell_id)
            assert cell.metadata["nbgrader"]["points"] == 1 and label in cell.source


@pytest.mark.parametrize("label", sorted(RIGHT))
def test_a_grading_kernel_computes_no_expected_number(label, capsys, monkeypatch):
    """When grading, the visible check only reads the answers; the judge alone compares them."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def forbidden(*args):
        raise AssertionError("an expected value computed in a grading kernel")

    monkeypatch.setattr(lesson_2, "one_sample_slopes", forbidden)
    monkeypatch.setattr(lesson_3, "hand_slopes", forbidden)
    wrong = {name: np.asarray(value) + 1.0 for name, value in RIGHT[label].items()}
    assert visible(label, wrong, capsys)[0]
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert not judged(label, wrong, monkeypatch).passed


def test_a_grading_kernel_reveals_nothing(capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    label = "Lesson 2, task 3: by hand"
    passed, printed = visible(label, RIGHT[label], capsys)
    assert passed and revealed(label) not in printed
