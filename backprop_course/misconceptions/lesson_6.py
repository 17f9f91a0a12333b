"""Lesson 6 catalogue: SGD.step, plain and with momentum.

Quantities, for one parameter array after a run of steps, and the inputs each needs:

- "param": the parameter after the steps. Inputs ``start`` (the parameter before the first
  step), ``grads`` (the gradient at each step, a list), ``lr``, ``momentum``; some entries use
  ``expected`` (always passed, see ``naming``), since a wrong sign or a missing lr changes the
  expected update by a known factor.
- "velocity": the optimizer's velocity for that parameter after the steps: ``start``,
  ``grads``, ``lr``, ``momentum``.

"momentum-ignored" can only show with momentum > 0, and "param-before-velocity" from the first
step on; run two or more steps with momentum to tell the momentum entries apart, with
lr != 1 - momentum ("momentum-average" then differs from "velocity-sign") and gradients that
change between steps (with a constant gradient "momentum-last-gradient" reaches the right
parameter after two steps).
"""

import numpy as np

from .entry import Misconception

T1 = "Lesson 6, task 1"


def floats(x):
    return np.asarray(x, dtype=np.float64)


def param_before_velocity(start, grads, lr, momentum, **_):
    """The parameter moved by the velocity of the step before, then the velocity updated."""
    param, velocity = floats(start), np.zeros(np.shape(start))
    for grad in grads:
        param = param + velocity
        velocity = momentum * velocity - lr * floats(grad)
    return param


def momentum_variant(step):
    """The parameter after the steps of an update rule ``step(param, velocity, grad, previous,
    lr, momentum) -> (param, velocity)``, velocity starting at zeros and previous the gradient of
    the step before (zeros at the first)."""
    def run(start, grads, lr, momentum, **_):
        param, velocity = floats(start), np.zeros(np.shape(start))
        previous = np.zeros(np.shape(start))
        for grad in grads:
            param, velocity = step(param, velocity, floats(grad), previous, lr, momentum)
            previous = floats(grad)
        return param
    return run


def average_step(param, velocity, grad, previous, lr, momentum):
    velocity = momentum * velocity + (1 - momentum) * grad
    return param - lr * velocity, velocity


def nesterov_step(param, velocity, grad, previous, lr, momentum):
    velocity = momentum * velocity - lr * grad
    return param + momentum * velocity - lr * grad, velocity


def last_gradient_step(param, velocity, grad, previous, lr, momentum):
    return param - lr * grad - momentum * lr * previous, velocity


def velocity_of(scale):
    """The velocity kept as v <- momentum v + scale(lr) grad."""
    def run(start, grads, lr, momentum, **_):
        velocity = np.zeros(np.shape(start))
        for grad in grads:
            velocity = momentum * velocity + scale(lr) * floats(grad)
        return velocity
    return run


TASK_1 = (
    Misconception(T1, "param", "sgd-rebinds",
                  "the parameter did not change: the update rebinds a name (param = param - ...) "
                  "instead of changing the model's array in place (param -= ...)",
                  lambda start, **_: floats(start)),
    Misconception(T1, "param", "sgd-wrong-sign",
                  "the parameter moves up the gradient: gradient descent subtracts lr * grad",
                  lambda start, expected, **_: 2 * floats(start) - floats(expected)),
    Misconception(T1, "param", "sgd-lr-ignored",
                  "the step ignores the learning rate: scale the gradient by lr",
                  lambda start, expected, lr, **_: floats(start) + (floats(expected) - floats(start)) / lr),
    Misconception(T1, "param", "momentum-ignored",
                  "the update ignores momentum: the velocity must be kept between steps "
                  "(v <- momentum v - lr grad, stored in self.velocity) and added to the parameter",
                  lambda start, grads, lr, **_:
                      floats(start) - lr * np.sum([floats(g) for g in grads], axis=0)),
    Misconception(T1, "param", "param-before-velocity",
                  "the parameter moves by the previous step's velocity: update the velocity "
                  "first, then add the new velocity to the parameter",
                  param_before_velocity),
    Misconception(T1, "param", "momentum-average",
                  "the velocity is an average, v <- momentum v + (1 - momentum) grad, and the step "
                  "lr v: this course's velocity is the step itself, v <- momentum v - lr grad, "
                  "added to the parameter",
                  momentum_variant(average_step)),
    Misconception(T1, "param", "momentum-nesterov",
                  "the step is Nesterov's (param += momentum v - lr grad after updating v): plain "
                  "momentum adds the new velocity itself, param += v",
                  momentum_variant(nesterov_step)),
    Misconception(T1, "param", "momentum-last-gradient",
                  "the step adds momentum times the previous raw gradient step only: the velocity "
                  "keeps every past step, v <- momentum v - lr grad, and param += v",
                  momentum_variant(last_gradient_step)),
    Misconception(T1, "velocity", "momentum-average",
                  "the velocity is an average, v <- momentum v + (1 - momentum) grad: this course's "
                  "velocity is the step itself, v <- momentum v - lr grad",
                  lambda start, grads, momentum, **_: velocity_of(lambda lr: 1 - momentum)(
                      start, grads, lr=None, momentum=momentum)),
    Misconception(T1, "velocity", "momentum-ignored",
                  "the velocity stays zero, so momentum has no effect: update self.velocity in place "
                  "(v *= momentum, v -= lr * grad) so that it carries over to the next step",
                  lambda start, **_: np.zeros(np.shape(start))),
    Misconception(T1, "velocity", "momentum-last-gradient",
                  "the velocity holds only the last step's lr grad: it keeps every past step, "
                  "v <- momentum v - lr grad, and param += v",
                  lambda start, grads, lr, **_: np.broadcast_to(lr * floats(grads[-1]), np.shape(start))),
    Misconception(T1, "velocity", "velocity-without-lr",
                  "the velocity is kept as momentum v + grad (PyTorch's convention): this "
                  "course's velocity is momentum v - lr grad, the step itself",
                  velocity_of(lambda lr: 1.0)),
    Misconception(T1, "velocity", "velocity-sign",
                  "the velocity has its sign flipped: it is momentum v - lr grad, the step taken",
                  velocity_of(lambda lr: lr)),
)

ENTRIES = TASK_1
