"""Gradient checks: compare a backward pass with central differences of the forward pass.

Defaults follow measurements on float64 (see the README): h = 1e-6 and a relative-error bar of
1e-5. A ReLU input within h of its kink makes central differences straddle two slopes; such
coordinates (or directions) are detected by watching whether any ReLU's on/off pattern changed
under the perturbation, reported as kinks, and not counted as errors.

Small models get full central differences (two forward passes per parameter). Large ones get
directional checks: for a direction v, the backward pass predicts the change g . v and
(L(w + h v) - L(w - h v)) / 2h measures it; random directions cover every parameter at once and
one direction per tensor names the tensor that is wrong.
"""

import importlib
from dataclasses import dataclass, field

import numpy as np

H = 1e-6
BAR = 1e-5
FULL_LIMIT = 1000  # parameters; above this check_model uses directions


def relative_errors(x, y):
    """|x - y| / max(1e-8, |x| + |y|) for each entry of two arrays of one shape."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs equal shapes, got {x.shape} and {y.shape}")
    return np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))


def rel_error(x, y):
    """CS231n's relative error: the largest of ``relative_errors`` (0 for empty arrays)."""
    return float(np.max(relative_errors(x, y), initial=0.0))


def numerical_gradient(f, x, grad_out=None, h=H):
    """Central differences of f at x: d f / dx for scalar f, else d sum(f(x) * grad_out) / dx.

    x (any shape, float64) is perturbed in place one element at a time and restored, so f may
    read it through another reference, e.g. a layer's params["W"]. Returns an array shaped as x.
    """
    return _central_differences(f, x, grad_out, h)[0]


def stepped_points(x, h=H):
    """([x + h e_i], [x - h e_i]) for every coordinate i of x in ``np.ndindex`` order, as float64
    copies shaped like x: the points where a function's values give its central differences
    (``central_slopes``) when one process evaluates it and another differences the values."""
    base = np.array(x, dtype=np.float64)
    points = ([], [])
    for i in np.ndindex(base.shape):
        for sign, sided in zip((1.0, -1.0), points):
            point = base.copy()
            point[i] += sign * h
            sided.append(point)
    return points


def central_slopes(plus, minus, h=H):
    """(f(x + h e) - f(x - h e)) / 2h from f's values ``plus`` at x + h e and ``minus`` at x - h e
    (arrays of one shape, e.g. at the points of ``stepped_points``), in float64."""
    return (np.asarray(plus, dtype=np.float64) - np.asarray(minus, dtype=np.float64)) / (2 * h)


def _central_differences(f, x, grad_out, h, pattern=None):
    """(gradient, kinked) where kinked marks the elements whose perturbation moved ``pattern()``."""
    if x.dtype != np.float64:
        raise TypeError(f"finite differences need float64, got {x.dtype}: use x.astype(np.float64)")

    def value():
        out = f(x)
        return float(np.sum(out * grad_out)) if grad_out is not None else float(out)

    grad = np.zeros_like(x)
    kinked = np.zeros(x.shape, dtype=bool)
    base = pattern() if pattern else None
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = value()
        moved = pattern is not None and not _same(pattern(), base)
        x[i] = old - h
        minus = value()
        moved = moved or (pattern is not None and not _same(pattern(), base))
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
        kinked[i] = moved
    if pattern:
        f(x)  # leave caches as they were at x
    return grad, kinked


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


def relu_pattern(layers):
    """A function returning the on/off pattern of every ReLU among ``layers`` (from their caches)."""
    relus = [layer for layer in layers if getattr(layer, "name", None) == "relu"]
    return (lambda: [layer.cache > 0 for layer in relus]) if relus else None


@dataclass
class GradCheckResult:
    """Relative error per checked tensor, against ``bar``; kinks counts what was left out per tensor."""

    errors: dict
    bar: float
    method: str
    kinks: dict = field(default_factory=dict)

    @property
    def passed(self):
        return all(err <= self.bar for err in self.errors.values())

    @property
    def first_failure(self):
        """The name of the first tensor (in checking order) over the bar, or None."""
        return next((name for name, err in self.errors.items() if err > self.bar), None)

    def __bool__(self):
        return self.passed

    def __str__(self):
        lines = [f"gradient check ({self.method}), bar {self.bar:.0e}:"]
        for name, err in self.errors.items():
            status = "ok" if err <= self.bar else "WRONG"
            kinks = self.kinks.get(name, 0)
            note = f"  ({kinks} left out: within h of a ReLU kink)" if kinks else ""
            lines.append(f"  {name:<14} rel error {err:.2e}  {status}{note}")
        # A tensor whose every direction crossed a kink has no error to show: say so, not omit it.
        for name in [name for name in self.kinks if name not in self.errors]:
            lines.append(f"  {name:<14} not checked: all {self.kinks[name]} direction(s) crossed a ReLU kink")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def _masked_error(analytic, numeric, kinked):
    keep = ~kinked
    return rel_error(analytic[keep], numeric[keep]), int(kinked.sum())


