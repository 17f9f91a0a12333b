"""Write solutions/05_mlp.ipynb: the MLP's forward and backward passes through a stack of layers.

Run: ``.venv/bin/python solutions/authoring/lesson_05.py``. Isolation: every graded check swaps
the model's layers for stand-ins (visible: ``backprop_course.network.Probe``; hidden: correct layers written
inline below), so a bug from lessons 2-4 is never charged again here. Expected values come from
the reference MLP run on the very same stand-ins.
"""

from pathlib import Path

import numpy as np

from nbauthor import (code, hidden_region, indent, literal, markdown, nested_literal, points_table,
                      reference_library, run_snippet, short_literal, solution, tagged, tests,
                      write, written_answer)

reference_library()  # backprop_lib below is the reference from solutions/
from backprop_course import network  # noqa: E402
from backprop_lib import data, train  # noqa: E402  (the reference)
from backprop_lib.losses import MSELoss  # noqa: E402
from backprop_lib.mlp import MLP  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "05_mlp.ipynb"
F32_BAR = 1e-4

# Correct layers for grading MLP alone; pasted into the first graded cell's hidden region.
GRADING_LAYERS = '''
from backprop_course.checks import diagnose
from backprop_course.network import network_stages
class _Lin:
    """A correct affine layer, so MLP is graded apart from lesson 2's Linear."""
    def __init__(self, W, b):
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self.cache = None
    def __call__(self, x):
        return self.forward(x)
    def forward(self, x):
        self.cache = x
        return x @ self.params["W"] + self.params["b"]
    def param_backward(self, g):
        self.grads["W"] = self.cache.T @ g
        self.grads["b"] = g.sum(axis=0)
    def backward(self, g):
        self.param_backward(g)
        return g @ self.params["W"].T
class _Tanh:
    """A correct tanh layer, so MLP is graded apart from lesson 3."""
    name = "tanh"
    def __init__(self):
        self.params, self.grads, self.cache = {}, {}, None
    def __call__(self, x):
        return self.forward(x)
    def forward(self, x):
        self.cache = np.tanh(x)
        return self.cache
    def backward(self, g):
        return g * (1 - self.cache ** 2)
def _grading_mlp(sizes, seed, dtype=np.float64):
    """The student's MLP class with its layers swapped for _Lin/_Tanh, seeded weights."""
    model = MLP(sizes[0], tuple(sizes[1:-1]), sizes[-1], activation="tanh", dtype=dtype)
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [_Lin(rng.normal(0, 0.7, (fan_in, fan_out)).astype(dtype),
                        rng.normal(0, 0.3, fan_out).astype(dtype)), _Tanh()]
    model.layers = layers[:-1]
    return model
'''

# (sizes, batch, dtype, seed): batch 1, a deep narrow net, a wide one, float32.
HIDDEN_NETS = [((3, 4, 5, 2), 4, "float64", 5101), ((2, 3, 1), 1, "float64", 5102),
               ((4, 3, 3, 3, 3), 3, "float64", 5103), ((2, 6, 3), 5, "float32", 5104)]

# The visible checks' stand-in network: MLP(3, (3, 3), 3) with Probe/ProbeSine layers.
PROBE_SETUP = '''
model = MLP(3, (3, 3), 3)
model.layers = probe_layers(features=3, depth=3, rng=1)
x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
dscores = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])   # dL/dscores of ProbeLoss
'''


def reference_run(model, x, grad, input_grad=True):
    """(scores, dx, recording dict) of the reference MLP on ``model``'s layers."""
    with network.record_layers(model) as record:
        scores = model.forward(x)
        dx = model.backward(grad, input_grad=input_grad)
    return scores, dx, network.recording_dict(record)


