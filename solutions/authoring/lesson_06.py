"""Write solutions/06_gradient_descent.ipynb: SGD, the training loop, learning rates, minibatches.

Run: ``.venv/bin/python solutions/authoring/lesson_06.py``. The graded task (SGD.step) is checked
on models whose gradients are set by hand, so no earlier lesson's code is involved; the demos
train with the student's whole library and print one line until it exists.
"""

from pathlib import Path

import numpy as np

from nbauthor import (code, hidden_region, markdown, nested_literal, points_table,
                      reference_library, run_snippet, tagged, tests, write, written_answer)

reference_library()  # backprop_lib below is the reference from solutions/
from backprop_lib.mlp import MLP  # noqa: E402  (the reference)
from backprop_lib.optim import SGD  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "06_gradient_descent.ipynb"
F32_BAR = 1e-6  # float32 updates against the float64 truth: max abs error / (1 + max |truth|)

# Seeded models whose gradients are set by hand: (in, hidden, out, dtype, lr, momentum, steps, seed).
HIDDEN_CASES = [(3, (4,), 2, "float64", 0.05, 0.0, 1, 6101), (1, (), 1, "float64", 0.5, 0.0, 3, 6102),
                (2, (3, 3), 1, "float32", 0.1, 0.0, 2, 6103), (3, (4,), 2, "float64", 0.05, 0.9, 3, 6104),
                (2, (5,), 3, "float32", 0.2, 0.5, 2, 6105), (2, (2,), 1, "float64", 0.3, 0.99, 4, 6106)]

CASE_SNIPPET = '''
def _sgd_case(fan_in, hidden, fan_out, dtype, seed):
    """An MLP (constructor only: no student code) with seeded gradients per step."""
    model = MLP(fan_in, hidden, fan_out, rng=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    grads = [{name: rng.normal(size=layer.params[key].shape).astype(dtype)
              for name, layer, key in model.named_parameters()} for _ in range(4)]
    return model, grads
'''


def sgd_expectations(momentum_cases):
    """{case index: [params after each step]} from the reference SGD, float64 truth."""
    namespace = run_snippet(CASE_SNIPPET, {"np": np, "MLP": MLP})
    expected = []
    for fan_in, hidden_sizes, fan_out, dtype, lr, momentum, steps, seed in HIDDEN_CASES:
        if (momentum > 0) != momentum_cases:
            continue
        model, grads = namespace["_sgd_case"](fan_in, hidden_sizes, fan_out, np.float64, seed)
        model32, grads32 = namespace["_sgd_case"](fan_in, hidden_sizes, fan_out, getattr(np, dtype), seed)
        optimizer, optimizer32 = SGD(model, lr, momentum), SGD(model32, lr, momentum)
        after = []
        for step in range(steps):
            for (name, layer, key), (_, layer32, _) in zip(model.named_parameters(), model32.named_parameters()):
                layer.grads[key] = grads32[step][name].astype(np.float64)
                layer32.grads[key] = grads32[step][name]
            optimizer.step()
            optimizer32.step()
            after.append({name: layer.params[key].copy() for name, layer, key in model.named_parameters()})
            for (name, layer, key), (_, layer32, _) in zip(model.named_parameters(), model32.named_parameters()):
                scale = 1 + np.max(np.abs(layer.params[key]))
                assert np.max(np.abs(layer32.params[key] - layer.params[key])) / scale < F32_BAR / 10
        expected.append(((fan_in, hidden_sizes, fan_out, dtype, lr, momentum, steps, seed), after))
    return expected


