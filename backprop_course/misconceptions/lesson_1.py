"""Lesson 1 catalogue: the hand-computed network (tasks 1-2) and the Scalar engine (tasks 3-4).

Quantities and the inputs each needs:

- Task 1, the forward values "a1" ... "a4", "y", "L": inputs ``weights`` ({"w1": ..., "w8": ...}),
  ``t`` and ``values``, the true forward values by the same names (the graded chain names the
  first wrong value, so the values before it are the true ones).
- Task 2, the gradients "dL/dy", "dL/dh1" ... "dL/dh4", "dL/dw1" ... "dL/dw8": inputs ``weights``,
  ``x``, ``t``, ``values`` as above and ``grads``, the true gradients by the same names.
- Task 3, the local derivatives of one operation, e.g. "a * b": a tuple per point, so got has
  shape (k,) for one point or (P, k) for P points. Inputs ``a`` and ``b`` (numbers or arrays of
  the P points), ``n`` for "a ** n", and ``out`` (the node's forward value) for "exp(a)",
  "tanh(a)", "sigmoid(a)". Quantities: "a + b", "a - b", "a * b", "a / b", "a ** n", "-a",
  "exp(a)", "log(a)", "tanh(a)", "sigmoid(a)", "relu(a)".
- Task 4, "node gradients": every node's grad, in the order of ``nodes``. Inputs ``nodes``
  (labels in topological order, the output last) and ``edges`` ({label: [(parent label,
  local derivative), ...]}, parents in the node's order; leaves may be left out). Gradients
  accumulated across backward() calls cannot happen here: the given code zeroes them first.

dL/dw3 has no "weight-instead-of-input" entry: on this network w3 equals the input h1 it
multiplies, so the mistake gives the right number.
"""

import numpy as np

from .entry import Misconception

T1, T2, T3, T4 = (f"Lesson 1, task {k}" for k in (1, 2, 3, 4))

# ---- task 1: the forward values by hand -------------------------------------------------------

# Each pre-activation with the (weight, input) pairs on the edges into it.
INTO = {"a3": (("w3", "h1"), ("w4", "h2")), "a4": (("w5", "h1"), ("w6", "h2")),
        "y": (("w7", "h3"), ("w8", "h4"))}
# The weights of the edges out of h1 and h2 read as if they went into a3 and a4.
SWAPPED = {"a3": (("w3", "h1"), ("w5", "h2")), "a4": (("w4", "h1"), ("w6", "h2"))}


def weighted_sum(pairs, weighting=lambda w: w):
    return lambda weights, values, **_: sum(weighting(weights[w]) * values[h] for w, h in pairs)


TASK_1 = (
    Misconception(T1, "L", "loss-without-half",
                  "L is (y - t)^2 without the 1/2: this network's loss is L = (y - t)^2 / 2",
                  lambda values, t, **_: (values["y"] - t) ** 2),
    Misconception(T1, "L", "loss-not-squared",
                  "L is (y - t) / 2: the error y - t must be squared, L = (y - t)^2 / 2",
                  lambda values, t, **_: (values["y"] - t) / 2),
    *(Misconception(T1, node, "weight-sign-dropped",
                    f"{node} uses a negative weight without its minus sign: keep the sign of each "
                    "weight (w4, w5 and w8 are negative)", weighted_sum(pairs, abs))
      for node, pairs in INTO.items()),
    *(Misconception(T1, node, "edges-swapped",
                    f"{node} sums the wrong edges: w4 runs from h2 to a3 and w5 from h1 to a4, so "
                    "a3 = w3 h1 + w4 h2 and a4 = w5 h1 + w6 h2", weighted_sum(pairs))
      for node, pairs in SWAPPED.items()),
)

# ---- task 2: the gradients by hand ------------------------------------------------------------

# For each weight: the gradient of the node it feeds and the input it multiplies.
WEIGHT_EDGES = {"w7": ("dL/dy", "h3"), "w8": ("dL/dy", "h4"), "w3": ("dL/dh3", "h1"),
                "w4": ("dL/dh3", "h2"), "w5": ("dL/dh4", "h1"), "w6": ("dL/dh4", "h2"),
                "w1": ("dL/dh1", "x"), "w2": ("dL/dh2", "x")}
# For each hidden value: (gradient of a node it feeds, weight on that edge), one per path.
PATHS = {"dL/dh3": (("dL/dy", "w7"),), "dL/dh4": (("dL/dy", "w8"),),
         "dL/dh1": (("dL/dh3", "w3"), ("dL/dh4", "w5")), "dL/dh2": (("dL/dh3", "w4"), ("dL/dh4", "w6"))}


