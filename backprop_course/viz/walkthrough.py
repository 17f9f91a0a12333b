"""Live lecture widgets: backpropagation walked through on the graph, and training animated.

    GraphWalkthrough(loss)                          any Scalar graph, one node per Scalar
    GraphWalkthrough.slide_network()                the 1-2-2-1 network of lesson 1
    GraphWalkthrough.from_mlp(model, x, y)          an MLP, unit by unit (or per layer when large)
    TrainingAnimator(preset="dataset=moons&lr=0.3&hide=seed")

Both are ipywidgets drawn as SVG (no graphviz, no ipympl). Their Play buttons tick in the browser, so
when a notebook runs headless (nbclient, nbgrader) nothing animates and nothing waits; each widget
also carries a static HTML picture of its current state for viewers without a widget manager.

When a library part a widget needs is still a stub, the widget says which task to finish (e.g.
"finish Lesson 1, task 4 (the backward pass) to step backward") instead of raising.
"""

import base64
import html
import io
import operator
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.image import imsave

from backprop_lib import data as datasets
from backprop_lib.graph import Scalar
from backprop_lib.layers import ACTIVATION_LAYERS
from backprop_lib.losses import LOSS_FOR_OUTPUT
from backprop_lib.mlp import MLP
from backprop_lib.optim import SGD
from backprop_lib.train import train_steps


def todo_message(err, action):
    """The line a widget shows instead of raising what the library raised.

    A stub's NotImplementedError("Lesson 1, task 4: the backward pass") becomes "finish Lesson 1,
    task 4 (the backward pass) to <action>"; any other error (a bug in a student's part) is named
    with its message, so that Run All goes on past the widget.
    """
    task, _, what = str(err).partition(": ")
    if not isinstance(err, NotImplementedError):
        return f"cannot {action}: {type(err).__name__}: {err}"
    if not task.startswith("Lesson"):
        return f"finish the library part that raised NotImplementedError({str(err)!r}) to {action}"
    return f"finish {task} ({what}) to {action}" if what else f"finish {task} to {action}"


def _f(value):
    """A number as the drawings show it: 3 significant digits, plain minus sign."""
    return f"{value + 0.0:.3g}"  # + 0.0 turns -0.0 into 0.0


class _StaticHTML:
    """Adds a text/html picture of the current state to the widget's display data.

    JupyterLab shows the live widget; a viewer without a widget manager (nbconvert, a notebook saved
    by nbgrader) falls back to the static picture.
    """

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.static_html()
        return bundle


# ---- GraphWalkthrough: what is drawn (a trace) and where it comes from (a source) ------------

@dataclass
class _Node:
    key: str
    col: int
    row: int
    title: str
    value: str = ""        # shown once the forward pass has reached the node
    grad: str = ""         # shown once the backward pass has reached the node


@dataclass
class _Edge:
    key: tuple
    src: str
    dst: str
    weight: float = None   # edges that are weights are coloured by sign, thickness by magnitude
    name: str = ""
    value: str = ""
    grad: str = ""


