"""Author solutions/02_linear_layer.ipynb: Linear forward and backward over a batch.

Run with the repository's Python: ``.venv/bin/python solutions/authoring/lesson_02.py``.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbauthor as nb  # noqa: E402

nb.reference_library()
from backprop_lib.layers import Linear  # noqa: E402  (the reference layer)

NAME = "02_linear_layer"

# Seeded inputs, shared verbatim by the hidden tests and by the authoring below, so that the
# embedded expected values belong to exactly these inputs.
CASES = '''
graded_shapes = [(21, 1, 3, 2), (22, 4, 5, 3), (23, 6, 2, 7)]   # (seed, N, in, out); batch 1 first

def linear_case(seed, n, fan_in, fan_out):
    """Seeded float64 inputs: x (n, in), W (in, out), b (out,), grad_out (n, out)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, fan_in)), rng.standard_normal((fan_in, fan_out)),
            rng.standard_normal(fan_out), rng.standard_normal((n, fan_out)))

def near(got, expected, bar):
    """max |got - expected| <= bar * max |expected|: how float32 results meet float64 values."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.max(np.abs(got - expected)) <= bar * np.max(np.abs(expected)))

def graded_layer(fan_in, fan_out, W, b, dtype):
    layer = GradedLinear(fan_in, fan_out, dtype=dtype)
    layer.params["W"] = W.astype(dtype)
    layer.params["b"] = b.astype(dtype)
    return layer
'''


def reference_values():
    """[(out, dW, db, dx)] per graded shape, from the reference Linear in float64."""
    scope = {"np": np}
    exec(CASES, scope)
    values = []
    for seed, n, fan_in, fan_out in scope["graded_shapes"]:
        x, W, b, grad_out = scope["linear_case"](seed, n, fan_in, fan_out)
        layer = Linear(fan_in, fan_out)
        layer.params["W"], layer.params["b"] = W, b
        out = layer.forward(x)
        dx = layer.backward(grad_out)
        values.append((out, layer.grads["W"], layer.grads["b"], dx))
    return values


VALUES = reference_values()


def expected_list(index):
    return "[" + ", ".join(nb.literal(case[index]) for case in VALUES) + "]"


HEADER = '''
from backprop_course.checks import task as graded_task
from backprop_lib.layers import Linear as GradedLinear
'''

# The small visible example: numbers a reader can verify by hand.
SMALL = '''
W_small = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
b_small = np.array([0.5, -0.5])
x_small = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
grad_small = np.array([[1.0, -1.0], [0.5, 2.0]])

def small_layer(dtype=np.float64):
    """Linear(3, 2) with the weights above."""
    layer = Linear(3, 2, dtype=dtype)
    layer.params["W"], layer.params["b"] = W_small.astype(dtype), b_small.astype(dtype)
    return layer
'''


def small_values():
    scope = {"np": np, "Linear": Linear}
    exec(SMALL, scope)
    layer = scope["small_layer"]()
    out = layer.forward(scope["x_small"])
    dx = layer.backward(scope["grad_small"])
    return {"out": out, "dW": layer.grads["W"], "db": layer.grads["b"], "dx": dx}


SMALL_VALUES = small_values()


def cells():
    s = {key: nb.literal(value) for key, value in SMALL_VALUES.items()}
    return [
        nb.markdown("title", r"""
# Lesson 2: the linear layer

In lesson 1 every weight was its own node. A real layer has thousands of weights and processes a
whole **batch** of samples at once, so we write its forward and backward passes with matrices. The
chain rule is the same; only the bookkeeping changes.

**Objectives.** After this lesson you can
- write the forward pass of an affine layer for a batch of $N$ samples and state every shape;
- derive $\partial L/\partial W = x^\top G$, $\partial L/\partial b = \sum_n G_n$ and
  $\partial L/\partial x = G W^\top$ from the scalar chain rule;
- check a backward pass against central differences and read the result.

