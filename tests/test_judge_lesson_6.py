"""Lesson 6 judged in the grader: records in, verdicts out (autograder/judge/lesson_6.py).

The records are made by the kernel-side code itself (``lesson_6.run_graded_cases`` with a stand-in
``display``) from the reference, from planted bugs, or forged. Each planted bug must fail exactly
its own task and get only a name that reproduces it; no row may show an expected value. The
notebook-level attacks (the whole lesson run in a kernel, then judged) are at the end.
"""

import base64
import json
import re

import nbformat
import numpy as np
import pytest

from backprop_course import check_rows, records
from backprop_course.autograder import judge
from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks import lesson_6
from helpers.verdict_attacks import FORGE, GUARDS, SINK, SWALLOW, emit_twice

PLAIN, MOMENTUM = "Lesson 6, task 1: plain", "Lesson 6, task 1: momentum"
STEP, RATE, BATCHES = "Lesson 6, task 2", "Lesson 6, task 3", "Lesson 6, task 4"
LABELS = [PLAIN, MOMENTUM, STEP, RATE, BATCHES]
RIGHT_WEIGHTS = {name: w - lesson_6.HAND_LR * lesson_6.SLIDE_GRADS[name] for name, w in lesson_6.SLIDE_WEIGHTS.items()}
RIGHT = {STEP: (RIGHT_WEIGHTS, 0.954984375, 0.961528676044),
         RATE: (lambda lr, curvature: 1 - lr * curvature, lambda curvature: 2 / curvature),
         BATCHES: (-7.5, -3.0, -12.0, 1.375, 1.675)}


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


def expected_values():
    """The graded cases' expected values as the feedback could show them: each number to 4 and 6
    significant digits (|x| > 1e-3), and each seeded array's bytes in base64."""
    mlp, sgd = reference("mlp").MLP, reference("optim").SGD
    arrays = []
    for momentum in (False, True):
        for _, build, lr, mu, steps, dtype in lesson_6.sgd_cases(momentum)[1:]:
            model, grads = build(mlp)
            optimizer = sgd(model, lr=lr, momentum=mu)
            after, _ = lesson_6.run_sgd(model, optimizer, grads[:steps])
            arrays += [after, lesson_6.velocity_vector(model, optimizer)]
    for _, lr, curvature in lesson_6.bowl_cases():
        arrays += [1 - lr * curvature, 2 / curvature]
    hand = [*RIGHT_WEIGHTS.values(), *RIGHT[STEP][1:], *RIGHT[BATCHES]]
    numbers = {f"{value:.{digits}g}" for array in [*arrays, np.array(hand)] for value in np.ravel(array)
               for digits in (4, 6) if abs(value) > 1e-3}
    encoded = {base64.b64encode(np.asarray(array, dtype).tobytes()).decode()[:24]
               for array in arrays for dtype in (np.float64, np.float32)}
    return numbers, encoded


def test_no_row_of_a_wrong_submission_shows_an_expected_value():
    numbers, encoded = expected_values()
    wrong_hand = {key: answer for key, answer, _, _ in (WRONG_HAND[case] for case in
                                                         ("step-sign", "rate-plus", "batches-at-start"))}
    for found in (verdicts(sgd_with(average), **wrong_hand), verdicts(sgd_with(ascend))):
        text = json.dumps([[verdict.lines, [row.__dict__ for row in verdict.rows], verdict.message]
                           for verdict in found.values()])
        shown = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)) & numbers
        assert not shown, sorted(shown)[:5]
        assert not [chunk for chunk in encoded if chunk in text]


# ---- the whole lesson in a kernel, with verdict-rewriting attacks ------------------------------

ASCEND = [("velocity[key] -= self.lr * grad", "velocity[key] += self.lr * grad"),
          ("param -= self.lr * grad", "param += self.lr * grad")]
TWICE = emit_twice(6)
# Displayed by the student's own step() while the graded cases run: a record of right-looking
# zeros for every case and the judge's rows mimetype claiming a pass.
PRINTS = """
import IPython.display as _display
import backprop_course.tasks.lesson_6 as _lesson
_step = SGD.step

def _forging_step(self):
    for label in ("Lesson 6, task 1: plain", "Lesson 6, task 1: momentum"):
        cases = {case[0]: {"after": _records_encode(0.0)} for case in _lesson.GRADED[label][0]()}
        _display.display({"application/vnd.backprop-course.observation+json": {"task": label, "cases": cases},
                          "application/vnd.backprop-course.rows+json": {"task": label, "passed": True, "rows": []},
                          "text/plain": "all checks passed"}, raw=True)
    _step(self)

from backprop_course.records import encode as _records_encode
SGD.step = _forging_step
"""


def lesson_scores(tmp_path, top="", bottom=""):
    """({graded cell: points scored}, the judged notebook) of lesson 6 with the ASCEND bug in a
    copy of the reference library, ``top`` and ``bottom`` added to its optim.py."""
    from nbgrader.utils import determine_grade
    from helpers.lesson_runs import execute, folder_with, graded_cells, judged, source

    folder = folder_with(tmp_path, "reference")
    path = folder / "backprop_lib" / "optim.py"
    text = path.read_text()
    for line, bug in ASCEND:
        assert text.count(line) == 1, line
        text = text.replace(line, bug)
    path.write_text(top + text + bottom)
    nb = source("06_gradient_descent")
    execute(nb, folder, allow_errors=True, as_graded=True)
    nb = judged(nb)
    return {cell.id: determine_grade(cell)[0] for cell in graded_cells(nb)}, nb


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):

    runs = {"wrong": ("", ""), "everything": (SINK + GUARDS + FORGE + SWALLOW + TWICE, ""), "prints": ("", PRINTS)}
    return {name: lesson_scores(tmp_path_factory.mktemp(name), top, bottom) for name, (top, bottom) in runs.items()}


@pytest.mark.slow
def test_the_wrong_code_loses_task_1_only(attacked):
    scores, _ = attacked["wrong"]
    assert scores["task1-sgd"] == scores["task1-momentum"] == 0
    assert scores["task2-step"] == 3 and scores["task3-rate"] == 2 and scores["task4-batches"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["everything", "prints"])
def test_an_attack_scores_no_more_than_its_wrong_code(attacked, attack):
    scores, _ = attacked[attack]
    wrong, _ = attacked["wrong"]
    assert all(scores[cell] <= wrong[cell] for cell in wrong), (scores, wrong)


@pytest.mark.slow
def test_no_judged_cell_shows_an_expected_value_or_keeps_a_record(attacked):
    numbers, encoded = expected_values()
    for name, (_, nb) in attacked.items():
        for cell in nb.cells:
            text = json.dumps(cell.get("outputs", []))
            assert records.MIME not in text, (name, cell.id)
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
                # what the judge wrote: its rows and its error (the kernel's own rows show the
                # visible example's values, which the cell's source holds anyway)
                text = json.dumps([output for output in cell.outputs if output.output_type == "error"
                                   or check_rows.ROWS_MIME in output.get("data", {})])
                shown = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)) & numbers
                assert not shown, (name, cell.id, sorted(shown)[:5])
                assert not [chunk for chunk in encoded if chunk in text], (name, cell.id)


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
