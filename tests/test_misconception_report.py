"""The report reads the misconceptions named in autograded notebooks, counts students per task,
writes misconceptions.csv and a chart; items.csv names are cut at a word boundary; the score
histogram counts whole submissions and names its lesson. Synthetic autograded notebooks whose
outputs are shown by the real checks (rows as data beside their text): no course, no kernel.
Printed rows are never read: a student's code can print anything."""

import contextlib
import csv
from unittest import mock

import nbformat
import numpy as np

from backprop_course.autograder import misconception_report, report
from backprop_course import check_rows
from backprop_course.checks import CheckFailed, task

RNG = np.random.default_rng(3)
X, GRAD_OUT = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))  # a sign is a pattern over 3 entries
DB = GRAD_OUT.sum(axis=0)
LONG = "gradients of a float32 layer 128x256 -> 128x10 after a second call to param_backward"


def shown(db, extra=None):
    """The outputs of lesson 2's task 2 cell (a visible and a hidden task) for a student whose
    dL/db is db: each task's rows as one display_data output, as ``check_rows.show_rows`` shows
    them in a kernel."""
    outputs = []

    def show(label, passed, rows, lines):
        outputs.append(nbformat.v4.new_output("display_data", data={
            "text/plain": "\n".join(lines), check_rows.ROWS_MIME: check_rows.rows_data(label, passed, rows)}))

    with mock.patch.object(check_rows, "show_rows", show):
        for label, hidden in (("Lesson 2, task 2", False), ("Lesson 2, task 2 (graded)", True)):
            with contextlib.suppress(CheckFailed), task(label, hidden=hidden) as check:
                check.close("dL/db", db, DB, bar=1e-12, inputs={"x": X, "grad_out": GRAD_OUT})
                if extra:
                    extra(check)
    return outputs


def notebook(outputs):
    """An autograded notebook with one test cell that showed ``outputs`` and failed."""
    cell = nbformat.v4.new_code_cell("check()")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "task2-check", "points": 3}
    cell.outputs = [*outputs, nbformat.v4.new_output("error", ename="CheckFailed", evalue="...", traceback=[])]
    return nbformat.v4.new_notebook(cells=[cell])


def row(student, outputs):
    failures, findings = report._cell_failures(notebook(outputs))
    return {"student": student, "failures": failures, "findings": findings, "score": 0.0, "max_score": 3.0}


def class_rows():
    long_check = lambda check: check.true(LONG, False, "layer 2 raised ValueError: matmul: size mismatch")
    return [row("ann", shown(GRAD_OUT.mean(axis=0))),
            row("bob", shown(GRAD_OUT.mean(axis=0), long_check)),
            row("cid", shown(-DB)),
            row("dan", shown(DB.copy()))]


def test_findings_are_read_per_task_and_counted_once_per_student(tmp_path):
    rows = class_rows()
    assert rows[3]["failures"] == {"task2-check": []} and rows[3]["findings"] == {"task2-check": []}
    table = misconception_report.count(rows)
    # cid's flipped sign is a diagnosis, what was observed, not a name: only certain names count.
    assert rows[2]["findings"]["task2-check"][0].kind == "diagnosis"
    assert [(item["task"], item["kind"], item["key"], item["students"]) for item in table] == [
        ("Lesson 2, task 2", "misconception", "db-mean", 2)]
    assert table[0]["share"] == 0.5 and table[0]["tests"] == "task2-check"
    assert table[0]["message"].startswith("dL/db equals the mean of grad_out over the batch")
    path = tmp_path / "misconceptions.csv"
    misconception_report.write_csv(table, path)
    with open(path) as handle:
        written = list(csv.DictReader(handle))
    assert written == [{**{key: str(value) for key, value in table[0].items()}, "share": "0.50"}]
    assert "db-mean" in misconception_report.summary(table) and "2 students" in misconception_report.summary(table)


def test_printed_rows_are_never_read():
    """A row only printed (by the student's code, or as text the judge left) counts for nothing."""
    text = "\n".join(check_rows.format_data_row(row) for _, _, rows in
                     (body for output in shown(GRAD_OUT.mean(axis=0)) for body in check_rows.rows_of(output))
                     for row in rows)
    assert "misconception db-mean" in text
    stdout = nbformat.v4.new_output("stream", name="stdout", text=text)
    assert row("eve", [stdout])["findings"] == {"task2-check": []}


def test_the_chart_shows_the_class_findings_or_says_there_are_none(tmp_path):
    table = misconception_report.count(class_rows())
    for name, rows in (("some.png", table), ("none.png", [])):
        misconception_report.save(misconception_report.chart(rows, "02_linear_layer", 4), tmp_path / name)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [misconception_report.label(item) for item in table] == ["task 2: db-mean"]


def test_items_names_are_cut_at_a_word_boundary():
    names = class_rows()[1]["failures"]["task2-check"]
    assert names[0::2] == ["dL/db", "dL/db"]  # the visible task's rows, then the hidden task's
    cut = names[1::2]
    assert all(name.endswith("…") for name in cut) and all(len(name) <= report.NAME_WIDTH for name in cut)
    assert all(LONG.startswith(name[:-1]) and LONG[len(name) - 1] == " " for name in cut)


def test_the_histogram_counts_whole_submissions_and_names_its_lesson():
    rows = [{"score": score, "max_score": 10.0} for score in (10, 10, 7)]
    fig = report.histogram_figure(rows, "02_linear_layer")
    ax = fig.axes[0]
    assert "02_linear_layer" in ax.get_title()
    ticks = [tick for tick in ax.get_yticks() if 0 <= tick <= 2]
    assert ticks and all(float(tick).is_integer() for tick in ticks)
