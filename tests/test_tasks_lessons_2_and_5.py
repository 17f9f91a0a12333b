"""The lesson helpers in backprop_course.tasks (lesson_2, lesson_5) that check cells call.

They are tested here against the reference library (the class they are given) and against
deliberately wrong layers, so that a helper that hid a student's bug would fail here.
"""


import numpy as np
import pytest

from backprop_course.checks import CheckFailed, Checks, task
from backprop_course.network import probe_layers
from backprop_course.tasks import lesson_2, lesson_5


# ---- lesson 2 --------------------------------------------------------------------------------

def test_small_layer_is_the_hand_example_in_the_asked_dtype(ref):
    layer = lesson_2.small_layer(ref.layers.Linear)
    np.testing.assert_array_equal(layer.params["W"], [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(layer.params["b"], [0.5, -1.0])
    assert layer.cache is None
    # The notebook's markdown states the example; the reference gives x W + b row by row.
    np.testing.assert_allclose(layer.forward(lesson_2.X_SMALL), [[-3.5, -5.0], [5.5, 7.0]], rtol=1e-12)

    layer32 = lesson_2.small_layer(ref.layers.Linear, np.float32, cache=lesson_2.X_SMALL)
    assert layer32.params["W"].dtype == layer32.params["b"].dtype == layer32.cache.dtype == np.float32
    np.testing.assert_array_equal(layer32.cache, lesson_2.X_SMALL)


def test_small_layer_copies_so_a_layer_cannot_change_the_example(ref):
    layer = lesson_2.small_layer(ref.layers.Linear, cache=lesson_2.X_SMALL)
    layer.params["W"][...] = 0
    layer.cache[...] = 0
    assert lesson_2.W_SMALL[2, 1] == 6.0 and lesson_2.X_SMALL[0, 0] == 1.0


def test_layer_with_takes_its_shape_from_W(ref):
    W, b = np.arange(6.0).reshape(2, 3), np.ones(3)
    layer = lesson_2.layer_with(ref.layers.Linear, W, b, np.float32)
    assert layer.params["W"].shape == (2, 3) and layer.params["W"].dtype == np.float32
    np.testing.assert_array_equal(layer.forward(np.ones((1, 2), np.float32)), [[4.0, 6.0, 8.0]])
    with pytest.raises(ValueError):
        lesson_2.layer_with(ref.layers.Linear, np.ones(3), b)   # W must be (in, out)


def test_only_backward_checks_dx_without_parameter_gradients(ref):
    layer = lesson_2.only_backward(lesson_2.small_layer(ref.layers.Linear, cache=lesson_2.X_SMALL))
    before = {key: grad.copy() for key, grad in layer.grads.items()}
    dx = layer.backward(lesson_2.GRAD_SMALL)
    np.testing.assert_allclose(dx, lesson_2.GRAD_SMALL @ lesson_2.W_SMALL.T, rtol=1e-12)
    for key, grad in layer.grads.items():
        np.testing.assert_array_equal(grad, before[key])   # param_backward never ran


def test_linear_case_is_seeded_and_shaped():
    x, W, b, grad_out = lesson_2.linear_case(22, 4, 5, 3)
    assert (x.shape, W.shape, b.shape, grad_out.shape) == ((4, 5), (5, 3), (3,), (4, 3))
    again = lesson_2.linear_case(22, 4, 5, 3)
    assert all(np.array_equal(a, b) for a, b in zip((x, W, b, grad_out), again))
    assert not np.array_equal(x, lesson_2.linear_case(23, 4, 5, 3)[0])


def test_near_holds_float32_to_float64_relative_to_the_largest_entry():
    expected = np.array([1000.0, 1e-9])
    assert lesson_2.near(expected.astype(np.float32), expected, 1e-5)   # tiny entry: absolute noise ok
    assert not lesson_2.near(expected * (1 + 1e-4), expected, 1e-5)
    assert not lesson_2.near(expected[:1], expected, 1e-5)              # shape differs
    assert not lesson_2.near(np.zeros(2), expected, 1e-5)


def test_slope_error_shows_why_h_matters(ref):
    """float64 errors dip far below the bar near h = 1e-6 and grow at both ends; float32 never
    gets safely below it (the written answer of lesson 2 reads this off the plot)."""
    error64 = {h: lesson_2.slope_error(ref.layers.Linear, np.float64, h) for h in (1e-12, 1e-6, 1e-1)}
    assert error64[1e-6] < 1e-8 < error64[1e-12] and error64[1e-6] < error64[1e-1]
    assert min(lesson_2.slope_error(ref.layers.Linear, np.float32, h) for h in np.logspace(-6, -3, 7)) > 1e-6


def test_a_wrong_backward_shows_in_the_slope_error(ref):
    class Doubled(ref.layers.Linear):
        def param_backward(self, grad_out):
            super().param_backward(grad_out)
            self.grads["W"] = 2 * self.grads["W"]

    assert lesson_2.slope_error(Doubled, np.float64, 1e-6) > 0.3


def test_the_task_3_check_fails_a_zero_dx(ref):
    """What the visible check of task 3 does, with a backward pass that returns zeros."""
    class Zeros(ref.layers.Linear):
        def backward(self, grad_out):
            self.param_backward(grad_out)
            return np.zeros_like(self.cache)

    with pytest.raises(CheckFailed, match="dL/dx"):
        with task("Lesson 2, task 3") as check:
            layer = lesson_2.only_backward(lesson_2.small_layer(Zeros, cache=lesson_2.X_SMALL))
            check.close("dL/dx", layer.backward(lesson_2.GRAD_SMALL.copy()), [[-1.0, -1.0, -1.0], [4.5, 9.5, 14.5]])


def test_the_visible_inputs_let_the_catalogue_name_every_lesson_2_entry(ref):
    from backprop_course.misconceptions import audit

    layer = lesson_2.small_layer(ref.layers.Linear, cache=lesson_2.X_SMALL)
    out = layer.forward(lesson_2.X_SMALL)
    dx = layer.backward(lesson_2.GRAD_SMALL)
    square = lesson_2.square_layer(ref.layers.Linear)
    assert square.params["W"].shape == (2, 2) and square.param_backward(lesson_2.GRAD_SMALL) is None
    square_dx = square.backward(lesson_2.GRAD_SMALL)
    np.testing.assert_allclose(square_dx, lesson_2.GRAD_SMALL @ lesson_2.W_SQUARE.T, rtol=1e-12)
    statuses = [audit("Lesson 2, task 1", "out", out, lesson_2.small_inputs(), 1e-12),
                audit("Lesson 2, task 2", "dL/dW", layer.grads["W"], lesson_2.small_inputs(calls=2), 1e-12),
                audit("Lesson 2, task 2", "dL/db", layer.grads["b"], lesson_2.small_inputs(calls=2), 1e-12),
                audit("Lesson 2, task 3", "dL/dx", dx, lesson_2.small_inputs(), 1e-12),
                audit("Lesson 2, task 3", "dL/dx", square_dx, lesson_2.small_inputs(W=lesson_2.W_SQUARE), 1e-12)]
    named = {key for status in statuses for key, said in status.items() if said == "named"}
    assert named == {key for status in statuses for key in status}, statuses
    assert lesson_2.small_inputs(1)["x"].shape == (1, 3) and lesson_2.small_inputs(W=lesson_2.W_SQUARE)["x"].shape == (2, 2)


def test_graded_cases_are_the_example_its_square_layer_and_the_seeded_cases():
    cases = lesson_2.graded_cases()
    assert [case[0] for case in cases] == ["the example 2x3 -> 2x2", "the example 2x2 -> 2x2",
                                           "1x3 -> 1x2", "4x5 -> 4x3", "6x2 -> 6x7"]
    assert np.array_equal(cases[0][1], lesson_2.X_SMALL) and np.array_equal(cases[1][2], lesson_2.W_SQUARE)
    x, W, b, grad_out = lesson_2.linear_case(22, 4, 5, 3)
    assert all(np.array_equal(a, b) for a, b in zip(cases[3][1:5], (x, W, b, grad_out)))


def test_graded_cases_record_what_the_layer_did_and_never_an_expected_value(ref, monkeypatch):
    """The kernel side of a judged task: one record of every case, with the layer's own results
    (here the reference's) and what the inputs were after the call."""
    from backprop_course import records

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_2.run_graded_cases("Lesson 2, task 1", ref.layers.Linear)
    ((task, cases),) = [records.read({"output_type": "display_data", "data": bundle}) for bundle in shown]
    assert task == "Lesson 2, task 1" and list(cases) == [case[0] for case in lesson_2.graded_cases()]
    name, x, W, b, _ = lesson_2.graded_cases()[3]
    seen = {key: records.decode(value) for key, value in cases[name].items()}
    assert set(seen) == {"out", "x after", "cache", "out float32"}
    np.testing.assert_array_equal(seen["x after"], x)
    assert seen["out float32"].dtype == np.float32


# ---- lesson 5 --------------------------------------------------------------------------------

def test_param_grads_names_and_copies_every_gradient(ref):
    model = ref.mlp.MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=5)
    x = np.random.default_rng(6).normal(size=(2, 3))
    model.forward(x)
    model.backward(np.ones((2, 3)))
    grads = lesson_5.param_grads(model)
    assert list(grads) == [name for name, _, _ in model.named_parameters()]
    assert list(grads) == ["layer1.scale", "layer1.shift", "layer2.scale", "layer2.shift",
                           "layer3.scale", "layer3.shift"]
    np.testing.assert_array_equal(grads["layer3.shift"], [2.0, 2.0, 2.0])   # sum of dL/dscores over the batch
    model.layers[-1].grads["shift"][...] = 0        # a later pass writing in place
    np.testing.assert_array_equal(grads["layer3.shift"], [2.0, 2.0, 2.0])


def test_stand_ins_let_a_reversed_forward_and_a_forward_order_backward_be_named(ref, capsys):
    model = ref.mlp.MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=1)
    x = np.random.default_rng(0).normal(size=(2, 3))
    grad = np.random.default_rng(1).normal(size=(2, 3))
    scores = model.forward(x)
    dx = model.backward(grad)
    given = lesson_5.stand_ins(model.layers, x, grad_out=grad)
    assert given["is_activation"] == [False, True, False, True, False]
    reversed_scores = x
    for layer in reversed(model.layers):
        reversed_scores = layer.forward(reversed_scores)
    check = Checks("Lesson 5, task 1")
    check.close("scores", reversed_scores, scores, inputs=lesson_5.stand_ins(model.layers, x))
    assert "misconception forward-reversed:" in capsys.readouterr().out
    check = Checks("Lesson 5, task 2")
    check.close("dL/dx", dx, dx, inputs=given)
    check.close("backward order", [0, 1, 2, 3, 4], [4, 3, 2, 1, 0], bar=0, inputs=given)
    assert check.failures == ["backward order"]
    assert "misconception backward-forward-order:" in capsys.readouterr().out


def test_a_value_no_layer_produced_reads_in_words_not_as_a_class_name():
    from backprop_course.checks import compare
    from backprop_course.network import LayerNotCalled, NoneReturned

    for missing, words in ((LayerNotCalled(), "was never called"), (NoneReturned(), "returned nothing")):
        error, problem = compare(missing, np.zeros(3))
        assert error is None and words in problem
        assert type(missing).__name__ not in problem
