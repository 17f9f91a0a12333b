"""Messages the grading kernel sends that nbformat cannot store (sandbox.kernel_messages): the
student's code can send the kernel's IOPub socket anything. Each such message is dropped and
counted, the cell's execution count stays a number, and the messages around it are kept, under
backprop-course autograde (GradingExecute) and plain nbgrader autograde (SandboxedExecute) alike."""

import nbformat
import pytest

from backprop_course.autograder.grading.grading_execute import GradingExecute
from backprop_course.autograder.sandbox import SandboxedExecute

PARENT = {"msg_id": "cell-1"}


def message(msg_type, content):
    return {"msg_type": msg_type, "content": content, "parent_header": PARENT,
            "header": {"msg_type": msg_type, "msg_id": "m", "date": "2026-12-07T00:00:00Z"}, "metadata": {}}


@pytest.mark.parametrize("msg_type, content", [
    ("execute_result", {"data": {"text/plain": None}, "metadata": None, "execution_count": "x"}),
    ("stream", {"name": "stdout", "text": 5}),
    ("display_data", {"data": [1, 2], "metadata": {}}),
    ("display_data", {"data": {"text/plain": {"a": 1}}, "metadata": {}}),
    ("error", {"ename": None, "evalue": {"a": 1}, "traceback": 5}),
    ("status", {}),
    ("display_data", ["content", "as", "a", "list"]),
])
@pytest.mark.parametrize("make_runner", [lambda: GradingExecute(60), SandboxedExecute], ids=["ours", "plain"])
def test_a_message_nbformat_cannot_store_is_dropped_and_counted(make_runner, msg_type, content):
    runner = make_runner()
    runner.reset_execution_trackers()  # as a notebook run starts
    runner.clear_before_next_output = False  # as nbclient starts a cell
    cell = nbformat.v4.new_code_cell("print('ran')", execution_count=3)
    cell.metadata["execution"] = {}  # as nbclient starts a cell
    runner.process_message(message("stream", {"name": "stdout", "text": "before\n"}), cell, 0)
    assert runner.process_message(message(msg_type, content), cell, 0) is None
    runner.process_message(message("stream", {"name": "stdout", "text": "after\n"}), cell, 0)
    assert runner.dropped_messages == 1
    assert cell.execution_count == 3
    assert [output.text for output in cell.outputs] == ["before\n", "after\n"]
    nbformat.validate(nbformat.v4.new_notebook(cells=[cell]))