def sgd_hidden(momentum_cases):
    rows = ",\n    ".join(f"({case!r},\n     {nested_literal(after)})"
                          for case, after in sgd_expectations(momentum_cases))
    setup = f"from backprop_course.gradcheck import rel_error as _rel_error\n{CASE_SNIPPET.strip()}\n_cases = [\n    {rows}]"
    return hidden_region("Lesson 6, task 1", f"""
for (_in, _hidden, _out, _dtype, _lr, _mu, _steps, _seed), _after in _cases:
    _model, _grads = _sgd_case(_in, _hidden, _out, getattr(np, _dtype), _seed)
    _held = {{name: layer.params[key] for name, layer, key in _model.named_parameters()}}
    _opt = SGD(_model, lr=_lr, momentum=_mu)
    _bar = {F32_BAR} if _dtype == "float32" else 1e-10
    _in_place, _worst, _where = True, 0.0, ""
    for _step in range(_steps):
        for _name, _layer, _key in _model.named_parameters():
            _layer.grads[_key] = _grads[_step][_name].copy()
        _opt.step()
        for _name, _layer, _key in _model.named_parameters():
            _p, _want = _layer.params[_key], _after[_step][_name]
            _in_place &= (_p is _held[_name] and np.asarray(_p).dtype == np.dtype(_dtype)
                          and np.array_equal(_layer.grads[_key], _grads[_step][_name]))
            # float32: error relative to the array's scale (elementwise would punish rounding near 0)
            _err = (_rel_error(_p, _want) if _dtype == "float64" else
                    np.max(np.abs(np.asarray(_p, float) - _want)) / (1 + np.max(np.abs(_want))))
            if not _err <= _worst:
                _worst, _where = _err, f"step {{_step + 1}}, {{_name}}"
    _label = f"hidden: MLP({{_in}}, {{_hidden}}, {{_out}}) {{_dtype}}, lr={{_lr}}, momentum={{_mu}}, {{_steps}} steps"
    check.true(f"{{_label}}: in place", _in_place,
               "update each parameter array in place, keep its dtype, leave grads alone")
    check.true(f"{{_label}}: values", _worst <= _bar, f"{{_where}} is off by {{_worst:.1e}} (bar {{_bar:.0e}})")
""", setup)


INTRO = r"""
# Lesson 6: Gradient descent

Backpropagation gives $\nabla_\theta L$, the direction in which the loss grows fastest. Training
walks the other way, a small step at a time. This lesson builds the optimizer, runs the training
loop over full batches and minibatches, and shows what the learning rate does: too small and
nothing happens, too large and the loss explodes.

**Objectives.** After this lesson you can
- implement the SGD update, with and without momentum, in place;
- write the training loop: forward, loss, backward, step; over full batches and minibatches;
- pick a learning rate by looking at the loss curve, and recognise divergence;
- watch a decision boundary and a regression curve form during training.

The one library task is in `backprop_lib/optim.py`. The demos train with your whole library
(lessons 2-6); until it is complete they print one line saying which task they wait for.
"""

SGD_MD = r"""
## Task 1: the update

For every parameter $\theta$ (each layer's `W` and `b`) with gradient $g = \partial L / \partial \theta$
from the last backward pass, plain gradient descent with learning rate $\eta$ is
$$\theta \leftarrow \theta - \eta\, g .$$
**Momentum** $\mu \in [0, 1)$ keeps a velocity per parameter, a running sum of past steps, which
smooths the zig-zag of noisy gradients and speeds up travel along shallow valleys:
$$v \leftarrow \mu\, v - \eta\, g, \qquad \theta \leftarrow \theta + v .$$
With $\mu = 0$ this is plain SGD; a constant gradient makes the step grow towards $\eta g/(1-\mu)$.

**In place.** The model, the optimizer and (later) the training widget all hold references to the
same parameter arrays. `param -= lr * grad` changes that array; `param = param - lr * grad` only
rebinds a local name to a new array and the model never sees the update.

**Lesson 6, task 1.** Implement the body of the loop in `SGD.step` (`backprop_lib/optim.py`):
update `param` in place from `grad`, using `velocity[key]` (an array of zeros to start with)
when `self.momentum` is not 0. The checks set gradients by hand, so they need nothing from
earlier lessons. Bar: $10^{-12}$ in float64, $10^{-6}$ in float32.
"""

LOOP_MD = r"""
## The training loop

`backprop_lib.train` is given; it is short enough to read (`train_steps`). Each step is
```python
scores = model.forward(xb)                       # lesson 5
value = loss.forward(scores, yb)                 # lesson 4
model.backward(loss.backward(), input_grad=False)
optimizer.step()                                 # task 1
```
over batches `(xb, yb)`. **Full-batch** gradient descent uses all $N$ samples in every step: exact
gradients, one step per epoch. **Minibatch** SGD shuffles the data each epoch and steps once per
batch of $B$ samples: each gradient is a noisy estimate of the full one, but there are $N/B$
steps per epoch for the same work, and the noise does little harm (it even helps escape flat
regions). `fit(model, X, y, lr, epochs, batch_size)` runs the loop and returns a `History`
(`step_loss`, `epoch_loss`, and `diverged`: the step at which the loss stopped being finite, when
it did; training stops there).
"""


