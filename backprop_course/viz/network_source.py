"""A small network unit by unit as a walkthrough source: nodes are units, edges are weights.

Used for lesson 1's slide network and for MLPs small enough to draw unit by unit; the graph is
built from the given library's Scalars, so the backward pass is that library's ``Scalar.backward``
(the student's in a lesson).
"""

import numpy as np

from .display import fmt, todo_message
from .predict import Factor, Path, Question
from .trace import Edge, Node, Trace

# Each activation as the Scalar method that applies it (None: the identity).
_SCALAR_ACTIVATIONS = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "identity": None}
_DERIVATIVE_TEXT = {"tanh": "(1 − h²)", "sigmoid": "h(1 − h)", "relu": "[a > 0]", "identity": "1"}
# The 1-2-2-1 network of lesson 1 (x = 2, t = 1, ReLU, no biases, L = ½(y − t)²). Weights are
# numbered as on the slide: w1 x→h1, w2 x→h2, w3 h1→h3, w4 h2→h3, w5 h1→h4, w6 h2→h4, w7 h3→y, w8 h4→y.
SLIDE_WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}
# The loss a unit-by-unit walkthrough computes for each MLP output activation (as LOSS_FOR_OUTPUT).
MLP_LOSS = {"identity": "mse", "sigmoid": "sigmoid", "softmax": "softmax"}
_LOSS_TEXT = {"half": ("L = ½(y − t)²", "y − t"), "mse": ("L = mean (y − t)²", "2(y − t)/K"),
              "sigmoid": ("L = log(1 + eʸ) − t·y", "σ(y) − t"), "softmax": ("L = log Σ eʸ − y_t", "p − onehot(t)")}


