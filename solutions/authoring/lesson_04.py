"""Write solutions/04_losses.ipynb: squared error, log loss on logits, softmax cross-entropy.

Run from anywhere: ``.venv/bin/python solutions/authoring/lesson_04.py``. Expected values in the
hidden tests are computed here with the reference library on the very inputs the tests make
(their seeded snippets are executed here and pasted there), so the notebook never imports it.
"""

from pathlib import Path

import numpy as np

from nbauthor import (code, hidden_first, hidden_region, literal, markdown, points_table,
                      reference_library, run_snippet, short_literal, tagged, tests, write,
                      written_answer)

reference_library()  # backprop_lib below is the reference from solutions/
from backprop_lib import losses  # noqa: E402  (the reference, after reference_library())
from backprop_course.gradcheck import rel_error  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "04_losses.ipynb"
F32_BAR = 1e-4   # float32 results against float64 truth
F64_BAR = 1e-9   # float64 results computed by another correct formula differ by ~1e-15
GRAD_BAR = 1e-5  # backward against central differences (h = 1e-6), the library's gradcheck.BAR

ISOLATE = '''
# Grading isolation: a loss may call sigmoid from lesson 3; use a correct one here so a lesson-3
# bug is not charged again in lesson 4.
import backprop_lib.layers as _layers
import backprop_lib.losses as _losses
def _sigmoid(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5
_layers.sigmoid = _losses.sigmoid = _layers.ACTIVATIONS["sigmoid"] = _sigmoid
'''


def cases_snippet(seed, specs, labels):
    """Source making seeded (scores, targets) pairs; specs [(scores shape, targets shape, dtype)]."""
    rows = ", ".join(f"({s!r}, {t!r}, np.{d})" for s, t, d in specs)
    target = ("_rng.integers(0, 2, size=_t).astype(_d)" if labels == "binary" else
              "_rng.integers(0, _s[1], size=_t)" if labels == "classes" else
              "_rng.normal(size=_t).astype(_d)")
    return (f"_rng = np.random.default_rng({seed})\n"
            f"_cases = [(_rng.normal(0, 2, size=_s).astype(_d), {target})\n"
            f"          for _s, _t, _d in [{rows}]]")


def expected_for(cls, cases):
    """(values, grads) of the reference on float64 copies; asserts float32 reference passes the bar."""
    values, grads = [], []
    for scores, y in cases:
        loss = cls()
        values.append(loss.forward(scores.astype(np.float64), y))
        grads.append(loss.backward())
        if scores.dtype == np.float32:
            loss32 = cls()
            assert rel_error(loss32.forward(scores, y), values[-1]) < F32_BAR / 10
            assert rel_error(loss32.backward(), grads[-1]) < F32_BAR / 10
    return values, grads


def literal_list(values):
    return "[" + ",\n     ".join(literal(v) for v in values) + "]"


