"""The lesson helpers of backprop_course.tasks (lessons 1 and 3), run directly: they pass the
reference library and fail, with the row a student reads, the bugs they exist to catch."""

import numpy as np
import pytest

from backprop_course.checks import Checks, diagnose
from backprop_course.tasks import lesson_1, lesson_3
from helpers.reference_library import reference_module

layers = reference_module("layers")
Scalar = reference_module("graph").Scalar


def failures(run, *args, **kwargs):
    """The names of the rows that failed when ``run(check, *args)`` filled a fresh Checks."""
    check = Checks("test")
    run(check, *args, **kwargs)
    return check.failures


# ---- lesson 3: activations ----------------------------------------------------------------------

def test_central_difference_is_the_slope_at_every_entry():
    x = np.array([[-1.5, 0.2], [0.9, 3.0]])
    assert np.allclose(lesson_3.central_difference(np.tanh, x), 1 - np.tanh(x) ** 2, rtol=1e-8, atol=0)
    assert lesson_3.central_difference(np.tanh, x).shape == (2, 2)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_check_elementwise_passes_the_reference(name, capsys):
    f, derivative = layers.ACTIVATIONS[name], layers.DERIVATIVES[name]
    assert failures(lesson_3.check_elementwise, f, derivative) == []
    assert "ok     float32 stays float32" in capsys.readouterr().out


def in_place_relu(x):
    return np.maximum(x, 0, out=x)


def float64_relu_derivative(out):
    return (out > 0).astype(np.float64)


def tanh_derivative_from_input_formula(out):
    return 1 - out


@pytest.mark.parametrize("f, derivative, failed", [
    (in_place_relu, layers.relu_derivative, ["x unchanged"]),
    (layers.relu, float64_relu_derivative, ["float32 stays float32"]),
    (layers.tanh, tanh_derivative_from_input_formula, ["slope vs central differences"]),
])
def test_check_elementwise_fails_each_bug_in_its_own_row(f, derivative, failed):
    assert failures(lesson_3.check_elementwise, f, derivative) == failed


def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_check_extremes_passes_a_stable_sigmoid_and_names_an_overflow(capsys):
    args = dict(x=[-1000.0, 1000.0], expected=[0.0, 1.0])
    assert failures(lesson_3.check_extremes, layers.sigmoid, **args) == []
    # Right values, then the overflow: two rows of their own, never ok and WRONG under one label.
    assert failures(lesson_3.check_extremes, naive_sigmoid, **args) == ["naive_sigmoid at x = -1000, 1000: no overflow"]
    assert "overflow encountered in exp" in capsys.readouterr().out
    assert failures(lesson_3.check_extremes, layers.sigmoid, x=[-1000.0, 1000.0], expected=[0.0, 0.5]) \
        == ["sigmoid at x = -1000, 1000"]


def judged(label, f, derivative, monkeypatch):
    """The judge's Verdict of lesson 3's task ``label`` for the activation f and its derivative:
    the kernel side records them (``run_graded_cases``), the grader's judge decides."""
    import nbformat

    from backprop_course.autograder import judge

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_3.run_graded_cases(label, f, derivative)
    return judge.judge(label, [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
                               for bundle in shown])


@pytest.mark.parametrize("k, name", [(1, "relu"), (2, "sigmoid"), (3, "tanh")])
def test_the_judge_passes_the_reference_activations(k, name, monkeypatch):
    verdict = judged(f"Lesson 3, task {k}", layers.ACTIVATIONS[name], layers.DERIVATIVES[name], monkeypatch)
    assert verdict.passed, verdict.lines


