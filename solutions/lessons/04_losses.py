# %% [markdown] id="intro"
# # Lesson 4: Losses
#
# A network's last layer produces raw **scores** $s$ (also called logits). The **loss** turns scores
# and targets into one number that training makes small, and its backward pass produces
# $\partial L / \partial s$, the gradient every other backward pass starts from.
#
# **Objectives.** After this lesson you can
# - derive the gradient of squared error and of log loss with respect to the scores, first for one
#   sample by hand, then for a batch, and implement both losses;
# - explain why each output activation comes paired with one loss;
# - compute losses from logits so that no `exp` overflows and no `log` sees 0, for scores of any size.
#
# Tasks 1 and 2 are the squared error and the log loss of the slides; task 3, softmax
# cross-entropy for $C$ classes, is an **extension**. You implement the losses in
# `backprop_lib/losses.py`; the cells after each task check it and print each relative error next
# to the bar it must meet. When a task's gradient check passes, it shows the formula you derived.
# Run the notebook top to bottom; a task you have not done yet shows up as one line,
# `not implemented yet: Lesson 4, task ...`.

# %% [markdown] id="points"
# **Points.** Each check cell after a task is graded on its own, so partial work earns partial credit.
#
# | Task | What | Where | Points |
# |---|---|---|---|
# | Lesson 4, task 1 | derive $\partial \ell/\partial s$ of squared error; `MSELoss` | this notebook; `backprop_lib/losses.py` | {{ sum(points[cell] for cell in points if cell.startswith("task1-")) }} |
# | Lesson 4, task 2 | derive $\partial \ell/\partial s$ of log loss; `BCEWithLogitsLoss` | this notebook; `backprop_lib/losses.py` | {{ sum(points[cell] for cell in points if cell.startswith("task2-")) }} |
# | Lesson 4, task 3 (extension) | `log_softmax`, `SoftmaxCrossEntropyLoss` | `backprop_lib/losses.py` | {{ sum(points[cell] for cell in points if cell.startswith("task3-")) }} |
# | written answers (graded by hand) | why the pair matters; why losses take logits | this notebook | {{ sum(points[cell] for cell in points if cell.startswith("written-")) }} |
# | | | **total** | **{{ total_points }}** |

# %% id="setup"
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np

from backprop_course.cells import answers, demo
from backprop_course.checks import task
from backprop_course.tasks.lesson_4 import (  # the examples, and the checks below
    BCE_EXAMPLE, BCE_HUGE, CE_EXAMPLE, CE_HUGE, MSE_EXAMPLE, MSE_HUGE, check_against_differences,
    check_bce_derivation, check_huge, check_log_softmax_at, check_mse_derivation, loss_inputs, run_graded_cases)
from backprop_lib.layers import sigmoid
from backprop_lib.losses import (BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss,
                                 log_softmax, softmax)

# %% [markdown] id="pairs"
# ## Output activation and loss come in pairs
#
# | problem | output activation (in `predict_proba`) | loss, computed from the scores $s$ |
# |---|---|---|
# | regression | identity: $\hat y = s$ | `MSELoss`: squared error |
# | two classes | sigmoid: $p = \sigma(s)$ | `BCEWithLogitsLoss`: log loss |
# | $C$ classes | softmax: $p = \mathrm{softmax}(s)$ | `SoftmaxCrossEntropyLoss`: cross-entropy (extension) |
#
# Each loss is the negative log-likelihood of its output's noise model (Gaussian, Bernoulli,
# categorical). The model's `forward` returns the raw scores; the loss applies the activation
# inside, which is what lets it be both simple and numerically safe: you will see in tasks 1 and 2
# what the pairing does to the gradient. Each sample $n$ has its own loss $\ell_n$, and all three
# losses **average** over the batch, $L = \frac{1}{N}\sum_n \ell_n$, so the size of a gradient step
# does not depend on the batch size.

