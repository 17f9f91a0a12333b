"""Lesson 5 (the MLP): checks that test ``MLP.forward`` and ``MLP.backward`` alone, and the graded cases.

Every check swaps a model's layers for stand-ins (``backprop_course.network.probe_layers``: an
elementwise scale-and-shift and a sine, no lesson's layer), records each layer's traffic and
compares it with the reference's recording, one row per pass (``forward_row``, ``backward_row``):
the first wrong stage, and the catalogued mistake when one reproduces the result. ``stand_ins``
gives the misconception catalogue the layers as plain functions.

The graded checks (``run_graded_cases``) run the student's MLP on ``graded_cases()``, a stand-in
network per output activation the lesson teaches (identity, sigmoid, softmax; batch 1; float32),
and the student's ``count_parameters`` on ``COUNT_CASES``, and only record what they returned and
every layer's traffic (``records``); the grader's judge (``backprop_course.autograder.judge.lesson_5``
and ``lesson_5_count``) builds the same cases and decides. No expected value of a graded case is
in this file or a notebook.
"""

import copy
from dataclasses import dataclass

import numpy as np

from ..checks import diagnose
from ..check_rows import find
from ..gradcheck import numerical_gradient
from ..network import network_stages, probe_layers, record_layers
from ..records import Observation, emit, encode_error, not_judged_warning

T1, T2 = "Lesson 5, task 1", "Lesson 5, task 2"
# What a passing check of each task shows (``backprop_course.reveal``): the formula the student derived.
REVEALS = {
    T2: r"""**Why reverse order.** A layer's `backward` needs the gradient of its *output*, and only the
layer above it can hand that down: $g_{\text{in}} = \texttt{layer.backward}(g_{\text{out}})$, from
$g = \partial L/\partial\,\text{scores}$ at the last layer down to the first. On the way each Linear
layer fills $\partial L/\partial W_l = h_{l-1}^\top \frac{\partial L}{\partial a_l}$ and
$\partial L/\partial b_l = \sum_n \frac{\partial L}{\partial a_{l,n}}$ (lesson 2).

**Your sum over paths is a matrix product.** Each path from $x_i$ to the score crosses one unit $j$
of the first hidden layer and one unit $k$ of the second, and contributes the product of its three
weights: $\frac{\partial\,\text{score}}{\partial x_i} = \sum_{j,k} (W_1)_{ij} (W_2)_{jk} (W_3)_{k}
= (W_1 W_2 W_3)_i$, because entry $(i, k)$ of a product $AB$ is $\sum_j A_{ij} B_{jk}$: the sum over
every unit $j$ a path can cross. Each further layer multiplies in one more factor per path. Backward
computes $g W_3^\top$, then $(g W_3^\top) W_2^\top$, then $\cdot\, W_1^\top$: in reverse order every
partial sum is computed once and shared by all the paths below it, instead of listing the paths,
whose number is the product of the widths.""",
    "Lesson 5, task 3": r"""A Linear layer from $n_{\text{in}}$ to $n_{\text{out}}$ features holds an
$n_{\text{in}} \times n_{\text{out}}$ weight matrix and $n_{\text{out}}$ biases (one per output unit):
$(n_{\text{in}} + 1)\, n_{\text{out}}$ numbers. Activations hold none. So `MLP(2, (16, 16), 1)` has
$(2+1)16 + (16+1)16 + (16+1)1 = 337$.""",
}
# Bars of the graded cases: float64 traffic against float64 values, float32 traffic against
# float64 values computed on the same float32-rounded inputs.
FLOAT64_BAR = 1e-9
FLOAT32_BAR = 1e-4


@dataclass(frozen=True)
class Net:
    """One graded network: ``depth`` stand-in layers with parameters (sines between them), each
    ``features`` wide, on a (batch, features) input, built as
    ``MLP(features, (features,) * (depth - 1), features, output_activation=output, dtype=dtype)``.
    Widths differ from the batch size and depth >= 2, so the catalogue's wiring mistakes differ."""

    features: int
    depth: int
    batch: int
    output: str
    dtype: type
    seed: int

    @property
    def name(self):
        kind = "" if self.dtype == np.float64 else f", {np.dtype(self.dtype).name}"
        return f"{self.depth} layers of {self.features}, batch {self.batch}, output {self.output}{kind}"

    @property
    def bar(self):
        return FLOAT64_BAR if self.dtype == np.float64 else FLOAT32_BAR


