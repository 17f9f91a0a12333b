"""The misconception catalogue names planted bugs, and stays silent on correct code.

Every catalogue entry has a planted bug below: buggy code written here, independently of the
entry's own formula (a buggy subclass of the reference class where there is one), run on the
inputs a check would use, with the expected value from the reference library. The test asserts
that name_misconception names the entry's key; correct alternative implementations (einsum,
np.dot, in-place writes, other stable formulas) must get no message at all.
"""

import copy
from pathlib import Path
from dataclasses import dataclass

import numpy as np
import pytest

from backprop_course.gradcheck import rel_error
from backprop_course.misconceptions import (CATALOG, TASKS, Finding, audit, entries_for, name_across,
                                            name_misconception, structure)
from backprop_course.misconceptions.structural import agree
from helpers.reference_library import reference_module

layers = reference_module("layers")
losses = reference_module("losses")
graph = reference_module("graph")
mlp = reference_module("mlp")
optim = reference_module("optim")
from backprop_course import network  # noqa: E402
from helpers.scalar_backward_bugs import GivenReset, Overwrites


@dataclass
class Planted:
    task: str
    quantity: str
    key: str
    got: object
    expected: object
    inputs: dict
    bar: float = 1e-12


RNG = np.random.default_rng(11)
# N = 3 samples, 4 inputs, 2 outputs: mean, sum and transposes all differ.
X = RNG.normal(size=(3, 4))
W = RNG.normal(size=(4, 2))
B = RNG.normal(size=2)
G = RNG.normal(size=(3, 2))


def linear(cls=layers.Linear, W=W, b=B):
    layer = cls(W.shape[0], W.shape[1])
    layer.params["W"], layer.params["b"] = W.copy(), b.copy()
    return layer


# ---- lesson 1 -----------------------------------------------------------------------------------

WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}
VALUES = {"a1": 1.0, "h1": 1.0, "a2": 3.0, "h2": 3.0, "a3": 0.25, "h3": 0.25, "a4": 2.0, "h4": 2.0,
          "y": -0.5, "L": 1.125}
GRADS = {"dL/dy": -1.5, "dL/dh3": -3.0, "dL/dh4": 0.75, "dL/dh1": -3.75, "dL/dh2": 1.5,
         "dL/dw1": -7.5, "dL/dw2": 3.0, "dL/dw3": -3.0, "dL/dw4": -9.0, "dL/dw5": 0.75,
         "dL/dw6": 2.25, "dL/dw7": -0.375, "dL/dw8": -3.0}
HAND = {"weights": WEIGHTS, "values": VALUES, "grads": GRADS, "x": 2.0, "t": 1.0}


def lesson_1_hand():
    t1, t2 = "Lesson 1, task 1 (graded)", "Lesson 1, task 2 (graded)"
    forward = [("L", "loss-without-half", 2.25), ("L", "loss-not-squared", -0.75),
               ("a3", "weight-sign-dropped", 1.75), ("a4", "weight-sign-dropped", 4.0),
               ("y", "weight-sign-dropped", 1.5), ("a3", "edges-swapped", -2.0),
               ("a4", "edges-swapped", 2.75)]
    backward = [("dL/dy", "dLdy-sign", 1.5), ("dL/dy", "dLdy-factor-2", -3.0),
                ("dL/dw7", "weight-instead-of-input", -3.0), ("dL/dw8", "weight-instead-of-input", 0.75),
                ("dL/dw4", "weight-instead-of-input", 0.75), ("dL/dw5", "weight-instead-of-input", -0.75),
                ("dL/dw6", "weight-instead-of-input", 0.75), ("dL/dw1", "weight-instead-of-input", -1.875),
                ("dL/dw2", "weight-instead-of-input", 2.25), ("dL/dh1", "one-path-only", -3.0),
                ("dL/dh1", "one-path-only", -0.75), ("dL/dh2", "one-path-only", 0.75),
                ("dL/dh3", "local-derivative-missing", -1.5), ("dL/dh4", "local-derivative-missing", -1.5),
                ("dL/dh1", "local-derivative-missing", -2.25), ("dL/dh2", "local-derivative-missing", -2.25)]
    return ([Planted(t1, q, key, got, VALUES[q], HAND, 1e-3) for q, key, got in forward]
            + [Planted(t2, q, key, got, GRADS[q], HAND, 1e-3) for q, key, got in backward])


POINTS = [(0.7, -1.3), (2.5, 0.4), (1.1, 3.0)]


def local_grads(expression, n=3):
    """The reference engine's local derivatives at each point: shape (P, k)."""
    rows = []
    for a, b in POINTS:
        node = expression(graph.Scalar(a), graph.Scalar(b), n)
        rows.append(list(node.local_grads()))
    return np.array(rows)


def lesson_1_local():
    import math
    sig = lambda a: 1 / (1 + math.exp(-a))
    ops = {"a * b": lambda a, b, n: a * b, "a - b": lambda a, b, n: a - b, "a / b": lambda a, b, n: a / b,
           "a ** n": lambda a, b, n: a ** n, "-a": lambda a, b, n: -a, "exp(a)": lambda a, b, n: a.exp(),
           "log(a)": lambda a, b, n: a.log(), "tanh(a)": lambda a, b, n: a.tanh(),
           "sigmoid(a)": lambda a, b, n: a.sigmoid(), "relu(a)": lambda a, b, n: a.relu()}
    # Buggy local derivatives, one function of a point (a, b) each.
    bugs = [("a * b", "product-swapped", lambda a, b: [a, b]), ("a * b", "product-as-sum", lambda a, b: [1, 1]),
            ("a - b", "difference-sign", lambda a, b: [1, 1]),
            ("a / b", "quotient-sign", lambda a, b: [1 / b, a / (b * b)]),
            ("a / b", "quotient-without-a", lambda a, b: [1 / b, -1 / (b * b)]),
            ("a ** n", "power-not-lowered", lambda a, b: [3 * a ** 3]),
            ("a ** n", "power-without-n", lambda a, b: [a * a]), ("-a", "negation-sign", lambda a, b: [1]),
            ("exp(a)", "exp-power-rule", lambda a, b: [a * math.exp(a - 1)]),
            ("exp(a)", "exp-derivative-is-input", lambda a, b: [a]),
            ("log(a)", "log-from-output", lambda a, b: [1 / math.log(a)]),
            ("tanh(a)", "tanh-one-minus-out", lambda a, b: [1 - math.tanh(a)]),
            ("tanh(a)", "tanh-from-input", lambda a, b: [1 - a * a]),
            ("sigmoid(a)", "sigmoid-from-input", lambda a, b: [a * (1 - a)]),
            ("sigmoid(a)", "sigmoid-derivative-sign", lambda a, b: [-sig(a) * (1 - sig(a))]),
            ("relu(a)", "relu-value-not-slope", lambda a, b: [max(a, 0)])]
    a, b = np.array(POINTS).T
    out = {"exp(a)": np.exp(a), "tanh(a)": np.tanh(a), "sigmoid(a)": 1 / (1 + np.exp(-a))}
    cases = []
    for quantity, key, bug in bugs:
        inputs = {"a": a, "b": b, "n": 3, "out": out.get(quantity, a)}
        got = [bug(p, q) for p, q in POINTS]
        cases.append(Planted("Lesson 1, task 3 (graded)", quantity, key, got, local_grads(ops[quantity]), inputs))
    # relu at the kink: the check's single point a = 0, got (1,) where (0,) is expected.
    cases.append(Planted("Lesson 1, task 3", "relu(a)", "relu-kink-one", [1.0], [0.0], {"a": 0.0}, 0.0))
    return cases


