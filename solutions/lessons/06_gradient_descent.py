# %% [markdown] id="intro"
# # Lesson 6: Gradient descent
#
# Backpropagation gives $\nabla_\theta L$, the direction in which the loss grows fastest. Training
# walks the other way, a small step at a time: in the slides' words, **backprop = gradient descent +
# chain rule**, and this lesson is the gradient-descent half. It builds the optimizer, runs the
# training loop over full batches and minibatches, and shows what the learning rate does: too small
# and nothing happens, too large and the loss explodes.
#
# **Objectives.** After this lesson you can
# - implement the SGD update, with and without momentum, in place;
# - write the training loop: forward, loss, backward, step; over full batches and minibatches;
# - pick a learning rate by looking at the loss curve, and recognise divergence;
# - watch a decision boundary and a regression curve form during training.
#
# Task 1 is in `backprop_lib/optim.py`; tasks 2 to 4 are worked out in this notebook. The demos
# train with your whole library (lessons 2-6); until it is complete they print one line saying which task they wait for.

# %% [markdown] id="points"
# **Points.** Each check cell is graded on its own. Task 1's checks set gradients by hand, so they test
# `SGD.step` alone; tasks 2 to 4 need nothing from your library.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 6, task 1 | `SGD.step` (plain and momentum) | `backprop_lib/optim.py` | {{ points["task1-sgd"] + points["task1-momentum"] }} |
# | Lesson 6, task 2 | one step by hand on lesson 1's network | this notebook | {{ points["task2-step"] }} |
# | Lesson 6, task 3 | the learning rate on a bowl: one step's factor, the largest stable rate | this notebook | {{ points["task3-rate"] }} |
# | Lesson 6, task 4 | one epoch of minibatches by hand | this notebook | {{ points["task4-batches"] }} |
# | written answers (graded by hand) | reading learning-rate and minibatch curves | this notebook | {{ points["written-lr"] + points["written-batch"] }} |
# | | | **total** | **{{ total_points }}** |

# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np

from backprop_lib import data
from backprop_course.cells import answers, demo
from backprop_course.checks import task
from backprop_course.tasks.lesson_6 import (bowl_run, check_batches, check_hand_step, check_rates, momentum_example,
                                            plain_example, run_graded_cases, run_sgd, steps_taken)
from backprop_lib.mlp import MLP
from backprop_lib.optim import SGD
from backprop_lib.train import fit

# %% [markdown] id="sgd"
# ## Lesson 6, task 1: the update ({{ points["task1-sgd"] + points["task1-momentum"] }} points)
#
# Every parameter $\theta$ (each layer's `W` and `b`) has a gradient $g = \partial L / \partial \theta$
# from the last backward pass. Lesson 1 read it as a *sensitivity*: nudging $\theta$ by a small
# $\delta$ changes $L$ by about $g\,\delta$. **Gradient descent** moves every parameter by a step
# proportional to its own gradient, with one factor, the learning rate $\eta > 0$, for all of them,
# in the direction that makes $L$ smaller. Work out the update of $\theta$ from that sentence:
# which sign does the step have?
#
# **Momentum** $\mu \in [0, 1)$ keeps a velocity $v$ per parameter (zeros at first). Each step first
# shrinks the velocity to $\mu$ times itself, then adds to it the plain gradient-descent step you
# just worked out; the parameter then moves by the new velocity. With $\mu = 0$ this is plain
# gradient descent. (What the velocity adds up to over many steps shows once the check passes.)
#
# **In place.** The model, the optimizer and (later) the training widget all hold references to the
# same parameter arrays. `param -= ...` changes that array; `param = param - ...` only rebinds a
# local name to a new array and the model never sees the update.
#
# **Lesson 6, task 1.** Implement the body of the loop in `SGD.step` (`backprop_lib/optim.py`):
# update `param` in place from `grad`, using `velocity[key]` (an array of zeros to start with)
# when `self.momentum` is not 0. The checks set gradients by hand, so they need nothing from
# earlier lessons. Bar: $10^{-10}$ in float64, $10^{-6}$ in float32.

# %% role="build"
from backprop_course.tasks.lesson_6 import momentum_example, plain_example, run_sgd
from backprop_lib.mlp import MLP
from backprop_lib.optim import SGD