class NetworkSource:
    """A small network unit by unit (nodes are units, edges are weights), built from Scalars.

    weights[l] (in, out) as in Linear; biases None (the slide network has none) or biases[l] (out,);
    x (in,); target (out,) for regression, a 0/1 label for loss "sigmoid", a class for "softmax".
    loss: "half" ½(y − t)², "mse" (as MSELoss), "sigmoid" (as BCEWithLogitsLoss), "softmax".
    Names follow the slide: inputs x, units h1, h2, ... (pre-activations a1, a2, ...), outputs y,
    weights w1, w2, ... numbered unit by unit. ``model``, when given, receives every update in place.
    library: the ``library.Library`` whose ``graph.Scalar`` builds the graph.
    """

    def __init__(self, weights, biases, x, target, activation="relu", loss="half", model=None, *, library):
        if activation not in _SCALAR_ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {sorted(_SCALAR_ACTIVATIONS)}")
        self.weights = [np.array(W, dtype=float) for W in weights]
        self.biases = None if biases is None else [np.array(b, dtype=float) for b in biases]
        self.initial = ([W.copy() for W in self.weights],
                        None if biases is None else [b.copy() for b in self.biases])
        self.x = np.asarray(x, dtype=float).reshape(-1)
        self.target = np.asarray(target, dtype=float).reshape(-1)
        self.activation, self.loss, self.model, self.library = activation, loss, model, library
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
        Scalar = self.library.graph.Scalar
        activation = _SCALAR_ACTIVATIONS[self.activation]
        t = Trace(edge_labels=max(W.size for W in self.weights) <= 4)
        n_in, n_out = self.weights[0].shape[0], self.weights[-1].shape[1]
        names = ["x"] if n_in == 1 else [f"x{i + 1}" for i in range(n_in)]
        acts = [Scalar(v, label=name) for v, name in zip(self.x, names)]
        for i, name in enumerate(names):
            t.nodes.append(Node(name, 0, i, name, fmt(self.x[i])))
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
                    t.edges.append(Edge(("w", l, i, j), names[i], name, W[i, j], f"w{weight}",
                                         f"w{weight} {fmt(W[i, j])}"))
                    terms.append(ws[i][j] * acts[i])
                a = terms[0]
                for term in terms[1:]:
                    a = a + term
                sums = " + ".join(f"w{ws[i][j].label[1:]}·{names[i]}" for i in range(W.shape[0]))
                numbers = " + ".join(f"{fmt(ws[i][j].value)}·{fmt(acts[i].value)}" for i in range(W.shape[0]))
                if self.biases is not None:
                    bs.append(Scalar(self.biases[l - 1][j], label=f"b({name})"))
                    a = a + bs[-1]
                    sums, numbers = f"{sums} + b", f"{numbers} + {fmt(bs[-1].value)}"
                h = a if last or activation is None else getattr(a, activation)()
                text = f"{pre} = {sums} = {numbers} = {fmt(a.value)}"
                if last:
                    value = fmt(a.value)
                else:
                    text += f";  {name} = {self.activation}({pre}) = {fmt(h.value)}"
                    value = f"{pre} {fmt(a.value)}  {name} {fmt(h.value)}"
                t.nodes.append(Node(name, l, j, name, value))
                t.forward.append((name, text))
                layer_units.append((name, pre, a, h))
            self.scalars.append((ws, bs))
            self.units.append(layer_units)
            acts, names = [u[3] for u in layer_units], [u[0] for u in layer_units]
        loss = self._loss(acts)
        formula, grad_formula = _LOSS_TEXT[self.loss]
        t.loss = loss.value
        t.nodes.append(Node("L", len(self.weights) + 1, 0, "L", fmt(loss.value)))
        for name in names:
            t.edges.append(Edge((name, "L"), name, "L"))
        targets = ", ".join(fmt(v) for v in self.target)
        t.forward.append(("L", f"{formula} with t = {targets}: L = {fmt(loss.value)}"))
        try:
            loss.backward()
            t.backward = self._backward_events(t, grad_formula)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            t.backward_error = todo_message(err, "step backward")
        return t

    def _backward_events(self, t, grad_formula):
        """Unit by unit from the output: each dL/dh as a sum over outgoing weights, then its weights.
        Fills ``t.questions``: what each step asks a student to predict (see ``predict``)."""
        nodes = {n.key: n for n in t.nodes}
        edges = {e.key: e for e in t.edges}
        events = [("L", "∂L/∂L = 1")]
        nodes["L"].grad = "∂ 1"
        derivative = _DERIVATIVE_TEXT[self.activation]

        def ask(question):
            t.questions[len(events)] = question

        def upstream(unit, last):
            """The factor ∂L/∂(pre-activation) of ``unit``, which a student may take from h instead."""
            name, pre, a, h = unit
            instead = () if last else ((f"∂L/∂{name}", h.grad, f"∂L/∂{pre} = ∂L/∂{name}·{derivative} "
                                                             f"includes the activation's derivative"),)
            return Factor(f"∂L/∂{pre}", a.grad, instead)

        for l in range(len(self.units), 0, -1):
            last = l == len(self.units)
            for j, (name, pre, a, h) in enumerate(self.units[l - 1]):
                if last:
                    nodes[name].grad = f"∂ {fmt(a.grad)}"
                    ask(Question(f"∂L/∂{name}", name, given=a.grad, slips=self._loss_slips(a.value, j)))
                    events.append((name, f"∂L/∂{name} = {grad_formula} = {fmt(a.grad)}"))
                    continue
                out_ws = self.scalars[l][0][j]
                nexts = self.units[l]
                factors = " + ".join(f"∂L/∂{n_pre}·{w.label}" for (_, n_pre, _, _), w in zip(nexts, out_ws))
                products = " + ".join(f"{fmt(n_a.grad)}×{fmt(w.value)}" for (_, _, n_a, _), w in zip(nexts, out_ws))
                local = h.local_grads()[0] if h is not a else 1.0
                nodes[name].grad = f"∂{name} {fmt(h.grad)}  ∂{pre} {fmt(a.grad)}"
                swap = f"the local derivative of w·{name} with respect to {name} is the weight w"
                ask(Question(f"∂L/∂{name}", name, tuple(
                    Path(unit[1], (upstream(unit, l + 1 == len(self.units)),
                                   Factor(w.label, w.value, ((name, h.value, swap),))))
                    for unit, w in zip(nexts, out_ws))))
                events.append((name, f"∂L/∂{name} = {factors} = {products} = {fmt(h.grad)};  "
                                     f"∂L/∂{pre} = ∂L/∂{name}·{derivative} = "
                                     f"{fmt(h.grad)}×{fmt(local)} = {fmt(a.grad)}"))
            prev = ([("x" if len(self.x) == 1 else f"x{i + 1}", v) for i, v in enumerate(self.x)]
                    if l == 1 else [(u[0], u[3].value) for u in self.units[l - 2]])
            ws = self.scalars[l - 1][0]
            for j, unit in enumerate(self.units[l - 1]):
                name, pre, a, _ = unit
                for i, (source, value) in enumerate(prev):
                    w = ws[i][j]
                    edges[("w", l, i, j)].grad = f"∂ {fmt(w.grad)}"
                    swap = (w.label, w.value, f"the local derivative of {w.label}·{source} with respect to "
                                              f"{w.label} is the input {source}")
                    ask(Question(f"∂L/∂{w.label}", w.label,
                                 (Path(pre, (upstream(unit, last), Factor(source, value, (swap,)))),)))
                    events.append((("w", l, i, j), f"∂L/∂{w.label} = ∂L/∂{pre}·{source} = "
                                                   f"{fmt(a.grad)}×{fmt(value)} = {fmt(w.grad)}"))
        return events

    def _loss_slips(self, y, j):
        """The loss derivative's usual slips, for ½(y − t)² (the others' derivatives are given)."""
        if self.loss != "half":
            return ()
        t = float(self.target[j])
        return (("t − y", t - y, "the derivative of ½(y − t)² with respect to y is y − t"),
                ("2(y − t)", 2 * (y - t), "the ½ in L cancels the 2 of the square: ∂L/∂y = y − t"))


def slide_source(x=2.0, target=1.0, weights=None, activation="relu", *, library):
    """Lesson 1's 1-2-2-1 network as a NetworkSource drawn with ``library`` (a ``library.Library``);
    ``weights`` overrides any of ``SLIDE_WEIGHTS``."""
    values = dict(SLIDE_WEIGHTS)
    unknown = sorted(set(weights or {}) - set(values))
    if unknown:
        raise ValueError(f"unknown weight name {unknown[0]!r}: use names from {sorted(values)}")
    values.update(weights or {})
    w = [values[f"w{k}"] for k in range(1, 9)]
    Ws = [np.array([[w[0], w[1]]]), np.array([[w[2], w[4]], [w[3], w[5]]]), np.array([[w[6]], [w[7]]])]
    return NetworkSource(Ws, None, [x], [target], activation, "half", library=library)