def test_the_judge_tells_a_wrong_derivative_from_a_wrong_function_and_names_it(monkeypatch):
    verdict = judged("Lesson 3, task 3", layers.tanh, tanh_derivative_from_input_formula, monkeypatch)
    failed = [row.name for row in verdict.rows if not row.ok]
    assert failed and all(name.startswith(("tanh and its derivative", "tanh: float32 values",
                                           "tanh: your derivative vs central differences")) for name in failed)
    assert "tanh_derivative(out) is wrong" in "\n".join(verdict.lines)
    assert {row.key for row in verdict.rows if row.kind == "misconception"} == {"tanh-one-minus-out"}
    assert "got" not in "\n".join(verdict.lines) and "expected [" not in "\n".join(verdict.lines)


def test_the_judge_fails_an_overflowing_sigmoid(monkeypatch):
    verdict = judged("Lesson 3, task 2", naive_sigmoid, layers.sigmoid_derivative, monkeypatch)
    extremes = [row for row in verdict.rows if row.name.startswith("sigmoid at x = ")]
    # one row for the one mistake: the values at the extremes are right, their formula overflows
    assert [row.ok for row in extremes] == [False] and [row.name for row in verdict.rows if not row.ok] == [
        extremes[0].name]
    assert "right values, but" in "\n".join(verdict.lines) and "overflow" in "\n".join(verdict.lines)


def test_gradient_norms_shows_sigmoid_gradients_vanish():
    norms = {name: lesson_3.gradient_norms(layers.ACTIVATIONS[name], layers.DERIVATIVES[name])
             for name in ("identity", "tanh", "sigmoid")}
    for found in norms.values():   # the last layer gets dL/dh = 1 / h.size on a 32 x 64 batch
        assert len(found) == 30 and found[-1] == pytest.approx(1 / np.sqrt(32 * 64), rel=1e-12)
    assert norms["sigmoid"][0] / norms["sigmoid"][-1] < 1e-15 < 1e-2 < norms["tanh"][0] / norms["tanh"][-1]


def test_gradient_norms_of_two_linear_layers_by_hand():
    rng = np.random.default_rng(0)
    bound = np.sqrt(6.0 / 6)
    _, W2 = rng.uniform(-bound, bound, (3, 3)), rng.uniform(-bound, bound, (3, 3))
    grad = np.ones((2, 3)) / 6   # dL/dh_2 = 1 / h.size; dL/dh_1 = dL/dh_2 W2^T (identity: derivative 1)
    found = lesson_3.gradient_norms(layers.identity, layers.identity_derivative, depth=2, width=3, batch=2)
    assert found == pytest.approx([np.linalg.norm(grad @ W2.T), np.linalg.norm(grad)], rel=1e-12)


# ---- lesson 1: the computation graph ------------------------------------------------------------

GIVEN_X, GIVEN_T = 2.0, 1.0
GIVEN_WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}


def test_network_computes_the_lessons_hand_values():
    nodes = lesson_1.network(Scalar, GIVEN_X, GIVEN_T, GIVEN_WEIGHTS)
    nodes["L"].backward()
    values = {name: nodes[name].value for name in ["a1", "h1", "a2", "h2", "a3", "h3", "a4", "h4", "y", "L"]}
    assert values == pytest.approx({"a1": 1.0, "h1": 1.0, "a2": 3.0, "h2": 3.0, "a3": 0.25, "h3": 0.25,
                                    "a4": 2.0, "h4": 2.0, "y": -0.5, "L": 1.125}, rel=1e-12)
    grads = {name: nodes[name].grad for name in GIVEN_WEIGHTS}
    assert grads == pytest.approx({"w1": -7.5, "w2": 3.0, "w3": -3.0, "w4": -9.0, "w5": 0.75, "w6": 2.25,
                                   "w7": -0.375, "w8": -3.0}, rel=1e-12)


