"""Practice graphs for lesson 1: a seeded random small ReLU network to work through by hand.

    graph = practice_graph(seed=7)    # the same seed gives the same graph, on every machine
    graph.show()                      # its equations and given numbers
    graph.check({"a1": -1.0, "h1": 0.0, "dL_dw1": 0.0})   # rows at once; ungraded

Each graph is the lesson's network with other numbers and shapes: one input x, one or two hidden
ReLU layers of one or two units, one output y and L = (y - t)^2 / 2. Weights are nice numbers
(halves between -2 and 2) so that the arithmetic stays on paper, and at least one ReLU is off
(its pre-activation is negative), so the student meets a gradient that stops there. Values are
computed in plain floats (the student's engine may not work yet); ``build(Scalar)`` builds the
same graph from an engine's leaves, for comparing with it. Nothing here is graded.
"""

import numpy as np

from .checks import Checks

WEIGHTS = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
INPUTS = (-2.0, -1.0, 1.0, 2.0, 3.0)
TARGETS = (-2.0, -1.0, 0.0, 1.0, 2.0)
BAR = 1e-3  # hand answers, to 3 significant digits


class PracticeGraph:
    """One practice network: ``layers`` hidden widths (e.g. (2, 2)), ``x``, ``t`` and
    ``weights`` {"w1": float, ...}, numbered layer by layer, unit by unit, input by input.

    ``units`` lists each hidden unit k as (its pre-activation "a<k>", its value "h<k>", its
    incoming [(weight, input node)]); ``output`` lists y's incoming [(weight, hidden node)].
    """

    def __init__(self, layers, x, t, weights):
        self.layers, self.x, self.t, self.weights = tuple(layers), x, t, dict(weights)
        names = iter(self.weights)
        self.units, previous, k = [], ["x"], 0
        for width in self.layers:
            current = []
            for _ in range(width):
                k += 1
                self.units.append((f"a{k}", f"h{k}", [(next(names), node) for node in previous]))
                current.append(f"h{k}")
            previous = current
        self.output = [(next(names), node) for node in previous]

    def equations(self):
        """The forward pass as lines of text, e.g. "a3 = w3 h1 + w4 h2", "h3 = relu(a3)"."""
        lines = []
        for a, h, edges in self.units:
            lines += [f"{a} = " + " + ".join(f"{w} {node}" for w, node in edges), f"{h} = relu({a})"]
        return lines + ["y = " + " + ".join(f"{w} {node}" for w, node in self.output), "L = (y - t)^2 / 2"]

    def forward(self):
        """{name: value} of every node: x, t, the weights, a1.., h1.., y and L."""
        v = {"x": self.x, "t": self.t, **self.weights}
        for a, h, edges in self.units:
            v[a] = sum(v[w] * v[node] for w, node in edges)
            v[h] = max(v[a], 0.0)
        v["y"] = sum(v[w] * v[node] for w, node in self.output)
        v["L"] = 0.5 * (v["y"] - self.t) ** 2
        return v

    def gradients(self):
        """{"dL_d<name>": float} for y, every hidden value h<k> and every weight, by backprop."""
        v = self.forward()
        grad = {"y": v["y"] - self.t}
        for w, node in self.output:
            grad[w] = grad["y"] * v[node]
            grad[node] = grad["y"] * v[w]
        for a, h, edges in reversed(self.units):  # every h<k> is complete before it is passed on
            upstream = grad.get(h, 0.0) * (1.0 if v[a] > 0 else 0.0)
            for w, node in edges:
                grad[w] = upstream * v[node]
                if node != "x":
                    grad[node] = grad.get(node, 0.0) + upstream * v[w]
        order = ["y"] + [h for _, h, _ in self.units][::-1] + list(self.weights)
        return {f"dL_d{name}": grad[name] + 0.0 for name in order}  # + 0.0: a -0.0 reads as 0

    def off(self):
        """The hidden units whose ReLU is off (pre-activation <= 0)."""
        v = self.forward()
        return [h for a, h, _ in self.units if v[a] <= 0]

    def build(self, Scalar):
        """The same graph from ``Scalar`` leaves: {name: node} for x, the weights, a<k>, h<k>, y, L."""
        nodes = {"x": Scalar(self.x, label="x")}
        nodes.update((w, Scalar(value, label=w)) for w, value in self.weights.items())
        for a, h, edges in self.units:
            nodes[a] = _weighted_sum(nodes, edges)
            nodes[h] = nodes[a].relu()
        nodes["y"] = _weighted_sum(nodes, self.output)
        nodes["L"] = 0.5 * (nodes["y"] - self.t) ** 2
        return nodes

    def layout(self):
        """(positions, weighted edges) for ``lesson_1.draw_network``: one column per layer."""
        positions, edges = {"x": (0, 0)}, []
        columns, k = [], 0
        for width in self.layers:
            columns.append([self.units[k + i] for i in range(width)])
            k += width
        for depth, layer in enumerate(columns, 1):
            for i, (_, h, incoming) in enumerate(layer):
                positions[h] = (depth, 0.8 - 1.6 * i if len(layer) > 1 else 0)
                # a crossing edge's label near its start, so that two crossing labels do not overlap
                edges += [(node, h, w, 0.22 if positions[node][1] != positions[h][1] and len(incoming) > 1 else 0.5)
                          for w, node in incoming]
        edges += [(node, "y", w, 0.5) for w, node in self.output]
        positions["y"], positions["L"] = (len(columns) + 1, 0), (len(columns) + 2, 0)
        return positions, edges

    def draw(self, values=None, grads=None):
        """Draw the graph with its weights (and values, grads as ``lesson_1.draw_network`` takes them)."""
        from .tasks.lesson_1 import draw_network

        draw_network(self.weights, values, grads, self.layout(),
                     title=f"practice: x → {' → '.join(f'{width} ReLU' for width in self.layers)} → y → L")

    def show(self):
        """Print the graph: its given numbers, its equations and the names to fill in."""
        given = ", ".join(f"{w} = {value:g}" for w, value in self.weights.items())
        print(f"x = {self.x:g}, t = {self.t:g}\n{given}\n" + "\n".join(self.equations()))
        answers = [name for name in self.forward() if name[0] in "ahyL"]
        print("fill in: " + ", ".join(answers + list(self.gradients())))

    def check(self, answers):
        """Rows at once for hand answers {name: float or None} (names as ``show`` lists them):
        each given value against the truth, with the true value shown (practice is ungraded).
        Returns the number of wrong answers."""
        truth = {**{name: value for name, value in self.forward().items() if name[0] in "ahyL"},
                 **self.gradients()}
        unknown = sorted(set(answers) - set(truth))
        if unknown:
            raise KeyError(f"no value named {', '.join(unknown)} in this graph: use the names show() prints")
        check = Checks("Practice")
        for name, value in truth.items():
            if answers.get(name) is None:
                continue
            check.close(name.replace("_", "/"), answers[name], value, bar=BAR)
        if not check.rows:
            print("nothing to check yet: write your numbers in place of the Nones and run the cell again")
            return 0
        off = ", ".join(self.off())
        print(f"{len(check.rows) - len(check.failures)} of {len(check.rows)} right; ReLU off here: {off}")
        return len(check.failures)


