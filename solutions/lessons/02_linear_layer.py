# %% [markdown] id="title"
# # Lesson 2: the linear layer
#
# In lesson 1 every weight was its own node. A real layer has thousands of weights and processes a
# whole **batch** of samples at once, so we write its forward and backward passes with matrices. The
# chain rule is the same; only the bookkeeping changes.
#
# **Objectives.** After this lesson you can
# - write the forward pass of an affine layer for a batch of $N$ samples and state every shape;
# - derive the gradients of $W$, $b$ and $x$ from the scalar chain rule, by hand for one sample
#   and then for a batch, and write them as matrix products;
# - check a backward pass against central differences, read the result, and use it to find a bug.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 2, task 1 | `Linear.forward` | `backprop_lib/layers.py` | {{ points["task1-check"] }} |
# | Lesson 2, task 2: by hand | $\partial L/\partial W$, $\partial L/\partial b$ for one sample | this notebook | {{ points["task2-hand"] }} |
# | Lesson 2, task 2 | `Linear.param_backward`: $\partial L/\partial W$, $\partial L/\partial b$ | `backprop_lib/layers.py` | {{ points["task2-check"] }} |
# | Lesson 2, task 3: by hand | $\partial L/\partial x$ for one sample | this notebook | {{ points["task3-hand"] }} |
# | Lesson 2, task 3 | `Linear.backward`: $\partial L/\partial x$ | `backprop_lib/layers.py` | {{ points["task3-check"] }} |
# | find the bug (checked, not graded) | three broken backward passes | this notebook | 0 |
# | written answers | summing over the batch; reading a gradient check | this notebook | {{ points["why-sum-answer"] + points["h-answer"] }} |
# | | | **total** | **{{ total_points }}** |

# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np

from backprop_course.cells import answers, demo
from backprop_course.checks import task
from backprop_course.gradcheck import check_layer
from backprop_course.tasks.find_the_bug import SUSPECTS, X_SUSPECT, check_fixes, listing
from backprop_course.tasks.lesson_2 import (GRAD_ONE, GRAD_SMALL, W_SQUARE, X_ONE, X_SMALL, check_by_hand,
                                            only_backward, run_graded_cases, slope_error, small_inputs,
                                            small_layer, square_layer)
from backprop_lib.layers import Linear

# %% [markdown] id="forward-md"
# ## The forward pass
#
# A batch is a matrix $x$ with one sample per row. The layer maps each row through the same weights:
#
# $$\text{out} = x W + b, \qquad \text{out}_{nj} = \sum_i x_{ni} W_{ij} + b_j .$$
#
# | array | shape | meaning |
# |---|---|---|
# | `x` | $(N, \text{in})$ | $N$ samples, one per row |
# | `W` = `params["W"]` | $(\text{in}, \text{out})$ | one column of weights per output unit |
# | `b` = `params["b"]` | $(\text{out},)$ | one bias per output unit, broadcast over the rows |
# | `out` | $(N, \text{out})$ | |
#
# ### Lesson 2, task 1: `Linear.forward` ({{ points["task1-check"] }} points)
#
# In `backprop_lib/layers.py`, implement `Linear.forward`: return `out` and store the input in
# `self.cache` (the backward pass needs it). Do not modify `x`; keep its dtype (a float32 layer
# returns float32). The checks use $W = \begin{pmatrix}1&2\\3&4\\5&6\end{pmatrix}$,
# $b = (0.5, -1)$ and two samples you can verify by hand,
# $x = \begin{pmatrix}1&0&-1\\2&1&0\end{pmatrix}$ (`X_SMALL`; `small_layer(Linear)` is your layer
# with this $W$ and $b$); bars are relative errors.

# %% role="build"
from backprop_course.tasks.lesson_2 import GRAD_SMALL, X_SMALL, small_layer, square_layer
from backprop_lib.layers import Linear

# The visible example's values, from the reference layer. The graded cases have none here: the
# grader's judge computes them (autograder/judge/lesson_2.py).
layer = small_layer(Linear)
small = {"out": layer.forward(X_SMALL), "dx": layer.backward(GRAD_SMALL)}
small.update(dW=layer.grads["W"], db=layer.grads["b"], dx_square=square_layer(Linear).backward(GRAD_SMALL))


