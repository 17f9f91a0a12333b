# %% [markdown] id="title"
# # Lesson 3: activations
#
# Stacked linear layers are still one linear map: $x W_1 W_2 = x (W_1 W_2)$. A nonlinearity between
# them, applied to every entry, is what lets a network bend its decision boundary. Its derivative
# is also a factor on every backward path through the network, so it decides whether gradients
# arrive intact or fade away.
#
# **Objectives.** After this lesson you can
# - derive the derivatives of ReLU, sigmoid and tanh as formulas in the activation's *output*, and
#   implement all six functions;
# - compute sigmoid without overflow for any input;
# - explain saturation and vanishing gradients from a plot;
# - state the convention at ReLU's kink and why gradient checks must stay away from it.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 3, task 1 | `relu`, `relu_derivative` | `backprop_lib/layers.py` | {{ points["task1-check"] }} |
# | Lesson 3, task 2: by hand | sigmoid's slope at three outputs | this notebook | {{ points["task2-hand"] }} |
# | Lesson 3, task 2 | `sigmoid`, `sigmoid_derivative` | `backprop_lib/layers.py` | {{ points["task2-check"] }} |
# | Lesson 3, task 3: by hand | tanh's slope at three outputs | this notebook | {{ points["task3-hand"] }} |
# | Lesson 3, task 3 | `tanh`, `tanh_derivative` | `backprop_lib/layers.py` | {{ points["task3-check"] }} |
# | find the bug (checked, not graded) | a sigmoid layer's backward pass | this notebook | 0 |
# | written answers | vanishing gradients; the kink | this notebook | {{ points["vanishing-answer"] + points["kink-answer"] }} |
# | | | **total** | **{{ total_points }}** |


# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np

from backprop_course.cells import answers, demo
from backprop_course.checks import task
from backprop_course.gradcheck import check_layer
from backprop_course.tasks.find_the_bug import ACTIVATION_SUSPECTS, X_SUSPECT, check_fixes, listing
from backprop_course.tasks.lesson_3 import (POINTS, central_difference, check_by_hand, check_elementwise,
                                            check_extremes, gradient_norms, run_graded_cases)
from backprop_lib.layers import (ACTIVATIONS, DERIVATIVES, ReLU, relu, relu_derivative, sigmoid,
                                 sigmoid_derivative, tanh, tanh_derivative)

# %% role="build"
# The expected values of the visible checks: the reference at the five points the checks use.
from backprop_course.tasks.lesson_3 import POINTS
from backprop_lib.layers import ACTIVATIONS, DERIVATIVES

x = np.array(POINTS)
outs = {name: ACTIVATIONS[name](x) for name in ("relu", "sigmoid", "tanh")}
slopes = {name: DERIVATIVES[name](out) for name, out in outs.items()}

# %% [markdown] id="derivatives-md"
# ## Derivatives from the output
#
# An activation layer caches its **output** $o = f(x)$, and its derivative is written in terms of
# $o$ alone (as scikit-learn's MLP does), which saves recomputing $f$ in the backward pass. Finding
# those formulas is your job: differentiate $f$ with the chain rule (lesson 1's local derivatives:
# $\frac{d}{dx} e^{u} = e^{u} \frac{du}{dx}$, $\frac{d}{dx} \frac1u = -\frac{1}{u^2} \frac{du}{dx}$)
# and then write the result with $f(x)$ itself where you can.
#
# | $f(x)$ | formula | range of $o = f(x)$ |
# |---|---|---|
# | ReLU | $\max(x, 0)$ | $[0, \infty)$ |
# | sigmoid | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $(0, 1)$ |
# | tanh | $\dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$ | $(-1, 1)$ |
#
# The backward pass of an activation layer is then `grad_out * derivative(out)` (given code in
# `Activation.backward`). All functions take arrays of any shape, work elementwise, must not modify
# their input and must return the input's dtype (float32 in, float32 out).
#
# ### Lesson 3, task 1: ReLU ({{ points["task1-check"] }} points)
#
# Implement `relu` and `relu_derivative` in `backprop_lib/layers.py`: what is ReLU's slope, told
# from its output alone? At the kink $x = 0$ ReLU has
# no derivative; use the convention $\mathrm{relu}'(0) = 0$ (as PyTorch does). A derivative built
# from a comparison is boolean: convert it with `.astype(out.dtype)`. Bars: $10^{-9}$ for values,
# $10^{-6}$ against central differences.

