# %% [markdown] id="title"
# # Lesson 1: the computation graph
#
# A neural network is a function built from many small operations. Written as a **computation graph**,
# every node holds one number and every edge says which numbers a node was computed from. Training
# needs the derivative of the loss with respect to every weight; **backpropagation** gets them all
# in one sweep backwards through the graph, using only each operation's *local* derivatives.
# The slides sum it up as **backprop = gradient descent + chain rule**: the chain rule gives every
# $\partial L/\partial w$, and gradient descent uses them to step each weight, $w \leftarrow w - \eta\,\partial L/\partial w$
# (lesson 6).
#
# **Objectives.** After this lesson you can
# - compute a small network's forward pass and every $\partial L / \partial w$ by hand;
# - state the chain rule on a graph: a derivative is a *sum over paths* of *products of local derivatives*;
# - implement the local derivatives of a scalar autodiff engine and its backward pass.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 1, task 1 | forward values by hand | this notebook | {{ points["task1-check"] }} |
# | Lesson 1, task 2 | every $\partial L/\partial w$ by hand | this notebook | {{ points["task2-check"] }} |
# | written answer | what a dead ReLU does to the gradients | this notebook | {{ points["dead-relu-answer"] }} |
# | Lesson 1, task 3 | each operation's local derivatives | `backprop_lib/graph.py` | {{ points["task3-check"] }} |
# | Lesson 1, task 4 | the backward pass `Scalar.backward` | `backprop_lib/graph.py` | {{ points["task4-check"] }} |
# | | | **total** | **{{ total_points }}** |
#
# Run the cells in order. A check that prints `not implemented yet: Lesson 1, task k` is waiting for
# you; every other cell runs regardless.


# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
from backprop_course.cells import answers, demo
from backprop_course.checks import task
from backprop_course.tasks.lesson_1 import (catalogued, check_backward, check_hand_gradients, check_local_grads,
                                            check_numbers, compare_with_engine, draw_network, given_graph, network)
from backprop_lib.graph import Scalar

# %% [markdown] id="network-md"
# ## The network
#
# One input $x$, two hidden layers of two ReLU units each, one output $y$, and a squared-error loss
# against the target $t$. Each edge carries one weight; there are no biases.
#
# $$
# \begin{aligned}
# a_1 &= w_1 x, & h_1 &= \mathrm{relu}(a_1), & a_2 &= w_2 x, & h_2 &= \mathrm{relu}(a_2),\\
# a_3 &= w_3 h_1 + w_4 h_2, & h_3 &= \mathrm{relu}(a_3), & a_4 &= w_5 h_1 + w_6 h_2, & h_4 &= \mathrm{relu}(a_4),\\
# y &= w_7 h_3 + w_8 h_4, & L &= \tfrac12 (y - t)^2, & & & \mathrm{relu}(a) &= \max(a, 0).
# \end{aligned}
# $$

# %% [markdown] id="notation"
# ### Notation: the slides and this course
#
# The slides (Tufts COMP 135, "Backpropagation") and this course name the same things differently.
# The course keeps these names in every lesson:
#
# | idea | slides | course | lessons |
# |---|---|---|---|
# | input of one sample | $x_n$ | $x$; a batch of $N$ samples is the matrix $X$, one row per sample | 1, 2, 5 |
# | label (target) of sample $n$ | $y_n$ | $y$ in the array lessons; $t$ in lesson 1's scalar graph, where $y$ names the output node | 1, 4 |
# | weighted sum into a unit | $\mathrm{dot}(w, x) + b$ | pre-activation $a$: $a_k$ for unit $k$ (lesson 1), $a_l = h_{l-1} W_l + b_l$ for layer $l$ (lesson 5) | 1, 5 |
# | activation function | $\mathrm{act}$ | $\mathrm{relu}$, $\sigma$, $\tanh$; $\phi$ is "the hidden activation" | 1, 3, 5 |
# | output of layer $l$ | $f_l$ | $h_l$, with $h_0 = x$ | 1, 5 |
# | number of layers | `len(hidden_layer_sizes) + 1` | $D$, so that $L$ is always the loss | 5 |
# | network output | output of the last layer | scores $s$ (logits); $p = \sigma(s)$ for two classes, $\hat y = s$ for regression | 4 |
# | loss | squared error, log loss | $L$, the mean over the batch of the per-sample loss $\ell$ | 1, 4 |
# | gradient | $\partial L / \partial w$ | $\partial L/\partial w$; in code `dL_dw`, `grads["W"]` | 1, 5 |
# | learning rate | step size | $\eta$ (`lr` in code) | 6 |
# | the six nodes, numbered 1-6 layer by layer | nodes 1, 2, ..., 6 | $x$; $h_1$, $h_2$; $h_3$, $h_4$; $y$ | 1 |
# | the eight edge weights | one weight per edge | $w_1$ to $w_8$ | 1 |
#
# The slides draw each weight on an *edge*; the engine you build below (`Scalar`) makes each weight a
# *node* of its own, a leaf feeding a multiplication: $a_1 = w_1 x$ is the node `w1 * x` with parents
# `w1` and `x`. Both pictures compute the same numbers, but as a node a weight gets a gradient like
# any other node ($\partial L/\partial w_1$ is `w1.grad`), and one weight may feed many edges.

