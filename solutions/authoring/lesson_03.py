"""Author solutions/03_activations.ipynb: ReLU, sigmoid, tanh and their derivatives.

Run with the repository's Python: ``.venv/bin/python solutions/authoring/lesson_03.py``.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbauthor as nb  # noqa: E402

nb.reference_library()
from backprop_lib.layers import ACTIVATIONS, DERIVATIVES  # noqa: E402  (the reference tables)

NAME = "03_activations"

# Seeded inputs shared verbatim by the hidden tests and the authoring below. The last array holds
# the kink 0 (and -0.0) and points within 1e-12 of it.
CASES = '''
graded_inputs = [np.random.default_rng(31).standard_normal((1, 4)) * 3,
                 np.random.default_rng(32).standard_normal((3, 5)) * 3,
                 np.concatenate([np.random.default_rng(33).standard_normal(8) * 3,
                                 [0.0, -0.0, 1e-12, -1e-12]]).reshape(2, 3, 2)]
graded_extreme = np.array([-1000.0, -40.0, 40.0, 1000.0])

def near(got, expected, bar):
    """max |got - expected| <= bar * max |expected|: how float32 results meet float64 values."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.max(np.abs(got - expected)) <= bar * np.max(np.abs(expected)))

def graded_activation(graded, name, f, derivative, outs, slopes, extreme, bar):
    """Values, derivatives from the output, float32, no mutation, extremes and central differences."""
    for x, out, slope in zip(graded_inputs, outs, slopes):
        shape = "x".join(map(str, x.shape))
        x_before = x.copy()
        got = f(x)
        graded.true(f"{name}: x unchanged {shape}", np.array_equal(x, x_before), "do not modify the input")
        out_given = out.copy()
        graded.chain([(f"{name}(x)", got, out),
                      (f"{name}_derivative(out)", derivative(out_given), slope, f"out = {name}(x)")],
                     bar=bar, name=f"{name} and its derivative {shape}")
        graded.true(f"{name}_derivative: out unchanged {shape}", np.array_equal(out, out_given),
                    "do not modify the output you are given")
        got32, slope32 = f(x.astype(np.float32)), derivative(out.astype(np.float32))
        graded.true(f"{name}: float32 stays float32 {shape}",
                    np.asarray(got32).dtype == np.float32 and np.asarray(slope32).dtype == np.float32,
                    f"float32 in must give float32 out (got {np.asarray(got32).dtype}, "
                    f"{np.asarray(slope32).dtype})")
        graded.true(f"{name}: float32 values {shape}", near(got32, out, 1e-6) and near(slope32, slope, 1e-6),
                    "float32 results must be within 1e-6 of the float64 ones")
        away = np.abs(x) > 1e-4                # central differences straddle a kink within h of it
        h = 1e-6
        numeric = (f(x + h) - f(x - h)) / (2 * h)
        graded.close(f"{name}: your derivative vs central differences {shape}",
                     np.asarray(derivative(f(x)))[away], numeric[away], bar=1e-5)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            got = f(graded_extreme)
    except FloatingPointError as err:
        graded.true(f"{name} at x = -1000, -40, 40, 1000", False, f"overflows ({err})")
    else:
        graded.close(f"{name} at x = -1000, -40, 40, 1000", got, extreme, bar=bar)
'''


def reference_values(name):
    """(outs, slopes, extreme) for one activation: its values and derivatives on CASES' inputs."""
    scope = {"np": np}
    exec(CASES, scope)
    outs = [ACTIVATIONS[name](x) for x in scope["graded_inputs"]]
    slopes = [DERIVATIVES[name](out) for out in outs]
    return outs, slopes, ACTIVATIONS[name](scope["graded_extreme"])


def hidden(task_number, name, bar):
    outs, slopes, extreme = reference_values(name)
    return nb.fill('''
### BEGIN HIDDEN TESTS
from backprop_course.checks import task as graded_task
from backprop_lib.layers import <<name>> as graded_f, <<name>>_derivative as graded_derivative
<<cases>>
with graded_task("Lesson 3, task <<task>> (graded)") as graded:
    graded_activation(graded, "<<name>>", graded_f, graded_derivative, <<outs>>, <<slopes>>, <<extreme>>, <<bar>>)