def graded_graph(cls):
    """The graded check's graph (a node used twice, a node feeding three) from Scalar class cls."""
    def node(label, parents=(), local=()):
        return cls(0.0, parents, op="f", label=label, local_grads=lambda: tuple(local))
    a, b, c = node("a"), node("b"), node("c")
    u = node("u", (a, b), (1.5, -2.0))
    v = node("v", (u, a, c), (0.25, 3.0, -1.0))
    s = node("s", (u, u), (2.0, -0.5))
    return node("L", (v, s, b), (-1.0, 4.0, 0.5))


def graph_inputs(root):
    order = root.topological_order()
    edges = {n.label: list(zip([p.label for p in n.parents], n.local_grads())) for n in order}
    return order, {"nodes": [n.label for n in order], "edges": edges}


class ForwardOrder(GivenReset):
    def sweep(self, order):
        for node in order:
            for parent, local in zip(node.parents, node.local_grads()):
                parent.grad += local * node.grad


class NoUpstream(GivenReset):
    def sweep(self, order):
        for i in range(len(order) - 1, -1, -1):
            for parent, local in zip(order[i].parents, order[i].local_grads()):
                parent.grad = parent.grad + local


class NoLocal(GivenReset):
    def sweep(self, order):
        for node in order[::-1]:
            for parent in node.parents:
                parent.grad += node.grad


def lesson_1_backward():
    expected_order, inputs = graph_inputs(graded_graph(graph.Scalar))
    root = expected_order[-1]
    root.backward()
    expected = [n.grad for n in expected_order]
    cases = []
    for cls, key in [(Overwrites, "backward-overwrites"), (ForwardOrder, "backward-forward-order"),
                     (NoUpstream, "backward-without-upstream"), (NoLocal, "backward-without-local")]:
        order, _ = graph_inputs(graded_graph(cls))
        order[-1].backward()
        cases.append(Planted("Lesson 1, task 4 (graded)", "node gradients", key, [n.grad for n in order],
                             expected, inputs))
    return cases


# ---- lesson 2 -----------------------------------------------------------------------------------

def bug_class(base, **methods):
    return type(f"Buggy{base.__name__}", (base,), methods)


def lesson_2():
    ref = linear()
    out = ref.forward(X)
    ref.param_backward(G)
    dW, db = ref.grads["W"].copy(), ref.grads["b"].copy()
    dx = ref.backward(G)
    forward_bugs = {
        "forward-without-bias": lambda self, x: np.dot(x, self.params["W"]),
        "forward-bias-subtracted": lambda self, x: x @ self.params["W"] - self.params["b"],
        "forward-with-activation": lambda self, x: (x @ self.params["W"] + self.params["b"]).clip(min=0),
        "forward-bias-summed": lambda self, x: x @ self.params["W"] + self.params["b"].sum(),
    }
    cases = [Planted("Lesson 2, task 1", "out", key, linear(bug_class(layers.Linear, forward=bug)).forward(X),
                     out, {"x": X, "W": W, "b": B}) for key, bug in forward_bugs.items()]

    def db_mean(self, g):
        self.grads["W"] = self.cache.T @ g
        self.grads["b"] = g.sum(axis=0) / len(g)

    def db_sum_all(self, g):
        self.grads["W"], self.grads["b"] = self.cache.T @ g, np.array(g.sum())

    def db_axis(self, g):
        self.grads["W"], self.grads["b"] = self.cache.T @ g, g.sum(axis=1)

    def accumulates(self, g):
        self.grads["W"] += self.cache.T @ g
        self.grads["b"] += g.sum(axis=0)

    def dW_over_N(self, g):
        self.grads["W"], self.grads["b"] = np.dot(self.cache.T, g) / g.shape[0], g.sum(axis=0)

    def dW_T(self, g):
        self.grads["W"], self.grads["b"] = g.T @ self.cache, g.sum(axis=0)

    def dW_sums_first(self, g):
        self.grads["W"], self.grads["b"] = np.outer(self.cache.sum(axis=0), g.sum(axis=0)), g.sum(axis=0)

    io = {"x": X, "grad_out": G}
    for key, bug, quantity, expected in [("db-mean", db_mean, "dL/db", db), ("db-sum-all", db_sum_all, "dL/db", db),
                                         ("db-wrong-axis", db_axis, "dL/db", db),
                                         ("dW-divided-by-N", dW_over_N, "dL/dW", dW),
                                         ("dW-transposed", dW_T, "dL/dW", dW),
                                         ("dW-sums-before-product", dW_sums_first, "dL/dW", dW)]:
        layer = linear(bug_class(layers.Linear, param_backward=bug))
        layer.cache = X
        layer.param_backward(G)
        cases.append(Planted("Lesson 2, task 2", quantity, key, layer.grads[quantity[-1]], expected, io))
    layer = linear(bug_class(layers.Linear, param_backward=accumulates))
    layer.cache = X
    layer.param_backward(G)
    layer.param_backward(G)
    for quantity, expected in [("dL/dW", dW), ("dL/db", db)]:
        cases.append(Planted("Lesson 2, task 2", quantity, "grads-accumulated", layer.grads[quantity[-1]],
                             expected, {**io, "calls": 2}))

    # dx without the transpose needs a square W to run at all.
    square = RNG.normal(size=(2, 2))
    sq = linear(W=square)
    sq.cache = G
    sq_dx = sq.backward(G)
    no_T = linear(bug_class(layers.Linear, backward=lambda self, g: g @ self.params["W"]), W=square)
    cases.append(Planted("Lesson 2, task 3", "dL/dx", "dx-without-transpose", no_T.backward(G), sq_dx,
                         {"W": square, "grad_out": G}))
    # grad_out * W broadcasts for a batch of 1: (1, out) * (in, out) is (in, out).
    one = linear(bug_class(layers.Linear, backward=lambda self, g: g * self.params["W"]))
    cases.append(Planted("Lesson 2, task 3", "dL/dx", "dx-elementwise", one.backward(G[:1]), G[:1] @ W.T,
                         {"W": W, "grad_out": G[:1]}))
    for key, bug in [("dx-transposed", lambda self, g: self.params["W"] @ g.T),
                     ("dx-divided-by-N", lambda self, g: np.dot(g, self.params["W"].T) / g.shape[0])]:
        layer = linear(bug_class(layers.Linear, backward=bug))
        cases.append(Planted("Lesson 2, task 3", "dL/dx", key, layer.backward(G), dx, {"W": W, "grad_out": G}))
    return cases


# ---- lesson 3 -----------------------------------------------------------------------------------

