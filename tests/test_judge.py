"""The grader's judge without a kernel: records in, verdicts out (backprop_course.autograder.judge, JudgeChecks).

The records are made by the kernel-side code itself (``run_graded_cases`` with a stand-in
``display``), from the reference layer, a wrong one, or forged by hand.
"""

import base64
import json

import nbformat
import numpy as np
import pytest

from backprop_course.autograder import judge
from backprop_course.autograder.grading.preprocessors import JudgeChecks
from backprop_course.autograder.judge.reference import NAME, reference
from backprop_course import check_rows, records
from backprop_course.tasks import lesson_2

LABELS = ["Lesson 2, task 1", "Lesson 2, task 2", "Lesson 2, task 3"]


def outputs_of(label, linear, monkeypatch):
    """The outputs ``run_graded_cases(label, linear)`` leaves in a cell."""
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    lesson_2.run_graded_cases(label, linear)
    return [nbformat.from_dict({"output_type": "display_data", "data": bundle, "metadata": {}})
            for bundle in shown]


def reference_linear():
    return reference("layers").Linear


class MeanBias:
    """The reference layer with dL/db the mean over the batch (a catalogued misconception)."""

    def __new__(cls, *args, **kwargs):
        layer = reference_linear()(*args, **kwargs)
        backward = layer.param_backward

        def mean_bias(grad_out):
            backward(grad_out)
            layer.grads["b"] = np.asarray(grad_out).mean(axis=0)

        layer.param_backward = mean_bias
        return layer


@pytest.mark.parametrize("label", LABELS)
def test_the_reference_passes_every_task(label, monkeypatch):
    verdict = judge.judge(label, outputs_of(label, reference_linear(), monkeypatch))
    assert verdict.passed, verdict.lines
    assert verdict.lines[-1] == f"  all checks of {label} (graded) passed"


def test_a_misconception_is_named_without_showing_a_value(monkeypatch):
    verdict = judge.judge("Lesson 2, task 2", outputs_of("Lesson 2, task 2", MeanBias, monkeypatch))
    assert not verdict.passed
    assert {row.key for row in verdict.rows if row.kind} == {"db-mean"}
    assert not any("got " in line or "expected [" in line for line in verdict.lines)
    assert verdict.message.startswith("Lesson 2, task 2 (graded): ")


def test_the_records_hold_no_expected_value(monkeypatch):
    """What the kernel emits for a wrong layer: its own results and nothing of the reference's."""
    outputs = outputs_of("Lesson 2, task 2", MeanBias, monkeypatch)
    text = json.dumps(outputs)
    layer = lesson_2.layer_with(reference_linear(), *lesson_2.linear_case(*lesson_2.GRADED_SHAPES[1])[1:3])
    x, _, _, grad_out = lesson_2.linear_case(*lesson_2.GRADED_SHAPES[1])
    layer.cache = x
    layer.param_backward(grad_out)
    assert base64.b64encode(layer.grads["b"].tobytes()).decode() not in text


def forged(label, cases):
    return nbformat.from_dict({"output_type": "display_data", "metadata": {},
                               "data": records.record(label, cases)})


def test_a_missing_duplicated_or_malformed_record_fails(monkeypatch):
    label = "Lesson 2, task 1"
    good = outputs_of(label, reference_linear(), monkeypatch)
    assert not judge.judge(label, []).passed
    assert not judge.judge(label, good + good).passed
    (case, values), *_ = json.loads(json.dumps(good[0].data[records.MIME]["cases"])).items()
    # one case emitted again by the student's own code: that case is recorded twice
    assert not judge.judge(label, good + [forged(label, {case: values})]).passed
    broken = {**values, "out": {"array": {"dtype": "float64", "shape": [99], "b64": "AAAA"}}}
    assert not judge.judge(label, [forged(label, {**good[0].data[records.MIME]["cases"], case: broken})]).passed
    objects = {**values, "out": {"array": {"dtype": "object", "shape": [1], "b64": "AAAAAAAAAAA="}}}
    assert not judge.judge(label, [forged(label, {**good[0].data[records.MIME]["cases"], case: objects})]).passed
    not_a_record = nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                       "data": {records.MIME: ["passed"], "text/plain": ""}})
    assert not judge.judge(label, good + [not_a_record]).passed
    # records of another task, or of no known case, change nothing
    assert judge.judge(label, good + [forged("Lesson 2, task 2", {case: values}),
                                      forged(label, {"a case of my own": values})]).passed


def test_a_forged_pass_is_worth_nothing_without_the_right_results(monkeypatch):
    label = "Lesson 2, task 1"
    cases = {case: {"out": records.encode(np.zeros(3)), "passed": {"missing": "bool"}}
             for case, *_ in lesson_2.graded_cases()}
    claims = nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                 "data": {records.MIME: {"task": label, "cases": cases, "verdict": "pass"},
                                          check_rows.ROWS_MIME: {"task": label, "passed": True, "rows": []}}})
    assert not judge.judge(label, [claims]).passed


