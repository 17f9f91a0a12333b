"""Lesson 1 (the computation graph): the lesson's network, its drawing, and the helpers of its checks.

Everything that builds nodes takes the ``Scalar`` class to build them with (the student's in the
notebook, the reference in the grader's judge), so the same helper serves the visible check and
the judge. Expressions over the engine are Python text in the names ``a`` and ``b``, e.g.
``"a * b"`` or ``"a.exp()"``. The checks hand the misconception catalogue
(``backprop_course.misconceptions.lesson_1``) its inputs by the names it uses.

The graded checks (``run_graded_cases``) only record the student's hand answers (tasks 1, 2) or
what the student's engine returned on ``graded_cases(label)`` (tasks 3, 4), with ``records``; the
grader's judge (``backprop_course.autograder.judge.lesson_1``) builds the same cases, runs the
reference engine and decides. No expected value of a graded case is in this file or a notebook.
"""

import numbers
import re

import numpy as np

from backprop_course.checks import compare
from backprop_course.records import Observation, emit, encode, encode_error, not_judged_warning

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


def draw_network(weights, values=None, grads=None, layout=None,
                 title="x → ReLU layer (h1, h2) → ReLU layer (h3, h4) → y → L = ½(y − t)²"):
    """Draw a network, one weight per edge (weights {"w1": float, ...}); values {node name: float}
    go into the nodes and grads {"w1": float, ...} onto the edges. layout: (positions {node: (x, y)},
    weighted edges [(start, end, weight, where along the edge its label goes)]) with a node "y" and
    "L" right of it; by default the lesson's 1-2-2-1 network."""
    import matplotlib.pyplot as plt  # here, not at the top: grading never draws

    positions, edges = layout or (_POSITIONS, _EDGES)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for start, end, w, where in edges:
        (x0, y0), (x1, y1) = positions[start], positions[end]
        ax.plot([x0, x1], [y0, y1], color="0.6", zorder=1)
        text = f"{w}={weights[w]:g}"
        if grads:
            text += f"\n∂L/∂{w}={grads[w]:.4g}"
        ax.text(x0 + where * (x1 - x0), y0 + where * (y1 - y0) + 0.1, text, fontsize=8,
                ha="center", color="tab:red" if grads else "black")
    (yx, yy), (lx, ly) = positions["y"], positions["L"]
    ax.plot([yx, lx], [yy, ly], color="0.6", zorder=1)
    for name, (px, py) in positions.items():
        ax.scatter(px, py, s=900, color="white", edgecolors="black", zorder=2)
        label = name if values is None else f"{name}\n{values[name]:.4g}"
        ax.text(px, py, label, ha="center", va="center", fontsize=8, zorder=3)
    ax.set_xlim(-0.4, lx + 0.4)
    ax.set_ylim(-1.3, 1.3)
    ax.axis("off")
    ax.set_title(title)
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


def sensitivity(Scalar, x, t, weights, weight, nudge=0.01):
    """What the engine's dL/d<weight> says, in one sentence: the change of L it predicts for
    <weight> + nudge (gradient x nudge) beside the change a second forward pass measures."""
    nodes = network(Scalar, x, t, weights)
    nodes["L"].backward()
    slope, before = nodes[weight].grad, nodes["L"].value
    after = network(Scalar, x, t, {**weights, weight: weights[weight] + nudge})["L"].value
    direction = "lowers" if slope < 0 else "raises"
    return (f"dL/d{weight} = {slope:.4g}: raising {weight} by {nudge:g} {direction} L by about "
            f"|{slope:.4g} x {nudge:g}| = {abs(slope * nudge):.4g} (a forward pass measures {after - before:+.4g}), "
            f"so gradient descent, {weight} <- {weight} - lr dL/d{weight}, "
            f"{'raises' if slope < 0 else 'lowers'} {weight}.")


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

    # The student's numbers where each is one real number; another answer (a list, an array, a
    # string) fails its own row, and its true value stands in for it in the rules of the others.
    def own(answers, true):
        return {name: value if np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.number)
                else true[name] for name, value in answers.items()}

    own_numbers, own_grads = own(forward, truth), own(grads, true_grads)
    rows = [("dL/dy = y - t", "dL/dy", lambda values: values["y"] - t)]
    rows += [(f"{name} = " + " + ".join(f"{upstream} {factor}" for upstream, _, factor in paths), name,
              lambda values, paths=paths: expected(paths, values, own_grads)) for name, paths in _BACKWARD]
    for row, name, rule in rows:
        # A right number is right whatever the student wrote above it (that row fails on its own).
        if fits(grads[name], true_grads[name]):
            want = true_grads[name]
        else:
            want = rule(truth) if fits(grads[name], rule(truth)) else rule(own_numbers)
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


def local_check_name(expression, values):
    """The name of a row checking ``expression``'s local derivatives at one point: "d(a * b) at a = 1.5, b = -2"."""
    return f"d({expression}) at " + ", ".join(f"{name} = {value:g}" for name, value in zip("ab", values))