# %% id="task1-check" role="tests" points=2
run_graded_cases("Lesson 2, task 1", Linear)   # more cases, judged by the grader when you hand in
with task("Lesson 2, task 1") as check:
    layer = small_layer(Linear)
    x = X_SMALL.copy()                         # every check works on its own copies
    out = layer.forward(x)
    check.close("out (2 samples)", out, {{ small["out"] }}, bar=1e-12, inputs=small_inputs())
    check.true("x unchanged", np.array_equal(x, X_SMALL), "forward must not modify its input")
    check.true("cache holds x", np.array_equal(np.asarray(layer.cache), X_SMALL),
               "store the input in self.cache: the backward pass needs it")
    check.close("out (batch of 1)", layer.forward(X_SMALL[:1].copy()), {{ small["out"][:1] }}, bar=1e-12, inputs=small_inputs(1))
    out32 = small_layer(Linear, np.float32).forward(X_SMALL.astype(np.float32))
    check.true("float32 in, float32 out", np.asarray(out32).dtype == np.float32,
               f"got {np.asarray(out32).dtype}: use only the layer's own arrays and x")

# %% [markdown] id="backward-md"
# ## The backward pass
#
# The layer receives $G = \partial L/\partial\,\text{out}$ from the layer above and must find the
# gradients of its parameters and of its input. You derive them yourself, first for one sample by
# hand, then for a batch. What you know:
#
# | array | shape | |
# |---|---|---|
# | $G$ = `grad_out` | $(N, \text{out})$ | given: row $n$ is $\partial L/\partial\,\text{out}_n$ |
# | $\partial L/\partial W$ | $(\text{in}, \text{out})$ | one entry per weight: the shape of $W$ |
# | $\partial L/\partial b$ | $(\text{out},)$ | the shape of $b$ |
# | $\partial L/\partial x$ | $(N, \text{in})$ | the shape of $x$ |
#
# Each output is a sum of products, $\text{out}_{nj} = \sum_i x_{ni} W_{ij} + b_j$: a graph of
# lesson 1's nodes. Use lesson 1's tools: going backwards, an **add** node distributes (each input
# gets the upstream gradient unchanged), a **multiply** node swaps (each factor gets the upstream
# gradient times the *other* factor), and a node's gradient is the **sum over every path** from it
# to the loss. Ask of each parameter: which outputs does it reach, and with which local derivative?
#
# ### Lesson 2, task 2: by hand ({{ points["task2-hand"] }} point)
#
# One sample ($N = 1$): $x = (2, -1, 0.5)$ (`X_ONE`, shape $(1, 3)$), the example's $W$ and $b$
# above, and $G = (1.5, -2)$ (`GRAD_ONE`, shape $(1, 2)$). Write $\partial L/\partial W$ (3 rows of
# 2 numbers, as a list of lists) and $\partial L/\partial b$ (2 numbers). The check compares them
# with central differences without showing the answer; once it passes it shows the formula.

# %% id="task2-hand-answers" role="solution" tags=["raises-exception"]
# Lesson 2, task 2 by hand: your gradients for one sample (dL_dW means dL/dW)
dL_dW = dL_db = None
with answers("Lesson 2, task 2: by hand"):
    ### BEGIN SOLUTION
    dL_dW = [[3.0, -4.0], [-1.5, 2.0], [0.75, -1.0]]
    dL_db = [1.5, -2.0]
    ### END SOLUTION

# %% id="task2-hand" role="tests" points=1
run_graded_cases("Lesson 2, task 2: by hand", dL_dW=dL_dW, dL_db=dL_db)   # judged by the grader when you hand in
with task("Lesson 2, task 2: by hand") as check:
    check_by_hand(check, dL_dW=dL_dW, dL_db=dL_db)

# %% [markdown] id="param-backward-md"
# ### Lesson 2, task 2: `Linear.param_backward` ({{ points["task2-check"] }} points)
#
# Now a batch of $N$ samples: every sample's outputs use the same $W$ and $b$. Generalise your
# one-sample result (how many paths lead from $W_{ij}$ to the loss now?), write it with matrix
# products, and check the shapes: the result must have $W$'s shape whatever $N$ is.
#
# Fill `self.grads["W"]` and `self.grads["b"]` from `grad_out` and the cached `x`. **Overwrite**
# them (calling it twice gives the same gradients, not twice the gradients), do not modify
# `grad_out`, and keep the dtype. This does not contradict lesson 1's "add, not assign": the sum
# over paths happens *inside* one call; across calls
# each backward pass starts afresh, as `Scalar.backward` zeroes its grads first. (PyTorch
# accumulates across calls instead, which is why its loops call `zero_grad()`.) The check sets `self.cache` itself, so it tests task 2 alone.