# %% role="build"
# The network's given numbers, written once: pasted into the next cell and run here, so that the
# reference engine computes every expected value of tasks 1 and 2 from them.
from backprop_course.autograder.lesson_source import literal
from backprop_course.tasks.lesson_1 import given_graph, hand_inputs, local_grads_table, network
from backprop_lib.graph import Scalar

GIVEN = """\
x, t = 2.0, 1.0
weights = {'w1': 0.5, 'w2': 1.5, 'w3': 1.0, 'w4': -0.25, 'w5': -1.0, 'w6': 1.0, 'w7': 2.0, 'w8': -0.5}"""
exec(GIVEN)
truth = network(Scalar, x, t, weights)
truth["L"].backward()
value = {name: node.value for name, node in truth.items()}
grad = {name: node.grad for name, node in truth.items()}
hand = hand_inputs(x, t, weights, value, grad)  # what the misconception catalogue reads

# %% id="given-values"
{{ GIVEN }}
w1, w2, w3, w4, w5, w6, w7, w8 = weights.values()

# %% id="network-drawing" tags=["demo"]
draw_network(weights)

# %% [markdown] id="task1-md"
# ## Lesson 1, task 1: the forward pass by hand ({{ points["task1-check"] }} points)
#
# Compute every value of the forward pass, left to right, with the weights above. Pen and paper is
# the point; Python arithmetic such as `0.5 * 2.0` is fine for the multiplications. Replace the line
# `raise NotImplementedError()` in the next cell by your numbers (keep the line of `None`s above it).
# Answers are graded to 3 significant digits.

# %% id="task1-answers" role="solution" tags=["raises-exception"]
# Lesson 1, task 1: your forward values
a1 = h1 = a2 = h2 = a3 = h3 = a4 = h4 = y = L = None
with answers("Lesson 1, task 1"):
    ### BEGIN SOLUTION
    a1, h1, a2, h2 = 1.0, 1.0, 3.0, 3.0
    a3, h3, a4, h4 = 0.25, 0.25, 2.0, 2.0
    y, L = -0.5, 1.125
    ### END SOLUTION

# %% id="task1-check" role="tests" points=2
# The visible check tests that your numbers fit together; the engine (after task 4) and the
# grader compare them with the true values.
with task("Lesson 1, task 1") as check:
    forward = check_numbers(check, a1=a1, h1=h1, a2=a2, h2=h2, a3=a3, h3=h3, a4=a4, h4=h4, y=y, L=L)
    for h, a in [("h1", "a1"), ("h2", "a2"), ("h3", "a3"), ("h4", "a4")]:
        check.close(f"{h} = relu({a})", forward[h], max(forward[a], 0.0), bar=1e-3)
    check.close("L = (y - t)^2 / 2", L, 0.5 * (y - t) ** 2, bar=1e-3, inputs={"values": {"y": y}, "t": t})
### BEGIN HIDDEN TESTS
from backprop_course.checks import task as graded_task