# The visible examples' values, from the reference SGD. The graded cases have none here: the
# grader's judge computes them (autograder/judge/lesson_6.py).
model, grads = plain_example(MLP)
run_sgd(model, SGD(model, lr=0.1), grads)
plain = {"W": model.layers[0].params["W"], "b": model.layers[2].params["b"]}
model, grads = momentum_example(MLP)
optimizer = SGD(model, lr=0.1, momentum=0.5)
run_sgd(model, optimizer, grads)
momentum = {"W": model.layers[0].params["W"], "v": optimizer.velocity[0]["W"]}

# %% id="task1-sgd" role="tests" points=3
run_graded_cases("Lesson 6, task 1: plain", MLP, SGD)   # more cases, judged by the grader when you hand in
with task("Lesson 6, task 1") as check:
    model, grads = plain_example(MLP)    # MLP(2, (3,), 1, rng=0) with every b = 0.5; every gradient 2
    W, W_before = model.layers[0].params["W"], model.layers[0].params["W"].copy()
    run_sgd(model, SGD(model, lr=0.1), grads)   # sets every gradient, then one step
    check.close("W after one step", model.layers[0].params["W"], {{ plain["W"] }}, bar=1e-10,
                inputs=steps_taken(W_before, [2.0], lr=0.1), quantity="param")
    check.true("W updated in place", model.layers[0].params["W"] is W and not np.array_equal(W, W_before),
               "the array the model holds did not change: update it in place (param -= ...)")
    check.close("b after one step", model.layers[2].params["b"], {{ plain["b"] }}, bar=1e-10,
                inputs=steps_taken([0.5], [2.0], lr=0.1), quantity="param")
    check.close("gradient left alone", model.layers[0].grads["W"], np.full((2, 3), 2.0), bar=0)

# %% id="task1-momentum" role="tests" points=2
run_graded_cases("Lesson 6, task 1: momentum", MLP, SGD)   # more cases, judged by the grader when you hand in
with task("Lesson 6, task 1") as check:
    model, grads = momentum_example(MLP)   # one Linear(1, 1), W = 1; dL/dW = 1, then -2, then 3
    optimizer = SGD(model, lr=0.1, momentum=0.5)
    run_sgd(model, optimizer, grads)       # three steps, each setting the gradients first
    steps = steps_taken([[1.0]], [[[1.0]], [[-2.0]], [[3.0]]], lr=0.1, momentum=0.5)
    check.close("W after three momentum steps", model.layers[0].params["W"], {{ momentum["W"] }}, bar=1e-10,
                inputs=steps, quantity="param")
    check.close("velocity of W", optimizer.velocity[0]["W"], {{ momentum["v"] }}, bar=1e-10, inputs=steps)

# %% [markdown] id="step-md"
# ## Lesson 6, task 2: one step by hand ({{ points["task2-step"] }} points)
#
# Back to lesson 1's network: $x = 2$, $t = 1$, $L = \tfrac12 (y - t)^2 = 1.125$ with the weights
# below, and the gradients you found in lesson 1, task 2:
#
# | | $w_1$ | $w_2$ | $w_3$ | $w_4$ | $w_5$ | $w_6$ | $w_7$ | $w_8$ |
# |---|---|---|---|---|---|---|---|---|
# | weight | 0.5 | 1.5 | 1 | -0.25 | -1 | 1 | 2 | -0.5 |
# | $\partial L/\partial w$ | -7.5 | 3 | -3 | -9 | 0.75 | 2.25 | -0.375 | -3 |
#
# Take one gradient-descent step with $\eta = 0.001$. Give the eight new weights; then
# `L_predicted`, the loss after the step as the gradients predict it (each gradient is a
# sensitivity: add up what each weight's change does to $L$), and `L_new`, the loss after the step
# from a forward pass with your new weights (pen and paper or Python arithmetic; lesson 1's table
# of forward values helps). Graded to 3 significant digits.

# %% id="task2-answers" role="solution" tags=["raises-exception"]
# Lesson 6, task 2: your numbers
new_weights = L_predicted = L_new = None
with answers("Lesson 6, task 2"):
    ### BEGIN SOLUTION
    new_weights = {"w1": 0.5075, "w2": 1.497, "w3": 1.003, "w4": -0.241,
                   "w5": -1.00075, "w6": 0.99775, "w7": 2.000375, "w8": -0.497}
    L_predicted, L_new = 0.954984375, 0.961528676044
    ### END SOLUTION