def test_draw_network_draws_every_edge_and_node(monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    lesson_1.draw_network(GIVEN_WEIGHTS, {"x": 2.0, "h1": 1.0, "h2": 3.0, "h3": 0.25, "h4": 2.0, "y": -0.5,
                                          "L": 1.125}, {name: 1.0 for name in GIVEN_WEIGHTS})
    texts = [text.get_text() for text in plt.gcf().axes[0].texts]
    plt.close("all")
    assert "w4=-0.25\n∂L/∂w4=1" in texts and "L\n1.125" in texts and len(texts) == 8 + 7


def test_compare_with_engine_marks_each_hand_value(capsys):
    nodes = lesson_1.network(Scalar, GIVEN_X, GIVEN_T, GIVEN_WEIGHTS)
    nodes["L"].backward()
    lesson_1.compare_with_engine({"a1": 1.0, "y": 0.5, "dL_dw1": -7.5, "dL_dw2": None}, nodes)
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows == {"a1": ["1", "1", "ok"], "y": ["0.5", "-0.5", "differs"], "dL_dw1": ["-7.5", "-7.5", "ok"],
                    "dL_dw2": ["-", "3"]}


def test_check_numbers_names_what_is_missing_and_what_is_not_a_number():
    check = Checks("Lesson 1, task 1")
    with pytest.raises(NotImplementedError, match=r"^Lesson 1, task 1: fill in h1, y$"):
        lesson_1.check_numbers(check, a1=1.0, h1=None, y=None)
    assert lesson_1.check_numbers(check, a1=1.0, h1="1.0") == {"a1": 1.0, "h1": "1.0"}
    assert check.failures == ["h1 is a number"]


HAND_FORWARD = {"a1": 1.0, "h1": 1.0, "a2": 3.0, "h2": 3.0, "a3": 0.25, "h3": 0.25, "a4": 2.0, "h4": 2.0,
                "y": -0.5, "L": 1.125}
HAND_GRADS = {"dL_dy": -1.5, "dL_dh3": -3.0, "dL_dh4": 0.75, "dL_dh1": -3.75, "dL_dh2": 1.5, "dL_dw1": -7.5,
              "dL_dw2": 3.0, "dL_dw3": -3.0, "dL_dw4": -9.0, "dL_dw5": 0.75, "dL_dw6": 2.25, "dL_dw7": -0.375,
              "dL_dw8": -3.0}
HAND_WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}


def test_hand_gradients_are_the_engines_on_the_lessons_network():
    nodes = lesson_1.network(Scalar, 2.0, 1.0, HAND_WEIGHTS)
    nodes["L"].backward()
    assert {name: nodes[name[4:]].grad for name in HAND_GRADS} == HAND_GRADS
    assert {name: nodes[name].value for name in HAND_FORWARD} == HAND_FORWARD


def test_check_hand_gradients_passes_the_right_answers():
    assert failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, HAND_FORWARD, HAND_GRADS) == []


@pytest.mark.parametrize("wrong, row, named", [
    # dL/dh1 without the path through h4 (and dL/dw1 computed from it): the student
    ({"dL_dh1": -3.0, "dL_dw1": -6.0}, "dL/dh1 = dL/dh3 w3 + dL/dh4 w5", "leaves out the path through h4"),
    # on this network both of dL/dh2's paths give 0.75: which one is left out is not named
    ({"dL_dh2": 0.75, "dL_dw2": 1.5}, "dL/dh2 = dL/dh3 w4 + dL/dh4 w6", "which one is left out cannot be told"),
    ({"dL_dh1": 0.75 * -1.0, "dL_dw1": -1.5}, "dL/dh1 = dL/dh3 w3 + dL/dh4 w5", "leaves out the path through h3"),
    ({"dL_dw6": 0.75}, "dL/dw6 = dL/dh4 h2", "the local derivative of w6 * h2 with respect to w6 is the input h2"),
    ({"dL_dy": 1.5, "dL_dh3": 3.0, "dL_dh4": -0.75, "dL_dh1": 3.75, "dL_dh2": -1.5, "dL_dw1": 7.5, "dL_dw2": -3.0,
      "dL_dw3": 3.0, "dL_dw4": 9.0, "dL_dw5": -0.75, "dL_dw6": -2.25, "dL_dw7": 0.375, "dL_dw8": 3.0},
     "dL/dy = y - t", "dL/dy is t - y"),
])
def test_check_hand_gradients_fails_the_first_inconsistent_answer_and_names_it(capsys, wrong, row, named):
    check = Checks("Lesson 1, task 2")
    lesson_1.check_hand_gradients(check, 2.0, 1.0, HAND_WEIGHTS, HAND_FORWARD, {**HAND_GRADS, **wrong})
    assert check.failures == [row]
    assert named in capsys.readouterr().out


