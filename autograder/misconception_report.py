"""What the class got wrong in one lesson: misconceptions.csv and misconceptions.png of the report.

A failed check's row carries "misconception KEY: sentence" (a catalogued wrong implementation)
or "diagnosis KEY: sentence" (an error pattern such as a constant factor or wrong rows); see
``backprop_course.check_rows``. ``read_outputs`` reads the rows as data from a test cell's
outputs, ``count`` counts each student once per task and misconception however many checks
showed it, and ``write_csv`` and ``chart`` make what a lecturer reviews in the next class. Only
certain names are counted: a misconception is named only when its wrong formula reproduced the
student's result, while a diagnosis describes what was observed and names no cause.
"""

import csv
import textwrap
from dataclasses import dataclass

from backprop_course.check_rows import rows_of
from backprop_course.misconceptions import task_label

# Bars on the chart: the class's most common findings of the lesson.
TOP = 10
COLUMNS = ("task", "tests", "kind", "key", "message", "students", "share")


@dataclass(frozen=True)
class Finding:
    """One finding on one failed check's row.

    task: the task label of the rows ("Lesson 2, task 2", a " (graded)" suffix dropped), else
    the test cell's grade id; test: the grade id; kind: "misconception" or
    "diagnosis"; key and message as printed.
    """

    task: str
    test: str
    kind: str
    key: str
    message: str


def read_outputs(grade_id, outputs):
    """[(failed check name, Finding or None)] of a test cell, read as data: the rows of every
    ``check_rows.ROWS_MIME`` output (after grading a judged cell holds only the judge's; a cell
    still judged in its kernel, its kernel's). Printed text is never parsed: a student's code can
    print anything."""
    failed = []
    for output in outputs:
        for label, _, rows in rows_of(output):
            task = task_label(label) or grade_id
            failed += [(row.name, Finding(task, grade_id, row.kind, row.key, row.message) if row.kind else None)
                       for row in rows if not row.ok]
    return failed


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
