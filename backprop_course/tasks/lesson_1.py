"""Lesson 1 (the computation graph): the lesson's network, its drawing, and the helpers of its checks.

Everything that builds nodes takes the ``Scalar`` class to build them with (the student's in the
notebook, the reference at build time), so the same helper serves the visible check, the hidden
test and the build that computes the expected values. Expressions over the engine are Python text
in the names ``a`` and ``b``, e.g. ``"a * b"`` or ``"a.exp()"``. The checks hand the misconception
catalogue (``backprop_course.misconceptions.lesson_1``) its inputs by the names it uses.
"""

import numbers
import re

import numpy as np

from backprop_course.checks import compare

# Where each node of the 1-2-2-1 network is drawn, and its edges: (start, end, weight, where along
# the edge its label goes; the crossing edges w4, w5 get theirs near their start so they do not overlap).
_POSITIONS = {"x": (0, 0), "h1": (1, 0.8), "h2": (1, -0.8), "h3": (2, 0.8), "h4": (2, -0.8),
              "y": (3, 0), "L": (4, 0)}
_EDGES = [("x", "h1", "w1", 0.5), ("x", "h2", "w2", 0.5), ("h1", "h3", "w3", 0.5),
          ("h2", "h3", "w4", 0.22), ("h1", "h4", "w5", 0.22), ("h2", "h4", "w6", 0.5),
          ("h3", "y", "w7", 0.5), ("h4", "y", "w8", 0.5)]


def network(Scalar, x, t, weights):
    """The lesson's network built from ``Scalar`` leaves: x, t (floats), weights {"w1": float, ...,
    "w8": float}. Returns {name: node} for x, w1..w8, a1..a4, h1..h4, y and L = (y - t)^2 / 2."""
    nodes = {"x": Scalar(x, label="x")}
    nodes.update((name, Scalar(value, label=name)) for name, value in weights.items())
    nodes["a1"], nodes["a2"] = nodes["w1"] * nodes["x"], nodes["w2"] * nodes["x"]
    nodes["h1"], nodes["h2"] = nodes["a1"].relu(), nodes["a2"].relu()
    nodes["a3"] = nodes["w3"] * nodes["h1"] + nodes["w4"] * nodes["h2"]
    nodes["a4"] = nodes["w5"] * nodes["h1"] + nodes["w6"] * nodes["h2"]
    nodes["h3"], nodes["h4"] = nodes["a3"].relu(), nodes["a4"].relu()
    nodes["y"] = nodes["w7"] * nodes["h3"] + nodes["w8"] * nodes["h4"]
    nodes["L"] = 0.5 * (nodes["y"] - t) ** 2
    return nodes


def draw_network(weights, values=None, grads=None):
    """Draw the 1-2-2-1 network, one weight per edge (weights {"w1": float, ...}); values
    {node name: float} go into the nodes x, h1..h4, y, L and grads {"w1": float, ...} onto the edges."""
    import matplotlib.pyplot as plt  # here, not at the top: grading never draws

    fig, ax = plt.subplots(figsize=(8, 3.6))
    for start, end, w, where in _EDGES:
        (x0, y0), (x1, y1) = _POSITIONS[start], _POSITIONS[end]
        ax.plot([x0, x1], [y0, y1], color="0.6", zorder=1)
        text = f"{w}={weights[w]:g}"
        if grads:
            text += f"\n∂L/∂{w}={grads[w]:.4g}"
        ax.text(x0 + where * (x1 - x0), y0 + where * (y1 - y0) + 0.1, text, fontsize=8,
                ha="center", color="tab:red" if grads else "black")
    ax.plot([3, 4], [0, 0], color="0.6", zorder=1)
    for name, (px, py) in _POSITIONS.items():
        ax.scatter(px, py, s=900, color="white", edgecolors="black", zorder=2)
        label = name if values is None else f"{name}\n{values[name]:.4g}"
        ax.text(px, py, label, ha="center", va="center", fontsize=8, zorder=3)
    ax.set_xlim(-0.4, 4.4)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")
    ax.set_title("x → ReLU layer (h1, h2) → ReLU layer (h3, h4) → y → L = ½(y − t)²")
    plt.show()


def compare_with_engine(yours, nodes):
    """Print a table of hand values {"a1": float or None, ..., "dL_dw8": ...} against the engine's
    nodes (after backward): a value is "ok" within 1e-3 relative (of max(1, |engine|))."""
    print(f"{'value':<8}{'yours':>10}{'engine':>10}")
    for name, mine in yours.items():
        engine = nodes[name[4:]].grad if name.startswith("dL_d") else nodes[name].value
        agrees = mine is not None and abs(mine - engine) <= 1e-3 * max(1, abs(engine))
        verdict = "" if mine is None else ("  ok" if agrees else "  differs")
        print(f"{name:<8}{'-' if mine is None else format(mine, '.4g'):>10}{engine:>10.4g}{verdict}")