def test_a_task_1_mistake_is_not_charged_again_in_task_2():
    """Right gradients beside a wrong h3 pass, and so do gradients carried on from the wrong h3."""
    wrong_h3 = {**HAND_FORWARD, "h3": 0.0}
    assert lesson_1.forward_values(2.0, 1.0, HAND_WEIGHTS) == HAND_FORWARD
    assert failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, wrong_h3, HAND_GRADS) == []
    assert failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, wrong_h3,
                    {**HAND_GRADS, "dL_dw7": 0.0}) == []
    assert failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, wrong_h3,
                    {**HAND_GRADS, "dL_dw7": 1.0}) == ["dL/dw7 = dL/dy h3"]


def test_a_forward_answer_that_is_no_number_is_not_used_by_the_gradient_rules():
    """A list typed for a1 in task 1 (its own row fails there) beside a wrong dL/dw1: the row
    judges that gradient with the true a1, and checking it never fails on the list."""
    listed = {**HAND_FORWARD, "a1": [1.0, 2.0]}
    wrong = {**HAND_GRADS, "dL_dw1": HAND_GRADS["dL_dw1"] + 0.5}
    assert failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, listed, wrong) == \
        failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, HAND_FORWARD, wrong) != []


def test_gradient_answers_that_are_arrays_fail_their_own_rows_only():
    """dL/dh3 and dL/dh4 typed as arrays of two shapes (or forged so in a record) beside a wrong
    dL/dh1: their rows fail, and dL/dh1's rule, built on both, uses their true values instead of
    failing to broadcast."""
    wrong = {**HAND_GRADS, "dL_dh3": np.zeros((3, 2)), "dL_dh4": np.zeros((2, 2)), "dL_dh1": 0.0}
    found = failures(lesson_1.check_hand_gradients, 2.0, 1.0, HAND_WEIGHTS, HAND_FORWARD, wrong)
    assert [row.split(" = ")[0] for row in found] == ["dL/dh3", "dL/dh4", "dL/dh1"], found


def test_check_hand_gradients_needs_task_1_first():
    with pytest.raises(NotImplementedError, match="forward values of task 1 first .fill in y, L."):
        lesson_1.check_hand_gradients(Checks("Lesson 1, task 2"), 2.0, 1.0, HAND_WEIGHTS,
                                      {**HAND_FORWARD, "y": None, "L": None}, HAND_GRADS)


@pytest.mark.parametrize("expression, values, slopes", [
    ("a * b", (1.5, -2.0), [-2.0, 1.5]),
    ("a / b", (1.5, -2.0), [-0.5, -0.375]),
    ("a.exp()", (0.5,), [np.exp(0.5)]),
])
def test_local_slopes_are_central_differences_of_the_engine(expression, values, slopes):
    assert lesson_1.local_slopes(Scalar, expression, values) == pytest.approx(slopes, rel=1e-8)


class SwappedScalar(Scalar):
    """The reference engine with a * b's local derivatives swapped (a typical bug)."""

    def __mul__(self, other):
        node = super().__mul__(other)
        right = node.local_grads()
        node.local_grads = lambda: right[::-1]
        return node