XS = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
HUGE = np.array([-1000.0, -40.0, 40.0, 1000.0])


def lesson_3():
    relu_out, sig_out, tanh_out = layers.relu(XS), layers.sigmoid(XS), layers.tanh(XS)
    cases = []
    with np.errstate(all="ignore"):
        functions = [
            ("Lesson 3, task 1", "relu(x)", "relu-abs", XS, np.where(XS < 0, -XS, XS), relu_out),
            ("Lesson 3, task 1", "relu(x)", "relu-min", XS, np.where(XS < 0, XS, 0.0), relu_out),
            ("Lesson 3, task 1", "relu(x)", "relu-step", XS, np.heaviside(XS, 0.0), relu_out),
            ("Lesson 3, task 2", "sigmoid(x)", "sigmoid-sign-flipped", XS, np.exp(-XS) / (1 + np.exp(-XS)), sig_out),
            ("Lesson 3, task 2", "sigmoid(x)", "sigmoid-naive-overflow", HUGE,
             [np.exp(v) / (np.exp(v) + 1) for v in HUGE], layers.sigmoid(HUGE)),
            ("Lesson 3, task 2", "sigmoid(x)", "sigmoid-double-argument", XS, (np.tanh(XS) + 1) / 2, sig_out),
            ("Lesson 3, task 3", "tanh(x)", "tanh-naive-overflow", HUGE,
             (np.exp(HUGE) - np.exp(-HUGE)) / (np.exp(HUGE) + np.exp(-HUGE)), layers.tanh(HUGE)),
            ("Lesson 3, task 3", "tanh(x)", "tanh-naive-overflow", HUGE,
             np.expm1(2 * HUGE) / (np.exp(2 * HUGE) + 1), layers.tanh(HUGE)),
            ("Lesson 3, task 3", "tanh(x)", "tanh-is-sigmoid", XS, 0.5 * np.tanh(XS / 2) + 0.5, tanh_out),
            ("Lesson 3, task 3", "tanh(x)", "tanh-half-argument", XS, np.tanh(XS / 2), tanh_out),
        ]
    for task, quantity, key, x, got, expected in functions:
        cases.append(Planted(task, quantity, key, got, expected, {"x": x}, 1e-9))
    derivatives = [
        ("Lesson 3, task 1", "relu_derivative(out)", "relu-derivative-value", relu_out, relu_out.copy(),
         layers.relu_derivative(relu_out)),
        ("Lesson 3, task 1", "relu_derivative(out)", "relu-kink-one", relu_out, np.ones(5),
         layers.relu_derivative(relu_out)),
        ("Lesson 3, task 2", "sigmoid_derivative(out)", "derivative-from-input", sig_out,
         layers.sigmoid(sig_out) * layers.sigmoid(-sig_out), layers.sigmoid_derivative(sig_out)),
        ("Lesson 3, task 2", "sigmoid_derivative(out)", "sigmoid-derivative-sign", sig_out,
         sig_out ** 2 - sig_out, layers.sigmoid_derivative(sig_out)),
        ("Lesson 3, task 2", "sigmoid_derivative(out)", "sigmoid-derivative-is-tanh", sig_out,
         (1 - sig_out) * (1 + sig_out), layers.sigmoid_derivative(sig_out)),
        ("Lesson 3, task 2", "sigmoid_derivative(out)", "sigmoid-derivative-one-minus-out", sig_out,
         np.subtract(1, sig_out), layers.sigmoid_derivative(sig_out)),
        ("Lesson 3, task 3", "tanh_derivative(out)", "tanh-one-minus-out", tanh_out, 1.0 - tanh_out,
         layers.tanh_derivative(tanh_out)),
        ("Lesson 3, task 3", "tanh_derivative(out)", "derivative-from-input", tanh_out,
         1 / np.cosh(tanh_out) ** 2, layers.tanh_derivative(tanh_out)),
        ("Lesson 3, task 3", "tanh_derivative(out)", "tanh-derivative-sign", tanh_out,
         (tanh_out - 1) * (tanh_out + 1), layers.tanh_derivative(tanh_out)),
        ("Lesson 3, task 3", "tanh_derivative(out)", "tanh-derivative-is-sigmoid", tanh_out,
         tanh_out - tanh_out ** 2, layers.tanh_derivative(tanh_out)),
    ]
    for task, quantity, key, out, got, expected in derivatives:
        cases.append(Planted(task, quantity, key, got, expected, {"out": out}, 1e-9))
    return cases


# ---- lesson 4 -----------------------------------------------------------------------------------

def loss_case(loss_class, scores, y, **bugs):
    """(loss, dL/dscores) of the reference and of a subclass with the given methods replaced."""
    ref = loss_class()
    value = ref.forward(scores, y)
    grad = ref.backward()
    bug = bug_class(loss_class, **bugs)()
    with np.errstate(all="ignore"):
        got_value = bug.forward(scores, y)
        got_grad = bug.backward()
    return (got_value, value), (got_grad, grad)