# %% id="task2-step" role="tests" points=3
run_graded_cases("Lesson 6, task 2", new_weights, L_predicted, L_new)   # judged by the grader when you hand in
# The visible check tests that your numbers fit together; the grader compares them with the true values.
with task("Lesson 6, task 2") as check:
    check_hand_step(check, new_weights, L_predicted, L_new)

# %% [markdown] id="loop"
# ## The training loop
#
# `backprop_lib.train` is given; it is short enough to read (`train_steps`). Each step is
# ```python
# scores = model.forward(xb)                       # lesson 5
# value = loss.forward(scores, yb)                 # lesson 4
# model.backward(loss.backward(), input_grad=False)
# optimizer.step()                                 # task 1
# ```
# over batches `(xb, yb)`. **Full-batch** gradient descent uses all $N$ samples in every step: exact
# gradients, one step per epoch. **Minibatch** SGD shuffles the data each epoch and steps once per
# batch of $B$ samples: each gradient is a noisy estimate of the full one, but there are $N/B$
# steps per epoch for the same work (task 4 works one epoch out by hand). `fit(model, X, y, lr, epochs, batch_size)` runs the loop and returns a `History`
# (`step_loss`, `epoch_loss`, and `diverged`: the step at which the loss stopped being finite, when
# it did; training stops there).

# %% [markdown] id="lr-md"
# ### Learning rate: too small, right, too large
#
# The same network, `MLP(1, (32, 32), 1, activation="tanh")`, on the regression problem
# $y = \sin(3x) + \text{noise}$, 400 full-batch epochs at three learning rates. `fit` notices the
# first non-finite loss, stops, warns, and records the step in `History.diverged`.

# %% id="lr" tags=["raises-exception", "demo"]
import warnings

import matplotlib.pyplot as plt

X_reg, y_reg = data.regression_1d(100, rng=0)
with demo("learning rates"):
    runs = {}
    for lr in [0.003, 0.1, 0.6]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # reported below instead
            runs[lr] = fit(MLP(1, (32, 32), 1, activation="tanh", rng=0), X_reg, y_reg, lr=lr, epochs=400)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    clip = 1e4  # losses above this run flat along it: the loss grows to 1e302 before it overflows
    for lr, history in runs.items():
        finite = np.array([value for value in history.step_loss if np.isfinite(value)])
        label = f"lr={lr}" + (f": diverged at step {history.diverged}" if history.diverged else
                              f": final loss {finite[-1]:.3f}")
        line, = ax.semilogy(range(1, len(finite) + 1), np.minimum(finite, clip), label=label)
        if history.diverged:
            # The x marks the step where the loss became inf, on the clipping line, inside the axes.
            ax.plot(history.diverged, clip, "x", color=line.get_color(), markersize=10, markeredgewidth=2)
            ax.annotate(f"loss > {clip:.0e} from step {np.argmax(finite > clip) + 1},\n"
                        f"{finite[-1]:.1e} at step {len(finite)}, then inf",
                        (history.diverged, clip), xytext=(8, 6), textcoords="offset points",
                        color=line.get_color(), fontsize=8)
        print(label)
    ax.axhline(clip, color="grey", linewidth=0.5, linestyle=":")
    ax.set(xlabel="step (= epoch, full batch)", ylabel="training loss (MSE)", ylim=(1e-3, 1e7))
    ax.legend(loc="upper right")
    plt.show()

# %% [markdown] id="rate-md"
# ## Lesson 6, task 3: the learning rate on a bowl ({{ points["task3-rate"] }} points)
#
# Why does the largest rate make the loss *grow*, not merely fall slowly? Near a minimum $w^*$ a
# loss looks like a bowl, $L(w) = \frac{\lambda}{2}(w - w^*)^2$, whose curvature $\lambda > 0$ is its
# second derivative. **Measure first:** `bowl_run(lr, curvature, steps)` runs gradient descent on
# the bowl with $w^* = 0$ from $w = 1$ and returns $w$ after every step; the next cell runs it at
# curvature 4 with lr = 0.1, 0.3, 0.45 and 0.55. **Then derive**, from the update rule of task 1:
# - `step_factor(lr, curvature)`: the number one step multiplies $w - w^*$ by;
# - `largest_stable_lr(curvature)`: the learning rate above which $w$ no longer approaches the minimum.
#
# Both take numpy arrays (or floats) of one shape and work elementwise.