def loss_cells(task_no, name, example, cases_src, huge, seed_note=""):
    """Three graded cells for one loss: values (2), gradients (2), huge inputs and hygiene (1)."""
    cls = getattr(losses, name)
    cases = run_snippet(cases_src, {"np": np})["_cases"]
    values, grads = expected_for(cls, cases)
    scores_src, y_src = example
    ns = run_snippet(f"scores = {scores_src}\ny = {y_src}", {"np": np})
    ex_loss = cls()
    ex_value = ex_loss.forward(ns["scores"], ns["y"])
    ex_grad = ex_loss.backward()
    huge_scores, huge_y = huge
    hs = run_snippet(f"scores = {huge_scores}\ny = {huge_y}", {"np": np})
    big = cls()
    big_value = big.forward(hs["scores"], hs["y"])
    big_grad = big.backward()
    label = f"Lesson 4, task {task_no}"
    # BCEWithLogitsLoss may call lesson 3's sigmoid: its cells swap in a correct one first.
    setup = ISOLATE if task_no == 2 else ""
    prefix = f"l4-t{task_no}-{name.lower()}"
    values_cell = tests(f"{prefix}-values", f'''
with task("{label}") as check:
    loss = {name}()
    scores = {scores_src}
    y = {y_src}
    value = loss.forward(scores, y)
    check.close("loss of the example", value, {short_literal(ex_value)}, bar=1e-10)
    check.true("returns one number", np.ndim(value) == 0, "return the mean loss as a float")
{hidden_region(label, f"""
{cases_src}
_want = {literal_list(values)}
for (_s, _y), _v in zip(_cases, _want):
    _bar = {F32_BAR} if _s.dtype == np.float32 else {F64_BAR}
    check.close(f"hidden: loss, scores {{_s.shape}} {{_s.dtype}}", {name}().forward(_s, _y), _v, bar=_bar)
""", setup)}
''', points=2)
    grads_cell = tests(f"{prefix}-gradients", f'''
with task("{label}") as check:
    loss = {name}()
    scores = {scores_src}
    y = {y_src}
    loss.forward(scores, y)
    check.close("dL/dscores of the example", loss.backward(), {short_literal(ex_grad)}, bar=1e-10)
    # Your backward against central differences of your own forward, at random scores:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=scores.shape)
    loss.forward(scores, y)
    grad = loss.backward()
    numeric = numerical_gradient(lambda s: loss.forward(s, y), scores)
    check.close("backward vs differences", grad, numeric, bar={GRAD_BAR})
{hidden_region(label, f"""
{cases_src}
_want = {literal_list(grads)}
for (_s, _y), _g in zip(_cases, _want):
    _bar = {F32_BAR} if _s.dtype == np.float32 else {F64_BAR}
    _loss = {name}()
    _loss.forward(_s, _y)
    check.close(f"hidden: dL/dscores, {{_s.shape}} {{_s.dtype}}", _loss.backward(), _g, bar=_bar)
    if _s.dtype == np.float64:
        _num = numerical_gradient(lambda _z: _loss.forward(_z, _y), _s.copy())
        _loss.forward(_s, _y)
        check.close(f"hidden: vs differences, {{_s.shape}}", _loss.backward(), _num, bar={GRAD_BAR})
""", setup)}
''', points=2)
    edge_cell = tests(f"{prefix}-edge", f'''
with task("{label}") as check:
    scores = {huge_scores}
    y = {huge_y}
    loss = {name}()
    # Under run_strict any overflow, division by zero or invalid operation is an error.
    result = run_strict(check, "no overflow at huge scores", lambda: (loss.forward(scores, y), loss.backward()))
    if result is not None:
        check.close("loss at huge scores", result[0], {short_literal(big_value)}, bar=1e-10)
        check.close("gradient at huge scores", result[1], {short_literal(big_grad)}, bar=1e-10)
{hidden_region(label, f"""
{cases_src}
for _s, _y in _cases:
    _s0, _y0 = _s.copy(), _y.copy()
    _loss = {name}()
    _loss.forward(_s, _y)
    _g1 = np.array(_loss.backward(), copy=True)
    _g2 = _loss.backward()
    check.true(f"hidden: inputs unchanged, {{_s.shape}}", np.array_equal(_s, _s0) and np.array_equal(_y, _y0),
               "forward must not modify scores or y")
    check.true(f"hidden: backward repeatable, {{_s.shape}}", np.array_equal(_g1, _g2),
               "a second backward() gave another result: do not modify the cache in place")
    check.true(f"hidden: gradient dtype, {{_s.shape}} {{_s.dtype}}", np.asarray(_g1).dtype == _s.dtype,
               "return dL/dscores in the dtype of scores")
_l32 = {name}()
_r32 = run_strict(check, "hidden: no overflow at huge float32 scores",
                  lambda: (_l32.forward(({huge_scores}).astype(np.float32), {huge_y}), _l32.backward()))
if _r32 is not None:
    check.close("hidden: huge float32 loss", _r32[0], {literal(big_value)}, bar={F32_BAR})
    check.close("hidden: huge float32 gradient", _r32[1], {literal(big_grad)}, bar={F32_BAR})
""", setup)}
''', points=1)
    cells = [values_cell, grads_cell, edge_cell]
    if setup:
        for cell in cells:
            cell.source = hidden_first(cell.source)
    return cells


