"""Lesson 6 judged in the grader: records in, verdicts out (autograder/judge/lesson_6.py).

The records are made by the kernel-side code itself (``lesson_6.run_graded_cases`` with a stand-in
``display``) from the reference, from planted bugs, or forged. Each planted bug must fail exactly
its own task and get only a name that reproduces it; no row may show an expected value.
Verdict-rewriting attacks on whole submissions, graded end to end, are in
test_judge_attacks_lesson_6.py.
"""

import json
import re

import nbformat
import numpy as np
import pytest

from backprop_course import records
from backprop_course.autograder import judge
from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks import lesson_6
from helpers import expected_texts

PLAIN, MOMENTUM = "Lesson 6, task 1: plain", "Lesson 6, task 1: momentum"
STEP, RATE, BATCHES = "Lesson 6, task 2", "Lesson 6, task 3", "Lesson 6, task 4"
LABELS = [PLAIN, MOMENTUM, STEP, RATE, BATCHES]
RIGHT_WEIGHTS = expected_texts.WEIGHTS_6
RIGHT = {STEP: (RIGHT_WEIGHTS, *expected_texts.STEP_6),
         RATE: (lambda lr, curvature: 1 - lr * curvature, lambda curvature: 2 / curvature),
         BATCHES: expected_texts.BATCHES_6}


def outputs_of(label, yours, monkeypatch):
    """The outputs ``run_graded_cases(label, *yours)`` leaves in a cell."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_6.run_graded_cases(label, *yours)
    return [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}}) for bundle in shown]


def sgd_with(update):
    """The reference SGD whose step applies ``update(self, param, velocity, key, grad)`` to each parameter."""
    base = reference("optim").SGD

    class Planted(base):
        def step(self):
            for layer, velocity in zip(self.layers, self.velocity):
                for key, param in layer.params.items():
                    update(self, param, velocity, key, layer.grads[key])

    return Planted


def verdicts(sgd=None, **hand):
    """{label: Verdict} of every task with the reference everywhere except ``sgd`` and the hand
    answers given ({STEP: (...)}, by label)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        mlp = reference("mlp").MLP
        yours = {PLAIN: (mlp, sgd or reference("optim").SGD), MOMENTUM: (mlp, sgd or reference("optim").SGD),
                 **RIGHT, **{label: hand[key] for key, label in (("step", STEP), ("rate", RATE), ("batches", BATCHES))
                             if key in hand}}
        return {label: judge.judge(label, outputs_of(label, yours[label], monkeypatch)) for label in LABELS}


def failed(found):
    return {label for label, verdict in found.items() if not verdict.passed}


def names(verdict):
    return {row.key for row in verdict.rows if row.kind == "misconception"}


def test_the_reference_passes_every_task():
    for label, verdict in verdicts().items():
        assert verdict.passed, verdict.lines
        assert verdict.lines[-1] == f"  all checks of {label} (graded) passed"


def test_the_skeleton_scores_nothing():
    class Stub(reference("optim").SGD):
        def step(self):
            raise NotImplementedError("Lesson 6, task 1: implement SGD.step")

    def todo(*args):
        raise NotImplementedError()

    found = verdicts(Stub, step=(None, None, None), rate=(todo, todo), batches=(None,) * 5)
    assert failed(found) == set(LABELS)
    assert found[PLAIN].message == "not implemented yet: Lesson 6, task 1: implement SGD.step"
    assert found[STEP].message.startswith("not implemented yet: Lesson 6, task 2: fill in w1, w2")
    assert found[RATE].message == f"not implemented yet: {RATE}"


def ascend(self, param, velocity, key, grad):
    velocity[key] *= self.momentum
    velocity[key] += self.lr * grad
    param += velocity[key]


def rebind(self, param, velocity, key, grad):
    velocity[key] *= self.momentum
    velocity[key] -= self.lr * grad
    param = param + velocity[key]  # noqa: F841 (the bug: a local name, not the model's array)


def average(self, param, velocity, key, grad):  # issue 18: named velocity-sign before
    if not self.momentum:
        param -= self.lr * grad
        return
    velocity[key] *= self.momentum
    velocity[key] += (1 - self.momentum) * grad
    param -= self.lr * velocity[key]


def nesterov(self, param, velocity, key, grad):
    velocity[key] *= self.momentum
    velocity[key] -= self.lr * grad
    param += self.momentum * velocity[key] - self.lr * grad if self.momentum else velocity[key]


def weight_decay(self, param, velocity, key, grad):
    velocity[key] *= self.momentum
    velocity[key] -= self.lr * (grad + 1e-2 * param)
    param += velocity[key]


def velocity_sign(self, param, velocity, key, grad):
    if not self.momentum:
        param -= self.lr * grad
        return
    velocity[key] *= self.momentum
    velocity[key] += self.lr * grad
    param -= velocity[key]


def last_gradient(self, param, velocity, key, grad):
    if not self.momentum:
        param -= self.lr * grad
        return
    param -= self.lr * grad + self.momentum * velocity[key]
    velocity[key][...] = self.lr * grad


