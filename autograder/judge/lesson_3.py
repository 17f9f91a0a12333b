"""The judge of lesson 3's graded tasks: each activation and its derivative, from the records of
``backprop_course.tasks.lesson_3``. The derivative is judged on the out the student's own f
returned (so a wrong f is not charged twice; made here from the recorded out), the central
differences come from the student's f at x +- h as the kernel reported them, and the extremes must
match without an overflow."""

import numpy as np

from backprop_course.gradcheck import central_slopes
from backprop_course.tasks.lesson_2 import near
from backprop_course.tasks.lesson_3 import KINK_DISTANCE, STEP, graded_cases

from .reference import reference
from .verdict import StudentRaised

BARS = {"relu": 1e-10, "sigmoid": 1e-7, "tanh": 1e-7}
BAR32 = 1e-6  # float32 results against float64 ones
BAR_SLOPE = 1e-5  # the derivative against central differences


def judge_activation(name):
    """The per-case judge of activation ``name`` ("relu", "sigmoid", "tanh")."""

    def judge_case(check, case, x, seen):
        layers = reference("layers")
        f, derivative = layers.ACTIVATIONS[name], layers.DERIVATIVES[name]
        with np.errstate(all="ignore"):
            expected = f(x.copy())
        if case == "x at the extremes":
            label = f"{name} at x = {', '.join(f'{value:g}' for value in x)}"
            overflow = _overflow(seen) if _fits(seen["out"], x) and near(seen["out"], expected, BARS[name]) else None
            if overflow is None:
                check.close(label, seen["out"], expected, bar=BARS[name], quantity=f"{name}(x)", inputs={"x": x})
            else:  # one row for one mistake: the values are right, the formula that made them overflows
                check.true(label, False, f"right values, but {overflow}: a naive formula overflows here, "
                                         "use the stable one")
            return
        given = _input_of_derivative(seen)
        slope = derivative(given.copy()) if given is not None else None
        check.true(f"{name}: x unchanged {case}", _same(seen["x after"], x), "do not modify the input")
        check.chain([(f"{name}(x)", seen["out"], expected),
                     (f"{name}_derivative(out)", seen["slope"], slope, f"out = {name}(x)")],
                    bar=BARS[name], name=f"{name} and its derivative {case}", inputs={"x": x, "out": given})
        check.true(f"{name}_derivative: out unchanged {case}", _same(seen["out after"], given),
                   "do not modify the output you are given")
        got32, slope32 = seen["out float32"], seen["slope float32"]
        check.true(f"{name}: float32 stays float32 {case}",
                   _dtype(got32) == "float32" and _dtype(slope32) == "float32",
                   f"float32 in must give float32 out (got {_dtype(got32)}, {_dtype(slope32)})")
        check.true(f"{name}: float32 values {case}",
                   near(got32, expected, BAR32) and slope is not None and near(slope32, slope, BAR32),
                   "float32 results must be within 1e-6 of the float64 ones")
        plus, minus, got_slope = seen["out at x + h"], seen["out at x - h"], seen["slope"]
        away = np.abs(x) > KINK_DISTANCE
        # The slope of a wrong f says nothing of the derivative (the chain row told f): compared
        # only where f is right, so a right derivative is never blamed for a wrong f.
        f_right = _fits(seen["out"], x) and near(seen["out"], expected, BARS[name])
        if f_right and _fits(plus, x) and _fits(minus, x) and _fits(got_slope, x) and _fits(given, x):
            central = central_slopes(plus, minus, STEP)
            check.close(f"{name}: your derivative vs central differences {case}", got_slope[away],
                        central[away], bar=BAR_SLOPE, quantity=f"{name}_derivative(out)",
                        inputs={"out": given[away]})

    return judge_case


def _overflow(seen):
    """What the strict run (overflow made an error) raised, or None when it ran clean."""
    try:
        seen["strict"]
    except Exception as err:
        return getattr(err, "report", err)
    return None


def _same(value, expected):
    return value is not None and expected is not None and np.array_equal(value, expected)


def _dtype(value):
    return "None" if value is None else value.dtype.name


def _input_of_derivative(seen):
    """The out the student's derivative was given, made here as the kernel makes it (the student's
    own out as float64) from the recorded out: the input the kernel reports beside it ("out
    given") is not trusted, so a forged one cannot make a wrong derivative look right."""
    try:
        out = seen["out"]
    except StudentRaised:
        return None
    return None if out is None else np.array(out, dtype=np.float64)


def _fits(value, x):
    return value is not None and value.shape == x.shape


CASES = graded_cases
JUDGES = {"Lesson 3, task 1": judge_activation("relu"), "Lesson 3, task 2": judge_activation("sigmoid"),
          "Lesson 3, task 3": judge_activation("tanh")}
