"""Lesson 5 judged in the grader: the kernel records the student's MLP traffic, ``judge.lesson_5*``
decides (``backprop_course.tasks.lesson_5``, ``autograder/judge/lesson_5.py``, ``lesson_5_count.py``,
``lesson_5_paths.py``).

Without a kernel: records made by the kernel-side code itself (``run_graded_cases`` with a
stand-in ``display``) from the reference MLP, a stub, or planted bugs, each of which must fail
exactly its own task. Verdict-rewriting attacks on whole submissions, graded end to end, are in
test_judge_attacks_lesson_5.py.
"""

import base64
import json

import nbformat
import numpy as np
import pytest

from backprop_course import records
from backprop_course.autograder import judge
from backprop_course.autograder.judge.lesson_5 import expected_recording
from backprop_course.autograder.judge.reference import reference
from backprop_course.misconceptions import audit
from backprop_course.tasks import lesson_5
from helpers import expected_texts

TASK1, BACKWARD, GRADCHECK, INPUT_GRAD = ("Lesson 5, task 1", "Lesson 5, task 2: backward",
                                          "Lesson 5, task 2: gradient check", "Lesson 5, task 2: input gradient")
PATHS, COUNT = "Lesson 5, task 2: paths", "Lesson 5, task 3"
MLP_LABELS = (TASK1, BACKWARD, GRADCHECK, INPUT_GRAD)
LABELS = MLP_LABELS + (PATHS, COUNT)
RIGHT_PATHS = expected_texts.PATHS_5


def outputs_of(label, code, monkeypatch):
    """The outputs ``run_graded_cases(label, code)`` leaves in a cell."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_5.run_graded_cases(label, code)
    return [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
            for bundle in shown]


def reference_mlp():
    return reference("mlp").MLP


def count_parameters(sizes):
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def student(**methods):
    """The reference MLP with some methods replaced (a student's MLP class)."""
    return type("StudentMLP", (reference_mlp(),), methods)


def applies_output_activation(self, x):
    return reference("mlp").OUTPUT_ACTIVATIONS[self.output_activation](reference_mlp().forward(self, x))


def not_chained(self, x):
    for layer in self.layers:
        out = layer.forward(x)
    return out


def forward_order_backward(self, grad_out, input_grad=True):
    for layer in self.layers[1:]:
        grad_out = layer.backward(grad_out)
    if not input_grad:
        self.layers[0].param_backward(grad_out)
        return None
    return self.layers[0].backward(grad_out)


def input_grad_ignored(self, grad_out, input_grad=True):
    return reference_mlp().backward(self, grad_out)


def first_dx_computed(self, grad_out, input_grad=True):
    dx = reference_mlp().backward(self, grad_out)
    return dx if input_grad else None


def skips_first_layer(self, grad_out, input_grad=True):
    for layer in reversed(self.layers[1:]):
        grad_out = layer.backward(grad_out)
    return grad_out


def stub(self, *args, **kwargs):
    raise NotImplementedError("Lesson 5: implement MLP")


def test_a_recorded_order_that_holds_no_whole_numbers_fails_its_case(monkeypatch):
    """nan, inf or 0.5 as a layer index (a forged record): the order is wrong, the judge goes on."""
    outputs = outputs_of(TASK1, reference_mlp(), monkeypatch)
    forged = records.encode(np.array([np.nan, np.inf, 0.5]))
    for output in outputs:
        for values in output.data[records.MIME]["cases"].values():
            values["forward order"] = forged
    assert not judge.judge(TASK1, outputs).passed


def verdicts(monkeypatch, mlp=None, count=count_parameters, paths=RIGHT_PATHS):
    code = {COUNT: count, PATHS: paths}
    return {label: judge.judge(label, outputs_of(label, code.get(label, mlp or reference_mlp()), monkeypatch))
            for label in LABELS}


def failed(found):
    return {label for label, verdict in found.items() if not verdict.passed}


def named(verdict):
    return {row.key for row in verdict.rows if row.kind == "misconception"}


def test_the_reference_passes_every_part(monkeypatch):
    found = verdicts(monkeypatch)
    assert not failed(found), {label: found[label].lines for label in failed(found)}
    for label, verdict in found.items():
        assert verdict.lines[-1] == f"  all checks of {label} (graded) passed"


def test_the_skeleton_scores_nothing(monkeypatch):
    found = verdicts(monkeypatch, student(forward=stub, backward=stub), count=lambda sizes: stub(None),
                     paths=None)
    assert failed(found) == set(LABELS)
    assert found[TASK1].message == "not implemented yet: Lesson 5: implement MLP"
    assert any("is missing (still None)" in line for line in found[PATHS].lines), found[PATHS].lines


# (name, methods of the student's MLP or {"count": ...} / {"paths": ...}, parts that must fail, names)
BUGS = [
    ("forward applies the output activation", {"forward": applies_output_activation}, {TASK1},
     {"forward-applies-output-activation"}),
    ("forward not chained", {"forward": not_chained}, {TASK1}, {"forward-not-chained"}),
    ("backward in forward order", {"backward": forward_order_backward}, {BACKWARD, GRADCHECK, INPUT_GRAD},
     {"backward-forward-order"}),
    ("input_grad ignored", {"backward": input_grad_ignored}, {INPUT_GRAD}, set()),
    ("the first layer's dL/dx computed for nothing", {"backward": first_dx_computed}, {INPUT_GRAD}, set()),
    ("backward skips the first layer", {"backward": skips_first_layer}, {BACKWARD, GRADCHECK, INPUT_GRAD},
     {"backward-skips-first"}),
    ("count without biases", {"count": lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))},
     {COUNT}, {"count-without-biases"}),
    ("one path per input", {"paths": [1 * 3 * 1, -1 * 2 * -2]}, {PATHS}, set()),
]


