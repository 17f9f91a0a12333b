"""Every lesson: a typical student bug costs exactly its own task, and earlier bugs are not charged again.

Each case plants a bug in a copy of the reference library (or in a solution cell of the source
notebook), runs the source notebook as nbgrader's autograde runs it (every cell but the demos
grading skips: visible checks and hidden tests) and compares the graded cells that failed, i.e. that score 0, with the cells of the
task the bug belongs to. All cases run once, two notebooks at a time (each in its own kernel), in
a module fixture; each case is then its own test. The generic checks (notebooks run, validate,
skeleton reports, no leaks, reproducible build) are in test_lessons.py.
"""

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers.lesson_runs import NAMES, WORKERS, errors_by_cell, execute, folder_with, graded_cells, judged, source
from backprop_course.autograder.bug_planting import NOTEBOOK, STUBBED, plant

pytestmark = pytest.mark.slow


# (id, lesson, {module: [(reference line, buggy line)] or STUBBED}, graded cells that must fail,
#  (cell, text its output must contain) or None)
CASES = [
    # Lesson 1: hand-computed numbers, local derivatives (task 3), the backward sweep (task 4).
    ("l1-forward-value-wrong", "01_computation_graph",
     {NOTEBOOK: [("y, L = -0.5, 1.125", "y, L = -0.5, 1.5")]}, {"task1-check"}, ("task1-check", "WRONG  L = (y - t)^2 / 2")),
    ("l1-relu-value-wrong", "01_computation_graph",
     {NOTEBOOK: [("a3, h3, a4, h4 = 0.25, 0.25, 2.0, 2.0", "a3, h3, a4, h4 = 0.25, 0.0, 2.0, 2.0")]}, {"task1-check"},
     ("task1-check", "WRONG  h3 = relu(a3)")),
    ("l1-gradient-path-missed", "01_computation_graph",
     {NOTEBOOK: [("dL_dh1, dL_dh2 = -3.75, 1.5", "dL_dh1, dL_dh2 = -3.0, 1.5")]}, {"task2-check"}, None),
    ("l1-gradient-value-wrong", "01_computation_graph",
     {NOTEBOOK: [("dL_dw5, dL_dw6, dL_dw7, dL_dw8 = 0.75, 2.25, -0.375, -3.0",
                  "dL_dw5, dL_dw6, dL_dw7, dL_dw8 = 0.75, 2.25, -0.375, 3.0")]}, {"task2-check"}, None),
    ("l1-mul-grads-swapped", "01_computation_graph",
     {"graph.py": [("return (other.value, self.value)", "return (self.value, other.value)")]},
     {"task3-check"}, ("task3-check", "WRONG  d(a * b)")),
    ("l1-tanh-grad-as-1-minus-out", "01_computation_graph",
     {"graph.py": [("return (1.0 - out * out,)", "return (1.0 - out,)")]}, {"task3-check"}, None),
    ("l1-backward-overwrites", "01_computation_graph",
     {"graph.py": [("parent.grad += local * node.grad", "parent.grad = local * node.grad")]},
     {"task4-check"}, ("task4-check", "which flowed into it")),
    ("l1-backward-in-forward-order", "01_computation_graph",
     {"graph.py": [("for node in reversed(order):", "for node in order:")]}, {"task4-check"}, None),
    # Lesson 2: Linear.forward (task 1), param_backward (task 2), backward's dx (task 3).
    ("l2-forward-without-bias", "02_linear_layer",
     {"layers.py": [('return x @ self.params["W"] + self.params["b"]', 'return x @ self.params["W"]')]},
     {"task1-check"}, ("task1-check", "out (2 samples)")),
    ("l2-forward-zeroes-its-input", "02_linear_layer",
     {"layers.py": [('return x @ self.params["W"] + self.params["b"]',
                     'out = x @ self.params["W"] + self.params["b"]\n        x[...] = 0\n        return out')]},
     {"task1-check"}, ("task1-check", "forward must not modify its input")),
    ("l2-db-as-mean", "02_linear_layer",
     {"layers.py": [('self.grads["b"] = grad_out.sum(axis=0)', 'self.grads["b"] = grad_out.mean(axis=0)')]},
     {"task2-check"}, ("task2-check", "dL/db")),
    ("l2-dW-transposed", "02_linear_layer",
     {"layers.py": [('self.grads["W"] = self.cache.T @ grad_out', 'self.grads["W"] = grad_out.T @ self.cache')]},
     {"task2-check"}, ("task2-check", "dL/dW")),
    ("l2-dx-without-transpose", "02_linear_layer",
     {"layers.py": [('return grad_out @ self.params["W"].T', 'return grad_out @ self.params["W"]')]},
     {"task3-check"}, ("task3-check", "your code raised ValueError")),
    ("l2-dx-zeros", "02_linear_layer",
     {"layers.py": [('return grad_out @ self.params["W"].T', "return np.zeros_like(self.cache)")]},
     {"task3-check"}, ("task3-check", "dL/dx")),
    # Lesson 3: relu (task 1), sigmoid (task 2), tanh (task 3), each with its derivative.
    ("l3-relu-grad-from-wrong-side", "03_activations",
     {"layers.py": [("return (out > 0).astype(out.dtype)", "return (out >= 0).astype(out.dtype)")]},
     {"task1-check"}, ("task1-check", "WRONG  relu_derivative(out)")),
    ("l3-relu-in-place", "03_activations",
     {"layers.py": [("return np.maximum(x, 0)", "return np.maximum(x, 0, out=x)")]},
     {"task1-check"}, ("task1-check", "do not modify the input")),
    ("l3-sigmoid-overflows", "03_activations",
     {"layers.py": [("return np.where(x >= 0, 1, e) / (1 + e)", "return 1 / (1 + np.exp(-x))")]},
     {"task2-check"}, ("task2-check", "overflows")),
    ("l3-sigmoid-grad-wrong", "03_activations",
     {"layers.py": [("return out * (1 - out)", "return out * (1 + out)")]}, {"task2-check"}, None),
    ("l3-tanh-grad-as-1-minus-out", "03_activations",
     {"layers.py": [("return 1 - out * out", "return 1 - out")]}, {"task3-check"}, None),
    ("l3-tanh-overflows", "03_activations",
     {"layers.py": [("return np.tanh(x)", "return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))")]},
     {"task3-check"}, ("task3-check", "overflows")),
    # Lesson 4: MSE (task 1), BCE with logits (task 2), log_softmax and softmax cross-entropy (task 3).
    ("l4-mse-not-averaged", "04_losses",
     {"losses.py": [("return float(np.mean(diff * diff))", "return float(np.sum(diff * diff))"),
                    ("return (2.0 / diff.size) * diff", "return 2.0 * diff")]},
     {"task1-mseloss-values", "task1-mseloss-gradients", "task1-mseloss-edge"}, ("task1-mseloss-values", "WRONG  loss of the example")),
    ("l4-mse-grad-without-2", "04_losses",
     {"losses.py": [("return (2.0 / diff.size) * diff", "return diff / diff.size")]},
     {"task1-mseloss-gradients", "task1-mseloss-edge"}, None),
    ("l4-bce-grad-not-divided-by-n", "04_losses",
     {"losses.py": [("return (sigmoid(scores) - y) / scores.shape[0]", "return sigmoid(scores) - y")]},
     {"task2-bcewithlogitsloss-gradients", "task2-bcewithlogitsloss-edge"}, None),
    ("l4-bce-naive", "04_losses",
     {"losses.py": [("softplus = np.maximum(scores, 0) + np.log1p(np.exp(-np.abs(scores)))",
                     "softplus = np.log(1 + np.exp(scores))")]},
     {"task2-bcewithlogitsloss-edge"}, None),
    ("l4-softmax-grad-without-one-hot", "04_losses",
     {"losses.py": [("grad[np.arange(len(y)), y] -= 1", "grad = grad")]},
     {"task3-softmaxcrossentropyloss-gradients", "task3-softmaxcrossentropyloss-edge"}, None),
    ("l4-softmax-without-max-shift", "04_losses",
     {"losses.py": [("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")]},
     {"task3-log-softmax-huge", "task3-softmaxcrossentropyloss-edge"},
     ("task3-log-softmax-huge", "overflow encountered in exp")),
    ("l4-lesson-3-sigmoid-overflows", "04_losses",
     {"layers.py": [("return np.where(x >= 0, 1, e) / (1 + e)", "return 1 / (1 + np.exp(-x))")]}, set(), None),
    ("l4-lesson-3-sigmoid-mirrored", "04_losses",
     {"layers.py": [("return np.where(x >= 0, 1, e) / (1 + e)", "return np.where(x >= 0, e, 1) / (1 + e)")]},
     set(), None),
    # Lesson 5: MLP.forward (task 1), MLP.backward (task 2), count_parameters (task 3).
    ("l5-forward-not-chained", "05_mlp",
     {"mlp.py": [("x = layer.forward(x)\n        return x", "out = layer.forward(x)\n        return out")]},
     {"task1-forward"}, ("task1-forward", "the input of sine 1 is wrong")),
    ("l5-forward-skips-the-last-layer", "05_mlp",
     {"mlp.py": [("        for layer in self.layers:\n", "        for layer in self.layers[:-1]:\n")]},
     {"task1-forward"}, None),
    ("l5-backward-in-forward-order", "05_mlp",
     {"mlp.py": [("for layer in reversed(self.layers[1:]):", "for layer in self.layers[1:]:")]},
     {"task2-backward", "task2-gradcheck", "task2-input-grad"},
     ("task2-backward", "the gradient into layer 3 is wrong")),
    ("l5-input-grad-ignored", "05_mlp",
     {"mlp.py": [("if not input_grad:", "if False:")]}, {"task2-input-grad"}, ("task2-input-grad", "return None")),
    ("l5-count-without-biases", "05_mlp",
     {NOTEBOOK: [("return sum((fan_in + 1) * fan_out", "return sum(fan_in * fan_out")]}, {"task3-count"}, None),
    ("l5-count-biases-per-input", "05_mlp",
     {NOTEBOOK: [("return sum((fan_in + 1) * fan_out", "return sum(fan_in * (fan_out + 1)")]}, {"task3-count"}, None),
    ("l5-lesson-2-bias-gradient", "05_mlp",
     {"layers.py": [('self.grads["b"] = grad_out.sum(axis=0)', 'self.grads["b"] = grad_out.mean(axis=0)')]},
     set(), None),
    ("l5-lessons-2-4-not-done", "05_mlp", {"layers.py": STUBBED, "losses.py": STUBBED}, set(), None),
    # Lesson 6: SGD.step (task 1), plain and with momentum.
    ("l6-sgd-wrong-sign", "06_gradient_descent",
     {"optim.py": [("param -= self.lr * grad", "param += self.lr * grad")]}, {"task1-sgd"}, None),
    ("l6-sgd-rebinds-param", "06_gradient_descent",
     {"optim.py": [("param -= self.lr * grad", "param = param - self.lr * grad")]},
     {"task1-sgd"}, ("task1-sgd", "update it in place")),
    ("l6-momentum-wrong-sign", "06_gradient_descent",
     {"optim.py": [("velocity[key] -= self.lr * grad", "velocity[key] += self.lr * grad")]},
     {"task1-momentum"}, None),
    # Lesson 6, tasks 2-4: numbers and functions in the notebook.
    ("l6-step-predicted-is-L", "06_gradient_descent",
     {NOTEBOOK: [("L_predicted, L_new = 0.954984375, 0.961528676044", "L_predicted, L_new = 1.125, 0.961528676044")]},
     {"task2-step"}, ("task2-step", "L_predicted follows from the gradients")),
    ("l6-step-w1-up-the-gradient", "06_gradient_descent", {NOTEBOOK: [('"w1": 0.5075', '"w1": 0.4925')]},
     {"task2-step"}, ("task2-step", "L_new is the loss of your new weights")),
    ("l6-rate-factor-sign", "06_gradient_descent",
     {NOTEBOOK: [("return 1 - lr * curvature", "return 1 + lr * curvature")]}, {"task3-rate"},
     ("task3-rate", "step_factor = the measured ratio")),
    ("l6-rate-one-step", "06_gradient_descent", {NOTEBOOK: [("return 2 / curvature", "return 1 / curvature")]},
     {"task3-rate"}, ("task3-rate", "a larger rate still approaches the minimum")),
    ("l6-batches-summed", "06_gradient_descent",
     {NOTEBOOK: [("g_full, g_first, g_second = -7.5, -3.0, -12.0", "g_full, g_first, g_second = -15.0, -3.0, -12.0")]},
     {"task4-batches"}, ("task4-batches", "your three gradients fit together")),
    ("l6-epoch-at-the-start", "06_gradient_descent",
     {NOTEBOOK: [("w_full, w_epoch = 1.375, 1.675", "w_full, w_epoch = 1.375, 1.75")]}, {"task4-batches"},
     ("task4-batches", "the second minibatch's gradient")),
    ("l6-lessons-2-5-not-done", "06_gradient_descent",
     {"layers.py": STUBBED, "losses.py": STUBBED, "mlp.py": STUBBED}, set(), None),
]


