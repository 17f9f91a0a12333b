# Course authors: this skeleton is generated from solutions/backprop_lib/checks.py by `backprop-course build`: edit there, not here.
"""The lessons' visible checks: short, honest reports instead of walls of traceback.

    with task("Lesson 2, task 1") as check:
        check.close("out", layer.forward(x), expected_out, bar=1e-9)
        check.gradients(check_layer(layer, x))

prints one row per check (the relative error next to the bar it must meet) and, when a check
fails, raises ``CheckFailed`` once at the end, so nbgrader marks the cell failed. A task whose
stub still raises NotImplementedError ends with the one line "not implemented yet: Lesson 2,
task 1: implement Linear.forward". In Jupyter both errors show as that one line (IPython's
``_render_traceback_`` hook), and the notebooks tag their check cells "raises-exception" so that
Run All goes on past them.
"""

import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .gradcheck import rel_error


class CheckFailed(AssertionError):
    """A visible check did not hold; shown in Jupyter as its message alone."""

    def _render_traceback_(self):
        return [f"check failed: {self}"]


class NotImplementedYet(AssertionError):
    """A task's stub still raises NotImplementedError; shown as "not implemented yet: <task>"."""

    def _render_traceback_(self):
        return [f"not implemented yet: {self}"]


class Checks:
    """Collects the rows of one task's checks; see ``task``."""

    def __init__(self, label):
        self.label = label
        self.failures = []

    def _row(self, name, ok, detail):
        print(f"  {'ok   ' if ok else 'WRONG'}  {name:<28} {detail}")
        if not ok:
            self.failures.append(name)
        return ok

    def close(self, name, got, expected, bar=1e-7):
        """got and expected agree: same shape and rel_error(got, expected) <= bar."""
        try:
            # float64 coercion first: an object that claims equality with everything fails here.
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return self._row(name, False, f"is a {type(got).__name__}, not an array of numbers")
        expected = np.asarray(expected, dtype=np.float64)
        if got.shape != expected.shape:
            return self._row(name, False, f"has shape {got.shape}, expected {expected.shape}")
        if not np.all(np.isfinite(got)):
            return self._row(name, False, "contains inf or nan")
        err = rel_error(got, expected)
        return self._row(name, err <= bar, f"rel error {err:.1e}  (bar {bar:.0e})")

    def gradients(self, result, name="gradient check"):
        """A GradCheckResult passed; each checked tensor gets its own row."""
        ok = True
        for tensor, err in result.errors.items():
            kinks = result.kinks.get(tensor, 0)
            note = f", {kinks} at a kink left out" if kinks else ""
            ok &= self._row(f"{name}: d/d{tensor}", err <= result.bar,
                            f"rel error {err:.1e}  (bar {result.bar:.0e}{note})")
        return ok

    def true(self, name, condition, why):
        """A yes/no property, e.g. "x unchanged"; ``why`` explains a failure."""
        return self._row(name, bool(condition), "" if condition else why)

    def chain(self, stages, bar=1e-7, name=None):
        """Values that flow through stages in order [(name, got, expected)]: name the first wrong one.

        For a backward pass list the stages from the loss down; the diagnosis then reads
        "dL/dW of layer 2 is wrong; the gradient arriving from layer 3 is right".
        """
        message = diagnose(stages, bar)
        return self._row(name or f"{len(stages)} stages", message is None, message or "")


def diagnose(stages, bar=1e-7):
    """The first of [(name, got, expected)] that disagrees, and whether what flowed into it agreed.

    What flowed into a stage is the stage before it, unless the stage names it as a fourth item,
    (name, got, expected, inflow), e.g. for a graph node fed by several others ("dL/da3 and dL/da4").
    List stages in the order values are computed, so that every inflow comes earlier.
    Returns None when every stage agrees, else a one-line message.
    """
    for i, (name, got, expected, *inflow) in enumerate(stages):
        if got is None:
            return f"{name} is missing (still None)"
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            what = f"is a {type(got).__name__}, not a number or an array of numbers"
        else:
            expected = np.asarray(expected, dtype=np.float64)
            if got.shape != expected.shape:
                what = f"has shape {got.shape}, expected {expected.shape}"
            elif not np.all(np.isfinite(got)):
                what = "contains inf or nan"
            elif rel_error(got, expected) <= bar:
                continue
            else:
                what = f"is wrong (rel error {rel_error(got, expected):.1e})"
        source = inflow[0] if inflow else (stages[i - 1][0] if i else None)
        if not source:
            return f"{name} {what}"
        verb = "are" if " and " in source else "is"
        return f"{name} {what}; {source}, which flowed into it, {verb} right"
    return None


