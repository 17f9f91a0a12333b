"""Predict, then reveal: check a student's ∂L/∂node before the walkthrough shows it.

A backward step of a walkthrough asks a ``Question``: the gradient as a sum over paths, each path a
product of factors (the upstream gradient and the local derivative along it). ``verdict`` reads the
typed number against it. A slip is named only when its wrong formula reproduces the number (a path
left out, a factor left out, a factor read from the wrong place, or a slip the source lists, such as
t − y for y − t) and no other listed slip gives the same number; otherwise the verdict says what is
observed: the sign, and how far off the number is. Numbers count as equal to 3 significant digits,
as lesson 1's hand answers are graded.
"""

import ast
import math
import operator
from dataclasses import dataclass
from itertools import combinations

from .display import fmt

# Relative tolerance: 3 significant digits (the drawings show 4, so sums of shown numbers pass).
REL = 5e-3
# Up to this many paths, every set of left-out paths is tried; above it, one path at a time.
MAX_SUBSETS = 4
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow}


@dataclass(frozen=True)
class Factor:
    """One factor of a path's product: its name as the walkthrough writes it and its value.

    ``instead``: (name, value, why) of what a student may use in its place, e.g. the weight itself
    instead of the input it multiplies; ``why`` says what the right factor is.
    """

    name: str
    value: float
    instead: tuple = ()


@dataclass(frozen=True)
class Path:
    """One path from the node to L through ``via`` (the node it feeds): the product of ``factors``."""

    via: str
    factors: tuple

    @property
    def value(self):
        return math.prod(f.value for f in self.factors)

    def text(self):
        names = "·".join(f.name for f in self.factors)
        numbers = "×".join(fmt(f.value) for f in self.factors)
        return f"{names} = {numbers} = {fmt(self.value)}" if len(self.factors) > 1 else f"{names} = {numbers}"


@dataclass(frozen=True)
class Question:
    """What a backward step asks: ``name`` (e.g. "∂L/∂h1") of ``node``, the sum of ``paths``.

    ``slips``: more wrong formulas as (what the number is, its value, why it is wrong), e.g.
    ("t − y", 1.5, "the derivative of ½(y − t)² with respect to y is y − t"). A question with no
    paths (a loss's own derivative) has its right ``value`` given.
    """

    name: str
    node: str
    paths: tuple = ()
    slips: tuple = ()
    given: float = None

    @property
    def value(self):
        return self.given if self.given is not None else sum(p.value for p in self.paths)


@dataclass
class Verdict:
    right: bool
    text: str
    named: bool = False   # True when a slip's formula reproduced the number


def close(got, want):
    """got equals want to 3 significant digits (REL relative; an exact 0 needs 0 to about 1e-12)."""
    return abs(got - want) <= REL * abs(want) + 1e-12


def parse_number(text):
    """The number typed: a plain number or arithmetic of numbers (``-1.5*2``, ``3/4``, ``−0.75``)."""
    source = text.strip().replace("−", "-").replace("×", "*").replace("·", "*").replace(",", ".")
    if not source:
        raise ValueError("type a number first")
    try:
        value = _evaluate(ast.parse(source, mode="eval").body)
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError):
        raise ValueError(f"cannot read {text.strip()!r} as a number: type e.g. -3.75 or -1.5*2.5") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return value


def _evaluate(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right)))
    raise ValueError("not arithmetic")


def wrong_formulas(question):
    """[(what the wrong number is, its value)] for every slip this question's structure allows."""
    q, found = question, []
    paths = list(q.paths)
    if len(paths) > 1:
        sizes = range(1, len(paths)) if len(paths) <= MAX_SUBSETS else [1]
        for size in sizes:
            for left_out in combinations(range(len(paths)), size):
                kept = sum(p.value for i, p in enumerate(paths) if i not in left_out)
                missing = "; ".join(f"through {paths[i].via}: {paths[i].text()}" for i in left_out)
                vias = " and ".join(p.via for p in paths)
                found.append((f"{q.name} without the path{'s' if size > 1 else ''} {missing}. {q.node} feeds "
                              f"{vias}: its gradient adds one product per path", kept))
    for index, path in enumerate(paths):
        others = sum(p.value for i, p in enumerate(paths) if i != index)
        where = f" in the path through {path.via}" if len(paths) > 1 else ""
        for k, factor in enumerate(path.factors):
            rest = math.prod(f.value for i, f in enumerate(path.factors) if i != k)
            if len(path.factors) > 1:
                found.append((f"{q.name} with the factor {factor.name} = {fmt(factor.value)} left out{where}: "
                              f"the product is {path.text()}", others + rest))
            for name, value, why in factor.instead:
                found.append((f"{q.name} with {name} = {fmt(value)} in place of {factor.name} = "
                              f"{fmt(factor.value)}{where}: {why}", others + rest * value))
    found += [(f"{what} = {fmt(value)}: {why}", value) for what, value, why in q.slips]
    return found


def verdict(question, typed):
    """The Verdict on ``typed`` (a float) as the answer to ``question``."""
    right = question.value
    if close(typed, right):
        return Verdict(True, f"right: {question.name} = {fmt(right)}")
    # A slip that gives the right number here cannot be told from a right answer: it is no candidate.
    candidates = [(what, value) for what, value in wrong_formulas(question) if not close(value, right)]
    matches = {what for what, value in candidates if close(typed, value)}
    if len(matches) == 1:
        return Verdict(False, f"your {fmt(typed)} is {matches.pop()}", named=True)
    return Verdict(False, f"your {fmt(typed)} for {question.name}: {observed(typed, right)}"
                          + (" (more than one slip gives this number, so none is named)" if matches else ""))


def observed(typed, right):
    """What a wrong number shows against the right one, naming no cause: its sign, how far off."""
    if right != 0 and close(-typed, right):
        return f"the right size with the wrong sign (the gradient is {fmt(right)})"
    if right == 0:
        return "the gradient is 0 here: no path carries any gradient to this node"
    sign = " and the wrong sign" if typed * right < 0 else ""
    return f"off by {fmt(typed - right)}{sign} (the gradient is {fmt(right)})"
