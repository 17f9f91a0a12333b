"""Whole-network checks (lessons 4-6): what each layer received and returned, the stages a value
flows through, and stand-in layers (probes) that check an MLP's wiring without any lesson's layers.
"""

from contextlib import contextmanager

import numpy as np

from .checks import diagnose

ACTIVATION_TITLES = {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "identity": "identity",
                     "sine": "sine"}


def layer_names(layers):
    """Readable names in MLP order: the k-th layer with parameters is "layer k", the activation
    after it "ReLU k" (or "tanh k", ...), so the names match ``MLP.named_parameters``."""
    names, k = [], 0
    for layer in layers:
        if getattr(layer, "params", None):
            k += 1
            names.append(f"layer {k}")
        else:
            kind = getattr(layer, "name", None)
            names.append(f"{ACTIVATION_TITLES.get(kind, type(layer).__name__)} {k}")
    return names


class Recording:
    """What each layer of a model received and returned during the recorded passes.

    Per layer i (lists of arrays, None where the layer was never called): inputs[i] and
    outputs[i] of forward; grads_in[i] = dL/d(output) as it arrived at backward (or
    param_backward); grads_out[i] = dL/d(input) that backward returned; param_grads[i] = copies
    of layer.grads after the pass. backward_order lists the layer indices as backward reached them.
    """

    def __init__(self, layers):
        self.names = layer_names(layers)
        count = len(layers)
        self.inputs, self.outputs = [None] * count, [None] * count
        self.grads_in, self.grads_out = [None] * count, [None] * count
        self.param_grads = [{} for _ in layers]
        self.forward_order, self.backward_order = [], []
        self._inside = None


class LayerNotCalled:
    """Stands for a value a layer never produced; ``checks.compare`` says so in words."""
    missing = "was never computed: that layer's method was never called"

    def __repr__(self):
        return "LayerNotCalled()"


def _copy(value):
    return None if value is None else np.array(value, copy=True)


class NoneReturned:
    """Stands for a None that a method returned instead of an array; ``checks.compare`` says so."""
    missing = "is None: the method returned nothing (return the array)"

    def __repr__(self):
        return "NoneReturned()"


def _recorded(value, missing=LayerNotCalled):
    return missing() if value is None else value


@contextmanager
def record_layers(model):
    """Record every layer's forward and backward traffic while the block runs: yields a Recording.

    The layers' methods are wrapped on the instances (classes and isinstance are untouched) and
    restored on exit, whatever the student's MLP does inside.
    """
    record = Recording(model.layers)
    wrapped = []
    for i, layer in enumerate(model.layers):
        def forward(x, i=i, inner=layer.forward):
            record.inputs[i] = _copy(x)
            out = inner(x)
            record.outputs[i] = _copy(out)
            record.forward_order.append(i)
            return out

        def backward(grad_out, i=i, inner=layer.backward):
            record.grads_in[i] = _copy(grad_out)
            record.backward_order.append(i)
            record._inside = i  # Linear.backward calls param_backward: count that visit once
            try:
                out = inner(grad_out)
            finally:
                record._inside = None
            record.grads_out[i] = _copy(out)
            return out

        def param_backward(grad_out, i=i, inner=getattr(layer, "param_backward", None)):
            if record._inside != i:
                record.grads_in[i] = _copy(grad_out)
                record.backward_order.append(i)
            return inner(grad_out)

        methods = {"forward": forward, "backward": backward}
        if hasattr(layer, "param_backward"):
            methods["param_backward"] = param_backward
        for name, method in methods.items():
            setattr(layer, name, method)
        wrapped.append((layer, list(methods)))
    try:
        yield record
    finally:
        for i, (layer, names) in enumerate(wrapped):
            for name in names:
                delattr(layer, name)
            if record.grads_in[i] is not None:
                record.param_grads[i] = {key: _copy(grad) for key, grad in layer.grads.items()}


_UNSET = object()  # "not given", as opposed to a None that a student's method returned