@pytest.mark.parametrize("name, bug, parts, names", BUGS, ids=[bug[0] for bug in BUGS])
def test_a_planted_bug_fails_exactly_its_own_part(name, bug, parts, names, monkeypatch):
    methods = {key: value for key, value in bug.items() if key in ("forward", "backward")}
    found = verdicts(monkeypatch, student(**methods) if methods else None,
                     count=bug.get("count", count_parameters), paths=bug.get("paths", RIGHT_PATHS))
    assert failed(found) == parts, {label: found[label].lines for label in failed(found) ^ parts}
    for label in parts:
        assert named(found[label]) <= names
    assert names <= set().union(*(named(found[label]) for label in parts))


def test_the_forward_of_every_output_activation_is_checked(monkeypatch):
    """The false pass of issue 18: forward returning probabilities fails on the sigmoid and softmax
    nets, and passes where the output activation is the identity."""
    verdict = judge.judge(TASK1, outputs_of(TASK1, student(forward=applies_output_activation), monkeypatch))
    wrong = {row.name for row in verdict.rows if not row.ok}
    outputs = {net.output for net in lesson_5.GRADED_NETS}
    assert outputs == {"identity", "sigmoid", "softmax"}
    for net in lesson_5.GRADED_NETS:
        assert (f"forward {net.name}" in wrong) == (net.output != "identity"), net.name


def test_one_row_per_pass_and_words_for_a_layer_never_called(monkeypatch):
    verdict = judge.judge(BACKWARD, outputs_of(BACKWARD, student(backward=skips_first_layer), monkeypatch))
    rows = [row for row in verdict.rows if not row.ok]
    assert len(rows) == len(lesson_5.GRADED_NETS)  # one per net, none doubled by a second diagnosis
    assert all("was never computed: that layer's method was never called" in row.detail for row in rows), rows
    text = "\n".join(verdict.lines)
    assert "LayerNotCalled" not in text and "NoneReturned" not in text


def test_the_graded_nets_tell_every_catalogued_wiring_mistake_apart():
    """Each catalogue entry of tasks 1 and 2 is named (told apart from the others) on some graded net."""
    statuses = {}
    for net in lesson_5.GRADED_NETS:
        x, grad = lesson_5.net_inputs(net, np.float64)
        expected = expected_recording(net)
        given = lesson_5.stand_ins(lesson_5.net_layers(net, np.float64), x, grad_out=grad)
        for task, quantity, value in (("Lesson 5, task 1", "scores", expected["outputs"][-1]),
                                      ("Lesson 5, task 2", "dL/dx", expected["grads_out"][0]),
                                      ("Lesson 5, task 2", "backward order",
                                       np.arange(len(expected["inputs"]))[::-1])):
            for key, status in audit(task, quantity, value, given, bar=net.bar).items():
                statuses.setdefault((quantity, key), set()).add(status)
    unnamed = {entry: found for entry, found in statuses.items() if "named" not in found}
    # on the stand-ins' elementwise backward passes a visiting order cannot change dL/dx: the
    # order of the visits names those mistakes instead
    assert set(unnamed) <= {("dL/dx", "backward-forward-order")}, unnamed


def test_the_records_hold_no_expected_value(monkeypatch):
    """What the kernel emits for wrong code: its own results, not the reference's scores."""
    text = json.dumps(outputs_of(TASK1, student(forward=not_chained), monkeypatch))
    for net in lesson_5.GRADED_NETS:
        scores = expected_recording(net)["outputs"][-1]
        for dtype in (np.float64, net.dtype):
            assert base64.b64encode(scores.astype(dtype).tobytes()).decode()[:24] not in text, net.name
