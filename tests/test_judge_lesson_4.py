"""Lesson 4 judged in the grader (backprop_course.autograder.judge.lesson_4), without a kernel.

The records are made by the kernel-side code itself (``tasks.lesson_4.run_graded_cases`` with a
stand-in ``display``) from the reference losses, the skeleton, planted bugs, or forged by hand.
The whole lesson graded end to end, attacks included, is in test_judge_attacks_lesson_4.py.
"""

import base64
import json
import sys
import types

import nbformat
import numpy as np
import pytest

from backprop_course import records
from backprop_course.autograder import judge
from backprop_course.autograder.judge.reference import reference
from backprop_course.checks import Checks
from backprop_course.reveal import revealed
from backprop_course.tasks import lesson_4

LABELS = sorted(label for label in judge.SPECS if label.startswith("Lesson 4"))
RIGHT_ANSWERS = {1: (-3.0, -0.75), 2: (0.75, -0.25)}


def losses():
    return reference("losses")


def subjects(label, library=None, answers=RIGHT_ANSWERS):
    """What a cell of ``label`` hands to run_graded_cases: the hand answers, log_softmax or a loss
    class, taken from ``library`` (a namespace of the student's names; default the reference)."""
    library = library or losses()
    task, part = int(label[len("Lesson 4, task ")]), label.split(": ", 1)[1]
    if part == "derivation":
        return answers[task]
    if part.startswith("log_softmax"):
        return (library.log_softmax,)
    return (getattr(library, ("MSELoss", "BCEWithLogitsLoss", "SoftmaxCrossEntropyLoss")[task - 1]),)


def outputs_of(label, monkeypatch, *given):
    """The outputs ``run_graded_cases(label, *given)`` leaves in a cell."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_4.run_graded_cases(label, *given)
    return [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
            for bundle in shown]


def verdicts(monkeypatch, library=None, answers=RIGHT_ANSWERS):
    return {label: judge.judge(label, outputs_of(label, monkeypatch, *subjects(label, library, answers)))
            for label in LABELS}


def failed(monkeypatch, library=None, answers=RIGHT_ANSWERS):
    return {label for label, verdict in verdicts(monkeypatch, library, answers).items() if not verdict.passed}


def test_every_graded_cell_of_lesson_4_hands_its_part_to_the_judge():
    from helpers.lesson_runs import judged_line
    from helpers.lesson_runs import source

    cells = {cell.metadata["nbgrader"]["grade_id"]: judged_line(cell.source) for cell in source("04_losses").cells
             if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}
    assert all(cells.values()), [cell for cell, line in cells.items() if not line]
    assert sorted(judge.judged_task(line) for line in cells.values()) == LABELS


@pytest.mark.parametrize("label", LABELS)
def test_the_reference_passes_every_part(label, monkeypatch):
    verdict = judge.judge(label, outputs_of(label, monkeypatch, *subjects(label)))
    assert verdict.passed, verdict.lines
    assert verdict.lines[-1] == f"  all checks of {label} (graded) passed"


class Skeleton:
    """The student's untouched library: every task raises NotImplementedError."""

    class _Stub:
        task = 0

        def forward(self, scores, y):
            raise NotImplementedError(f"Lesson 4, task {self.task}: implement {type(self).__name__}.forward")

        def backward(self):
            raise NotImplementedError(f"Lesson 4, task {self.task}: implement {type(self).__name__}.backward")

    MSELoss = type("MSELoss", (_Stub,), {"task": 1})
    BCEWithLogitsLoss = type("BCEWithLogitsLoss", (_Stub,), {"task": 2})
    SoftmaxCrossEntropyLoss = type("SoftmaxCrossEntropyLoss", (_Stub,), {"task": 3})

    @staticmethod
    def log_softmax(scores):
        raise NotImplementedError("Lesson 4, task 3: implement log_softmax (stable)")


def test_the_skeleton_scores_nothing(monkeypatch):
    results = verdicts(monkeypatch, Skeleton, answers={1: (None, None), 2: (None, None)})
    assert not [label for label, verdict in results.items() if verdict.passed]
    for label, verdict in results.items():
        if "derivation" not in label:
            assert verdict.message.startswith("not implemented yet: Lesson 4, task "), verdict.message