with graded_task("Lesson 1, task 1 (graded)", hidden=True) as graded:
    graded.chain([
        ("a1", a1, {{ value["a1"] }}, "x and w1 (given)"),
        ("h1", h1, {{ value["h1"] }}, "a1"),
        ("a2", a2, {{ value["a2"] }}, "x and w2 (given)"),
        ("h2", h2, {{ value["h2"] }}, "a2"),
        ("a3", a3, {{ value["a3"] }}, "h1 and h2"),
        ("h3", h3, {{ value["h3"] }}, "a3"),
        ("a4", a4, {{ value["a4"] }}, "h1 and h2"),
        ("h4", h4, {{ value["h4"] }}, "a4"),
        ("y", y, {{ value["y"] }}, "h3 and h4"),
        ("L", L, {{ value["L"] }}, "y"),
    ], bar=1e-3, name="forward values", inputs={{ hand }})
### END HIDDEN TESTS

# %% [markdown] id="chain-md"
# ## The chain rule on a graph
#
# Each node knows only its **local derivatives**: $\partial a_3/\partial h_1 = w_3$,
# $\partial h_3/\partial a_3 = \mathrm{relu}'(a_3)$ (1 if $a_3 > 0$, else 0), $\partial L/\partial y = y - t$.
# The derivative of $L$ with respect to any node is the **sum over all paths** from that node to $L$
# of the **product of the local derivatives** along the path. $w_8$ has one path:
#
# $$\frac{\partial L}{\partial w_8} = \frac{\partial L}{\partial y}\,\frac{\partial y}{\partial w_8}
# = (y - t)\, h_4 .$$
#
# $w_1$ reaches $L$ along two paths, through $h_3$ and through $h_4$:
#
# $$\frac{\partial L}{\partial w_1} = (y - t)\,\Big[w_7\,\mathrm{relu}'(a_3)\,w_3
# + w_8\,\mathrm{relu}'(a_4)\,w_5\Big]\,\mathrm{relu}'(a_1)\,x .$$
#
# Listing paths gets expensive fast (their number multiplies with every layer). Backpropagation
# instead walks the graph once from $L$ backwards: each node's gradient is the sum, over the nodes it
# feeds, of *their* gradient times the local derivative on the edge,
# $\dfrac{\partial L}{\partial h_1} = \dfrac{\partial L}{\partial a_3}\, w_3 + \dfrac{\partial L}{\partial a_4}\, w_5$,
# so shared path prefixes are multiplied only once.
#
# **Three patterns to check your numbers against.** Going backwards through a node:
# an **add** node *distributes*: each input receives the upstream gradient unchanged;
# a **multiply** node *swaps*: each input receives the upstream gradient times the *other* input;
# a **max** (and so a ReLU) *routes*: the input that won gets the whole upstream gradient, the others 0.
#
# **What a gradient value means.** $\partial L/\partial w$ is a *sensitivity*: nudging $w$ by a small
# $\delta$ changes $L$ by about $\frac{\partial L}{\partial w}\,\delta$. A gradient of $-4$, say, means
# that raising the weight by $0.01$ lowers the loss by about $0.04$, so gradient descent will raise it;
# a gradient of 0 means the loss does not notice small changes of that weight at all.
#
# ## Lesson 1, task 2: every gradient by hand ({{ points["task2-check"] }} points)
#
# Work backwards from $\partial L/\partial y$. Fill in the gradients of the hidden values (all four
# ReLUs are active here, so $\partial L/\partial a_k = \partial L/\partial h_k$) and of all eight weights.

# %% id="task2-answers" role="solution" tags=["raises-exception"]
# Lesson 1, task 2: your gradients (dL_dh3 means dL/dh3)
dL_dy = dL_dh3 = dL_dh4 = dL_dh1 = dL_dh2 = None
dL_dw1 = dL_dw2 = dL_dw3 = dL_dw4 = dL_dw5 = dL_dw6 = dL_dw7 = dL_dw8 = None
with answers("Lesson 1, task 2"):
    ### BEGIN SOLUTION
    dL_dy, dL_dh3, dL_dh4 = -1.5, -3.0, 0.75
    dL_dh1, dL_dh2 = -3.75, 1.5
    dL_dw1, dL_dw2, dL_dw3, dL_dw4 = -7.5, 3.0, -3.0, -9.0
    dL_dw5, dL_dw6, dL_dw7, dL_dw8 = 0.75, 2.25, -0.375, -3.0
    ### END SOLUTION