# %% id="bowl" tags=["demo"]
for lr in [0.1, 0.3, 0.45, 0.55]:   # measured: w after each of 8 steps on the bowl of curvature 4
    print(f"lr = {lr:<4}: w = " + ", ".join(f"{w:.3g}" for w in bowl_run(lr, 4.0, steps=8)))

# %% id="task3-answers" role="solution"
# Lesson 6, task 3: your two functions
def step_factor(lr, curvature):
    """What one gradient-descent step on the bowl multiplies w - w* by; arrays of one shape."""
    ### BEGIN SOLUTION
    return 1 - lr * curvature
    ### END SOLUTION


def largest_stable_lr(curvature):
    """The learning rate above which gradient descent on the bowl no longer approaches w*."""
    ### BEGIN SOLUTION
    return 2 / curvature
    ### END SOLUTION

# %% id="task3-rate" role="tests" points=2
run_graded_cases("Lesson 6, task 3", step_factor, largest_stable_lr)   # more cases, judged by the grader
# Your functions against measured runs of bowl_run: one step's ratio, and runs just below and above your rate.
with task("Lesson 6, task 3") as check:
    check_rates(check, step_factor, largest_stable_lr)

# %% [markdown] id="written-lr" role="answer" points=2
# **Written answer (graded by hand).** Describe the three curves of the learning-rate demo. With
# task 3's bowl, why does the largest learning rate make the loss *grow* rather than merely
# converge slowly, and how would you choose a learning rate for a new problem?
#
# ### BEGIN SOLUTION
# lr = 0.003 decreases the loss steadily but so slowly that it is still far from the minimum after
# 400 steps; lr = 0.1 reaches the noise level (MSE about 0.01-0.02); lr = 0.6 goes up and overflows
# (diverged). Near a minimum the loss is roughly quadratic; a step of size $\eta$ along a direction
# of curvature $\lambda$ multiplies the distance to the minimum by $|1 - \eta\lambda|$, which is larger
# than 1 when $\eta > 2/\lambda$: each step overshoots by more than the last, so the error grows
# geometrically. Choose by trying a range on a log scale (e.g. 0.001, 0.01, 0.1, 1), keeping the largest
# rate whose loss curve falls smoothly, and lowering it (or using a schedule) if the loss oscillates.
# ### END SOLUTION

# %% [markdown] id="batch-md"
# ### Full batch against minibatches
#
# The red/blue moons, `MLP(2, (16, 16), 1, activation="relu", output_activation="sigmoid")`,
# 100 epochs at the same learning rate, once full-batch and once with batches of 20: the same
# amount of computation per epoch, ten times as many steps for the minibatches. Thin lines are
# the loss of each step, thick lines each epoch's mean.

# %% id="batch" tags=["raises-exception", "demo"]
X, y = data.moons(200, rng=0)
with demo("full batch against minibatches"):
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for batch_size, color in [(None, "C0"), (20, "C1")]:
        history = fit(MLP(2, (16, 16), 1, output_activation="sigmoid", rng=0), X, y, lr=0.5,
                      epochs=100, batch_size=batch_size)
        steps_per_epoch = len(history.step_loss) // len(history.epoch_loss)
        epochs_axis = np.arange(1, len(history.step_loss) + 1) / steps_per_epoch
        name = "full batch" if batch_size is None else f"batches of {batch_size}"
        ax.plot(epochs_axis, history.step_loss, color=color, alpha=0.3, linewidth=0.8)
        ax.plot(np.arange(1, len(history.epoch_loss) + 1), history.epoch_loss, color=color,
                linewidth=2, label=f"{name}: {len(history.step_loss)} steps")
    ax.set(xlabel="epoch", ylabel="log loss", yscale="log")
    ax.legend()
    plt.show()

