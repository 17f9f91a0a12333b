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
                                            check_numbers, compare_with_engine, draw_network, given_graph, network,
                                            run_graded_cases, sensitivity)
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
# The network's given numbers, written once (in backprop_course.tasks.lesson_1, where the grader's
# judge reads them too) and pasted into the next cell.
from backprop_course.tasks.lesson_1 import GIVEN_T, GIVEN_WEIGHTS, GIVEN_X

GIVEN = f"x, t = {GIVEN_X!r}, {GIVEN_T!r}\nweights = {GIVEN_WEIGHTS!r}"

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
run_graded_cases("Lesson 1, task 1", globals())   # your numbers, judged by the grader when you hand in
# The visible check tests that your numbers fit together; the engine (after task 4) and the
# grader compare them with the true values.
with task("Lesson 1, task 1") as check:
    forward = check_numbers(check, a1=a1, h1=h1, a2=a2, h2=h2, a3=a3, h3=h3, a4=a4, h4=h4, y=y, L=L)
    for h, a in [("h1", "a1"), ("h2", "a2"), ("h3", "a3"), ("h4", "a4")]:
        check.close(f"{h} = relu({a})", forward[h], max(forward[a], 0.0), bar=1e-3)
    check.close("L = (y - t)^2 / 2", L, 0.5 * (y - t) ** 2, bar=1e-3, inputs={"values": {"y": y}, "t": t})

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
# $w_1$ reaches $L$ along two paths, through $h_3$ and through $h_4$: which local derivatives lie
# on each, and how do the two combine? That is task 2's question; its check shows the formula once
# your numbers pass.
#
# Listing paths gets expensive fast (their number multiplies with every layer). Backpropagation
# instead walks the graph once from $L$ backwards: each node's gradient is built from the gradients
# of the nodes it feeds, which are complete by then, so shared path prefixes are multiplied only once.
#
# **Three patterns to check your numbers against.** Going backwards through a node:
# an **add** node *distributes*: each input receives the upstream gradient unchanged;
# a **multiply** node *swaps*: each input receives the upstream gradient times the *other* input;
# a **max** (and so a ReLU) *routes*: the input that won gets the whole upstream gradient, the others 0.
#
# **What a gradient value means.** $\partial L/\partial w$ is a *sensitivity*: nudging $w$ by a small
# $\delta$ changes $L$ by about $\frac{\partial L}{\partial w}\,\delta$. A gradient of 0 means the loss
# does not notice small changes of that weight at all. Once your engine works (task 4), a cell below
# reads its steepest gradient this way and measures the change.
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
run_graded_cases("Lesson 1, task 2", globals())   # your numbers, judged by the grader when you hand in
# The visible check tests that your gradients fit together and with your forward values (each one
# a sum over paths of upstream gradient x local derivative); the grader compares them with the truth.
with task("Lesson 1, task 2") as check:
    gradients = check_numbers(check, dL_dy=dL_dy, dL_dh1=dL_dh1, dL_dh2=dL_dh2, dL_dh3=dL_dh3, dL_dh4=dL_dh4,
                              dL_dw1=dL_dw1, dL_dw2=dL_dw2, dL_dw3=dL_dw3, dL_dw4=dL_dw4, dL_dw5=dL_dw5,
                              dL_dw6=dL_dw6, dL_dw7=dL_dw7, dL_dw8=dL_dw8)
    check_hand_gradients(check, x, t, weights, {"a1": a1, "h1": h1, "a2": a2, "h2": h2, "a3": a3, "h3": h3,
                                                "a4": a4, "h4": h4, "y": y, "L": L}, gradients)
print("Your numbers are compared with the engine's after task 4.")

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

# %% [markdown] id="practice-md"
# ### More practice (ungraded)
#
# `practice_graph(seed)` draws a new small ReLU network for each seed: one or two hidden layers of one
# or two units, halves for weights, and at least one ReLU switched off. Work out its forward values
# and gradients on paper, write them into the dictionary below (leave out what you skip) and run the
# cell: each answer is checked at once, with the true value beside a wrong one. Change the seed for
# another network. Nothing here is graded.

# %% id="practice" tags=["demo"]
from backprop_course.practice import practice_graph

practice = practice_graph(seed=1)
practice.show()
practice.draw()
practice.check({"a1": None, "h1": None, "y": None, "L": None, "dL_dy": None, "dL_dw1": None})