def test_not_implemented_is_one_line(monkeypatch):
    class Stub:
        def __init__(self, *args, **kwargs):
            self.params, self.grads = {}, {}

        def forward(self, x):
            raise NotImplementedError("Lesson 2, task 1: implement Linear.forward")

    verdict = judge.judge("Lesson 2, task 1", outputs_of("Lesson 2, task 1", Stub, monkeypatch))
    assert not verdict.passed
    assert verdict.message == "not implemented yet: Lesson 2, task 1: implement Linear.forward"


def test_a_layer_that_cannot_be_built_fails_with_the_crash(monkeypatch):
    class Broken:
        def __init__(self, *args, **kwargs):
            raise ValueError("no")

    verdict = judge.judge("Lesson 2, task 3", outputs_of("Lesson 2, task 3", Broken, monkeypatch))
    assert not verdict.passed
    assert any("your code raised ValueError: no" in line for line in verdict.lines), verdict.lines


def test_the_preprocessor_decides_the_cell_whatever_the_kernel_said(monkeypatch):
    label = "Lesson 2, task 3"
    cell = nbformat.v4.new_code_cell(f'run_graded_cases("{label}", Linear)\nwith task("{label}") as check:\n    pass')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "task3-check", "points": 2}
    nb = nbformat.v4.new_notebook(cells=[cell])
    # the kernel claimed a failure and wrote to stderr; the judge finds the records right
    cell.outputs = outputs_of(label, reference_linear(), monkeypatch) + [
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
        nbformat.v4.new_output("error", ename="CheckFailed", evalue="no", traceback=["no"])]
    JudgeChecks().preprocess(nb, {})
    assert [out.output_type for out in cell.outputs] == ["display_data", "stream", "stream"]
    assert all(out.get("name", "stdout") == "stdout" for out in cell.outputs)
    assert records.MIME not in json.dumps(cell.outputs)
    assert cell.outputs[0].data[check_rows.ROWS_MIME]["passed"] is True
    from nbgrader.utils import determine_grade
    assert determine_grade(cell)[0] == 2
    # the same cell without records: an error output, scored 0
    cell.outputs = []
    JudgeChecks().preprocess(nb, {})
    assert cell.outputs[-1].output_type == "error" and determine_grade(cell)[0] == 0


def test_a_cell_without_a_judged_task_is_left_alone():
    cell = nbformat.v4.new_code_cell('with task("Lesson 3, task 1") as check:\n    pass')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    cell.outputs = [nbformat.v4.new_output("error", ename="CheckFailed", evalue="x", traceback=["x"])]
    nb = nbformat.v4.new_notebook(cells=[cell])
    JudgeChecks().preprocess(nb, {})
    assert [out.output_type for out in cell.outputs] == ["error"]


def test_the_reference_is_imported_under_its_own_name():
    import sys

    assert reference("layers").__name__ == f"{NAME}.layers"
    assert not any(name.split(".")[0] == "backprop_lib" and "solutions" in str(getattr(module, "__file__", ""))
                   for name, module in sys.modules.items())


def test_a_record_round_trips_numbers_exactly():
    values = [np.array([np.nan, np.inf, -0.0, 1e-300]), np.arange(6, dtype=np.float32).reshape(2, 3),
              np.array(True)]
    for value in values:
        back = records.decode(json.loads(json.dumps(records.encode(value))))
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value, equal_nan=True)
    assert isinstance(records.decode(records.encode(None)), records.Missing)
    assert records.decode(records.encode("text")).kind == "str"


@pytest.mark.parametrize("shape", [[10**400], [0, 2**70], [0, 2**62, 4], [1] * 70])
def test_a_record_whose_shape_no_array_can_hold_is_malformed(shape):
    """Sizes overflowing numpy's integers or floats, or more dimensions than numpy holds: a forged
    record that failed the judge itself (a grader error) now fails its case."""
    eight_bytes = base64.b64encode(bytes(8)).decode()
    with pytest.raises(records.Malformed):
        records.decode({"array": {"dtype": "float64", "shape": shape, "b64": eight_bytes}})


def test_the_report_reads_the_judges_rows_not_what_the_kernel_printed(monkeypatch):
    from backprop_course.autograder.misconception_report import read_outputs

    label = "Lesson 2, task 2"
    cell = nbformat.v4.new_code_cell(f'run_graded_cases("{label}", Linear)')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "task2-check", "points": 3}
    printed = check_rows.format_row(False, "dL/dW", "rel error 1.0e+00  (bar 1e-12)") + \
        " — misconception dW-transposed: a row the student's code printed\n"
    cell.outputs = outputs_of(label, MeanBias, monkeypatch) + [
        nbformat.v4.new_output("stream", name="stdout", text=f"{label}:\n{printed}")]
    JudgeChecks().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    failed = read_outputs("task2-check", cell.outputs)
    assert failed and {finding.key for _, finding in failed if finding} == {"db-mean"}
    assert {finding.task for _, finding in failed if finding} == {label}