| Task | What | Where | Points |
|---|---|---|---|
| Lesson 2, task 1 | `Linear.forward` | `backprop_lib/layers.py` | 2 |
| Lesson 2, task 2 | `Linear.param_backward`: $\partial L/\partial W$, $\partial L/\partial b$ | `backprop_lib/layers.py` | 3 |
| Lesson 2, task 3 | `Linear.backward`: $\partial L/\partial x$ | `backprop_lib/layers.py` | 2 |
| written answers | summing over the batch; reading a gradient check | this notebook | 2 |
| | | **total** | **9** |
"""),
        nb.code("setup", """
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import matplotlib.pyplot as plt
import numpy as np

from backprop_course.cells import demo
from backprop_course.checks import task
from backprop_course.gradcheck import check_layer
from backprop_lib.layers import Linear
"""),
        nb.markdown("forward-md", r"""
## The forward pass

A batch is a matrix $x$ with one sample per row. The layer maps each row through the same weights:

$$\text{out} = x W + b, \qquad \text{out}_{nj} = \sum_i x_{ni} W_{ij} + b_j .$$

| array | shape | meaning |
|---|---|---|
| `x` | $(N, \text{in})$ | $N$ samples, one per row |
| `W` = `params["W"]` | $(\text{in}, \text{out})$ | one column of weights per output unit |
| `b` = `params["b"]` | $(\text{out},)$ | one bias per output unit, broadcast over the rows |
| `out` | $(N, \text{out})$ | |

### Lesson 2, task 1: `Linear.forward` (2 points)

In `backprop_lib/layers.py`, implement `Linear.forward`: return `out` and store the input in
`self.cache` (the backward pass needs it). Do not modify `x`; keep its dtype (a float32 layer
returns float32). The checks use $W = \begin{pmatrix}1&2\\3&4\\5&6\end{pmatrix}$,
$b = (0.5, -0.5)$ and two samples you can verify by hand; bars are relative errors.
"""),
        nb.tests("task1-check", nb.fill('''
<<small>>

with task("Lesson 2, task 1") as check:
    layer = small_layer()
    x = x_small.copy()                         # every check works on its own copies
    out = layer.forward(x)
    check.close("out (2 samples)", out, <<out>>, bar=1e-12)
    check.true("x unchanged", np.array_equal(x, x_small), "forward must not modify its input")
    check.true("cache holds x", np.array_equal(np.asarray(layer.cache), x_small),
               "store the input in self.cache: the backward pass needs it")
    check.close("out (batch of 1)", layer.forward(x_small[:1].copy()), <<out>>[:1], bar=1e-12)
    out32 = small_layer(np.float32).forward(x_small.astype(np.float32))
    check.true("float32 in, float32 out", np.asarray(out32).dtype == np.float32,
               f"got {np.asarray(out32).dtype}: use only the layer's own arrays and x")
### BEGIN HIDDEN TESTS
<<header>>
<<cases>>
graded_out = <<expected>>
with graded_task("Lesson 2, task 1 (graded)") as graded:
    for (seed, n, fan_in, fan_out), expected in zip(graded_shapes, graded_out):
        x, W, b, _ = linear_case(seed, n, fan_in, fan_out)
        shape = f"{n}x{fan_in} -> {n}x{fan_out}"
        layer = graded_layer(fan_in, fan_out, W, b, np.float64)
        x_before = x.copy()
        graded.close(f"out {shape}", layer.forward(x), expected, bar=1e-10)
        graded.true(f"x unchanged {shape}", np.array_equal(x, x_before), "forward modified its input")
        graded.true(f"cache holds x {shape}", np.array_equal(np.asarray(layer.cache), x), "store x in self.cache")
        layer32 = graded_layer(fan_in, fan_out, W, b, np.float32)
        out32 = layer32.forward(x.astype(np.float32))
        graded.true(f"float32 out {shape}", np.asarray(out32).dtype == np.float32 and near(out32, expected, 1e-5),
                    "a float32 layer must return float32 values within 1e-5 of the float64 result")
### END HIDDEN TESTS
''', small=SMALL.strip("\n"), out=s["out"], header=HEADER.strip("\n"), cases=CASES.strip("\n"),
                 expected=expected_list(0)), points=2),
        nb.markdown("backward-md", r"""