# Each output activation the lesson teaches, a batch of 1 and a float32 net.
GRADED_NETS = (Net(3, 3, 4, "identity", np.float64, 5101), Net(4, 2, 6, "sigmoid", np.float64, 5102),
               Net(2, 4, 3, "softmax", np.float64, 5103), Net(3, 2, 1, "sigmoid", np.float64, 5104),
               Net(5, 3, 2, "softmax", np.float32, 5105))
# Task 2's derivation: score = x W1 W2 W3 for one sample x of 2 features, no activation and no
# bias, so dscore/dx_i is the sum over the 4 paths from x_i to the score of the weights' product.
PATH_WEIGHTS = (((1.0, 2.0), (0.0, -1.0)), ((3.0, 1.0), (1.0, 2.0)), ((1.0,), (-2.0,)))
# count_parameters' graded layer sizes: one layer, one hidden layer, a deep wide net.
COUNT_CASES = ((1, 1), (5, 7, 3), (10, 100, 100, 100, 2))


def graded_cases():
    """[(name, Net)] of the graded checks of tasks 1 and 2."""
    return [(net.name, net) for net in GRADED_NETS]


def paths_cases():
    """[(name,)] of the graded check of task 2's derivation: the one network of PATH_WEIGHTS."""
    return [("score = x W1 W2 W3",)]


def count_cases():
    """[(name, sizes)] of the graded checks of task 3."""
    return [(f"sizes {list(sizes)}", sizes) for sizes in COUNT_CASES]


def net_layers(net, dtype=None):
    """Fresh stand-in layers of ``net``, their parameters rounded to net.dtype, in ``dtype``
    (default net.dtype): float64 copies of a float32 net hold the very same numbers."""
    layers = probe_layers(features=net.features, depth=net.depth, rng=net.seed)
    for layer in layers:
        for store in (layer.params, layer.grads):
            for key, value in store.items():
                store[key] = value.astype(net.dtype).astype(dtype or net.dtype)
    return layers


def net_inputs(net, dtype=None):
    """(x, dL/dscores) of ``net``, each (batch, features), rounded to net.dtype, in ``dtype``."""
    normal = np.random.default_rng(net.seed + 50).standard_normal
    x, grad = normal((net.batch, net.features)), normal((net.batch, net.features))
    return tuple(value.astype(net.dtype).astype(dtype or net.dtype) for value in (x, grad))


def net_model(mlp, net, dtype=None):
    """``mlp`` (an MLP class) built as ``net`` says, its layers swapped for ``net_layers``."""
    dtype = dtype or net.dtype
    model = mlp(net.features, (net.features,) * (net.depth - 1), net.features, activation="tanh",
                output_activation=net.output, dtype=dtype)
    model.layers = net_layers(net, dtype)
    return model


# ---- one row per pass ----------------------------------------------------------------------------

def _named(task, quantity, got, expected, bar, inputs):
    """The catalogued misconception ``got`` shows, or None: a pattern without a cause is left to
    the row's own words (the first wrong stage)."""
    finding = find(task, quantity, got, expected, bar, inputs)
    return finding if finding is not None and finding.kind == "misconception" else None


def forward_row(check, name, record, expected, scores, inputs, bar):
    """One row for a forward pass: ok, or the first wrong stage of the recorded traffic (the
    scores MLP.forward returned last) and the mistake the scores show, or else layers visited out
    of order or twice. ``expected`` is the reference's recording (``network.recording_dict``),
    ``inputs`` ``stand_ins(layers, x)``."""
    message = diagnose(network_stages(record, expected, scores=scores)[0], bar)
    finding = message and _named(T1, "scores", scores, expected["outputs"][-1], bar, inputs)
    message = message or _out_of_order("forward", record.forward_order, range(len(record.names)))
    return check.true(name, message is None, message, finding=finding)


