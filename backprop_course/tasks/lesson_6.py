"""Lesson 6 (gradient descent): the graded cases of its four tasks, what the kernel records of
them, the given helpers of its visible checks, and what each passing check reveals.

Task 1 (``SGD.step``): a *model* is an MLP: ``named_parameters()`` gives [(name, layer, key)],
e.g. ("layer1.W", layer, "W"), input side first, with the arrays ``layer.params[key]`` and
``layer.grads[key]``. Every gradient is set by hand, so only the optimizer's ``step()`` is under
test, and only the MLP constructor (given code) builds the models. Tasks 2 and 4 are numbers
worked out by hand (one step on lesson 1's network; one epoch of minibatches on a one-weight
model); task 3 two functions of the learning rate on a bowl.

The graded checks (``run_graded_cases``) run the student's code on each task's cases and only
record what it gave (``records``); the grader's judge (``backprop_course.autograder.judge.lesson_6``)
builds the same cases, runs the reference and decides. No expected value of a graded case is in
this file or a notebook. The visible checks compare the student's numbers with each other and with
runs of course code, never with a true answer of a graded case.
"""

import numpy as np

from ..checks import compare
from ..gradcheck import rel_error
from ..records import Observation, emit, encode, encode_error, not_judged_warning
from .hand_answers import BAR as HAND_BAR  # numbers by hand: 3 significant digits, as in lesson 1
from .lesson_1 import check_numbers, forward_values

F32_BAR = 1e-6   # float32 updates against the float64 truth: max abs error / (1 + max |truth|)
F64_BAR = 1e-10
MAX_STEPS = 4    # seeded gradients per case

# ---- task 1: SGD.step --------------------------------------------------------------------------

# The graded cases, (fan_in, hidden, fan_out, dtype, lr, momentum, steps, seed): seeded models
# and gradients. The momentum cases run 3-4 steps with lr != 1 - momentum and changing gradients,
# so that every catalogued momentum variant gives a result of its own (see the catalogue).
PLAIN = ((3, (4,), 2, "float64", 0.05, 0.0, 1, 6101), (1, (), 1, "float64", 0.5, 0.0, 3, 6102),
         (2, (3, 3), 1, "float32", 0.1, 0.0, 2, 6103))
MOMENTUM = ((3, (4,), 2, "float64", 0.05, 0.9, 3, 6104), (2, (5,), 3, "float32", 0.2, 0.5, 3, 6105),
            (2, (2,), 1, "float64", 0.3, 0.99, 4, 6106))
# The visible examples, small enough to follow by hand. Plain: MLP(2, (3,), 1, rng=0) with every
# bias set to B_START (not 0: a step that assigns -lr * grad instead of subtracting it must show)
# and every gradient 2, one step of lr 0.1. Momentum: a single Linear(1, 1), W = 1 and b = 0 at
# the start, MOMENTUM_GRADS for dL/dW over three steps (changing, so that keeping only the last
# gradient shows), dL/db = 0, lr 0.1 and momentum 0.5 (lr != 1 - momentum: an averaged velocity
# is then not a sign-flipped one).
B_START, PLAIN_GRAD, PLAIN_LR = 0.5, 2.0, 0.1
MOMENTUM_GRADS, MOMENTUM_LR, MOMENTUM_MU = (1.0, -2.0, 3.0), 0.1, 0.5


def set_gradients(model, value):
    """Set every gradient of ``model`` to an array filled with ``value``, shaped like its parameter."""
    for _, layer, key in model.named_parameters():
        layer.grads[key] = np.full_like(layer.params[key], value)


def steps_taken(start, grads, lr, momentum=None):
    """The catalogue's inputs for a parameter after ``len(grads)`` steps of SGD from ``start``:
    {"start", "grads" (the gradient of each step), "lr"} and "momentum" when given: leave it out
    for plain SGD, where a momentum entry would only coincide with another one."""
    inputs = {"start": np.array(start, dtype=np.float64), "lr": lr,
              "grads": [np.asarray(grad, dtype=np.float64) for grad in grads]}
    if momentum is not None:
        inputs["momentum"] = momentum
    return inputs


