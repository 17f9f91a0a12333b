# %% [markdown] id="intro"
# # Lesson 4: Losses
#
# A network's last layer produces raw **scores** $s$ (also called logits). The **loss** turns scores
# and targets into one number that training makes small, and its backward pass produces
# $\partial L / \partial s$, the gradient every other backward pass starts from.
#
# **Objectives.** After this lesson you can
# - write mean squared error, binary log loss and softmax cross-entropy and their gradients;
# - explain why each output activation comes paired with one loss;
# - compute these losses from logits so that no `exp` overflows and no `log` sees 0, for scores of any size.
#
# You implement three tasks in `backprop_lib/losses.py`; the cells after each task check it and print
# each relative error next to the bar it must meet. Run the notebook top to bottom; a task you have
# not done yet shows up as one line, `not implemented yet: Lesson 4, task ...`.

# %% [markdown] id="points"
# **Points.** Each check cell after a task is graded on its own, so partial work earns partial credit.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 4, task 1 | `MSELoss` | `backprop_lib/losses.py` | {{ sum(points[cell] for cell in points if cell.startswith("task1-")) }} |
# | Lesson 4, task 2 | `BCEWithLogitsLoss` | `backprop_lib/losses.py` | {{ sum(points[cell] for cell in points if cell.startswith("task2-")) }} |
# | Lesson 4, task 3 | `log_softmax`, `SoftmaxCrossEntropyLoss` | `backprop_lib/losses.py` | {{ sum(points[cell] for cell in points if cell.startswith("task3-")) }} |
# | written answers (graded by hand) | why the pair matters; softmax at growing scale | this notebook | {{ sum(points[cell] for cell in points if cell.startswith("written-")) }} |
# | | | **total** | **{{ total_points }}** |

# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np

from backprop_course.cells import demo
from backprop_course.checks import task
from backprop_course.tasks.lesson_4 import (  # the checks below and their hidden twins
    check_against_differences, check_gradients, check_huge, check_huge_float32, check_hygiene,
    check_log_softmax, check_log_softmax_at, check_values, loss_inputs, seeded_cases)
from backprop_lib.layers import sigmoid
from backprop_lib.losses import (BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss,
                                 log_softmax, softmax)

# %% [markdown] id="pairs"
# ## Output activation and loss come in pairs
#
# | problem | output activation (in `predict_proba`) | loss, computed from the scores | $\partial \ell/\partial s$ for one sample's loss $\ell$ ($\partial L/\partial s$ divides it by $N$) |
# |---|---|---|---|
# | regression | identity: $\hat y = s$ | `MSELoss` | $\frac{2}{K}(s - y)$ |
# | two classes | sigmoid: $p = \sigma(s)$ | `BCEWithLogitsLoss` | $\sigma(s) - y$ |
# | $C$ classes | softmax: $p = \mathrm{softmax}(s)$ | `SoftmaxCrossEntropyLoss` | $\mathrm{softmax}(s) - \mathrm{onehot}(y)$ |
#
# Each loss is the negative log-likelihood of its output's noise model (Gaussian, Bernoulli,
# categorical), and in each pair the gradient comes out as *prediction minus target*: the output
# activation's derivative cancels against the loss's. The model's `forward` returns the raw scores;
# the loss applies the activation inside, which is what lets it be both simple and numerically safe.
# All three losses **average** over the batch (divide by $N$), so the size of a gradient step does
# not depend on the batch size.

# %% [markdown] id="mse"
# ## Lesson 4, task 1: mean squared error ({{ sum(points[cell] for cell in points if cell.startswith("task1-")) }} points)
#
# For scores $S$ and targets $Y$ of shape $(N, K)$,
# $$L = \frac{1}{NK}\sum_{n,k}(s_{nk} - y_{nk})^2, \qquad
# \frac{\partial L}{\partial s_{nk}} = \frac{2}{NK}(s_{nk} - y_{nk}).$$
#
# **Lesson 4, task 1.** In `backprop_lib/losses.py` implement `MSELoss.forward` (return the mean as
# a float and cache $S - Y$) and `MSELoss.backward` (return $\partial L/\partial S$, shaped and typed
# like the scores). The targets arrive already reshaped to the scores' shape by `match_targets`.
#
# The checks below use a 3-sample example you can verify by hand: differences $1, 0, -2$ give
# $L = 5/3$. Bars: $10^{-10}$ against exact values, $10^{-5}$ against central differences.