def lesson_4():
    cases = []
    S2 = RNG.normal(size=(3, 2))
    Y2 = RNG.normal(size=(3, 2))
    io = {"scores": S2, "y": Y2}

    def mse(forward=lambda d: float(np.mean(d * d)), backward=lambda d: 2 * d / d.size):
        def fwd(self, s, y):
            self.cache = s - y
            return forward(self.cache)
        return loss_case(losses.MSELoss, S2, Y2, forward=fwd, backward=lambda self: backward(self.cache))

    for key, f in [("mse-summed", lambda d: float((d ** 2).sum())),
                   ("mse-half", lambda d: float(np.mean(d * d) / 2)),
                   ("mse-root", lambda d: float(np.sqrt(np.mean(d * d)))),
                   ("mse-per-row", lambda d: float((d * d).sum() / len(d)))]:
        (got, expected), _ = mse(forward=f)
        cases.append(Planted("Lesson 4, task 1", "loss", key, got, expected, io, 1e-10))
    for key, f in [("mse-grad-without-2", lambda d: d / d.size), ("mse-grad-summed", lambda d: 2 * d),
                   ("mse-grad-sign", lambda d: -2 * d / d.size), ("mse-per-row", lambda d: 2 * d / d.shape[0])]:
        _, (got, expected) = mse(backward=f)
        cases.append(Planted("Lesson 4, task 1", "dL/dscores", key, got, expected, io, 1e-10))

    # Scores (N, 1) against targets (N,) flattened: every score minus every target.
    column, targets = RNG.normal(size=(4, 1)), RNG.normal(size=4)
    right = losses.MSELoss()
    right_value = right.forward(column, targets)
    right_grad = right.backward()
    paired = column - targets
    cases.append(Planted("Lesson 4, task 1", "loss", "mse-broadcast", float(np.mean(paired ** 2)), right_value,
                         {"scores": column, "y": targets}, 1e-10))
    cases.append(Planted("Lesson 4, task 1", "dL/dscores", "mse-broadcast", 2 * paired / paired.size, right_grad,
                         {"scores": column, "y": targets}, 1e-10))

    # Binary: huge scores for the naive loss, ordinary ones otherwise.
    s1, y1 = RNG.normal(size=4), np.array([0.0, 1.0, 1.0, 0.0])
    huge, yh = np.array([1e4, -1e4, 1e4, 3.0]), np.array([0.0, 1.0, 1.0, 0.0])
    probs1 = layers.sigmoid(s1)

    def bce_forward(formula):
        def forward(self, s, y):
            self.cache = s, y
            return float(formula(s, y))
        return forward

    def naive(s, y):  # another naive form than the catalogue's: log(e^-s / (1 + e^-s)) for log(1 - p)
        return np.mean(-(y * np.log(1 / (1 + np.exp(-s))) + (1 - y) * np.log(np.exp(-s) / (1 + np.exp(-s)))))
    for key, s, y, formula in [("bce-naive-overflow", huge, yh, naive),
                               ("bce-summed", s1, y1, lambda s, y: np.sum(np.log1p(np.exp(s)) - y * s)),
                               ("bce-sign", s1, y1, lambda s, y: np.mean(y * s - np.log(1 + np.exp(s)))),
                               ("bce-sigmoid-twice", s1, y1, lambda s, y: np.mean(
                                   np.log(1 + np.exp(layers.sigmoid(s))) - y * layers.sigmoid(s)))]:
        (got, expected), _ = loss_case(losses.BCEWithLogitsLoss, s, y, forward=bce_forward(formula))
        cases.append(Planted("Lesson 4, task 2", "loss", key, got, expected, {"scores": s, "y": y}, 1e-10))
    for key, formula in [("bce-grad-not-divided", lambda s, y: layers.sigmoid(s) - y),
                         ("bce-grad-sign", lambda s, y: (y - layers.sigmoid(s)) / len(s)),
                         ("bce-grad-without-sigmoid", lambda s, y: (s - y) / len(s)),
                         ("bce-sigmoid-twice", lambda s, y: (layers.sigmoid(layers.sigmoid(s)) - y) / len(s))]:
        _, (got, expected) = loss_case(losses.BCEWithLogitsLoss, s1, y1,
                                       backward=lambda self, f=formula: f(*self.cache))
        cases.append(Planted("Lesson 4, task 2", "dL/dscores", key, got, expected,
                             {"scores": s1, "y": y1, "probs": probs1}, 1e-10))

    # Classes: log_softmax on ordinary and huge scores.
    S3 = RNG.normal(size=(3, 4)) * 2
    y3 = np.array([2, 0, 3])
    big = np.array([[1000.0, 0.0, 5.0], [-1000.0, 0.0, 1.0]])
    huge_rows = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    with np.errstate(all="ignore"):
        log_softmax_bugs = [
            ("log-softmax-naive-overflow", big, np.log(np.exp(big) / np.exp(big).sum(axis=1)[:, None])),
            ("log-softmax-wrong-axis", S3, S3 - np.log(np.sum(np.exp(S3), axis=0))),
            ("log-softmax-returns-softmax", S3, np.exp(losses.log_softmax(S3))),
            ("log-softmax-without-normaliser", S3, S3 - S3.max(axis=1)[:, None]),
            ("log-softmax-global-max", huge_rows, (huge_rows - huge_rows.max())
             - np.log(np.exp(huge_rows - huge_rows.max()).sum(axis=1, keepdims=True))),
        ]
    for key, s, got in log_softmax_bugs:
        cases.append(Planted("Lesson 4, task 3", "log_softmax", key, got, losses.log_softmax(s), {"scores": s},
                             1e-10))

    def ce_forward(formula):
        def forward(self, s, y):
            self.cache = np.exp(losses.log_softmax(s)), y
            return float(formula(s, y))
        return forward

    huge3 = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1.0, 2.0, 0.5]])
    yh3 = np.array([1, 0, 2])
    rows3 = np.arange(3)
    for key, s, y, formula in [
            ("ce-naive-overflow", huge3, yh3,
             lambda s, y: -np.mean(np.log(np.exp(s[rows3, y]) / np.exp(s).sum(axis=1)))),
            ("ce-summed", S3, y3, lambda s, y: -losses.log_softmax(s)[rows3, y].sum()),
            ("ce-sign", S3, y3, lambda s, y: np.mean(losses.log_softmax(s)[rows3, y])),
            ("log-softmax-global-max", huge3 - np.array([[0.0], [0.0], [1e4]]), yh3,
             lambda s, y: -np.mean(((s - s.max()) - np.log(np.exp(s - s.max()).sum(axis=1, keepdims=True)))[rows3, y])),
            ("ce-label-columns", S3, y3, lambda s, y: -np.mean(losses.log_softmax(s)[:, y])),
            ("ce-softmax-twice", S3, y3,
             lambda s, y: -np.mean(losses.log_softmax(np.exp(losses.log_softmax(s)))[rows3, y]))]:
        (got, expected), _ = loss_case(losses.SoftmaxCrossEntropyLoss, s, y, forward=ce_forward(formula))
        cases.append(Planted("Lesson 4, task 3", "loss", key, got, expected, {"scores": s, "y": y}, 1e-10))
    probs3 = np.exp(losses.log_softmax(S3))
    eye = np.eye(4)[y3]
    for key, formula in [("softmax-grad-without-onehot", lambda p, y: p / len(y)),
                         ("softmax-grad-not-divided", lambda p, y: p - eye),
                         ("softmax-grad-sign", lambda p, y: (eye - p) / 3),
                         ("ce-softmax-twice", lambda p, y: (np.exp(losses.log_softmax(p)) - eye) / 3),
                         ("softmax-grad-label-columns", lambda p, y: (p - np.isin(np.arange(4), y)) / 3),
                         ("softmax-grad-divided-by-size", lambda p, y: (p - eye) / p.size),
                         ("softmax-grad-true-class-only", lambda p, y: eye * (p - 1) / 3)]:
        _, (got, expected) = loss_case(losses.SoftmaxCrossEntropyLoss, S3, y3,
                                       backward=lambda self, f=formula: f(*self.cache))
        cases.append(Planted("Lesson 4, task 3", "dL/dscores", key, got, expected,
                             {"scores": S3, "y": y3, "probs": probs3}, 1e-10))

    # The derivations by hand (lesson 4's graded inputs: s = 0.5, y = 2 in a batch of 4; s = ln 3, y = 1).
    mse_hand, bce_hand = {"s": 0.5, "y": 2.0, "n": 4}, {"s": float(np.log(3.0)), "y": 1, "n": 4}
    for quantity, key, got, expected, inputs in [
            ("dl/ds by hand", "hand-mse-without-2", -1.5, -3.0, mse_hand),
            ("dL/ds in the batch by hand", "hand-mse-without-2", -0.375, -0.75, mse_hand),
            ("dl/ds by hand", "hand-mse-sign", 3.0, -3.0, mse_hand),
            ("dL/ds in the batch by hand", "hand-mse-sign", 0.75, -0.75, mse_hand),
            ("dl/ds by hand", "hand-mse-averaged", -0.75, -3.0, mse_hand),
            ("dL/ds in the batch by hand", "hand-mse-batch-not-averaged", -3.0, -0.75, mse_hand),
            ("p by hand", "hand-sigmoid-mirrored", 0.25, 0.75, bce_hand),
            ("dl/ds by hand", "hand-bce-sign", 0.25, -0.25, bce_hand),
            ("dl/ds by hand", "hand-bce-sigmoid-derivative", 0.1875, -0.25, bce_hand),
            ("dl/ds by hand", "hand-bce-dl-dp", -4 / 3, -0.25, bce_hand)]:
        task = "Lesson 4, task 1" if inputs is mse_hand else "Lesson 4, task 2"
        cases.append(Planted(task, quantity, key, got, expected, inputs, 1e-3))
    return cases


