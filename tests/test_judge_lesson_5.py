"""Lesson 5 judged in the grader: the kernel records the student's MLP traffic, ``judge.lesson_5*``
decides (``backprop_course.tasks.lesson_5``, ``autograder/judge/lesson_5.py``, ``lesson_5_count.py``,
``lesson_5_paths.py``).

First without a kernel: records made by the kernel-side code itself (``run_graded_cases`` with a
stand-in ``display``) from the reference MLP, a stub, or planted bugs, each of which must fail
exactly its own task. Then end to end: the lesson's source notebook run in a kernel with wrong
code, with and without code that tries to rewrite the verdict; an attack must score no more than
its wrong code alone, and no judged output holds a graded case's expected value.
"""

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor

import nbformat
import numpy as np
import pytest

from backprop_course.autograder import judge
from backprop_course.autograder.judge.lesson_5 import expected_recording
from backprop_course.autograder.judge.reference import reference
from backprop_course.misconceptions import audit
from backprop_course.tasks import lesson_5
from helpers.verdict_attacks import FORGE, GUARDS, MIME, SINK, SWALLOW, emit_twice

TASK1, BACKWARD, GRADCHECK, INPUT_GRAD = ("Lesson 5, task 1", "Lesson 5, task 2: backward",
                                          "Lesson 5, task 2: gradient check", "Lesson 5, task 2: input gradient")
PATHS, COUNT = "Lesson 5, task 2: paths", "Lesson 5, task 3"
MLP_LABELS = (TASK1, BACKWARD, GRADCHECK, INPUT_GRAD)
LABELS = MLP_LABELS + (PATHS, COUNT)
RIGHT_PATHS = [-5.0, 3.0]


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


def expected_texts():
    """Every graded net's expected traffic (the reference's), as feedback could show it: numbers
    to 4 and 6 significant digits, and each array's bytes in base64."""
    arrays = []
    for net in lesson_5.GRADED_NETS:
        for input_grad in (True, False):
            expected = expected_recording(net, input_grad)
            # every layer's output and every gradient but dL/dscores (an input the kernel is given)
            arrays += [value for kind in ("outputs", "grads_in", "grads_out") for value in expected[kind]
                       if value is not None and not (kind == "grads_in" and value is expected[kind][-1])]
            arrays += [grad for grads in expected["param_grads"] for grad in grads.values()]
    arrays.append(np.array([RIGHT_PATHS]))
    numbers = {f"{value:.{digits}g}" for array in arrays for value in np.ravel(array)
               for digits in (4, 6) if abs(value) > 1e-3}
    encoded = {base64.b64encode(np.ascontiguousarray(array).astype(dtype).tobytes()).decode()[:24]
               for array in arrays for dtype in (np.float64, np.float32) if np.size(array) >= 3}
    return numbers, encoded


# ---- end to end: the lesson's notebook in a kernel, with attacks ----------------------------------

LESSON = "05_mlp"
FORWARD_BODY = "        for layer in self.layers:\n            x = layer.forward(x)\n        return x\n"
BACKWARD_BODY = ("        for layer in reversed(self.layers[1:]):\n            grad_out = layer.backward(grad_out)\n"
                 "        first = self.layers[0]\n        if not input_grad:\n"
                 "            first.param_backward(grad_out)\n            return None\n"
                 "        return first.backward(grad_out)\n")
ZERO_FORWARD = "        return np.zeros_like(x)\n"
ZERO_BACKWARD = "        return np.zeros_like(grad_out)\n"
COUNT_LINE = "return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))"
PATHS_LINES = ("dscore_dx = [1 * 3 * 1 + 1 * 1 * -2 + 2 * 1 * 1 + 2 * 2 * -2,\n"
               "                 0 * 3 * 1 + 0 * 1 * -2 + -1 * 1 * 1 + -1 * 2 * -2]")
NOTEBOOK_ZEROS = {COUNT_LINE: "return 0", PATHS_LINES: "dscore_dx = [0.0, 0.0]"}
TWICE = emit_twice(5)
OWN_INPUTS = """
import numpy as _np
import backprop_course.tasks.lesson_5 as _lesson
_lesson.net_inputs = lambda net, dtype=None: (_np.zeros((net.batch, net.features)),) * 2
"""
PRINTS = ('        import json, IPython.display as _d\n'
          '        print(json.dumps({"' + MIME + '": {"task": "Lesson 5, task 1", "cases": {}}}))\n'
          '        _d.display({"' + MIME + '": {"task": "Lesson 5, task 1", "cases": {}}, '
          '"application/vnd.backprop-course.rows+json": {"task": "Lesson 5, task 1", "passed": True, "rows": []}, '
          '"text/plain": "ok"}, raw=True)\n')