def library_with(**changes):
    """The reference losses with some names replaced: ``changes`` maps a name to a function of the
    reference class (or function) giving its replacement."""
    namespace = {name: getattr(losses(), name) for name in
                 ("MSELoss", "BCEWithLogitsLoss", "SoftmaxCrossEntropyLoss", "log_softmax")}
    namespace.update({name: change(namespace[name]) for name, change in changes.items()})
    return type("Library", (), {name: staticmethod(value) if name == "log_softmax" else value
                                for name, value in namespace.items()})


def with_backward(change):
    """A loss class whose backward() is change(loss, the reference's dL/dscores)."""
    return lambda base: type(base.__name__, (base,), {"backward": lambda self: change(self, base.backward(self))})


def with_forward(change):
    """A loss class whose forward() is change(scores, y, the reference's loss)."""
    return lambda base: type(base.__name__, (base,),
                             {"forward": lambda self, s, y: change(s, y, base.forward(self, s, y))})


def in_place(base):
    """log_softmax that writes its result into the caller's scores."""
    def log_softmax(scores):
        scores[...] = base(scores)
        return scores
    return log_softmax


def mirrored_sigmoid(monkeypatch):
    """Lesson 3's sigmoid wrong (sigmoid(-z)) in the student's losses module, which the log loss's
    backward calls: lesson 4 is graded with a right one."""
    module = types.ModuleType("student_losses")
    module.sigmoid = lambda z: 1 / (1 + np.exp(np.asarray(z)))
    monkeypatch.setitem(sys.modules, module.__name__, module)

    def backward(self):
        scores, y = self.cache
        return (module.sigmoid(scores) - y) / scores.shape[0]

    bce = type("BCEWithLogitsLoss", (losses().BCEWithLogitsLoss,), {"backward": backward, "__module__": module.__name__})
    return library_with(BCEWithLogitsLoss=lambda base: bce)


# (id, the student's library, the hand answers, the parts that must fail)
PLANTED = [
    ("mse-summed", lambda mp: library_with(MSELoss=with_forward(lambda s, y, value: value * np.size(s))),
     RIGHT_ANSWERS, {"Lesson 4, task 1: values", "Lesson 4, task 1: edge cases"}),
    ("mse-grad-without-2", lambda mp: library_with(MSELoss=with_backward(lambda loss, grad: grad / 2)),
     RIGHT_ANSWERS, {"Lesson 4, task 1: gradients", "Lesson 4, task 1: edge cases"}),
    ("bce-grad-not-divided", lambda mp: library_with(
        BCEWithLogitsLoss=with_backward(lambda loss, grad: grad * len(grad))),
     RIGHT_ANSWERS, {"Lesson 4, task 2: gradients", "Lesson 4, task 2: edge cases"}),
    ("bce-grad-float64", lambda mp: library_with(
        BCEWithLogitsLoss=with_backward(lambda loss, grad: grad.astype(np.float64))),
     RIGHT_ANSWERS, {"Lesson 4, task 2: edge cases"}),
    ("ce-grad-without-onehot", lambda mp: library_with(
        SoftmaxCrossEntropyLoss=with_backward(lambda loss, grad: loss.cache[0] / len(grad))),
     RIGHT_ANSWERS, {"Lesson 4, task 3: gradients", "Lesson 4, task 3: edge cases"}),
    ("log-softmax-in-place", lambda mp: library_with(log_softmax=in_place),
     RIGHT_ANSWERS, {"Lesson 4, task 3: log_softmax"}),
    ("hand-mse-without-2", lambda mp: library_with(), {1: (-1.5, -0.375), 2: (0.75, -0.25)},
     {"Lesson 4, task 1: derivation"}),
    ("hand-mse-batch-not-averaged", lambda mp: library_with(), {1: (-3.0, -3.0), 2: (0.75, -0.25)},
     {"Lesson 4, task 1: derivation"}),
    ("hand-bce-sign", lambda mp: library_with(), {1: (-3.0, -0.75), 2: (0.75, 0.25)},
     {"Lesson 4, task 2: derivation"}),
    ("lesson-3-sigmoid-mirrored", mirrored_sigmoid, RIGHT_ANSWERS, set()),
]


@pytest.mark.parametrize("name, library, answers, must_fail", PLANTED, ids=[case[0] for case in PLANTED])
def test_a_planted_bug_fails_exactly_its_parts(name, library, answers, must_fail, monkeypatch):
    assert failed(monkeypatch, library(monkeypatch), answers) == must_fail