def grade(case, tmp_path):
    """(points per graded cell, {failed cell: (ename, evalue, output)}) for one case."""
    name, lesson, bugs, _, _ = case
    (tmp_path / name).mkdir()
    folder = folder_with(tmp_path / name, "reference")
    nb = source(lesson)
    plant(folder, nb, bugs)
    points = {cell.id: cell.metadata["nbgrader"]["points"] for cell in graded_cells(nb)}
    execute(nb, folder, allow_errors=True, as_graded=True)
    failed = errors_by_cell(judged(nb))  # as grading does: the judge decides the judged cells
    return points, {cell: failed[cell] for cell in failed if cell in points}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """{case id: grade(case)} for every case whose lesson is authored, WORKERS at a time."""
    tmp_path = tmp_path_factory.mktemp("planted")
    cases = [case for case in CASES if case[1] in NAMES]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = pool.map(lambda case: grade(case, tmp_path), cases)
        return dict(zip((case[0] for case in cases), results))


def task_of(cell_id):
    """The task a graded cell belongs to: "task2" for "task2-check", "task1" for "task1-mseloss-edge"."""
    return re.match(r"task\d+", cell_id)[0]


def test_every_task_of_every_lesson_has_at_least_two_planted_bugs():
    planted = Counter((lesson, task) for _, lesson, _, must_fail, _ in CASES
                      for task in {task_of(cell) for cell in must_fail})
    for lesson in NAMES:
        for task in {task_of(cell.id) for cell in graded_cells(source(lesson))}:
            assert planted[lesson, task] >= 2, f"{lesson}, {task}: plant at least two typical bugs"


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_student_bug_costs_exactly_its_own_task(case, graded):
    name, lesson, _, must_fail, diagnosis = case
    if lesson not in NAMES:
        pytest.skip(f"{lesson} not authored")
    points, failed = graded[name]
    assert must_fail <= set(points), f"unknown cells in {must_fail}: update this test"
    assert set(failed) == must_fail, (
        f"{name}: expected exactly {sorted(must_fail)} to lose points, got {sorted(failed)}:\n"
        + "\n".join(f"{cell}: {ename}: {evalue}" for cell, (ename, evalue, _) in failed.items()))
    lost = sum(points[cell] for cell in failed)
    print(f"{name}: loses {lost} of {sum(points.values())} points ({sorted(failed)})")
    if diagnosis:
        cell, text = diagnosis
        assert text in failed[cell][2], f"no {text!r} in the output of {cell}:\n{failed[cell][2]}"


def test_the_lesson_2_bug_is_diagnosed_at_its_layer(tmp_path):
    """The whole-network check names the parameter and confirms that what flowed into it was right."""
    if "05_mlp" not in NAMES:
        pytest.skip("05_mlp not authored")
    folder = folder_with(tmp_path, "reference")
    nb = source("05_mlp")
    plant(folder, nb, {"layers.py": [('self.grads["W"] = self.cache.T @ grad_out',
                                      'self.grads["W"] = 2 * self.cache.T @ grad_out')]})
    execute(nb, folder, allow_errors=True, as_graded=True)
    output = errors_by_cell(nb)["whole-check"][2]
    assert "dL/dW of layer 3 is wrong" in output, output
    assert "the gradient into layer 3, which flowed into it, is right" in output, output


def test_hidden_tests_of_lessons_4_to_6_never_import_the_reference():
    for lesson in ("04_losses", "05_mlp", "06_gradient_descent"):
        if lesson not in NAMES:
            continue
        for cell in source(lesson).cells:
            assert "solutions" not in cell.source and "reference_lib" not in cell.source, \
                f"{lesson}, cell {cell.id} refers to the reference library"