def hidden_expectations():
    """Per hidden net: (sizes, x, dL/dscores, dtype, seed, the reference's recording in float64)."""
    namespace = run_snippet(GRADING_LAYERS, {"np": np, "MLP": MLP})
    nets = []
    for sizes, batch, dtype, seed in HIDDEN_NETS:
        model = namespace["_grading_mlp"](sizes, seed, getattr(np, dtype))
        rng = np.random.default_rng(seed + 50)
        x = rng.normal(size=(batch, sizes[0])).astype(dtype)
        grad = rng.normal(size=(batch, sizes[-1])).astype(dtype)
        # Truth in float64 on the very same (possibly float32-rounded) numbers.
        model64 = namespace["_grading_mlp"](sizes, seed, np.float64)
        for layer64, layer in zip(model64.layers, model.layers):
            for key, value in layer.params.items():
                layer64.params[key][...] = value
        _, _, expected = reference_run(model64, x.astype(np.float64), grad.astype(np.float64))
        nets.append((sizes, x, grad, dtype, seed, expected))
    return nets


def nets_source():
    """Hidden source defining _nets: per net its sizes, seed, dtype, x, dL/dscores, expectations."""
    rows = ",\n    ".join(
        f"({sizes!r}, {seed}, np.{dtype}, {literal(x)},\n     {literal(grad)},\n     {nested_literal(exp)})"
        for sizes, x, grad, dtype, seed, exp in hidden_expectations())
    return f"_nets = [\n    {rows}]"


def net_loop(body):
    """Hidden source running ``body`` once per hidden net (defined by ``nets_source``); a crash in
    one net becomes one failed row naming the net, not a traceback."""
    return f"""
for _sizes, _seed, _dtype, _x, _g, _exp in _nets:
    _bar = {F32_BAR} if _dtype == np.float32 else 1e-9
    _model = _grading_mlp(_sizes, _seed, _dtype)
    _label = f"hidden: MLP{{_sizes}} batch {{len(_x)}} {{_dtype.__name__}}"
    try:
{indent(body, 8)}
    except NotImplementedError:
        raise
    except Exception as _err:
        check.true(_label, False, f"raised {{type(_err).__name__}}: {{_err}}")
"""


def hidden_counts():
    """[(sizes, parameter count)] from the reference MLP, for the task-3 hidden test."""
    return [(sizes, MLP(sizes[0], sizes[1:-1], sizes[-1]).num_parameters())
            for sizes in [(1, 1), (5, 7, 3), (10, 100, 100, 100, 2)]]


def expected_cell(cell_id, name, record, comment):
    """A locked cell defining ``name`` = a recording dict, one key per line, 12 digits."""
    body = "\n".join(f"    {key!r}: {nested_literal(value, exact=False)}," for key, value in record.items())
    return code(cell_id, f"# {comment}\n{name} = {{\n{body}\n}}")


def probe_expectations():
    namespace = run_snippet(PROBE_SETUP, {"np": np, "MLP": MLP, "probe_layers": network.probe_layers})
    return reference_run(namespace["model"], namespace["x"], namespace["dscores"])[2]