# %% role="build"
from backprop_lib.losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss, log_softmax
from backprop_course.gradcheck import rel_error
from backprop_course.tasks.lesson_4 import F32_BAR, seeded_cases


def reference(loss_class, scores, y):
    """(loss, dL/dscores) of the reference loss at ``scores``."""
    loss = loss_class()
    return loss.forward(scores, y), loss.backward()


def reference_cases(loss_class, cases_call):
    """([loss], [dL/dscores]) of the reference on the cases ``cases_call`` (the hidden tests'
    own call) makes, in float64: the truth every dtype is held to. The reference in float32
    must meet the float32 bar with room to spare."""
    values, grads = [], []
    for scores, y in eval(cases_call):
        value, grad = reference(loss_class, scores.astype(np.float64), y)
        if scores.dtype == np.float32:
            value32, grad32 = reference(loss_class, scores, y)
            assert rel_error(value32, value) < F32_BAR / 10 and rel_error(grad32, grad) < F32_BAR / 10
        values.append(value)
        grads.append(grad)
    return values, grads


mse_cases = ('seeded_cases(4101, ['
    '((1, 1), (1,), "float64"), '
    '((5, 1), (5,), "float64"), '
    '((4, 3), (4, 3), "float64"), '
    '((7,), (7,), "float64"), '
    '((6, 2), (6, 2), "float32")], "real")')
mse_values, mse_grads = reference_cases(MSELoss, mse_cases)
mse_example = reference(MSELoss, np.array([[1.0], [2.0], [3.0]]), np.array([0.0, 2.0, 5.0]))
mse_huge = reference(MSELoss, np.array([[1e4], [-1e4]]), np.array([0.0, 0.0]))

# %% id="task1-mseloss-values" role="tests" points=2
with task("Lesson 4, task 1") as check:
    scores = np.array([[1.0], [2.0], [3.0]])
    y = np.array([0.0, 2.0, 5.0])
    value = MSELoss().forward(scores, y)
    check.close("loss of the example", value, {{ mse_example[0] }}, bar=1e-10, inputs=loss_inputs(scores, y))
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 1") as check:
    _cases = {{ mse_cases }}
    check_values(check, MSELoss, _cases, {{ mse_values }})
### END HIDDEN TESTS

# %% id="task1-mseloss-gradients" role="tests" points=2
with task("Lesson 4, task 1") as check:
    loss = MSELoss()
    scores = np.array([[1.0], [2.0], [3.0]])
    y = np.array([0.0, 2.0, 5.0])
    loss.forward(scores, y)
    want = {{ mse_example[1] }}
    check.close("dL/dscores of the example", loss.backward(), want, bar=1e-10, inputs=loss_inputs(scores, y, want))
    # Your backward against central differences of your own forward, at random scores:
    random_scores = np.random.default_rng(0).normal(size=scores.shape)
    check_against_differences(check, loss, random_scores, y)
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 1") as check:
    _cases = {{ mse_cases }}
    _want = [{{ mse_grads[0] }},
             {{ mse_grads[1] }},
             {{ mse_grads[2] }},
             {{ mse_grads[3] }},
             {{ mse_grads[4] }}]
    check_gradients(check, MSELoss, _cases, _want)
### END HIDDEN TESTS

# %% id="task1-mseloss-edge" role="tests" points=1
with task("Lesson 4, task 1") as check:
    scores = np.array([[1e4], [-1e4]])
    y = np.array([0.0, 0.0])
    # Any overflow, division by zero or invalid operation on the way is an error here:
    check_huge(check, MSELoss(), scores, y, {{ mse_huge[0] }}, {{ mse_huge[1] }})
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 1") as check:
    check_hygiene(check, MSELoss, {{ mse_cases }})
    check_huge_float32(check, MSELoss, np.array([[1e4], [-1e4]]), np.array([0.0, 0.0]),
                       {{ mse_huge[0] }}, {{ mse_huge[1] }})
### END HIDDEN TESTS

