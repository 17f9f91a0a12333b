"""A scalar computation graph: every node holds one number, every edge one local derivative.

Each operation below computes its forward value and, right beside it, the local derivatives of
its output with respect to each of its inputs. ``Scalar.backward`` then applies the chain rule:
the gradient reaching a node is the sum, over the paths to the output, of the products of the
local derivatives along each path.

The slides draw one weight per edge; here a weight is a node of its own, a leaf that feeds a
multiplication (a1 = w1 * x has parents w1 and x), so it gets a ``grad`` like any other node.

Scalar graphs are for drawing and checking small networks by hand; training uses the
vectorised layers in ``backprop_lib.layers``.
"""

import math
import numbers


class Scalar:
    """One node of a computation graph.

    Attributes:
        value: the float computed by the forward pass.
        grad: dL/d(this node) after ``backward()`` on the output L; 0.0 before.
        parents: the nodes this one was computed from (empty for inputs and weights).
        op: the operation that made this node ("+", "*", "tanh", ...; "" for a leaf).
        label: an optional name shown in drawings ("x", "w1", ...).
        local_grads: a function returning d(this node)/d(parent) for each parent, in order.
    """

    def __init__(self, value, parents=(), op="", label="", local_grads=None):
        self.value = float(value)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.label = label
        self.local_grads = local_grads or (lambda: ())

    def __repr__(self):
        name = f"{self.label}=" if self.label else ""
        return f"Scalar({name}{self.value:.6g}, grad={self.grad:.6g})"

    # ---- operations: forward value, then the local derivatives of the output --------------

    def __add__(self, other):
        other = as_scalar(other)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivatives of a + b
            return (1.0, 1.0)
            ### END SOLUTION

        return Scalar(self.value + other.value, (self, other), "+", local_grads=local_grads)

    def __sub__(self, other):
        other = as_scalar(other)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivatives of a - b
            return (1.0, -1.0)
            ### END SOLUTION

        return Scalar(self.value - other.value, (self, other), "-", local_grads=local_grads)

    def __mul__(self, other):
        other = as_scalar(other)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivatives of a * b
            return (other.value, self.value)
            ### END SOLUTION

        return Scalar(self.value * other.value, (self, other), "*", local_grads=local_grads)

    def __truediv__(self, other):
        other = as_scalar(other)
        if other.value == 0.0:
            raise ZeroDivisionError(f"Scalar division by zero: the divisor {other!r} is 0")

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivatives of a / b
            return (1.0 / other.value, -self.value / other.value**2)
            ### END SOLUTION

        return Scalar(self.value / other.value, (self, other), "/", local_grads=local_grads)

    def __pow__(self, exponent):
        if isinstance(exponent, Scalar) or not isinstance(exponent, numbers.Real):
            raise TypeError("Scalar ** takes a plain number as exponent, e.g. a ** 2; "
                            "for a Scalar exponent write (b * a.log()).exp()")
        if self.value < 0 and not float(exponent).is_integer():
            raise ValueError(f"a negative Scalar ({self.value!r}) to the power {exponent!r} is not "
                             "a real number: use an integer exponent")

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of a ** n
            return (exponent * self.value ** (exponent - 1),)
            ### END SOLUTION

        return Scalar(self.value**exponent, (self,), f"**{float(exponent):g}", local_grads=local_grads)

    def __neg__(self):
        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of -a
            return (-1.0,)
            ### END SOLUTION

        return Scalar(-self.value, (self,), "neg", local_grads=local_grads)

    def exp(self):
        out = math.exp(self.value)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of exp(a)
            return (out,)
            ### END SOLUTION

        return Scalar(out, (self,), "exp", local_grads=local_grads)

    def log(self):
        if self.value <= 0.0:
            raise ValueError(f"Scalar.log needs a positive value, got {self.value!r}")

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of log(a)
            return (1.0 / self.value,)
            ### END SOLUTION

        return Scalar(math.log(self.value), (self,), "log", local_grads=local_grads)

    def tanh(self):
        out = math.tanh(self.value)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of tanh(a)
            return (1.0 - out * out,)
            ### END SOLUTION

        return Scalar(out, (self,), "tanh", local_grads=local_grads)

    def sigmoid(self):
        # exp(-|a|) cannot overflow; the sign picks the form that stays exact for tiny outputs.
        e = math.exp(-abs(self.value))
        out = (1.0 if self.value >= 0 else e) / (1.0 + e)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of sigmoid(a)
            return (out * (1.0 - out),)
            ### END SOLUTION

        return Scalar(out, (self,), "sigmoid", local_grads=local_grads)

    def relu(self):
        out = max(self.value, 0.0)

        def local_grads():
            ### BEGIN SOLUTION Lesson 1, task 3: local derivative of relu(a) (0 at the kink a = 0)
            return (1.0 if self.value > 0.0 else 0.0,)
            ### END SOLUTION

        return Scalar(out, (self,), "relu", local_grads=local_grads)

    # A number on the left (2.0 - a, 1.5 / a) becomes a constant leaf of the graph.
    def __radd__(self, other):
        return as_scalar(other) + self

    def __rsub__(self, other):
        return as_scalar(other) - self

    def __rmul__(self, other):
        return as_scalar(other) * self

    def __rtruediv__(self, other):
        return as_scalar(other) / self

    # ---- the backward pass ----------------------------------------------------------------

    def topological_order(self):
        """Every node this one depends on, each after all of its parents, this node last.

        Iterative, so that deep graphs do not hit Python's recursion limit.
        """
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents if id(parent) not in seen)
        return order

    def backward(self):
        """Fill ``grad`` of every node in the graph with d(self)/d(node).

        Gradients are recomputed from zero on each call (they do not accumulate across calls).
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        ### BEGIN SOLUTION Lesson 1, task 4: the backward pass
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads()):
                parent.grad += local * node.grad
        ### END SOLUTION


def as_scalar(x):
    """Wrap a plain number as a constant leaf; pass a Scalar through."""
    if isinstance(x, Scalar):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Scalar(x, label=f"{float(x):g}")
    raise TypeError(f"cannot combine a Scalar with {type(x).__name__} {x!r}: use a number or a Scalar")