# %% id="task2-check" role="tests" points=3
# The visible check tests that your gradients fit together and with your forward values (each one
# a sum over paths of upstream gradient x local derivative); the grader compares them with the truth.
with task("Lesson 1, task 2") as check:
    gradients = check_numbers(check, dL_dy=dL_dy, dL_dh1=dL_dh1, dL_dh2=dL_dh2, dL_dh3=dL_dh3, dL_dh4=dL_dh4,
                              dL_dw1=dL_dw1, dL_dw2=dL_dw2, dL_dw3=dL_dw3, dL_dw4=dL_dw4, dL_dw5=dL_dw5,
                              dL_dw6=dL_dw6, dL_dw7=dL_dw7, dL_dw8=dL_dw8)
    check_hand_gradients(check, x, t, weights, {"a1": a1, "h1": h1, "a2": a2, "h2": h2, "a3": a3, "h3": h3,
                                                "a4": a4, "h4": h4, "y": y, "L": L}, gradients)
print("Your numbers are compared with the engine's after task 4.")
### BEGIN HIDDEN TESTS
from backprop_course.checks import task as graded_task

with graded_task("Lesson 1, task 2 (graded)", hidden=True) as graded:
    graded.chain([
        ("dL/dy", dL_dy, {{ grad["y"] }}, ""),
        ("dL/dw7", dL_dw7, {{ grad["w7"] }}, "dL/dy"),
        ("dL/dw8", dL_dw8, {{ grad["w8"] }}, "dL/dy"),
        ("dL/dh3", dL_dh3, {{ grad["h3"] }}, "dL/dy"),
        ("dL/dh4", dL_dh4, {{ grad["h4"] }}, "dL/dy"),
        ("dL/dw3", dL_dw3, {{ grad["w3"] }}, "dL/dh3"),
        ("dL/dw4", dL_dw4, {{ grad["w4"] }}, "dL/dh3"),
        ("dL/dw5", dL_dw5, {{ grad["w5"] }}, "dL/dh4"),
        ("dL/dw6", dL_dw6, {{ grad["w6"] }}, "dL/dh4"),
        ("dL/dh1", dL_dh1, {{ grad["h1"] }}, "dL/dh3 and dL/dh4"),
        ("dL/dh2", dL_dh2, {{ grad["h2"] }}, "dL/dh3 and dL/dh4"),
        ("dL/dw1", dL_dw1, {{ grad["w1"] }}, "dL/dh1"),
        ("dL/dw2", dL_dw2, {{ grad["w2"] }}, "dL/dh2"),
    ], bar=1e-3, name="gradients, from the loss down", inputs={{ hand }})
### END HIDDEN TESTS

# %% [markdown] id="dead-relu-md"
# ### Written answer ({{ points["dead-relu-answer"] }} point)
#
# Suppose $w_3$ were $-2$ instead of $1$, so that $a_3 < 0$. Which of the eight weight gradients
# become exactly zero, and why? What does that mean for how those weights learn?

# %% [markdown] id="dead-relu-answer" role="answer" points=1
# ### BEGIN SOLUTION
# With $a_3 = -2 h_1 + w_4 h_2 < 0$, $h_3 = 0$ and $\mathrm{relu}'(a_3) = 0$. Every path through
# $h_3$ is multiplied by that zero: $\partial L/\partial w_3 = \partial L/\partial w_4 = 0$ (their
# only path runs through $a_3$), and $\partial L/\partial w_7 = (y-t)\,h_3 = 0$. $w_1$ and $w_2$ still
# get gradient through $h_4$. Gradient descent leaves $w_3, w_4, w_7$ unchanged for this input: a unit
# that is off for every input never learns again (a "dead ReLU").
# ### END SOLUTION

