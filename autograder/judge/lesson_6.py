"""The judge of lesson 6's graded tasks, from the records of ``backprop_course.tasks.lesson_6``.

Task 1: the reference SGD runs on the same seeded models and gradients (in float64, from the
case's own gradients); each case gets a row "in place", a row "values" (the first worst step
and parameter, no value shown) and, when that fails, the parameters after the last step compared
so that the catalogue names what reproduces them; with momentum also the velocity. Tasks 2 and 4
(numbers by hand): each number against the reference's (lesson 1's engine; the Linear layer and
lesson 4's squared error), a number that depends on an earlier one judged from the student's own
earlier number, so that one mistake costs one row. Task 3: the two functions against the
closed forms on seeded rates. A wrong result is described only by a formula that reproduces it
on every element (``_numbers``); otherwise by its error.
"""

import numpy as np

from backprop_course.checks import compare
from backprop_course.tasks import lesson_6 as tasks
from backprop_course.tasks.lesson_1 import network

from .reference import reference
from .verdict import StudentRaised

BOWL_BAR = 1e-9  # the two closed forms in float64: another correct formula differs by ~1e-15


def _sgd_truth(build, lr, momentum, steps, dtype):
    """(start, after (steps, P), velocity (P,), the gradient of each step as (P,) vectors): the
    reference SGD in float64 on the case's model, from the case's own gradients (in its dtype)."""
    mlp, sgd = reference("mlp").MLP, reference("optim").SGD
    model, _ = build(mlp, "float64")
    _, grads = build(mlp, dtype)
    grads = [{name: np.asarray(grad, dtype=np.float64) for name, grad in step.items()} for step in grads[:steps]]
    start = tasks.parameters_vector(model)
    optimizer = sgd(model, lr=lr, momentum=momentum)
    after, _ = tasks.run_sgd(model, optimizer, grads)
    names = [name for name, _, _ in model.named_parameters()]
    flat = [np.concatenate([step[name].ravel() for name in names]) for step in grads]
    return start, after, tasks.velocity_vector(model, optimizer), flat


IN_PLACE = ("a parameter is a new array, not the model's own (update it in place: param -= ...)",
            "a parameter changed its dtype (keep float32 parameters float32)",
            "a gradient was changed (leave layer.grads as the backward pass left them)")


def judge_sgd(check, case, build, lr, momentum, steps, dtype, seen):
    start, expected, velocity, grads = _sgd_truth(build, lr, momentum, steps, dtype)
    bar = tasks.F32_BAR if dtype == "float32" else tasks.F64_BAR
    after, kept = seen["after"], seen["kept"]
    if kept is None or kept.shape != (steps, 3) or kept.dtype != bool:
        check.true(f"{case}: in place", False, "a malformed record (no value kept)")
    else:
        broken = [why for why, held in zip(IN_PLACE, kept.all(axis=0)) if not held]
        check.true(f"{case}: in place", not broken, "; ".join(broken))
    if after is None or after.shape != expected.shape:
        check.true(f"{case}: values", False, "the model's parameters changed shape or number")
        return
    worst, where = _worst(after, expected, dtype, build, steps)
    inputs = tasks.steps_taken(start, grads, lr, momentum or None)
    if not check.true(f"{case}: values", worst <= bar, f"{where} is off by {worst:.1e} (bar {bar:.0e})"):
        check.close(f"{case}: after the last step", after[-1], expected[-1], bar=bar, inputs=inputs, quantity="param")
    if momentum:
        check.close(f"{case}: velocity", seen["velocity"], velocity, bar=bar, inputs=inputs, quantity="velocity")


def _worst(after, expected, dtype, build, steps):
    """(the largest error of one parameter at one step, "step s, layer1.W" where it is)."""
    model, _ = build(reference("mlp").MLP, "float64")
    sizes = [(name, layer.params[key].size) for name, layer, key in model.named_parameters()]
    worst, where, end = 0.0, "", 0
    for name, size in sizes:
        part = slice(end, end + size)
        end += size
        for step in range(steps):
            err = tasks.update_error(after[step, part], expected[step, part], dtype)
            if not err <= worst:  # a nan error counts as the worst
                worst, where = err, f"step {step + 1}, {name}"
    return worst, where


def _numbers(check, name, got, expected, bar, alternatives=()):
    """One row: ``got`` against ``expected``. When it is wrong and exactly one of
    ``alternatives`` [(what it shows, the value that wrong formula gives)] reproduces it on every
    element (and differs from ``expected``), the row says what it shows; else only its error."""
    err, problem = compare(got, expected)
    if problem is None and err <= bar:
        return check.close(name, got, expected, bar=bar)
    fits = [why for why, value in alternatives if _reproduces(got, value, expected, bar)]
    if len(fits) == 1:
        return check.true(name, False, fits[0])
    return check.close(name, got, expected, bar=bar, quantity=name)


def _reproduces(got, value, expected, bar):
    """Whether a wrong formula's ``value`` differs from ``expected`` and gives ``got``. One built
    from the student's own numbers may be nan or inf (compare's problem): it names nothing."""
    off, not_a_number = compare(value, expected)
    error, problem = compare(got, value)
    return not_a_number is None and off > bar and problem is None and error <= bar