def test_a_misconception_is_named_without_showing_a_value(monkeypatch):
    label = "Lesson 4, task 1: values"
    wrong = library_with(MSELoss=with_forward(lambda s, y, value: value * np.size(s)))
    verdict = judge.judge(label, outputs_of(label, monkeypatch, wrong.MSELoss))
    assert not verdict.passed
    assert {row.key for row in verdict.rows if row.kind} == {"mse-summed"}
    assert not any("got " in line or "expected [" in line for line in verdict.lines)


def test_an_overflow_on_the_way_to_right_values_is_one_row(monkeypatch):
    """Right values through an overflow (an exp that reached inf, then 1/inf): one row, the overflow."""
    label = "Lesson 4, task 2: edge cases"

    def overflowing(base):
        def forward(self, scores, y):
            np.exp(np.asarray(scores, dtype=np.float64))  # a wasted exp: it overflows at 1e4
            return base.forward(self, scores, y)
        return type(base.__name__, (base,), {"forward": forward})

    loss_class = library_with(BCEWithLogitsLoss=overflowing).BCEWithLogitsLoss
    verdict = judge.judge(label, outputs_of(label, monkeypatch, loss_class))
    wrong = [row.name for row in verdict.rows if not row.ok]
    assert wrong == ["no overflow at huge scores float64", "no overflow at huge scores float32"], verdict.lines


def test_the_records_hold_no_expected_value(monkeypatch):
    """What the kernel emits for a wrong loss: its own results and nothing of the reference's."""
    label = "Lesson 4, task 3: gradients"
    wrong = library_with(SoftmaxCrossEntropyLoss=with_backward(lambda loss, grad: grad * 2))
    text = json.dumps(outputs_of(label, monkeypatch, wrong.SoftmaxCrossEntropyLoss))
    for name, scores, y in lesson_4.graded_cases(label):
        loss = losses().SoftmaxCrossEntropyLoss()
        loss.forward(scores, y)
        assert base64.b64encode(loss.backward().tobytes()).decode()[:24] not in text, name


def forged(label, cases):
    return nbformat.from_dict({"output_type": "display_data", "metadata": {}, "data": records.record(label, cases)})


def test_a_missing_duplicated_forged_or_malformed_record_fails(monkeypatch):
    label = "Lesson 4, task 2: values"
    good = outputs_of(label, monkeypatch, losses().BCEWithLogitsLoss)
    assert judge.judge(label, good).passed
    assert not judge.judge(label, []).passed
    assert not judge.judge(label, good + good).passed
    cases = json.loads(json.dumps(good[0].data[records.MIME]["cases"]))
    case, values = next(iter(cases.items()))
    assert not judge.judge(label, good + [forged(label, {case: values})]).passed
    zeros = {name: {"loss": records.encode(0.0), "passed": records.encode(True)} for name in cases}
    assert not judge.judge(label, [forged(label, zeros)]).passed
    # another part's records, or a case of its own, change nothing
    assert judge.judge(label, good + [forged("Lesson 4, task 2: gradients", {case: values}),
                                      forged(label, {"a case of my own": values})]).passed


def test_a_hand_answer_must_be_one_number(monkeypatch):
    label = "Lesson 4, task 2: derivation"
    for answers in ((np.array([0.75]), -0.25), ("0.75", -0.25), (0.75, None)):
        assert not judge.judge(label, outputs_of(label, monkeypatch, *answers)).passed, answers
    assert judge.judge(label, outputs_of(label, monkeypatch, 3 / 4, np.float64(-1 / 4))).passed


def test_cases_tell_the_counts_apart_and_hold_no_symmetric_values():
    """Issue 18: N != C (K) in every case with several columns, so "divided by N" and "by N C" differ;
    no scores or targets that a sign flip or a swap leaves unchanged."""
    for label in LABELS:
        for name, *inputs in lesson_4.graded_cases(label):
            if "derivation" in label:
                continue
            scores = np.asarray(inputs[0], dtype=np.float64)
            if scores.ndim == 2 and scores.shape[1] > 1:
                assert scores.shape[0] != scores.shape[1], (label, name)
            assert len(np.unique(np.abs(scores))) > 1 or scores.size == 1, (label, name)
            if scores.size > 1:
                assert not np.array_equal(np.sort(scores.ravel()), np.sort(-scores.ravel())), (label, name)