def test_check_local_grads_passes_the_reference_and_names_a_swapped_product():
    assert failures(lesson_1.check_local_grads, Scalar, "a * b", (1.5, -2.0)) == []
    assert failures(lesson_1.check_local_grads, Scalar, "a.sigmoid()", (0.5,)) == []
    assert failures(lesson_1.check_local_grads, SwappedScalar, "a * b", (1.5, -2.0)) == ["d(a * b) at a = 1.5, b = -2"]


def test_local_grads_table_lists_each_points_local_grads():
    assert lesson_1.local_grads_table(Scalar, "a * b", [(0.7, -1.3), (2.5, 0.4)]) == [[-1.3, 0.7], [0.4, 2.5]]
    assert lesson_1.local_grads_table(Scalar, "3.0 * a", [(1.1, 3.0)]) == [[1.1, 3.0]]


def test_given_graph_fixes_local_derivatives_and_counts_a_repeated_parent_twice():
    nodes = lesson_1.given_graph(Scalar, {"a": [], "u": [("a", 2.0)], "s": [("u", 2.0), ("u", -0.5)]})
    assert [parent.label for parent in nodes["s"].parents] == ["u", "u"]
    assert nodes["s"].local_grads() == (2.0, -0.5) and nodes["u"].local_grads() == (2.0,)
    nodes["s"].backward()
    assert (nodes["u"].grad, nodes["a"].grad) == (1.5, 3.0)


def test_graph_stages_go_from_the_output_down_naming_what_flowed_in():
    nodes = lesson_1.given_graph(Scalar, {"a": [], "b": [], "u": [("a", 2.0), ("b", -1.0)],
                                          "v": [("a", 0.5), ("u", 3.0)], "L": [("u", 1.0), ("v", -2.0)]})
    nodes["L"].backward()
    expected = {"L": 1.0, "v": -2.0, "u": -5.0, "a": -11.0, "b": 5.0}
    stages = lesson_1.graph_stages(nodes["L"], expected)
    inflows = {name: inflow for name, _, _, inflow in stages}
    assert inflows == {"dL/dL": "", "dL/dv": "dL/dL", "dL/du": "dL/dL and dL/dv",
                       "dL/da": "dL/dv and dL/du", "dL/db": "dL/du"}
    order = [name for name, *_ in stages]
    assert all(order.index(source) < order.index(name)
               for name, inflow in inflows.items() for source in inflow.split(" and ") if source)
    assert all(got == expected[name[4:]] for name, got, *_ in stages)
    wrong = lesson_1.graph_stages(nodes["L"], {**expected, "u": -6.0})
    assert diagnose(wrong).startswith("dL/du is wrong (rel error")
    assert diagnose(wrong).endswith("; dL/dL and dL/dv, which flowed into it, are right")


# ---- the catalogue's inputs: a failed row names the misconception --------------------------------

def named(label, run, *args, **kwargs):
    """(the misconception keys the rows name, the text printed) when ``run(check, *args)`` fills a
    Checks labelled ``label``."""
    import io
    import re
    from contextlib import redirect_stdout

    printed = io.StringIO()
    with redirect_stdout(printed):
        run(Checks(label, hidden=label.endswith("(graded)")), *args, **kwargs)  # as checks.task makes it
    return re.findall(r"misconception ([\w-]+):", printed.getvalue()), printed.getvalue()


def test_check_extremes_names_a_sigmoid_that_gives_nan_at_large_x():
    def inf_over_inf(x):
        return np.exp(x) / (1 + np.exp(x))

    assert named("Lesson 3, task 2", lesson_3.check_extremes, inf_over_inf, x=[-1000.0, 1000.0],
                 expected=[0.0, 1.0], name="sigmoid")[0] == ["sigmoid-naive-overflow"]