def _weighted_sum(nodes, edges):
    total = None
    for w, node in edges:
        term = nodes[w] * nodes[node]
        total = term if total is None else total + term
    return total


def practice_graph(seed):
    """A random practice graph from ``np.random.default_rng(seed)``: hidden widths from
    (1, 2), (2, 1), (2, 2), (2,), weights and x from nice numbers, at least one ReLU off and the
    last hidden layer not all off (so that y and the gradients are not all zero). The numbers come
    from fixed choices (integers), so the same seed gives the same graph on every machine."""
    rng = np.random.default_rng(seed)
    shapes = ((1, 2), (2, 1), (2, 2), (2,))
    while True:
        layers = shapes[int(rng.integers(len(shapes)))]
        count = sum(a * b for a, b in zip((1,) + layers, layers + (1,)))
        weights = {f"w{k}": WEIGHTS[int(rng.integers(len(WEIGHTS)))] for k in range(1, count + 1)}
        graph = PracticeGraph(layers, INPUTS[int(rng.integers(len(INPUTS)))],
                              TARGETS[int(rng.integers(len(TARGETS)))], weights)
        last = [h for _, h, _ in graph.units][-layers[-1]:]
        if graph.off() and set(last) - set(graph.off()) and graph.forward()["y"] != graph.t:
            return graph