def seeded_model(mlp_class, fan_in, hidden, fan_out, dtype, seed):
    """(model, grads): ``mlp_class(fan_in, hidden, fan_out, rng=seed, dtype=dtype)`` and, for each
    of MAX_STEPS steps, {parameter name: a seeded gradient shaped like it, in ``dtype``}."""
    model = mlp_class(fan_in, hidden, fan_out, rng=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    grads = [{name: rng.normal(size=layer.params[key].shape).astype(dtype)
              for name, layer, key in model.named_parameters()} for _ in range(MAX_STEPS)]
    return model, grads


def plain_example(mlp_class, in_dtype=None):
    """(model, grads) of the visible plain example (float64): see PLAIN_GRAD and B_START."""
    model = mlp_class(2, (3,), 1, rng=0)
    for _, layer, key in model.named_parameters():
        if key == "b":
            layer.params[key][...] = B_START
    return model, [{name: np.full_like(layer.params[key], PLAIN_GRAD) for name, layer, key in model.named_parameters()}]


def momentum_example(mlp_class, in_dtype=None):
    """(model, grads) of the visible momentum example (float64): see MOMENTUM_GRADS."""
    model = mlp_class(1, (), 1, rng=0)
    model.layers[0].params["W"][...] = 1.0
    model.layers[0].params["b"][...] = 0.0
    return model, [{"layer1.W": np.array([[grad]]), "layer1.b": np.array([0.0])} for grad in MOMENTUM_GRADS]


def sgd_cases(momentum):
    """[(name, build, lr, momentum, steps, dtype)] of task 1's graded checks, plain (momentum
    False) or with momentum: the visible example first. ``build(mlp_class, in_dtype=None)`` ->
    (model, grads), the model in ``in_dtype`` (default: the case's dtype)."""
    if momentum:
        cases = [("the example, 3 steps", momentum_example, MOMENTUM_LR, MOMENTUM_MU, 3, "float64")]
        specs = MOMENTUM
    else:
        cases = [("the example, 1 step", plain_example, PLAIN_LR, 0.0, 1, "float64")]
        specs = PLAIN
    for fan_in, hidden, fan_out, dtype, lr, mu, steps, seed in specs:
        def build(mlp_class, in_dtype=None, spec=(fan_in, hidden, fan_out, dtype, seed)):
            return seeded_model(mlp_class, *spec[:3], in_dtype or spec[3], spec[4])
        cases.append((f"MLP({fan_in}, {hidden}, {fan_out}) {dtype}, lr={lr}, momentum={mu}, {steps} step{'s' * (steps > 1)}",
                      build, lr, mu, steps, dtype))
    return cases


def parameters_vector(model):
    """Every parameter of ``model``, input side first, flattened into one float64 vector (P,)."""
    return np.concatenate([np.asarray(layer.params[key], dtype=np.float64).ravel()
                           for _, layer, key in model.named_parameters()])


def velocity_vector(model, optimizer):
    """The optimizer's velocity of every parameter, in ``parameters_vector``'s order, (P,)."""
    layers = [layer for layer in model.layers if layer.params]
    return np.concatenate([np.asarray(velocity[key], dtype=np.float64).ravel()
                           for layer, velocity in zip(layers, optimizer.velocity) for key in layer.params])


def run_sgd(model, optimizer, grads):
    """One ``optimizer.step()`` per entry of ``grads`` ([{name: gradient}]), each step's gradients
    set first (as copies). Returns (after, kept): ``after`` (steps, P) holds the parameters after
    each step (``parameters_vector``); ``kept`` (steps, 3) says after each step whether every
    parameter is still the model's own array, kept its dtype, and its gradient was left alone."""
    held = {name: layer.params[key] for name, layer, key in model.named_parameters()}
    after, kept = [], []
    for step_grads in grads:
        for name, layer, key in model.named_parameters():
            layer.grads[key] = step_grads[name].copy()
        optimizer.step()
        same = dtype = untouched = True
        for name, layer, key in model.named_parameters():
            param = layer.params[key]
            same &= param is held[name]
            dtype &= np.asarray(param).dtype == held[name].dtype
            untouched &= bool(np.array_equal(layer.grads[key], step_grads[name]))
        kept.append((same, dtype, untouched))
        after.append(parameters_vector(model))
    return np.array(after), np.array(kept, dtype=bool)


def update_error(got, want, dtype):
    """How far updated parameters ``got`` are from the float64 truth ``want``: rel_error in float64;
    in float32 max |got - want| / (1 + max |want|), since elementwise relative error would punish
    float32 rounding of values near 0."""
    if np.dtype(dtype) == np.float64:
        return rel_error(got, want)
    return float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want)) / (1 + np.max(np.abs(want))))