# %% id="task2-check" role="tests" points=3
run_graded_cases("Lesson 2, task 2", Linear)   # more cases, judged by the grader when you hand in
with task("Lesson 2, task 2") as check:
    layer = small_layer(Linear, cache=X_SMALL)  # the cache forward (task 1) stores: task 1 is not needed
    grad = GRAD_SMALL.copy()
    layer.param_backward(grad)
    check.close("dL/dW", layer.grads["W"], {{ small["dW"] }}, bar=1e-12, inputs=small_inputs())
    check.close("dL/db", layer.grads["b"], {{ small["db"] }}, bar=1e-12, inputs=small_inputs())
    check.true("grad_out unchanged", np.array_equal(grad, GRAD_SMALL), "do not modify grad_out")
    layer.param_backward(grad)
    check.close("dL/dW after a second call", layer.grads["W"], {{ small["dW"] }}, bar=1e-12, inputs=small_inputs(calls=2))
    layer.cache = X_SMALL[:1].copy()
    layer.param_backward(GRAD_SMALL[:1].copy())
    check.close("dL/db (batch of 1)", layer.grads["b"], GRAD_SMALL[0], bar=1e-12, inputs=small_inputs(1))

# %% [markdown] id="dx-hand-md"
# ### Lesson 2, task 3: by hand ({{ points["task3-hand"] }} point)
#
# The gradient the layer passes down: on the same sample, which outputs does $x_i$ reach, and with
# which local derivative? Write $\partial L/\partial x$ for `X_ONE` as one row of 3 numbers (shape
# $(1, 3)$, the shape of $x$).

# %% id="task3-hand-answers" role="solution" tags=["raises-exception"]
# Lesson 2, task 3 by hand: your dL/dx for one sample
dL_dx = None
with answers("Lesson 2, task 3: by hand"):
    ### BEGIN SOLUTION
    dL_dx = [[-2.5, -3.5, -4.5]]
    ### END SOLUTION

# %% id="task3-hand" role="tests" points=1
run_graded_cases("Lesson 2, task 3: by hand", dL_dx=dL_dx)   # judged by the grader when you hand in
with task("Lesson 2, task 3: by hand") as check:
    check_by_hand(check, dL_dx=dL_dx)

# %% [markdown] id="dx-md"
# ### Lesson 2, task 3: `Linear.backward` ({{ points["task3-check"] }} points)
#
# `backward(grad_out)` calls `param_backward` (given) and returns $\partial L/\partial x$ for the
# whole batch, shape $(N, \text{in})$: the gradient the layer passes down to the layer below it.
# Does sample $n$'s input reach any other sample's outputs? The check sets
# `self.cache` and switches `param_backward` off, so it tests task 3 alone.

# %% id="task3-check" role="tests" points=2
run_graded_cases("Lesson 2, task 3", Linear)   # more cases, judged by the grader when you hand in
with task("Lesson 2, task 3") as check:
    square = square_layer(Linear).backward(GRAD_SMALL.copy())   # a 2x2 W first: it shows a missing .T
    check.close("dL/dx (2x2 layer)", square, {{ small["dx_square"] }}, bar=1e-12, inputs=small_inputs(W=W_SQUARE))
    layer = only_backward(small_layer(Linear, cache=X_SMALL))   # tasks 1 and 2 switched off: task 3 alone
    grad = GRAD_SMALL.copy()
    dx = layer.backward(grad)
    check.close("dL/dx", dx, {{ small["dx"] }}, bar=1e-12, inputs=small_inputs())
    check.true("grad_out unchanged", np.array_equal(grad, GRAD_SMALL), "do not modify grad_out")

# %% [markdown] id="gradcheck-md"
# ### Your whole layer against central differences (not graded)
#
# With tasks 1 to 3 done, a **gradient check** (`backprop_course.gradcheck.check_layer`) tests them
# together: it nudges every entry of $x$, $W$ and $b$ by $\pm h$ ($h = 10^{-6}$), measures the change
# of $\sum \text{out} \odot G$ with your `forward`, and compares the slope
# $\frac{f(\theta + h) - f(\theta - h)}{2h}$ with your backward pass. In float64 a correct backward
# pass gives relative errors around $10^{-10}$; the bar is $10^{-5}$. A gradient check alone would
# pass a backward pass that returns zeros if forward also returned zeros: that is why each task is
# graded above against known values, and on its own.

# %% id="gradcheck" tags=["raises-exception"]
with task("Lesson 2, your whole layer (not graded)") as check:
    check.gradients(check_layer(Linear(5, 3, rng=1), np.random.default_rng(2).standard_normal((4, 5))))


# %% [markdown] id="find-the-bug-md"
# ## Find the bug (checked, not graded)
#
# A gradient check tells you *which* gradient is wrong; finding the line is then up to you. Three
# layers someone wrote, `LayerA`, `LayerB` and `LayerC`, each have a right forward pass and exactly
# one wrong line in `backward`. The next cell prints each one's listing and runs the gradient check
# on it (a batch of $N = 4$ samples with 3 features). For each layer, read which gradient the check
# blames, find the line that computes it wrongly, and write that line and its fix in the answer
# cell below. The check puts your fix in place of that line, runs the gradient check again and
# makes sure the forward pass is unchanged.
#
# This exercise is checked at once but not graded: the gradient check alone decides whether a fix
# works, so you know right away, and with one wrong line in a few, points would reward trying lines
# one by one more than reading the check.

