"""What a walkthrough draws and reveals: nodes, edges, and one forward and backward pass as events.

A walkthrough's source (``scalar_source``, ``network_source``, ``layer_source``) gives ``trace()``
(a Trace of the current parameters), ``update(lr)`` (one gradient-descent step; returns how many
parameters moved) and ``reset()`` (back to the initial parameters).
"""

from dataclasses import dataclass, field


@dataclass
class Node:
    key: str
    col: int
    row: int
    title: str
    value: str = ""        # shown once the forward pass has reached the node
    grad: str = ""         # shown once the backward pass has reached the node


@dataclass
class Edge:
    key: tuple
    src: str
    dst: str
    weight: float = None   # edges that are weights are coloured by sign, thickness by magnitude
    name: str = ""
    value: str = ""
    grad: str = ""


@dataclass
class Trace:
    """One forward and backward pass, as the ordered events a walkthrough reveals."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    known: set = field(default_factory=set)       # node keys whose values show from the start
    forward: list = field(default_factory=list)   # [(node key, explanation)]
    backward: list = field(default_factory=list)  # [(node or edge key, explanation)]
    questions: dict = field(default_factory=dict)  # {index into backward: predict.Question asked first}
    loss: float = float("nan")
    forward_error: str = None
    backward_error: str = None
    edge_labels: bool = True                       # False for dense layers: only the active edge