def one_path(upstream, weight):
    return lambda grads, weights, **_: grads[upstream] * weights[weight]


def only_path(paths, kept):
    """The gradient along paths[kept] alone; with kept None, the one product both paths give. Each
    applies only where it alone reproduces the result: which path was left out is named only when
    the two paths' products differ."""
    def wrong(grads, weights, **_):
        products = [grads[upstream] * weights[weight] for upstream, weight in paths]
        same = bool(np.isclose(products[0], products[1], rtol=1e-9, atol=0.0))
        if same != (kept is None):
            raise ValueError("not this entry's case")
        return products[0 if kept is None else kept]
    return wrong


def without_weights(paths):
    return lambda grads, **_: sum(grads[upstream] for upstream, _ in paths)


TASK_2 = (
    Misconception(T2, "dL/dy", "dLdy-sign",
                  "dL/dy is t - y: the derivative of (y - t)^2 / 2 with respect to y is y - t",
                  lambda values, t, **_: t - values["y"]),
    Misconception(T2, "dL/dy", "dLdy-factor-2",
                  "dL/dy is 2 (y - t): the 1/2 in L cancels the 2 of the square, so dL/dy = y - t",
                  lambda values, t, **_: 2 * (values["y"] - t)),
    *(Misconception(T2, f"dL/d{w}", "weight-instead-of-input",
                    f"dL/d{w} multiplies the gradient arriving at its node by the weight {w} itself: "
                    f"the local derivative of {w} * {h} with respect to {w} is the input {h}",
                    one_path(upstream, w))
      for w, (upstream, h) in WEIGHT_EDGES.items() if w != "w3"),  # w3 equals h1 here: no telling apart
    *(Misconception(T2, hidden, "one-path-only",
                    f"{hidden} leaves out the path through {other[4:]}: {hidden[4:]} feeds both a3 and a4, so "
                    f"its gradient is the sum over both paths, + {other} {other_weight}",
                    only_path(PATHS[hidden], kept))
      for hidden in ("dL/dh1", "dL/dh2")
      for kept, (other, other_weight) in enumerate(PATHS[hidden][::-1])),
    *(Misconception(T2, hidden, "one-path-only",
                    f"{hidden} follows one path only (here both paths give the same product, so which one "
                    f"is left out cannot be told): {hidden[4:]} feeds both a3 and a4, so its gradient is "
                    "the sum over both paths", only_path(PATHS[hidden], None))
      for hidden in ("dL/dh1", "dL/dh2")),
    *(Misconception(T2, hidden, "local-derivative-missing",
                    f"{hidden} passes the gradient on without multiplying by the edge's weight: "
                    "each path contributes (gradient of the node it feeds) x (weight on the edge)",
                    without_weights(paths))
      for hidden, paths in PATHS.items()),
)

# ---- task 3: local derivatives ----------------------------------------------------------------


def ones(a):
    return np.ones_like(np.asarray(a, dtype=np.float64))


def per_parent(*columns):
    """One derivative per parent along the last axis: shape (k,) for a point, (P, k) for P points."""
    return np.stack(np.broadcast_arrays(*(np.asarray(c, dtype=np.float64) for c in columns)), axis=-1)