def test_the_visible_derivation_checks_test_consistency_and_reveal_nothing(capsys):
    check = Checks("Lesson 4, task 1: derivation")
    lesson_4.check_mse_derivation(check, -3.0, -0.75)
    lesson_4.check_bce_derivation(check, 0.75, -0.25)
    assert check.failures == []
    lesson_4.check_mse_derivation(check, 3.0, -4.0)
    lesson_4.check_bce_derivation(check, 0.25, 0.25)
    assert check.failures == ["sign of mse_dl_ds", "mse_dL_ds in the batch", "bce_p is a probability above 1/2",
                              "sign and size of bce_dl_ds"]
    with pytest.raises(NotImplementedError, match="fill in mse_dl_ds"):
        lesson_4.check_mse_derivation(check, None, -0.75)
    assert revealed("Lesson 4, task 1: derivation") is None and revealed("Lesson 4, task 1") is None


def test_a_passing_gradient_check_reveals_the_formula_and_no_other_check_does():
    for task in (1, 2, 3):
        assert "frac" in revealed(f"Lesson 4, task {task}: gradients") or "sigma" in revealed(
            f"Lesson 4, task {task}: gradients")
        assert revealed(f"Lesson 4, task {task}") is None
    # the per-sample column of the pairs table never divides by N
    pairs = revealed("Lesson 4, task 3: gradients")
    column = [line.split("|")[4] for line in pairs.splitlines() if line.startswith("| ") and "Loss" in line]
    assert len(column) == 3 and not any("N" in cell for cell in column), column


def test_the_student_notebook_gives_no_gradient_formula_before_its_check():
    """Issue 21: the formulas live in REVEALS; the notebook's text never states them."""
    from helpers.lesson_runs import student

    text = "\n".join(cell.source for cell in student("04_losses").cells if cell.cell_type == "markdown")
    for formula in (r"\sigma(s) - y", r"\mathrm{softmax}(s) - \mathrm{onehot}(y)", r"\frac{2}{NK}",
                    r"\frac{2}{K}", "prediction minus target"):
        assert formula not in text, formula
    library = (lesson_4.__file__.rsplit("backprop_course", 1)[0] + "backprop_lib/losses.py")
    assert "2 (scores - y)" not in open(library).read()


def test_check_huge_names_an_overflowing_loss_and_shows_no_gradient(capsys):
    scores, y = lesson_4.BCE_HUGE
    value = losses().BCEWithLogitsLoss().forward(scores, y)
    check = Checks("Lesson 4, task 2")
    lesson_4.check_huge(check, losses().BCEWithLogitsLoss(), scores, y, value)
    assert check.failures == []

    class Naive(losses().BCEWithLogitsLoss):
        def forward(self, scores, y):
            self.cache = scores, np.asarray(y, dtype=scores.dtype)
            return float(np.mean(np.log(1 + np.exp(scores)) - y * scores))

    lesson_4.check_huge(check, Naive(), scores, y, value)
    assert check.failures == ["no overflow at huge scores", "loss at huge scores"]
    out = capsys.readouterr().out
    assert "misconception bce-naive-overflow:" in out
    assert lesson_4.bar_for(np.zeros(2)) == lesson_4.F64_BAR < lesson_4.F32_BAR == lesson_4.bar_for(np.zeros(2, np.float32))


# ---- the slope of the student's own forward (issue 16) -----------------------------------------
# The gradients part also holds dL/dscores to central differences of the student's own forward,
# which the judge takes from the forward's values the kernel recorded at its points scores +- h e_i.
# A judge that compared with the reference alone gives neither of the rows these tests look for.

LOSS_NAMES = ("MSELoss", "BCEWithLogitsLoss", "SoftmaxCrossEntropyLoss")
SLOPE_ROW = "dL/dscores vs your forward's slope, "


def gradient_rows(task, loss_class, monkeypatch):
    """(verdict, {case: (the dL/dscores row, the slope row or None)}) of task's gradients part."""
    label = f"Lesson 4, task {task}: gradients"
    verdict = judge.judge(label, outputs_of(label, monkeypatch, loss_class))
    rows = {row.name: row for row in verdict.rows}
    return verdict, {case: (rows[f"dL/dscores, {case}"], rows.get(SLOPE_ROW + case))
                     for case, *_ in lesson_4.graded_cases(label)}


