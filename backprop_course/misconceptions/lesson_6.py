"""Lesson 6 catalogue: SGD.step, plain and with momentum.

Quantities, for one parameter array after a run of steps, and the inputs each needs:

- "param": the parameter after the steps. Inputs ``start`` (the parameter before the first
  step), ``grads`` (the gradient at each step, a list), ``lr``, ``momentum``; some entries use
  ``expected`` (always passed, see ``naming``), since a wrong sign or a missing lr changes the
  expected update by a known factor.
- "velocity": the optimizer's velocity for that parameter after the steps: ``start``,
  ``grads``, ``lr``, ``momentum``.

"momentum-ignored" can only show with momentum > 0, and "param-before-velocity" from the first
step on; run two or more steps with momentum to tell the momentum entries apart.
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
    Misconception(T1, "velocity", "velocity-not-kept",
                  "the velocity stays zero: update self.velocity in place (v *= momentum, "
                  "v -= lr * grad) so that it carries over to the next step",
                  lambda start, **_: np.zeros(np.shape(start))),
    Misconception(T1, "velocity", "velocity-without-lr",
                  "the velocity is kept as momentum v + grad (PyTorch's convention): this "
                  "course's velocity is momentum v - lr grad, the step itself",
                  velocity_of(lambda lr: 1.0)),
    Misconception(T1, "velocity", "velocity-sign",
                  "the velocity has its sign flipped: it is momentum v - lr grad, the step taken",
                  velocity_of(lambda lr: lr)),
)

ENTRIES = TASK_1