### END HIDDEN TESTS
''', name=name, cases=CASES.strip("\n"), task=task_number, bar=bar,
        outs="[" + ", ".join(map(nb.literal, outs)) + "]",
        slopes="[" + ", ".join(map(nb.literal, slopes)) + "]", extreme=nb.literal(extreme))


def visible(task_number, name, extreme=None):
    """The visible check of one activation: values at a few points, the derivative from the
    output against central differences, float32, no mutation, and (sigmoid, tanh) |x| = 1000."""
    xs = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    out = ACTIVATIONS[name](xs)
    extreme_check = "" if extreme is None else nb.fill('''
    try:
        with np.errstate(over="raise", invalid="raise"):
            big = <<name>>(np.array([-1000.0, 1000.0]))
    except FloatingPointError as err:
        check.true("<<name>> at x = -1000, 1000", False, f"overflows ({err}): see the hint above")
    else:
        check.close("<<name>> at x = -1000, 1000", big, <<extreme>>, bar=1e-7)''', name=name, extreme=extreme)
    return nb.fill('''
with task("Lesson 3, task <<task>>") as check:
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    x_before = x.copy()
    out = <<name>>(x)
    check.close("<<name>>(x)", out, <<out>>, bar=1e-9)
    check.true("x unchanged", np.array_equal(x, x_before), "do not modify the input")
    check.close("<<name>>_derivative(out)", <<name>>_derivative(out), <<slope>>, bar=1e-9)
    away = np.array([-1.3, -0.4, 0.7, 2.5])   # away from 0, where relu's slope jumps
    check.close("slope vs central differences", <<name>>_derivative(<<name>>(away)),
                central_difference(<<name>>, away), bar=1e-6)
    x32 = x.astype(np.float32)
    dtypes = (np.asarray(<<name>>(x32)).dtype, np.asarray(<<name>>_derivative(<<name>>(x32))).dtype)
    check.true("float32 stays float32", dtypes == (np.float32, np.float32),
               f"got {dtypes[0]} and {dtypes[1]}: build results from x and out, e.g. with astype(out.dtype)")<<extreme>>