# ---- lesson 5 -----------------------------------------------------------------------------------

X5 = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
D5 = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])


def probe_model():
    model = mlp.MLP(3, (3, 3), 3)
    model.layers = network.probe_layers(features=3, depth=3, rng=1)
    return model


def wiring_inputs(model):
    """What a lesson-5 check can supply: fresh copies of the stand-ins' forward as plain functions."""
    return {"x": X5, "forwards": [copy.deepcopy(layer).forward for layer in model.layers],
            "is_activation": [not layer.params for layer in model.layers]}


def chain(layers, value, method="forward"):
    for layer in layers:
        value = getattr(layer, method)(value)
    return value


def real_model():
    """Square Linear layers and tanh: backward passes that do not commute, so order shows in dL/dx."""
    model = mlp.MLP(3, (3, 3), 3, activation="tanh", rng=2)
    model.forward(X5)
    return model


def lesson_5():
    model = probe_model()
    inputs = wiring_inputs(model)
    scores = mlp.MLP.forward(model, X5)
    forward_bugs = {
        "forward-reversed": lambda layers: chain(layers[::-1], X5),
        "forward-skips-activations": lambda layers: chain([layer for layer in layers if layer.params], X5),
        "forward-not-chained": lambda layers: [layer.forward(X5) for layer in layers][-1],
        "forward-stops-early": lambda layers: chain(layers[:-1], X5),
    }
    cases = [Planted("Lesson 5, task 1", "scores", key, bug(probe_model().layers), scores, inputs)
             for key, bug in forward_bugs.items()]
    for output in ("sigmoid", "softmax"):
        probabilities = mlp.OUTPUT_ACTIVATIONS[output](scores)
        cases.append(Planted("Lesson 5, task 1", "scores", "forward-applies-output-activation", probabilities,
                             scores, inputs))

    reference = real_model()
    real_inputs = {"grad_out": D5, "backwards": [copy.deepcopy(layer).backward for layer in reference.layers],
                   "is_activation": [not layer.params for layer in reference.layers]}
    real_dx = reference.backward(D5)
    backward_bugs = {
        "backward-forward-order": lambda layers: chain(layers, D5, "backward"),
        "backward-skips-activations": lambda layers: chain([l for l in layers[::-1] if l.params], D5, "backward"),
        "backward-not-chained": lambda layers: [layer.backward(D5) for layer in layers[::-1]][-1],
        "backward-skips-first": lambda layers: chain(layers[:0:-1], D5, "backward"),
    }
    for key, bug in backward_bugs.items():
        cases.append(Planted("Lesson 5, task 2", "dL/dx", key, bug(real_model().layers), real_dx, real_inputs))
    order = np.arange(5)[::-1]
    cases.append(Planted("Lesson 5, task 2", "backward order", "backward-forward-order", [0, 1, 2, 3, 4], order,
                         inputs, 0.0))
    cases.append(Planted("Lesson 5, task 2", "backward order", "backward-skips-activations", [4, 2, 0], order,
                         inputs, 0.0))
    sizes = [5, 7, 3]
    for key, got in [("count-without-biases", 5 * 7 + 7 * 3), ("count-bias-per-input", 5 * 8 + 7 * 4),
                     ("count-bias-per-unit", 35 + 21 + 15)]:
        cases.append(Planted("Lesson 5, task 3", "count_parameters", key, got, 66, {"sizes": sizes}, 0.0))
    return cases


# ---- lesson 6 -----------------------------------------------------------------------------------

def sgd_run(step, lr=0.05, momentum=0.9, steps=3, seed=6):
    """W of a one-layer MLP and the optimizer's velocity after ``steps`` calls of ``step``."""
    model = mlp.MLP(3, (), 2, rng=seed)
    rng = np.random.default_rng(seed + 1)
    grads = [rng.normal(size=(3, 2)) for _ in range(steps)]
    start = model.layers[0].params["W"].copy()
    optimizer = bug_class(optim.SGD, step=step)(model, lr=lr, momentum=momentum)
    for grad in grads:
        model.layers[0].grads["W"] = grad.copy()
        model.layers[0].grads["b"] = np.zeros(2)
        optimizer.step()
    inputs = {"start": start, "grads": grads, "lr": lr, "momentum": momentum}
    return model.layers[0].params["W"], optimizer.velocity[0]["W"], inputs


def lesson_6():
    right_W, right_v, inputs = sgd_run(optim.SGD.step)

    def each(update):
        def step(self):
            for layer, velocity in zip(self.layers, self.velocity):
                for key, param in layer.params.items():
                    update(self, param, velocity, key, layer.grads[key], layer, key)
        return step

    def rebinds(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] -= self.lr * grad
        param = param + velocity[key]

    def ascends(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] += self.lr * grad
        param += velocity[key]

    def lr_ignored(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] -= grad
        np.add(param, velocity[key], out=param)

    def no_momentum(self, param, velocity, key, grad, layer, _):
        param -= self.lr * grad

    def late_velocity(self, param, velocity, key, grad, layer, _):
        param += velocity[key]
        velocity[key] *= self.momentum
        velocity[key] -= self.lr * grad

    def local_velocity(self, param, velocity, key, grad, layer, _):
        v = velocity[key]
        v = self.momentum * v - self.lr * grad
        param += v

    def torch_velocity(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] += grad
        param -= self.lr * velocity[key]

    def average(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] += (1 - self.momentum) * grad
        param -= self.lr * velocity[key]

    def nesterov(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] -= self.lr * grad
        param += self.momentum * velocity[key] - self.lr * grad

    def last_gradient(self, param, velocity, key, grad, layer, _):
        param -= self.lr * grad + self.momentum * velocity[key]
        velocity[key][...] = self.lr * grad

    def velocity_sign(self, param, velocity, key, grad, layer, _):
        velocity[key] *= self.momentum
        velocity[key] += self.lr * grad
        param -= velocity[key]

    cases = []
    for key, update in [("sgd-rebinds", rebinds), ("sgd-wrong-sign", ascends), ("sgd-lr-ignored", lr_ignored),
                        ("momentum-ignored", no_momentum), ("param-before-velocity", late_velocity),
                        ("momentum-average", average), ("momentum-nesterov", nesterov),
                        ("momentum-last-gradient", last_gradient)]:
        got, _, _ = sgd_run(each(update))
        cases.append(Planted("Lesson 6, task 1", "param", key, got, right_W, inputs))
    for key, update in [("momentum-ignored", local_velocity), ("velocity-without-lr", torch_velocity),
                        ("velocity-sign", velocity_sign), ("momentum-average", average),
                        ("momentum-last-gradient", last_gradient)]:
        _, got, _ = sgd_run(each(update))
        cases.append(Planted("Lesson 6, task 1", "velocity", key, got, right_v, inputs))
    return cases