# bug: (the tasks it must fail, {label: the only names its rows may give, each of them given})
PLANTED = {
    # every step's sign flipped: the parameters are sgd-wrong-sign's, the velocity velocity-sign's
    "ascend": (ascend, {PLAIN: {"sgd-wrong-sign"}, MOMENTUM: {"sgd-wrong-sign", "velocity-sign"}}),
    "rebind": (rebind, {PLAIN: {"sgd-rebinds"}, MOMENTUM: {"sgd-rebinds"}}),
    "average": (average, {MOMENTUM: {"momentum-average"}}),
    "nesterov": (nesterov, {MOMENTUM: {"momentum-nesterov"}}),
    "weight_decay": (weight_decay, {PLAIN: set(), MOMENTUM: set()}),
    "velocity_sign": (velocity_sign, {MOMENTUM: {"velocity-sign"}}),
    "last_gradient": (last_gradient, {MOMENTUM: {"momentum-last-gradient"}}),
}


@pytest.mark.parametrize("bug", PLANTED)
def test_a_planted_update_fails_its_task_with_only_names_that_reproduce(bug):
    update, expected = PLANTED[bug]
    found = verdicts(sgd_with(update))
    assert failed(found) == set(expected), {label: found[label].message for label in failed(found)}
    for label, allowed in expected.items():
        assert names(found[label]) <= allowed or not allowed and not names(found[label]), (label, names(found[label]))
        if allowed:
            assert names(found[label]) == allowed, (label, found[label].lines)


def test_an_update_that_rebinds_is_named_once_and_never_described_as_never_written():
    lines = "\n".join(verdicts(sgd_with(rebind))[PLAIN].lines)
    assert "misconception sgd-rebinds" in lines
    assert "never written" not in lines and "zeros" not in lines


def test_an_update_that_replaces_the_models_arrays_fails_in_place():
    class Replaces(reference("optim").SGD):
        def step(self):
            for layer in self.layers:
                for key in layer.params:
                    layer.params[key] = layer.params[key] - self.lr * layer.grads[key]

    found = verdicts(Replaces)
    assert failed(found) == {PLAIN, MOMENTUM}
    assert "a parameter is a new array" in "\n".join(found[PLAIN].lines)


def test_weight_decay_gets_no_catalogue_name():
    found = verdicts(sgd_with(weight_decay))
    assert not names(found[PLAIN]) and not names(found[MOMENTUM])


WRONG_HAND = {
    "step-sign": ("step", ({name: w + lesson_6.HAND_LR * lesson_6.SLIDE_GRADS[name]
                            for name, w in lesson_6.SLIDE_WEIGHTS.items()}, 1.294015625, 1.30157970049), STEP,
                  "moved along its gradient"),
    "step-predicted-is-L": ("step", (RIGHT_WEIGHTS, 1.125, 0.961528676044), STEP, "this is L itself"),
    "rate-plus": ("rate", (lambda lr, c: 1 + lr * c, RIGHT[RATE][1]), RATE, "1 + lr * curvature"),
    "rate-one-step": ("rate", (RIGHT[RATE][0], lambda c: 1 / c), RATE, "lands on the minimum in one step"),
    "batches-sum": ("batches", (-30.0, -3.0, -12.0, 2.5, 1.675), BATCHES, "the sum over the 4 samples"),
    "batches-no-2": ("batches", (-7.5, -1.5, -12.0, 1.375, 1.6375), BATCHES, "the 2 of the square's derivative"),
    "batches-at-start": ("batches", (-7.5, -3.0, -12.0, 1.375, 1.75), BATCHES, "the gradient at the start"),
}


@pytest.mark.parametrize("case", WRONG_HAND)
def test_a_wrong_hand_answer_fails_its_task_and_says_what_reproduces_it(case):
    """One quantity wrong, one row per case of it (task 3 has two cases), each saying what the
    wrong formula is; a number that follows from a wrong one is judged from it, so not charged."""
    key, answer, label, words = WRONG_HAND[case]
    found = verdicts(**{key: answer})
    assert failed(found) == {label}
    wrong_rows = [row for row in found[label].rows if not row.ok]
    assert len({row.name.split(" ")[0] for row in wrong_rows}) == 1, found[label].lines
    assert all(words in row.detail for row in wrong_rows), found[label].lines


def test_an_answer_that_is_not_a_number_fails_without_a_crash():
    found = verdicts(step=({**RIGHT_WEIGHTS, "w3": "1.003"}, 0.954984375, 0.961528676044),
                     batches=(-7.5, [-3.0, 1.0], -12.0, True, 1.675))
    assert failed(found) == {STEP, BATCHES}
    assert "w3 is a str" in "\n".join(found[STEP].lines)
    assert "g_first is not one number" in "\n".join(found[BATCHES].lines)


