"""Any Scalar graph as a walkthrough source: one node per Scalar, the update replays every op.

The graph's own Scalar class (the library that built it) recomputes it: no library is imported here.
"""

import operator

from .display import fmt, todo_message
from .predict import Factor, Path, Question
from .trace import Edge, Node, Trace

_UNARY = {"neg": operator.neg, **{op: operator.methodcaller(op) for op in ("exp", "log", "tanh", "sigmoid", "relu")}}
_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _replay(node):
    """A fresh Scalar computing ``node``'s op from its parents' current values (after an update)."""
    parents = [type(node)(parent.value) for parent in node.parents]
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


class ScalarSource:
    """A Scalar graph drawn node by node; the update moves ``params`` and recomputes the graph."""

    def __init__(self, root, params=None):
        if not all(hasattr(root, name) for name in ("topological_order", "parents", "backward")):
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
        t = Trace(loss=self.root.value)
        for node in order:
            c = col[id(node)]
            rows[c] = rows.get(c, -1) + 1
            title = f"{names[id(node)]} ({node.op})" if node.parents else names[id(node)]
            t.nodes.append(Node(key[id(node)], c, rows[c], title, fmt(node.value)))
            for parent in node.parents:
                t.edges.append(Edge((key[id(parent)], key[id(node)]), key[id(parent)], key[id(node)]))
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
            nodes[key[id(node)]].grad = f"∂ {fmt(node.grad)}"
            if node is self.root:
                text = f"∂L/∂{names[id(node)]} = 1 (the output itself)"
            else:
                terms = [(child, locals_[id(child)][index]) for child, index in children[id(node)]]
                t.questions[len(t.backward)] = self._question(node, terms)
                products = " + ".join(f"{fmt(child.grad)}×{fmt(local)}" for child, local in terms)
                factors = " + ".join(f"∂L/∂{names[id(child)]}·∂{names[id(child)]}/∂{names[id(node)]}"
                                     for child, _ in terms)
                text = f"∂L/∂{names[id(node)]} = {factors} = {products} = {fmt(node.grad)}"
            t.backward.append((key[id(node)], text))
        return t

    def _question(self, node, terms):
        """What a student predicts for ``node``: one path per use of it, ∂L/∂child × ∂child/∂node."""
        names, me = self.names, self.names[id(node)]
        swap = "the local derivative of a product with respect to one factor is the other factor"
        return Question(f"∂L/∂{me}", me, tuple(
            Path(names[id(child)], (Factor(f"∂L/∂{names[id(child)]}", child.grad),
                                    Factor(f"∂{names[id(child)]}/∂{me}", local,
                                           ((me, node.value, swap),) if child.op == "*" else ())))
            for child, local in terms))

    def _forward_text(self, node):
        names = self.names
        args = [f"{names[id(p)]}={fmt(p.value)}" for p in node.parents]
        if node.op in _BINARY:
            return f"{names[id(node)]} = {args[0]} {node.op} {args[1]} = {fmt(node.value)}"
        if node.op.startswith("**"):
            return f"{names[id(node)]} = ({args[0]}){node.op} = {fmt(node.value)}"
        return f"{names[id(node)]} = {node.op}({', '.join(args)}) = {fmt(node.value)}"