def all_planted():
    return (lesson_1_hand() + lesson_1_local() + lesson_1_backward() + lesson_2() + lesson_3() + lesson_4()
            + lesson_5() + lesson_6())


PLANTED = all_planted()


# ---- the tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", PLANTED, ids=lambda c: f"{c.task}|{c.quantity}|{c.key}")
def test_a_planted_bug_is_named(case):
    finding = name_misconception(case.task, case.quantity, case.got, case.expected, case.inputs, case.bar)
    assert finding is not None and finding.kind == "misconception", finding
    assert finding.key == case.key, finding
    assert finding.message and finding.task == case.task.split(" (")[0] and finding.quantity == case.quantity


@pytest.mark.parametrize("case", PLANTED, ids=lambda c: f"{c.task}|{c.quantity}|{c.key}")
def test_the_expected_value_itself_gets_no_message(case):
    assert name_misconception(case.task, case.quantity, case.expected, case.expected, case.inputs, case.bar) is None


def test_every_entry_has_a_planted_bug_and_every_task_three_entries():
    planted = {(c.task.split(" (")[0], c.quantity, c.key) for c in PLANTED}
    missing = [(e.task, e.quantity, e.key) for e in CATALOG if (e.task, e.quantity, e.key) not in planted]
    assert not missing
    assert set(TASKS) == {f"Lesson {l}, task {t}" for l, n in [(1, 4), (2, 3), (3, 3), (4, 3), (5, 3), (6, 1)]
                          for t in range(1, n + 1)}
    for task in TASKS:
        assert len({e.key for e in entries_for(task)}) >= 3, task
    assert {e.task for e in CATALOG} == set(TASKS)


def test_table_of_planted_bugs():
    """Prints the table of planted bugs and whether each was named (shown with pytest -s)."""
    rows = []
    for case in PLANTED:
        finding = name_misconception(case.task, case.quantity, case.got, case.expected, case.inputs, case.bar)
        rows.append((case.task.split(" (")[0], case.quantity, case.key,
                     finding is not None and finding.kind == "misconception" and finding.key == case.key))
    print(f"\n{'task':<18} {'quantity':<26} {'misconception':<34} named")
    for task, quantity, key, named in rows:
        print(f"{task:<18} {quantity:<26} {key:<34} {'yes' if named else 'NO'}")
    print(f"{sum(r[3] for r in rows)} of {len(rows)} planted bugs named correctly")
    assert all(row[3] for row in rows)


# ---- correct alternatives: never a message ------------------------------------------------------

def alternative_scalar_backward(root):
    """Kahn's algorithm from the output instead of a reversed topological list."""
    order = root.topological_order()
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    pending = {id(node): 0 for node in order}
    for node in order:
        for parent in node.parents:
            pending[id(parent)] += 1
    ready = [root]
    while ready:
        node = ready.pop()
        for parent, local in zip(node.parents, node.local_grads()):
            parent.grad = parent.grad + node.grad * local
            pending[id(parent)] -= 1
            if pending[id(parent)] == 0:
                ready.append(parent)
    return [node.grad for node in order]


def correct_alternatives():
    """(task, quantity, got by another correct formula, expected by the reference, inputs, bar)."""
    ref = linear()
    out = ref.forward(X)
    ref.param_backward(G)
    dx = ref.backward(G)
    grads_in_place = {"W": np.empty_like(W), "b": np.empty_like(B)}
    np.einsum("ni,no->io", X, G, out=grads_in_place["W"])
    np.sum(G, axis=0, out=grads_in_place["b"])
    S3 = RNG.normal(size=(3, 4))
    y3 = np.array([1, 3, 0])
    ce = losses.SoftmaxCrossEntropyLoss()
    ce_value = ce.forward(S3, y3)
    ce_grad = ce.backward()
    s1, y1 = np.array([3.0, -1e4, 1e4, 0.2]), np.array([1.0, 0.0, 0.0, 1.0])
    bce = losses.BCEWithLogitsLoss()
    bce_value = bce.forward(s1, y1)
    bce_grad = bce.backward()
    mse = losses.MSELoss()
    S2, Y2 = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    mse_value, mse_grad = mse.forward(S2, Y2), mse.backward()
    order, inputs = graph_inputs(graded_graph(graph.Scalar))
    order[-1].backward()
    alt_order, _ = graph_inputs(graded_graph(graph.Scalar))
    model = real_model()
    real_dx = copy.deepcopy(model).backward(D5)
    W_after, v_after, sgd_inputs = sgd_run(optim.SGD.step)

    def in_place_sgd(self):
        for layer, velocity in zip(self.layers, self.velocity):
            for key, param in layer.params.items():
                np.multiply(velocity[key], self.momentum, out=velocity[key])
                np.subtract(velocity[key], self.lr * layer.grads[key], out=velocity[key])
                np.add(param, velocity[key], out=param)

    alt_W, alt_v, _ = sgd_run(in_place_sgd)
    with np.errstate(all="ignore"):
        return [
            ("Lesson 2, task 1", "out", np.einsum("ni,io->no", X, W) + B, out, {"x": X, "W": W, "b": B}, 1e-12),
            ("Lesson 2, task 1", "out", np.add(np.dot(X, W), B), out, {"x": X, "W": W, "b": B}, 1e-12),
            ("Lesson 2, task 2", "dL/dW", grads_in_place["W"], ref.grads["W"], {"x": X, "grad_out": G}, 1e-12),
            ("Lesson 2, task 2", "dL/db", grads_in_place["b"], ref.grads["b"], {"x": X, "grad_out": G}, 1e-12),
            ("Lesson 2, task 3", "dL/dx", np.dot(G, W.T), dx, {"W": W, "grad_out": G}, 1e-12),
            ("Lesson 3, task 1", "relu(x)", XS * (XS > 0), layers.relu(XS), {"x": XS}, 1e-9),
            ("Lesson 3, task 2", "sigmoid(x)", 0.5 * np.tanh(0.5 * HUGE) + 0.5, layers.sigmoid(HUGE), {"x": HUGE}, 1e-7),
            ("Lesson 3, task 2", "sigmoid(x)", np.exp(-np.logaddexp(0, -HUGE)), layers.sigmoid(HUGE), {"x": HUGE}, 1e-9),
            ("Lesson 3, task 3", "tanh(x)", 2 * layers.sigmoid(2 * HUGE) - 1, layers.tanh(HUGE), {"x": HUGE}, 1e-7),
            ("Lesson 3, task 3", "tanh_derivative(out)", (1 - layers.tanh(XS)) * (1 + layers.tanh(XS)),
             layers.tanh_derivative(layers.tanh(XS)), {"out": layers.tanh(XS)}, 1e-9),
            ("Lesson 4, task 1", "loss", np.average(np.square(S2 - Y2)), mse_value, {"scores": S2, "y": Y2}, 1e-10),
            ("Lesson 4, task 1", "dL/dscores", np.multiply(S2 - Y2, 2 / S2.size), mse_grad, {"scores": S2, "y": Y2}, 1e-10),
            ("Lesson 4, task 2", "loss", np.mean(np.logaddexp(0, s1) - y1 * s1), bce_value, {"scores": s1, "y": y1}, 1e-10),
            ("Lesson 4, task 2", "dL/dscores", (0.5 * np.tanh(0.5 * s1) + 0.5 - y1) / 4, bce_grad,
             {"scores": s1, "y": y1, "probs": layers.sigmoid(s1)}, 1e-10),
            ("Lesson 4, task 3", "log_softmax", S3 - np.logaddexp.reduce(S3, axis=1, keepdims=True),
             losses.log_softmax(S3), {"scores": S3}, 1e-10),
            ("Lesson 4, task 3", "loss", -np.mean(np.take_along_axis(losses.log_softmax(S3), y3[:, None], 1)),
             ce_value, {"scores": S3, "y": y3}, 1e-10),
            ("Lesson 4, task 3", "dL/dscores", (np.exp(losses.log_softmax(S3)) - (np.arange(4) == y3[:, None])) / 3,
             ce_grad, {"y": y3, "probs": np.exp(losses.log_softmax(S3))}, 1e-10),
            ("Lesson 1, task 4", "node gradients", alternative_scalar_backward(alt_order[-1]),
             [n.grad for n in order], inputs, 1e-12),
            ("Lesson 5, task 2", "dL/dx", chain(real_model().layers[::-1], D5, "backward"), real_dx, {"grad_out": D5}, 1e-12),
            ("Lesson 5, task 3", "count_parameters", int(np.dot(np.add([5, 7], 1), [7, 3])), 66, {"sizes": [5, 7, 3]}, 0.0),
            ("Lesson 6, task 1", "param", alt_W, W_after, sgd_inputs, 1e-12),
            ("Lesson 6, task 1", "velocity", alt_v, v_after, sgd_inputs, 1e-12),
        ]