''', task=task_number, name=name, out=nb.literal(out), slope=nb.literal(DERIVATIVES[name](out)),
        extreme=extreme_check) + hidden(task_number, name, 1e-10 if name == "relu" else 1e-7)


def cells():
    return [
        nb.markdown("title", r"""
# Lesson 3: activations

Stacked linear layers are still one linear map: $x W_1 W_2 = x (W_1 W_2)$. A nonlinearity between
them, applied to every entry, is what lets a network bend its decision boundary. Its derivative
is also a factor on every backward path through the network, so it decides whether gradients
arrive intact or fade away.

**Objectives.** After this lesson you can
- implement ReLU, sigmoid and tanh and their derivatives, written from the activation's *output*;
- compute sigmoid without overflow for any input;
- explain saturation and vanishing gradients from a plot;
- state the convention at ReLU's kink and why gradient checks must stay away from it.

| Task | What | Where | Points |
|---|---|---|---|
| Lesson 3, task 1 | `relu`, `relu_derivative` | `backprop_lib/layers.py` | 2 |
| Lesson 3, task 2 | `sigmoid`, `sigmoid_derivative` | `backprop_lib/layers.py` | 2 |
| Lesson 3, task 3 | `tanh`, `tanh_derivative` | `backprop_lib/layers.py` | 2 |
| written answers | vanishing gradients; the kink | this notebook | 2 |
| | | **total** | **8** |
"""),
        nb.code("setup", """
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import matplotlib.pyplot as plt
import numpy as np

from backprop_course.cells import demo
from backprop_course.checks import task
from backprop_course.gradcheck import check_layer
from backprop_lib.layers import (ACTIVATIONS, DERIVATIVES, ReLU, relu, relu_derivative, sigmoid,
                                 sigmoid_derivative, tanh, tanh_derivative)


def central_difference(f, x, h=1e-6):
    \"\"\"The slope of the elementwise function f at each entry of x, by central differences.\"\"\"
    return (f(x + h) - f(x - h)) / (2 * h)
"""),
        nb.markdown("derivatives-md", r"""
## Derivatives from the output

An activation layer caches its **output** $o = f(x)$, and each derivative below is written in
terms of $o$ alone (as scikit-learn's MLP does), which saves recomputing $f$ in the backward pass:

| $f(x)$ | formula | $f'(x)$ in terms of $o = f(x)$ |
|---|---|---|
| ReLU | $\max(x, 0)$ | $1$ if $o > 0$, else $0$ |
| sigmoid | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $o\,(1 - o)$ |
| tanh | $\dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$ | $1 - o^2$ |

The backward pass of an activation layer is then `grad_out * derivative(out)` (given code in
`Activation.backward`). All functions take arrays of any shape, work elementwise, must not modify
their input and must return the input's dtype (float32 in, float32 out).

### Lesson 3, task 1: ReLU (2 points)

Implement `relu` and `relu_derivative` in `backprop_lib/layers.py`. At the kink $x = 0$ ReLU has
no derivative; use the convention $\mathrm{relu}'(0) = 0$ (as PyTorch does). A derivative built
from a comparison is boolean: convert it with `.astype(out.dtype)`. Bars: $10^{-9}$ for values,
$10^{-6}$ against central differences.
"""),
        nb.tests("task1-check", visible(1, "relu"), points=2),
        nb.markdown("sigmoid-md", r"""
### Lesson 3, task 2: sigmoid (2 points)

Implement `sigmoid` and `sigmoid_derivative`. The textbook formula overflows: for $x < -709$,
`np.exp(-x)` is `inf` (NumPy warns, and the check turns warnings into errors). The identity
$\sigma(x) = \tfrac12 \tanh(x/2) + \tfrac12$ cannot overflow; so can evaluating $e^{-|x|}$ and
choosing the formula by the sign of $x$. The check includes $x = \pm 1000$.
"""),
        nb.tests("task2-check", visible(2, "sigmoid", extreme=nb.literal(np.array([0.0, 1.0]))),
                 points=2),
        nb.markdown("tanh-md", r"""
### Lesson 3, task 3: tanh (2 points)

Implement `tanh` and `tanh_derivative` (`np.tanh` is allowed and does not overflow; the
$e^{x}$ formula does). The check includes $x = \pm 1000$.
"""),
        nb.tests("task3-check", visible(3, "tanh", extreme=nb.literal(np.array([-1.0, 1.0]))),
                 points=2),
        nb.markdown("saturation-md", r"""
## Saturation

For large $|x|$ sigmoid and tanh flatten out: they **saturate**, and their derivative is nearly 0.
Sigmoid's derivative is at most $\sigma'(0) = 1/4$; tanh's at most $1$; ReLU's is exactly 1 for every
positive input and 0 for every negative one.
"""),
        nb.code("curves", '''
z = np.linspace(-6, 6, 601)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
for name in ["relu", "sigmoid", "tanh"]:
    with demo(f"the {name} curves"):
        out = ACTIVATIONS[name](z)
        left.plot(z, out, label=name)
        right.plot(z, DERIVATIVES[name](out), label=name)
for ax, title in ((left, "f(x)"), (right, "f'(x), from the output")):
    ax.axvspan(-6, -3, color="0.92")
    ax.axvspan(3, 6, color="0.92")
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
left.set_ylim(-1.2, 3)
right.text(4.5, 0.55, "sigmoid and tanh\\nsaturate here", ha="center", fontsize=8)
plt.show()
'''),
        nb.markdown("vanishing-md", r"""
## Vanishing gradients

Backpropagating through $k$ layers multiplies $k$ local derivatives. The experiment below pushes a
batch through 30 layers of width 64 (Glorot-initialised weights, no training) and then sends a
gradient back down, recording $\lVert \partial L/\partial h_k \rVert$ at every layer $k$. Each sigmoid
layer multiplies the gradient by at most $1/4$ (times the weights): by the first layer almost nothing
is left, and those layers barely learn.
"""),
        nb.code("vanishing", '''