## The backward pass

The layer receives $G = \partial L/\partial\,\text{out}$, shape $(N, \text{out})$, from the layer
above. Each weight $W_{ij}$ touches the output $\text{out}_{nj}$ of **every** sample $n$, with
local derivative $\partial\,\text{out}_{nj}/\partial W_{ij} = x_{ni}$. Summing over those paths:

$$\frac{\partial L}{\partial W_{ij}} = \sum_n x_{ni}\, G_{nj} = (x^\top G)_{ij},\qquad
\frac{\partial L}{\partial b_j} = \sum_n G_{nj},\qquad
\frac{\partial L}{\partial x_{ni}} = \sum_j G_{nj}\, W_{ij} = (G W^\top)_{ni}.$$

A shape check tells you where each transpose goes: $x^\top G$ is $(\text{in}, N)(N, \text{out}) =
(\text{in}, \text{out})$, the shape of $W$, whatever $N$ is. The sum over $n$ is the batch:
the same parameters serve every sample, so their gradients add up the samples' contributions.

### Lesson 2, task 2: `Linear.param_backward` (3 points)

Fill `self.grads["W"]` and `self.grads["b"]` from `grad_out` and the cached `x`. **Overwrite**
them (calling it twice gives the same gradients, not twice the gradients), do not modify
`grad_out`, and keep the dtype. The check sets `self.cache` itself, so it tests task 2 alone.
"""),
        nb.tests("task2-check", nb.fill('''
with task("Lesson 2, task 2") as check:
    layer = small_layer()
    layer.cache = x_small.copy()               # what forward (task 1) stores: task 1 is not needed
    grad = grad_small.copy()
    layer.param_backward(grad)
    check.close("dL/dW", layer.grads["W"], <<dW>>, bar=1e-12)
    check.close("dL/db", layer.grads["b"], <<db>>, bar=1e-12)
    check.true("grad_out unchanged", np.array_equal(grad, grad_small), "do not modify grad_out")
    layer.param_backward(grad)
    check.close("dL/dW after a second call", layer.grads["W"], <<dW>>, bar=1e-12)
    layer.cache = x_small[:1].copy()
    layer.param_backward(grad_small[:1].copy())
    check.close("dL/db (batch of 1)", layer.grads["b"], grad_small[0], bar=1e-12)
### BEGIN HIDDEN TESTS
<<header>>
<<cases>>
graded_dW, graded_db = <<dW_all>>, <<db_all>>
with graded_task("Lesson 2, task 2 (graded)") as graded:
    for (seed, n, fan_in, fan_out), dW, db in zip(graded_shapes, graded_dW, graded_db):
        x, W, b, grad_out = linear_case(seed, n, fan_in, fan_out)
        shape = f"{n}x{fan_in} -> {n}x{fan_out}"
        layer = graded_layer(fan_in, fan_out, W, b, np.float64)
        layer.cache = x.copy()
        grad_before = grad_out.copy()
        layer.param_backward(grad_out)
        graded.chain([("dL/dout (given)", grad_out, grad_before),
                      ("dL/dW", layer.grads["W"], dW, "dL/dout and the cached x"),
                      ("dL/db", layer.grads["b"], db, "dL/dout")], bar=1e-10, name=f"gradients {shape}")
        layer.param_backward(grad_out)
        graded.close(f"dL/dW after a second call {shape}", layer.grads["W"], dW, bar=1e-10)
        layer32 = graded_layer(fan_in, fan_out, W, b, np.float32)
        layer32.cache = x.astype(np.float32)
        layer32.param_backward(grad_out.astype(np.float32))
        graded.true(f"float32 dL/dW, dL/db {shape}",
                    all(np.asarray(layer32.grads[k]).dtype == np.float32 for k in "Wb")
                    and near(layer32.grads["W"], dW, 1e-5) and near(layer32.grads["b"], db, 1e-5),
                    "float32 gradients must be float32 and within 1e-5 of the float64 ones")
### END HIDDEN TESTS
''', dW=s["dW"], db=s["db"], header=HEADER.strip("\n"), cases=CASES.strip("\n"),
                 dW_all=expected_list(1), db_all=expected_list(2)), points=3),
        nb.markdown("dx-md", r"""