def log_softmax_cells():
    cases_src = cases_snippet(4301, [((1, 2), (1,), "float64"), ((4, 3), (4,), "float64"),
                                     ((3, 7), (3,), "float64"), ((5, 4), (5,), "float32")], "classes")
    cases = run_snippet(cases_src, {"np": np})["_cases"]
    want = [losses.log_softmax(s.astype(np.float64)) for s, _ in cases]
    for (s, _), w in zip(cases, want):
        assert rel_error(losses.log_softmax(s), w) < F32_BAR / 10
    example = "np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])"
    ex = losses.log_softmax(run_snippet(f"s = {example}", {"np": np})["s"])
    huge = "np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]])"
    huge_want = losses.log_softmax(run_snippet(f"s = {huge}", {"np": np})["s"])
    label, setup = "Lesson 4, task 3", ""
    values = tests("l4-t3-log-softmax-values", f'''
with task("Lesson 4, task 3") as check:
    scores = {example}
    check.close("log_softmax of the example", log_softmax(scores), {short_literal(ex)}, bar=1e-10)
    check.close("exp(log_softmax) rows sum to 1", np.exp(log_softmax(scores)).sum(axis=1), np.ones(2), bar=1e-12)
{hidden_region(label, f"""
{cases_src}
_want = {literal_list(want)}
for (_s, _), _w in zip(_cases, _want):
    _bar = {F32_BAR} if _s.dtype == np.float32 else {F64_BAR}
    _s0 = _s.copy()
    check.close(f"hidden: log_softmax, {{_s.shape}} {{_s.dtype}}", log_softmax(_s), _w, bar=_bar)
    check.true(f"hidden: scores unchanged, {{_s.shape}}", np.array_equal(_s, _s0), "do not modify scores")
""", setup)}
''', points=1)
    stable = tests("l4-t3-log-softmax-huge", f'''
with task("Lesson 4, task 3") as check:
    scores = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    out = run_strict(check, "no overflow at scores of 1000", lambda: log_softmax(scores))
    if out is not None:
        check.close("log_softmax at scores of 1000", out, np.array([[0.0, -1000.0], [-1000.0, 0.0]]), bar=1e-12)
{hidden_region(label, f"""
_s = {huge}
_out = run_strict(check, "hidden: no overflow at 1e4", lambda: log_softmax(_s))
_out32 = run_strict(check, "hidden: no overflow at 1e4, float32", lambda: log_softmax(_s.astype(np.float32)))
if _out is not None and _out32 is not None:
    check.close("hidden: log_softmax at 1e4", _out, {literal(huge_want)}, bar=1e-10)
    check.close("hidden: log_softmax at 1e4, float32", _out32, {literal(huge_want)}, bar={F32_BAR})
    check.close("hidden: shift invariance", log_softmax(np.array([[5e3, 5e3 + 1.0]])),
                log_softmax(np.array([[0.0, 1.0]])), bar=1e-9)
""", setup)}
''', points=1)
    return [values, stable]


INTRO = r"""
# Lesson 4: Losses

A network's last layer produces raw **scores** $s$ (also called logits). The **loss** turns scores
and targets into one number that training makes small, and its backward pass produces
$\partial L / \partial s$, the gradient every other backward pass starts from.

**Objectives.** After this lesson you can
- write mean squared error, binary log loss and softmax cross-entropy and their gradients;
- explain why each output activation comes paired with one loss;
- compute these losses from logits so that no `exp` overflows and no `log` sees 0, for scores of any size.

You implement three tasks in `backprop_lib/losses.py`; the cells after each task check it and print
each relative error next to the bar it must meet. Run the notebook top to bottom; a task you have
not done yet shows up as one line, `not implemented yet: Lesson 4, task ...`.
"""

PAIRS = r"""
## Output activation and loss come in pairs

| problem | output activation (in `predict_proba`) | loss, computed from the scores | $\partial L/\partial s$ per sample |
|---|---|---|---|
| regression | identity: $\hat y = s$ | `MSELoss` | $\frac{2}{K}(s - y)$ |
| two classes | sigmoid: $p = \sigma(s)$ | `BCEWithLogitsLoss` | $\sigma(s) - y$ |
| $C$ classes | softmax: $p = \mathrm{softmax}(s)$ | `SoftmaxCrossEntropyLoss` | $\mathrm{softmax}(s) - \mathrm{onehot}(y)$ |

Each loss is the negative log-likelihood of its output's noise model (Gaussian, Bernoulli,
categorical), and in each pair the gradient comes out as *prediction minus target*: the output
activation's derivative cancels against the loss's. The model's `forward` returns the raw scores;
the loss applies the activation inside, which is what lets it be both simple and numerically safe.
All three losses **average** over the batch (divide by $N$), so the size of a gradient step does
not depend on the batch size.
"""

MSE = r"""
## Task 1: mean squared error

For scores $S$ and targets $Y$ of shape $(N, K)$,
$$L = \frac{1}{NK}\sum_{n,k}(s_{nk} - y_{nk})^2, \qquad
\frac{\partial L}{\partial s_{nk}} = \frac{2}{NK}(s_{nk} - y_{nk}).$$

**Lesson 4, task 1.** In `backprop_lib/losses.py` implement `MSELoss.forward` (return the mean as
a float and cache $S - Y$) and `MSELoss.backward` (return $\partial L/\partial S$, shaped and typed
like the scores). The targets arrive already reshaped to the scores' shape by `match_targets`.

The checks below use a 3-sample example you can verify by hand: differences $1, 0, -2$ give
$L = 5/3$. Bars: $10^{-10}$ against exact values, $10^{-5}$ against central differences.
"""