# %% [markdown] id="mse"
# ## Lesson 4, task 1: squared error ({{ sum(points[cell] for cell in points if cell.startswith("task1-")) }} points)
#
# For one sample with $K$ outputs, scores $s$ and targets $y$, the squared error is
# $\ell = \frac{1}{K}\sum_k (s_k - y_k)^2$, and for scores $S$ and targets $Y$ of shape $(N, K)$
# $$L = \frac{1}{N}\sum_n \ell_n = \frac{1}{NK}\sum_{n,k}(s_{nk} - y_{nk})^2 .$$
# Unlike lesson 1's $\tfrac12 (y - t)^2$ this has no $\tfrac12$ (see the notation table of lesson 1).
#
# **Derive it first.** Take one sample with one output ($K = 1$), so $\ell = (s - y)^2$, with
# $s = 0.5$ and target $y = 2$. By hand:
# - `mse_dl_ds`: $\partial \ell/\partial s$ for this sample alone;
# - `mse_dL_ds`: $\partial L/\partial s$ for the same sample when it is one of a batch of $N = 4$ samples
#   and $L$ is their mean.
#
# Write the derivative in general as you go: `MSELoss.backward` needs it for every entry.

# %% id="task1-answers" role="solution" tags=["raises-exception"]
# Lesson 4, task 1: your derivation (dl_ds: of one sample's loss; dL_ds: of the batch's mean)
mse_dl_ds = mse_dL_ds = None
with answers("Lesson 4, task 1"):
    ### BEGIN SOLUTION
    mse_dl_ds = 2 * (0.5 - 2)      # -3
    mse_dL_ds = mse_dl_ds / 4      # -0.75: the sample's loss is a quarter of the mean
    ### END SOLUTION

# %% id="task1-derivation" role="tests" points=2
run_graded_cases("Lesson 4, task 1: derivation", mse_dl_ds, mse_dL_ds)   # judged by the grader when you hand in
# The visible check tests that your numbers fit together; the grader compares them with the truth.
with task("Lesson 4, task 1: derivation") as check:
    check_mse_derivation(check, mse_dl_ds, mse_dL_ds)

# %% [markdown] id="mse-task"
# **Lesson 4, task 1.** In `backprop_lib/losses.py` implement `MSELoss.forward` (return the mean as
# a float and cache what backward needs) and `MSELoss.backward` (return $\partial L/\partial S$,
# shaped and typed like the scores). The targets arrive already reshaped to the scores' shape by
# `match_targets`.
#
# The checks below use a 3-sample example you can verify by hand: differences $1, -0.5, 2.5$ give
# $L = 2.5$. Bars: $10^{-10}$ against exact values, $10^{-5}$ against central differences.

# %% role="build"
from backprop_lib.losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss, log_softmax
from backprop_course.tasks.lesson_4 import BCE_EXAMPLE, BCE_HUGE, CE_EXAMPLE, CE_HUGE, MSE_EXAMPLE, MSE_HUGE

# The visible examples' values, from the reference. The graded cases have none here: the grader's
# judge computes them (autograder/judge/lesson_4.py).
def loss_of(loss_class, example):
    return loss_class().forward(*example)


# %% id="task1-mseloss-values" role="tests" points=2
run_graded_cases("Lesson 4, task 1: values", MSELoss)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 1") as check:
    scores, y = MSE_EXAMPLE
    value = MSELoss().forward(scores.copy(), y.copy())
    check.close("loss of the example", value, {{ loss_of(MSELoss, MSE_EXAMPLE) }}, bar=1e-10,
                inputs=loss_inputs(scores, y))
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")

# %% id="task1-mseloss-gradients" role="tests" points=2
run_graded_cases("Lesson 4, task 1: gradients", MSELoss)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 1: gradients") as check:
    scores, y = MSE_EXAMPLE
    # Your backward against central differences of your own forward, at the example and at random scores:
    check_against_differences(check, MSELoss(), scores, y, "dL/dscores of the example")
    random_scores = np.random.default_rng(0).normal(size=scores.shape)
    check_against_differences(check, MSELoss(), random_scores, y)

# %% id="task1-mseloss-edge" role="tests" points=1
run_graded_cases("Lesson 4, task 1: edge cases", MSELoss)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 1") as check:
    scores, y = MSE_HUGE
    # Any overflow, division by zero or invalid operation on the way is an error here:
    check_huge(check, MSELoss(), scores, y, {{ loss_of(MSELoss, MSE_HUGE) }})