def backward_row(check, name, record, expected, dx, inputs, bar):
    """One row for a backward pass: ok, or the first wrong stage from dL/dscores down (dL/dx that
    MLP.backward returned last) and the mistake the order of the visits or dL/dx shows, or else
    layers visited out of order or twice."""
    message = diagnose(network_stages(record, expected, dx=dx)[1], bar)
    reverse = list(range(len(record.names)))[::-1]
    finding = message and (_named(T2, "backward order", np.asarray(record.backward_order), reverse, 0, inputs)
                           or _named(T2, "dL/dx", dx, expected["grads_out"][0], bar, inputs))
    message = message or _out_of_order("backward", record.backward_order, reverse)
    return check.true(name, message is None, message, finding=finding)


def _out_of_order(direction, order, expected):
    """What is wrong with the order a pass visited the layers in, or None."""
    if list(order) == list(expected):
        return None
    way = "last to first" if direction == "backward" else "first to last"
    return f"{direction} visited the layers {list(order)}: visit each once, {way}"


def check_paths(check, answer):
    """Row "dscore/dx vs central differences": the derivation's answer (two numbers) against the
    slope of score = x W1 W2 W3 (PATH_WEIGHTS) measured by central differences; hidden, as its
    values are the answer."""
    first, second, third = (np.array(weights) for weights in PATH_WEIGHTS)
    slope = numerical_gradient(lambda x: float((x @ first @ second @ third)[0]), np.ones(2))
    check.close("dscore/dx vs central differences", None if answer is None else np.ravel(answer), slope,
                bar=1e-6, hidden=True)


def input_grad_problem(returned, first_dx):
    """What is wrong with ``backward(grad, input_grad=False)`` besides its gradients, or None: it
    must return None and skip the first layer's dL/dx (``first_dx``, what that layer's backward
    returned: None when only its param_backward ran)."""
    problems = []
    if returned is not None:
        problems.append("backward returned an array: with input_grad=False return None")
    if first_dx is not None:
        problems.append("the first layer's backward ran: with input_grad=False call only its param_backward "
                        "(its dL/dx is never used)")
    return "; ".join(problems) or None


def check_input_grad(check, model, x, grad):
    """Rows for ``model.backward(grad, input_grad=False)`` on the stand-in ``model`` at ``x``: it
    returns None and skips the first layer's dL/dx (one row), and every parameter gradient is the
    one a pass with input_grad=True gives."""
    run_layers(model.layers, x)
    model.backward(grad)
    with_input = param_grads(model)
    run_layers(model.layers, x)
    with record_layers(model) as record:
        returned = model.backward(grad, input_grad=False)
    problem = input_grad_problem(returned, record.grads_out[0])
    check.true("input_grad=False", problem is None, problem)
    for name, value in param_grads(model).items():
        check.close(f"{name} same as with input_grad", value, with_input[name], bar=1e-12)


def param_grads(model):
    """{name: a copy of its gradient} for every parameter of ``model``, named as
    ``model.named_parameters()`` names them (e.g. "layer1.W"); a later pass cannot change it."""
    return {name: np.array(layer.grads[key], copy=True) for name, layer, key in model.named_parameters()}


def run_layers(layers, x):
    """The forward pass through ``layers`` in order, x (N, in_features) -> scores: task 2's checks
    run it instead of the student's MLP.forward, so that a task-1 bug cannot fail task 2 as well."""
    for layer in layers:
        x = layer.forward(x)
    return x


