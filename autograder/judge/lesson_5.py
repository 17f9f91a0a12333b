"""The judge of lesson 5's graded MLP checks (tasks 1 and 2), from the records of
``backprop_course.tasks.lesson_5``: the student's MLP ran on stand-in networks, one per output
activation the lesson teaches, and the kernel reported every layer's traffic. Here the same
stand-ins are built again from their seeds, the reference MLP runs on them, and the structural
diagnosis (``network.network_stages``: a layer never called, the first wrong stage and what flowed
into it) and the catalogue run on the records: one row per pass of each net.

The gradient check compares the parameter gradients and dL/dx the student's backward left with
central differences that the judge computes itself, of L = sum(scores * dL/dscores) through the
stand-ins at its own points: task 2's forward pass is the course's, never the student's, so
nothing the kernel reports can set the numbers it is held to (a kernel that reported forward
values and gradients alike could make zeros agree with zeros).
"""

from functools import lru_cache

import numpy as np

from backprop_course.gradcheck import BAR as GRADCHECK_BAR
from backprop_course.gradcheck import numerical_gradient
from backprop_course.checks import diagnose
from backprop_course.network import LayerNotCalled, Recording, network_stages, record_layers, recording_dict
from backprop_course.tasks.lesson_5 import (backward_row, forward_row, graded_cases, input_grad_problem,
                                            net_inputs, net_layers, net_model, run_layers, stand_ins,
                                            traffic_name)

from .reference import reference

STEP = 1e-6  # central differences in float64


def _mlp():
    return reference("mlp").MLP


@lru_cache(maxsize=None)  # the same for every submission; network_stages only reads it
def expected_recording(net, input_grad=True):
    """The reference MLP's traffic on ``net`` (forward, then backward of its dL/dscores), in
    float64 on the net's (possibly float32-rounded) numbers, as ``network.recording_dict``."""
    model = net_model(_mlp(), net, np.float64)
    x, grad = net_inputs(net, np.float64)
    with record_layers(model) as record:
        model.forward(x)
        model.backward(grad, input_grad=input_grad)
    return recording_dict(record)


def student_recording(seen, layers, kinds):
    """The student's traffic as a ``network.Recording`` of ``layers``, from the record's values
    (a value no layer produced stays None: ``network_stages`` says so in words)."""
    record = Recording(layers)
    for kind in kinds:
        for i, layer in enumerate(layers):
            if kind == "param_grads":
                record.param_grads[i] = {key: seen[traffic_name(kind, i, key)] for key in layer.params}
                record.param_grads[i] = {key: grad for key, grad in record.param_grads[i].items() if grad is not None}
            else:
                getattr(record, kind)[i] = seen[traffic_name(kind, i)]
    return record


def _order(seen, name):
    """The layer indices a pass visited, as recorded; an entry that is no whole number (nan, inf,
    0.5) stays as it is, so the order is wrong rather than the judge failing."""
    if seen[name] is None:
        return []
    return [int(i) if np.isfinite(i) and i == int(i) else float(i) for i in np.ravel(seen[name]).tolist()]


def forward(check, case, net, seen):
    layers = net_layers(net)
    x = net_inputs(net)[0]
    expected = expected_recording(net)
    record = student_recording(seen, layers, ("inputs", "outputs"))
    scores = seen["scores"]
    record.forward_order = _order(seen, "forward order")
    given = stand_ins(net_layers(net), x)
    if forward_row(check, f"forward {case}", record, expected, scores, given, net.bar) and net.dtype != np.float64:
        kind = np.dtype(net.dtype).name
        check.true(f"{kind} stays {kind} {case}", scores.dtype == net.dtype, "keep the input's dtype")
    check.true(f"x unchanged {case}", _same(seen["x after"], x), "forward must not modify its input")


def backward(check, case, net, seen):
    layers = net_layers(net)
    x, grad = net_inputs(net)
    expected = expected_recording(net)
    record = student_recording(seen, layers, ("grads_in", "grads_out", "param_grads"))
    record.backward_order = _order(seen, "backward order")
    given = stand_ins(net_layers(net), x, grad_out=grad)
    backward_row(check, f"backward {case}", record, expected, seen["returned"], given, net.bar)


@lru_cache(maxsize=None)
def central_differences(net):
    """[(name, index, key, slope)] of L = sum(scores * dL/dscores) through ``net``'s stand-ins in
    float64, for every parameter from the loss down (as the gradient flows), then for x (index and
    key None)."""
    layers = net_layers(net, np.float64)
    x, grad = net_inputs(net, np.float64)
    names = Recording(layers).names
    slopes = []
    for i in range(len(layers) - 1, -1, -1):
        for key, param in layers[i].params.items():
            slope = numerical_gradient(lambda _: float(np.sum(run_layers(layers, x) * grad)), param, h=STEP)
            slopes.append((f"dL/d{key} of {names[i]}", i, key, slope))
    slope = numerical_gradient(lambda value: float(np.sum(run_layers(layers, value) * grad)), x.copy(), h=STEP)
    return slopes + [("dL/dx that MLP.backward returned", None, None, slope)]


def gradient_check(check, case, net, seen):
    record = student_recording(seen, net_layers(net, np.float64), ("param_grads",))
    stages = [(name, _got(seen["returned"] if i is None else record.param_grads[i].get(key)), slope, "")
              for name, i, key, slope in central_differences(net)]
    message = diagnose(stages, GRADCHECK_BAR)
    check.true(f"your gradients vs central differences {case}", message is None,
               message and message.replace("is wrong", "differs from central differences"))


def input_gradient(check, case, net, seen):
    layers = net_layers(net)
    expected = expected_recording(net, input_grad=False)
    record = student_recording(seen, layers, ("grads_in", "grads_out", "param_grads"))
    problem = (diagnose(network_stages(record, expected)[1], net.bar)
               or input_grad_problem(seen["returned"], record.grads_out[0]))
    check.true(f"input_grad=False {case}", problem is None, problem)


def _got(value):
    """A recorded gradient for ``diagnose``: None (never computed) in words."""
    return LayerNotCalled() if value is None else value


def _same(value, expected):
    return value is not None and np.array_equal(value, expected)


CASES = graded_cases
JUDGES = {"Lesson 5, task 1": forward, "Lesson 5, task 2: backward": backward,
          "Lesson 5, task 2: gradient check": gradient_check, "Lesson 5, task 2: input gradient": input_gradient}