TASK_3 = (
    Misconception(T3, "a * b", "product-swapped",
                  "the local derivatives of a * b are swapped: d(ab)/da is the other factor b, "
                  "and d(ab)/db is a", lambda a, b, **_: per_parent(a, b)),
    Misconception(T3, "a * b", "product-as-sum",
                  "the local derivatives of a * b are 1 and 1, as for a + b: d(ab)/da = b, d(ab)/db = a",
                  lambda a, b, **_: per_parent(ones(a), ones(b))),
    Misconception(T3, "a - b", "difference-sign",
                  "d(a - b)/db is -1, not 1: b enters with a minus sign",
                  lambda a, b, **_: per_parent(ones(a), ones(b))),
    Misconception(T3, "a / b", "quotient-sign",
                  "d(a/b)/db has the wrong sign: d(a/b)/db = -a / b^2",
                  lambda a, b, **_: per_parent(1 / np.asarray(b, float),
                                               np.asarray(a, float) / np.asarray(b, float) ** 2)),
    Misconception(T3, "a / b", "quotient-without-a",
                  "d(a/b)/db lost the factor a: d(a/b)/db = -a / b^2",
                  lambda a, b, **_: per_parent(1 / np.asarray(b, float), -1 / np.asarray(b, float) ** 2)),
    Misconception(T3, "a ** n", "power-not-lowered",
                  "d(a^n)/da keeps the power n: it is n a^(n-1), the exponent drops by one",
                  lambda a, n, **_: per_parent(n * np.asarray(a, float) ** n)),
    Misconception(T3, "a ** n", "power-without-n",
                  "d(a^n)/da lacks the factor n: it is n a^(n-1)",
                  lambda a, n, **_: per_parent(np.asarray(a, float) ** (n - 1))),
    Misconception(T3, "-a", "negation-sign",
                  "d(-a)/da is -1, not 1", lambda a, **_: per_parent(ones(a))),
    Misconception(T3, "exp(a)", "exp-power-rule",
                  "exp(a) is not a power of a: its derivative is exp(a) itself (the out already computed)",
                  lambda a, **_: per_parent(np.asarray(a, float) * np.exp(np.asarray(a, float) - 1))),
    Misconception(T3, "exp(a)", "exp-derivative-is-input",
                  "d exp(a)/da is exp(a), the node's output out, not its input a",
                  lambda a, **_: per_parent(a)),
    Misconception(T3, "log(a)", "log-from-output",
                  "d log(a)/da is 1/a, the input a, not 1/log(a) of the output",
                  lambda a, **_: per_parent(1 / np.log(np.asarray(a, float)))),
    Misconception(T3, "tanh(a)", "tanh-one-minus-out",
                  "tanh' is 1 - out^2, not 1 - out: the output is squared",
                  lambda out, **_: per_parent(1 - np.asarray(out, float))),
    Misconception(T3, "tanh(a)", "tanh-from-input",
                  "tanh' = 1 - out^2 uses the output out = tanh(a), not the input a",
                  lambda a, **_: per_parent(1 - np.asarray(a, float) ** 2)),
    Misconception(T3, "sigmoid(a)", "sigmoid-from-input",
                  "sigmoid' = out (1 - out) uses the output out = sigmoid(a), not the input a",
                  lambda a, **_: per_parent(np.asarray(a, float) * (1 - np.asarray(a, float)))),
    Misconception(T3, "sigmoid(a)", "sigmoid-derivative-sign",
                  "sigmoid' is out (1 - out), which is positive: the sign is flipped",
                  lambda out, **_: per_parent(np.asarray(out, float) * (np.asarray(out, float) - 1))),
    Misconception(T3, "relu(a)", "relu-kink-one",
                  "relu'(0) must be 0 (the course's convention): use a > 0, not a >= 0",
                  lambda a, **_: per_parent((np.asarray(a, float) >= 0).astype(float))),
    Misconception(T3, "relu(a)", "relu-value-not-slope",
                  "relu' returns relu(a) itself: the slope is 1 where a > 0 and 0 elsewhere",
                  lambda a, **_: per_parent(np.maximum(np.asarray(a, float), 0))),
)

# ---- task 4: the backward pass ----------------------------------------------------------------


def sweep(visit, combine):
    """Gradients by a sweep over ``visit(nodes)`` that folds each edge into its parent with combine."""
    def run(nodes, edges, **_):
        grad = dict.fromkeys(nodes, 0.0)
        grad[nodes[-1]] = 1.0
        for node in visit(nodes):
            for parent, local in edges.get(node, ()):
                grad[parent] = combine(grad[parent], local, grad[node])
        return np.array([grad[node] for node in nodes])
    return run


def last_to_first(nodes):
    return nodes[::-1]


def first_to_last(nodes):
    return list(nodes)


TASK_4 = (
    Misconception(T4, "node gradients", "backward-overwrites",
                  "backward assigns parent.grad = local * node.grad: a node reached along several "
                  "edges keeps only the last one; add with += to sum over paths",
                  sweep(last_to_first, lambda old, local, upstream: local * upstream)),
    Misconception(T4, "node gradients", "backward-forward-order",
                  "backward visits the nodes in topological (forward) order: a node passes its "
                  "gradient on before it is complete; visit them in reverse",
                  sweep(first_to_last, lambda old, local, upstream: old + local * upstream)),
    Misconception(T4, "node gradients", "backward-without-upstream",
                  "backward adds only the local derivative: multiply it by node.grad, the gradient "
                  "arriving from above (chain rule)",
                  sweep(last_to_first, lambda old, local, upstream: old + local)),
    Misconception(T4, "node gradients", "backward-without-local",
                  "backward passes node.grad on unchanged: multiply it by the edge's local derivative",
                  sweep(last_to_first, lambda old, local, upstream: old + upstream)),
)

ENTRIES = TASK_1 + TASK_2 + TASK_3 + TASK_4
