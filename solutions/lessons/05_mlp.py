# %% [markdown] id="intro"
# # Lesson 5: The multi-layer perceptron
#
# A multi-layer perceptron (MLP) is a list of layers, Linear and activation in turn. Forward, each
# layer's output is the next one's input; backward, each layer's input gradient is the previous
# one's output gradient. Backpropagation through the whole network is nothing more than the
# layers' own backward passes, called in reverse order.
#
# **Objectives.** After this lesson you can
# - build an MLP from `hidden_layer_sizes`, a hidden activation and an output activation, and count its parameters;
# - derive how a gradient crosses several layers (a sum over paths, which one matrix product per
#   layer computes) and why the backward pass runs in reverse;
# - implement the forward pass through the stack and the backward pass in reverse;
# - check a whole network's gradients at once, and read a diagnosis that names the first layer that is wrong;
# - see what hidden units compute on a 2-D problem.
#
# Tasks 1 and 2 are in `backprop_lib/mlp.py` (task 2 starts with a derivation in this notebook);
# task 3 is in this notebook.

# %% [markdown] id="points"
# **Points.** Each check cell is graded on its own; the graded checks test the MLP apart from your layers and losses, so an earlier lesson's bug is not charged again here.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 5, task 1 | `MLP.forward` | `backprop_lib/mlp.py` | {{ points["task1-forward"] }} |
# | Lesson 5, task 2 | the chain across layers (derived), `MLP.backward` | this notebook, `backprop_lib/mlp.py` | {{ sum(n for grade_id, n in points.items() if grade_id.startswith("task2-")) }} |
# | Lesson 5, task 3 | `count_parameters` | this notebook | {{ points["task3-count"] }} |
# | written answer (graded by hand) | what the hidden layer learns | this notebook | {{ points["written-features"] }} |
# | | | **total** | **{{ total_points }}** |

# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
from functools import partial

import numpy as np

from backprop_lib import data
from backprop_course.cells import answers, demo
from backprop_course.checks import task
from backprop_course.network import check_network, probe_layers, ProbeLoss, record_layers
from backprop_course.gradcheck import check_model
from backprop_course.tasks.lesson_5 import (backward_row, check_input_grad, check_paths, forward_row,
                                            run_graded_cases, run_layers, stand_ins)
from backprop_lib.losses import MSELoss
from backprop_lib.mlp import MLP

# %% [markdown] id="structure"
# ## The stack
#
# `MLP(in_features, hidden_layer_sizes, out_features, activation, output_activation)` builds
# $D = $ `len(hidden_layer_sizes) + 1` Linear layers (the depth; $L$ stays the loss), with the hidden
# activation $\phi$ between them (not after the last one). With $h_0 = x$, and $a$ the pre-activation
# as in lesson 1:
# $$a_l = h_{l-1} W_l + b_l, \qquad h_l = \phi(a_l) \quad (l < D), \qquad \text{scores} = a_D .$$
# `forward` returns the raw scores $a_D$; the output activation (identity, sigmoid or softmax) is
# applied only by `predict_proba`, and training uses the loss that pairs with it (lesson 4).
# The constructor is given; it works already:

# %% id="structure-demo" tags=["demo"]
model = MLP(2, (16, 16), 1, activation="relu", output_activation="sigmoid", rng=0)
print(model)
for layer in model.layers:
    print("   ", layer)
for name, layer, key in model.named_parameters():
    print(f"{name:10} {layer.params[key].shape}")