# %% id="task1-check" role="tests" points=2
run_graded_cases("Lesson 3, task 1", relu, relu_derivative)   # more cases, judged by the grader
with task("Lesson 3, task 1") as check:
    x = np.array(POINTS)
    check.close("relu(x)", relu(x), {{ outs["relu"] }}, bar=1e-9, inputs={"x": x})
    out = {{ outs["relu"] }}   # the right outputs: a wrong relu is not charged twice
    check.close("relu_derivative(out)", relu_derivative(out), {{ slopes["relu"] }}, bar=1e-9, inputs={"out": out})
    # x unchanged, the slope against central differences (away from 0), float32 in -> float32 out
    check_elementwise(check, relu, relu_derivative)


# %% [markdown] id="sigmoid-hand-md"
# ### Lesson 3, task 2: by hand ({{ points["task2-hand"] }} point)
#
# Differentiate $\sigma(x) = (1 + e^{-x})^{-1}$ and write $\sigma'(x)$ with $\sigma(x)$ itself.
# Then, without finding $x$: what is $\sigma'(x)$ at the inputs where the output is
# $o = 0.2$, $0.5$ and $0.9$? Type the three slopes. The check compares them with central
# differences of sigmoid without showing the answer; once it passes it shows the formula.

# %% id="task2-hand-answers" role="solution" tags=["raises-exception"]
# Lesson 3, task 2 by hand: sigmoid'(x) where sigmoid(x) = 0.2, 0.5, 0.9
sigmoid_slopes = None
with answers("Lesson 3, task 2: by hand"):
    ### BEGIN SOLUTION
    sigmoid_slopes = [0.16, 0.25, 0.09]
    ### END SOLUTION

# %% id="task2-hand" role="tests" points=1
run_graded_cases("Lesson 3, task 2: by hand", sigmoid_slopes=sigmoid_slopes)   # judged by the grader when you hand in
with task("Lesson 3, task 2: by hand") as check:
    check_by_hand(check, sigmoid_slopes=sigmoid_slopes)

# %% [markdown] id="sigmoid-md"
# ### Lesson 3, task 2: sigmoid ({{ points["task2-check"] }} points)
#
# Implement `sigmoid` and `sigmoid_derivative` (from the output, as you derived). The textbook
# formula overflows: for $x < -709$, `np.exp(-x)` is `inf` (NumPy warns, and the check turns warnings into errors). The identity
# $\sigma(x) = \tfrac12 \tanh(x/2) + \tfrac12$ cannot overflow; nor can evaluating $e^{-|x|}$ and
# choosing the formula by the sign of $x$. The check includes $x = \pm 1000$.

# %% id="task2-check" role="tests" points=2
run_graded_cases("Lesson 3, task 2", sigmoid, sigmoid_derivative)   # more cases, judged by the grader
with task("Lesson 3, task 2") as check:
    x = np.array(POINTS)
    check.close("sigmoid(x)", sigmoid(x), {{ outs["sigmoid"] }}, bar=1e-9, inputs={"x": x})
    out = {{ outs["sigmoid"] }}   # the right outputs: a wrong sigmoid is not charged twice
    check.close("sigmoid_derivative(out)", sigmoid_derivative(out), {{ slopes["sigmoid"] }}, bar=1e-9, inputs={"out": out})
    # x unchanged, the slope against central differences (away from 0), float32 in -> float32 out
    check_elementwise(check, sigmoid, sigmoid_derivative)
    check_extremes(check, sigmoid, x=[-1000.0, 1000.0], expected=[0.0, 1.0])


# %% [markdown] id="tanh-hand-md"
# ### Lesson 3, task 3: by hand ({{ points["task3-hand"] }} point)
#
# Differentiate $\tanh(x) = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$ (the quotient rule, or
# $\tanh(x) = 2\sigma(2x) - 1$ and your sigmoid result) and write $\tanh'(x)$ with $\tanh(x)$
# itself. What is $\tanh'(x)$ where the output is $o = -0.5$, $0.2$ and $0.8$? Type the three slopes.