def check_numbers(check, **answers):
    """Hand answers {name: value}: a task not started (any value still None) raises
    NotImplementedError naming what to fill in; otherwise a row "<name> is a number" each.
    Returns ``answers``."""
    missing = [name for name, value in answers.items() if value is None]
    if missing:
        raise NotImplementedError(f"{check.label}: fill in {', '.join(missing)}")
    for name, value in answers.items():
        check.true(f"{name} is a number", isinstance(value, numbers.Real), f"{name} is {value!r}")
    return answers


# Task 2's gradients, each from the ones above it: (gradient, [(upstream gradient, the node whose
# relu' it passes, or None, the local factor: a weight or a forward value)]), from the loss down.
_BACKWARD = [("dL/dh3", [("dL/dy", None, "w7")]), ("dL/dh4", [("dL/dy", None, "w8")]),
             ("dL/dw7", [("dL/dy", None, "h3")]), ("dL/dw8", [("dL/dy", None, "h4")]),
             ("dL/dw3", [("dL/dh3", "a3", "h1")]), ("dL/dw4", [("dL/dh3", "a3", "h2")]),
             ("dL/dw5", [("dL/dh4", "a4", "h1")]), ("dL/dw6", [("dL/dh4", "a4", "h2")]),
             ("dL/dh1", [("dL/dh3", "a3", "w3"), ("dL/dh4", "a4", "w5")]),
             ("dL/dh2", [("dL/dh3", "a3", "w4"), ("dL/dh4", "a4", "w6")]),
             ("dL/dw1", [("dL/dh1", "a1", "x")]), ("dL/dw2", [("dL/dh2", "a2", "x")])]


def forward_values(x, t, weights):
    """The network's forward values {"a1": float, ..., "L": float} from its given numbers, in plain
    floats (no engine: the student's may not work yet)."""
    w, relu = weights, (lambda value: max(value, 0.0))
    v = {"a1": w["w1"] * x, "a2": w["w2"] * x}
    v["h1"], v["h2"] = relu(v["a1"]), relu(v["a2"])
    v["a3"], v["a4"] = w["w3"] * v["h1"] + w["w4"] * v["h2"], w["w5"] * v["h1"] + w["w6"] * v["h2"]
    v["h3"], v["h4"] = relu(v["a3"]), relu(v["a4"])
    v["y"] = w["w7"] * v["h3"] + w["w8"] * v["h4"]
    v["L"] = 0.5 * (v["y"] - t) ** 2
    return v


def check_hand_gradients(check, x, t, weights, forward, grads, bar=1e-3):
    """Rows checking that the hand gradients fit together: dL/dy = y - t, and every other gradient
    a sum over the edges out of its node of (upstream gradient) x relu'(pre-activation) x (the
    edge's weight, or for a weight the input it multiplies), from the student's own numbers. The
    forward values a row uses are the student's (task 1), or the true ones when those fit: a
    task-1 mistake is not charged again here; a gradient equal to the true one passes whatever
    the gradients above it hold (their own rows fail). A failed row names a left-out path when that
    reproduces the number. forward {"a1": float, ..., "L": float}, grads {"dL_dy": float, ...}."""
    missing = [name for name, value in forward.items() if value is None]
    if missing:
        raise NotImplementedError(f"{check.label}: its check needs your forward values of task 1 first "
                                  f"(fill in {', '.join(missing)})")
    grads = {name.replace("_", "/"): value for name, value in grads.items()}
    inputs = {"x": x, "t": t, "weights": dict(weights), "values": dict(forward), "grads": grads}
    truth = forward_values(x, t, weights)

    def expected(paths, values, upstreams):
        values = {**values, "x": x, **weights}
        return sum(upstreams[upstream] * (1.0 if relu is None else float(values[relu] > 0)) * values[factor]
                   for upstream, relu, factor in paths)

    true_grads = {"dL/dy": truth["y"] - t}
    for name, paths in _BACKWARD:  # from the loss down: every upstream gradient comes first
        true_grads[name] = expected(paths, truth, true_grads)

    def fits(got, want):
        error, problem = compare(got, want)
        return problem is None and error <= bar

    rows = [("dL/dy = y - t", "dL/dy", lambda values: values["y"] - t)]
    rows += [(f"{name} = " + " + ".join(f"{upstream} {factor}" for upstream, _, factor in paths), name,
              lambda values, paths=paths: expected(paths, values, grads)) for name, paths in _BACKWARD]
    for row, name, rule in rows:
        # A right number is right whatever the student wrote above it (that row fails on its own).
        if fits(grads[name], true_grads[name]):
            want = true_grads[name]
        else:
            want = rule(truth) if fits(grads[name], rule(truth)) else rule(forward)
        check.close(row, grads[name], want, bar=bar, inputs=inputs)


def _evaluate(Scalar, expression, values):
    """The node ``expression`` makes from Scalar leaves a, b holding ``values`` (one or two floats)."""
    return eval(expression, {}, dict(zip("ab", map(Scalar, values))))