def check_local_grads(check, Scalar, expression, values, bar=1e-6):
    """A row "d(<expression>) at a = ..." comparing the node's local_grads() with central differences."""
    check.close(local_check_name(expression, values), _evaluate(Scalar, expression, values).local_grads(),
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


# ---- what each task's check unlocks once it passes (backprop_course.reveal) ------------------------

REVEALS = {
    "Lesson 1, task 2": r"""$w_1$ reaches $L$ along two paths, through $h_3$ and through $h_4$; each contributes the
product of the local derivatives along it, and the two add up:

$$\frac{\partial L}{\partial w_1} = (y - t)\,\Big[w_7\,\mathrm{relu}'(a_3)\,w_3
+ w_8\,\mathrm{relu}'(a_4)\,w_5\Big]\,\mathrm{relu}'(a_1)\,x .$$

Backpropagation computes the same sum one node at a time, each from the gradients of the nodes it feeds:
$\dfrac{\partial L}{\partial h_1} = \dfrac{\partial L}{\partial a_3}\, w_3 + \dfrac{\partial L}{\partial a_4}\, w_5$,
then $\dfrac{\partial L}{\partial w_1} = \dfrac{\partial L}{\partial h_1}\,\mathrm{relu}'(a_1)\,x$.""",
    "Lesson 1, task 3": r"""The local derivatives, one per parent:

| operation | $\partial/\partial a$ | $\partial/\partial b$ |
|---|---|---|
| $a + b$ | $1$ | $1$ |
| $a - b$ | $1$ | $-1$ |
| $a b$ | $b$ | $a$ |
| $a / b$ | $1/b$ | $-a/b^2$ |
| $a^n$ | $n a^{n-1}$ | |
| $-a$ | $-1$ | |
| $e^a$ | $e^a$ = `out` | |
| $\log a$ | $1/a$ | |
| $\tanh a$ | $1 - \text{out}^2$ | |
| $\sigma(a)$ | $\text{out}\,(1 - \text{out})$ | |
| $\mathrm{relu}(a)$ | $1$ if $a > 0$, else $0$ | |""",
    "Lesson 1, task 4": r"""Visit the nodes in *reverse* topological order, so that a node's gradient is complete before it is
passed on, and for every node $n$ and every parent $p$ of $n$ **add**

$$\frac{\partial L}{\partial p} \mathrel{+}= \frac{\partial n}{\partial p}\,\frac{\partial L}{\partial n}
\qquad\text{(in code: } \texttt{parent.grad += local * node.grad}\text{)}.$$

**Add within a pass, start afresh across calls.** Adding (not assigning) is what sums over paths: a node used
twice, or feeding two nodes, receives a contribution along each edge. That adding happens *within* one backward
pass; the given code zeroes every `grad` first, so a second `backward()` gives the same gradients, not twice them.
Lesson 2's layers *overwrite* their gradients for the same reason: one call is one pass, and its sum over paths
(over the batch) happens inside the matrix product. PyTorch instead keeps adding across calls, so a training loop
calls `optimizer.zero_grad()` before each `backward()`.""",
}


# ---- the graded cases: recorded here, judged by the grader ---------------------------------------

# The lesson's network (tasks 1 and 2): the numbers the notebook gives the student.
GIVEN_X, GIVEN_T = 2.0, 1.0
GIVEN_WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}
# The hand answers each task records, by their names in the notebook (task 2's check also needs task 1's).
FORWARD_NAMES = ("a1", "h1", "a2", "h2", "a3", "h3", "a4", "h4", "y", "L")
GRADIENT_NAMES = ("dL_dy", "dL_dh3", "dL_dh4", "dL_dh1", "dL_dh2", "dL_dw1", "dL_dw2", "dL_dw3", "dL_dw4",
                  "dL_dw5", "dL_dw6", "dL_dw7", "dL_dw8")
ANSWERS = {"Lesson 1, task 1": FORWARD_NAMES, "Lesson 1, task 2": GRADIENT_NAMES}
NETWORK_CASE = "the lesson's network"

# Task 3: each operation's local derivatives at three points, relu' on both sides of and at its
# kink, and sigmoid' far out (where a formula from exp(-a) alone overflows): (case, expression,
# points, bar).
GRADED_EXPRESSIONS = ("a + b", "a - b", "a * b", "a / b", "a ** 3", "a ** 0.5", "a ** -1", "-a", "a.exp()",
                      "a.log()", "a.tanh()", "a.sigmoid()", "a.relu()", "2.0 - a", "1.5 / a", "3.0 * a")