### Lesson 2, task 3: `Linear.backward` (2 points)

`backward(grad_out)` calls `param_backward` (given) and returns $\partial L/\partial x = G W^\top$,
shape $(N, \text{in})$: the gradient the layer passes down to the layer below it. The check sets
`self.cache` and switches `param_backward` off, so it tests task 3 alone.
"""),
        nb.tests("task3-check", nb.fill('''
with task("Lesson 2, task 3") as check:
    layer = small_layer()
    layer.cache = x_small.copy()               # what forward (task 1) stores
    layer.param_backward = lambda grad_out: None   # task 2 is switched off: this checks task 3 alone
    grad = grad_small.copy()
    dx = layer.backward(grad)
    check.close("dL/dx", dx, <<dx>>, bar=1e-12)
    check.true("grad_out unchanged", np.array_equal(grad, grad_small), "do not modify grad_out")
### BEGIN HIDDEN TESTS
<<header>>
<<cases>>
graded_dx = <<dx_all>>
with graded_task("Lesson 2, task 3 (graded)") as graded:
    for (seed, n, fan_in, fan_out), dx in zip(graded_shapes, graded_dx):
        x, W, b, grad_out = linear_case(seed, n, fan_in, fan_out)
        shape = f"{n}x{fan_in} -> {n}x{fan_out}"
        for dtype, bar in ((np.float64, 1e-10), (np.float32, 1e-5)):
            layer = graded_layer(fan_in, fan_out, W, b, dtype)
            layer.param_backward = lambda grad_out: None   # task 2 is graded on its own
            layer.cache = x.astype(dtype)
            grad_in = grad_out.astype(dtype)
            got = layer.backward(grad_in)
            if dtype is np.float64:
                graded.chain([("dL/dout (given)", grad_in, grad_out),
                              ("dL/dx", got, dx, "dL/dout and W")], bar=bar, name=f"dL/dx {shape}")
            else:
                graded.true(f"float32 dL/dx {shape}", np.asarray(got).dtype == np.float32 and near(got, dx, bar),
                            "float32 dL/dx must be float32 and within 1e-5 of the float64 one")
### END HIDDEN TESTS
''', dx=s["dx"], header=HEADER.strip("\n"), cases=CASES.strip("\n"), dx_all=expected_list(3)),
                 points=2),
        nb.markdown("gradcheck-md", r"""
### Your whole layer against central differences (not graded)

With tasks 1 to 3 done, a **gradient check** (`backprop_course.gradcheck.check_layer`) tests them
together: it nudges every entry of $x$, $W$ and $b$ by $\pm h$ ($h = 10^{-6}$), measures the change
of $\sum \text{out} \odot G$ with your `forward`, and compares the slope
$\frac{f(\theta + h) - f(\theta - h)}{2h}$ with your backward pass. In float64 a correct backward
pass gives relative errors around $10^{-10}$; the bar is $10^{-5}$. A gradient check alone would
pass a backward pass that returns zeros if forward also returned zeros: that is why each task is
graded above against known values, and on its own.
"""),
        nb.tagged(nb.code("gradcheck", """
with task("Lesson 2, your whole layer (not graded)") as check:
    check.gradients(check_layer(Linear(5, 3, rng=1), np.random.default_rng(2).standard_normal((4, 5))))
