"""Lesson 2's "how small should h be?": the numbers its model answer states, measured on the
lesson's own plot (``tasks.lesson_2.slope_error`` on the reference layer, the plot's steps)."""

import numpy as np

from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks.lesson_2 import slope_error

STEPS = np.logspace(-12, -1, 34)  # the plot's


def best_step(dtype):
    errors = [slope_error(reference("layers").Linear, dtype, h) for h in STEPS]
    return STEPS[int(np.argmin(errors))], min(errors)


def test_float32s_best_step_is_near_1e_3_and_no_better_than_the_bar():
    """Rounding (eps |f| / h, eps ~ 6e-8) and truncation (~ h^2) balance near eps^(1/3), a few
    times 1e-3; measured here: h = 1e-3, error 1.1e-5. Not 1e-2: there truncation alone is 8e-5."""
    h, error = best_step(np.float32)
    assert 3e-4 <= h <= 6e-3
    assert error > 1e-7  # far from float64's: float32 cannot be checked tightly
    assert slope_error(reference("layers").Linear, np.float32, 1e-2) > 2e-5


def test_float64s_best_step_is_near_1e_6():
    h, error = best_step(np.float64)
    assert 1e-8 <= h <= 1e-5 and error < 1e-9