# %% id="task3-hand-answers" role="solution" tags=["raises-exception"]
# Lesson 3, task 3 by hand: tanh'(x) where tanh(x) = -0.5, 0.2, 0.8
tanh_slopes = None
with answers("Lesson 3, task 3: by hand"):
    ### BEGIN SOLUTION
    tanh_slopes = [0.75, 0.96, 0.36]
    ### END SOLUTION

# %% id="task3-hand" role="tests" points=1
run_graded_cases("Lesson 3, task 3: by hand", tanh_slopes=tanh_slopes)   # judged by the grader when you hand in
with task("Lesson 3, task 3: by hand") as check:
    check_by_hand(check, tanh_slopes=tanh_slopes)

# %% [markdown] id="tanh-md"
# ### Lesson 3, task 3: tanh ({{ points["task3-check"] }} points)
#
# Implement `tanh` and `tanh_derivative` (`np.tanh` is allowed and does not overflow; the
# $e^{x}$ formula does). The check includes $x = \pm 1000$.

# %% id="task3-check" role="tests" points=2
run_graded_cases("Lesson 3, task 3", tanh, tanh_derivative)   # more cases, judged by the grader
with task("Lesson 3, task 3") as check:
    x = np.array(POINTS)
    check.close("tanh(x)", tanh(x), {{ outs["tanh"] }}, bar=1e-9, inputs={"x": x})
    out = {{ outs["tanh"] }}   # the right outputs: a wrong tanh is not charged twice
    check.close("tanh_derivative(out)", tanh_derivative(out), {{ slopes["tanh"] }}, bar=1e-9, inputs={"out": out})
    # x unchanged, the slope against central differences (away from 0), float32 in -> float32 out
    check_elementwise(check, tanh, tanh_derivative)
    check_extremes(check, tanh, x=[-1000.0, 1000.0], expected=[-1.0, 1.0])


# %% [markdown] id="saturation-md"
# ## Saturation
#
# For large $|x|$ sigmoid and tanh flatten out: they **saturate**, and their derivative is nearly 0.
# Sigmoid's derivative is at most $\sigma'(0) = 1/4$; tanh's at most $1$; ReLU's is exactly 1 for every
# positive input and 0 for every negative one.

# %% id="curves" tags=["demo"]
import matplotlib.pyplot as plt

# One colour per activation in every plot of this lesson (even when a stub leaves a curve out).
COLOURS = {"relu": "C0", "sigmoid": "C1", "tanh": "C2"}
z = np.linspace(-6, 6, 601)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
for name in ["relu", "sigmoid", "tanh"]:
    with demo(f"the {name} curves"):
        out = ACTIVATIONS[name](z)
        left.plot(z, out, label=name, color=COLOURS[name])
        right.plot(z, DERIVATIVES[name](out), label=name, color=COLOURS[name])
for ax, title in ((left, "f(x)"), (right, "f'(x), from the output")):
    ax.axvspan(-6, -3, color="0.92")
    ax.axvspan(3, 6, color="0.92")
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
left.set_ylim(-1.2, 3)
right.text(4.5, 0.55, "sigmoid and tanh\nsaturate here", ha="center", fontsize=8)
plt.show()


# %% [markdown] id="vanishing-md"
# ## Vanishing gradients
#
# Backpropagating through $k$ layers multiplies $k$ local derivatives. The experiment below pushes a
# batch through 30 layers of width 64 (Glorot-initialised weights, no training) and then sends a
# gradient back down, recording $\lVert \partial L/\partial h_k \rVert$ at every layer $k$. Each sigmoid
# layer multiplies the gradient by at most $1/4$ (times the weights): by the first layer almost nothing
# is left, and those layers barely learn.

# %% id="vanishing" tags=["demo"]
# gradient_norms (in backprop_course/tasks/lesson_3.py) runs the experiment described above.
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name in ["relu", "tanh", "sigmoid"]:
    with demo(f"the {name} gradients"):
        norms = gradient_norms(ACTIVATIONS[name], DERIVATIVES[name])
        ax.semilogy(range(1, len(norms) + 1), norms, "o-", ms=3, label=name, color=COLOURS[name])
        print(f"{name:>8}: the gradient shrinks by a factor {norms[-1] / norms[0]:.1e} from layer 30 to layer 1")
ax.set_xlabel("layer k (1 = next to the input)")
ax.set_ylabel("||dL/dh_k||")
ax.legend()
plt.show()

