"""Find the bug: given layers whose backward pass has one planted bug each, for lessons 2 and 3.

Lesson 2's suspects (``SUSPECTS``) are complete affine layers (``forward`` right, ``backward``
filling ``grads`` and returning dL/dx) with W square, so that a missing transpose still runs, on
a batch of N = 4 != 3 features; lesson 3's (``ACTIVATION_SUSPECTS``) is a sigmoid layer that
caches the wrong tensor. The student runs the course's gradient check (``gradcheck.check_layer``) on each, reads
which gradient it blames, finds the line in the listing (``listing``) and writes the wrong line and
its fix; ``check_fixes`` puts the fix in place of that line and runs the gradient check again. No
answer is stored here: a fix is right when the patched layer passes the gradient check and its
forward pass is unchanged. The exercise is checked, not graded (see lesson 2's text).
"""

import ast
import inspect
import textwrap

import numpy as np

from ..gradcheck import check_layer

X_SUSPECT = np.random.default_rng(5).standard_normal((4, 3))  # (N=4, features=3)


class Suspect:
    """What every suspect shares: params W (3, 3) and b (3,), seeded, float64; grads; cache."""

    def __init__(self):
        rng = np.random.default_rng(6)
        self.params = {"W": rng.standard_normal((3, 3)), "b": rng.standard_normal(3)}
        self.grads = {}
        self.cache = None


class LayerA(Suspect):
    """out = x @ W + b"""

    def forward(self, x):
        self.cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad_out):
        x = self.cache
        self.grads["W"] = x.T @ grad_out
        self.grads["b"] = grad_out.mean(axis=0)
        return grad_out @ self.params["W"].T


class LayerB(Suspect):
    """out = x @ W + b"""

    def forward(self, x):
        self.cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad_out):
        x = self.cache
        self.grads["W"] = x.T @ grad_out
        self.grads["b"] = grad_out.sum(axis=0)
        return grad_out @ self.params["W"]


class LayerC(Suspect):
    """out = x @ W + b + x: a skip connection adds the input to the output"""

    def forward(self, x):
        self.cache = x
        return x @ self.params["W"] + self.params["b"] + x

    def backward(self, grad_out):
        x = self.cache
        self.grads["W"] = x.T @ grad_out
        self.grads["b"] = grad_out.sum(axis=0)
        grad_x = grad_out @ self.params["W"].T  # the path through W
        grad_x = grad_out  # the skip path
        return grad_x


class SigmoidLayer:
    """out = sigmoid(x), elementwise; backward computes the slope from the cached output"""

    def __init__(self):
        self.params, self.grads, self.cache = {}, {}, None

    def forward(self, x):
        out = 0.5 * np.tanh(0.5 * x) + 0.5
        self.cache = x
        return out

    def backward(self, grad_out):
        out = self.cache
        return grad_out * out * (1 - out)


SUSPECTS = {"LayerA": LayerA, "LayerB": LayerB, "LayerC": LayerC}
ACTIVATION_SUSPECTS = {"SigmoidLayer": SigmoidLayer}
# Each suspect's source lines, read once (inspect parses this whole file for each class it is
# asked for; the grading zygote imports this module once for all its kernels).
_SOURCES = {name: inspect.getsource(suspect).splitlines()
            for name, suspect in {**SUSPECTS, **ACTIVATION_SUSPECTS}.items()}


def listing(name):
    """The source of suspect ``name`` with numbered lines, as one string."""
    return "\n".join(f"{number:>3}  {line}" for number, line in enumerate(_SOURCES[name], 1))


def _code(line):
    """One line of Python as its syntax tree (quotes, spaces and comments aside), or None."""
    try:
        return ast.dump(ast.parse(str(line).strip()))
    except SyntaxError:
        return None


def patched(name, wrong, fixed):
    """Suspect ``name`` with the line whose text (stripped) is ``wrong`` replaced by ``fixed`` at its
    indentation: a new class, or a str saying why there is none."""
    source = list(_SOURCES[name])
    target = _code(wrong)
    found = [i for i, line in enumerate(source) if target is not None and _code(line) == target]
    if len(found) != 1:
        return (f"no line of {name} reads {str(wrong).strip()!r}: copy the wrong line from its listing"
                if not found else f"{len(found)} lines of {name} read {str(wrong).strip()!r}")
    line = source[found[0]]
    source[found[0]] = line[:len(line) - len(line.lstrip())] + str(fixed).strip()
    namespace = {"np": np, "Suspect": Suspect}
    try:
        exec(compile(textwrap.dedent("\n".join(source)), f"<your fix of {name}>", "exec"), namespace)
    except SyntaxError as err:
        return f"the fixed line is not Python: {err.msg}"
    return namespace[name]


def check_fixes(check, fixes, suspects=SUSPECTS):
    """Rows for {suspect name: (wrong line, fixed line)}: each of ``suspects`` named, its wrong line
    found, and the fixed layer passing the gradient check with its forward pass unchanged."""
    if fixes is None or any(fix is None for fix in dict(fixes).values()):
        raise NotImplementedError(f"{check.label}: fill in the wrong line and its fix for each layer")
    for name in suspects:
        if name not in fixes:
            check.true(name, False, f"no fix for {name}: add \"{name}\": (wrong line, fixed line)")
            continue
        try:
            wrong, fixed = fixes[name]
        except (TypeError, ValueError):
            check.true(name, False, f"write {name}'s answer as (wrong line, fixed line), two strings")
            continue
        layer = patched(name, wrong, fixed)
        if isinstance(layer, str):
            check.true(f"{name}: the wrong line", False, layer)
            continue
        try:
            result = check_layer(layer(), X_SUSPECT, rng=7)
            same = np.array_equal(layer().forward(X_SUSPECT.copy()), suspects[name]().forward(X_SUSPECT.copy()))
        except Exception as err:  # the fixed line may raise anything: say so, in one row
            check.true(f"{name}: fixed", False, f"the fixed layer raised {type(err).__name__}: {err}")
            continue
        check.true(f"{name}: forward unchanged", same, "the bug is in backward: fix a line of backward")
        check.true(f"{name}: fixed, the gradient check passes", result.passed,
                   f"after your fix the gradient check still fails on d/d{result.first_failure}")