def gradient_norms(name, depth=30, width=64, rng=0):
    """||dL/dh_k|| for k = depth .. 1 through a random stack of Glorot-uniform layers."""
    rng = np.random.default_rng(rng)
    bound = np.sqrt(6.0 / (2 * width))
    weights = [rng.uniform(-bound, bound, (width, width)) for _ in range(depth)]
    h = rng.standard_normal((32, width))
    outs = []
    for W in weights:
        h = ACTIVATIONS[name](h @ W)
        outs.append(h)
    grad = np.ones_like(h) / h.size
    norms = []
    for W, out in zip(weights[::-1], outs[::-1]):
        norms.append(np.linalg.norm(grad))
        grad = (grad * DERIVATIVES[name](out)) @ W.T
    return norms[::-1]

fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name in ["relu", "tanh", "sigmoid"]:
    with demo(f"the {name} gradients"):
        norms = gradient_norms(name)
        ax.semilogy(range(1, len(norms) + 1), norms, "o-", ms=3, label=name)
        print(f"{name:>8}: the gradient shrinks by a factor {norms[-1] / norms[0]:.1e} from layer 30 to layer 1")
ax.set_xlabel("layer k (1 = next to the input)")
ax.set_ylabel("||dL/dh_k||")
ax.legend()
plt.show()
'''),
        nb.markdown("vanishing-answer-md", r"""
### Written answer (1 point)

Using the plot, explain why the first layers of a deep sigmoid network learn much more slowly than
the last ones, and why ReLU and tanh suffer less.
"""),
        nb.written_answer("vanishing-answer", r"""
### BEGIN SOLUTION
The gradient reaching layer $k$ is a product of one local derivative per layer above it. Sigmoid's
derivative is at most $1/4$ (and much smaller where units saturate), so each layer shrinks the
gradient by a factor $\lesssim 1/4 \cdot \lVert W\rVert$: over 30 layers it falls by many orders of
magnitude and the first layers' updates are tiny. tanh's derivative is up to 1 near 0, and ReLU's
is exactly 1 for active units, so their products shrink far less (ReLU loses a factor of about
$\sqrt 2$ per layer here only because half its units are off; He initialisation compensates).
### END SOLUTION
""", points=1),
        nb.markdown("kink-md", r"""
## The kink

ReLU has no derivative at $x = 0$; any value in $[0, 1]$ is a valid *subgradient*, and libraries
pick one (here 0). Training is not affected: an input exactly at 0 is rare, and either choice
moves downhill. **Gradient checks** are affected: a central difference at $x$ with $|x| < h$
straddles the kink and measures an average of the two slopes. `check_layer` therefore watches the
ReLU on/off pattern and leaves such entries out, reporting them as kinks.
"""),
        nb.code("kink", '''
with demo("the kink demo"):
    h = 1e-6
    for x0 in (0.5, 1e-7, -1e-7):
        x_point = np.array([x0])
        print(f"x = {x0:>6g}: relu'(x) = {relu_derivative(relu(x_point))[0]:g}, "
              f"central difference with h = 1e-6: {central_difference(relu, x_point, h)[0]:.3g}")
    near_kink = np.array([[0.8, -1.1, 3e-7], [-4e-7, 0.6, -2.0]])
    print(check_layer(ReLU(), near_kink))
'''),
        nb.markdown("kink-answer-md", r"""
### Written answer (1 point)

Why does the central difference at $x = 10^{-7}$ give about $0.55$, and why would a gradient
check that kept this entry wrongly fail a correct ReLU?
"""),
        nb.written_answer("kink-answer", r"""
### BEGIN SOLUTION
With $h = 10^{-6}$ the two evaluation points $x \pm h$ lie on both sides of 0:
$\mathrm{relu}(x + h) = 1.1\cdot 10^{-6}$ and $\mathrm{relu}(x - h) = 0$, so the slope is
$1.1\cdot 10^{-6} / (2\cdot 10^{-6}) = 0.55$, a mix of the slopes 1 and 0. The correct analytic
derivative is 1 (or 0 at exactly 0), so the relative error is large although the code is right;
only entries farther than $h$ from the kink can be checked.
### END SOLUTION
""", points=1),
    ]


if __name__ == "__main__":
    nb.main(NAME, cells())
