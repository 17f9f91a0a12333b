"""The judge of lesson 4's graded parts: each loss, log_softmax and the derivations by hand, from
the records of ``backprop_course.tasks.lesson_4``.

Every expected value is the reference's, computed here in float64 on the cases the judge builds
itself (``graded_cases``); float32 results are held to the float64 truth at F32_BAR. At huge
scores the values are judged first (a naive formula's inf or NaN is named there), and only right
values get a row for an overflow on the way, so one mistake gives one row. Hand answers are held
to three significant digits, and a wrong one is named from s, y and N by the catalogue.

The gradients part also holds each dL/dscores to the slope of the student's own forward: central
differences that the judge takes itself, from the forward's values the kernel recorded at the
points scores +- h e_i of the judge's own cases. So a forward and backward that agree on another
loss are told apart from a backward that is not its forward's derivative; that row never fails a
right dL/dscores, so it changes no score.
"""

from functools import partial

import numpy as np

from backprop_course.checks import compare
from backprop_course.gradcheck import BAR as GRADCHECK_BAR
from backprop_course.gradcheck import central_slopes
from backprop_course.tasks.lesson_4 import (ANSWERS, F32_BAR, HAND_BAR, STEPPED, bar_for, graded_cases,
                                            loss_inputs)

from .reference import reference
from .verdict import StudentRaised

LOSSES = {1: "MSELoss", 2: "BCEWithLogitsLoss", 3: "SoftmaxCrossEntropyLoss"}
HUGE_BAR = 1e-10  # float64 at huge scores, as the visible checks


def truth(task, scores, y):
    """(loss, dL/dscores) of the reference loss of ``task`` at ``scores`` in float64."""
    loss = getattr(reference("losses"), LOSSES[task])()
    value = loss.forward(np.asarray(scores, dtype=np.float64), y)
    return value, loss.backward()


def judge_values(task, check, case, scores, y, seen):
    value, _ = truth(task, scores, y)
    check.close(f"loss, {case}", seen["loss"], value, bar=bar_for(scores), inputs=loss_inputs(scores, y),
                quantity="loss")


def judge_gradients(task, check, case, scores, y, seen):
    _, grad = truth(task, scores, y)
    seen["forward"]  # backward needs forward's cache: a forward that raised stops the case here
    got = seen["grad"]
    right = check.close(f"dL/dscores, {case}", got, grad, bar=bar_for(scores), inputs=loss_inputs(scores, y, grad),
                        quantity="dL/dscores")
    _own_slope_row(check, case, scores, got, seen, right)


def _own_slope_row(check, case, scores, got, seen, right):
    """Row "dL/dscores vs your forward's slope": the student's dL/dscores ``got`` against central
    differences of their own forward at scores +- h e_i, taken here from the values the kernel
    recorded at those points (``gradcheck.stepped_points`` of the judge's own scores). Ok: the
    backward is the derivative of the student's forward (beside a wrong dL/dscores: both compute
    one other loss). WRONG: it is not. Only a wrong dL/dscores can be joined by a WRONG row here:
    against a right one the disagreement is the forward's, which the values part charges (as
    lesson 3 never blames a right derivative for a wrong f), so no row is added."""
    name = f"dL/dscores vs your forward's slope, {case}"
    try:
        slope = _slope_of_forward(seen, scores)
    except StudentRaised as err:
        if not right:
            check.true(name, False, f"no central differences of your forward: {err.report}")
        return
    err, problem = compare(got, slope)
    if problem is None and err <= GRADCHECK_BAR:
        check.close(name, got, slope, bar=GRADCHECK_BAR)
    elif problem is None and not right:  # a problem of got itself (shape, inf) is the row above's
        check.true(name, False, f"rel error {err:.1e} to central differences of your own forward at scores +- h "
                                f"(bar {GRADCHECK_BAR:.0e}): your backward is not the derivative of your forward")


def _slope_of_forward(seen, scores):
    """Central differences of the student's forward at ``scores`` (float64, shaped like scores);
    raises StudentRaised when their forward raised or gave no finite number at a point."""
    plus, minus = (seen[name] for name in STEPPED)
    if any(values is None or values.shape != (np.size(scores),) for values in (plus, minus)):
        raise StudentRaised("your forward did not return one number at each point scores +- h")
    slope = central_slopes(plus, minus).reshape(np.shape(scores))
    if not np.all(np.isfinite(slope)):
        raise StudentRaised("your forward is not finite at some point scores +- h")
    return slope