"""), "raises-exception"),
        nb.markdown("why-sum-md", r"""
### Written answer (1 point)

Why does $\partial L/\partial b$ sum `grad_out` over the batch axis, and why does
$\partial L/\partial W$ have the shape of $W$ for every batch size $N$?
"""),
        nb.written_answer("why-sum-answer", r"""
### BEGIN SOLUTION
Every sample's output uses the same $b_j$ (broadcast over the rows) with local derivative 1, so
$b_j$ reaches the loss along $N$ paths, one per sample, and the chain rule adds them:
$\sum_n G_{nj}$. Likewise $W_{ij}$ is shared by all samples; $x^\top G$ has shape
$(\text{in}, N)(N, \text{out}) = (\text{in}, \text{out})$: the product sums over $n$, so $N$
disappears and the gradient has one entry per parameter, as it must to update $W$.
### END SOLUTION
""", points=1),
        nb.markdown("h-md", r"""
## How small should $h$ be?

Central differences have two errors. **Truncation**: the slope of a secant differs from the
derivative by $O(h^2)$. **Rounding**: $f(\theta + h) - f(\theta - h)$ subtracts two nearly equal
numbers, each rounded to about $\varepsilon\,|f|$ ($\varepsilon \approx 10^{-16}$ in float64,
$10^{-7}$ in float32), and dividing by $2h$ magnifies that to $\varepsilon |f| / h$. The plot uses
$L = \sum \sin(\text{out})$ (curved, so that truncation shows) and your layer's backward pass.
"""),
        nb.code("h-plot", '''
def slope_error(dtype, h, rng=3):
    """Relative error of the central difference for dL/dW[0, 0] at step h, L = sum(sin(out))."""
    layer = Linear(3, 2, rng=rng, dtype=dtype)
    x = np.random.default_rng(rng).standard_normal((4, 3)).astype(dtype)
    layer.backward(np.cos(layer.forward(x)))
    analytic = float(layer.grads["W"][0, 0])
    W, old = layer.params["W"], layer.params["W"][0, 0]
    W[0, 0] = old + dtype(h)
    plus = float(np.sin(layer.forward(x)).sum())
    W[0, 0] = old - dtype(h)
    minus = float(np.sin(layer.forward(x)).sum())
    W[0, 0] = old
    numeric = (plus - minus) / (2 * h)
    return abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))

with demo("the finite-difference plot"):
    steps = np.logspace(-12, -1, 34)
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for dtype in (np.float64, np.float32):
        ax.loglog(steps, [max(slope_error(dtype, h), 1e-17) for h in steps], "o-", ms=3,
                  label=np.dtype(dtype).name)
    ax.axhline(1e-5, color="k", ls="--", lw=1, label="bar 1e-5")
    ax.axvline(1e-6, color="0.5", ls=":", lw=1, label="h = 1e-6")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the central difference")
    ax.legend()
    plt.show()
'''),
        nb.markdown("h-answer-md", r"""
### Written answer (1 point)

Read the plot: why does the float64 error *grow* again when $h$ gets very small, and why can a
float32 layer not be gradient-checked against the bar $10^{-5}$?
"""),
        nb.written_answer("h-answer", r"""
### BEGIN SOLUTION
Below $h \approx 10^{-5}$ rounding dominates: the two forward values agree in most of their digits,
their difference keeps only the rounding noise $\approx \varepsilon|f|$, and dividing by $2h$ blows
it up as $\varepsilon|f|/h$. Above, truncation ($\propto h^2$) dominates. In float32,
$\varepsilon \approx 6\cdot 10^{-8}$: the rounding term stays above $10^{-5}$ until $h$ is so large
($\approx 10^{-2}$) that truncation is as large, so no step size gets safely below the bar. float32
code is checked against a float64 computation instead.
### END SOLUTION
""", points=1),
    ]


if __name__ == "__main__":
    nb.main(NAME, cells())