# %% [markdown] id="bce"
# ## Lesson 4, task 2: binary log loss on logits ({{ sum(points[cell] for cell in points if cell.startswith("task2-")) }} points)
#
# With $p = \sigma(s) = 1/(1 + e^{-s})$ the probability of class 1, the log loss of a label $y \in \{0, 1\}$ is
# $$\ell = -y \log p - (1 - y)\log(1 - p) = \log(1 + e^{s}) - y\,s,$$
# because $\log p = s - \log(1+e^s)$ and $\log(1-p) = -\log(1+e^s)$. Its derivative is simply
# $\partial \ell / \partial s = \sigma(s) - y$, and $L$ is the mean over the $N$ samples.
#
# **Why the naive formulas fail.** `np.exp(s)` overflows to `inf` for $s > 709$, so
# $\log(1 + e^{s})$ becomes `inf` although it is about $s$; going through $p$ is worse: $\sigma(s)$
# rounds to exactly 1 for $s > 37$, and $\log(1 - p) = \log 0 = -\infty$. The fix is an identity:
# $$\log(1 + e^{s}) = \max(s, 0) + \log\left(1 + e^{-|s|}\right),$$
# where the exponent is never positive, so nothing overflows (`np.log1p` keeps the small term accurate).

# %% id="naive-demo" tags=["raises-exception", "demo"]
# The naive formulas at growing scores (warnings silenced: the point is the inf and nan).
s = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
with np.errstate(all="ignore"):
    naive_softplus = np.log(1 + np.exp(s))
    p = 1 / (1 + np.exp(-s))
    naive_loss_y0 = -np.log(1 - p)          # log loss of label 0, through the probability
print("s                    ", s)
print("log(1 + exp(s))      ", naive_softplus)
print("-log(1 - sigmoid(s)) ", naive_loss_y0)
print("exact                ", np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s))))

# %% [markdown] id="bce-task"
# **Lesson 4, task 2.** Implement `BCEWithLogitsLoss.forward` and `.backward` with the stable formula.
# Scores have shape $(N,)$ or $(N, 1)$; labels arrive reshaped like the scores. The third check
# runs your loss under `np.errstate(over="raise", ...)` at scores of $\pm 10^4$, where any overflow
# is an error.

# %% role="build"
bce_cases = ('seeded_cases(4201, ['
    '((1,), (1,), "float64"), '
    '((6,), (6,), "float64"), '
    '((5, 1), (5,), "float64"), '
    '((8, 1), (8,), "float32")], "binary")')
bce_values, bce_grads = reference_cases(BCEWithLogitsLoss, bce_cases)
bce_example = reference(BCEWithLogitsLoss, np.array([0.0, 2.0, -1.0]), np.array([1, 0, 0]))
bce_huge = reference(BCEWithLogitsLoss, np.array([1e4, -1e4, 1e4, -1e4, 0.0]), np.array([1, 1, 0, 0, 1]))

# %% id="task2-bcewithlogitsloss-values" role="tests" points=2
### BEGIN HIDDEN TESTS
# Grading isolation: a loss may call sigmoid from lesson 3; use a correct one here so a lesson-3
# bug is not charged again in lesson 4.
import backprop_lib.layers as _layers
import backprop_lib.losses as _losses
def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5
_layers.sigmoid = _losses.sigmoid = _layers.ACTIVATIONS["sigmoid"] = _sigmoid
with task("Lesson 4, task 2") as check:
    _cases = {{ bce_cases }}
    check_values(check, BCEWithLogitsLoss, _cases, {{ bce_values }})
### END HIDDEN TESTS
with task("Lesson 4, task 2") as check:
    scores = np.array([0.0, 2.0, -1.0])
    y = np.array([1, 0, 0])
    value = BCEWithLogitsLoss().forward(scores, y)
    check.close("loss of the example", value, {{ bce_example[0] }}, bar=1e-10, inputs=loss_inputs(scores, y))
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")

# %% id="task2-bcewithlogitsloss-gradients" role="tests" points=2
### BEGIN HIDDEN TESTS
# Grading isolation: a loss may call sigmoid from lesson 3; use a correct one here so a lesson-3
# bug is not charged again in lesson 4.
import backprop_lib.layers as _layers
import backprop_lib.losses as _losses
def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5
_layers.sigmoid = _losses.sigmoid = _layers.ACTIVATIONS["sigmoid"] = _sigmoid
with task("Lesson 4, task 2") as check:
    _cases = {{ bce_cases }}
    _want = [{{ bce_grads[0] }},
             {{ bce_grads[1] }},
             {{ bce_grads[2] }},
             {{ bce_grads[3] }}]
    check_gradients(check, BCEWithLogitsLoss, _cases, _want)
### END HIDDEN TESTS
with task("Lesson 4, task 2") as check:
    loss = BCEWithLogitsLoss()
    scores = np.array([0.0, 2.0, -1.0])
    y = np.array([1, 0, 0])
    loss.forward(scores, y)
    want = {{ bce_example[1] }}
    check.close("dL/dscores of the example", loss.backward(), want, bar=1e-10, inputs=loss_inputs(scores, y, want))
    # Your backward against central differences of your own forward, at random scores:
    random_scores = np.random.default_rng(0).normal(size=scores.shape)
    check_against_differences(check, loss, random_scores, y)

