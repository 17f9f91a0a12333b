"""What the class got wrong in one lesson: misconceptions.csv and misconceptions.png of the report.

A failed check's row ends with "— misconception KEY: sentence" (a catalogued wrong
implementation) or "— diagnosis KEY: sentence" (an error pattern such as a constant factor or
wrong rows); see ``backprop_course.check_rows``. ``read_cell`` reads them back from a test cell's
printed output, ``count`` counts each student once per task and misconception however many checks
showed it, and ``write_csv`` and ``chart`` make what a lecturer reviews in the next class. Only
certain names are counted: a misconception is named only when its wrong formula reproduced the
student's result, while a diagnosis describes what was observed and names no cause.
"""

import csv
import textwrap
from dataclasses import dataclass

from backprop_course.check_rows import ROWS_MIME, parse_row, rows_of
from backprop_course.misconceptions import task_label

# Bars on the chart: the class's most common findings of the lesson.
TOP = 10
COLUMNS = ("task", "tests", "kind", "key", "message", "students", "share")


@dataclass(frozen=True)
class Finding:
    """One finding on one failed check's row.

    task: the task label printed above the rows ("Lesson 2, task 2", a " (graded)" suffix
    dropped), else the test cell's grade id; test: the grade id; kind: "misconception" or
    "diagnosis"; key and message as printed.
    """

    task: str
    test: str
    kind: str
    key: str
    message: str


def read_cell(grade_id, text):
    """[(failed check name, Finding or None)] for the WRONG rows in a test cell's printed text."""
    task, failed = grade_id, []
    for line in text.splitlines():
        row = parse_row(line)
        if row is None:
            # checks.task prints "<label>:" before its rows
            if line.endswith(":") and not line.startswith(" "):
                task = task_label(line[:-1])
        elif not row.ok:
            failed.append((row.name, Finding(task, grade_id, row.kind, row.key, row.message) if row.kind else None))
    return failed


def read_outputs(grade_id, outputs):
    """``read_cell`` of a test cell's outputs: for a judged cell, the rows the grader's judge wrote
    (``feedback.ROWS_MIME``; what the kernel printed there decides nothing and is not read);
    for any other cell its printed stdout."""
    for output in outputs:
        judged = rows_of(output)
        if judged is not None:
            label = task_label(output["data"][ROWS_MIME].get("task", grade_id))
            return [(row.name, Finding(label, grade_id, row.kind, row.key, row.message) if row.kind else None)
                    for row in judged if not row.ok]
    printed = "".join(output.get("text", "") for output in outputs
                      if output.get("output_type") == "stream" and output.get("name") == "stdout")
    return read_cell(grade_id, printed)


def count(rows):
    """[{COLUMNS}] from report rows (each with "student" and "findings": {grade_id: [Finding]}):
    per task its named misconceptions (diagnoses are left out), most students first; share is
    of all submissions."""
    students, tests = {}, {}
    for row in rows:
        for findings in row.get("findings", {}).values():
            for finding in findings:
                if finding.kind != "misconception":
                    continue
                group = (finding.task, finding.kind, finding.key, finding.message)
                students.setdefault(group, set()).add(row["student"])
                tests.setdefault(group, set()).add(finding.test)
    table = [{"task": task, "tests": " ".join(sorted(tests[group])), "kind": kind, "key": key,
              "message": message, "students": len(names), "share": len(names) / len(rows)}
             for group, names in students.items() for task, kind, key, message in [group]]
    return sorted(table, key=lambda item: (item["task"], -item["students"], item["key"], item["message"]))


def summary(table, most=3):
    """One line: the most common findings, e.g. "most common: db-mean (Lesson 2, task 2): 2 students"."""
    top = sorted(table, key=lambda item: -item["students"])[:most]
    if not top:
        return "most common misconceptions: none named"
    return "most common misconceptions: " + "; ".join(
        f"{textwrap.shorten(item['key'], 50, placeholder='…')} ({item['task']}): "
        f"{item['students']} student{'s' if item['students'] > 1 else ''}"
        for item in top)


def write_csv(table, path):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for item in table:
            writer.writerow({**item, "share": f"{item['share']:.2f}"})


def pyplot():
    """matplotlib.pyplot drawing to files only (Agg): reports are made without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def label(item, width=60):
    """A bar's label: the task's number and the misconception's key."""
    return textwrap.shorten(f"{item['task'].split(', ')[-1]}: {item['key']}", width, placeholder="…")


def chart(table, lesson, submissions):
    """A figure with a horizontal bar per misconception (the TOP most common), students on the x axis."""
    from matplotlib.ticker import MaxNLocator

    plt = pyplot()
    top = sorted(table, key=lambda item: -item["students"])[:TOP][::-1]
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.4 * max(len(top), 2)))
    ax.barh([label(item) for item in top], [item["students"] for item in top], color="tab:red")
    ax.set_xlim(0, max(submissions, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"students (of {submissions} submissions)")
    ax.set_title(f"{lesson}: what the class got wrong")
    if not top:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no failed check named a misconception", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    return fig


def save(fig, path):
    """Write a report figure as PNG and free it."""
    fig.savefig(path, dpi=100)
    pyplot().close(fig)