def scaled(forward_factor, backward_factor):
    """A loss class change: its loss times ``forward_factor``, its dL/dscores times ``backward_factor``."""
    return lambda base: with_backward(lambda loss, grad: grad * backward_factor)(
        with_forward(lambda s, y, value: value * forward_factor)(base))


@pytest.mark.parametrize("task", (1, 2, 3))
def test_a_forward_and_backward_that_agree_on_another_loss_are_told_apart(task, monkeypatch):
    """3 L and its derivative 3 dL/dscores: every dL/dscores is wrong, and every one is the slope of
    the student's own forward (ok), which says the two agree on a loss that is not the task's."""
    name = LOSS_NAMES[task - 1]
    verdict, rows = gradient_rows(task, getattr(library_with(**{name: scaled(3, 3)}), name), monkeypatch)
    assert not verdict.passed
    for case, (row, slope) in rows.items():
        assert not row.ok and slope is not None and slope.ok, (case, verdict.lines)


@pytest.mark.parametrize("task", (1, 2, 3))
def test_a_backward_that_is_not_its_forwards_derivative_is_told_so(task, monkeypatch):
    name = LOSS_NAMES[task - 1]
    verdict, rows = gradient_rows(task, getattr(library_with(**{name: scaled(1, 3)}), name), monkeypatch)
    for case, (row, slope) in rows.items():
        assert not row.ok and slope is not None and not slope.ok, (case, verdict.lines)
        assert slope.detail.endswith("your backward is not the derivative of your forward") and not slope.kind
    assert "misconception" not in "\n".join(line for line in verdict.lines if SLOPE_ROW in line)


def test_a_right_backward_is_never_failed_for_a_wrong_forward(monkeypatch):
    """3 L with the right dL/dscores: the gradients part passes as before (the values part charges
    the forward); the slope row appears only where the two still agree (one score: 3 L's slope at
    a 1x1 case is 3 dL/dscores, so nowhere here)."""
    verdict, rows = gradient_rows(1, library_with(MSELoss=scaled(3, 1)).MSELoss, monkeypatch)
    assert verdict.passed, verdict.lines
    assert all(row.ok and slope is None for row, slope in rows.values()), verdict.lines
    verdict, rows = gradient_rows(1, losses().MSELoss, monkeypatch)
    assert verdict.passed and all(row.ok and slope.ok for row, slope in rows.values()), verdict.lines


def test_the_kernel_records_the_loss_at_the_judges_points_and_the_judge_differences_them(monkeypatch):
    """The record holds the student's loss at ``gradcheck.stepped_points`` of each case (values, no
    slope); values forged there cannot fail a right backward, nor pass a wrong one."""
    from backprop_course.gradcheck import stepped_points

    label = "Lesson 4, task 3: gradients"
    good = outputs_of(label, monkeypatch, losses().SoftmaxCrossEntropyLoss)
    cases = good[0].data[records.MIME]["cases"]
    for name, scores, y in lesson_4.graded_cases(label):
        assert set(cases[name]) == {"forward", "grad", *lesson_4.STEPPED}
        for recorded, points in zip(lesson_4.STEPPED, stepped_points(scores)):
            want = [losses().SoftmaxCrossEntropyLoss().forward(point, y) for point in points]
            np.testing.assert_allclose(records.decode(cases[name][recorded]), want, rtol=1e-12)

    def forged_cases(grad, loss_at):
        """Records of every case: dL/dscores ``grad(scores, y)``, the loss ``loss_at(points)``."""
        return {name: {"forward": records.encode(0.0), "grad": records.encode(grad(scores, y)),
                       **{recorded: records.encode(loss_at(points)) for recorded, points in
                          zip(lesson_4.STEPPED, stepped_points(scores))}}
                for name, scores, y in lesson_4.graded_cases(label)}

    def right(scores, y):
        loss = losses().SoftmaxCrossEntropyLoss()
        loss.forward(scores, y)
        return loss.backward()

    noise = forged_cases(right, lambda points: np.random.default_rng(0).normal(size=len(points)))
    assert judge.judge(label, [forged(label, noise)]).passed
    flat = forged_cases(lambda scores, y: np.zeros_like(scores), lambda points: np.zeros(len(points)))
    verdict = judge.judge(label, [forged(label, flat)])
    slopes = [row for row in verdict.rows if row.name.startswith(SLOPE_ROW)]
    assert not verdict.passed and len(slopes) == len(cases) and all(row.ok for row in slopes), verdict.lines
