"""Lesson 3 catalogue: the activations and their derivatives written from the output.

Quantities and the inputs each needs:

- "relu(x)", "sigmoid(x)", "tanh(x)": ``x``, the array passed to the activation.
- "relu_derivative(out)", "sigmoid_derivative(out)", "tanh_derivative(out)": ``out``, the array
  passed to the derivative (the activation's output).

The naive sigmoid and tanh give NaN only for |x| of several hundred: pass such x (the checks'
x = -1000, 1000) to have them named. Formulas here are plain on purpose; where one would
overflow it runs with NumPy's warnings silenced, as a student's naive code does.

Not catalogued, because a value cannot show them: the naive sigmoid 1 / (1 + e^-x) gives the
right values (e^1000 overflows to inf, 1 / inf = 0), so only a check that raises on overflow
(``run_strict``) catches it; relu's derivative from the input equals the one from the output
(x > 0 exactly when out > 0).
"""

import numpy as np

from .entry import Misconception

T1, T2, T3 = (f"Lesson 3, task {k}" for k in (1, 2, 3))


def floats(x):
    return np.asarray(x, dtype=np.float64)


def logistic(x):
    """The textbook 1 / (1 + e^-x), used below only on bounded arguments or where it is the bug."""
    return 1 / (1 + np.exp(-floats(x)))


TASK_1 = (
    Misconception(T1, "relu(x)", "relu-abs",
                  "relu returns |x|: negative inputs must give 0, relu(x) = max(x, 0)",
                  lambda x, **_: np.abs(floats(x))),
    Misconception(T1, "relu(x)", "relu-min",
                  "relu keeps the negative part: take the larger of x and 0, not the smaller",
                  lambda x, **_: np.minimum(floats(x), 0)),
    Misconception(T1, "relu(x)", "relu-step",
                  "relu returns 1 where x > 0 (that is its slope): return x itself there",
                  lambda x, **_: (floats(x) > 0).astype(float)),
    Misconception(T1, "relu_derivative(out)", "relu-derivative-value",
                  "relu_derivative returns out itself: the slope is 1 where out > 0 and 0 elsewhere",
                  lambda out, **_: floats(out)),
    Misconception(T1, "relu_derivative(out)", "relu-kink-one",
                  "relu_derivative is 1 at out = 0: every input x <= 0 gives out = 0 and slope 0, "
                  "so test out > 0, not out >= 0",
                  lambda out, **_: (floats(out) >= 0).astype(float)),
)

TASK_2 = (
    Misconception(T2, "sigmoid(x)", "sigmoid-sign-flipped",
                  "sigmoid has the sign of x flipped, 1 / (1 + e^x): sigmoid(x) = 1 / (1 + e^-x), "
                  "which grows with x",
                  lambda x, **_: logistic(-floats(x))),
    Misconception(T2, "sigmoid(x)", "sigmoid-naive-overflow",
                  "sigmoid overflows at large |x| (e^x / (1 + e^x) is inf / inf): use the stable "
                  "form, e^-|x| in the formula chosen by the sign of x",
                  lambda x, **_: np.exp(floats(x)) / (1 + np.exp(floats(x)))),
    Misconception(T2, "sigmoid(x)", "sigmoid-double-argument",
                  "sigmoid is 0.5 tanh(x) + 0.5, which is sigmoid(2x): the identity is "
                  "sigmoid(x) = 0.5 tanh(x / 2) + 0.5",
                  lambda x, **_: 0.5 * np.tanh(floats(x)) + 0.5),
    Misconception(T2, "sigmoid_derivative(out)", "derivative-from-input",
                  "sigmoid_derivative treats its argument as the input x and applies sigmoid again: "
                  "it receives the output out, so the derivative is a formula in out alone",
                  lambda out, **_: logistic(out) * (1 - logistic(out))),
    Misconception(T2, "sigmoid_derivative(out)", "sigmoid-derivative-sign",
                  "sigmoid_derivative has its sign flipped: sigmoid is increasing, its slope "
                  "out (1 - out) is positive",
                  lambda out, **_: floats(out) * (floats(out) - 1)),
    Misconception(T2, "sigmoid_derivative(out)", "sigmoid-derivative-is-tanh",
                  "sigmoid_derivative is 1 - out^2, which is tanh's: sigmoid's is out (1 - out)",
                  lambda out, **_: 1 - floats(out) ** 2),
    Misconception(T2, "sigmoid_derivative(out)", "sigmoid-derivative-one-minus-out",
                  "sigmoid_derivative is 1 - out: it is out (1 - out)",
                  lambda out, **_: 1 - floats(out)),
)

TASK_3 = (
    Misconception(T3, "tanh(x)", "tanh-naive-overflow",
                  "tanh overflows at large |x| ((e^x - e^-x) / (e^x + e^-x) is inf / inf): use "
                  "np.tanh or a form with e^-2|x| only",
                  lambda x, **_: ((np.exp(floats(x)) - np.exp(-floats(x)))
                                  / (np.exp(floats(x)) + np.exp(-floats(x))))),
    Misconception(T3, "tanh(x)", "tanh-naive-overflow",
                  "tanh overflows at large x ((e^2x - 1) / (e^2x + 1) is inf / inf): use np.tanh or "
                  "a form with e^-2|x| only",
                  lambda x, **_: (np.exp(2 * floats(x)) - 1) / (np.exp(2 * floats(x)) + 1)),
    Misconception(T3, "tanh(x)", "tanh-is-sigmoid",
                  "tanh returns sigmoid(x), between 0 and 1: tanh lies between -1 and 1",
                  lambda x, **_: logistic(x)),
    Misconception(T3, "tanh(x)", "tanh-half-argument",
                  "tanh is 2 sigmoid(x) - 1, which is tanh(x / 2): the identity is "
                  "tanh(x) = 2 sigmoid(2x) - 1",
                  lambda x, **_: 2 * logistic(x) - 1),
    Misconception(T3, "tanh_derivative(out)", "tanh-one-minus-out",
                  "tanh_derivative is 1 - out: the output must be squared, 1 - out^2",
                  lambda out, **_: 1 - floats(out)),
    Misconception(T3, "tanh_derivative(out)", "derivative-from-input",
                  "tanh_derivative treats its argument as the input x and applies tanh again: it "
                  "receives the output out, so the derivative is a formula in out alone",
                  lambda out, **_: 1 - (2 * logistic(2 * floats(out)) - 1) ** 2),
    Misconception(T3, "tanh_derivative(out)", "tanh-derivative-sign",
                  "tanh_derivative has its sign flipped: tanh is increasing, 1 - out^2 >= 0",
                  lambda out, **_: floats(out) ** 2 - 1),
    Misconception(T3, "tanh_derivative(out)", "tanh-derivative-is-sigmoid",
                  "tanh_derivative is out (1 - out), which is sigmoid's: tanh's is 1 - out^2",
                  lambda out, **_: floats(out) * (1 - floats(out))),
)

ENTRIES = TASK_1 + TASK_2 + TASK_3