EXIT = "        import sys\n        sys.exit(0)\n"

# name: (the wrong code, {"top": code appended to mlp.py, "forward": code before forward's body})
ATTACKS = {
    "failures_sink": ("zeros", {"top": SINK}),
    "patched_guards_numpy": ("zeros", {"top": GUARDS}),
    "forged_records": ("zeros", {"top": FORGE}),
    "printed_records": ("zeros", {"forward": PRINTS}),
    "swallowed_exceptions": ("zeros", {"top": SWALLOW}),
    "own_inputs": ("zeros", {"top": OWN_INPUTS}),
    "sys_exit": ("zeros", {"forward": EXIT}),
    "record_twice": ("partial", {"top": TWICE}),
    "everything": ("partial", {"top": SINK + GUARDS + FORGE + SWALLOW}),
}


def submission(wrong, attack=None):
    """(mlp.py edits, notebook edits) of a submission: "correct", "zeros" (everything wrong), or
    "partial" (task 1 right, the rest zeros), with the attack's code added."""
    attack = attack or {}
    forward = FORWARD_BODY if wrong in ("correct", "partial") else ZERO_FORWARD
    backward = BACKWARD_BODY if wrong == "correct" else ZERO_BACKWARD
    edits = [(FORWARD_BODY, attack.get("forward", "") + forward), (BACKWARD_BODY, backward)]
    return edits, attack.get("top", ""), {} if wrong == "correct" else NOTEBOOK_ZEROS


def graded_run(name, edits, top, notebook_edits, tmp_path):
    """{graded cell id: (points scored, points, output text)} of the source notebook run as grading
    runs it (the judge after the kernel) on the reference library with ``edits``."""
    from nbgrader.utils import determine_grade

    from helpers.lesson_runs import execute, folder_with, judged, outputs_text, source

    (tmp_path / name).mkdir()
    folder = folder_with(tmp_path / name, "reference")
    path = folder / "backprop_lib" / "mlp.py"
    text = path.read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"the reference mlp.py no longer has {old!r}: update this test"
        text = text.replace(old, new)
    path.write_text(text + top)
    nb = source(LESSON)
    for old, new in notebook_edits.items():
        cells = [cell for cell in nb.cells if old in cell.source]
        assert len(cells) == 1, f"the source notebook no longer has {old!r}: update this test"
        cells[0].source = cells[0].source.replace(old, new)
    execute(nb, folder, allow_errors=True, as_graded=True)
    nb = judged(nb)
    return {cell.id: (determine_grade(cell)[0], cell.metadata["nbgrader"]["points"], outputs_text(cell))
            for cell in nb.cells if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("judged-05")
    runs = {"correct": submission("correct"), "zeros": submission("zeros"), "partial": submission("partial"),
            **{name: submission(wrong, attack) for name, (wrong, attack) in ATTACKS.items()}}
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda item: graded_run(item[0], *item[1], tmp_path), runs.items())
        return dict(zip(runs, results))


def score(cells):
    return sum(scored or 0 for scored, _, _ in cells.values())


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    total = sum(points for _, points, _ in graded["correct"].values())
    assert score(graded["correct"]) == total == 9  # the written answer (2 points) is graded by hand
    assert score(graded["zeros"]) == 0
    assert score(graded["partial"]) == graded["partial"]["task1-forward"][1] == 3


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    wrong = ATTACKS[name][0]
    assert score(graded[name]) <= score(graded[wrong]), {cell: got[:2] for cell, got in graded[name].items()}


@pytest.mark.slow
def test_no_judged_output_holds_an_expected_value_of_a_graded_case(graded):
    numbers, encoded = expected_texts()
    for name, cells in graded.items():
        if name == "correct":
            continue  # its rows show its own (right) results: nothing it did not compute
        for cell, (_, _, text) in cells.items():
            found = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)) & numbers
            assert not found, (name, cell, sorted(found)[:5])
            assert not [chunk for chunk in encoded if chunk in text], (name, cell)
