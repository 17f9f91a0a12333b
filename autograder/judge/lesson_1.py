"""The judge of lesson 1's graded tasks, from the records of ``backprop_course.tasks.lesson_1``.

Tasks 1 and 2 (hand answers): the reference engine computes the lesson's network from its given
numbers; the student's forward values and gradients are compared with it from the loss down (bar
1e-3: answers to 3 significant digits), and task 2's gradients are also checked for consistency
with each other and with the student's own forward values (``check_hand_gradients``: a sum over
paths, naming a left-out path). Tasks 3 and 4 (the engine): the reference ``Scalar``'s local
derivatives and gradients on the same cases, compared with the ones the student's engine
returned; a graph's nodes carry the student's gradients for ``check_backward``, which names the
first wrong node and the misconception the whole sweep shows.
"""

from functools import lru_cache

from backprop_course.tasks.hand_answers import BAR as BAR_HAND
from backprop_course.tasks.lesson_1 import (FORWARD_NAMES, catalogued, check_backward, check_hand_gradients,
                                            given_graph, graded_cases, hand_inputs, local_grads_table, network)

from .reference import reference
from .verdict import StudentRaised

# What flowed into each value: the chain names the first wrong one and says whether these were right.
FORWARD_INFLOW = (("a1", "x and w1 (given)"), ("h1", "a1"), ("a2", "x and w2 (given)"), ("h2", "a2"),
                  ("a3", "h1 and h2"), ("h3", "a3"), ("a4", "h1 and h2"), ("h4", "a4"), ("y", "h3 and h4"),
                  ("L", "y"))
GRADIENT_INFLOW = (("y", ""), ("w7", "dL/dy"), ("w8", "dL/dy"), ("h3", "dL/dy"), ("h4", "dL/dy"),
                   ("w3", "dL/dh3"), ("w4", "dL/dh3"), ("w5", "dL/dh4"), ("w6", "dL/dh4"),
                   ("h1", "dL/dh3 and dL/dh4"), ("h2", "dL/dh3 and dL/dh4"), ("w1", "dL/dh1"), ("w2", "dL/dh2"))


def _scalar():
    return reference("graph").Scalar


def _truth(x, t, weights):
    """({node: forward value}, {node: gradient}, the catalogue's inputs) of the reference network."""
    nodes = network(_scalar(), x, t, weights)
    nodes["L"].backward()
    value = {name: node.value for name, node in nodes.items()}
    grad = {name: node.grad for name, node in nodes.items()}
    return value, grad, hand_inputs(x, t, weights, value, grad)


def forward(check, case, x, t, weights, seen):
    value, _, hand = _truth(x, t, weights)
    check.chain([(name, seen[name], value[name], inflow) for name, inflow in FORWARD_INFLOW],
                bar=BAR_HAND, name="forward values", inputs=hand)


def gradients(check, case, x, t, weights, seen):
    value, grad, hand = _truth(x, t, weights)
    check.chain([(f"dL/d{name}", seen[f"dL_d{name}"], grad[name], inflow) for name, inflow in GRADIENT_INFLOW],
                bar=BAR_HAND, name="gradients, from the loss down", inputs=hand)
    # Consistency with the student's own forward values (a task-1 value not given counts as the true one).
    check_hand_gradients(check, x, t, weights, {name: _own(seen, name, value[name]) for name in FORWARD_NAMES},
                         {f"dL_d{name}": seen[f"dL_d{name}"] for name, _ in GRADIENT_INFLOW}, bar=BAR_HAND)


def _own(seen, name, fallback):
    """The student's number ``name``, or ``fallback`` when there is none."""
    try:
        got = seen[name]
    except StudentRaised:
        return fallback
    return fallback if got is None else got


def local_derivatives(check, case, expression, points, bar, seen):
    Scalar = _scalar()
    check.close(case, seen["local grads"], local_grads_table(Scalar, expression, points), bar=bar,
                **catalogued(Scalar, expression, points))


@lru_cache(maxsize=None)
def _reference_grads(case):
    """{label: gradient} the reference engine gives graph case ``case`` (the 3000-node chain is
    built once per grader process, not once per submission)."""
    [(edges, output)] = [(edges, output) for name, edges, output, *_ in graded_cases("Lesson 1, task 4")
                         if name == case]
    nodes = given_graph(_scalar(), edges)
    nodes[output].backward()
    return {label: node.grad for label, node in nodes.items()}


def backward(check, case, edges, output, recorded, bar, seen):
    expected = _reference_grads(case)
    seen["backward"]
    got = seen["grads"]
    if got is None or got.shape != (len(recorded),):
        check.true(case, False, f"expected one gradient for each of the {len(recorded)} nodes")
        return
    if len(recorded) == 1:
        check.close(case, float(got[0]), expected[recorded[0]], bar=bar)
    else:
        nodes = given_graph(_scalar(), edges)  # the reference graph, carrying the student's gradients
        for label, grad in zip(recorded, got):
            nodes[label].grad = float(grad)
        check_backward(check, nodes[output], expected, bar=bar, name=case)
    seen["backward again"]
    check.close(f"{case}: a second backward() gives the same", seen["grads again"],
                [expected[label] for label in recorded], bar=bar)


def _cases(label):
    return lambda: graded_cases(label)


# {task label: (its cases, the judge of one case)}
JUDGES = {"Lesson 1, task 1": (_cases("Lesson 1, task 1"), forward),
         "Lesson 1, task 2": (_cases("Lesson 1, task 2"), gradients),
         "Lesson 1, task 3": (_cases("Lesson 1, task 3"), local_derivatives),
         "Lesson 1, task 4": (_cases("Lesson 1, task 4"), backward)}