@pytest.mark.parametrize("task, quantity, got, expected, inputs, bar", correct_alternatives(),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_a_correct_alternative_gets_no_message(task, quantity, got, expected, inputs, bar):
    assert rel_error(got, expected) <= bar  # the alternative really is correct at the check's bar
    assert name_misconception(task, quantity, got, expected, inputs, bar) is None


def test_a_result_within_the_bar_gets_no_message_even_if_it_matches_an_entry():
    # db as the mean, with a bar so loose that the mean counts as correct: no message.
    got, expected = G.mean(axis=0), G.sum(axis=0)
    bar = rel_error(got, expected)
    assert name_misconception("Lesson 2, task 2", "dL/db", got, expected, {"grad_out": G}, bar) is None
    assert name_misconception("Lesson 2, task 2", "dL/db", got, expected, {"grad_out": G}, bar / 2).key == "db-mean"


# ---- structural diagnosis -----------------------------------------------------------------------

DW = X.T @ G


@pytest.mark.parametrize("got, key, words", [
    (DW / 3, "factor", "exactly 1/N = 1/3 of the expected"),
    (DW * 3, "factor", "exactly N = 3 times"),
    (DW * 2, "factor", "exactly 2x"),
    (DW / 6, "factor", "exactly 1/6"),
    (DW * 0.37, "factor", "times 0.37"),
    (-DW, "sign", "the sign is flipped"),
    (DW.T, "transpose", "transpose"),
    (DW.ravel(), "reshape", "reshape"),
    (DW[:2], "shape", "shape (2, 2), expected (4, 2)"),
    (np.where(np.arange(8).reshape(4, 2) == 3, np.nan, DW), "nonfinite", "NaN or inf at 1 of 8 entries ([1, 1])"),
    (np.zeros_like(DW), "zeros", "all zeros"),
    (DW + np.array([[0.0], [1.0], [0.0], [2.0]]), "rows", "except on rows 1, 3"),
    (DW + np.array([0.0, 5.0]), "columns", "except on column 1"),
    (DW + np.where(np.arange(8).reshape(4, 2) == 2, 7.0, 0.0), "entries", "except at [1, 0]"),
])
def test_structural_patterns_are_named(got, key, words):
    finding = structure("dL/dW", got, DW, 1e-12, {"x": X}, "Lesson 2, task 2")
    assert finding == Finding("structure", key, finding.message, "Lesson 2, task 2", "dL/dW")
    assert words in finding.message and finding.message.startswith("dL/dW ") and "\n" not in finding.message


def test_no_pattern_no_finding():
    assert structure("dL/dW", RNG.normal(size=DW.shape), DW, 1e-12) is None
    assert name_misconception("Lesson 2, task 2", "dL/dW", "not numbers", DW, {}, 1e-12) is None
    assert name_misconception("Lesson 2, task 2", "dL/dW", None, DW, {}, 1e-12) is None


def test_coinciding_entries_name_neither():
    # One sample, two outputs: the summed loss is also the loss divided by the number of rows.
    scores, y = np.array([[1.0, 2.0]]), np.array([[0.5, -1.0]])
    summed = float(np.sum((scores - y) ** 2))
    expected = losses.MSELoss().forward(scores, y)
    finding = name_misconception("Lesson 4, task 1", "loss", summed, expected, {"scores": scores, "y": y}, 1e-10)
    # ... and one number is any other times some factor: nothing is said.
    assert finding is None
    # With three samples the two differ and the sum is named.
    finding = name_misconception("Lesson 4, task 1", "loss", float(np.sum((S := RNG.normal(size=(3, 2))) ** 2)),
                                 float(np.mean(S ** 2)), {"scores": S, "y": np.zeros((3, 2))}, 1e-10)
    assert finding.key == "mse-summed"


def test_entries_without_their_inputs_or_failing_on_them_are_left_out():
    # No inputs: only the structure can speak.
    finding = name_misconception("Lesson 2, task 2", "dL/db", X.mean(axis=0), X.sum(axis=0), {}, 1e-12)
    assert finding.kind == "structure" and finding.key == "factor"
    # A non-square W: "dx without the transpose" cannot run, the others still can.
    finding = name_misconception("Lesson 2, task 3", "dL/dx", (G @ W.T).T, G @ W.T, {"W": W, "grad_out": G}, 1e-12)
    assert finding.key == "dx-transposed"


# ---- what ships to students ---------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "backprop_course" / "misconceptions"


def solution_lines():
    """Every code line inside the reference library's BEGIN/END SOLUTION blocks."""
    lines = []
    for path in sorted((PACKAGE.parent.parent / "solutions" / "backprop_lib").glob("*.py")):
        inside = False
        for line in path.read_text().splitlines():
            text = line.strip()
            if text.startswith("### BEGIN SOLUTION"):
                inside = True
            elif text.startswith("### END SOLUTION"):
                inside = False
            elif inside and text and not text.startswith("#") and text not in ("else:", "return x", "return None"):
                lines.append(text)
    return lines


def test_the_package_holds_no_solution_line_and_imports_numpy_only():
    source = "\n".join(path.read_text() for path in sorted(PACKAGE.glob("*.py")))
    lines = solution_lines()
    assert len(lines) > 30
    assert [line for line in lines if line in source] == []
    imports = {line.split()[1].split(".")[0] for line in source.splitlines()
               if line.startswith(("import ", "from ")) and not line.startswith("from .")}
    assert imports <= {"numpy", "inspect", "dataclasses", "typing", "fractions", "itertools"}


def test_a_result_that_is_not_numbers_or_breaks_an_entry_is_survived():
    class Hostile:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no")

    assert name_misconception("Lesson 2, task 2", "dL/db", Hostile(), G.sum(axis=0), {"grad_out": G}, 1e-12) is None

    def explode(g):
        raise RuntimeError("a layer that fails")

    inputs = {"grad_out": D5, "backwards": [explode] * 5, "is_activation": [False, True] * 2 + [False]}
    finding = name_misconception("Lesson 5, task 2", "dL/dx", -D5, D5, inputs, 1e-12)
    assert finding.kind == "structure" and finding.key == "sign"


@pytest.mark.parametrize("case", PLANTED, ids=lambda c: f"{c.task}|{c.quantity}|{c.key}")
def test_an_unrelated_wrong_result_is_never_named_a_misconception(case):
    expected = np.asarray(case.expected, dtype=float)
    rng = np.random.default_rng(len(case.key))
    noisy = expected * rng.uniform(1.2, 1.9, expected.shape) + rng.uniform(0.3, 0.9, expected.shape)
    finding = name_misconception(case.task, case.quantity, noisy, expected, case.inputs, case.bar)
    assert finding is None or finding.kind == "structure"


def test_the_batch_size_named_in_a_factor_comes_from_the_inputs():
    expected = X.sum(axis=0)
    assert "1/N = 1/5" in structure("dL/db", expected / 5, expected, 1e-12, {"N": 5}).message
    assert "1/N = 1/3" in structure("dL/db", expected / 3, expected, 1e-12, {"x": X}).message
    # N = C = 3 (issue 18): the inputs cannot tell 1/N from 1/C, so only the factor is said.
    square = RNG.normal(size=(3, 3))
    finding = structure("dL/dscores", square / 3, square, 1e-12, {"scores": square})
    assert finding.message == "dL/dscores is exactly 1/3 of the expected"
    # An activation's 1-D x is no batch: a factor 5 is just 5x.
    assert structure("relu(x)", 5 * XS, XS, 1e-9, {"x": XS}).message == "relu(x) is exactly 5x the expected"


def test_one_number_or_a_factor_near_1_shows_no_pattern():
    # Issue 18: "the expected times 0.9671" from ONE number, "the expected times 1".
    assert structure("param", np.array([[0.9671]]), np.array([[1.0]]), 1e-12) is None
    assert structure("loss", 6.0, 5.0, 1e-10) is None
    assert structure("dL/db", np.zeros(1), np.array([-0.2]), 1e-12) is None
    assert structure("loss", DW * (1 + 1e-5), DW, 1e-7) is None
    # Two numbers are not several either.
    assert structure("dL/db", 2 * G.sum(axis=0), G.sum(axis=0), 1e-12) is None


def test_across_inputs_a_name_must_reproduce_every_input():
    S = [RNG.normal(size=(3, 1)), RNG.normal(size=(5, 1)), RNG.normal(size=(4,))]
    Y = [np.array([0.0, 2.0, 5.0]), RNG.normal(size=5), RNG.normal(size=4)]
    right = [float(np.mean((s.ravel() - y) ** 2)) for s, y in zip(S, Y)]
    broadcast = [float(np.mean((s - y) ** 2)) for s, y in zip(S, Y)]   # (N, N) for (N, 1) scores
    summed = [float(np.sum((s.ravel() - y) ** 2)) for s, y in zip(S, Y)]
    cases = lambda got: [(g, e, {"scores": s, "y": y}) for g, e, s, y in zip(got, right, S, Y)]
    # The broadcast is right on (N,) scores and wrong on (N, 1): named, as on every input it fits.
    assert name_across("Lesson 4, task 1", "loss", cases(broadcast), 1e-10).key == "mse-broadcast"
    assert name_across("Lesson 4, task 1", "loss", cases(summed), 1e-10).key == "mse-summed"
    # Summed on one input, broadcast on another: no entry reproduces both, and one number shows no pattern.
    assert name_across("Lesson 4, task 1", "loss", cases([summed[0], broadcast[1], right[2]]), 1e-10) is None
    assert name_across("Lesson 4, task 1", "loss", cases(right), 1e-10) is None


def test_across_inputs_a_pattern_must_hold_on_every_input():
    cases = [(X.sum(axis=0) / 3, X.sum(axis=0), {}), (W.sum(axis=1) / 3, W.sum(axis=1), {})]
    assert name_across("Lesson 2, task 2", "dL/db", cases, 1e-12).message == "dL/db is exactly 1/3 of the expected"
    cases[1] = (W.sum(axis=1) / 2, W.sum(axis=1), {})
    assert name_across("Lesson 2, task 2", "dL/db", cases, 1e-12) is None


def test_a_nan_is_not_an_inf():
    nan, inf = np.array([np.nan, 1.0]), np.array([-np.inf, 1.0])
    assert agree(nan, nan, 1e-9) and agree(inf, inf, 1e-9)
    assert not agree(nan, inf, 1e-9) and not agree(np.array(np.inf), np.array(-np.inf), 1e-9)


def test_audit_says_which_entries_a_check_can_name():
    # A bias that sums to 0 (lesson 2's example before it became (0.5, -1)): "bias summed" looks like "no bias".
    W2, b2 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([0.5, -0.5])
    x2 = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    status = audit("Lesson 2, task 1", "out", x2 @ W2 + b2, {"x": x2, "W": W2, "b": b2}, 1e-12)
    assert status == {"forward-without-bias": "coincides with forward-bias-summed",
                      "forward-bias-subtracted": "named", "forward-with-activation": "named",
                      "forward-bias-summed": "coincides with forward-without-bias"}
    # This test's inputs tell every entry apart; a non-square W cannot run "dx without transpose".
    assert set(audit("Lesson 2, task 1", "out", X @ W + B, {"x": X, "W": W, "b": B}).values()) == {"named"}
    status = audit("Lesson 2, task 3", "dL/dx", G @ W.T, {"W": W, "grad_out": G})
    assert status["dx-without-transpose"] == "cannot run" and status["dx-transposed"] == "named"
    status = audit("Lesson 2, task 2", "dL/db", G.sum(axis=0), {"grad_out": G})
    assert status["grads-accumulated"] == "missing inputs: calls"
    # A check on ordinary scores cannot show an overflow.
    assert audit("Lesson 3, task 2", "sigmoid(x)", layers.sigmoid(XS), {"x": XS})["sigmoid-naive-overflow"] == (
        "gives the expected value")
