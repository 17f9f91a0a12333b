"""An MLP too large to draw unit by unit as a walkthrough source: one node per layer."""

import numpy as np

from .display import fmt, todo_message
from .library import library_of
from .trace import Edge, Node, Trace


class LayerSource:
    """An MLP too large to draw unit by unit: one node per layer, vectors summarised by their norms.

    Runs the model's own forward, backward and SGD step (of the model's library) on one sample
    x (1, in_features).
    """

    def __init__(self, model, x, y):
        self.model, self.x, self.y = model, x, y
        self.library = library_of(model)
        self.initial = [(layer, key, layer.params[key].copy()) for _, layer, key in model.named_parameters()]

    def reset(self):
        for layer, key, value in self.initial:
            layer.params[key][...] = value

    def update(self, lr):
        self.library.optim.SGD(self.model, lr).step()
        return self.model.num_parameters()

    def trace(self):
        model = self.model
        linears = [layer for layer in model.layers if layer.params]
        sizes = model.sizes
        t = Trace(edge_labels=True)
        t.nodes.append(Node("x", 0, 0, f"x ({sizes[0]})", f"‖x‖ {fmt(np.linalg.norm(self.x))}"))
        t.known.add("x")
        for l, layer in enumerate(linears, start=1):
            name = "scores" if l == len(linears) else f"h{l}"
            t.nodes.append(Node(name, l, 0, f"{name} ({sizes[l]})"))
            W = layer.params["W"]
            # One edge stands for a whole matrix: its rms sets the thickness, the sign of its sum the colour.
            t.edges.append(Edge(("W", l), "x" if l == 1 else f"h{l - 1}", name,
                                 float(np.sign(W.sum()) * np.sqrt(np.mean(W * W))), f"W{l}",
                                 f"W{l} {W.shape[0]}×{W.shape[1]}"))
        t.nodes.append(Node("L", len(linears) + 1, 0, "L"))
        t.edges.append(Edge(("scores", "L"), "scores", "L"))
        try:
            loss = self.library.losses.LOSS_FOR_OUTPUT[model.output_activation]()
            scores = model.forward(self.x)
            t.loss = loss.forward(scores, self.y)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            t.forward_error = todo_message(err, "run the forward pass")
            return t
        nodes = {n.key: n for n in t.nodes}
        hidden = [layer.cache for layer in model.layers[1::2]]
        for l, h in enumerate([*hidden, scores], start=1):
            name = "scores" if l == len(linears) else f"h{l}"
            nodes[name].value = f"‖{name}‖ {fmt(np.linalg.norm(h))}"
            what = "the scores" if name == "scores" else f"{model.activation}(z{l}), {h.size} units"
            t.forward.append((name, f"{name} = {what}: z{l} = {'x' if l == 1 else f'h{l - 1}'} W{l} + b{l}; "
                                    f"‖{name}‖ = {fmt(np.linalg.norm(h))}"))
        nodes["L"].value = fmt(t.loss)
        t.forward.append(("L", f"L = {type(loss).__name__}(scores, y) = {fmt(t.loss)}"))
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
            nodes[name].grad = f"‖∂z‖ {fmt(dz)}"
            t.backward.append((name, f"∂L/∂z{l} (= ∂L/∂b{l} for one sample): ‖·‖ = {fmt(dz)}"))
            dW = np.linalg.norm(linears[l - 1].grads["W"])
            edges[("W", l)].grad = f"‖∂W‖ {fmt(dW)}"
            t.backward.append((("W", l), f"∂L/∂W{l} = {'x' if l == 1 else f'h{l - 1}'}ᵀ · ∂L/∂z{l}: "
                                         f"‖·‖ = {fmt(dW)}"))
        return t