# %% [markdown] id="bce"
# ## Lesson 4, task 2: binary log loss on logits ({{ sum(points[cell] for cell in points if cell.startswith("task2-")) }} points)
#
# With $p = \sigma(s) = 1/(1 + e^{-s})$ the probability of class 1, the log loss of a label $y \in \{0, 1\}$ is
# $$\ell = -y \log p - (1 - y)\log(1 - p) = \log(1 + e^{s}) - y\,s,$$
# because $\log p = s - \log(1+e^s)$ and $\log(1-p) = -\log(1+e^s)$; $L$ is the mean over the $N$ samples.
#
# **Derive it first.** Take one sample with score $s = \ln 3$ and label $y = 1$. By hand (lesson 3's
# table has $\sigma'$):
# - `bce_p`: the predicted probability $p = \sigma(s)$;
# - `bce_dl_ds`: $\partial \ell/\partial s$ for this sample.
#
# Either form of $\ell$ above works; compare what you get with $p$ and $y$.

# %% id="task2-answers" role="solution" tags=["raises-exception"]
# Lesson 4, task 2: your derivation
bce_p = bce_dl_ds = None
with answers("Lesson 4, task 2"):
    ### BEGIN SOLUTION
    bce_p = 1 / (1 + 1 / 3)      # e^(-ln 3) = 1/3, so p = 3/4
    bce_dl_ds = bce_p - 1        # -1/4
    ### END SOLUTION

# %% id="task2-derivation" role="tests" points=2
run_graded_cases("Lesson 4, task 2: derivation", bce_p, bce_dl_ds)   # judged by the grader when you hand in
# The visible check tests that your numbers fit together; the grader compares them with the truth.
with task("Lesson 4, task 2: derivation") as check:
    check_bce_derivation(check, bce_p, bce_dl_ds)

# %% [markdown] id="bce-naive"
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
# **Lesson 4, task 2.** Implement `BCEWithLogitsLoss.forward` and `.backward` with the stable formula,
# and the gradient you derived, averaged over the batch. Scores have shape $(N,)$ or $(N, 1)$; labels
# arrive reshaped like the scores. The third check runs your loss under `np.errstate(over="raise", ...)`
# at scores of up to $\pm 10^4$, where any overflow is an error.

# %% id="task2-bcewithlogitsloss-values" role="tests" points=2
run_graded_cases("Lesson 4, task 2: values", BCEWithLogitsLoss)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 2") as check:
    scores, y = BCE_EXAMPLE
    value = BCEWithLogitsLoss().forward(scores.copy(), y.copy())
    check.close("loss of the example", value, {{ loss_of(BCEWithLogitsLoss, BCE_EXAMPLE) }}, bar=1e-10,
                inputs=loss_inputs(scores, y))
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")

# %% id="task2-bcewithlogitsloss-gradients" role="tests" points=2
run_graded_cases("Lesson 4, task 2: gradients", BCEWithLogitsLoss)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 2: gradients") as check:
    scores, y = BCE_EXAMPLE
    # Your backward against central differences of your own forward, at the example and at random scores:
    check_against_differences(check, BCEWithLogitsLoss(), scores, y, "dL/dscores of the example")
    random_scores = np.random.default_rng(0).normal(size=scores.shape)
    check_against_differences(check, BCEWithLogitsLoss(), random_scores, y)

# %% id="task2-bcewithlogitsloss-edge" role="tests" points=1
run_graded_cases("Lesson 4, task 2: edge cases", BCEWithLogitsLoss)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 2") as check:
    scores, y = BCE_HUGE
    # Any overflow, division by zero or invalid operation on the way is an error here:
    check_huge(check, BCEWithLogitsLoss(), scores, y, {{ loss_of(BCEWithLogitsLoss, BCE_HUGE) }})

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
# ## Lesson 4, task 3 (extension): softmax cross-entropy ({{ sum(points[cell] for cell in points if cell.startswith("task3-")) }} points)
#
# *An extension beyond the slides, which stop at squared error and log loss: the same ideas for
# $C$ classes.* The scores of one sample $s \in \mathbb{R}^C$ become probabilities
# $$\mathrm{softmax}(s)_c = \frac{e^{s_c}}{\sum_j e^{s_j}}, \qquad
# \log \mathrm{softmax}(s)_c = s_c - \log\sum_j e^{s_j},$$
# and the loss of the true class $y$ is $\ell = -\log \mathrm{softmax}(s)_y$, averaged over the batch.
# To find $\partial \ell/\partial s_c$, differentiate the two terms of $\ell = -s_y + \log\sum_j e^{s_j}$
# separately: the first touches only the true class's score, the second every score.
#
# **The max shift.** Softmax does not change when the same number is added to every score, so
# subtract the row maximum $m = \max_j s_j$ first:
# $$\log \mathrm{softmax}(s)_c = (s_c - m) - \log \sum_j e^{s_j - m}.$$
# Now every exponent is $\le 0$ (no overflow) and the sum is $\ge 1$ (its log is finite).
#
# **Lesson 4, task 3.** Implement `log_softmax(scores)` (row-wise, stable) and
# `SoftmaxCrossEntropyLoss.forward` / `.backward` in `backprop_lib/losses.py`; labels are integers
# of shape $(N,)$. The given `softmax` is `np.exp(log_softmax(...))`.

