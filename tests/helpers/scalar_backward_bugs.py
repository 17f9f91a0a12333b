"""Wrong backward sweeps of lesson 1's Scalar, written as a student would, on the reference class."""

from helpers.reference_library import reference_module

graph = reference_module("graph")


class GivenReset(graph.Scalar):
    """The given part of backward (zero every grad, 1 at the output), then a student's ``sweep``."""

    def backward(self):
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        self.sweep(order)


class Overwrites(GivenReset):
    def sweep(self, order):
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads()):
                parent.grad = local * node.grad
