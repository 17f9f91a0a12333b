"""Rows are data, text is for reading (issue 16): what the grader's judge leaves of the rows a kernel
showed, and what the report then reads. A judged cell keeps the kernel's rows as text only (the
judge's rows are the only data), a test cell still judged in its kernel keeps its rows as data, and
a code cell that is no test keeps text and loses records."""

import nbformat
import numpy as np

from backprop_course import check_rows, records
from backprop_course.autograder.grading.preprocessors import JudgeChecks
from backprop_course.autograder.misconception_report import read_outputs

LABEL = "Lesson 2, task 2"


def kernel_rows(label, key="dW-transposed"):
    """A rows output as ``check_rows.show_rows`` shows it in a kernel: one WRONG row naming ``key``."""
    row = check_rows.Row(False, "dL/dW", "rel error 1.0e+00  (bar 1e-12)", "misconception", key, "a sentence")
    return nbformat.v4.new_output("display_data", data={
        "text/plain": f"{label}:\n{check_rows.format_data_row(row)}",
        check_rows.ROWS_MIME: check_rows.rows_data(label, False, [row])})


def cell(source, grade=True, outputs=()):
    made = nbformat.v4.new_code_cell(source)
    if grade:
        made.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "task2-check", "points": 3}
    made.outputs = list(outputs)
    return made


def test_a_judged_cell_keeps_the_kernels_rows_as_text_and_only_the_judges_as_data():
    judged = cell(f'run_graded_cases("{LABEL}", Linear)', outputs=[kernel_rows(LABEL)])
    JudgeChecks().preprocess(nbformat.v4.new_notebook(cells=[judged]), {})
    data = [output for output in judged.outputs if check_rows.rows_of(output)]
    assert len(data) == 1 and check_rows.rows_of(data[0])[0][0] == LABEL  # the judge's verdict
    assert not check_rows.rows_of(data[0])[0][1]  # no records: every case fails
    assert any(output.output_type == "stream" and "misconception dW-transposed" in output.text
               for output in judged.outputs)  # the student still reads what the kernel showed
    assert "dW-transposed" not in {finding.key for _, finding in read_outputs("task2-check", judged.outputs)
                                   if finding}


def test_a_cell_judged_in_its_kernel_keeps_its_rows_as_data():
    kernel = cell('with task("Lesson 4, task 1") as check:\n    pass', outputs=[kernel_rows("Lesson 4, task 1",
                                                                                               "mse-summed")])
    JudgeChecks().preprocess(nbformat.v4.new_notebook(cells=[kernel]), {})
    [(_, finding)] = read_outputs("task1-check", kernel.outputs)
    assert (finding.task, finding.key) == ("Lesson 4, task 1", "mse-summed")


def test_a_code_cell_that_is_no_test_keeps_text_and_loses_records():
    record = nbformat.v4.new_output("display_data", data=records.record(LABEL, {"case": {
        "out": records.encode(np.zeros(2))}}))
    other = cell("print('mine')", grade=False, outputs=[kernel_rows(LABEL), record])
    JudgeChecks().preprocess(nbformat.v4.new_notebook(cells=[other]), {})
    assert [output.output_type for output in other.outputs] == ["stream"]
    assert "WRONG  dL/dW" in other.outputs[0].text


def test_a_course_stand_in_is_described_never_named_by_its_class():
    class LayerNotCalled:
        missing = "was never computed: that layer's method was never called"

    value = records.decode(records.encode(LayerNotCalled()))
    assert value.describe("the gradient into layer 1") == (
        "the gradient into layer 1 was never computed: that layer's method was never called")
    assert records.decode(records.encode("text")).describe("out") == "out is a str, not an array of numbers"