def check_layer(layer, x, grad_out=None, h=H, bar=BAR, rng=0):
    """Check layer.backward against central differences of layer.forward at x.

    Shapes: x (N, ...) as the layer takes it; grad_out shaped as the output (random if None).
    Checks dL/dx and dL/d(param) for every entry of layer.params. Parameters must be float64.
    """
    x = np.array(x, dtype=np.float64)
    for key, value in layer.params.items():
        if value.dtype != np.float64:
            raise TypeError(f"gradient checks need float64 parameters, {key} is {value.dtype}: "
                            "build the layer with dtype=np.float64")
    out = layer.forward(x)
    if grad_out is None:
        grad_out = np.random.default_rng(rng).standard_normal(np.shape(out))
    analytic = {"x": np.array(layer.backward(grad_out), dtype=np.float64)}
    analytic.update((key, np.array(grad, dtype=np.float64)) for key, grad in layer.grads.items())
    pattern = relu_pattern([layer])
    errors, kinks = {}, {}
    for name, target in [("x", x)] + list(layer.params.items()):
        numeric, kinked = _central_differences(lambda _: layer.forward(x), target, grad_out, h, pattern)
        if analytic[name].shape != target.shape:
            raise ValueError(f"the gradient for {name} has shape {analytic[name].shape}, "
                             f"but {name} has shape {target.shape}")
        errors[name], kinks[name] = _masked_error(analytic[name], numeric, kinked)
    return GradCheckResult(errors, bar, "full", kinks)


def _paired_loss(model):
    """The loss that pairs with the model's output activation, from the library that defines the
    model's MLP class (the student's backprop_lib, or the reference for a reference model)."""
    library = next((cls.__module__.rpartition(".")[0] for cls in type(model).__mro__
                    if cls.__module__.endswith(".mlp")), "backprop_lib")
    return importlib.import_module(f"{library}.losses").LOSS_FOR_OUTPUT[model.output_activation]()


def check_model(model, x, y, loss=None, h=H, bar=BAR, directions=5, full_limit=FULL_LIMIT, rng=0):
    """Check model.backward on the loss at (x, y) against central differences.

    Full differences for models with at most ``full_limit`` parameters, otherwise ``directions``
    random directions over all parameters plus one random direction per tensor.
    The loss defaults to the one that pairs with the model's output activation.
    """
    loss = loss or _paired_loss(model)
    x = np.asarray(x, dtype=np.float64)
    params = model.named_parameters()
    for name, layer, key in params:
        if layer.params[key].dtype != np.float64:
            raise TypeError(f"gradient checks need float64 parameters, {name} is "
                            f"{layer.params[key].dtype}: build the model with dtype=np.float64")

    def objective(_=None):
        return loss.forward(model.forward(x), y)

    objective()
    model.backward(loss.backward())
    analytic = {name: np.array(layer.grads[key], dtype=np.float64) for name, layer, key in params}
    for name, layer, key in params:
        if analytic[name].shape != layer.params[key].shape:
            raise ValueError(f"grads of {name} have shape {analytic[name].shape}, "
                             f"but the parameter has shape {layer.params[key].shape}")
    pattern = relu_pattern(model.layers)
    if model.num_parameters() <= full_limit:
        errors, kinks = {}, {}
        for name, layer, key in params:
            numeric, kinked = _central_differences(objective, layer.params[key], None, h, pattern)
            errors[name], kinks[name] = _masked_error(analytic[name], numeric, kinked)
        return GradCheckResult(errors, bar, "full", kinks)
    return _directional_check(params, analytic, objective, pattern, h, bar, directions, rng)


def _directional_check(params, analytic, objective, pattern, h, bar, directions, rng):
    rng = np.random.default_rng(rng)
    base = pattern() if pattern else None
    originals = {name: layer.params[key].copy() for name, layer, key in params}

    def measure(direction):
        """(analytic g.v, numeric slope, crossed a kink?) for a direction {name: array}."""
        predicted = sum(float(np.sum(analytic[name] * v)) for name, v in direction.items())
        moved = False
        slopes = []
        for sign in (1.0, -1.0):
            for name, layer, key in params:
                if name in direction:
                    layer.params[key][...] = originals[name] + sign * h * direction[name]
            slopes.append(objective())
            moved = moved or (pattern is not None and not _same(pattern(), base))
        for name, layer, key in params:
            layer.params[key][...] = originals[name]
        return predicted, (slopes[0] - slopes[1]) / (2 * h), moved

    def random_direction(names):
        v = {name: rng.standard_normal(analytic[name].shape) for name in names}
        norm = np.sqrt(sum(float(np.sum(a * a)) for a in v.values()))
        return {name: a / norm for name, a in v.items()}

    names = list(analytic)
    errors, kinks = {}, {}
    trials = [("all", names)] * directions + [(name, [name]) for name in names]
    for label, subset in trials:
        predicted, measured, moved = measure(random_direction(subset))
        if moved:
            kinks[label] = kinks.get(label, 0) + 1
            continue
        errors[label] = max(errors.get(label, 0.0), rel_error(predicted, measured))
    objective()  # leave caches as they were at the unperturbed parameters
    return GradCheckResult(errors, bar, f"{directions} random directions + 1 per tensor", kinks)