def local_slopes(Scalar, expression, values, h=1e-6):
    """d expression / d each input at ``values``, by central differences of the engine's forward
    values: a list of one slope per input."""
    slopes = []
    for i in range(len(values)):
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        slopes.append((_evaluate(Scalar, expression, up).value - _evaluate(Scalar, expression, down).value) / (2 * h))
    return slopes


def hand_inputs(x, t, weights, values, grads):
    """The inputs the catalogue's entries of tasks 1 and 2 need: x, t, weights {"w1": float, ...},
    the true forward values {"a1": float, ..., "L": float} and the true gradients by the checks'
    names {"dL/dy": float, ...} (``grads`` is keyed by node name, {"y": float, "w1": float, ...})."""
    return {"x": x, "t": t, "weights": dict(weights), "values": dict(values),
            "grads": {f"dL/d{name}": grad for name, grad in grads.items()}}


def catalogued(Scalar, expression, points):
    """{"quantity": ..., "inputs": ...} for ``Checks.close`` on the local derivatives of
    ``expression``: the catalogue's name of the operation ("a.exp()" -> "exp(a)", "a ** 3" -> "a ** n")
    and its inputs a, b (n, and the node's forward value out). points: one point (a,) or (a, b),
    or a list of P points (got then has shape (P, k)). A number on the left ("2.0 - a") is the
    operation's a, and the leaf a its b."""
    grid = np.array(points, dtype=np.float64)
    one = grid.ndim == 1
    rows = grid[None] if one else grid
    a, b = rows[:, 0], rows[:, -1]
    out = np.array([_evaluate(Scalar, expression, row).value for row in rows])
    inputs = {"a": a, "b": b, "out": out}
    if match := re.fullmatch(r"a\.(\w+)\(\)", expression):
        quantity = f"{match[1]}(a)"
    elif match := re.fullmatch(r"a \*\* (\S+)", expression):
        quantity, inputs["n"] = "a ** n", float(match[1])
    elif match := re.fullmatch(r"([\d.]+) (\S) a", expression):
        quantity, inputs["a"], inputs["b"] = f"a {match[2]} b", np.full_like(a, float(match[1])), a
    else:
        quantity = expression
    if one:
        inputs = {name: value[0] if isinstance(value, np.ndarray) else value for name, value in inputs.items()}
    return {"quantity": quantity, "inputs": inputs}


def check_local_grads(check, Scalar, expression, values, bar=1e-6):
    """A row "d(<expression>) at a = ..." comparing the node's local_grads() with central differences."""
    where = ", ".join(f"{name} = {value:g}" for name, value in zip("ab", values))
    check.close(f"d({expression}) at {where}", _evaluate(Scalar, expression, values).local_grads(),
                local_slopes(Scalar, expression, values), bar=bar, **catalogued(Scalar, expression, values))


def local_grads_table(Scalar, expression, points):
    """[list(local_grads()) at each (a, b) in points]: the table a hidden test compares."""
    return [list(_evaluate(Scalar, expression, point).local_grads()) for point in points]


def given_graph(Scalar, edges):
    """A graph whose local derivatives are fixed numbers, so a check of backward() tests backward()
    alone. edges: {label: [(parent label, d label / d parent), ...]} listing every parent before
    its children (a parent may repeat: each edge counts). Returns {label: node}."""
    nodes = {}
    for label, parents in edges.items():
        local = tuple(float(d) for _, d in parents)
        nodes[label] = Scalar(0.0, tuple(nodes[parent] for parent, _ in parents), op="f", label=label,
                              local_grads=lambda local=local: local)
    return nodes


def check_backward(check, output, expected, bar, name="gradients, from L down"):
    """The chain of ``graph_stages`` (naming the first wrong node); when it fails, also a row "node
    gradients" comparing every node's grad, which the catalogue reads as a whole (a sweep in
    forward order, overwriting instead of adding, ...). expected {label: float}."""
    if check.chain(graph_stages(output, expected), bar=bar, name=name):
        return
    order = output.topological_order()
    edges = {node.label: list(zip([parent.label for parent in node.parents], node.local_grads()))
             for node in order}
    check.close("node gradients", [node.grad for node in order], [expected[node.label] for node in order],
                bar=bar, inputs={"nodes": [node.label for node in order], "edges": edges})


def graph_stages(output, expected):
    """[(dL/d<label>, got, expected, what flowed into it)] for every node of output's graph, from
    the output down (reverse topological order), for ``Checks.chain``; expected {label: float}."""
    order = output.topological_order()[::-1]
    children = {id(node): [] for node in order}
    for node in order:
        for parent in node.parents:
            if node.label not in children[id(parent)]:
                children[id(parent)].append(node.label)
    return [(f"dL/d{node.label}", node.grad, expected[node.label],
             " and ".join(f"dL/d{child}" for child in children[id(node)])) for node in order]