# %% [markdown] id="forward"
# ## Lesson 5, task 1: forward through the stack ({{ points["task1-forward"] }} points)
#
# **Lesson 5, task 1.** Implement `MLP.forward(x)` in `backprop_lib/mlp.py`: pass `x` through
# `self.layers` in order and return the last output. Each layer caches what its own backward pass
# needs, so the MLP itself stores nothing.
#
# **The price of the cache.** Backpropagation trades memory for speed: every layer keeps an
# $(N, \text{width})$ array (a `Linear` its input, `Tanh` its output) from the forward pass until
# the backward pass has used it, so training holds about $N$ times the total width of the network
# in activations at once, growing with both the batch size and the depth. A forward pass for
# prediction alone could drop each activation as soon as the next layer has read it.
#
# **How this is checked.** The checks swap the model's layers for stand-ins (`Probe`, an
# elementwise scale-and-shift, and `ProbeSine`, from `backprop_course.network`), so they test your
# `MLP.forward` alone: a bug in your lesson-2 `Linear` cannot fail them. Every layer's input and
# output is recorded, and a failure names the first one that is wrong, e.g. *"the input of layer 2 is
# wrong; the output of sine 1, which flowed into it, is right"* (so the wiring between them is the bug).
# The example below has a sigmoid output activation; the grader's networks have each output
# activation (identity, sigmoid, softmax), a batch of one and a float32 network. Bar: $10^{-7}$.

# %% role="build"
from backprop_course.autograder.lesson_source import literal
from backprop_course import network
from backprop_lib.mlp import MLP


def short(array):
    """``literal`` for people: a float64 array without its dtype (np.array's default)."""
    return literal(array).replace(", dtype=np.float64)", ")")