# %% [markdown] id="engine-md"
# ## A scalar autodiff engine
#
# `backprop_lib/graph.py` builds such graphs automatically. A `Scalar` holds a `value`, its
# `parents` and a function `local_grads()` returning $\partial(\text{node})/\partial(\text{parent})$
# for each parent, in order. `w1 * x` creates a node with parents `(w1, x)` and
# `local_grads() == (x.value, w1.value)`, because $\partial(ab)/\partial a = b$ and
# $\partial(ab)/\partial b = a$.
#
# ## Lesson 1, task 3: local derivatives ({{ points["task3-check"] }} points)
#
# In `backprop_lib/graph.py`, fill in every `local_grads` marked *Lesson 1, task 3*:
# `+ - * / ** neg exp log tanh sigmoid relu`. Each returns a tuple with one derivative per parent.
# Tips: `out` (already computed in `exp`, `tanh`, `sigmoid`) makes the derivative cheap,
# e.g. $\frac{d}{da} e^a = e^a$; for `relu` use the convention $\mathrm{relu}'(0) = 0$.
#
# The check compares each with a **central difference** of the operation's value,
# $\frac{f(a + h) - f(a - h)}{2h}$ with $h = 10^{-6}$, and requires a relative error
# $\frac{|g - \hat g|}{|g| + |\hat g|}$ below $10^{-6}$.

# %% role="build"
# The hidden test's operations and points; the reference engine's local derivatives at them.
GRADED_EXPRESSIONS = ["a + b", "a - b", "a * b", "a / b", "a ** 3", "a ** 0.5", "a ** -1", "-a",
                      "a.exp()", "a.log()", "a.tanh()", "a.sigmoid()", "a.relu()", "2.0 - a",
                      "1.5 / a", "3.0 * a"]
GRADED_POINTS = "[(0.7, -1.3), (2.5, 0.4), (1.1, 3.0)]"
graded_local_grads = "[\n" + "".join(
    f"    ({expression!r}, {literal(local_grads_table(Scalar, expression, eval(GRADED_POINTS)))}),\n"
    for expression in GRADED_EXPRESSIONS) + "]"

# %% id="task3-check" role="tests" points=3
with task("Lesson 1, task 3") as check:
    for expression, values in [("a + b", (1.5, -2.0)), ("a - b", (1.5, -2.0)), ("a * b", (1.5, -2.0)),
                               ("a / b", (1.5, -2.0)), ("a ** 3", (1.5,)), ("-a", (1.5,)),
                               ("a.exp()", (0.5,)), ("a.log()", (1.5,)), ("a.tanh()", (0.5,)),
                               ("a.sigmoid()", (0.5,)), ("a.relu()", (1.5,)), ("a.relu()", (-1.5,))]:
        # local_grads() against central differences of the node's value, relative error <= 1e-6
        check_local_grads(check, Scalar, expression, values, bar=1e-6)
    check.close("d(relu(a)) at the kink a = 0", Scalar(0.0).relu().local_grads(), [0.0], bar=0.0,
                **catalogued(Scalar, "a.relu()", (0.0,)))
### BEGIN HIDDEN TESTS
import numpy as np

from backprop_course.checks import task as graded_task
from backprop_course.tasks.lesson_1 import catalogued, local_grads_table
from backprop_lib.graph import Scalar as GradedScalar

graded_points = {{ GRADED_POINTS }}
graded_cases = {{ graded_local_grads }}
with graded_task("Lesson 1, task 3 (graded)", hidden=True) as graded:
    for expression, expected in graded_cases:
        graded.close(f"local derivatives of {expression}", local_grads_table(GradedScalar, expression, graded_points),
                     expected, bar=1e-10, **catalogued(GradedScalar, expression, graded_points))
    for a_value in (-2.0, 0.0, 3.0):
        graded.close(f"relu'({a_value:g})", GradedScalar(a_value).relu().local_grads(),
                     [1.0 if a_value > 0 else 0.0], bar=0.0, **catalogued(GradedScalar, "a.relu()", (a_value,)))
    graded.close("sigmoid' at -800", GradedScalar(-800.0).sigmoid().local_grads(), [0.0], bar=1e-7,
                 **catalogued(GradedScalar, "a.sigmoid()", (-800.0,)))