def test_records_missing_twice_forged_or_of_another_case_decide_nothing_in_the_students_favour(monkeypatch):
    mlp, sgd = reference("mlp").MLP, reference("optim").SGD
    good = outputs_of(MOMENTUM, (mlp, sgd), monkeypatch)
    assert judge.judge(MOMENTUM, good).passed
    assert not judge.judge(MOMENTUM, []).passed
    assert not judge.judge(MOMENTUM, good + good).passed
    wrong = outputs_of(MOMENTUM, (mlp, sgd_with(ascend)), monkeypatch)
    claims = nbformat.from_dict({"output_type": "display_data", "metadata": {}, "data": {
        records.MIME: {"task": MOMENTUM, "cases": {}, "passed": True}, "text/plain": "all checks passed"}})
    assert not judge.judge(MOMENTUM, wrong + [claims]).passed
    # records of plain SGD handed in for momentum: every case is missing
    assert not judge.judge(MOMENTUM, [nbformat.from_dict({**good[0], "data": {
        **good[0].data, records.MIME: {**good[0].data[records.MIME], "task": PLAIN}}})]).passed


def test_no_row_of_a_wrong_submission_shows_an_expected_value():
    numbers, encoded = expected_texts.lesson_6()
    wrong_hand = {key: answer for key, answer, _, _ in (WRONG_HAND[case] for case in
                                                         ("step-sign", "rate-plus", "batches-at-start"))}
    for found in (verdicts(sgd_with(average), **wrong_hand), verdicts(sgd_with(ascend))):
        text = json.dumps([[verdict.lines, [row.__dict__ for row in verdict.rows], verdict.message]
                           for verdict in found.values()])
        shown = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)) & numbers
        assert not shown, sorted(shown)[:5]
        assert not [chunk for chunk in encoded if chunk in text]


# ---- students derive: each formula shows only after its check passes ---------------------------

FORMULAS = ["\\theta \\leftarrow \\theta - \\eta", "v \\leftarrow \\mu", "lr * grad", "1 - \\eta\\lambda", "2/\\lambda",
            "(1 - \\eta", "\\lVert g\\rVert", "unbiased"]


def test_every_task_reveals_a_formula_no_student_file_shows_before_its_check():
    from backprop_course.reveal import revealed
    from helpers.checkout import ROOT
    from helpers.lesson_runs import student

    nb = student("06_gradient_descent")
    before = [cell.source for cell in nb.cells[:[cell.id for cell in nb.cells].index("summary")]]
    before.append((ROOT / "backprop_lib" / "optim.py").read_text())
    for task in range(1, 5):
        assert revealed(f"Lesson 6, task {task}"), task
    shown = [formula for formula in FORMULAS if any(formula in text for text in before)]
    assert not shown, shown
    assert any(formula in revealed(f"Lesson 6, task {task}") for formula in FORMULAS for task in range(1, 5))


def test_the_visible_examples_tell_every_catalogued_update_apart():
    """Issue 18: on the visible momentum example (lr != 1 - momentum, three changing gradients)
    and on the plain example's b (not 0 at the start) every entry that applies is named."""
    from backprop_course.misconceptions import audit

    mlp, sgd = reference("mlp").MLP, reference("optim").SGD
    model, grads = lesson_6.momentum_example(mlp)
    optimizer = sgd(model, lr=lesson_6.MOMENTUM_LR, momentum=lesson_6.MOMENTUM_MU)
    lesson_6.run_sgd(model, optimizer, grads)
    inputs = lesson_6.steps_taken([[1.0]], [[[grad]] for grad in lesson_6.MOMENTUM_GRADS],
                                  lr=lesson_6.MOMENTUM_LR, momentum=lesson_6.MOMENTUM_MU)
    for quantity, value in (("param", model.layers[0].params["W"]), ("velocity", optimizer.velocity[0]["W"])):
        status = audit("Lesson 6, task 1", quantity, value, inputs, bar=1e-10)
        assert set(status.values()) == {"named"}, status
    model, grads = lesson_6.plain_example(mlp)
    lesson_6.run_sgd(model, sgd(model, lr=lesson_6.PLAIN_LR), grads)
    status = audit("Lesson 6, task 1", "param", model.layers[2].params["b"],
                   lesson_6.steps_taken([lesson_6.B_START], [lesson_6.PLAIN_GRAD], lr=lesson_6.PLAIN_LR), bar=1e-10)
    assert {key for key, said in status.items() if said == "named"} >= {"sgd-rebinds", "sgd-wrong-sign", "sgd-lr-ignored"}
    assert not [said for said in status.values() if said.startswith("coincides")], status


@pytest.mark.parametrize("name, value", [("g_full", np.inf), ("g_full", np.nan), ("g_second", np.inf),
                                         ("g_second", np.nan), ("g_first", np.nan)])
def test_a_hand_answer_of_nan_or_inf_fails_task_4(name, value):
    """A number a student can type (float("nan"), 1e999): the alternatives built from it are no
    numbers, and they name nothing (comparing them failed the judge itself, a grader error)."""
    values = {key: records.encode(np.array(0.1)) for key in ("g_full", "g_first", "g_second", "w_full", "w_epoch")}
    values[name] = records.encode(np.array(value))
    outputs = [nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                   "data": records.record("Lesson 6, task 4", {"your numbers": values})})]
    assert not judge.judge("Lesson 6, task 4", outputs).passed