GRADED_POINTS = ((0.7, -1.3), (2.5, 0.4), (1.1, 3.0))
# The visible check's points (the judge grades them too).
VISIBLE_LOCAL = (("a + b", (1.5, -2.0)), ("a - b", (1.5, -2.0)), ("a * b", (1.5, -2.0)), ("a / b", (1.5, -2.0)),
                 ("a ** 3", (1.5,)), ("-a", (1.5,)), ("a.exp()", (0.5,)), ("a.log()", (1.5,)), ("a.tanh()", (0.5,)),
                 ("a.sigmoid()", (0.5,)), ("a.relu()", (1.5,)), ("a.relu()", (-1.5,)))
LOCAL_CASES = (tuple((local_check_name(expression, values), expression, (values,), 1e-6)
                     for expression, values in VISIBLE_LOCAL)
               + tuple((f"local derivatives of {expression}", expression, GRADED_POINTS, 1e-10)
                       for expression in GRADED_EXPRESSIONS)
               + tuple((f"relu'({a:g})", "a.relu()", ((a,),), 0.0) for a in (-2.0, 0.0, 3.0))
               + (("sigmoid' at -800", "a.sigmoid()", ((-800.0,),), 1e-7),))

# Task 4: graphs of fixed local derivatives (``given_graph``), so only backward() is graded: the
# visible check's, a small one where paths meet (one parent twice: both edges add up) and a chain
# no recursion limit may stop: (case, edges, output label, the labels whose grads are recorded, bar).
VISIBLE_GRAPH = {"a": [], "b": [], "u": [("a", 2.0), ("b", -1.0)], "v": [("a", 0.5), ("u", 3.0)],
                 "L": [("u", 1.0), ("v", -2.0)]}
GRADED_GRAPH = {"a": [], "b": [], "c": [], "u": [("a", 1.5), ("b", -2.0)],
                "v": [("u", 0.25), ("a", 3.0), ("c", -1.0)], "s": [("u", 2.0), ("u", -0.5)],
                "L": [("v", -1.0), ("s", 4.0), ("b", 0.5)]}
CHAIN = {"d0": [], **{f"d{i}": [(f"d{i - 1}", 1.0001 if i % 2 else 0.9999)] for i in range(1, 3000)}}
GRAPH_CASES = (("the example graph, from L down", VISIBLE_GRAPH, "L", tuple(VISIBLE_GRAPH), 1e-12),
               ("gradients, from L down", GRADED_GRAPH, "L", tuple(GRADED_GRAPH), 1e-10),
               ("3000-node chain: dL/d(first node)", CHAIN, "d2999", ("d0",), 1e-10))


def graded_cases(label):
    """[(case name, *inputs)] of graded task ``label``: (name, x, t, weights) for tasks 1 and 2,
    LOCAL_CASES for task 3, GRAPH_CASES for task 4."""
    if label in ANSWERS:
        return [(NETWORK_CASE, GIVEN_X, GIVEN_T, dict(GIVEN_WEIGHTS))]
    return list(LOCAL_CASES if label == "Lesson 1, task 3" else GRAPH_CASES)


def _observe_answers(seen, label, answers):
    names = ANSWERS[label]
    seen.call("answers", _all_given, label, names, answers)
    for name in FORWARD_NAMES + (GRADIENT_NAMES if label == "Lesson 1, task 2" else ()):
        seen.values[name] = encode(answers.get(name))


def _all_given(label, names, answers):
    """Raises NotImplementedError naming the answers still None: the judge then says what to fill
    in, as the visible check does."""
    missing = [name for name in names if answers.get(name) is None]
    if missing:
        raise NotImplementedError(f"{label}: fill in {', '.join(missing)}")


def _observe_local_grads(seen, Scalar, expression, points):
    seen.call("local grads", local_grads_table, Scalar, expression, points)


def _observe_backward(seen, Scalar, edges, output, recorded):
    nodes = given_graph(Scalar, edges)
    seen.call("backward", nodes[output].backward)
    seen.call("grads", lambda: [nodes[label].grad for label in recorded])
    seen.call("backward again", nodes[output].backward)
    seen.call("grads again", lambda: [nodes[label].grad for label in recorded])


def run_graded_cases(label, given):
    """Record graded task ``label`` ("Lesson 1, task k") and emit it; nothing is judged here.
    Tasks 1 and 2: ``given`` maps the notebook's names to the student's hand answers (the cell
    passes ``globals()``). Tasks 3 and 4: ``given`` is the student's ``Scalar`` class, run on
    every graded case."""
    cases = {}
    for name, *inputs in graded_cases(label):
        seen = cases[name] = Observation()
        try:
            if label in ANSWERS:
                _observe_answers(seen, label, given)
            elif label == "Lesson 1, task 3":
                _observe_local_grads(seen, given, *inputs[:2])
            else:
                _observe_backward(seen, given, *inputs[:3])
        except Exception as err:  # only the course's own code is left to raise here
            seen.values.setdefault("layer", encode_error(err))
    emit(label, {name: seen.values for name, seen in cases.items()})
    not_judged_warning(label)