BCE = r"""
## Task 2: binary log loss on logits

With $p = \sigma(s) = 1/(1 + e^{-s})$ the probability of class 1, the log loss of a label $y \in \{0, 1\}$ is
$$\ell = -y \log p - (1 - y)\log(1 - p) = \log(1 + e^{s}) - y\,s,$$
because $\log p = s - \log(1+e^s)$ and $\log(1-p) = -\log(1+e^s)$. Its derivative is simply
$\partial \ell / \partial s = \sigma(s) - y$, and $L$ is the mean over the $N$ samples.

**Why the naive formulas fail.** `np.exp(s)` overflows to `inf` for $s > 709$, so
$\log(1 + e^{s})$ becomes `inf` although it is about $s$; going through $p$ is worse: $\sigma(s)$
rounds to exactly 1 for $s > 37$, and $\log(1 - p) = \log 0 = -\infty$. The fix is an identity:
$$\log(1 + e^{s}) = \max(s, 0) + \log\left(1 + e^{-|s|}\right),$$
where the exponent is never positive, so nothing overflows (`np.log1p` keeps the small term accurate).
"""

BCE_TASK = r"""
**Lesson 4, task 2.** Implement `BCEWithLogitsLoss.forward` and `.backward` with the stable formula.
Scores have shape $(N,)$ or $(N, 1)$; labels arrive reshaped like the scores. The third check
runs your loss under `np.errstate(over="raise", ...)` at scores of $\pm 10^4$, where any overflow
is an error.
"""

SOFTMAX = r"""
## Task 3: softmax cross-entropy

For $C$ classes the scores of one sample $s \in \mathbb{R}^C$ become probabilities
$$\mathrm{softmax}(s)_c = \frac{e^{s_c}}{\sum_j e^{s_j}}, \qquad
\log \mathrm{softmax}(s)_c = s_c - \log\sum_j e^{s_j},$$
and the loss of the true class $y$ is $\ell = -\log \mathrm{softmax}(s)_y$, averaged over the batch.
Its gradient is $\partial \ell / \partial s = \mathrm{softmax}(s) - \mathrm{onehot}(y)$: push the
true class's score up, every other one down, each in proportion to its probability.

**The max shift.** Softmax does not change when the same number is added to every score, so
subtract the row maximum $m = \max_j s_j$ first:
$$\log \mathrm{softmax}(s)_c = (s_c - m) - \log \sum_j e^{s_j - m}.$$
Now every exponent is $\le 0$ (no overflow) and the sum is $\ge 1$ (its log is finite).

**Lesson 4, task 3.** Implement `log_softmax(scores)` (row-wise, stable) and
`SoftmaxCrossEntropyLoss.forward` / `.backward` in `backprop_lib/losses.py`; labels are integers
of shape $(N,)$. The given `softmax` is `np.exp(log_softmax(...))`.
"""