# %% [markdown] id="batches-md"
# ## Lesson 6, task 4: one epoch of minibatches by hand ({{ points["task4-batches"] }} points)
#
# A model with one weight, $\text{score} = w\,x$ (no bias), and lesson 4's squared error, the mean
# of $(\text{score} - y)^2$ over the samples of a batch, on four samples
# $x = (1, 2, -1, 3)$, $y = (2, 3, -1, 7)$. Start at $w = 1$ with $\eta = 0.05$ and give
# - `g_full`: $\partial L/\partial w$ over all four samples, at $w = 1$;
# - `g_first`, `g_second`: $\partial L/\partial w$ over the first two samples, and over the last two, both at $w = 1$;
# - `w_full`: $w$ after one full-batch step;
# - `w_epoch`: $w$ after one epoch of minibatches of 2 in this order (no shuffling): a step on the
#   first two samples, then a step on the last two.
#
# Before you compute: how must `g_full` relate to `g_first` and `g_second`? Graded to 3 significant digits.

# %% id="task4-answers" role="solution" tags=["raises-exception"]
# Lesson 6, task 4: your numbers
g_full = g_first = g_second = w_full = w_epoch = None
with answers("Lesson 6, task 4"):
    ### BEGIN SOLUTION
    g_full, g_first, g_second = -7.5, -3.0, -12.0
    w_full, w_epoch = 1.375, 1.675
    ### END SOLUTION

# %% id="task4-batches" role="tests" points=3
run_graded_cases("Lesson 6, task 4", g_full, g_first, g_second, w_full, w_epoch)   # judged by the grader
# The visible check tests that your numbers fit together; the grader compares them with the true values.
with task("Lesson 6, task 4") as check:
    check_batches(check, g_full, g_first, g_second, w_full, w_epoch)

# %% [markdown] id="written-batch" role="answer" points=1
# **Written answer (graded by hand).** In two sentences: why do the minibatch step losses jump
# around, and why does minibatch SGD still reach a low loss in fewer epochs?
#
# ### BEGIN SOLUTION
# Each minibatch loss and gradient is computed on a different random 20-sample subset, so they
# are noisy estimates of the full-batch values (the noise shrinks like $1/\sqrt{B}$). Their average
# still points downhill, and with ten updates per epoch instead of one the parameters move much
# further for the same computation, so the loss per epoch falls faster.
# ### END SOLUTION

# %% [markdown] id="boundary-md"
# ### The decision boundary forms
#
# The same moons with minibatches of 20: the background shows the predicted probability of red
# ($\sigma(\text{score})$), the black line the decision boundary $\sigma = 0.5$, after 0, 2, 10, 40 and 150
# epochs. At epoch 0 the boundary is two straight rays from the origin. That is not because the
# weights are small (Glorot weights are not): every bias starts at 0, and a ReLU network without
# biases is *positively homogeneous*, $f(c\,x) = c\,f(x)$ for every $c > 0$, so the score keeps
# its sign along each ray from the origin. Once training moves the biases, the kinks leave the
# origin and the boundary bends around each moon.

# %% id="boundary" tags=["raises-exception", "demo"]
X, y = data.moons(200, rng=0)
grid_x1, grid_x2 = np.meshgrid(np.linspace(-1.5, 2.5, 100), np.linspace(-1.0, 1.5, 70))
grid = np.c_[grid_x1.ravel(), grid_x2.ravel()]
snapshot_epochs = [0, 2, 10, 40, 150]
with demo("decision boundary"):
    model = MLP(2, (16, 16), 1, output_activation="sigmoid", rng=0)
    snapshots = {0: model.predict_proba(grid)[:, 0]}
    steps_per_epoch = int(np.ceil(len(X) / 20))

    def snapshot(step):
        """fit's callback: keep the predicted probabilities at the end of chosen epochs."""
        if step.step % steps_per_epoch == 0 and step.epoch in snapshot_epochs:
            snapshots[step.epoch] = step.model.predict_proba(grid)[:, 0]

    fit(model, X, y, lr=0.5, epochs=snapshot_epochs[-1], batch_size=20, callback=snapshot)
    fig, axes = plt.subplots(1, len(snapshot_epochs), figsize=(18, 3.2))
    for ax, epoch in zip(axes, snapshot_epochs):
        proba = snapshots[epoch].reshape(grid_x1.shape)
        ax.contourf(grid_x1, grid_x2, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
        ax.contour(grid_x1, grid_x2, proba, [0.5], colors="k")
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="bwr", s=8, edgecolors="k", linewidths=0.3)
        ax.set(title=f"epoch {epoch}", xticks=[], yticks=[])
    print(f"training accuracy after {snapshot_epochs[-1]} epochs: {np.mean(model.predict(X) == y):.0%}")
    plt.tight_layout()
    plt.show()