# %% id="task3-log-softmax-values" role="tests" points=1
run_graded_cases("Lesson 4, task 3: log_softmax", log_softmax)   # more cases, judged by the grader when you hand in
with task("Lesson 4, task 3") as check:
    scores, _ = CE_EXAMPLE
    check.close("log_softmax of the example", log_softmax(scores.copy()), {{ log_softmax(CE_EXAMPLE[0]) }},
                bar=1e-10, inputs={"scores": scores})
    check.close("exp(log_softmax) rows sum to 1", np.exp(log_softmax(scores.copy())).sum(axis=1), np.ones(2),
                bar=1e-12)

# %% id="task3-log-softmax-huge" role="tests" points=1
run_graded_cases("Lesson 4, task 3: log_softmax at huge scores", log_softmax)   # judged by the grader
with task("Lesson 4, task 3") as check:
    scores = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    check_log_softmax_at(check, log_softmax, scores, np.array([[0.0, -1000.0], [-1000.0, 0.0]]), bar=1e-12,
                         names=("no overflow at scores of 1000", "log_softmax at scores of 1000"))

# %% id="task3-softmaxcrossentropyloss-values" role="tests" points=1
run_graded_cases("Lesson 4, task 3: values", SoftmaxCrossEntropyLoss)   # more cases, judged by the grader
with task("Lesson 4, task 3") as check:
    scores, y = CE_EXAMPLE
    value = SoftmaxCrossEntropyLoss().forward(scores.copy(), y.copy())
    check.close("loss of the example", value, {{ loss_of(SoftmaxCrossEntropyLoss, CE_EXAMPLE) }}, bar=1e-10,
                inputs=loss_inputs(scores, y))
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")

# %% id="task3-softmaxcrossentropyloss-gradients" role="tests" points=1
run_graded_cases("Lesson 4, task 3: gradients", SoftmaxCrossEntropyLoss)   # more cases, judged by the grader
with task("Lesson 4, task 3: gradients") as check:
    scores, y = CE_EXAMPLE
    # Your backward against central differences of your own forward, at the example and at random scores:
    check_against_differences(check, SoftmaxCrossEntropyLoss(), scores, y, "dL/dscores of the example")
    random_scores = np.random.default_rng(0).normal(size=scores.shape)
    check_against_differences(check, SoftmaxCrossEntropyLoss(), random_scores, y)

# %% id="task3-softmaxcrossentropyloss-edge" role="tests" points=1
run_graded_cases("Lesson 4, task 3: edge cases", SoftmaxCrossEntropyLoss)   # more cases, judged by the grader
with task("Lesson 4, task 3") as check:
    scores, y = CE_HUGE
    # Any overflow, division by zero or invalid operation on the way is an error here:
    check_huge(check, SoftmaxCrossEntropyLoss(), scores, y, {{ loss_of(SoftmaxCrossEntropyLoss, CE_HUGE) }})

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
# - Identity + squared error, sigmoid + log loss, softmax + cross-entropy: you derived what each pair
#   does to the gradient (your passing gradient checks showed the formulas).
# - Compute losses from logits with $\max(s,0) + \log(1 + e^{-|s|})$ and the max shift, and average over the batch.
#
# Next, lesson 5 stacks layers into a multi-layer perceptron and runs backpropagation through all of them.