def stand_ins(layers, x, grad_out=None):
    """The catalogue's inputs for a check of MLP.forward or MLP.backward on ``layers`` at the input
    ``x``: "x"; "forwards", each layer's forward (of a copy, so the model is left alone);
    "backwards", each layer's backward (of a copy that ran the correct forward pass on ``x``);
    "is_activation", True for a layer without parameters; and "grad_out" (dL/dscores) if given."""
    copies = copy.deepcopy(list(layers))
    value = x
    for layer in copies:
        value = layer.forward(value)
    inputs = {"x": x, "forwards": [layer.forward for layer in copy.deepcopy(list(layers))],
              "backwards": [layer.backward for layer in copies],
              "is_activation": [not getattr(layer, "params", None) for layer in layers]}
    if grad_out is not None:
        inputs["grad_out"] = grad_out
    return inputs


# ---- the graded checks: observe, never judge -----------------------------------------------------

# A recorded layer value's name in a record: "input 2", "grad out 0", "dscale 4".
TRAFFIC = {"inputs": "input", "outputs": "output", "grads_in": "grad in", "grads_out": "grad out"}


def traffic_name(kind, index, key=None):
    """The record's name of layer ``index``'s value ``kind`` (a Recording list, or "param_grads"
    with the parameter ``key``)."""
    return f"d{key} {index}" if kind == "param_grads" else f"{TRAFFIC[kind]} {index}"


def _observe_traffic(seen, record, layers, kinds):
    for kind in kinds:
        for i, layer in enumerate(layers):
            if kind == "param_grads":
                for key in layer.params:
                    seen.call(traffic_name(kind, i, key), lambda i=i, key=key: record.param_grads[i].get(key))
            else:
                seen.call(traffic_name(kind, i), lambda values=getattr(record, kind), i=i: values[i])


def _order(values):
    return np.asarray(values, dtype=np.int64)


def _observe_forward(seen, mlp, net):
    model = net_model(mlp, net)
    layers = list(model.layers)
    x = net_inputs(net)[0]
    with record_layers(model) as record:
        seen.call("scores", model.forward, x)
    seen.call("x after", lambda: x)
    _observe_traffic(seen, record, layers, ("inputs", "outputs"))
    seen.call("forward order", lambda: _order(record.forward_order))


def _observe_backward(seen, mlp, net, input_grad=True, dtype=None):
    model = net_model(mlp, net, dtype)
    layers = list(model.layers)
    x, grad = net_inputs(net, dtype)
    run_layers(layers, x)   # the course's forward pass: a task-1 bug cannot fail task 2 as well
    with record_layers(model) as record:
        seen.call("returned", lambda: model.backward(grad, input_grad=input_grad))
    _observe_traffic(seen, record, layers, ("grads_in", "grads_out", "param_grads"))
    seen.call("backward order", lambda: _order(record.backward_order))


OBSERVERS = {"Lesson 5, task 1": _observe_forward,
             "Lesson 5, task 2: backward": _observe_backward,
             # central differences need float64: every net in float64 here
             "Lesson 5, task 2: gradient check": lambda seen, mlp, net: _observe_backward(seen, mlp, net,
                                                                                         dtype=np.float64),
             "Lesson 5, task 2: input gradient": lambda seen, mlp, net: _observe_backward(seen, mlp, net,
                                                                                         input_grad=False)}


def run_graded_cases(label, code):
    """Run the graded task ``label`` ("Lesson 5, task 1", "Lesson 5, task 2: backward", ...,
    "Lesson 5, task 3") of ``code`` (the student's ``MLP`` class, their answer ``dscore_dx`` for
    "Lesson 5, task 2: paths", ``count_parameters`` for task 3) on every graded case and emit the
    task's record; nothing is judged here."""
    cases = {}
    if label == "Lesson 5, task 2: paths":
        cases[paths_cases()[0][0]] = Observation()
        cases[paths_cases()[0][0]].call("dscore/dx", lambda: code)
    elif label == "Lesson 5, task 3":
        for name, sizes in count_cases():
            cases[name] = Observation()
            cases[name].call("count", code, list(sizes))
    else:
        for name, net in graded_cases():
            seen = cases[name] = Observation()
            try:
                OBSERVERS[label](seen, code, net)
            except Exception as err:  # the model could not even be built: the record says so
                seen.values.setdefault("layer", encode_error(err))
    emit(label, {name: seen.values for name, seen in cases.items()})
    not_judged_warning(label)