def build(out=OUT):
    """Write the notebook to ``out`` (default: its place in solutions/)."""
    demo_setup = '''
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import warnings

import numpy as np
import matplotlib.pyplot as plt

from backprop_lib import data
from backprop_course.cells import demo
from backprop_course.checks import task
from backprop_lib.mlp import MLP
from backprop_lib.optim import SGD
from backprop_lib.train import fit
'''
    cells = [
        markdown("l6-intro", INTRO),
        None,
        code("l6-setup", demo_setup),
        markdown("l6-sgd", SGD_MD),
        tests("l6-t1-sgd", f'''
with task("Lesson 6, task 1") as check:
    model = MLP(2, (3,), 1, rng=0)          # only the constructor: given code
    for name, layer, key in model.named_parameters():
        layer.grads[key] = np.full_like(layer.params[key], 2.0)
    W = model.layers[0].params["W"]
    W_before = W.copy()
    SGD(model, lr=0.1).step()
    check.close("W after one step", model.layers[0].params["W"], W_before - 0.2, bar=1e-12)
    check.true("W updated in place", model.layers[0].params["W"] is W and not np.array_equal(W, W_before),
               "the array the model holds did not change: update it in place (param -= ...)")
    check.close("b after one step", model.layers[2].params["b"], np.array([-0.2]), bar=1e-12)
    check.close("gradient left alone", model.layers[0].grads["W"], np.full((2, 3), 2.0), bar=0)
{sgd_hidden(False)}
''', points=3),
        tests("l6-t1-momentum", f'''
with task("Lesson 6, task 1") as check:
    model = MLP(1, (), 1, rng=0)           # a single Linear(1, 1)
    layer = model.layers[0]
    layer.params["W"][...] = 1.0
    optimizer = SGD(model, lr=0.1, momentum=0.9)
    for step in range(2):
        layer.grads["W"] = np.array([[1.0]])
        layer.grads["b"] = np.array([0.0])
        optimizer.step()
    # v1 = -0.1, W1 = 0.9; v2 = 0.9 * v1 - 0.1 = -0.19, W2 = 0.71
    check.close("W after two momentum steps", layer.params["W"], np.array([[0.71]]), bar=1e-12)
    check.close("velocity of W", optimizer.velocity[0]["W"], np.array([[-0.19]]), bar=1e-12)
{sgd_hidden(True)}
''', points=2),
        markdown("l6-loop", LOOP_MD),
        markdown("l6-lr-md", r"""
### Learning rate: too small, right, too large

The same network, `MLP(1, (32, 32), 1, activation="tanh")`, on the regression problem
$y = \sin(3x) + \text{noise}$, 400 full-batch epochs at three learning rates. Gradient descent
on a quadratic bowl of curvature $\lambda$ converges only when $\eta < 2/\lambda$; beyond that
every step overshoots the minimum by more than it started, and the loss grows geometrically
until it overflows. `fit` notices the first non-finite loss, stops, warns, and records the step
in `History.diverged`.
"""),
        tagged(code("l6-lr", '''
X_reg, y_reg = data.regression_1d(100, rng=0)
with demo("learning rates"):
    runs = {}
    for lr in [0.003, 0.1, 0.6]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # reported below instead
            runs[lr] = fit(MLP(1, (32, 32), 1, activation="tanh", rng=0), X_reg, y_reg, lr=lr, epochs=400)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for lr, history in runs.items():
        # Losses on the way to inf are clipped at the top of the plot (1e4).
        finite = np.minimum([value for value in history.step_loss if np.isfinite(value)], 1e4)
        label = f"lr={lr}" + (f": diverged at step {history.diverged}" if history.diverged else
                              f": final loss {finite[-1]:.3f}")
        line, = ax.semilogy(range(1, len(finite) + 1), finite, label=label)
        if history.diverged:
            ax.plot(len(finite), finite[-1], "x", color=line.get_color(), markersize=10)
        print(label)
    ax.set(xlabel="step (= epoch, full batch)", ylabel="training loss (MSE)", ylim=(1e-3, 1e4))
    ax.legend()
    plt.show()
'''), "raises-exception"),
        written_answer("l6-written-lr", r"""
**Written answer (graded by hand).** Describe the three curves. Why does the largest learning
rate make the loss *grow* rather than merely converge slowly, and how would you choose a
learning rate for a new problem?

### BEGIN SOLUTION
lr = 0.003 decreases the loss steadily but so slowly that it is still far from the minimum after
400 steps; lr = 0.1 reaches the noise level (MSE about 0.01-0.02); lr = 0.6 goes up and overflows
(diverged). Near a minimum the loss is roughly quadratic; a step of size $\eta$ along a direction
of curvature $\lambda$ multiplies the distance to the minimum by $|1 - \eta\lambda|$, which is larger
than 1 when $\eta > 2/\lambda$: each step overshoots by more than the last, so the error grows
geometrically. Choose by trying a range on a log scale (e.g. 0.001, 0.01, 0.1, 1), keeping the largest
rate whose loss curve falls smoothly, and lowering it (or using a schedule) if the loss oscillates.
### END SOLUTION
""", points=2),
        markdown("l6-batch-md", r"""
### Full batch against minibatches

The red/blue moons, `MLP(2, (16, 16), 1, activation="relu", output_activation="sigmoid")`,
100 epochs at the same learning rate, once full-batch and once with batches of 20: the same
amount of computation per epoch, ten times as many steps for the minibatches. Thin lines are
the loss of each step, thick lines each epoch's mean.
"""),
        tagged(code("l6-batch", '''
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
'''), "raises-exception"),
        written_answer("l6-written-batch", r"""
**Written answer (graded by hand).** In two sentences: why do the minibatch step losses jump
around, and why does minibatch SGD still reach a low loss in fewer epochs?

### BEGIN SOLUTION
Each minibatch loss and gradient is computed on a different random 20-sample subset, so they
are noisy estimates of the full-batch values (the noise shrinks like $1/\sqrt{B}$). Their average
still points downhill, and with ten updates per epoch instead of one the parameters move much
further for the same computation, so the loss per epoch falls faster.
### END SOLUTION
""", points=1),
        markdown("l6-boundary-md", r"""
### The decision boundary forms

The same moons with minibatches of 20: the background shows the predicted probability of red
($\sigma(\text{score})$), the black line the decision boundary $\sigma = 0.5$, after 0, 2, 10, 40 and 150
epochs. Early on the boundary is nearly straight (the network is close to linear at small
weights); then it bends around each moon.
"""),
        tagged(code("l6-boundary", '''
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
'''), "raises-exception"),
        markdown("widget-training", r"""
### Live training (widget)

Press **Play** to watch the same moons problem train live: the red/blue boundary and the loss curve
update after every few minibatch steps. Change the data set, hidden sizes, activation, learning
rate or batch size and play again; try lr = 3 to watch training diverge. The widget trains with
*your* `SGD.step`: until task 1 is done it says so instead.
"""),
        code("widget", '''
from backprop_course.viz import TrainingAnimator

TrainingAnimator(preset="dataset=moons&hidden=16,16&activation=relu&lr=0.5&batch=20&speed=5")
'''),
        markdown("l6-regression-md", r"""
### A regression problem

`MLP(1, (32, 32), 1, activation="tanh")` with the identity output and squared error, fitted to
$y = \sin(3x) + \text{noise}$ at lr = 0.1 in minibatches of 20. Each curve is the network's function
after the given number of epochs.
"""),
        tagged(code("l6-regression", '''
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
'''), "raises-exception"),
        markdown("l6-summary", r"""
## Summary

- SGD: $\theta \leftarrow \theta - \eta g$ in place; momentum adds a velocity $v \leftarrow \mu v - \eta g$.
- One training step is forward, loss, backward, update; an epoch is one pass over the data, in one full batch or many shuffled minibatches.
- The learning rate decides everything: too small crawls, too large overshoots and diverges (the loss grows geometrically); try values on a log scale.
- Minibatches give noisy but cheap gradients and many more steps per epoch.

You have now built and trained a multi-layer perceptron from single numbers up.
"""),
    ]
    cells[1] = points_table("l6-points", cells[2:], [
        ("Task 1: `SGD.step` (plain and momentum)", "l6-t1"),
        ("Written answers (graded by hand)", "l6-written")],
        intro="**Points.** Each check cell is graded on its own. The checks set gradients by hand, so "
              "they test `SGD.step` alone.")
    write(out, cells)


if __name__ == "__main__":
    import sys

    build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
