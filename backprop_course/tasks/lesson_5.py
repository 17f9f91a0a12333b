"""Lesson 5 (the MLP): helpers for checks that test ``MLP.forward`` and ``MLP.backward`` alone.

The checks swap a model's layers for stand-ins (``backprop_course.network.probe_layers``
visibly; correct layers that the hidden tests bring themselves), record each layer's traffic and
compare it with the reference's recording, which the notebook passes in.
"""

from contextlib import contextmanager

import numpy as np

# Bars for the hidden nets: float64 traffic against float64 values, float32 traffic against
# float64 values computed on the same float32-rounded inputs.
FLOAT64_BAR = 1e-9
FLOAT32_BAR = 1e-4


def param_grads(model):
    """{name: a copy of its gradient} for every parameter of ``model``, named as
    ``model.named_parameters()`` names them (e.g. "layer1.W"); a later pass cannot change it."""
    return {name: np.array(layer.grads[key], copy=True) for name, layer, key in model.named_parameters()}


def hidden_nets(nets, make_model):
    """For each (sizes, seed, dtype, x, dL/dscores, expected recording) of ``nets``: yields
    (label, bar, model, x, dL/dscores, expected), with model = make_model(sizes, seed, dtype),
    label e.g. "hidden: MLP(3, 4, 2) batch 4 float64" and bar FLOAT32_BAR or FLOAT64_BAR."""
    for sizes, seed, dtype, x, grad, expected in nets:
        bar = FLOAT32_BAR if dtype == np.float32 else FLOAT64_BAR
        label = f"hidden: MLP{sizes} batch {len(x)} {np.dtype(dtype).name}"
        yield label, bar, make_model(sizes, seed, dtype), x, grad, expected


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
