"""The check helpers of lessons 4 and 6 (backprop_course.tasks), on the reference and on typical bugs.

Each helper must pass the reference and fail, naming the problem, on the bug it exists to catch.
Expected values are computed here with the reference, as the build computes them for the cells.
"""

import re

import numpy as np
import pytest

from backprop_course.checks import Checks
from backprop_course.tasks import lesson_4, lesson_6


def rows(capsys):
    """The rows the checks printed since the last call."""
    return capsys.readouterr().out


# ---- lesson 4: losses --------------------------------------------------------------------------

SPECS = [((2, 3), (2,), "float64"), ((4, 1), (4,), "float32")]


def test_seeded_cases_are_reproducible_and_shaped_as_asked():
    first = lesson_4.seeded_cases(7, SPECS, "classes")
    second = lesson_4.seeded_cases(7, SPECS, "classes")
    for (s1, y1), (s2, y2) in zip(first, second, strict=True):
        assert np.array_equal(s1, s2) and np.array_equal(y1, y2)
    (scores, labels), (scores32, _) = first
    assert scores.shape == (2, 3) and scores.dtype == np.float64 and scores32.dtype == np.float32
    assert labels.dtype.kind == "i" and set(labels) <= {0, 1, 2}
    _, binary = lesson_4.seeded_cases(7, SPECS, "binary")[1]
    assert binary.dtype == np.float32 and set(binary) <= {0.0, 1.0}
    assert not np.array_equal(lesson_4.seeded_cases(8, SPECS, "real")[0][0], scores)
    with pytest.raises(ValueError, match="targets must be 'real', 'binary' or 'classes'"):
        lesson_4.seeded_cases(7, SPECS, "labels")


def reference_expectations(loss_class, cases):
    values, grads = [], []
    for scores, y in cases:
        loss = loss_class()
        values.append(loss.forward(scores.astype(np.float64), y))
        grads.append(loss.backward())
    return values, grads


def test_values_and_gradients_pass_the_reference_and_fail_a_wrong_backward(ref, capsys):
    cases = lesson_4.seeded_cases(4311, [((3, 4), (3,), "float64"), ((5, 2), (5,), "float32")], "classes")
    values, grads = reference_expectations(ref.losses.SoftmaxCrossEntropyLoss, cases)
    check = Checks("T")
    lesson_4.check_values(check, ref.losses.SoftmaxCrossEntropyLoss, cases, values)
    lesson_4.check_gradients(check, ref.losses.SoftmaxCrossEntropyLoss, cases, grads)
    assert check.failures == [] and "hidden: vs differences, (3, 4)" in rows(capsys)

    class NotAveraged(ref.losses.SoftmaxCrossEntropyLoss):
        def backward(self):
            return super().backward() * len(self.cache[-1])

    check = Checks("T")
    lesson_4.check_values(check, NotAveraged, cases, values)
    lesson_4.check_gradients(check, NotAveraged, cases, grads)
    assert check.failures == ["hidden: dL/dscores, (3, 4) float64", "hidden: vs differences, (3, 4)",
                              "hidden: dL/dscores, (5, 2) float32"]
    with pytest.raises(ValueError):  # one expected value per case, never silently fewer
        lesson_4.check_values(Checks("T"), NotAveraged, cases, values[:1])


def test_float32_results_get_the_float32_bar(ref):
    cases = lesson_4.seeded_cases(1, [((6, 2), (6, 2), "float32")], "real")
    values, _ = reference_expectations(ref.losses.MSELoss, cases)
    check = Checks("T")
    lesson_4.check_values(check, ref.losses.MSELoss, cases, [values[0] * (1 + 3e-5)])
    assert check.failures == []
    lesson_4.check_values(check, ref.losses.MSELoss, cases, [values[0] * (1 + 3e-4)])
    assert check.failures == ["hidden: loss, scores (6, 2) float32"]
    assert lesson_4.bar_for(np.zeros(2)) == lesson_4.F64_BAR < lesson_4.F32_BAR


def test_backward_against_differences_catches_a_missing_factor(ref):
    y = np.array([0.0, 2.0, 5.0])
    scores = np.random.default_rng(0).normal(size=(3, 1))
    check = Checks("T")
    assert lesson_4.check_against_differences(check, ref.losses.MSELoss(), scores, y)

    class WithoutTheTwo(ref.losses.MSELoss):
        def backward(self):
            return super().backward() / 2

    assert not lesson_4.check_against_differences(check, WithoutTheTwo(), scores, y)
    assert check.failures == ["backward vs differences"]


def naive_bce(ref):
    class Naive(ref.losses.BCEWithLogitsLoss):
        def forward(self, scores, y):
            self.cache = scores, y
            return float(np.mean(np.log(1 + np.exp(scores)) - y * scores))
    return Naive