# %% id="task2-bcewithlogitsloss-edge" role="tests" points=1
### BEGIN HIDDEN TESTS
# Grading isolation: a loss may call sigmoid from lesson 3; use a correct one here so a lesson-3
# bug is not charged again in lesson 4.
import backprop_lib.layers as _layers
import backprop_lib.losses as _losses
def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5
_layers.sigmoid = _losses.sigmoid = _layers.ACTIVATIONS["sigmoid"] = _sigmoid
with task("Lesson 4, task 2") as check:
    check_hygiene(check, BCEWithLogitsLoss, {{ bce_cases }})
    check_huge_float32(check, BCEWithLogitsLoss, np.array([1e4, -1e4, 1e4, -1e4, 0.0]), np.array([1, 1, 0, 0, 1]),
                       {{ bce_huge[0] }}, {{ bce_huge[1] }})
### END HIDDEN TESTS
with task("Lesson 4, task 2") as check:
    scores = np.array([1e4, -1e4, 1e4, -1e4, 0.0])
    y = np.array([1, 1, 0, 0, 1])
    # Any overflow, division by zero or invalid operation on the way is an error here:
    check_huge(check, BCEWithLogitsLoss(), scores, y, {{ bce_huge[0] }}, {{ bce_huge[1] }})

# %% [markdown] id="pair-plot-md"
# ### Why the pair matters: a picture
#
# Below, for a sample of class $y = 1$, the loss and its gradient as functions of the score: log
# loss on logits against squared error applied to the sigmoid's output $(\sigma(s) - 1)^2$. Look at
# the confidently wrong side, $s \ll 0$.

# %% id="pair-plot" tags=["raises-exception", "demo"]
import matplotlib.pyplot as plt

with demo("loss curves"):
    s_grid = np.linspace(-8, 8, 161)
    bce, bce_grad, sq, sq_grad = [], [], [], []
    for s in s_grid:
        loss = BCEWithLogitsLoss()
        bce.append(loss.forward(np.array([s]), np.array([1])))
        bce_grad.append(loss.backward()[0])
        p = sigmoid(np.array([s]))
        loss = MSELoss()
        sq.append(loss.forward(p, np.array([1.0])))
        sq_grad.append(loss.backward()[0] * p[0] * (1 - p[0]))  # chain rule through the sigmoid
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.plot(s_grid, bce, label="log loss on logits")
    ax1.plot(s_grid, sq, label="squared error of sigmoid(s)")
    ax1.set(xlabel="score s (true class y = 1)", ylabel="loss", title="loss")
    ax2.plot(s_grid, bce_grad, label="log loss")
    ax2.plot(s_grid, sq_grad, label="squared error of sigmoid(s)")
    ax2.set(xlabel="score s", ylabel="dL/ds", title="gradient")
    ax1.legend()
    ax2.legend()
    plt.tight_layout()
    plt.show()

# %% [markdown] id="written-pair" role="answer" points=2
# **Written answer (graded by hand).** A classmate trains a binary classifier with squared error
# on $\sigma(s)$ instead of `BCEWithLogitsLoss`. Using the plot, explain in two or three sentences
# what happens to a sample that the network gets confidently wrong ($s \ll 0$ for $y = 1$), and why
# the log loss does not have this problem.
#
# ### BEGIN SOLUTION
# The gradient of $(\sigma(s) - 1)^2$ is $2(\sigma(s) - 1)\,\sigma(s)(1 - \sigma(s))$, and the
# factor $\sigma(s)(1-\sigma(s))$ vanishes when the sigmoid saturates: the more confidently wrong
# the sample, the smaller its gradient, so learning stalls exactly where it is needed (the loss
# is also bounded by 1). With the log loss the sigmoid's derivative cancels and the gradient is
# $\sigma(s) - 1 \to -1$: a wrong confident sample keeps a full-size gradient, and the loss grows
# linearly in $|s|$.
# ### END SOLUTION