def network_stages(record, expected, scores=_UNSET, dx=_UNSET):
    """(forward, backward) lists of stages [(name, got, expected, inflow)] for ``diagnose``.

    ``expected`` is another Recording (of the reference) or its ``recording_dict`` literal form;
    scores and dx are what MLP.forward and MLP.backward returned, checked as the last stage of
    each direction when given. Each list is in flow order (backward from the loss down), and
    inflow names the stage whose value flowed into this one.
    """
    exp = expected if isinstance(expected, dict) else recording_dict(expected)
    names = record.names
    forward = []
    for i, name in enumerate(names):
        source = None if i == 0 else f"the output of {names[i - 1]}"
        forward.append((f"the input of {name}", _recorded(record.inputs[i]), exp["inputs"][i], source))
        forward.append((f"the output of {name}", _recorded(record.outputs[i]), exp["outputs"][i],
                        f"the input of {name}"))
    if scores is not _UNSET:
        forward.append(("the scores MLP.forward returned", _recorded(scores, NoneReturned),
                        exp["outputs"][-1], f"the output of {names[-1]}"))
    backward = []
    last = len(names) - 1
    for i in range(last, -1, -1):
        name = names[i]
        source = "dL/dscores (from the loss)" if i == last else f"the gradient out of {names[i + 1]}"
        backward.append((f"the gradient into {name}", _recorded(record.grads_in[i]), exp["grads_in"][i],
                         source))
        for key, grad in exp["param_grads"][i].items():
            backward.append((f"dL/d{key} of {name}", _recorded(record.param_grads[i].get(key)), grad,
                             f"the gradient into {name}"))
        if exp["grads_out"][i] is not None:
            backward.append((f"the gradient out of {name}", _recorded(record.grads_out[i]),
                             exp["grads_out"][i], f"the gradient into {name}"))
    if dx is not _UNSET:
        backward.append(("dL/dx that MLP.backward returned", _recorded(dx, NoneReturned),
                         exp["grads_out"][0], f"the gradient out of {names[0]}"))
    return forward, backward


def recording_dict(record):
    """A Recording as plain lists and dicts, the form a lesson's build cell embeds as literals."""
    return {"inputs": record.inputs, "outputs": record.outputs, "grads_in": record.grads_in,
            "grads_out": record.grads_out, "param_grads": record.param_grads}


def check_network(check, record, expected, scores=_UNSET, dx=_UNSET, bar=1e-7,
                  directions=("forward", "backward")):
    """Rows "forward pass, layer by layer" and/or "backward pass, ..." naming the first wrong stage."""
    forward_stages, backward_stages = network_stages(record, expected, scores, dx)
    stages = {"forward": forward_stages, "backward": backward_stages}
    ok = True
    for direction in directions:
        message = diagnose(stages[direction], bar)
        ok &= check.true(f"{direction} pass, layer by layer", message is None, message or "")
    return ok


class Probe:
    """A stand-in layer for checking an MLP's wiring alone: out = scale * x + shift, elementwise.

    Shapes: x (N, F) -> out (N, F); params scale (F,), shift (F,). Its math is no lesson's task,
    so a bug in Linear or an activation cannot fail a check of MLP.forward/backward that uses it.
    """

    name = "probe"

    def __init__(self, scale, shift):
        self.params = {"scale": np.array(scale, dtype=float), "shift": np.array(shift, dtype=float)}
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.cache = None

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        self.cache = np.asarray(x)
        return self.cache * self.params["scale"] + self.params["shift"]

    def param_backward(self, grad_out):
        self.grads["scale"] = np.sum(grad_out * self.cache, axis=0)
        self.grads["shift"] = np.sum(grad_out, axis=0)

    def backward(self, grad_out):
        self.param_backward(grad_out)
        return grad_out * self.params["scale"]


class ProbeSine:
    """A stand-in activation, out = sin(x): nonlinear, so layers taken out of order show."""

    name = "sine"

    def __init__(self):
        self.params, self.grads = {}, {}
        self.cache = None

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        self.cache = np.asarray(x)
        return np.sin(self.cache)

    def backward(self, grad_out):
        return grad_out * np.cos(self.cache)


class ProbeLoss:
    """A stand-in loss, L = sum(scores * y): dL/dscores = y, so no lesson's loss is needed."""

    def __init__(self):
        self.cache = None

    def __call__(self, scores, y):
        return self.forward(scores, y)

    def forward(self, scores, y):
        self.cache = np.asarray(y, dtype=float)
        return float(np.sum(np.asarray(scores) * self.cache))

    def backward(self):
        return self.cache.copy()


def probe_layers(features, depth, rng=0):
    """[Probe, ProbeSine] * depth without the last sine: stand-ins for an MLP's layers list.

    Every layer keeps ``features`` features: for MLP(features, (features,) * (depth - 1), features).
    """
    rng = np.random.default_rng(rng)
    layers = []
    for _ in range(depth):
        layers += [Probe(rng.uniform(0.5, 1.5, features), rng.normal(0, 0.5, features)), ProbeSine()]
    return layers[:-1]
