"""The judge of lesson 2's graded tasks: what the reference Linear gives on each graded case,
compared with what the student's layer returned (``backprop_course.tasks.lesson_2`` records it).
Bars as the former hidden tests': 1e-10 relative in float64, float32 results within 1e-5 of the
float64 ones."""

import numpy as np

from backprop_course.tasks.lesson_2 import graded_cases, layer_with, near, only_backward

from .reference import reference

BAR, BAR32 = 1e-10, 1e-5


def _linear():
    return reference("layers").Linear


def _float32(value, expected):
    return value is not None and value.dtype == np.float32 and near(value, expected, BAR32)


def _same(value, expected):
    return value is not None and np.array_equal(value, expected)


def forward(check, case, x, W, b, grad_out, seen):
    expected = layer_with(_linear(), W, b).forward(x.copy())
    check.close(f"out {case}", seen["out"], expected, bar=BAR, inputs={"x": x, "W": W, "b": b})
    check.true(f"x unchanged {case}", _same(seen["x after"], x), "forward modified its input")
    check.true(f"cache holds x {case}", _same(seen["cache"], x), "store x in self.cache")
    check.true(f"float32 out {case}", _float32(seen["out float32"], expected),
               "a float32 layer must return float32 values within 1e-5 of the float64 result")


def param_backward(check, case, x, W, b, grad_out, seen):
    layer = layer_with(_linear(), W, b)
    layer.cache = x.copy()
    layer.param_backward(grad_out.copy())
    dW, db = layer.grads["W"], layer.grads["b"]
    seen["call"]
    check.chain([("dL/dout (given)", seen["grad_out after"], grad_out),
                 ("dL/dW", seen["dW"], dW, "dL/dout and the cached x"),
                 ("dL/db", seen["db"], db, "dL/dout")], bar=BAR, name=f"gradients {case}",
                inputs={"x": x, "grad_out": grad_out})
    seen["second call"]
    check.close(f"dL/dW after a second call {case}", seen["dW after a second call"], dW, bar=BAR,
                inputs={"x": x, "grad_out": grad_out, "calls": 2})
    seen["float32 call"]
    check.true(f"float32 dL/dW, dL/db {case}",
               _float32(seen["dW float32"], dW) and _float32(seen["db float32"], db),
               "float32 gradients must be float32 and within 1e-5 of the float64 ones")


def backward(check, case, x, W, b, grad_out, seen):
    layer = only_backward(layer_with(_linear(), W, b))
    layer.cache = x.copy()
    dx = layer.backward(grad_out.copy())
    check.chain([("dL/dout (given)", seen["grad_out after"], grad_out),
                 ("dL/dx", seen["dx"], dx, "dL/dout and W")], bar=BAR, name=f"dL/dx {case}",
                inputs={"W": W, "grad_out": grad_out})
    check.true(f"float32 dL/dx {case}", _float32(seen["dx float32"], dx),
               "float32 dL/dx must be float32 and within 1e-5 of the float64 one")


CASES = graded_cases
JUDGES = {"Lesson 2, task 1": forward, "Lesson 2, task 2": param_backward, "Lesson 2, task 3": backward}