def _observe_sgd(seen, mlp_class, sgd_class, build, lr, momentum, steps, dtype):
    model, grads = build(mlp_class)
    optimizer = sgd_class(model, lr=lr, momentum=momentum)
    try:
        after, kept = run_sgd(model, optimizer, grads[:steps])
    except Exception as err:
        seen.values["after"] = encode_error(err)
        return
    seen.values["after"], seen.values["kept"] = encode(after), encode(kept)
    if momentum:
        seen.call("velocity", velocity_vector, model, optimizer)


# ---- task 2: one step by hand on lesson 1's network ---------------------------------------------

SLIDE_X, SLIDE_T = 2.0, 1.0
SLIDE_WEIGHTS = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}
SLIDE_GRADS = {"w1": -7.5, "w2": 3.0, "w3": -3.0, "w4": -9.0, "w5": 0.75, "w6": 2.25, "w7": -0.375, "w8": -3.0}
HAND_LR = 0.001


def slide_loss(weights):
    """L of lesson 1's network (x = 2, t = 1) with ``weights`` {"w1": float, ...}: course code in
    plain floats, so that a visible check can tell whether the student's new weights fit their L."""
    return forward_values(SLIDE_X, SLIDE_T, weights)["L"]


def check_hand_step(check, new_weights, L_predicted, L_new):
    """Rows telling whether task 2's numbers fit together (never whether they are true): each
    weight moved by lr times its gradient in size, L_new is the loss of the new weights and lower
    than L, and L_predicted follows from the gradients and the steps. No row shows a value."""
    if new_weights is not None and (not isinstance(new_weights, dict) or set(new_weights) != set(SLIDE_WEIGHTS)):
        raise ValueError(f"new_weights must be a dict with the keys {', '.join(SLIDE_WEIGHTS)}")
    numbers = check_numbers(check, **(new_weights or dict.fromkeys(SLIDE_WEIGHTS)), L_predicted=L_predicted,
                            L_new=L_new)
    steps = {name: numbers[name] - SLIDE_WEIGHTS[name] for name in SLIDE_WEIGHTS}
    sizes = [abs(abs(steps[name]) - HAND_LR * abs(SLIDE_GRADS[name])) <= HAND_BAR * HAND_LR * abs(SLIDE_GRADS[name])
             for name in SLIDE_WEIGHTS]
    check.true("each weight moved by lr times its gradient, in size", all(sizes),
               f"{', '.join(name for name, ok in zip(SLIDE_WEIGHTS, sizes) if not ok)}: the step is lr = {HAND_LR} "
               "times the gradient")
    mine = slide_loss({name: float(numbers[name]) for name in SLIDE_WEIGHTS})
    check.close("L_new is the loss of your new weights", L_new, mine, bar=HAND_BAR, hidden=True)
    check.true("the step lowered the loss", L_new < slide_loss(SLIDE_WEIGHTS),
               "L_new is not below L = 1.125: which way must a weight move when its gradient is positive?")
    check.close("L_predicted follows from the gradients and your steps", L_predicted,
                slide_loss(SLIDE_WEIGHTS) + sum(SLIDE_GRADS[name] * steps[name] for name in SLIDE_WEIGHTS),
                bar=HAND_BAR, hidden=True)


# ---- task 3: the learning rate on a bowl --------------------------------------------------------