# %% [markdown] id="widget-training"
# ### Live training (widget)
#
# Press **Play** to watch the same moons problem train live: the red/blue boundary and the loss curve
# update after every few minibatch steps. Change the data set, hidden sizes, activation, learning
# rate or batch size and play again. At lr = 3 this moons network does not diverge: its loss
# stalls around 0.7, no better than predicting 0.5 for every point ($\ln 2 \approx 0.69$). To see
# divergence, switch the data set to regression (squared error, no sigmoid) and keep lr = 3: the
# loss overflows within a few hundred steps, with either activation. The widget trains with
# *your* `SGD.step`: until task 1 is done it says so instead.

# %% id="widget" tags=["demo"]
from backprop_course.viz import TrainingAnimator

TrainingAnimator(preset="dataset=moons&hidden=16,16&activation=relu&lr=0.5&batch=20&speed=5")

# %% [markdown] id="regression-md"
# ### A regression problem
#
# `MLP(1, (32, 32), 1, activation="tanh")` with the identity output and squared error, fitted to
# $y = \sin(3x) + \text{noise}$ at lr = 0.1 in minibatches of 20. Each curve is the network's function
# after the given number of epochs.

# %% id="regression" tags=["raises-exception", "demo"]
X_reg, y_reg = data.regression_1d(100, rng=0)
x_plot = np.linspace(-1.1, 1.1, 200)[:, None]
curve_epochs = [0, 5, 20, 100, 400]
with demo("regression"):
    model = MLP(1, (32, 32), 1, activation="tanh", rng=0)
    curves = {0: model.predict(x_plot)[:, 0]}
    steps_per_epoch = int(np.ceil(len(X_reg) / 20))

    def keep_curve(step):
        if step.step % steps_per_epoch == 0 and step.epoch in curve_epochs:
            curves[step.epoch] = step.model.predict(x_plot)[:, 0]

    history = fit(model, X_reg, y_reg, lr=0.1, epochs=curve_epochs[-1], batch_size=20, callback=keep_curve)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
    ax1.scatter(X_reg[:, 0], y_reg[:, 0], s=10, color="k", label="data")
    for i, epoch in enumerate(curve_epochs):
        ax1.plot(x_plot[:, 0], curves[epoch], color=plt.cm.viridis(i / (len(curve_epochs) - 1)),
                 label=f"epoch {epoch}")
    ax1.set(xlabel="x", ylabel="y", title="the fitted function")
    ax1.legend(fontsize=8)
    ax2.semilogy(np.arange(1, len(history.epoch_loss) + 1), history.epoch_loss)
    ax2.set(xlabel="epoch", ylabel="MSE", title=f"final training MSE {history.epoch_loss[-1]:.4f}")
    plt.tight_layout()
    plt.show()

# %% [markdown] id="summary"
# ## Summary
#
# - SGD: $\theta \leftarrow \theta - \eta g$ in place; momentum adds a velocity $v \leftarrow \mu v - \eta g$,
#   an exponentially decaying sum of past steps.
# - A small step changes the loss by about $-\eta \lVert g\rVert^2$: it always goes down, until the step is too large for that linear picture.
# - One training step is forward, loss, backward, update; an epoch is one pass over the data, in one full batch or many shuffled minibatches.
# - The learning rate decides everything: on a bowl of curvature $\lambda$ a step multiplies the distance to the minimum by $1 - \eta\lambda$, so
#   too small crawls and $\eta > 2/\lambda$ overshoots and diverges (the loss grows geometrically); try values on a log scale.
# - Minibatch gradients are noisy but cheap: with equal batches their mean is the full gradient, and an epoch takes $N/B$ steps.
#
# You have now built and trained a multi-layer perceptron from single numbers up.