def nested(value, write=literal, separator=", "):
    """Python source for nested lists and dicts of arrays (and None), each array as ``write``
    writes it; ``separator`` goes between list items."""
    if value is None:
        return "None"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {nested(item, write)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + separator.join(nested(item, write) for item in value) + "]"
    return write(value)


def shown(value):
    """``nested`` for people (see ``short``)."""
    return nested(value, short)


def recording_source(record):
    """A recording dict as a dict literal for people, one key per line and one array per line."""
    rows = "".join(f"    {key!r}: {nested(value, short, ',' + chr(10) + ' ' * 8)},\n" for key, value in record.items())
    return "{\n" + rows + "}"


def reference_recording(model, x, grad, loss=None):
    """The reference MLP's layer traffic on ``model``'s layers (network.recording_dict form);
    with ``loss``, ``grad`` is the target and dL/dscores comes from the loss."""
    with network.record_layers(model) as record:
        scores = model.forward(x)
        if loss is not None:
            loss.forward(scores, grad)
            grad = loss.backward()
        model.backward(grad)
    return network.recording_dict(record)


# The visible checks' stand-in network: MLP(3, (3, 3), 3) with Probe/ProbeSine layers.
probe_x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
probe_dscores = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
probe_model = MLP(3, (3, 3), 3)
probe_model.layers = network.probe_layers(features=3, depth=3, rng=1)
probe_expected = reference_recording(probe_model, probe_x, probe_dscores)

# %% id="probe-expected"
# What every stand-in layer receives and returns, from the reference solution (inputs x and dL/dscores as in the checks below).
PROBE_EXPECTED = {{ recording_source(probe_expected) }}

# %% id="task1-forward" role="tests" points=3
run_graded_cases("Lesson 5, task 1", MLP)   # more networks, judged by the grader when you hand in
with task("Lesson 5, task 1") as check:
    model = MLP(3, (3, 3), 3, output_activation="sigmoid")   # forward still returns the raw scores
    model.layers = probe_layers(features=3, depth=3, rng=1)
    x = {{ shown(probe_x) }}
    x_before = x.copy()
    with record_layers(model) as record:
        scores = model.forward(x)
    forward_row(check, "forward pass, layer by layer", record, PROBE_EXPECTED, scores, stand_ins(model.layers, x),
                bar=1e-7)
    check.true("x unchanged", np.array_equal(x, x_before), "forward must not modify its input")

# %% [markdown] id="backward"
# ## Lesson 5, task 2: backward in reverse ({{ sum(n for grade_id, n in points.items() if grade_id.startswith("task2-")) }} points)
#
# The loss hands back $\partial L / \partial \text{scores}$, and every layer already has a
# `backward(g_out)` that turns the gradient of its output into the gradient of its input, filling
# its parameter gradients on the way. `MLP.backward` only calls them, but in which order, and what
# does it hand each one? Work it out before you write it:
#
# - Which layer's `backward` can run first? What does a layer's `backward` need that only another
#   layer's `backward` can give it?
# - Lesson 1 summed, over every path from a node to the loss, the product of the local derivatives
#   along the path. Take a network with no activation and no bias, one sample $x = (x_1, x_2)$ and
#   one score, $\text{score} = x\, W_1 W_2 W_3$, with
# $$W_1 = \begin{pmatrix} 1 & 2 \\ 0 & -1 \end{pmatrix}, \quad
#   W_2 = \begin{pmatrix} 3 & 1 \\ 1 & 2 \end{pmatrix}, \quad
#   W_3 = \begin{pmatrix} 1 \\ -2 \end{pmatrix}$$
#   ($W_1$ maps $x$ to the first hidden layer's two units, $(W_1)_{ij}$ is the weight from $x_i$ to
#   unit $j$). How many paths lead from $x_1$ to the score, and what does each contribute? Sum them
#   by hand for $\partial\,\text{score}/\partial x_1$ and $\partial\,\text{score}/\partial x_2$.
#
# **Lesson 5, task 2 (derivation).** Write your two numbers as `dscore_dx` below. The check compares
# them with central differences of the score (without showing either); once it passes it shows how
# one matrix product per layer computes your sums, and why backward runs in reverse.

# %% role="build"
from backprop_course.tasks.lesson_5 import PATH_WEIGHTS

assert PATH_WEIGHTS == (((1.0, 2.0), (0.0, -1.0)), ((3.0, 1.0), (1.0, 2.0)), ((1.0,), (-2.0,))), \
    "the task-2 derivation's matrices in the text above no longer match PATH_WEIGHTS"

# %% id="task2-paths-answer" role="solution" tags=["raises-exception"]
# Lesson 5, task 2: [dscore/dx_1, dscore/dx_2], each a sum over the paths from x_i to the score
dscore_dx = None
with answers("Lesson 5, task 2"):
    ### BEGIN SOLUTION
    dscore_dx = [1 * 3 * 1 + 1 * 1 * -2 + 2 * 1 * 1 + 2 * 2 * -2,
                 0 * 3 * 1 + 0 * 1 * -2 + -1 * 1 * 1 + -1 * 2 * -2]
    ### END SOLUTION

# %% id="task2-paths" role="tests" points=1
run_graded_cases("Lesson 5, task 2: paths", dscore_dx)   # judged by the grader when you hand in
with task("Lesson 5, task 2") as check:
    check_paths(check, dscore_dx)

# %% [markdown] id="backward-task"
# **Lesson 5, task 2.** Implement `MLP.backward(grad_out, input_grad=True)` in
# `backprop_lib/mlp.py`: call the layers' `backward` in the order you found, hand each the gradient
# it needs, and return $\partial L / \partial x$. With `input_grad=False` (what training uses) skip
# the first layer's input gradient: call only its `param_backward` and return `None`.
#
# The checks use the stand-in layers and `ProbeLoss` (whose $\partial L/\partial\text{scores}$ is
# just the target array), record what arrives at and leaves each layer, and name the first wrong
# gradient, e.g. *"dL/dscale of layer 2 is wrong; the gradient into layer 2, which flowed into it, is
# right"*. They also check your backward pass against central differences of the forward pass
# (bar $10^{-5}$). Their forward pass is the course's `run_layers`, not your `MLP.forward`, so that
# a task-1 bug cannot fail task 2 as well.

# %% id="task2-backward" role="tests" points=2
run_graded_cases("Lesson 5, task 2: backward", MLP)   # more networks, judged by the grader when you hand in
with task("Lesson 5, task 2") as check:
    model = MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=1)
    x = {{ shown(probe_x) }}
    dscores = {{ shown(probe_dscores) }}   # dL/dscores of ProbeLoss
    run_layers(model.layers, x)
    with record_layers(model) as record:
        dx = model.backward(dscores)
    backward_row(check, "backward pass, layer by layer", record, PROBE_EXPECTED, dx,
                 stand_ins(model.layers, x, grad_out=dscores), bar=1e-7)

# %% id="task2-gradcheck" role="tests" points=1
run_graded_cases("Lesson 5, task 2: gradient check", MLP)   # more networks, judged by the grader
with task("Lesson 5, task 2") as check:
    model = MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=2)
    model.forward = partial(run_layers, model.layers)   # task 1 is not needed here
    x = np.random.default_rng(3).normal(size=(4, 3))
    y = np.random.default_rng(4).normal(size=(4, 3))
    check.gradients(check_model(model, x, y, loss=ProbeLoss()))