@pytest.mark.parametrize("expression, points, quantity, inputs", [
    ("a.exp()", (0.5,), "exp(a)", {"a": 0.5, "b": 0.5, "out": np.exp(0.5)}),
    ("a ** 3", (1.5,), "a ** n", {"a": 1.5, "b": 1.5, "out": 3.375, "n": 3.0}),
    ("a * b", [(0.7, -1.3), (2.5, 0.4)], "a * b", {"a": [0.7, 2.5], "b": [-1.3, 0.4], "out": [-0.91, 1.0]}),
    ("2.0 - a", [(0.7, -1.3)], "a - b", {"a": [2.0], "b": [0.7], "out": [1.3]}),
])
def test_catalogued_names_the_operation_and_its_inputs_as_the_catalogue_does(expression, points, quantity, inputs):
    found = lesson_1.catalogued(Scalar, expression, points)
    assert found["quantity"] == quantity and set(found["inputs"]) == set(inputs)
    for name, value in inputs.items():
        np.testing.assert_allclose(found["inputs"][name], value, rtol=1e-12)
        assert np.shape(found["inputs"][name]) == np.shape(value)


def test_check_backward_names_the_first_wrong_node_and_the_misconception():
    edges = {"a": [], "b": [], "u": [("a", 2.0), ("b", -1.0)], "v": [("a", 0.5), ("u", 3.0)],
             "L": [("u", 1.0), ("v", -2.0)]}
    expected = {"L": 1.0, "v": -2.0, "u": -5.0, "a": -11.0, "b": 5.0}
    right = lesson_1.given_graph(Scalar, edges)
    right["L"].backward()
    assert failures(lesson_1.check_backward, right["L"], expected, 1e-12) == []
    from helpers.scalar_backward_bugs import Overwrites  # backward assigning parent.grad instead of adding

    wrong = lesson_1.given_graph(Overwrites, edges)
    wrong["L"].backward()
    keys, text = named("Lesson 1, task 4", lesson_1.check_backward, wrong["L"], expected, 1e-12)
    assert keys == ["backward-overwrites"] and "which flowed into it" in text


def test_hand_inputs_key_the_gradients_by_the_checks_names():
    nodes = lesson_1.network(Scalar, 2.0, 1.0, {f"w{k}": 1.0 for k in range(1, 9)})
    nodes["L"].backward()
    inputs = lesson_1.hand_inputs(2.0, 1.0, {"w1": 1.0}, {"y": nodes["y"].value}, {"y": nodes["y"].grad})
    assert inputs == {"x": 2.0, "t": 1.0, "weights": {"w1": 1.0}, "values": {"y": nodes["y"].value},
                      "grads": {"dL/dy": nodes["y"].grad}}


@pytest.mark.parametrize("given", ["zeros", "of another shape", "0-d"])
def test_a_forged_input_of_the_derivative_cannot_make_a_wrong_derivative_pass_lesson_3(given):
    """A right sigmoid beside a derivative that returns zeros, with the record's other values made
    to agree with it: "out given" zeros (where out (1 - out) is 0), "out after" the same, and f at
    x +- h flat. The judge makes the derivative's input from the recorded out, so the task fails
    (it passed on the forged input; one of another shape failed the judge itself)."""
    import nbformat

    from backprop_course import records
    from backprop_course.autograder import judge
    from backprop_course.autograder.judge.reference import reference

    f = reference("layers").ACTIVATIONS["sigmoid"]

    def case(x):
        out = f(x.copy())
        forged = {"zeros": np.zeros_like(out), "of another shape": np.zeros(3), "0-d": np.array(0.0)}[given]
        values = {"out": out, "x after": x, "out given": forged, "slope": np.zeros_like(out), "out after": forged,
                  "out float32": f(x.astype(np.float32)), "slope float32": np.zeros(out.shape, np.float32),
                  "out at x + h": out, "out at x - h": out, "strict": out}
        return {name: records.encode(value) for name, value in values.items()}

    cases = {name: case(x) for name, x in lesson_3.graded_cases()}
    outputs = [nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                   "data": records.record("Lesson 3, task 2", cases)})]
    assert not judge.judge("Lesson 3, task 2", outputs).passed