# %% [markdown] id="softmax"
# ## Lesson 4, task 3: softmax cross-entropy ({{ sum(points[cell] for cell in points if cell.startswith("task3-")) }} points)
#
# For $C$ classes the scores of one sample $s \in \mathbb{R}^C$ become probabilities
# $$\mathrm{softmax}(s)_c = \frac{e^{s_c}}{\sum_j e^{s_j}}, \qquad
# \log \mathrm{softmax}(s)_c = s_c - \log\sum_j e^{s_j},$$
# and the loss of the true class $y$ is $\ell = -\log \mathrm{softmax}(s)_y$, averaged over the batch.
# Its gradient is $\partial \ell / \partial s = \mathrm{softmax}(s) - \mathrm{onehot}(y)$: push the
# true class's score up, every other one down, each in proportion to its probability.
#
# **The max shift.** Softmax does not change when the same number is added to every score, so
# subtract the row maximum $m = \max_j s_j$ first:
# $$\log \mathrm{softmax}(s)_c = (s_c - m) - \log \sum_j e^{s_j - m}.$$
# Now every exponent is $\le 0$ (no overflow) and the sum is $\ge 1$ (its log is finite).
#
# **Lesson 4, task 3.** Implement `log_softmax(scores)` (row-wise, stable) and
# `SoftmaxCrossEntropyLoss.forward` / `.backward` in `backprop_lib/losses.py`; labels are integers
# of shape $(N,)$. The given `softmax` is `np.exp(log_softmax(...))`.

# %% role="build"
def reference_log_softmax(scores):
    """log_softmax of the reference in float64; in float32 it must meet the float32 bar."""
    want = log_softmax(scores.astype(np.float64))
    assert rel_error(log_softmax(scores), want) < F32_BAR / 10
    return want


log_softmax_cases = ('seeded_cases(4301, ['
    '((1, 2), (1,), "float64"), '
    '((4, 3), (4,), "float64"), '
    '((3, 7), (3,), "float64"), '
    '((5, 4), (5,), "float32")], "classes")')
log_softmax_want = [reference_log_softmax(scores) for scores, _ in eval(log_softmax_cases)]
log_softmax_example = log_softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
log_softmax_huge = log_softmax(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]]))

# %% id="task3-log-softmax-values" role="tests" points=1
with task("Lesson 4, task 3") as check:
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    check.close("log_softmax of the example", log_softmax(scores), {{ log_softmax_example }}, bar=1e-10,
                inputs={"scores": scores})
    check.close("exp(log_softmax) rows sum to 1", np.exp(log_softmax(scores)).sum(axis=1), np.ones(2), bar=1e-12)
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 3") as check:
    _cases = {{ log_softmax_cases }}
    _want = [{{ log_softmax_want[0] }},
             {{ log_softmax_want[1] }},
             {{ log_softmax_want[2] }},
             {{ log_softmax_want[3] }}]
    check_log_softmax(check, log_softmax, _cases, _want)
### END HIDDEN TESTS

# %% id="task3-log-softmax-huge" role="tests" points=1
with task("Lesson 4, task 3") as check:
    scores = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    check_log_softmax_at(check, log_softmax, scores, np.array([[0.0, -1000.0], [-1000.0, 0.0]]), bar=1e-12,
                         names=("no overflow at scores of 1000", "log_softmax at scores of 1000"))
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 3") as check:
    _s = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]])
    check_log_softmax_at(check, log_softmax, _s, {{ log_softmax_huge }}, bar=1e-10,
                         names=("hidden: no overflow at 1e4", "hidden: log_softmax at 1e4"))
    check_log_softmax_at(check, log_softmax, _s.astype(np.float32), {{ log_softmax_huge }}, bar=1e-4,
                         names=("hidden: no overflow at 1e4, float32", "hidden: log_softmax at 1e4, float32"))
    check.close("hidden: shift invariance", log_softmax(np.array([[5e3, 5e3 + 1.0]])),
                log_softmax(np.array([[0.0, 1.0]])), bar=1e-9)
### END HIDDEN TESTS

# %% role="build"
sce_cases = ('seeded_cases(4311, ['
    '((1, 2), (1,), "float64"), '
    '((5, 3), (5,), "float64"), '
    '((4, 10), (4,), "float64"), '
    '((6, 4), (6,), "float32")], "classes")')
sce_values, sce_grads = reference_cases(SoftmaxCrossEntropyLoss, sce_cases)
sce_example = reference(SoftmaxCrossEntropyLoss, np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), np.array([2, 0]))
sce_huge = reference(SoftmaxCrossEntropyLoss, np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]]), np.array([0, 0, 2]))