# %% id="task2-input-grad" role="tests" points=1
run_graded_cases("Lesson 5, task 2: input gradient", MLP)   # more networks, judged by the grader
with task("Lesson 5, task 2") as check:
    model = MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=5)
    x, g = np.random.default_rng(6).normal(size=(2, 2, 3))   # a batch of 2 and its dL/dscores
    check_input_grad(check, model, x, g)   # returns None, skips the first dL/dx, same parameter gradients

# %% [markdown] id="whole"
# ### Your whole network
#
# The graded checks above used stand-in layers. Here is the real thing: your `Linear` (lesson 2),
# your `tanh` (lesson 3), your `MSELoss` (lesson 4) and your `MLP`, against values of the reference
# solution. If anything is off, the diagnosis names the first layer whose value or gradient
# disagrees and confirms that what flowed into it was right, so you know which file to open.
# This cell is not graded.

# %% role="build"
# The whole network of lessons 2-5, as the reference computes it.
from backprop_lib.losses import MSELoss

whole_net = MLP(2, (3, 3), 1, activation="tanh", rng=3)
whole_x = np.array([[0.5, -1.0], [1.0, 2.0], [-1.5, 0.5], [0.0, 0.3]])
whole_y = np.array([[1.0], [-1.0], [0.5], [0.0]])
whole_expected = reference_recording(whole_net, whole_x, whole_y, loss=MSELoss())

# %% id="whole-expected"
# Every layer's traffic in the reference solution, for the network below.
WHOLE_EXPECTED = {{ recording_source(whole_expected) }}

# %% id="whole-check" tags=["raises-exception"]
with task("Your whole network (lessons 2-5, not graded)") as check:
    net = MLP(2, (3, 3), 1, activation="tanh", rng=3)
    x = {{ shown(whole_x) }}
    y = {{ shown(whole_y) }}
    with record_layers(net) as record:
        loss = MSELoss()
        loss.forward(net.forward(x), y)
        dscores = loss.backward()
        net.backward(dscores)
    check.close("dL/dscores from MSELoss", dscores, {{ shown(whole_expected["grads_in"][-1]) }})
    check_network(check, record, WHOLE_EXPECTED)
    check.gradients(check_model(net, x, y))

# %% [markdown] id="count"
# ## Lesson 5, task 3: counting parameters ({{ points["task3-count"] }} point{{ "" if points["task3-count"] == 1 else "s" }})
#
# How many numbers does a Linear layer from $n_{\text{in}}$ to $n_{\text{out}}$ features hold? The
# shapes `named_parameters()` printed at the top of this lesson show it for `MLP(2, (16, 16), 1)`;
# and how many do the activations hold?
#
# **Lesson 5, task 3.** Complete `count_parameters(sizes)` below for the layer sizes
# `[in_features, *hidden_layer_sizes, out_features]`, in one line, without building a model.

# %% id="task3-solution" role="solution"
def count_parameters(sizes):
    """Number of weights and biases of an MLP with layer sizes [in, *hidden, out]."""
    ### BEGIN SOLUTION
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    ### END SOLUTION


# %% id="task3-count" role="tests" points=1
run_graded_cases("Lesson 5, task 3", count_parameters)   # more sizes, judged by the grader when you hand in
with task("Lesson 5, task 3") as check:
    for sizes in [(2, 16, 16, 1), (3, 1), (784, 64, 10)]:
        built = MLP(sizes[0], sizes[1:-1], sizes[-1]).num_parameters()
        check.close(f"count_parameters({sizes})", count_parameters(list(sizes)), built, bar=0,
                    inputs={"sizes": list(sizes)})