# %% [markdown] id="engine-md"
# ## A scalar autodiff engine
#
# `backprop_lib/graph.py` builds such graphs automatically. A `Scalar` holds a `value`, its
# `parents` and a function `local_grads()` returning $\partial(\text{node})/\partial(\text{parent})$
# for each parent, in order. `w1 * x` creates a node with parents `(w1, x)`, so its `local_grads()`
# returns $(\partial a_1/\partial w_1, \partial a_1/\partial x)$; `x + w1` would return `(1.0, 1.0)`,
# since nudging either input of a sum by $\delta$ moves the sum by $\delta$.
#
# ## Lesson 1, task 3: local derivatives ({{ points["task3-check"] }} points)
#
# In `backprop_lib/graph.py`, fill in every `local_grads` marked *Lesson 1, task 3*:
# `+ - * / ** neg exp log tanh sigmoid relu`. Each returns a tuple with one derivative per parent.
# Work each one out on paper first. Tips: `out` (already computed in `exp`, `tanh`, `sigmoid`) can
# make the derivative cheap: can you write it in terms of `out`? For `relu` use the convention
# $\mathrm{relu}'(0) = 0$. The check shows the whole table once every operation passes.
#
# The check compares each with a **central difference** of the operation's value,
# $\frac{f(a + h) - f(a - h)}{2h}$ with $h = 10^{-6}$, and requires a relative error
# $\frac{|g - \hat g|}{|g| + |\hat g|}$ below $10^{-6}$.

# %% role="build"
# The visible checks' cases of tasks 3 and 4, written once in backprop_course.tasks.lesson_1 (the
# grader's judge grades them too) and pasted into the check cells, a few to a line.
from backprop_course.tasks.lesson_1 import VISIBLE_GRAPH, VISIBLE_LOCAL


def rows(items, per_line, indent):
    return (",\n" + " " * indent).join(", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line))


VISIBLE_LOCAL_TEXT = "[" + rows([f"({e!r}, {v!r})".replace("'", '"') for e, v in VISIBLE_LOCAL], 3, 31) + "]"
VISIBLE_GRAPH_TEXT = "{" + rows([f"{k!r}: {v!r}".replace("'", '"') for k, v in VISIBLE_GRAPH.items()], 3, 33) + "}"

# %% id="task3-check" role="tests" points=3
run_graded_cases("Lesson 1, task 3", Scalar)   # more cases, judged by the grader when you hand in
with task("Lesson 1, task 3") as check:
    for expression, values in {{ VISIBLE_LOCAL_TEXT }}:
        # local_grads() against central differences of the node's value, relative error <= 1e-6
        check_local_grads(check, Scalar, expression, values, bar=1e-6)
    check.close("d(relu(a)) at the kink a = 0", Scalar(0.0).relu().local_grads(), [0.0], bar=0.0,
                **catalogued(Scalar, "a.relu()", (0.0,)))

# %% [markdown] id="backward-md"
# ## Lesson 1, task 4: the backward pass ({{ points["task4-check"] }} points)
#
# `Scalar.backward()` computes $\partial(\text{self})/\partial(\text{node})$ for every node of the
# graph. The given code lists the nodes in **topological order** (every node after its parents),
# sets every `grad` to 0 and the output's `grad` to 1. You write the sweep: in which order must the
# nodes be visited, and what does each node pass to each of its parents? Task 2 answered both by
# hand: a gradient is complete only once every node a value feeds has passed its share back, and a
# value that feeds several nodes (or one node twice) receives a share along each edge. The given
# code zeroes every `grad` at the start, so a second `backward()` must give the same gradients.
# The check shows the rule, and why it adds within a pass but starts afresh on each call, once it
# passes.
#
# The check gives its nodes fixed local derivatives (so it tests your `backward` alone, not
# task 3) and names the first node, from the loss down, whose gradient is wrong.

# %% id="task4-check" role="tests" points=3
run_graded_cases("Lesson 1, task 4", Scalar)   # more cases, judged by the grader when you hand in
with task("Lesson 1, task 4") as check:
    # Each node lists its parents with the local derivatives: du/da = 2, du/db = -1, ...
    nodes = given_graph(Scalar, {{ VISIBLE_GRAPH_TEXT }})
    # By paths: dL/dv = -2; dL/du = 1 + (-2)(3) = -5; dL/da = (-5)(2) + (-2)(0.5) = -11; dL/db = 5.
    expected = {"L": 1.0, "v": -2.0, "u": -5.0, "a": -11.0, "b": 5.0}
    nodes["L"].backward()
    check_backward(check, nodes["L"], expected, bar=1e-12)  # names the first wrong node
    nodes["L"].backward()
    check.close("a second backward() gives the same dL/da", nodes["a"].grad, -11.0, bar=1e-12)

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

# %% [markdown] id="sensitivity-md"
# ### What a gradient says
#
# Read one of your gradients as a sensitivity: the next cell takes the weight the loss is most
# sensitive to, predicts from your engine's gradient how $L$ changes when that weight moves by
# $0.01$, and measures the change with a second forward pass.

# %% id="sensitivity" tags=["demo"]
with demo("what a gradient says"):
    nodes = network(Scalar, x, t, weights)
    nodes["L"].backward()
    steepest = max(weights, key=lambda name: abs(nodes[name].grad))
    print(sensitivity(Scalar, x, t, weights, steepest))

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

# Predict, then reveal: before each backward step, type your ∂L/∂node in the box and press Enter;
# the walkthrough checks your number (it names a left-out path or factor), then shows the product.
GraphWalkthrough.slide_network(x=x, target=t, weights=weights, predict="type")

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