def bowl_run(lr, curvature, steps=50, start=1.0):
    """Gradient descent measured on the bowl L(w) = curvature * w**2 / 2 (its minimum at w = 0):
    [w_0, w_1, ..., w_steps] from w_0 = ``start``, each step w <- w - lr * dL/dw. Floats."""
    path = [float(start)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w = path[-1]
            path.append(float(np.float64(w) - lr * curvature * w))
    return path


def bowl_cases():
    """[(name, lr, curvature)] of task 3's graded checks: seeded arrays, lr in (0, 1.5) and
    curvature in (0.5, 8) (so that some steps diverge, some oscillate, some crawl)."""
    cases = []
    for seed, shape in ((61, (5,)), (62, (3, 4))):
        rng = np.random.default_rng(seed)
        cases.append((f"{'x'.join(map(str, shape))} rates", rng.uniform(0.01, 1.5, shape),
                      rng.uniform(0.5, 8.0, shape)))
    return cases


MEASURED = ((0.1, 4.0), (0.3, 4.0), (0.45, 4.0), (0.6, 1.5))  # (lr, curvature) of the visible check


def check_rates(check, step_factor, largest_stable_lr):
    """Rows comparing task 3's two functions with measured runs of ``bowl_run``: one step's ratio
    w_1 / w_0 at each of MEASURED (all at once, as arrays), and for curvature 4 a run of 200 steps
    at 0.98 and at 1.02 times ``largest_stable_lr(4.0)``: the first must end nearer the minimum
    than it started, the second farther."""
    lr, curvature = np.array(MEASURED).T
    measured = np.array([bowl_run(rate, bend, steps=1)[1] for rate, bend in MEASURED])
    check.close("step_factor = the measured ratio w_1 / w_0", step_factor(lr.copy(), curvature.copy()), measured,
                bar=1e-9)
    rate = float(np.asarray(largest_stable_lr(np.array(4.0))))
    below, above = abs(bowl_run(0.98 * rate, 4.0, steps=200)[-1]), abs(bowl_run(1.02 * rate, 4.0, steps=200)[-1])
    check.true("largest_stable_lr(4): just below it w approaches the minimum", rate > 0 and below < 1,
               f"at 0.98 x {rate:g}, w ends at |w| = {below:.3g} after 200 steps, from 1")
    check.true("largest_stable_lr(4): just above it w runs away", above > 1,
               f"at 1.02 x {rate:g}, w ends at |w| = {above:.3g} after 200 steps, from 1: "
               "a larger rate still approaches the minimum")


# ---- task 4: one epoch of minibatches by hand ---------------------------------------------------

# A one-weight model, score = w x (no bias), lesson 4's squared error (the mean of (score - y)^2)
# on four samples, W_START and BATCH_LR; minibatches of 2 in the given order (no shuffle).
BATCH_X, BATCH_Y = (1.0, 2.0, -1.0, 3.0), (2.0, 3.0, -1.0, 7.0)
W_START, BATCH_LR, BATCH_SIZE = 1.0, 0.05, 2

def check_batches(check, g_full, g_first, g_second, w_full, w_epoch):
    """Rows telling whether task 4's numbers fit together (never whether they are true): the three
    gradients, the full-batch step from g_full, and an epoch that is not one step of g_first +
    g_second. No row shows a value."""
    check_numbers(check, g_full=g_full, g_first=g_first, g_second=g_second, w_full=w_full, w_epoch=w_epoch)
    check.close("your three gradients fit together", g_full, (g_first + g_second) / 2, bar=HAND_BAR, hidden=True)
    check.close("w_full follows from your g_full", w_full, W_START - BATCH_LR * g_full, bar=HAND_BAR, hidden=True)
    err, problem = compare(w_epoch, W_START - BATCH_LR * (g_first + g_second))
    check.true("the epoch's second step starts where the first ended", problem is not None or err > HAND_BAR,
               "w_epoch took both steps with the gradients at w = 1: the second minibatch's gradient "
               "must be taken at the weight the first step left")


# ---- the graded checks --------------------------------------------------------------------------

HAND_CASE = "your numbers"


def hand_values(label, seen, **numbers):
    """Record hand answers {name: float}; any still None: a NotImplementedError naming them."""
    missing = [name for name, value in numbers.items() if value is None]
    if missing:
        try:  # raised, so that the record holds a report like any other exception's
            raise NotImplementedError(f"{label}: fill in {', '.join(missing)}")
        except NotImplementedError as err:
            seen.values["answers"] = encode_error(err)
        return
    for name, value in numbers.items():
        seen.call(name, lambda value=value: value)


def _observe_hand_step(seen, new_weights, L_predicted, L_new):
    weights = new_weights if isinstance(new_weights, dict) else {}
    hand_values("Lesson 6, task 2", seen, **{name: weights.get(name) for name in SLIDE_WEIGHTS},
                L_predicted=L_predicted, L_new=L_new)


def _observe_bowl(seen, step_factor, largest_stable_lr, lr, curvature):
    seen.call("factor", step_factor, lr.copy(), curvature.copy())
    seen.call("largest", largest_stable_lr, curvature.copy())


def _observe_batches(seen, g_full, g_first, g_second, w_full, w_epoch):
    hand_values("Lesson 6, task 4", seen, g_full=g_full, g_first=g_first, g_second=g_second, w_full=w_full,
                w_epoch=w_epoch)


# label: (the cases, [(name, *inputs)], and the observer(seen, *the student's objects, *inputs))
GRADED = {
    "Lesson 6, task 1: plain": (lambda: sgd_cases(False), _observe_sgd),
    "Lesson 6, task 1: momentum": (lambda: sgd_cases(True), _observe_sgd),
    "Lesson 6, task 2": (lambda: [(HAND_CASE,)], _observe_hand_step),
    "Lesson 6, task 3": (bowl_cases, _observe_bowl),
    "Lesson 6, task 4": (lambda: [(HAND_CASE,)], _observe_batches),
}


def run_graded_cases(label, *yours):
    """Run the graded task ``label`` ("Lesson 6, task 1: plain", ..., "Lesson 6, task 4") of the
    student's objects ``yours`` (MLP and SGD; the hand answers; the two functions) on every graded
    case and emit the task's record; nothing is judged here."""
    cases, observe = GRADED[label]
    observed = {}
    for name, *inputs in cases():
        seen = observed[name] = Observation()
        with np.errstate(all="ignore"):
            try:
                observe(seen, *yours, *inputs)
            except Exception as err:  # the student's class could not even be built: the record says so
                seen.values.setdefault("layer", encode_error(err))
    emit(label, {name: seen.values for name, seen in observed.items()})
    not_judged_warning(label)


# ---- what each passing check reveals --------------------------------------------------------------

REVEALS = {
    "Lesson 6, task 1": (
        "Gradient descent: $\\theta \\leftarrow \\theta - \\eta\\, g$ for every parameter, in place. "
        "Momentum: $v \\leftarrow \\mu v - \\eta g$, $\\theta \\leftarrow \\theta + v$. Unrolled from "
        "$v = 0$, the velocity after $t$ steps is $v_t = -\\eta \\sum_{k=0}^{t-1} \\mu^k g_{t-k}$: an "
        "*exponentially decaying* sum of past gradient steps (the step $k$ updates ago weighs $\\mu^k$). "
        "Under a constant gradient it grows towards $-\\eta g/(1-\\mu)$, ten times the plain step at "
        "$\\mu = 0.9$; gradients that flip sign cancel in the sum, which damps zig-zags."),
    "Lesson 6, task 2": (
        "One step: $w_k \\leftarrow w_k - \\eta\\, \\partial L/\\partial w_k$. Since $\\partial L/\\partial w_k$ "
        "is a sensitivity, the loss changes by about $\\sum_k \\frac{\\partial L}{\\partial w_k}\\Delta w_k "
        "= -\\eta \\sum_k \\big(\\frac{\\partial L}{\\partial w_k}\\big)^2 = -\\eta\\,\\lVert g\\rVert^2 \\le 0$: "
        "a small enough step against the gradient always lowers the loss. Here $\\lVert g\\rVert^2 \\approx 169$, "
        "so at $\\eta = 0.01$ the same prediction would be $1.125 - 1.69 < 0$, impossible for a squared "
        "error: the linear picture holds only for small steps."),
    "Lesson 6, task 3": (
        "On $L(w) = \\frac{\\lambda}{2} w^2$ one step gives $w \\leftarrow w - \\eta\\lambda w = (1 - \\eta\\lambda)\\, w$. "
        "The distance to the minimum shrinks only when $|1 - \\eta\\lambda| < 1$, i.e. $0 < \\eta < 2/\\lambda$; "
        "$\\eta = 1/\\lambda$ lands on the minimum in one step; between $1/\\lambda$ and $2/\\lambda$ the "
        "iterates jump across the minimum and back, and beyond $2/\\lambda$ they grow geometrically. A network's "
        "loss near a minimum is such a bowl along each of many directions: the steepest one (the largest "
        "$\\lambda$) sets the largest stable learning rate, and the flattest ones crawl at that rate."),
    "Lesson 6, task 4": (
        "With equal batch sizes the mean of the minibatch gradients, all taken at the same weights, is the "
        "full-batch gradient: each minibatch gradient is an unbiased estimate of it. An epoch of minibatch "
        "SGD takes $N/B$ steps, each at the weights the previous step left, so it is not one full-batch "
        "step of $N/B$ times the size: it goes further for the same work, along a noisier path."),
}