@dataclass
class _Trace:
    """One forward and backward pass, as the ordered events a walkthrough reveals."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    known: set = field(default_factory=set)       # node keys whose values show from the start
    forward: list = field(default_factory=list)   # [(node key, explanation)]
    backward: list = field(default_factory=list)  # [(node or edge key, explanation)]
    loss: float = float("nan")
    forward_error: str = None
    backward_error: str = None
    edge_labels: bool = True                       # False for dense layers: only the active edge


_UNARY = {"neg": operator.neg, "exp": Scalar.exp, "log": Scalar.log, "tanh": Scalar.tanh,
          "sigmoid": Scalar.sigmoid, "relu": Scalar.relu}
_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _replay(node):
    """A fresh Scalar computing ``node``'s op from its parents' current values (after an update)."""
    parents = [Scalar(parent.value) for parent in node.parents]
    if node.op in _BINARY:
        return _BINARY[node.op](*parents)
    if node.op in _UNARY:
        return _UNARY[node.op](*parents)
    if node.op.startswith("**"):
        return parents[0] ** float(node.op[2:])
    raise ValueError(f"cannot recompute the op {node.op!r} after an update: build the graph from "
                     "Scalar operations only")


def _is_constant(node):
    """A number written into an expression (2.0 * a) becomes a leaf labelled with its value."""
    try:
        return float(node.label) == node.value
    except ValueError:
        return False


class _ScalarSource:
    """A Scalar graph drawn node by node; the update moves ``params`` and recomputes the graph."""

    def __init__(self, root, params=None):
        if not isinstance(root, Scalar):
            raise TypeError(f"GraphWalkthrough takes the output Scalar of a graph (the loss), got "
                            f"{type(root).__name__}; for an MLP use GraphWalkthrough.from_mlp")
        self.root = root
        self.order = root.topological_order()
        leaves = [node for node in self.order if not node.parents]
        if params is None:
            params = [node for node in leaves if node.label and not _is_constant(node)]
        self.params = list(params)
        self.initial = [node.value for node in self.params]
        # Unlabelled intermediate nodes get names v1, v2, ... so that formulas can refer to them.
        self.names, count = {}, 0
        for node in self.order:
            if not node.label:
                count += 1
            self.names[id(node)] = node.label or f"v{count}"

    def reset(self):
        for node, value in zip(self.params, self.initial):
            node.value = value
        self._recompute()

    def update(self, lr):
        for node in self.params:
            node.value -= lr * node.grad
        self._recompute()
        return len(self.params)

    def _recompute(self):
        for node in self.order:
            if node.parents:
                fresh = _replay(node)
                node.value, node.local_grads = fresh.value, fresh.local_grads

    def trace(self):
        order, names = self.order, self.names
        key = {id(node): f"n{index}" for index, node in enumerate(order)}
        col = {}
        for node in order:
            col[id(node)] = 1 + max((col[id(p)] for p in node.parents), default=-1)
        children = {id(node): [] for node in order}
        for node in order:
            for index, parent in enumerate(node.parents):
                children[id(parent)].append((node, index))
        # A leaf sits just left of its first use, so late inputs (the target) draw short edges.
        for node in order:
            if not node.parents and children[id(node)]:
                col[id(node)] = min(col[id(child)] for child, _ in children[id(node)]) - 1
        rows = {}
        t = _Trace(loss=self.root.value)
        for node in order:
            c = col[id(node)]
            rows[c] = rows.get(c, -1) + 1
            title = f"{names[id(node)]} ({node.op})" if node.parents else names[id(node)]
            t.nodes.append(_Node(key[id(node)], c, rows[c], title, _f(node.value)))
            for parent in node.parents:
                t.edges.append(_Edge((key[id(parent)], key[id(node)]), key[id(parent)], key[id(node)]))
            if not node.parents:
                t.known.add(key[id(node)])
            else:
                t.forward.append((key[id(node)], self._forward_text(node)))
        try:
            self.root.backward()
            locals_ = {id(node): node.local_grads() for node in order}
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            t.backward_error = todo_message(err, "step backward")
            return t
        nodes = {n.key: n for n in t.nodes}
        for node in reversed(order):
            if not node.parents and _is_constant(node):
                continue  # the gradient of a written-in number is of no interest
            nodes[key[id(node)]].grad = f"∂ {_f(node.grad)}"
            if node is self.root:
                text = f"∂L/∂{names[id(node)]} = 1 (the output itself)"
            else:
                terms = [(child, locals_[id(child)][index]) for child, index in children[id(node)]]
                products = " + ".join(f"{_f(child.grad)}×{_f(local)}" for child, local in terms)
                factors = " + ".join(f"∂L/∂{names[id(child)]}·∂{names[id(child)]}/∂{names[id(node)]}"
                                     for child, _ in terms)
                text = f"∂L/∂{names[id(node)]} = {factors} = {products} = {_f(node.grad)}"
            t.backward.append((key[id(node)], text))
        return t

    def _forward_text(self, node):
        names = self.names
        args = [f"{names[id(p)]}={_f(p.value)}" for p in node.parents]
        if node.op in _BINARY:
            return f"{names[id(node)]} = {args[0]} {node.op} {args[1]} = {_f(node.value)}"
        if node.op.startswith("**"):
            return f"{names[id(node)]} = ({args[0]}){node.op} = {_f(node.value)}"
        return f"{names[id(node)]} = {node.op}({', '.join(args)}) = {_f(node.value)}"


_SCALAR_ACTIVATIONS = {"tanh": Scalar.tanh, "sigmoid": Scalar.sigmoid, "relu": Scalar.relu,
                       "identity": lambda a: a}
_DERIVATIVE_TEXT = {"tanh": "(1 − h²)", "sigmoid": "h(1 − h)", "relu": "[a > 0]", "identity": "1"}
# The 1-2-2-1 network of lesson 1 (x = 2, t = 1, ReLU, no biases, L = ½(y − t)²). Weights are
# numbered as on the slide: w1 x→h1, w2 x→h2, w3 h1→h3, w4 h2→h3, w5 h1→h4, w6 h2→h4, w7 h3→y, w8 h4→y.
SLIDE_WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}
_MLP_LOSS = {"identity": "mse", "sigmoid": "sigmoid", "softmax": "softmax"}
_LOSS_TEXT = {"half": ("L = ½(y − t)²", "y − t"), "mse": ("L = mean (y − t)²", "2(y − t)/K"),
              "sigmoid": ("L = log(1 + eʸ) − t·y", "σ(y) − t"), "softmax": ("L = log Σ eʸ − y_t", "p − onehot(t)")}


class _NetworkSource:
    """A small network unit by unit (nodes are units, edges are weights), built from Scalars.

    weights[l] (in, out) as in Linear; biases None (the slide network has none) or biases[l] (out,);
    x (in,); target (out,) for regression, a 0/1 label for loss "sigmoid", a class for "softmax".
    loss: "half" ½(y − t)², "mse" (as MSELoss), "sigmoid" (as BCEWithLogitsLoss), "softmax".
    Names follow the slide: inputs x, units h1, h2, ... (pre-activations a1, a2, ...), outputs y,
    weights w1, w2, ... numbered unit by unit. ``model``, when given, receives every update in place.
    """

    def __init__(self, weights, biases, x, target, activation="relu", loss="half", model=None):
        if activation not in _SCALAR_ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {sorted(_SCALAR_ACTIVATIONS)}")
        self.weights = [np.array(W, dtype=float) for W in weights]
        self.biases = None if biases is None else [np.array(b, dtype=float) for b in biases]
        self.initial = ([W.copy() for W in self.weights],
                        None if biases is None else [b.copy() for b in self.biases])
        self.x = np.asarray(x, dtype=float).reshape(-1)
        self.target = np.asarray(target, dtype=float).reshape(-1)
        self.activation, self.loss, self.model = activation, loss, model
        if len(self.x) != self.weights[0].shape[0]:
            raise ValueError(f"x has {len(self.x)} features but the first layer takes "
                             f"{self.weights[0].shape[0]}: pass one sample")

    def reset(self):
        self.weights = [W.copy() for W in self.initial[0]]
        self.biases = None if self.initial[1] is None else [b.copy() for b in self.initial[1]]
        self._write_back()

    def update(self, lr):
        for l, (ws, bs) in enumerate(self.scalars):
            self.weights[l] -= lr * np.array([[w.grad for w in row] for row in ws])
            if self.biases is not None:
                self.biases[l] -= lr * np.array([b.grad for b in bs])
        self._write_back()
        return sum(W.size for W in self.weights) + sum(b.size for b in self.biases or [])

    def _write_back(self):
        if self.model is not None:
            linears = [layer for layer in self.model.layers if layer.params]
            for l, layer in enumerate(linears):
                layer.params["W"][...] = self.weights[l]
                layer.params["b"][...] = self.biases[l]

    def _loss(self, outs):
        """The loss of the output Scalars, as the matching loss computes it from the scores."""
        if self.loss in ("half", "mse"):
            terms = [(out - float(t)) ** 2 for out, t in zip(outs, self.target)]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            return 0.5 * total if self.loss == "half" else total / len(terms) if len(terms) > 1 else total
        if self.loss == "sigmoid":
            s, t = outs[0], float(self.target[0])
            # log(1 + e^s) without overflow: s + log(1 + e^-s) for s > 0.
            softplus = s + ((-s).exp() + 1).log() if s.value > 0 else (s.exp() + 1).log()
            return softplus - t * s
        top = max(out.value for out in outs)
        total = (outs[0] - top).exp()
        for out in outs[1:]:
            total = total + (out - top).exp()
        return total.log() + top - outs[int(self.target[0])]

    def trace(self):
        t = _Trace(edge_labels=max(W.size for W in self.weights) <= 4)
        n_in, n_out = self.weights[0].shape[0], self.weights[-1].shape[1]
        names = ["x"] if n_in == 1 else [f"x{i + 1}" for i in range(n_in)]
        acts = [Scalar(v, label=name) for v, name in zip(self.x, names)]
        for i, name in enumerate(names):
            t.nodes.append(_Node(name, 0, i, name, _f(self.x[i])))
            t.known.add(name)
        self.scalars, self.units = [], []
        unit, weight = 0, 0
        for l, W in enumerate(self.weights, start=1):
            last = l == len(self.weights)
            ws = [[None] * W.shape[1] for _ in range(W.shape[0])]
            bs, layer_units = [], []
            for j in range(W.shape[1]):
                if last:
                    name = "y" if n_out == 1 else f"y{j + 1}"
                    pre = name
                else:
                    unit += 1
                    name, pre = f"h{unit}", f"a{unit}"
                terms = []
                for i in range(W.shape[0]):
                    weight += 1
                    ws[i][j] = Scalar(W[i, j], label=f"w{weight}")
                    t.edges.append(_Edge(("w", l, i, j), names[i], name, W[i, j], f"w{weight}",
                                         f"w{weight} {_f(W[i, j])}"))
                    terms.append(ws[i][j] * acts[i])
                a = terms[0]
                for term in terms[1:]:
                    a = a + term
                sums = " + ".join(f"w{ws[i][j].label[1:]}·{names[i]}" for i in range(W.shape[0]))
                numbers = " + ".join(f"{_f(ws[i][j].value)}·{_f(acts[i].value)}" for i in range(W.shape[0]))
                if self.biases is not None:
                    bs.append(Scalar(self.biases[l - 1][j], label=f"b({name})"))
                    a = a + bs[-1]
                    sums, numbers = f"{sums} + b", f"{numbers} + {_f(bs[-1].value)}"
                h = a if last else _SCALAR_ACTIVATIONS[self.activation](a)
                text = f"{pre} = {sums} = {numbers} = {_f(a.value)}"
                if last:
                    value = _f(a.value)
                else:
                    text += f";  {name} = {self.activation}({pre}) = {_f(h.value)}"
                    value = f"{pre} {_f(a.value)}  {name} {_f(h.value)}"
                t.nodes.append(_Node(name, l, j, name, value))
                t.forward.append((name, text))
                layer_units.append((name, pre, a, h))
            self.scalars.append((ws, bs))
            self.units.append(layer_units)
            acts, names = [u[3] for u in layer_units], [u[0] for u in layer_units]
        loss = self._loss(acts)
        formula, grad_formula = _LOSS_TEXT[self.loss]
        t.loss = loss.value
        t.nodes.append(_Node("L", len(self.weights) + 1, 0, "L", _f(loss.value)))
        for name in names:
            t.edges.append(_Edge((name, "L"), name, "L"))
        targets = ", ".join(_f(v) for v in self.target)
        t.forward.append(("L", f"{formula} with t = {targets}: L = {_f(loss.value)}"))
        try:
            loss.backward()
            t.backward = self._backward_events(t, grad_formula)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            t.backward_error = todo_message(err, "step backward")
        return t

    def _backward_events(self, t, grad_formula):
        """Unit by unit from the output: each dL/dh as a sum over outgoing weights, then its weights."""
        nodes = {n.key: n for n in t.nodes}
        edges = {e.key: e for e in t.edges}
        events = [("L", "∂L/∂L = 1")]
        nodes["L"].grad = "∂ 1"
        for l in range(len(self.units), 0, -1):
            for j, (name, pre, a, h) in enumerate(self.units[l - 1]):
                if l == len(self.units):
                    nodes[name].grad = f"∂ {_f(a.grad)}"
                    events.append((name, f"∂L/∂{name} = {grad_formula} = {_f(a.grad)}"))
                    continue
                out_ws = self.scalars[l][0][j]
                nexts = self.units[l]
                factors = " + ".join(f"∂L/∂{n_pre}·{w.label}" for (_, n_pre, _, _), w in zip(nexts, out_ws))
                products = " + ".join(f"{_f(n_a.grad)}×{_f(w.value)}" for (_, _, n_a, _), w in zip(nexts, out_ws))
                local = h.local_grads()[0] if h is not a else 1.0
                nodes[name].grad = f"∂{name} {_f(h.grad)}  ∂{pre} {_f(a.grad)}"
                events.append((name, f"∂L/∂{name} = {factors} = {products} = {_f(h.grad)};  "
                                     f"∂L/∂{pre} = ∂L/∂{name}·{_DERIVATIVE_TEXT[self.activation]} = "
                                     f"{_f(h.grad)}×{_f(local)} = {_f(a.grad)}"))
            prev = ([("x" if len(self.x) == 1 else f"x{i + 1}", v) for i, v in enumerate(self.x)]
                    if l == 1 else [(u[0], u[3].value) for u in self.units[l - 2]])
            ws = self.scalars[l - 1][0]
            for j, (name, pre, a, _) in enumerate(self.units[l - 1]):
                for i, (source, value) in enumerate(prev):
                    w = ws[i][j]
                    edges[("w", l, i, j)].grad = f"∂ {_f(w.grad)}"
                    events.append((("w", l, i, j), f"∂L/∂{w.label} = ∂L/∂{pre}·{source} = "
                                                   f"{_f(a.grad)}×{_f(value)} = {_f(w.grad)}"))
        return events


class _LayerSource:
    """An MLP too large to draw unit by unit: one node per layer, vectors summarised by their norms.

    Runs the model's own forward, backward and SGD step on one sample x (1, in_features).
    """

    def __init__(self, model, x, y):
        self.model, self.x, self.y = model, x, y
        self.initial = [(layer, key, layer.params[key].copy()) for _, layer, key in model.named_parameters()]

    def reset(self):
        for layer, key, value in self.initial:
            layer.params[key][...] = value

    def update(self, lr):
        SGD(self.model, lr).step()
        return self.model.num_parameters()

    def trace(self):
        model = self.model
        linears = [layer for layer in model.layers if layer.params]
        sizes = model.sizes
        t = _Trace(edge_labels=True)
        t.nodes.append(_Node("x", 0, 0, f"x ({sizes[0]})", f"‖x‖ {_f(np.linalg.norm(self.x))}"))
        t.known.add("x")
        for l, layer in enumerate(linears, start=1):
            name = "scores" if l == len(linears) else f"h{l}"
            t.nodes.append(_Node(name, l, 0, f"{name} ({sizes[l]})"))
            W = layer.params["W"]
            # One edge stands for a whole matrix: its rms sets the thickness, the sign of its sum the colour.
            t.edges.append(_Edge(("W", l), "x" if l == 1 else f"h{l - 1}", name,
                                 float(np.sign(W.sum()) * np.sqrt(np.mean(W * W))), f"W{l}",
                                 f"W{l} {W.shape[0]}×{W.shape[1]}"))
        t.nodes.append(_Node("L", len(linears) + 1, 0, "L"))
        t.edges.append(_Edge(("scores", "L"), "scores", "L"))
        try:
            loss = LOSS_FOR_OUTPUT[model.output_activation]()
            scores = model.forward(self.x)
            t.loss = loss.forward(scores, self.y)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            t.forward_error = todo_message(err, "run the forward pass")
            return t
        nodes = {n.key: n for n in t.nodes}
        hidden = [layer.cache for layer in model.layers[1::2]]
        for l, h in enumerate([*hidden, scores], start=1):
            name = "scores" if l == len(linears) else f"h{l}"
            nodes[name].value = f"‖{name}‖ {_f(np.linalg.norm(h))}"
            what = "the scores" if name == "scores" else f"{model.activation}(z{l}), {h.size} units"
            t.forward.append((name, f"{name} = {what}: z{l} = {'x' if l == 1 else f'h{l - 1}'} W{l} + b{l}; "
                                    f"‖{name}‖ = {_f(np.linalg.norm(h))}"))
        nodes["L"].value = _f(t.loss)
        t.forward.append(("L", f"L = {type(loss).__name__}(scores, y) = {_f(t.loss)}"))
        try:
            model.backward(loss.backward())
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            t.backward_error = todo_message(err, "step backward")
            return t
        edges = {e.key: e for e in t.edges}
        t.backward.append(("L", "∂L/∂L = 1"))
        nodes["L"].grad = "∂ 1"
        for l in range(len(linears), 0, -1):
            name = "scores" if l == len(linears) else f"h{l}"
            # One sample: dL/db of a layer equals dL/dz of its units.
            dz = np.linalg.norm(linears[l - 1].grads["b"])
            nodes[name].grad = f"‖∂z‖ {_f(dz)}"
            t.backward.append((name, f"∂L/∂z{l} (= ∂L/∂b{l} for one sample): ‖·‖ = {_f(dz)}"))
            dW = np.linalg.norm(linears[l - 1].grads["W"])
            edges[("W", l)].grad = f"‖∂W‖ {_f(dW)}"
            t.backward.append((("W", l), f"∂L/∂W{l} = {'x' if l == 1 else f'h{l - 1}'}ᵀ · ∂L/∂z{l}: "
                                         f"‖·‖ = {_f(dW)}"))
        return t


# ---- drawing ----------------------------------------------------------------------------------

_BOX_W, _BOX_H, _DX, _DY, _PAD = 124, 54, 190, 70, 16
_POSITIVE, _NEGATIVE, _ACTIVE = "#2c7bb6", "#d7191c", "#ff9900"


def _graph_svg(trace, values, grads, active):
    """The trace as an SVG string; ``values``/``grads`` are the keys revealed so far."""
    per_col = {}
    for node in trace.nodes:
        per_col[node.col] = per_col.get(node.col, 0) + 1
    tallest = max(per_col.values(), default=1)
    cols = max((node.col for node in trace.nodes), default=0) + 1
    width = 2 * _PAD + (cols - 1) * _DX + _BOX_W
    height = 2 * _PAD + (tallest - 1) * _DY + _BOX_H
    pos = {node.key: (_PAD + node.col * _DX,
                      _PAD + (node.row + (tallest - per_col[node.col]) / 2) * _DY) for node in trace.nodes}
    biggest = max((abs(e.weight) for e in trace.edges if e.weight is not None), default=1.0) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-graph" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">']
    for edge in trace.edges:
        (x1, y1), (x2, y2) = pos[edge.src], pos[edge.dst]
        x1, y1, x2, y2 = x1 + _BOX_W, y1 + _BOX_H / 2, x2, y2 + _BOX_H / 2
        is_active = edge.key == active
        if edge.weight is None:
            colour, stroke = "#999999", 1.2
        else:
            colour = _POSITIVE if edge.weight >= 0 else _NEGATIVE
            stroke = 0.8 + 4.0 * abs(edge.weight) / biggest
        if is_active:
            colour, stroke = _ACTIVE, stroke + 2
        out.append(f'<line class="edge" data-name="{edge.name}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   f'stroke="{colour}" stroke-width="{stroke:.2f}"/>')
        if edge.value and (trace.edge_labels or is_active):
            lx, ly = x1 + 0.3 * (x2 - x1), y1 + 0.3 * (y2 - y1)  # near the source: crossing edges apart
            label = edge.value + (f" {edge.grad}" if edge.key in grads else "")
            out.append(f'<text class="edge-label" x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle" '
                       f'fill="{colour}" stroke="white" stroke-width="3" paint-order="stroke">'
                       f'{html.escape(label)}</text>')
    for node in trace.nodes:
        x, y = pos[node.key]
        is_active = node.key == active
        fill = "#fff3c4" if is_active else "#ffffff"
        border = _ACTIVE if is_active else "#555555"
        value = node.value if node.key in values else "?"
        grad = node.grad if node.key in grads else ""
        out.append(f'<g class="node" data-key="{html.escape(node.key)}">'
                   f'<rect x="{x}" y="{y:.1f}" width="{_BOX_W}" height="{_BOX_H}" rx="8" fill="{fill}" '
                   f'stroke="{border}" stroke-width="{3 if is_active else 1.2}"/>'
                   f'<text class="title" x="{x + _BOX_W / 2}" y="{y + 15:.1f}" text-anchor="middle" '
                   f'font-weight="bold">{html.escape(node.title)}</text>'
                   f'<text class="value" x="{x + _BOX_W / 2}" y="{y + 31:.1f}" text-anchor="middle">'
                   f'{html.escape(value)}</text>'
                   f'<text class="grad" x="{x + _BOX_W / 2}" y="{y + 46:.1f}" text-anchor="middle" '
                   f'fill="#8a3b00">{html.escape(grad)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _message_html(text, kind="info"):
    colour = {"info": "#333333", "todo": "#b00020"}[kind]
    return (f'<div class="bp-message bp-{kind}" style="font-family:sans-serif;font-size:13px;'
            f'color:{colour};min-height:1.4em">{html.escape(text)}</div>')


class GraphWalkthrough(_StaticHTML, widgets.VBox):
    """Step through one forward pass, one backward pass and one gradient-descent update on a graph.

    ``GraphWalkthrough(loss)`` draws every Scalar of the graph that computed ``loss``; ``params``
    (default: the labelled leaves that are not written-in numbers) are what ``update`` moves.
    See ``slide_network`` and ``from_mlp`` for the slides' unit-by-unit view of a network.

    Methods (the buttons call them): step_forward, step_backward, update, reset, next (what Play
    does: forward, then backward, then update, then backward again ...).
    """

    def __init__(self, loss=None, params=None, lr=0.1, *, _source=None):
        super().__init__()
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got lr={lr!r}")
        self._source = _source or _ScalarSource(loss, params)
        self.lr = lr
        self.updates = 0
        self.graph = widgets.HTML()
        self.status = widgets.HTML()
        buttons = {"forward": ("step forward", self.step_forward),
                   "backward": ("step backward", self.step_backward),
                   "update": ("update", self.update), "reset": ("reset", self.reset)}
        self.buttons = {}
        for name, (label, action) in buttons.items():
            button = widgets.Button(description=label, layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, action=action: action())
            self.buttons[name] = button
        self.play = widgets.Play(value=0, min=0, max=10**9, interval=500, show_repeat=False,
                                 description="play")
        self.play.observe(self._on_tick, "value")
        self.speed = widgets.FloatSlider(value=2.0, min=0.5, max=10.0, step=0.5, description="steps/s",
                                         layout=widgets.Layout(width="260px"))
        self.speed.observe(lambda change: setattr(self.play, "interval", int(1000 / change.new)), "value")
        controls = widgets.HBox([*self.buttons.values(), self.play, self.speed])
        self.children = [controls, self.graph, self.status]
        self._retrace()
        self.done_forward, self.done_backward, self.active = 0, 0, None
        self.message = self._trace.forward_error or "step forward to compute the values node by node"
        self._draw()

    @classmethod
    def slide_network(cls, x=2.0, target=1.0, weights=None, activation="relu", lr=0.02):
        """The 1-2-2-1 network of lesson 1: x → h1, h2 → h3, h4 → y, no biases, L = ½(y − t)².

        weights: {name: value} overriding any of ``SLIDE_WEIGHTS`` (w1 x→h1, w2 x→h2, w3 h1→h3,
        w4 h2→h3, w5 h1→h4, w6 h2→h4, w7 h3→y, w8 h4→y), e.g. the lesson's ``weights`` dict.
        """
        values = dict(SLIDE_WEIGHTS)
        unknown = sorted(set(weights or {}) - set(values))
        if unknown:
            raise ValueError(f"unknown weight name {unknown[0]!r}: use names from {sorted(values)}")
        values.update(weights or {})
        w = [values[f"w{k}"] for k in range(1, 9)]
        Ws = [np.array([[w[0], w[1]]]), np.array([[w[2], w[4]], [w[3], w[5]]]), np.array([[w[6]], [w[7]]])]
        return cls(lr=lr, _source=_NetworkSource(Ws, None, [x], [target], activation, "half"))

    @classmethod
    def from_mlp(cls, model, x, y, lr=0.1):
        """Walk one sample x (in_features,) with target y through ``model``; updates change the model.

        Up to 4 layers of at most 8 units are drawn unit by unit; larger models one node per layer.
        y: (out_features,) for regression, a 0/1 label for a sigmoid output, a class for softmax.
        """
        x = np.asarray(x, dtype=float)
        if x.ndim == 2 and x.shape[0] == 1:
            x = x[0]
        if x.ndim != 1 or len(x) != model.sizes[0]:
            raise ValueError(f"from_mlp walks one sample through the graph: x must have shape "
                             f"({model.sizes[0]},), got {x.shape}; pass X[0]")
        linears = [layer for layer in model.layers if layer.params]
        if len(linears) <= 4 and max(model.sizes) <= 8:
            source = _NetworkSource([layer.params["W"] for layer in linears],
                                    [layer.params["b"] for layer in linears], x, y,
                                    model.activation, _MLP_LOSS[model.output_activation], model=model)
        else:
            y = np.asarray(y)
            y = y.reshape(1, -1) if model.output_activation == "identity" else y.reshape(1)
            source = _LayerSource(model, x.reshape(1, -1), y)
        return cls(lr=lr, _source=source)

    # ---- the steps ------------------------------------------------------------------------

    def step_forward(self):
        """Compute the next node's value (showing the sum that made it)."""
        t = self._trace
        if t.forward_error:
            self.message = t.forward_error
        elif self.done_forward < len(t.forward):
            self.done_forward += 1
            self.active, self.message = t.forward[self.done_forward - 1]
        else:
            self.active = None
            self.message = f"forward pass done: L = {_f(t.loss)}; step backward next"
        self._draw()

    def step_backward(self):
        """Reveal the next dL/dnode or dL/dw, with the chain-rule product that gave it.

        Completes the forward pass first if it is not done.
        """
        t = self._trace
        if t.forward_error or t.backward_error:
            self.message = t.forward_error or t.backward_error
        else:
            self.done_forward = len(t.forward)
            if self.done_backward < len(t.backward):
                self.done_backward += 1
                self.active, self.message = t.backward[self.done_backward - 1]
            else:
                self.active = None
                self.message = "backward pass done: every ∂L/∂w is known; press update"
        self._draw()

    def update(self):
        """One gradient-descent step w ← w − lr·∂L/∂w on every parameter; then the new forward pass."""
        t = self._trace
        if t.forward_error or t.backward_error:
            self.message = t.forward_error or t.backward_error
            self._draw()
            return
        try:
            count = self._source.update(self.lr)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            self.message = todo_message(err, "apply an update")
            self._draw()
            return
        before = t.loss
        self._retrace()
        self.updates += 1
        self.done_forward, self.done_backward, self.active = len(self._trace.forward), 0, None
        self.message = (f"update {self.updates}: w ← w − {self.lr:g}·∂L/∂w on {count} parameters; "
                        f"L {_f(before)} → {_f(self._trace.loss)}")
        self._draw()

    def reset(self):
        """Back to the initial weights, nothing computed yet."""
        self.play.playing = False
        self._source.reset()
        self._retrace()
        self.updates, self.done_forward, self.done_backward, self.active = 0, 0, 0, None
        self.message = self._trace.forward_error or "reset: step forward to compute the values"
        self._draw()

    def next(self):
        """One step of the cycle forward → backward → update; Play calls this on every tick."""
        t = self._trace
        if t.forward_error or (t.backward_error and self.done_forward == len(t.forward)):
            self.play.playing = False
            self.message = t.forward_error or t.backward_error
            self._draw()
        elif self.done_forward < len(t.forward):
            self.step_forward()
        elif self.done_backward < len(t.backward):
            self.step_backward()
        else:
            self.update()

    # ---- state and drawing ----------------------------------------------------------------

    @property
    def svg(self):
        """The graph as currently drawn (SVG text)."""
        t = self._trace
        values = t.known | {key for key, _ in t.forward[:self.done_forward]}
        grads = {key for key, _ in t.backward[:self.done_backward]}
        return _graph_svg(t, values, grads, self.active)

    def static_html(self):
        return f"<div>{self.svg}{self._status_html()}</div>"

    def _status_html(self):
        t = self._trace
        kind = "todo" if self.message in (t.forward_error, t.backward_error) or \
            self.message.startswith(("finish ", "cannot ")) else "info"
        return _message_html(self.message, kind)

    def _retrace(self):
        self._trace = self._source.trace()

    def _draw(self):
        self.graph.value = self.svg
        self.status.value = self._status_html()

    def _on_tick(self, change):
        # Only Play's own ticks move forward; reset setting the value back to 0 does not.
        if change.new > change.old:
            self.next()