### END HIDDEN TESTS

# %% [markdown] id="backward-md"
# ## Lesson 1, task 4: the backward pass ({{ points["task4-check"] }} points)
#
# `Scalar.backward()` computes $\partial(\text{self})/\partial(\text{node})$ for every node of the
# graph. The given code lists the nodes in **topological order** (every node after its parents),
# sets every `grad` to 0 and the output's `grad` to 1. You write the sweep: visit the nodes in
# *reverse* topological order, so that a node's gradient is complete before it is passed on, and
# for each parent **add** `local * node.grad` to `parent.grad`:
#
# $$\frac{\partial L}{\partial p} \mathrel{+}= \frac{\partial n}{\partial p}\,\frac{\partial L}{\partial n}
# \quad\text{for every node } n \text{ and every parent } p \text{ of } n .$$
#
# Adding (not assigning) is what sums over paths: a node used twice, or feeding two nodes,
# receives a contribution along each edge. The adding happens *within* one backward pass; the given
# code zeroes every `grad` first, so a second `backward()` gives the same gradients, not twice them.
# (Lesson 2's layers say "overwrite" for the same reason: one call is one pass. PyTorch instead keeps
# adding across calls, so a training loop calls `optimizer.zero_grad()` before each `backward()`.)
#
# The check gives its nodes fixed local derivatives (so it tests your `backward` alone, not
# task 3) and names the first node, from the loss down, whose gradient is wrong.

# %% role="build"
# The hidden test's graphs, written once: run here on the reference engine for their gradients.
GRADED_GRAPHS = """\
graded_nodes = given_graph(GradedScalar, {"a": [], "b": [], "c": [], "u": [("a", 1.5), ("b", -2.0)],
                                          "v": [("u", 0.25), ("a", 3.0), ("c", -1.0)],
                                          "s": [("u", 2.0), ("u", -0.5)],  # one parent twice: both edges add up
                                          "L": [("v", -1.0), ("s", 4.0), ("b", 0.5)]})
deep = given_graph(GradedScalar, {"d0": [], **{f"d{i}": [(f"d{i - 1}", 1.0001 if i % 2 else 0.9999)]
                                               for i in range(1, 3000)}})  # no recursion limit may bite"""
graphs = {"given_graph": given_graph, "GradedScalar": Scalar}
exec(GRADED_GRAPHS, graphs)
graphs["graded_nodes"]["L"].backward()
graphs["deep"]["d2999"].backward()
small_grads = "{" + ", ".join(f"{label!r}: {literal(node.grad)}" for label, node in graphs["graded_nodes"].items()) + "}"
deep_grad = graphs["deep"]["d0"].grad

# %% id="task4-check" role="tests" points=3
with task("Lesson 1, task 4") as check:
    # Each node lists its parents with the local derivatives: du/da = 2, du/db = -1, ...
    nodes = given_graph(Scalar, {"a": [], "b": [], "u": [("a", 2.0), ("b", -1.0)],
                                 "v": [("a", 0.5), ("u", 3.0)], "L": [("u", 1.0), ("v", -2.0)]})
    # By paths: dL/dv = -2; dL/du = 1 + (-2)(3) = -5; dL/da = (-5)(2) + (-2)(0.5) = -11; dL/db = 5.
    expected = {"L": 1.0, "v": -2.0, "u": -5.0, "a": -11.0, "b": 5.0}
    nodes["L"].backward()
    check_backward(check, nodes["L"], expected, bar=1e-12)  # names the first wrong node
    nodes["L"].backward()
    check.close("a second backward() gives the same dL/da", nodes["a"].grad, -11.0, bar=1e-12)
### BEGIN HIDDEN TESTS
from backprop_course.checks import task as graded_task
from backprop_course.tasks.lesson_1 import check_backward, given_graph
from backprop_lib.graph import Scalar as GradedScalar