# %% id="find-the-bug-run" tags=["demo"]
for name, suspect in SUSPECTS.items():
    print(listing(name))
    print(check_layer(suspect(), X_SUSPECT), end="\n\n")

# %% id="find-the-bug-answers" role="solution" tags=["raises-exception"]
# Find the bug: for each layer, (its wrong line as printed, the fixed line), as in
#   fixes = {"LayerA": ('the wrong line', 'the fixed line'), "LayerB": (...), "LayerC": (...)}
fixes = None
with answers("Lesson 2, find the bug"):
    ### BEGIN SOLUTION
    fixes = {
        "LayerA": ('self.grads["b"] = grad_out.mean(axis=0)', 'self.grads["b"] = grad_out.sum(axis=0)'),
        "LayerB": ('return grad_out @ self.params["W"]', 'return grad_out @ self.params["W"].T'),
        "LayerC": ("grad_x = grad_out  # the skip path", "grad_x += grad_out  # the skip path adds to it"),
    }
    ### END SOLUTION

# %% id="find-the-bug-check" tags=["raises-exception"]
with task("Lesson 2, find the bug (not graded)") as check:
    check_fixes(check, fixes)

# %% [markdown] id="why-sum-md"
# ### Written answer ({{ points["why-sum-answer"] }} point)
#
# Why does $\partial L/\partial b$ sum `grad_out` over the batch axis, and why does
# $\partial L/\partial W$ have the shape of $W$ for every batch size $N$?

# %% [markdown] id="why-sum-answer" role="answer" points=1
# ### BEGIN SOLUTION
# Every sample's output uses the same $b_j$ (broadcast over the rows) with local derivative 1, so
# $b_j$ reaches the loss along $N$ paths, one per sample, and the chain rule adds them:
# $\sum_n G_{nj}$. Likewise $W_{ij}$ is shared by all samples; $x^\top G$ has shape
# $(\text{in}, N)(N, \text{out}) = (\text{in}, \text{out})$: the product sums over $n$, so $N$
# disappears and the gradient has one entry per parameter, as it must to update $W$.
# ### END SOLUTION

# %% [markdown] id="h-md"
# ## How small should $h$ be?
#
# Central differences have two errors. **Truncation**: the slope of a secant differs from the
# derivative by $O(h^2)$. **Rounding**: $f(\theta + h) - f(\theta - h)$ subtracts two nearly equal
# numbers, each rounded to about $\varepsilon\,|f|$ ($\varepsilon \approx 10^{-16}$ in float64,
# $10^{-7}$ in float32), and dividing by $2h$ magnifies that to $\varepsilon |f| / h$. The plot uses
# $L = \sum \sin(\text{out})$ (curved, so that truncation shows) and your layer's backward pass.

# %% id="h-plot" tags=["demo"]
import matplotlib.pyplot as plt

with demo("the finite-difference plot"):
    steps = np.logspace(-12, -1, 34)
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for dtype in (np.float64, np.float32):
        errors = [max(slope_error(Linear, dtype, h), 1e-17) for h in steps]   # L = sum(sin(out))
        ax.loglog(steps, errors, "o-", ms=3, label=np.dtype(dtype).name)
    ax.axhline(1e-5, color="k", ls="--", lw=1, label="bar 1e-5")
    ax.axvline(1e-6, color="0.5", ls=":", lw=1, label="h = 1e-6")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of the central difference")
    ax.legend()
    plt.show()

# %% [markdown] id="h-answer-md"
# ### Written answer ({{ points["h-answer"] }} point)
#
# Read the plot: why does the float64 error *grow* again when $h$ gets very small, and why can a
# float32 layer not be gradient-checked against the bar $10^{-5}$?

# %% [markdown] id="h-answer" role="answer" points=1
# ### BEGIN SOLUTION
# Below $h \approx 10^{-6}$ (in float64) rounding dominates: the two forward values agree in most of
# their digits, their difference keeps only the rounding noise $\approx \varepsilon|f|$, and dividing
# by $2h$ blows it up as $\varepsilon|f|/h$. Above, truncation ($\propto h^2$) dominates. In float32,
# $\varepsilon \approx 6\cdot 10^{-8}$: the two errors balance only near $h \approx 10^{-3}$
# (the theory says $\varepsilon^{1/3} \approx 4\cdot 10^{-3}$; the plot's minimum is at $10^{-3}$,
# not $10^{-2}$, where truncation alone is already $8\cdot 10^{-5}$), and there the error is still
# about $10^{-5}$, the bar itself, so no step size gets safely below the bar. float32 code is checked against a float64 computation instead.
# ### END SOLUTION
