"""The judge of lesson 5, task 2's derivation: the student's dscore/dx for score = x W1 W2 W3
(``backprop_course.tasks.lesson_5.PATH_WEIGHTS``), the sum over paths, against the product of the
weight matrices computed here."""

import numpy as np

from backprop_course.tasks.lesson_5 import PATH_WEIGHTS, paths_cases

BAR = 1e-9


def paths(check, case, seen):
    first, second, third = (np.array(weights) for weights in PATH_WEIGHTS)
    expected = (first @ second @ third).ravel()
    got = seen["dscore/dx"]
    check.close(f"dscore/dx, {case}", None if got is None else got.ravel(), expected, bar=BAR)


CASES = paths_cases
JUDGES = {"Lesson 5, task 2: paths": paths}