# The library files students edit (those with solution regions); every other file of the
# library is course code.
STUDENT_FILES = frozenset({"graph.py", "layers.py", "losses.py", "mlp.py", "optim.py"})
LIBRARY = Path(__file__).resolve().parent
INSTALLED = tuple(str(Path(prefix).resolve()) for prefix in {sys.prefix, sys.base_prefix})


def _owner(filename):
    """Who wrote the code of a traceback frame: "student" (an editable library file or the
    notebook's own cells), "course" (the rest of the library) or None (numpy, Python, ...)."""
    path = Path(filename).resolve()
    if path.parent == LIBRARY:
        return "student" if path.name in STUDENT_FILES else "course"
    return None if str(path).startswith(INSTALLED) else "student"


def crash_report(err):
    """One line on an exception raised inside a check: "your code raised ..." when the innermost
    frame in our code (numpy's own frames skipped) is the student's, else a check problem naming
    the course file and line that raised it, and the student's last line on the way there."""
    frames = [(frame, _owner(frame.filename)) for frame in traceback.extract_tb(err.__traceback__)]
    ours = [(frame, owner) for frame, owner in frames if owner]
    frame, owner = ours[-1] if ours else (frames[-1][0], None)
    what = f"{type(err).__name__}: {err}"
    if owner == "student":
        return f"your code raised {what} (at {Path(frame.filename).name}, line {frame.lineno})"
    students = [seen for seen, who in ours if who == "student" and Path(seen.filename).parent == LIBRARY]
    via = (f"; your code's last line on the way: {Path(students[-1].filename).name}, line {students[-1].lineno}"
           if students else "")
    return (f"the check itself stopped with {what} (in the course's {Path(frame.filename).name}, "
            f"line {frame.lineno}{via})")


@contextmanager
def task(label):
    """Run one task's checks: report each, then fail once with a one-line reason."""
    check = Checks(label)
    print(f"{label}:")
    try:
        yield check
    except NotImplementedError as err:
        raise NotImplementedYet(str(err) or label) from None
    except (CheckFailed, NotImplementedYet):
        raise
    except Exception as err:
        raise CheckFailed(f"{label}: {crash_report(err)}") from None
    if check.failures:
        raise CheckFailed(f"{label}: {len(check.failures)} check(s) failed: {', '.join(check.failures)}")
    print(f"  all checks of {label} passed")


# ---- whole-network diagnosis, stand-in layers and guarded demos (lessons 4-6) -------------------

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
    """Stands for a value a layer never produced, so ``diagnose`` reports it by this name."""

    def __repr__(self):
        return "LayerNotCalled()"


def _copy(value):
    return None if value is None else np.array(value, copy=True)


class NoneReturned:
    """Stands for a None that a method returned instead of an array, named so by ``diagnose``."""

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
    """A Recording as plain lists and dicts, the form authoring scripts embed as literals."""
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


@contextmanager
def answers(label):
    """Hold a notebook task's hand-computed answers: until nbgrader's stub in the block is replaced
    (it raises NotImplementedError), print one line instead of a traceback."""
    try:
        yield
    except NotImplementedError:
        print(f"not implemented yet: {label}: write your numbers in place of `raise NotImplementedError()`")


@contextmanager
def demo(what):
    """Run a demo that needs student code; until that code exists print one line, not a traceback."""
    try:
        yield
    except NotImplementedError as err:
        print(f"{what}: skipped until this is done: {err}")


def run_strict(check, name, compute):
    """compute() with every floating-point overflow, division by zero or invalid operation raised.

    Returns compute()'s result, or None after a failed row "name: overflow encountered in exp
    (...)" instead of a traceback, so the checks that need the result can be skipped.
    """
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            return compute()
    except FloatingPointError as err:
        check.true(name, False, f"{err}: a naive formula overflows here, use the stable one")
        return None