# %% [markdown] id="features"
# ## What the hidden layer learns
#
# The red/blue points below are XOR: red where $x_1$ and $x_2$ have the same sign. No straight
# line separates them, so `MLP(2, (), 1)` (no hidden layer, a logistic regression) cannot. The
# network below, `MLP(2, (4,), 1, activation="tanh", output_activation="sigmoid")`, was trained
# (lesson 6 shows how) and its weights are loaded here. The first four panels show each hidden
# unit $h_j = \tanh(x W_{:,j} + b_j)$ over the plane: each is a soft half-plane, a ramp across one
# line. The last panel shows the output, a weighted sum of those four ramps passed through the
# sigmoid: combining half-planes is how the network bends its decision boundary around the data.

# %% role="build"
# The XOR network whose hidden units the plot shows, trained with the reference (lesson 6).
from backprop_lib import data, train

xor_X, xor_y = data.xor(200, rng=0)
xor_model = MLP(2, (4,), 1, activation="tanh", output_activation="sigmoid", rng=0)
train.fit(xor_model, xor_X, xor_y, lr=1.0, epochs=1500)
assert (xor_model.predict(xor_X) == xor_y).mean() >= 0.95
xor_weights = {name: layer.params[key] for name, layer, key in xor_model.named_parameters()}

# %% id="features-plot" tags=["raises-exception", "demo"]
import matplotlib.pyplot as plt

X, y = data.xor(200, rng=0)
net = MLP(2, (4,), 1, activation="tanh", output_activation="sigmoid")
trained = {{ shown(xor_weights) }}
for name, layer, key in net.named_parameters():
    layer.params[key][...] = trained[name]

with demo("hidden features"):
    grid_x1, grid_x2 = np.meshgrid(np.linspace(-1.3, 1.3, 121), np.linspace(-1.3, 1.3, 121))
    grid = np.c_[grid_x1.ravel(), grid_x2.ravel()]
    hidden = net.layers[1](net.layers[0](grid))          # tanh(grid W1 + b1), shape (121*121, 4)
    proba = net.predict_proba(grid)[:, 0]
    accuracy = np.mean(net.predict(X) == y)
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.4))
    panels = [(hidden[:, j], f"hidden unit {j + 1}", "RdBu_r", (-1, 1)) for j in range(4)]
    panels.append((proba, f"output sigmoid (accuracy {accuracy:.0%})", "RdBu_r", (0, 1)))
    for ax, (values, title, cmap, (low, high)) in zip(axes, panels):
        image = ax.contourf(grid_x1, grid_x2, values.reshape(grid_x1.shape), 20, cmap=cmap,
                            vmin=low, vmax=high)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="bwr", s=8, edgecolors="k", linewidths=0.3)
        ax.set(title=title, xticks=[], yticks=[], aspect="equal")
    axes[-1].contour(grid_x1, grid_x2, proba.reshape(grid_x1.shape), [0.5], colors="k")
    plt.tight_layout()
    plt.show()

# %% [markdown] id="written-features" role="answer" points=2
# **Written answer (graded by hand).** Looking at the five panels: how do four tanh units let the
# network classify XOR, and why can `MLP(2, (), 1)` not do it whatever its weights?
#
# ### BEGIN SOLUTION
# Each hidden unit is a smooth step across one line in the plane (a soft half-plane); here the
# four lines are diagonal bands around the data. The output is a weighted sum of these steps, so
# its level sets are no longer straight: adding and subtracting the steps makes the two same-sign
# quadrants high and the other two low, and the sigmoid turns that into the curved boundary. Without a hidden layer the score is $x W + b$, linear in
# $x$, so $\sigma(s) = 0.5$ is a single straight line, and no line puts quadrants I and III on one
# side and II and IV on the other.
# ### END SOLUTION

# %% [markdown] id="summary"
# ## Summary
#
# - An MLP is a list of layers; forward runs them in order, backward runs their backward passes in reverse.
# - The gradient that reaches a parameter is lesson 1's sum over paths of products of local derivatives; the matrix products compute that sum, and reverse order computes each shared product once.
# - A whole-network check compares every layer's traffic with a reference and names the first wrong one, so a bug is found where it starts, not where it shows.
# - A Linear layer has $(n_\text{in}+1)n_\text{out}$ parameters; hidden units are soft half-planes whose combination bends the boundary.
#
# Next, lesson 6 uses these gradients to train: gradient descent, learning rates and minibatches.