# ---- TrainingAnimator -------------------------------------------------------------------------

LEARNING_RATES = [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
BATCH_SIZES = ["full", 1, 10, 32]
DATASETS = [*datasets.BINARY, "regression"]
_DEFAULTS = {"dataset": "moons", "n": 200, "noise": None, "hidden": (16, 16), "activation": "tanh",
             "lr": 0.1, "batch": "full", "seed": 0, "speed": 1, "steps": 0, "hide": ()}
CONTROLS = ("play", "step", "reset", "dataset", "activation", "hidden", "lr", "batch", "seed", "speed")
_GRID = 64        # the decision-boundary image is _GRID x _GRID pixels, scaled up by the browser
_PANEL = 300      # each of the two panels is _PANEL x _PANEL pixels


def _parse_hidden(text):
    text = str(text).strip()
    if text in ("", "()", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").strip("()").split(",") if part)
    except ValueError:
        raise ValueError(f"hidden sizes {text!r} are not integers: write them like 16,16") from None
    if any(size < 1 for size in sizes):
        raise ValueError(f"hidden sizes must be positive, got {text!r}")
    return sizes


def parse_preset(preset):
    """A preset string "key=value&key=value" (an optional leading "#") -> settings dict.

    Keys: dataset, n, noise, hidden (16,16), activation, lr, batch (full or an int), seed,
    speed (updates per frame), steps (updates made before the first picture), hide (controls).
    """
    settings = {}
    for item in preset.lstrip("#").split("&"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"preset item {item!r} has no '=': write key=value, e.g. lr=0.3")
        if key not in _DEFAULTS:
            raise ValueError(f"unknown preset key {key!r}: use one of {', '.join(_DEFAULTS)}")
        try:
            if key == "hidden":
                value = _parse_hidden(value)
            elif key == "hide":
                value = tuple(part for part in value.split(",") if part)
            elif key == "noise":
                value = None if value == "default" else float(value)
            elif key == "lr":
                value = float(value)
            elif key == "batch":
                value = "full" if value == "full" else int(value)
            elif key in ("n", "seed", "speed", "steps"):
                value = int(value)
        except ValueError as err:
            if "hidden sizes" in str(err):
                raise
            raise ValueError(f"preset value {item!r} is not a valid {key}") from None
        settings[key] = value
    return settings


def _check_settings(s):
    if s["dataset"] not in DATASETS:
        raise ValueError(f"unknown dataset {s['dataset']!r}: choose one of {', '.join(DATASETS)}")
    if s["activation"] not in ACTIVATION_LAYERS:
        raise ValueError(f"unknown activation {s['activation']!r}: choose one of {sorted(ACTIVATION_LAYERS)}")
    if not s["lr"] > 0:
        raise ValueError(f"learning rate must be positive, got lr={s['lr']!r}")
    if s["batch"] != "full" and s["batch"] < 1:
        raise ValueError(f"batch must be 'full' or a positive size, got {s['batch']!r}")
    if s["n"] < 2 or s["speed"] < 1 or s["steps"] < 0:
        raise ValueError("n must be at least 2, speed at least 1 and steps at least 0")
    unknown = [name for name in s["hide"] if name not in CONTROLS]
    if unknown:
        raise ValueError(f"cannot hide {unknown[0]!r}: the controls are {', '.join(CONTROLS)}")


def _png_data_uri(rgb):
    """An (H, W, 3) float image in [0, 1] as a data: URI."""
    buffer = io.BytesIO()
    imsave(buffer, rgb, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class TrainingAnimator(_StaticHTML, widgets.VBox):
    """Gradient descent animated: the red/blue decision boundary (or a 1-D fit) beside the loss curve.

    ``TrainingAnimator(preset="dataset=xor&hidden=8&lr=0.3&hide=dataset,seed")`` restores a whole
    lecture state (see ``parse_preset``); keyword arguments override the preset. ``.preset`` is the
    current state as such a string, including how many steps were trained, so it reproduces the
    picture exactly.

    Each Play tick makes ``speed`` updates with ``train_steps`` and redraws once.
    """

    def __init__(self, preset="", **settings):
        super().__init__()
        self.settings = {**_DEFAULTS, **parse_preset(preset), **settings}
        hidden = self.settings["hidden"]
        self.settings["hidden"] = _parse_hidden(hidden if isinstance(hidden, str) else ",".join(map(str, hidden)))
        self.settings["hide"] = tuple(self.settings["hide"])
        _check_settings(self.settings)
        s = self.settings
        self.image = widgets.HTML()
        self.status = widgets.HTML()
        self.controls = {
            "play": widgets.Play(value=0, min=0, max=10**9, interval=60, show_repeat=False,
                                 description="play"),
            "step": widgets.Button(description="step", layout=widgets.Layout(width="auto")),
            "reset": widgets.Button(description="reset", layout=widgets.Layout(width="auto")),
            "dataset": widgets.Dropdown(options=DATASETS, value=s["dataset"], description="data",
                                        layout=widgets.Layout(width="190px")),
            "activation": widgets.Dropdown(options=sorted(ACTIVATION_LAYERS), value=s["activation"],
                                           description="activation", layout=widgets.Layout(width="190px")),
            "hidden": widgets.Text(value=",".join(map(str, s["hidden"])), description="hidden",
                                   continuous_update=False, layout=widgets.Layout(width="190px")),
            "lr": widgets.Dropdown(options=sorted({*LEARNING_RATES, s["lr"]}), value=s["lr"],
                                   description="lr", layout=widgets.Layout(width="190px")),
            "batch": widgets.Dropdown(options=BATCH_SIZES if s["batch"] in BATCH_SIZES
                                      else [*BATCH_SIZES, s["batch"]], value=s["batch"],
                                      description="batch", layout=widgets.Layout(width="190px")),
            "seed": widgets.BoundedIntText(value=s["seed"], min=0, max=2**31 - 1, description="seed",
                                           layout=widgets.Layout(width="190px")),
            "speed": widgets.IntSlider(value=s["speed"], min=1, max=50, description="steps/frame",
                                       layout=widgets.Layout(width="280px")),
        }
        for name in s["hide"]:
            self.controls[name].layout.display = "none"
        c = self.controls
        c["play"].observe(self._on_tick, "value")
        c["step"].on_click(lambda _: self.step(1))
        c["reset"].on_click(lambda _: self.restart())
        for name in ("dataset", "activation", "hidden", "batch", "seed", "speed", "lr"):
            c[name].observe(lambda change, name=name: self._on_setting(name, change.new), "value")
        self.children = [widgets.HBox([c["play"], c["step"], c["reset"], c["speed"]]),
                         widgets.HBox([c["dataset"], c["activation"], c["hidden"]]),
                         widgets.HBox([c["lr"], c["batch"], c["seed"]]),
                         self.image, self.status]
        self.restart(steps=s["steps"])

    # ---- state ------------------------------------------------------------------------------

    @property
    def preset(self):
        """The current state as a preset string (defaults left out), including the steps trained."""
        s = {**self.settings, "steps": self.step_count}
        parts = []
        for key, default in _DEFAULTS.items():
            value = s[key]
            if value == default:
                continue
            if key in ("hidden", "hide"):
                value = ",".join(map(str, value))
            parts.append(f"{key}={'default' if value is None else value}")
        return "&".join(parts)

    def restart(self, steps=0):
        """New data and a new model from the current settings, then ``steps`` updates."""
        s = self.settings
        self.controls["play"].playing = False
        if s["dataset"] == "regression":
            noise = {} if s["noise"] is None else {"noise": s["noise"]}
            self.X, self.y = datasets.regression_1d(s["n"], rng=s["seed"], **noise)
            out = "identity"
        else:
            self.X, self.y = datasets.make(s["dataset"], s["n"], s["noise"], rng=s["seed"])
            out = "sigmoid"
        self.model = MLP(self.X.shape[1], s["hidden"], 1, s["activation"], out, rng=s["seed"])
        self.optimizer = SGD(self.model, s["lr"])
        self._steps = None
        self.losses = []
        self.step_count = 0
        self.diverged = None
        self.todo = None
        # The picture's (horizontal, vertical) ranges: x1 and x2, or for regression x and y.
        shown = np.c_[self.X, self.y] if s["dataset"] == "regression" else self.X
        lo, hi = shown.min(axis=0), shown.max(axis=0)
        margin = 0.15 * (hi - lo) + 0.1
        self.bounds = (lo - margin, hi + margin)
        if s["dataset"] != "regression":
            self._grid = self._make_grid()
        self.step(steps)

    def step(self, count=1):
        """Make ``count`` gradient-descent updates (none after a divergence), then redraw once."""
        for _ in range(count):
            if self.diverged is not None:
                break
            try:
                if self._steps is None:
                    batch = None if self.settings["batch"] == "full" else self.settings["batch"]
                    self._steps = train_steps(self.model, self.X, self.y, optimizer=self.optimizer,
                                              batch_size=batch, rng=self.settings["seed"])
                # A too-large learning rate overflows on its way to inf; the status line says so.
                with np.errstate(all="ignore"):
                    loss = next(self._steps).loss
            except Exception as err:  # a stub or a bug in a student part: say which, never raise
                self._steps = None  # a generator that raised is finished: start anew once fixed
                self.todo = todo_message(err, "train the network")
                self.controls["play"].playing = False
                break
            self.todo = None
            self.step_count += 1
            self.losses.append(loss)
            if not np.isfinite(loss):
                self.diverged = self.step_count
                self.controls["play"].playing = False
        self._draw()

    # ---- drawing ----------------------------------------------------------------------------

    def _make_grid(self):
        (x0, y0), (x1, y1) = self.bounds
        xs = np.linspace(x0, x1, _GRID)
        ys = np.linspace(y1, y0, _GRID)  # top row of the image is the largest y
        gx, gy = np.meshgrid(xs, ys)
        return np.c_[gx.ravel(), gy.ravel()]

    def _to_panel(self, X, column=0):
        lo, hi = self.bounds[0][column], self.bounds[1][column]
        return (X - lo) / (hi - lo) * _PANEL

    def _picture(self):
        """The left panel's SVG elements: boundary image (or fit line) and the data points."""
        parts, s = [], self.settings
        if s["dataset"] == "regression":
            xs = np.linspace(self.bounds[0][0], self.bounds[1][0], 120)
            ylo, yhi = self.bounds[0][1], self.bounds[1][1]
            try:
                with np.errstate(all="ignore"):
                    fit = self.model.forward(xs[:, None])[:, 0]
            except Exception as err:  # a stub or a bug in a student part: say which, never raise
                self.todo = self.todo or todo_message(err, "see the fit")
                fit = None
            py = _PANEL - (self.y[:, 0] - ylo) / (yhi - ylo) * _PANEL
            px = self._to_panel(self.X[:, 0])
            parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="#555555"/>' for a, b in zip(px, py)]
            if fit is not None and np.all(np.isfinite(fit)):
                fy = np.clip(_PANEL - (fit - ylo) / (yhi - ylo) * _PANEL, -10, _PANEL + 10)
                points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(self._to_panel(xs), fy))
                parts.append(f'<polyline class="fit" points="{points}" fill="none" stroke="{_NEGATIVE}" '
                             'stroke-width="2.5"/>')
            return parts
        try:
            with np.errstate(all="ignore"):
                p = self.model.predict_proba(self._grid)[:, 0].reshape(_GRID, _GRID)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            self.todo = self.todo or todo_message(err, "see the decision boundary")
            p = None
        if p is not None:
            # Light red where p(red) is high, light blue where low, white on the boundary p = 0.5.
            rgb = 1.0 - 0.45 * (1.0 - colormaps["RdBu_r"](np.nan_to_num(p, nan=0.5))[..., :3])
            parts.append(f'<image class="boundary" x="0" y="0" width="{_PANEL}" height="{_PANEL}" '
                         f'preserveAspectRatio="none" href="{_png_data_uri(rgb)}"/>')
        px, py = self._to_panel(self.X[:, 0], 0), _PANEL - self._to_panel(self.X[:, 1], 1)
        colours = np.where(self.y == 1, _NEGATIVE, _POSITIVE)
        parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.2" fill="{c}" stroke="white" stroke-width="0.8"/>'
                  for a, b, c in zip(px, py, colours)]
        return parts

    def _loss_curve(self):
        """The right panel's SVG elements: the loss per step, on a scale from 0 to the largest loss."""
        finite = [v for v in self.losses if np.isfinite(v)]
        parts = [f'<rect x="0" y="0" width="{_PANEL}" height="{_PANEL}" fill="white" stroke="#cccccc"/>',
                 '<text x="6" y="14">loss</text>']
        if finite:
            top = max(finite) or 1.0
            step = max(1, len(finite) // _PANEL)
            shown = finite[::step]
            xs = np.linspace(0, _PANEL, len(shown)) if len(shown) > 1 else np.array([0.0])
            ys = _PANEL - 10 - np.asarray(shown) / top * (_PANEL - 30)
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
            parts += [f'<polyline class="loss" points="{points}" fill="none" stroke="#333333" stroke-width="1.5"/>',
                      f'<text x="{_PANEL - 6}" y="14" text-anchor="end">max {_f(top)}</text>']
        return parts

    @property
    def svg(self):
        """Both panels as one SVG string."""
        gap = 24
        return "".join([
            f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-training" width="{2 * _PANEL + gap}" '
            f'height="{_PANEL}" font-family="sans-serif" font-size="11">',
            f'<g class="picture"><rect x="0" y="0" width="{_PANEL}" height="{_PANEL}" fill="white" '
            'stroke="#cccccc"/>', *self._picture(), "</g>",
            f'<g class="curve" transform="translate({_PANEL + gap},0)">', *self._loss_curve(), "</g></svg>"])

    @property
    def message(self):
        if self.todo:
            return self.todo
        if self.diverged is not None:
            lr = self.settings["lr"]
            return (f"diverged at step {self.diverged}: the loss became {self.losses[-1]}; lr={lr:g} is "
                    f"too large, try lr={lr / 10:g} and press reset")
        if not self.losses:
            return "press play or step to train"
        return f"step {self.step_count}, loss {self.losses[-1]:.4f}"

    def static_html(self):
        return f"<div>{self.svg}{_message_html(self.message, 'todo' if self.todo else 'info')}</div>"

    def _draw(self):
        self.image.value = self.svg
        self.status.value = _message_html(self.message, "todo" if self.todo else "info")

    # ---- controls ---------------------------------------------------------------------------

    def _on_tick(self, change):
        if change.new > change.old:
            self.step(self.settings["speed"])

    def _on_setting(self, name, value):
        if name == "hidden":
            try:
                value = _parse_hidden(value)
            except ValueError as err:
                self.status.value = _message_html(str(err), "todo")
                return
        self.settings[name] = value
        if name == "lr":
            # The optimizer reads lr at each step: training goes on at the new rate.
            self.optimizer.lr = value
        elif name != "speed":
            self.restart()