def build(out=OUT):
    """Write the notebook to ``out`` (default: its place in solutions/)."""
    cells = [
        markdown("l4-intro", INTRO),
        None,  # the points table, filled in below from the graded cells
        code("l4-setup", '''
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np
import matplotlib.pyplot as plt

from backprop_course.cells import demo, run_strict
from backprop_course.checks import task
from backprop_course.gradcheck import numerical_gradient
from backprop_lib.layers import sigmoid
from backprop_lib.losses import (BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropyLoss,
                                 log_softmax, softmax)
'''),
        markdown("l4-pairs", PAIRS),
        markdown("l4-mse", MSE),
        *loss_cells(1, "MSELoss", ("np.array([[1.0], [2.0], [3.0]])", "np.array([0.0, 2.0, 5.0])"),
                    cases_snippet(4101, [((1, 1), (1,), "float64"), ((5, 1), (5,), "float64"),
                                         ((4, 3), (4, 3), "float64"), ((7,), (7,), "float64"),
                                         ((6, 2), (6, 2), "float32")], "real"),
                    ("np.array([[1e4], [-1e4]])", "np.array([0.0, 0.0])")),
        markdown("l4-bce", BCE),
        tagged(code("l4-naive-demo", '''
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
'''), "raises-exception"),
        markdown("l4-bce-task", BCE_TASK),
        *loss_cells(2, "BCEWithLogitsLoss", ("np.array([0.0, 2.0, -1.0])", "np.array([1, 0, 0])"),
                    cases_snippet(4201, [((1,), (1,), "float64"), ((6,), (6,), "float64"),
                                         ((5, 1), (5,), "float64"), ((8, 1), (8,), "float32")], "binary"),
                    ("np.array([1e4, -1e4, 1e4, -1e4, 0.0])", "np.array([1, 1, 0, 0, 1])")),
        markdown("l4-pair-plot-md", r"""
### Why the pair matters: a picture

Below, for a sample of class $y = 1$, the loss and its gradient as functions of the score: log
loss on logits against squared error applied to the sigmoid's output $(\sigma(s) - 1)^2$. Look at
the confidently wrong side, $s \ll 0$.
"""),
        tagged(code("l4-pair-plot", '''
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
'''), "raises-exception"),
        written_answer("l4-written-pair", r"""
**Written answer (graded by hand).** A classmate trains a binary classifier with squared error
on $\sigma(s)$ instead of `BCEWithLogitsLoss`. Using the plot, explain in two or three sentences
what happens to a sample that the network gets confidently wrong ($s \ll 0$ for $y = 1$), and why
the log loss does not have this problem.

### BEGIN SOLUTION
The gradient of $(\sigma(s) - 1)^2$ is $2(\sigma(s) - 1)\,\sigma(s)(1 - \sigma(s))$, and the
factor $\sigma(s)(1-\sigma(s))$ vanishes when the sigmoid saturates: the more confidently wrong
the sample, the smaller its gradient, so learning stalls exactly where it is needed (the loss
is also bounded by 1). With the log loss the sigmoid's derivative cancels and the gradient is
$\sigma(s) - 1 \to -1$: a wrong confident sample keeps a full-size gradient, and the loss grows
linearly in $|s|$.
### END SOLUTION
""", points=2),
        markdown("l4-softmax", SOFTMAX),
        *log_softmax_cells(),
        *loss_cells(3, "SoftmaxCrossEntropyLoss",
                    ("np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])", "np.array([2, 0])"),
                    cases_snippet(4311, [((1, 2), (1,), "float64"), ((5, 3), (5,), "float64"),
                                         ((4, 10), (4,), "float64"), ((6, 4), (6,), "float32")], "classes"),
                    ("np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]])",
                     "np.array([0, 0, 2])")),
        markdown("l4-temperature-md", r"""
### Softmax at growing scale

Multiplying the scores by a factor makes softmax more confident without changing which class
wins. Your `softmax` (through your `log_softmax`) handles any scale; the naive formula returns
`nan` once $e^{s}$ overflows.
"""),
        tagged(code("l4-temperature", '''
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
'''), "raises-exception"),
        written_answer("l4-written-logits", r"""
**Written answer (graded by hand).** Every loss in `backprop_lib` takes raw scores (logits) rather
than probabilities. Give one numerical and one practical reason for that design.

### BEGIN SOLUTION
Numerical: from logits the loss can be written with the max shift / $\max(s,0) + \log(1+e^{-|s|})$
so that nothing overflows and no log sees 0; a probability has already rounded to exactly 0 or 1
for large scores, and the information needed to compute the loss is lost. Practical: the
gradient with respect to the scores is the simple *prediction minus target*, so the output
activation needs no separate backward pass, and the model can return the same scores for
training and use the activation only in `predict_proba`.
### END SOLUTION
""", points=1),
        markdown("l4-summary", r"""
## Summary

- A loss maps scores and targets to one number; its backward pass starts backpropagation with $\partial L/\partial s$.
- Identity + squared error, sigmoid + log loss, softmax + cross-entropy: each pair's gradient is prediction minus target.
- Compute losses from logits with $\max(s,0) + \log(1 + e^{-|s|})$ and the max shift, and average over the batch.

Next, lesson 5 stacks layers into a multi-layer perceptron and runs backpropagation through all of them.
"""),
    ]
    cells[1] = points_table("l4-points", cells[2:], [
        ("Task 1: `MSELoss`", "l4-t1"), ("Task 2: `BCEWithLogitsLoss`", "l4-t2"),
        ("Task 3: `log_softmax`, `SoftmaxCrossEntropyLoss`", "l4-t3"),
        ("Written answers (graded by hand)", "l4-written")],
        intro="**Points.** Each check cell after a task is graded on its own, so partial work earns partial credit.")
    write(out, cells)


if __name__ == "__main__":
    import sys

    build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