def judge_edge(task, check, case, scores, y, seen):
    if not case.startswith("huge"):
        check.true(f"inputs unchanged, {case}", _same(seen["scores after"], scores) and _same(seen["y after"], y),
                   "forward must not modify scores or y")
        first, again = seen["grad"], seen["grad again"]
        check.true(f"backward repeatable, {case}", first is not None and _same(again, first),
                   "a second backward() gave another result: do not modify the cache in place")
        check.true(f"gradient dtype, {case}", first is not None and first.dtype == scores.dtype,
                   "return dL/dscores in the dtype of scores")
        return
    value, grad = truth(task, scores, y)
    bar, inputs = _huge_bar(scores), loss_inputs(scores, y, grad)
    right = check.close(f"loss at {case}", seen["loss"], value, bar=bar, inputs=inputs, quantity="loss")
    right &= check.close(f"dL/dscores at {case}", seen["grad"], grad, bar=bar, inputs=inputs, quantity="dL/dscores")
    if right:
        _overflow_row(check, case, seen)


def judge_log_softmax(check, case, scores, _, seen):
    want = reference("losses").log_softmax(np.asarray(scores, dtype=np.float64))
    check.close(f"log_softmax, {case}", seen["out"], want, bar=bar_for(scores), inputs={"scores": scores},
                quantity="log_softmax")
    check.true(f"scores unchanged, {case}", _same(seen["scores after"], scores), "do not modify scores")


def judge_log_softmax_huge(check, case, scores, _, seen):
    want = reference("losses").log_softmax(np.asarray(scores, dtype=np.float64))
    bar = _huge_bar(scores) if case.startswith("huge") else 1e-9
    if check.close(f"log_softmax at {case}", seen["out"], want, bar=bar, inputs={"scores": scores},
                   quantity="log_softmax"):
        _overflow_row(check, case, seen)


def judge_derivation(task, check, case, s, y, n, seen):
    losses = reference("losses")
    loss = getattr(losses, LOSSES[task])()
    loss.forward(np.array([s]), np.array([y]))
    alone = float(loss.backward()[0])
    if task == 1:
        batch = np.array([s] + [s + k for k in range(1, n)])  # the other samples change nothing of its share
        loss.forward(batch, np.full(n, y))
        wants = {"dl/ds": alone, "dL/ds in the batch": float(loss.backward()[0])}
    else:
        wants = {"p": float(reference("layers").sigmoid(np.array([s]))[0]), "dl/ds": alone}
    for answer in ANSWERS[task]:
        check.close(f"{answer} by hand", seen[answer], wants[answer], bar=HAND_BAR, inputs={"s": s, "y": y, "n": n})


def _overflow_row(check, case, seen):
    try:
        seen["strict"]
    except StudentRaised as err:
        check.true(f"no overflow at {case}", False, f"{err.report}: a naive formula overflows on the way "
                   "to the right value, use the stable one")


def _huge_bar(scores):
    return F32_BAR if np.asarray(scores).dtype == np.float32 else HUGE_BAR


def _same(value, expected):
    return value is not None and np.array_equal(value, np.asarray(expected))


def _cases(label):
    return partial(graded_cases, label)


PARTS = {"values": judge_values, "gradients": judge_gradients, "edge cases": judge_edge,
         "derivation": judge_derivation}
# {label: (its cases, its per-case judge)}: each part of a task has cases of its own.
JUDGES = {f"Lesson 4, task {task}: {part}": (_cases(f"Lesson 4, task {task}: {part}"), partial(judge, task))
          for task in (1, 2, 3) for part, judge in PARTS.items() if (part, task) != ("derivation", 3)}
JUDGES.update({"Lesson 4, task 3: log_softmax": (_cases("Lesson 4, task 3: log_softmax"), judge_log_softmax),
               "Lesson 4, task 3: log_softmax at huge scores": (_cases("Lesson 4, task 3: log_softmax at huge scores"),
                                                                judge_log_softmax_huge)})