def test_strict_forward_backward_turns_an_overflow_into_a_failed_row(ref, capsys):
    scores, y = np.array([1e4, -1e4, 0.0]), np.array([1, 0, 1])
    check = Checks("T")
    value, grad = lesson_4.strict_forward_backward(check, ref.losses.BCEWithLogitsLoss(), scores, y)
    assert np.isfinite(value) and grad.shape == (3,) and check.failures == []
    assert lesson_4.strict_forward_backward(check, naive_bce(ref)(), scores, y) is None
    assert check.failures == ["no overflow at huge scores"] and "overflow encountered in exp" in rows(capsys)
    assert lesson_4.strict_call(check, "log", np.log, np.array([0.0])) is None
    assert lesson_4.strict_call(check, "sum", np.add, 1.0, 2.0) == 3.0
    assert check.failures[1:] == ["log"]


def test_huge_float32_scores(ref, capsys):
    scores, y = np.array([1e4, -1e4, 0.0]), np.array([1, 1, 0])
    loss = ref.losses.BCEWithLogitsLoss()
    value, grad = loss.forward(scores, y), loss.backward()
    check = Checks("Lesson 4, task 2 (graded)")
    lesson_4.check_huge_float32(check, ref.losses.BCEWithLogitsLoss, scores, y, value, grad)
    assert check.failures == []
    lesson_4.check_huge_float32(check, naive_bce(ref), scores, y, value, grad)
    # After the overflow the loss is computed again with warnings silenced: its inf is named.
    assert check.failures == ["hidden: no overflow at huge float32 scores", "hidden: huge float32 loss"]
    assert "misconception bce-naive-overflow:" in rows(capsys)
    lesson_4.check_huge_float32(check, ref.losses.BCEWithLogitsLoss, scores, y, value + 1.0, grad)
    assert check.failures[2:] == ["hidden: huge float32 loss"]


def test_hygiene_catches_modified_inputs_a_cache_changed_in_place_and_the_wrong_dtype(ref):
    cases = lesson_4.seeded_cases(4101, [((4, 3), (4, 3), "float32")], "real")
    check = Checks("T")
    lesson_4.check_hygiene(check, ref.losses.MSELoss, cases)
    assert check.failures == []

    class Careless(ref.losses.MSELoss):
        def forward(self, scores, y):
            value = super().forward(scores, y)
            scores -= y   # modifies the caller's scores
            return value

        def backward(self):
            self.cache *= 2  # a second backward() differs
            return np.asarray(super().backward(), dtype=np.float64)

    lesson_4.check_hygiene(check, Careless, lesson_4.seeded_cases(4101, [((4, 3), (4, 3), "float32")], "real"))
    assert check.failures == ["hidden: inputs unchanged, (4, 3)", "hidden: backward repeatable, (4, 3)",
                              "hidden: gradient dtype, (4, 3) float32"]


def test_log_softmax_rows(ref):
    cases = lesson_4.seeded_cases(4301, [((3, 7), (3,), "float64"), ((5, 4), (5,), "float32")], "classes")
    want = [ref.losses.log_softmax(scores.astype(np.float64)) for scores, _ in cases]
    check = Checks("T")
    lesson_4.check_log_softmax(check, ref.losses.log_softmax, cases, want)
    assert check.failures == []

    def in_place(scores):
        scores -= np.log(np.exp(scores).sum(axis=1, keepdims=True))
        return scores

    lesson_4.check_log_softmax(check, in_place, cases, want)
    assert check.failures == ["hidden: scores unchanged, (3, 7)", "hidden: scores unchanged, (5, 4)"]


def test_loss_inputs_recover_the_probabilities_from_the_expected_gradient(ref):
    scores, y = np.array([[0.5], [-2.0], [3.0]]), np.array([1, 0, 0])
    loss = ref.losses.BCEWithLogitsLoss()
    loss.forward(scores, y)
    inputs = lesson_4.loss_inputs(scores, y, loss.backward())
    assert np.allclose(inputs["probs"], 1 / (1 + np.exp(-scores)), rtol=1e-12)
    scores, labels = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), np.array([2, 0])
    loss = ref.losses.SoftmaxCrossEntropyLoss()
    loss.forward(scores, labels)
    inputs = lesson_4.loss_inputs(scores, labels, loss.backward())
    assert np.allclose(inputs["probs"], ref.losses.softmax(scores), rtol=1e-12)
    assert set(lesson_4.loss_inputs(scores, labels)) == {"scores", "y"}


def test_an_overflowing_log_softmax_fails_its_row_and_is_named(ref, capsys):
    scores = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    want = ref.losses.log_softmax(scores)
    check = Checks("Lesson 4, task 3")
    names = ("no overflow", "log_softmax at 1000")
    lesson_4.check_log_softmax_at(check, ref.losses.log_softmax, scores, want, 1e-12, names)
    assert check.failures == []

    def unshifted(s):
        return s - np.log(np.exp(s).sum(axis=1, keepdims=True))

    lesson_4.check_log_softmax_at(check, unshifted, scores, want, 1e-12, names)
    assert check.failures == list(names)
    assert "misconception log-softmax-naive-overflow:" in rows(capsys)