# %% [markdown] id="vanishing-answer-md"
# ### Written answer (1 point)
#
# Using the plot, explain why the first layers of a deep sigmoid network learn much more slowly than
# the last ones, and why ReLU and tanh suffer less.

# %% [markdown] id="vanishing-answer" role="answer" points=1
# ### BEGIN SOLUTION
# The gradient reaching layer $k$ is a product of one local derivative per layer above it. Sigmoid's
# derivative is at most $1/4$ (and much smaller where units saturate), so each layer shrinks the
# gradient by a factor $\lesssim 1/4 \cdot \lVert W\rVert$: over 30 layers it falls by many orders of
# magnitude and the first layers' updates are tiny. tanh's derivative is up to 1 near 0, and ReLU's
# is exactly 1 for active units, so their products shrink far less (ReLU loses a factor of about
# $\sqrt 2$ per layer here only because half its units are off; He initialisation compensates).
# ### END SOLUTION

# %% [markdown] id="find-the-bug-md"
# ## Find the bug (checked, not graded)
#
# `SigmoidLayer` below computes the right outputs, yet its gradient check fails: one line is wrong.
# Run the check, read the listing, and write the wrong line and its fix in the answer cell, as in
# lesson 2 (the check puts your fix in place, runs the gradient check again and makes sure the
# forward pass is unchanged). Checked at once, not graded, for the same reasons as lesson 2's.

# %% id="find-the-bug-run" tags=["demo"]
print(listing("SigmoidLayer"))
print(check_layer(ACTIVATION_SUSPECTS["SigmoidLayer"](), X_SUSPECT))

# %% id="find-the-bug-answers" role="solution" tags=["raises-exception"]
# Find the bug: (the wrong line as printed, the fixed line), as in
#   fixes = {"SigmoidLayer": ('the wrong line', 'the fixed line')}
fixes = None
with answers("Lesson 3, find the bug"):
    ### BEGIN SOLUTION
    fixes = {"SigmoidLayer": ("self.cache = x", "self.cache = out  # the slope is written from the output")}
    ### END SOLUTION

# %% id="find-the-bug-check" tags=["raises-exception"]
with task("Lesson 3, find the bug (not graded)") as check:
    check_fixes(check, fixes, ACTIVATION_SUSPECTS)

# %% [markdown] id="kink-md"
# ## The kink
#
# ReLU has no derivative at $x = 0$; any value in $[0, 1]$ is a valid *subgradient*, and libraries
# pick one (here 0). Training is not affected: an input exactly at 0 is rare, and either choice
# moves downhill. **Gradient checks** are affected: a central difference at $x$ with $|x| < h$
# straddles the kink and measures an average of the two slopes. `check_layer` therefore watches the
# ReLU on/off pattern and leaves such entries out, reporting them as kinks.

# %% id="kink" tags=["demo"]
with demo("the kink demo"):
    h = 1e-6
    for x0 in (0.5, 1e-7, -1e-7):
        x_point = np.array([x0])
        print(f"x = {x0:>6g}: relu'(x) = {relu_derivative(relu(x_point))[0]:g}, "
              f"central difference with h = 1e-6: {central_difference(relu, x_point, h)[0]:.3g}")
    near_kink = np.array([[0.8, -1.1, 3e-7], [-4e-7, 0.6, -2.0]])
    print(check_layer(ReLU(), near_kink))

# %% [markdown] id="kink-answer-md"
# ### Written answer (1 point)
#
# Why does the central difference at $x = 10^{-7}$ give about $0.55$, and why would a gradient
# check that kept this entry wrongly fail a correct ReLU?

# %% [markdown] id="kink-answer" role="answer" points=1
# ### BEGIN SOLUTION
# With $h = 10^{-6}$ the two evaluation points $x \pm h$ lie on both sides of 0:
# $\mathrm{relu}(x + h) = 1.1\cdot 10^{-6}$ and $\mathrm{relu}(x - h) = 0$, so the slope is
# $1.1\cdot 10^{-6} / (2\cdot 10^{-6}) = 0.55$, a mix of the slopes 1 and 0. The correct analytic
# derivative is 1 (or 0 at exactly 0), so the relative error is large although the code is right;
# only entries farther than $h$ from the kink can be checked.
# ### END SOLUTION
