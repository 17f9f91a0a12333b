"""The expected values of judged lessons' graded cases as a verdict or a feedback page could show
them: (numbers, encoded), each number as text to 4 and 6 significant digits, and the start of each
array's float64 and float32 bytes in base64. The leak checks of the judge tests
(test_judge_lesson_*.py) and of the end-to-end attack tests (test_judge_attacks_lesson_*.py, whose
lessons 2 and 4 build theirs with ``shown_forms``) search for them.
"""

import base64

import numpy as np

from backprop_course.autograder.judge.lesson_5 import expected_recording
from backprop_course.autograder.judge.reference import reference
from backprop_course.tasks import lesson_1 as tasks_1, lesson_5 as tasks_5, lesson_6 as tasks_6

# The right hand answers: lesson 5, task 2's path sums [dscore/dx_1, dscore/dx_2]; lesson 6, task 2's
# weights after one step and (L_predicted, L_new), and task 4's (g_full, g_first, g_second, w_full, w_epoch).
PATHS_5 = [-5.0, 3.0]
WEIGHTS_6 = {name: w - tasks_6.HAND_LR * tasks_6.SLIDE_GRADS[name] for name, w in tasks_6.SLIDE_WEIGHTS.items()}
STEP_6 = (0.954984375, 0.961528676044)
BATCHES_6 = (-7.5, -3.0, -12.0, 1.375, 1.675)


def shown_forms(arrays, chunk=24):
    """(numbers, encoded) of ``arrays``: each number above 1e-3, and the first ``chunk``
    characters of each array's bytes."""
    numbers = {f"{value:.{digits}g}" for array in arrays for value in np.ravel(array)
               for digits in (4, 6) if abs(value) > 1e-3}
    encoded = {base64.b64encode(np.ascontiguousarray(array, dtype).tobytes()).decode()[:chunk]
               for array in arrays for dtype in (np.float64, np.float32)}
    return numbers, encoded


def lesson_1():
    """Lesson 1's graded cases (the visible check's too): numbers above 1e-3 other than the small
    integers any message holds, and the bytes of each case's values (more than one)."""
    Scalar = reference("graph").Scalar
    nodes = tasks_1.network(Scalar, tasks_1.GIVEN_X, tasks_1.GIVEN_T, tasks_1.GIVEN_WEIGHTS)
    nodes["L"].backward()
    arrays = [np.array([nodes[name].value for name in tasks_1.FORWARD_NAMES]),
              np.array([nodes[name[4:]].grad for name in tasks_1.GRADIENT_NAMES])]
    arrays += [np.array(tasks_1.local_grads_table(Scalar, expression, points)).ravel()
               for _, expression, points, _ in tasks_1.LOCAL_CASES]
    graph = tasks_1.given_graph(Scalar, tasks_1.GRADED_GRAPH)
    graph["L"].backward()
    arrays.append(np.array([node.grad for node in graph.values()]))
    numbers = {f"{value:.{digits}g}" for array in arrays for value in array
               for digits in (4, 6) if abs(value) > 1e-3 and value not in (1.0, -1.0, 2.0, 3.0, 4.0)}
    encoded = {base64.b64encode(array.astype(dtype).tobytes()).decode()[:16]
               for array in arrays for dtype in (np.float64, np.float32) if array.size > 1}
    return numbers, encoded


def lesson_5():
    """Every graded net's expected traffic (the reference's) and the path sums; the bytes of
    arrays of 3 values or more."""
    arrays = []
    for net in tasks_5.GRADED_NETS:
        for input_grad in (True, False):
            expected = expected_recording(net, input_grad)
            # every layer's output and every gradient but dL/dscores (an input the kernel is given)
            arrays += [value for kind in ("outputs", "grads_in", "grads_out") for value in expected[kind]
                       if value is not None and not (kind == "grads_in" and value is expected[kind][-1])]
            arrays += [grad for grads in expected["param_grads"] for grad in grads.values()]
    arrays.append(np.array([PATHS_5]))
    numbers = {f"{value:.{digits}g}" for array in arrays for value in np.ravel(array)
               for digits in (4, 6) if abs(value) > 1e-3}
    encoded = {base64.b64encode(np.ascontiguousarray(array).astype(dtype).tobytes()).decode()[:24]
               for array in arrays for dtype in (np.float64, np.float32) if np.size(array) >= 3}
    return numbers, encoded


def lesson_6():
    """Lesson 6's seeded SGD cases, bowls and hand answers (the hand answers as numbers only)."""
    mlp, sgd = reference("mlp").MLP, reference("optim").SGD
    arrays = []
    for momentum in (False, True):
        for _, build, lr, mu, steps, dtype in tasks_6.sgd_cases(momentum)[1:]:
            model, grads = build(mlp)
            optimizer = sgd(model, lr=lr, momentum=mu)
            after, _ = tasks_6.run_sgd(model, optimizer, grads[:steps])
            arrays += [after, tasks_6.velocity_vector(model, optimizer)]
    for _, lr, curvature in tasks_6.bowl_cases():
        arrays += [1 - lr * curvature, 2 / curvature]
    numbers, encoded = shown_forms(arrays)
    hand, _ = shown_forms([[*WEIGHTS_6.values(), *STEP_6, *BATCHES_6]])
    return numbers | hand, encoded