{{ GRADED_GRAPHS }}
with graded_task("Lesson 1, task 4 (graded)", hidden=True) as graded:
    graded_nodes["L"].backward()
    check_backward(graded, graded_nodes["L"], {{ small_grads }}, bar=1e-10)
    deep["d2999"].backward()
    graded.close("3000-node chain: dL/d(first node)", deep["d0"].grad, {{ deep_grad }}, bar=1e-10)
### END HIDDEN TESTS

# %% [markdown] id="compare-md"
# ## Your hand numbers against the engine
#
# The engine now computes the network of tasks 1 and 2. The table compares your numbers with it;
# the drawing shows the forward values in the nodes and $\partial L/\partial w$ on the edges.

# %% id="compare" tags=["demo"]
with demo("the comparison with the engine"):
    nodes = network(Scalar, x, t, weights)
    nodes["L"].backward()
    compare_with_engine({"a1": a1, "h1": h1, "a2": a2, "h2": h2, "a3": a3, "h3": h3, "a4": a4, "h4": h4,
                         "y": y, "L": L, "dL_dy": dL_dy, "dL_dh1": dL_dh1, "dL_dh2": dL_dh2, "dL_dh3": dL_dh3,
                         "dL_dh4": dL_dh4, "dL_dw1": dL_dw1, "dL_dw2": dL_dw2, "dL_dw3": dL_dw3,
                         "dL_dw4": dL_dw4, "dL_dw5": dL_dw5, "dL_dw6": dL_dw6, "dL_dw7": dL_dw7,
                         "dL_dw8": dL_dw8}, nodes)
    draw_network(weights, {name: nodes[name].value for name in ["x", "h1", "h2", "h3", "h4", "y", "L"]},
                 {name: nodes[name].grad for name in weights})

# %% [markdown] id="paths-md"
# ### The chain rule as a product along paths
#
# Every path from $w_1$ to $L$ contributes the product of its local derivatives; their sum is
# $\partial L/\partial w_1$. The engine never lists paths, yet it agrees:

# %% id="paths" tags=["demo"]
with demo("the path sum"):
    nodes = network(Scalar, x, t, weights)  # built again: the engine may have changed since
    nodes["L"].backward()
    relu_prime = {k: float(nodes[f"a{k}"].value > 0) for k in (1, 2, 3, 4)}
    dL_dy_engine = nodes["y"].value - t
    via_h3 = dL_dy_engine * w7 * relu_prime[3] * w3 * relu_prime[1] * x
    via_h4 = dL_dy_engine * w8 * relu_prime[4] * w5 * relu_prime[1] * x
    print(f"path through h3: {via_h3:.4g}\npath through h4: {via_h4:.4g}")
    print(f"sum of paths:    {via_h3 + via_h4:.4g}\nengine dL/dw1:   {nodes['w1'].grad:.4g}")

# %% [markdown] id="widget-walkthrough"
# ## Step by step
#
# The animated walkthrough below replays the forward pass node by node and then the backward pass
# edge by edge on this same network: watch each gradient arrive as *upstream gradient × local
# derivative* and add up where two paths meet. Until task 4 is done it says which task to finish.

# %% id="widget" tags=["demo"]
from backprop_course.viz import GraphWalkthrough

GraphWalkthrough.slide_network(x=x, target=t, weights=weights)

# %% [markdown] id="widget-nudge-md"
# ## Nudge a weight
#
# A gradient is a sensitivity. Move one weight $w_k$ by $\delta$ with the slider: the blue curve is
# the loss $L(w_k + \delta)$, computed by forward passes alone; the orange line is the tangent whose
# slope is $\partial L/\partial w_k$ from *your* engine. Near $\delta = 0$ the two agree, and the
# central difference printed below the plot, $\frac{L(w_k + \delta) - L(w_k - \delta)}{2\delta}$,
# is the number a gradient check (lesson 2) compares with the gradient. Where a ReLU switches on
# or off the curve bends away from its tangent. Until tasks 3 and 4 are done, only the curve shows.

# %% id="widget-nudge" tags=["demo"]
from backprop_course.viz import WeightNudge

WeightNudge(x=x, target=t, weights=weights, weight="w4")
