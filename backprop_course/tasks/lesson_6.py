"""Lesson 6 (gradient descent): models whose gradients are set by hand, and the SGD checks on them.

A *model* is an MLP: ``named_parameters()`` gives [(name, layer, key)], e.g. ("layer1.W", layer,
"W"), input side first, with the arrays ``layer.params[key]`` and ``layer.grads[key]``. The checks
set every gradient themselves, so only the optimizer's ``step()`` is under test, and they use the
MLP constructor alone (given code). Expected parameters are passed in by the cells (the build runs
the reference SGD on the same cases); nothing here updates a parameter. A failed check is
explained by the misconception catalogue from ``steps_taken``: where the parameters started, the
gradient of every step, lr and momentum.
"""

import numpy as np

from ..gradcheck import rel_error

F32_BAR = 1e-6   # float32 updates against the float64 truth: max abs error / (1 + max |truth|)
F64_BAR = 1e-10
MAX_STEPS = 4    # seeded gradients per case


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


def parameters_vector(model):
    """Every parameter of ``model``, input side first, flattened into one float64 vector (P,)."""
    return np.concatenate([np.asarray(layer.params[key], dtype=np.float64).ravel()
                           for _, layer, key in model.named_parameters()])


def run_sgd(model, optimizer, grads):
    """One ``optimizer.step()`` per entry of ``grads`` ([{name: gradient}]), each step's gradients
    set first (as copies). Returns (after, kept): ``after`` (steps, P) holds the parameters after
    each step (``parameters_vector``); ``kept`` says whether every step updated the model's own
    arrays in place, kept their dtype and left the gradients as they were."""
    held = {name: layer.params[key] for name, layer, key in model.named_parameters()}
    after, kept = [], True
    for step_grads in grads:
        for name, layer, key in model.named_parameters():
            layer.grads[key] = step_grads[name].copy()
        optimizer.step()
        for name, layer, key in model.named_parameters():
            param = layer.params[key]
            kept &= (param is held[name] and np.asarray(param).dtype == held[name].dtype
                     and np.array_equal(layer.grads[key], step_grads[name]))
        after.append(parameters_vector(model))
    return np.array(after), kept


def update_error(got, want, dtype):
    """How far updated parameters ``got`` are from the float64 truth ``want``: rel_error in float64;
    in float32 max |got - want| / (1 + max |want|), since elementwise relative error would punish
    float32 rounding of values near 0."""
    if np.dtype(dtype) == np.float64:
        return rel_error(got, want)
    return float(np.max(np.abs(np.asarray(got, dtype=np.float64) - want)) / (1 + np.max(np.abs(want))))


def check_sgd(check, mlp_class, sgd_class, case, expected):
    """Two rows for ``case`` = (fan_in, hidden, fan_out, dtype name, lr, momentum, steps, seed):
    "in place" (see ``run_sgd``) and "values": each parameter after each step against
    ``expected`` (steps, P), the float64 truth, bar F32_BAR or F64_BAR by dtype; a failure
    names the first worst step and parameter, and a third row compares all parameters after
    the last step, so that the misconception their values show is named."""
    fan_in, hidden, fan_out, dtype, lr, momentum, steps, seed = case
    model, grads = seeded_model(mlp_class, fan_in, hidden, fan_out, dtype, seed)
    start = parameters_vector(model)
    after, kept = run_sgd(model, sgd_class(model, lr=lr, momentum=momentum), grads[:steps])
    bar = F32_BAR if dtype == "float32" else F64_BAR
    sizes = [layer.params[key].size for _, layer, key in model.named_parameters()]
    parts = [(name, slice(end - size, end)) for (name, _, _), size, end
             in zip(model.named_parameters(), sizes, np.cumsum(sizes))]
    worst, where = 0.0, ""
    for step in range(steps):
        for name, part in parts:
            err = update_error(after[step, part], expected[step][part], dtype)
            if not err <= worst:  # a nan error counts as the worst
                worst, where = err, f"step {step + 1}, {name}"
    label = f"hidden: MLP({fan_in}, {hidden}, {fan_out}) {dtype}, lr={lr}, momentum={momentum}, {steps} steps"
    check.true(f"{label}: in place", kept, "update each parameter array in place, keep its dtype, leave grads alone")
    if check.true(f"{label}: values", worst <= bar, f"{where} is off by {worst:.1e} (bar {bar:.0e})"):
        return
    step_grads = [np.concatenate([np.asarray(step[name], dtype=np.float64).ravel() for name, _ in parts])
                  for step in grads[:steps]]
    check.close(f"{label}: after the last step", after[-1], expected[steps - 1], bar=bar,
                inputs=steps_taken(start, step_grads, lr, momentum or None), quantity="param")
