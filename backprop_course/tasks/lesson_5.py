"""Lesson 5 (the MLP): helpers for checks that test ``MLP.forward`` and ``MLP.backward`` alone.

The checks swap a model's layers for stand-ins (``backprop_course.network.probe_layers``
visibly; correct layers that the hidden tests bring themselves), record each layer's traffic and
compare it with the reference's recording, which the notebook passes in. ``stand_ins`` gives
the misconception catalogue the layers as plain functions, so a failed check names the wiring
mistake (layers in the wrong order, skipped, or not chained).
"""

import copy
from contextlib import contextmanager

import numpy as np

# Bars for the hidden nets: float64 traffic against float64 values, float32 traffic against
# float64 values computed on the same float32-rounded inputs.
FLOAT64_BAR = 1e-9
FLOAT32_BAR = 1e-4
# The output activations the lesson teaches (MLP's output_activation); the hidden nets take turns.
OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "softmax")


def param_grads(model):
    """{name: a copy of its gradient} for every parameter of ``model``, named as
    ``model.named_parameters()`` names them (e.g. "layer1.W"); a later pass cannot change it."""
    return {name: np.array(layer.grads[key], copy=True) for name, layer, key in model.named_parameters()}


def run_layers(layers, x):
    """The forward pass through ``layers`` in order, x (N, in_features) -> scores: task 2's checks
    run it instead of the student's MLP.forward, so that a task-1 bug cannot fail task 2 as well.
    Kept here, not in a notebook cell: it is task 1's answer."""
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


def hidden_nets(nets, make_model):
    """For each (sizes, seed, dtype, x, dL/dscores, expected recording) of ``nets``: yields
    (label, bar, model, x, dL/dscores, expected), with model = make_model(sizes, seed, dtype)
    given the k-th net the k-th of OUTPUT_ACTIVATIONS in turn, label e.g. "hidden: MLP(3, 4, 2)
    batch 4 float64, output sigmoid" and bar FLOAT32_BAR or FLOAT64_BAR. Forward returns the raw
    scores whatever the output activation: a forward that applies it fails on those nets."""
    for k, (sizes, seed, dtype, x, grad, expected) in enumerate(nets):
        bar = FLOAT32_BAR if dtype == np.float32 else FLOAT64_BAR
        output = OUTPUT_ACTIVATIONS[k % len(OUTPUT_ACTIVATIONS)]
        model = make_model(sizes, seed, dtype)
        model.output_activation = output
        label = f"hidden: MLP{sizes} batch {len(x)} {np.dtype(dtype).name}, output {output}"
        yield label, bar, model, x, grad, expected


@contextmanager
def one_case(check, label):
    """Run one case's checks: any exception but NotImplementedError (an unfinished task, which
    ``task`` reports) becomes one failed row "label: raised ValueError: ..." and the next case
    still runs, so one crash does not hide what the other cases show."""
    try:
        yield
    except NotImplementedError:
        raise
    except Exception as err:
        check.true(label, False, f"raised {type(err).__name__}: {err}")