def build(out=OUT):
    """Write the notebook to ``out`` (default: its place in solutions/)."""
    probe_record = probe_expectations()
    grading = GRADING_LAYERS + nets_source()  # every hidden region of tasks 1-2 starts with it

    xor_X, xor_y = data.xor(200, rng=0)
    xor_model = MLP(2, (4,), 1, activation="tanh", output_activation="sigmoid", rng=0)
    train.fit(xor_model, xor_X, xor_y, lr=1.0, epochs=1500)
    assert (xor_model.predict(xor_X) == xor_y).mean() >= 0.95
    xor_weights = {name: layer.params[key] for name, layer, key in xor_model.named_parameters()}

    whole = run_snippet("""
net = MLP(2, (3, 3), 1, activation="tanh", rng=3)
x = np.array([[0.5, -1.0], [1.0, 2.0], [-1.5, 0.5], [0.0, 0.3]])
y = np.array([[1.0], [-1.0], [0.5], [0.0]])
""", {"np": np, "MLP": MLP})
    with network.record_layers(whole["net"]) as record:
        loss = MSELoss()
        loss.forward(whole["net"].forward(whole["x"]), whole["y"])
        whole_dscores = loss.backward()
        whole["net"].backward(whole_dscores)
    whole_record = network.recording_dict(record)

    cells = [
        markdown("l5-intro", r"""
# Lesson 5: The multi-layer perceptron

A multi-layer perceptron (MLP) is a list of layers, Linear and activation in turn. Forward, each
layer's output is the next one's input; backward, each layer's input gradient is the previous
one's output gradient. Backpropagation through the whole network is nothing more than the
layers' own backward passes, called in reverse order.

**Objectives.** After this lesson you can
- build an MLP from `hidden_layer_sizes`, a hidden activation and an output activation, and count its parameters;
- implement the forward pass through the stack and the backward pass in reverse;
- check a whole network's gradients at once, and read a diagnosis that names the first layer that is wrong;
- see what hidden units compute on a 2-D problem.

Tasks 1 and 2 are in `backprop_lib/mlp.py`; task 3 is in this notebook.
"""),
        None,
        code("l5-setup", '''
from backprop_course.lesson import start
start()  # finds your backprop_lib/ and reloads your edits
import numpy as np
import matplotlib.pyplot as plt

from backprop_lib import data
from backprop_course.cells import demo
from backprop_course.checks import task
from backprop_course.network import check_network, probe_layers, ProbeLoss, record_layers
from backprop_course.gradcheck import check_model
from backprop_lib.losses import MSELoss
from backprop_lib.mlp import MLP
'''),
        markdown("l5-structure", r"""
## The stack

`MLP(in_features, hidden_layer_sizes, out_features, activation, output_activation)` builds
$L = $ `len(hidden_layer_sizes) + 1` Linear layers, with the hidden activation $\phi$ between
them (not after the last one). With $h_0 = x$:
$$z_l = h_{l-1} W_l + b_l, \qquad h_l = \phi(z_l) \quad (l < L), \qquad \text{scores} = z_L .$$
`forward` returns the raw scores $z_L$; the output activation (identity, sigmoid or softmax) is
applied only by `predict_proba`, and training uses the loss that pairs with it (lesson 4).
The constructor is given; it works already:
"""),
        code("l5-structure-demo", '''
model = MLP(2, (16, 16), 1, activation="relu", output_activation="sigmoid", rng=0)
print(model)
for layer in model.layers:
    print("   ", layer)
for name, layer, key in model.named_parameters():
    print(f"{name:10} {layer.params[key].shape}")
'''),
        markdown("l5-forward", r"""
## Task 1: forward through the stack

**Lesson 5, task 1.** Implement `MLP.forward(x)` in `backprop_lib/mlp.py`: pass `x` through
`self.layers` in order and return the last output. Each layer caches what its own backward pass
needs, so the MLP itself stores nothing.

**How this is checked.** The graded checks swap the model's layers for stand-ins
(`Probe`, an elementwise scale-and-shift, and `ProbeSine`, from `backprop_course.network`), so they test your
`MLP.forward` alone: a bug in your lesson-2 `Linear` cannot fail them. Every layer's input and
output is recorded, and a failure names the first one that is wrong, e.g. *"the input of layer 2 is
wrong; the output of sine 1, which flowed into it, is right"* (so the wiring between them is the bug).
Bar: $10^{-7}$.
"""),
        expected_cell("l5-probe-expected", "PROBE_EXPECTED", probe_record,
                      "What every stand-in layer receives and returns, from the reference solution "
                      "(inputs x and dL/dscores as in the checks below)."),
        tests("l5-t1-forward", f'''
with task("Lesson 5, task 1") as check:
{indent(PROBE_SETUP)}
    x_before = x.copy()
    with record_layers(model) as record:
        scores = model.forward(x)
    check_network(check, record, PROBE_EXPECTED, scores=scores, directions=["forward"])
    check.true("x unchanged", np.array_equal(x, x_before), "forward must not modify its input")
{hidden_region("Lesson 5, task 1", net_loop("""
_x0 = _x.copy()
with record_layers(_model) as _rec:
    _scores = _model.forward(_x)
_msg = diagnose(network_stages(_rec, _exp, _scores)[0], _bar)
check.true(f"{_label}: forward", _msg is None, str(_msg))
check.true(f"{_label}: dtype kept", np.asarray(_scores).dtype == _dtype, "keep the input's dtype")
check.true(f"{_label}: x unchanged", np.array_equal(_x, _x0), "forward must not modify x")
check.true(f"{_label}: layers in order", _rec.forward_order == list(range(len(_model.layers))),
           f"forward visited layers {_rec.forward_order}: visit each once, first to last")
"""), grading)}
''', points=3),
        markdown("l5-backward", r"""
## Task 2: backward in reverse

The loss hands back $g_L = \partial L / \partial \text{scores}$. Going from the last layer to the
first, each layer turns the gradient of its output into the gradient of its input (and fills its
parameter gradients on the way):
$$g_{\text{in}} = \texttt{layer.backward}(g_{\text{out}}), \qquad
\frac{\partial L}{\partial W_l} = h_{l-1}^\top \frac{\partial L}{\partial z_l}, \quad
\frac{\partial L}{\partial b_l} = \sum_n \frac{\partial L}{\partial z_{l,n}} .$$
This is the chain rule of lesson 1, one layer at a time: the gradient reaching $W_l$ is the
product of the local derivatives along the path from the loss down to layer $l$, and the reverse
order is what lets every product be computed once and reused.

**Lesson 5, task 2.** Implement `MLP.backward(grad_out, input_grad=True)`: call the layers'
`backward` from the last to the first and return $\partial L / \partial x$. With
`input_grad=False` (what training uses) skip the first layer's input gradient: call only its
`param_backward` and return `None`.

The checks use the stand-in layers and `ProbeLoss` (whose $\partial L/\partial\text{scores}$ is
just the target array), record what arrives at and leaves each layer, and name the first wrong
gradient, e.g. *"dL/dscale of layer 2 is wrong; the gradient into layer 2, which flowed into it, is
right"*. They also check your backward pass against central differences of your own forward pass
(bar $10^{-5}$).
"""),
        code("l5-run-layers", '''
def run_layers(layers, x):
    """The forward pass layer by layer. The task-2 checks use it instead of your MLP.forward,
    so that a task-1 bug cannot fail task 2 as well."""
    for layer in layers:
        x = layer.forward(x)
    return x
'''),
        tests("l5-t2-backward", f'''
with task("Lesson 5, task 2") as check:
{indent(PROBE_SETUP)}
    with record_layers(model) as record:
        run_layers(model.layers, x)
        dx = model.backward(dscores)
    check_network(check, record, PROBE_EXPECTED, dx=dx, directions=["backward"])
    last_to_first = list(range(len(model.layers)))[::-1]
    check.true("layers visited last to first", record.backward_order == last_to_first,
               f"backward visited layers {{record.backward_order}}, expected {{last_to_first}}")
{hidden_region("Lesson 5, task 2", net_loop("""
with record_layers(_model) as _rec:
    run_layers(_model.layers, _x)
    _dx = _model.backward(_g)
_msg = diagnose(network_stages(_rec, _exp, dx=_dx)[1], _bar)
check.true(f"{_label}: backward", _msg is None, str(_msg))
check.true(f"{_label}: reverse order", _rec.backward_order == list(range(len(_model.layers)))[::-1],
           f"backward visited layers {_rec.backward_order}")
"""), grading)}
''', points=3),
        tests("l5-t2-gradcheck", '''
with task("Lesson 5, task 2") as check:
    model = MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=2)
    model.forward = lambda inputs: run_layers(model.layers, inputs)   # task 1 is not needed here
    x = np.random.default_rng(3).normal(size=(4, 3))
    y = np.random.default_rng(4).normal(size=(4, 3))
    check.gradients(check_model(model, x, y, loss=ProbeLoss()))
''' + hidden_region("Lesson 5, task 2", net_loop('''
if _dtype == np.float64:
    _model.forward = lambda _in, _m=_model: run_layers(_m.layers, _in)
    _res = check_model(_model, _x, _g, loss=ProbeLoss())
    check.true(f"{_label} vs differences", _res.passed, str(_res).replace("\\n", " /"))
'''), grading), points=1),
        tests("l5-t2-input-grad", '''
with task("Lesson 5, task 2") as check:
    model = MLP(3, (3, 3), 3)
    model.layers = probe_layers(features=3, depth=3, rng=5)
    x = np.random.default_rng(6).normal(size=(2, 3))
    g = np.random.default_rng(7).normal(size=(2, 3))
    run_layers(model.layers, x)
    model.backward(g)
    with_input = {name: layer.grads[key].copy() for name, layer, key in model.named_parameters()}
    run_layers(model.layers, x)
    result = model.backward(g, input_grad=False)
    check.true("input_grad=False returns None", result is None, "return None when input_grad=False")
    for name, layer, key in model.named_parameters():
        check.close(f"{name} same as with input_grad", layer.grads[key], with_input[name], bar=1e-12)
''' + hidden_region("Lesson 5, task 2", net_loop('''
with record_layers(_model) as _rec:
    run_layers(_model.layers, _x)
    _r = _model.backward(_g, input_grad=False)
_stages = [s for s in network_stages(_rec, _exp)[1] if not s[0].startswith("the gradient out of layer 1")]
_msg = diagnose(_stages, _bar)
check.true(f"{_label} input_grad=False", _msg is None and _r is None,
           str(_msg) if _msg else "return None when input_grad=False")
'''), grading), points=1),
        markdown("l5-whole", r"""
### Your whole network

The graded checks above used stand-in layers. Here is the real thing: your `Linear` (lesson 2),
your `tanh` (lesson 3), your `MSELoss` (lesson 4) and your `MLP`, against values of the reference
solution. If anything is off, the diagnosis names the first layer whose value or gradient
disagrees and confirms that what flowed into it was right, so you know which file to open.
This cell is not graded.
"""),
        expected_cell("l5-whole-expected", "WHOLE_EXPECTED", whole_record,
                      "Every layer's traffic in the reference solution, for the network below."),
        tagged(code("l5-whole-check", f'''
with task("Your whole network (lessons 2-5, not graded)") as check:
    net = MLP(2, (3, 3), 1, activation="tanh", rng=3)
    x = np.array([[0.5, -1.0], [1.0, 2.0], [-1.5, 0.5], [0.0, 0.3]])
    y = np.array([[1.0], [-1.0], [0.5], [0.0]])
    with record_layers(net) as record:
        loss = MSELoss()
        loss.forward(net.forward(x), y)
        dscores = loss.backward()
        net.backward(dscores)
    check.close("dL/dscores from MSELoss", dscores, {short_literal(whole_dscores)})
    check_network(check, record, WHOLE_EXPECTED)
    check.gradients(check_model(net, x, y))
'''), "raises-exception"),
        markdown("l5-count", r"""
## Task 3: counting parameters

A Linear layer from $n_{\text{in}}$ to $n_{\text{out}}$ features has a weight matrix and a bias:
$n_{\text{in}} n_{\text{out}} + n_{\text{out}} = (n_{\text{in}} + 1)\, n_{\text{out}}$ numbers.
Activations have none. So `MLP(2, (16, 16), 1)` has $(2+1)16 + (16+1)16 + (16+1)1 = 337$.

**Lesson 5, task 3.** Complete `count_parameters(sizes)` below for the layer sizes
`[in_features, *hidden_layer_sizes, out_features]`, in one line, without building a model.
"""),
        solution("l5-t3-solution", '''
def count_parameters(sizes):
    """Number of weights and biases of an MLP with layer sizes [in, *hidden, out]."""
    ### BEGIN SOLUTION
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    ### END SOLUTION
'''),
        tests("l5-t3-count", '''
with task("Lesson 5, task 3") as check:
    for sizes in [(2, 16, 16, 1), (3, 1), (784, 64, 10)]:
        built = MLP(sizes[0], sizes[1:-1], sizes[-1]).num_parameters()
        check.close(f"count_parameters({sizes})", count_parameters(list(sizes)), built, bar=0)
''' + hidden_region("Lesson 5, task 3", f'''
for _sizes, _n in {hidden_counts()!r}:
    check.close(f"hidden: count_parameters({{_sizes}})", count_parameters(list(_sizes)), _n, bar=0)
'''), points=1),
        markdown("l5-features", r"""
## What the hidden layer learns

The red/blue points below are XOR: red where $x_1$ and $x_2$ have the same sign. No straight
line separates them, so `MLP(2, (), 1)` (no hidden layer, a logistic regression) cannot. The
network below, `MLP(2, (4,), 1, activation="tanh", output_activation="sigmoid")`, was trained
(lesson 6 shows how) and its weights are loaded here. The first four panels show each hidden
unit $h_j = \tanh(x W_{:,j} + b_j)$ over the plane: each is a soft half-plane, a ramp across one
line. The last panel shows the output, a weighted sum of those four ramps passed through the
sigmoid: combining half-planes is how the network bends its decision boundary around the data.
"""),
        tagged(code("l5-features-plot", f'''
X, y = data.xor(200, rng=0)
net = MLP(2, (4,), 1, activation="tanh", output_activation="sigmoid")
trained = {nested_literal(xor_weights, exact=False)}
for name, layer, key in net.named_parameters():
    layer.params[key][...] = trained[name]

with demo("hidden features"):
    grid_x1, grid_x2 = np.meshgrid(np.linspace(-1.3, 1.3, 121), np.linspace(-1.3, 1.3, 121))
    grid = np.c_[grid_x1.ravel(), grid_x2.ravel()]
    hidden = net.layers[1](net.layers[0](grid))          # tanh(grid W1 + b1), shape (121*121, 4)
    proba = net.predict_proba(grid)[:, 0]
    accuracy = np.mean(net.predict(X) == y)
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.4))
    panels = [(hidden[:, j], f"hidden unit {{j + 1}}", "RdBu_r", (-1, 1)) for j in range(4)]
    panels.append((proba, f"output sigmoid (accuracy {{accuracy:.0%}})", "RdBu_r", (0, 1)))
    for ax, (values, title, cmap, (low, high)) in zip(axes, panels):
        image = ax.contourf(grid_x1, grid_x2, values.reshape(grid_x1.shape), 20, cmap=cmap,
                            vmin=low, vmax=high)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="bwr", s=8, edgecolors="k", linewidths=0.3)
        ax.set(title=title, xticks=[], yticks=[], aspect="equal")
    axes[-1].contour(grid_x1, grid_x2, proba.reshape(grid_x1.shape), [0.5], colors="k")
    plt.tight_layout()
    plt.show()
'''), "raises-exception"),
        written_answer("l5-written-features", r"""
**Written answer (graded by hand).** Looking at the five panels: how do four tanh units let the
network classify XOR, and why can `MLP(2, (), 1)` not do it whatever its weights?

### BEGIN SOLUTION
Each hidden unit is a smooth step across one line in the plane (a soft half-plane); here the
four lines are diagonal bands around the data. The output is a weighted sum of these steps, so
its level sets are no longer straight: adding and subtracting the steps makes the two same-sign
quadrants high and the other two low, and the sigmoid turns that into the curved boundary. Without a hidden layer the score is $x W + b$, linear in
$x$, so $\sigma(s) = 0.5$ is a single straight line, and no line puts quadrants I and III on one
side and II and IV on the other.
### END SOLUTION
""", points=2),
        markdown("l5-summary", r"""
## Summary

- An MLP is a list of layers; forward runs them in order, backward runs their backward passes in reverse.
- The gradient that reaches a parameter is the chain-rule product along the path from the loss; reverse order computes each product once.
- A whole-network check compares every layer's traffic with a reference and names the first wrong one, so a bug is found where it starts, not where it shows.
- A Linear layer has $(n_\text{in}+1)n_\text{out}$ parameters; hidden units are soft half-planes whose combination bends the boundary.

Next, lesson 6 uses these gradients to train: gradient descent, learning rates and minibatches.
"""),
    ]
    # The hidden regions of later cells use the helpers the first graded cell's hidden region defines.
    cells[1] = points_table("l5-points", cells[2:], [
        ("Task 1: `MLP.forward`", "l5-t1"), ("Task 2: `MLP.backward`", "l5-t2"),
        ("Task 3: `count_parameters`", "l5-t3"), ("Written answer (graded by hand)", "l5-written")],
        intro="**Points.** Each check cell is graded on its own; the graded checks test the MLP apart "
              "from your layers and losses, so an earlier lesson's bug is not charged again here.")
    write(out, cells)


if __name__ == "__main__":
    import sys

    build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
