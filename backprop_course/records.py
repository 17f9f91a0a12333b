"""Observation records: what a graded check saw the student's code do, for the grader to judge.

A graded check in a kernel decides nothing. It runs the student's code on the check's inputs and
emits one record of every case, a display_data output with its own mimetype::

    {"application/vnd.backprop-course.observation+json":
         {"task": "Lesson 2, task 1",
          "cases": {"4x5 -> 4x3": {
              "out": {"array": {"dtype": "float64", "shape": [4, 3], "b64": "..."}},
              "cache": {"missing": "NoneType"},
              "dx": {"absent": "was never computed: that layer's method was never called"},
              "out float32": {"raised": {"type": "ValueError", "message": "...", "report": "..."}}}}},
     "text/plain": "Lesson 2, task 1: your code ran on 5 more cases; the grader judges them"}

and the grader's judge (``backprop_course.autograder.judge``) compares the values with the reference's, in the
grader's process. Arrays travel as raw bytes (base64), so NaN, inf and float32 arrive exactly.
``decode`` is the judge's reader: it trusts nothing in a record and raises ``Malformed``.
"""

import base64
import binascii
import math
import sys

import numpy as np

MIME = "application/vnd.backprop-course.observation+json"
# dtypes a record may carry: numbers and booleans only (an object array would be pickled code).
DTYPES = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")
MAX_ELEMENTS = 1_000_000  # far above every graded case; a record claiming more is malformed
MAX_DIMENSIONS = 32  # numpy's own limit is 32 or 64, by version


class Malformed(ValueError):
    """A record, or one value of it, that is not what ``encode`` writes."""


class Raised:
    """A value the student's code did not produce because it raised: ``report`` is the one line
    ``checks.crash_report`` writes (type, message, file and line)."""

    def __init__(self, kind, message, report):
        self.kind, self.message, self.report = kind, message, report


class Missing:
    """A value that is not an array of numbers (None, a string, an object): ``kind`` names its type,
    ``why`` (else "") says what is missing, for the course's own stand-ins (a type with a
    ``missing`` sentence, e.g. ``network.LayerNotCalled``: its class name is never shown)."""

    def __init__(self, kind, why=""):
        self.kind, self.why = kind, why

    def describe(self, name):
        """One line on value ``name``: "dL/dx was never computed: ..." or "dL/dx is a str, not ..."."""
        return f"{name} {self.why}" if self.why else f"{name} is a {self.kind}, not an array of numbers"


def encode(value):
    """One value as a record holds it: an array of numbers, else what it is."""
    try:
        array = np.asarray(value)
    except Exception:  # a student's object may raise anything when read as an array
        array = None
    why = getattr(type(value), "missing", None)
    if isinstance(why, str):
        return {"absent": why[:300]}
    if value is None or array is None or array.dtype.name not in DTYPES:
        return {"missing": type(value).__name__}
    if array.size > MAX_ELEMENTS:  # no graded result is this large: say so rather than ship it
        return {"missing": f"array of {array.size} numbers"}
    little = array.astype(array.dtype.newbyteorder("<"))
    return {"array": {"dtype": array.dtype.name, "shape": list(array.shape),
                      "b64": base64.b64encode(little.tobytes(order="C")).decode()}}


def encode_error(err):
    """An exception the student's code raised, as a record value."""
    from .checks import crash_report

    return {"raised": {"type": type(err).__name__, "message": str(err)[:300], "report": crash_report(err)[:500]}}


def record(task, cases):
    """The display_data bundle of a task's observations ({case: {name: encoded value}})."""
    return {MIME: {"task": task, "cases": cases},
            "text/plain": f"{task}: your code ran on {len(cases)} more cases; the grader judges them"}


def emit(task, cases):
    """Show a task's record as the cell's output (the grader reads it from there)."""
    from IPython.display import display

    display(record(task, cases), raw=True)


def not_judged_warning(task):
    """When nbgrader's autograde runs this kernel unsandboxed (it sets NBGRADER_EXECUTION), a line
    on stderr: nbgrader scores the cell 0 unless the judge (which turns stderr into stdout) runs
    after it, so a course without the judge in its config gets no points it did not judge."""
    from .lesson import grading

    if grading():
        print(f"{task}: not judged; add backprop_course.autograder.grading.preprocessors.JudgeChecks after Execute "
              "to c.Autograde.autograde_preprocessors", file=sys.stderr)


def decode(value):
    """An encoded value -> a numpy array, a Raised or a Missing; raises Malformed."""
    if not isinstance(value, dict) or len(value) != 1:
        raise Malformed("a value is not a one-key object")
    (kind, body), = value.items()
    if kind == "missing" and isinstance(body, str):
        return Missing(body[:100])
    if kind == "absent" and isinstance(body, str):
        return Missing("absent", body[:300])
    if kind == "raised" and isinstance(body, dict) and all(isinstance(body.get(k), str)
                                                           for k in ("type", "message", "report")):
        return Raised(body["type"][:100], body["message"][:300], body["report"][:500])
    if kind != "array" or not isinstance(body, dict):
        raise Malformed(f"unknown value kind {kind!r}")
    dtype, shape, data = body.get("dtype"), body.get("shape"), body.get("b64")
    # Sizes in Python integers, never numpy's: a shape like [10**400] or [0, 2**62, 4] overflows
    # those (an empty array's other dimensions count too when numpy reshapes).
    if dtype not in DTYPES or not isinstance(data, str) or not isinstance(shape, list) \
            or len(shape) > MAX_DIMENSIONS \
            or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape) \
            or math.prod(max(n, 1) for n in shape) > MAX_ELEMENTS:
        raise Malformed("an array without a valid dtype, shape or data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("array data is not base64") from None
    little = np.dtype(dtype).newbyteorder("<")
    if len(raw) != math.prod(shape) * little.itemsize:
        raise Malformed("array data does not fit its shape")
    return np.frombuffer(raw, dtype=little).astype(dtype).reshape(tuple(shape))


def read(output):
    """(task, {case: {name: encoded}}) of an output that is a record, None for any other output;
    raises Malformed for an output with the record mimetype that is not a record."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return None
    body = output.get("data", {}).get(MIME)
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("task"), str) \
            or not isinstance(body.get("cases"), dict) \
            or not all(isinstance(values, dict) for values in body["cases"].values()):
        raise Malformed("a record without a task and its cases")
    return body["task"], body["cases"]


class Observation:
    """The values one case of a graded check observes (the task's record holds every case's).

        seen = Observation()
        out = seen.call("out", layer.forward, x)      # the result, or None when it raised
        seen.call("cache", lambda: layer.cache)
        emit("Lesson 2, task 1", {"4x5 -> 4x3": seen.values, ...})

    An exception the student's code raises is recorded (``encode_error``) in place of the value;
    a BaseException that is not an Exception (SystemExit, KeyboardInterrupt) ends the cell, and
    the task's record is then missing, which the judge fails.
    """

    def __init__(self):
        self.values = {}

    def call(self, name, function, *args):
        try:
            result = function(*args)
            self.values[name] = encode(result)
        except Exception as err:
            self.values[name] = encode_error(err)
            return None
        return result