# %% id="task3-softmaxcrossentropyloss-values" role="tests" points=2
with task("Lesson 4, task 3") as check:
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    value = SoftmaxCrossEntropyLoss().forward(scores, y)
    check.close("loss of the example", value, {{ sce_example[0] }}, bar=1e-10, inputs=loss_inputs(scores, y))
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 3") as check:
    _cases = {{ sce_cases }}
    check_values(check, SoftmaxCrossEntropyLoss, _cases, {{ sce_values }})
### END HIDDEN TESTS

# %% id="task3-softmaxcrossentropyloss-gradients" role="tests" points=2
with task("Lesson 4, task 3") as check:
    loss = SoftmaxCrossEntropyLoss()
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    loss.forward(scores, y)
    want = {{ sce_example[1] }}
    check.close("dL/dscores of the example", loss.backward(), want, bar=1e-10, inputs=loss_inputs(scores, y, want))
    # Your backward against central differences of your own forward, at random scores:
    random_scores = np.random.default_rng(0).normal(size=scores.shape)
    check_against_differences(check, loss, random_scores, y)
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 3") as check:
    _cases = {{ sce_cases }}
    _want = [{{ sce_grads[0] }},
             {{ sce_grads[1] }},
             {{ sce_grads[2] }},
             {{ sce_grads[3] }}]
    check_gradients(check, SoftmaxCrossEntropyLoss, _cases, _want)
### END HIDDEN TESTS

# %% id="task3-softmaxcrossentropyloss-edge" role="tests" points=1
with task("Lesson 4, task 3") as check:
    scores = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]])
    y = np.array([0, 0, 2])
    # Any overflow, division by zero or invalid operation on the way is an error here:
    check_huge(check, SoftmaxCrossEntropyLoss(), scores, y, {{ sce_huge[0] }}, {{ sce_huge[1] }})
### BEGIN HIDDEN TESTS
with task("Lesson 4, task 3") as check:
    check_hygiene(check, SoftmaxCrossEntropyLoss, {{ sce_cases }})
    check_huge_float32(check, SoftmaxCrossEntropyLoss, np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]]), np.array([0, 0, 2]),
                       {{ sce_huge[0] }}, {{ sce_huge[1] }})
### END HIDDEN TESTS

# %% [markdown] id="temperature-md"
# ### Softmax at growing scale
#
# Multiplying the scores by a factor makes softmax more confident without changing which class
# wins. Your `softmax` (through your `log_softmax`) handles any scale; the naive formula returns
# `nan` once $e^{s}$ overflows.

# %% id="temperature" tags=["raises-exception", "demo"]
with demo("softmax at growing scale"):
    base = np.array([[2.0, 1.0, 0.1]])
    scales = [0.5, 1, 3, 10, 1000]
    probs = [softmax(scale * base)[0] for scale in scales]
    with np.errstate(all="ignore"):
        naive = np.exp(1000 * base) / np.exp(1000 * base).sum()
    print("naive softmax at scale 1000:", naive[0])
    fig, ax = plt.subplots(figsize=(7, 3))
    width = 0.15
    for i, (scale, p) in enumerate(zip(scales, probs)):
        ax.bar(np.arange(3) + (i - 2) * width, p, width, label=f"scale {scale}")
    ax.set(xticks=range(3), xticklabels=["class 0", "class 1", "class 2"], ylabel="probability",
           title="softmax(scale * [2, 1, 0.1])")
    ax.legend()
    plt.show()

# %% [markdown] id="written-logits" role="answer" points=1
# **Written answer (graded by hand).** Every loss in `backprop_lib` takes raw scores (logits) rather
# than probabilities. Give one numerical and one practical reason for that design.
#
# ### BEGIN SOLUTION
# Numerical: from logits the loss can be written with the max shift / $\max(s,0) + \log(1+e^{-|s|})$
# so that nothing overflows and no log sees 0; a probability has already rounded to exactly 0 or 1
# for large scores, and the information needed to compute the loss is lost. Practical: the
# gradient with respect to the scores is the simple *prediction minus target*, so the output
# activation needs no separate backward pass, and the model can return the same scores for
# training and use the activation only in `predict_proba`.
# ### END SOLUTION

# %% [markdown] id="summary"
# ## Summary
#
# - A loss maps scores and targets to one number; its backward pass starts backpropagation with $\partial L/\partial s$.
# - Identity + squared error, sigmoid + log loss, softmax + cross-entropy: each pair's gradient is prediction minus target.
# - Compute losses from logits with $\max(s,0) + \log(1 + e^{-|s|})$ and the max shift, and average over the batch.
#
# Next, lesson 5 stacks layers into a multi-layer perceptron and runs backpropagation through all of them.