def _number(seen, name):
    """The hand answer ``name`` as a float; StudentRaised when it is not one number."""
    value = seen[name]
    if value is None or np.size(value) != 1 or value.dtype == bool:
        raise StudentRaised(f"{name} is not one number")
    return float(value.reshape(()))


def judge_hand_step(check, case, seen):
    scalar = reference("graph").Scalar
    names = list(tasks.SLIDE_WEIGHTS)
    nodes = network(scalar, tasks.SLIDE_X, tasks.SLIDE_T, tasks.SLIDE_WEIGHTS)
    nodes["L"].backward()
    w = np.array([tasks.SLIDE_WEIGHTS[name] for name in names])
    g = np.array([nodes[name].grad for name in names])
    lr = tasks.HAND_LR
    got = np.array([_number(seen, name) for name in names])
    _numbers(check, "your new weights w1 ... w8", got, w - lr * g, tasks.HAND_BAR, [
        ("each weight moved along its gradient (w + lr dL/dw), which raises the loss: move against it", w + lr * g),
        ("each weight moved by its whole gradient: the step is lr times the gradient", w - g)])
    # From the student's own weights: a mistake in them is not charged again here.
    loss = nodes["L"].value
    _numbers(check, "L predicted from the gradients", _number(seen, "L_predicted"), loss + float(g @ (got - w)),
             tasks.HAND_BAR, [("this is L itself: add the change the gradients predict for your step", loss)])
    mine = network(scalar, tasks.SLIDE_X, tasks.SLIDE_T, dict(zip(names, map(float, got))))["L"].value
    _numbers(check, "L after the step (with your new weights)", _number(seen, "L_new"), mine, tasks.HAND_BAR,
             [("this is L before the step: run the forward pass with your new weights", loss)])


def judge_bowl(check, case, lr, curvature, seen):
    factor = 1 - lr * curvature
    _numbers(check, f"step_factor {case}", seen["factor"], factor, BOWL_BAR, [
        ("step_factor gives 1 + lr * curvature: a step against the gradient shrinks the distance", 1 + lr * curvature),
        ("step_factor gives the step's size, lr * curvature, not what the distance is multiplied by",
         lr * curvature)])
    _numbers(check, f"largest_stable_lr {case}", seen["largest"], 2 / curvature, BOWL_BAR, [
        ("largest_stable_lr gives 1 / curvature, the rate that lands on the minimum in one step: "
         "larger rates overshoot but may still shrink the distance", 1 / curvature)])


def _batch_gradient(w, rows):
    """dL/dw of lesson 4's squared error of score = w x on the samples ``rows``, from the
    reference Linear and MSELoss (the bias stays 0 and is not used)."""
    layer = reference("layers").Linear(1, 1)
    layer.params["W"][...] = w
    layer.params["b"][...] = 0.0
    loss = reference("losses").MSELoss()
    x = np.array(tasks.BATCH_X)[rows, None]
    loss.forward(layer.forward(x), np.array(tasks.BATCH_Y)[rows, None])
    layer.backward(loss.backward())
    return float(layer.grads["W"][0, 0])


def judge_batches(check, case, seen):
    g_full, g_first, g_second, w_full, w_epoch = (_number(seen, name) for name in
                                                  ("g_full", "g_first", "g_second", "w_full", "w_epoch"))
    everything, first, second = slice(None), slice(0, tasks.BATCH_SIZE), slice(tasks.BATCH_SIZE, None)
    w0, lr = tasks.W_START, tasks.BATCH_LR
    for name, got, rows in (("full-batch gradient", g_full, everything), ("first minibatch's gradient", g_first, first),
                            ("second minibatch's gradient", g_second, second)):
        right, count = _batch_gradient(w0, rows), len(tasks.BATCH_X[rows])
        _numbers(check, name, got, right, tasks.HAND_BAR, [
            (f"this is the sum over the {count} samples: the loss is their mean", count * right),
            ("this lacks the 2 of the square's derivative, d(s - y)^2/ds = 2 (s - y)", right / 2)])
    _numbers(check, "w after one full-batch step", w_full, w0 - lr * g_full, tasks.HAND_BAR,
             [("w moved along the gradient: a descent step moves against it", w0 + lr * g_full)])
    moved = w0 - lr * g_first
    _numbers(check, "w after the epoch of two minibatch steps", w_epoch,
             moved - lr * _batch_gradient(moved, second), tasks.HAND_BAR,
             [("the second step used the gradient at the start: take it at the weight the first step left",
               moved - lr * g_second)])


# {task label: (its cases, the judge of one case)}
JUDGES = {
    "Lesson 6, task 1: plain": (tasks.GRADED["Lesson 6, task 1: plain"][0], judge_sgd),
    "Lesson 6, task 1: momentum": (tasks.GRADED["Lesson 6, task 1: momentum"][0], judge_sgd),
    "Lesson 6, task 2": (tasks.GRADED["Lesson 6, task 2"][0], judge_hand_step),
    "Lesson 6, task 3": (tasks.GRADED["Lesson 6, task 3"][0], judge_bowl),
    "Lesson 6, task 4": (tasks.GRADED["Lesson 6, task 4"][0], judge_batches),
}