# ---- lesson 6: SGD -------------------------------------------------------------------------------

def test_set_gradients_fills_every_gradient(ref):
    model = ref.mlp.MLP(2, (3,), 1, rng=0)
    lesson_6.set_gradients(model, 2.0)
    for _, layer, key in model.named_parameters():
        assert layer.grads[key].shape == layer.params[key].shape and np.all(layer.grads[key] == 2.0)


def test_seeded_models_are_reproducible_with_a_gradient_per_parameter_and_step(ref):
    model, grads = lesson_6.seeded_model(ref.mlp.MLP, 2, (3, 3), 1, "float32", 6103)
    again, grads_again = lesson_6.seeded_model(ref.mlp.MLP, 2, (3, 3), 1, "float32", 6103)
    assert np.array_equal(lesson_6.parameters_vector(model), lesson_6.parameters_vector(again))
    assert len(grads) == lesson_6.MAX_STEPS
    for step, step_again in zip(grads, grads_again):
        for name, layer, key in model.named_parameters():
            assert step[name].shape == layer.params[key].shape and step[name].dtype == np.float32
            assert np.array_equal(step[name], step_again[name])
    assert lesson_6.parameters_vector(model).shape == (2 * 3 + 3 + 3 * 3 + 3 + 3 * 1 + 1,)


def plain_truth(ref, case):
    """The parameters after each step of plain SGD, computed here by hand: theta - lr * sum of grads."""
    fan_in, hidden, fan_out, dtype, lr, _, steps, seed = case
    model, _ = lesson_6.seeded_model(ref.mlp.MLP, fan_in, hidden, fan_out, "float64", seed)
    _, grads = lesson_6.seeded_model(ref.mlp.MLP, fan_in, hidden, fan_out, dtype, seed)
    start = lesson_6.parameters_vector(model)
    flat = [np.concatenate([step[name].astype(np.float64).ravel() for name, _, _ in model.named_parameters()])
            for step in grads[:steps]]
    return start - lr * np.cumsum(flat, axis=0)


@pytest.mark.parametrize("case", [(3, (4,), 2, "float64", 0.05, 0.0, 2, 6101),
                                  (2, (3, 3), 1, "float32", 0.1, 0.0, 2, 6103)])
def test_check_sgd_passes_the_reference_and_fails_a_wrong_sign(ref, case, capsys):
    expected = plain_truth(ref, case)
    check = Checks("Lesson 6, task 1")
    lesson_6.check_sgd(check, ref.mlp.MLP, ref.optim.SGD, case, expected)
    assert check.failures == [], rows(capsys)

    class Ascent(ref.optim.SGD):  # the sign bug: param += lr * grad
        def step(self):
            self.lr = -abs(self.lr)
            super().step()

    lesson_6.check_sgd(check, ref.mlp.MLP, Ascent, case, expected)
    label = f"hidden: MLP({case[0]}, {case[1]}, {case[2]}) {case[3]}, lr={case[4]}, momentum=0.0, 2 steps"
    assert check.failures == [f"{label}: values", f"{label}: after the last step"]
    printed = rows(capsys)
    assert re.search(r"2 steps: values +step \d, layer\d\.[Wb] is off by \d", printed)
    assert "misconception sgd-wrong-sign:" in printed


def test_check_sgd_fails_an_update_that_rebinds_or_touches_the_gradient(ref):
    case = (2, (2,), 1, "float64", 0.3, 0.0, 2, 6106)
    expected = plain_truth(ref, case)

    class Rebinds(ref.optim.SGD):
        def step(self):
            for layer in self.layers:
                for key in layer.params:
                    layer.params[key] = layer.params[key] - self.lr * layer.grads[key]

    class ZeroesGradients(ref.optim.SGD):
        def step(self):
            super().step()
            for layer in self.layers:
                for grad in layer.grads.values():
                    grad[...] = 0

    for optimizer in (Rebinds, ZeroesGradients):
        check = Checks("T")
        lesson_6.check_sgd(check, ref.mlp.MLP, optimizer, case, expected)
        assert check.failures == [f"hidden: MLP(2, (2,), 1) float64, lr=0.3, momentum=0.0, 2 steps: in place"]


def test_update_error_scales_float32_by_the_array_not_each_element():
    want = np.array([1e-9, 2.0])
    got = want + np.array([1e-7, 0.0])
    assert lesson_6.update_error(got, want, "float32") == pytest.approx(1e-7 / 3)
    assert lesson_6.update_error(got, want, "float64") > 0.9  # elementwise: the tiny value is all wrong
