"""``backprop-course feedback`` and ``backprop-course report``: what goes back to students and
what the instructor reads.

feedback: nbgrader's generate_feedback (the course config drops hidden-test source, tracebacks
are minimal), then a hard check that no feedback file contains a hidden-test or solution line or an
instructor path; a leaking file is deleted and the command fails. A student nbgrader fails on is
reported and the others still get their feedback. A written answer nobody has graded yet reads
"to be graded by hand" instead of nbgrader's "0.0 / 1.0" (``feedback_html``, named in the course
config, so plain ``nbgrader generate_feedback`` writes the same page).

report, in DIR/reports/<lesson>/:
    grades.csv     one row per student: outcome, score, answers still to grade by hand, each test
                   cell's score (blank while it waits for hand grading), flags, reason
    items.csv      item analysis: per test cell its pass rate, and which checks fail most
    histogram.png  the distribution of total scores
    review.csv     submissions to look at by hand: integrity flags, timeouts, crashes
    misconceptions.csv, misconceptions.png
                   what the failed checks' rows named, per task: each misconception (or error
                   pattern), how many students and which share showed it; the chart shows the
                   class's most common ones (``misconception_report``)
"""

import csv
import html
import json
import re
import sys
import textwrap
from collections import Counter
from pathlib import Path

import nbformat

from backprop_course import content

from . import nbgrader_course, solution_markers
from . import misconception_report
from .feedback_html import pending_grade_ids
from .grading import GRADER_ERROR, RESULTS, is_whole

# Check names in items.csv are shortened to this many characters, at a word boundary.
NAME_WIDTH = 60


def feedback(course_dir, lesson, problems=None):
    """Write DIR/feedback/<student>/<lesson>/<lesson>.html for every autograded student.

    One student's failure never stops the others: it is retried alone, and if it fails again one
    line "<student>: <why>" goes to ``problems`` (a list), or to stderr when none is given.
    Returns the feedback files. Raises CourseError if nbgrader fails as a whole or any file leaks.
    """
    course_dir = nbgrader_course.require_course(course_dir)
    if not any((course_dir / "autograded").glob(f"*/{lesson}")):
        raise nbgrader_course.CourseError(f"nothing autograded for {lesson!r}: run "
                                        f"`backprop-course autograde {lesson} --course {course_dir}` first")
    api = nbgrader_course.nbgrader_api(course_dir)
    result = api.generate_feedback(lesson, force=True)
    if not result["success"]:
        # nbgrader goes on past a student it fails on, deletes that student's feedback, then
        # fails the whole call; its log names each such student.
        failed = re.findall(rf"error processing assignment '{re.escape(lesson)}' for student '(.+?)'$",
                            result.get("log", ""), flags=re.MULTILINE)
        if not failed:
            last = (result.get("error") or result.get("log") or "no log").strip().splitlines()[-1]
            raise nbgrader_course.CourseError(f"nbgrader generate_feedback {lesson} failed: {last}")
        for student in failed:
            alone = api.generate_feedback(lesson, student_id=student, force=True)
            if not alone["success"]:
                line = f"{student}: no feedback ({_failure(alone.get('log', ''))})"
                if problems is None:
                    print(f"feedback {lesson}: {line}", file=sys.stderr)
                else:
                    problems.append(line)
    for line in ungraded(course_dir, lesson):
        if problems is None:
            print(f"feedback {lesson}: {line}", file=sys.stderr)
        else:
            problems.append(line)
    files = sorted((course_dir / "feedback").glob(f"*/{lesson}/*.html"))
    forbidden = [str(course_dir / "source"), str(content.folder("solutions")), "solutions/backprop_lib"]
    secret = nbgrader_course.secret_lines(course_dir, lesson)
    leaked = []
    # Only the HTML is new: the other files nbgrader copies back are the student's own submission
    # and the released library files.
    for path in files:
        # The student's own code (their notebook answers, a warning quoting their library) may
        # equal the reference's, or name an instructor path it tried to read: that is not a leak.
        own = _own_lines(course_dir / "submitted" / path.parent.parent.name / lesson)
        text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text(errors="replace")))
        not_own = "\n".join(line for line in text.splitlines() if line.strip() not in own)
        found = solution_markers.leaks(text, secret - own) + [item for item in forbidden if item in not_own]
        if found:
            path.unlink()
            leaked.append(f"{path.relative_to(course_dir)}: {found[0]!r}")
    if leaked:
        raise nbgrader_course.CourseError(f"feedback leaked hidden or instructor text, files deleted: {leaked[0]}")
    return files


def ungraded(course_dir, lesson):
    """"<student>: no feedback (why)" for each submission of ``lesson`` without a whole graded
    result: never graded, a grader error, or a run killed while recording it. A lesson graded by
    nbgrader's own autograde (no result files at all) needs only its autograded notebooks."""
    results = _results(course_dir, lesson)
    lines = []
    for folder in sorted(Path(course_dir).glob(f"submitted/*/{lesson}")):
        student = folder.parent.name
        result = results.get(student)
        notebook = Path(course_dir) / "autograded" / student / lesson / f"{lesson}.ipynb"
        if result is None and not results:  # graded by nbgrader's own autograde: no result files
            if notebook.is_file():
                continue
            why = "not graded: run autograde"
        elif result is None:
            why = "not graded, or its grading was interrupted: run autograde"
        elif result["outcome"] == GRADER_ERROR:
            why = f"grader error ({result['reason'][:100]}): run autograde again"
        elif not is_whole(result, notebook):
            why = "its autograded notebook is missing: run autograde again"
        else:
            continue
        lines.append(f"{student}: no feedback ({why})")
    return lines


def pending_by_hand(course_dir, lesson):
    """{student: grade ids of written answers not graded yet} over the lesson's autograded
    submissions (students with none left out)."""
    from nbgrader.api import Gradebook

    course_dir = nbgrader_course.require_course(course_dir)
    api = nbgrader_course.nbgrader_api(course_dir)
    # Only recorded results: a submission the grader failed on has no scores at all yet.
    recorded = {student for student, result in _results(course_dir, lesson).items()
                if result["outcome"] != GRADER_ERROR}
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        return {submission.student.id: names for submission in gb.assignment_submissions(lesson)
                if submission.student.id in recorded
                for notebook in submission.notebooks if notebook.name == lesson
                for names in [pending_grade_ids(notebook)] if names}


def _failure(log):
    """The exception line in an nbgrader log of one failed student: the last traceback line (not
    a "[LEVEL] ..." record) before nbgrader's "There was an error processing assignment '...'"."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    end = next((i for i, line in enumerate(lines) if "error processing assignment '" in line), len(lines))
    return next((line[:200] for line in reversed(lines[:end]) if not line.startswith("[")), "no log")


def _own_lines(folder):
    """Stripped lines of a submission's Python files and notebook cells."""
    lines = set()
    for file in folder.rglob("*"):
        try:
            if file.suffix == ".py":
                lines |= {line.strip() for line in file.read_text(errors="replace").splitlines()}
            elif file.suffix == ".ipynb":
                lines |= {line.strip() for cell in nbformat.read(file, as_version=4).cells
                          for line in cell.source.splitlines()}
        except Exception:  # an unreadable notebook contributes nothing
            continue
    return lines


def _results(course_dir, lesson):
    folder = Path(course_dir) / RESULTS / lesson
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def _cell_failures(nb):
    """({grade_id: [failed check names or error names]}, {grade_id: [misconception_report.Finding]})
    from an autograded notebook's outputs (the rows as data: ``backprop_course.check_rows.ROWS_MIME``)."""
    failures, findings = {}, {}
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not grading.get("grade"):
            continue
        outputs = cell.get("outputs", [])
        failed = misconception_report.read_outputs(grading["grade_id"], outputs)
        errors = [output.ename for output in outputs if output.output_type == "error" and output.ename != "CheckFailed"]
        failures[grading["grade_id"]] = [textwrap.shorten(name, NAME_WIDTH, placeholder="…")
                                         for name, _ in failed] + errors
        findings[grading["grade_id"]] = [finding for _, finding in failed if finding]
    return failures, findings


def collect(course_dir, lesson):
    """(cells [(grade_id, max points)], rows [per student dict with "cells": {grade_id: score}
    (0 for an answer not graded yet), "pending": [grade_ids waiting for hand grading],
    "failures" and "findings" (see ``_cell_failures``)], the grade_ids of written answers, which a
    person grades)."""
    from nbgrader.api import Gradebook, MissingEntry

    course_dir = nbgrader_course.require_course(course_dir)
    nbgrader_course.tools_on_path()
    api = nbgrader_course.nbgrader_api(course_dir)
    results = _results(course_dir, lesson)
    rows = []
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            notebook = gb.find_notebook(lesson, lesson)
        except MissingEntry:
            raise nbgrader_course.CourseError(f"lesson {lesson!r} is not in the gradebook: release it first") from None
        cells = [(cell.name, float(cell.max_score)) for cell in notebook.grade_cells]
        by_hand = {cell.name for cell in notebook.grade_cells if cell.cell_type == "markdown"}
        for student, result in results.items():
            if result["outcome"] == GRADER_ERROR:  # no score: listed for review as it is
                rows.append({**result, "score": None, "max_score": None, "cells": {}, "failures": {},
                             "findings": {}, "pending": []})
                continue
            try:
                submitted = gb.find_submission_notebook(lesson, lesson, student)
            except MissingEntry:
                continue
            scores = {grade.name: float(grade.score) for grade in submitted.grades}
            path = course_dir / "autograded" / student / lesson / f"{lesson}.ipynb"
            failures, findings = _cell_failures(nbformat.read(path, as_version=4)) if path.exists() else ({}, {})
            rows.append({**result, "score": float(submitted.score), "max_score": float(submitted.max_score),
                         "cells": scores, "failures": failures, "findings": findings,
                         "pending": pending_grade_ids(submitted)})
    return cells, rows, by_hand


def histogram_figure(rows, lesson):
    """The distribution of total scores, in percent of the points, as a matplotlib figure."""
    plt = misconception_report.pyplot()
    from matplotlib.ticker import MaxNLocator

    percent = [100 * row["score"] / row["max_score"] if row["max_score"] else 0 for row in rows]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(percent, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], edgecolor="white")
    ax.set_xlabel("score (% of the points)")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count: no 0.2 submissions
    ax.set_title(f"{lesson}: {len(rows)} submissions")
    fig.tight_layout()
    return fig


def report(course_dir, lesson):
    """Write the lesson's report files; returns {name: path} and the item analysis rows."""
    course_dir = nbgrader_course.require_course(course_dir)
    cells, rows, by_hand = collect(course_dir, lesson)
    if not rows:
        raise nbgrader_course.CourseError(f"no graded submissions of {lesson!r}: run autograde first")
    out = course_dir / "reports" / lesson
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("grades.csv", "items.csv", "histogram.png", "review.csv",
                                           "misconceptions.csv", "misconceptions.png")}

    with open(paths["grades.csv"], "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "timestamp", "outcome", "score", "max_score", "pending_by_hand",
                         *[name for name, _ in cells], "flags", "reason"])
        for row in rows:
            if row["score"] is None:  # a grader error: no score at all, not 0
                writer.writerow([row["student"], row["timestamp"], row["outcome"], "", "", 0,
                                 *["" for _ in cells], " | ".join(row["flags"]), row["reason"]])
                continue
            writer.writerow([row["student"], row["timestamp"], row["outcome"], f"{row['score']:g}",
                             f"{row['max_score']:g}", len(row["pending"]),
                             *["" if name in row["pending"] else f"{row['cells'].get(name, 0):g}" for name, _ in cells],
                             " | ".join(row["flags"]), row["reason"]])

    scored = [row for row in rows if row["score"] is not None]  # grader errors have no score
    items = []
    for name, points in cells:
        full = sum(row["cells"].get(name, 0) >= points for row in scored)
        failing = Counter(check for row in scored for check in set(row["failures"].get(name, [])))
        items.append({"test": name, "points": points, "submissions": len(scored),
                      "graded": "by hand" if name in by_hand else "auto",
                      "pass_rate": full / max(len(scored), 1),
                      "mean_score": sum(row["cells"].get(name, 0) for row in scored) / max(len(scored), 1),
                      "most_failed": "; ".join(f"{check} ({count})" for check, count in failing.most_common(3))})
    with open(paths["items.csv"], "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(items[0]) if items else ["test"])
        writer.writeheader()
        for item in items:
            writer.writerow({**item, "pass_rate": f"{item['pass_rate']:.2f}", "mean_score": f"{item['mean_score']:.2f}"})

    misconception_report.save(histogram_figure(scored, lesson), paths["histogram.png"])
    table = misconception_report.count(scored)
    misconception_report.write_csv(table, paths["misconceptions.csv"])
    misconception_report.save(misconception_report.chart(table, lesson, max(len(scored), 1)), paths["misconceptions.png"])

    # A reason on a graded row says what the grade did not see: a syntax error, a link or a file
    # over the bounds left out.
    review = [row for row in rows if row["flags"] or row["reason"]
              or row["outcome"] not in ("graded", "skipped")]
    with open(paths["review.csv"], "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "outcome", "score", "flags", "reason"])
        for row in review:
            score = "" if row["score"] is None else f"{row['score']:g}"
            writer.writerow([row["student"], row["outcome"], score, " | ".join(row["flags"]), row["reason"]])
    return paths, items, rows, review


def gradebook_table(rows, cells):
    """The gradebook as text: one line per student, one column per test cell (T1, T2, ... with
    a legend below, since grade ids are long); "-" marks an answer still to be graded by hand."""
    head = f"{'student':<20} {'total':>9} " + "".join(f"{f'T{i}':>5}" for i in range(1, len(cells) + 1))
    lines = [head]
    for row in rows:
        if row["score"] is None:
            lines.append(f"{row['student']:<20} {'-':>9}  {row['outcome']}: {row['reason'][:60]}")
            continue
        lines.append(f"{row['student']:<20} {row['score']:>4g}/{row['max_score']:<4g}"
                     + "".join(f"{'-':>5}" if name in row["pending"] else f"{row['cells'].get(name, 0):>5g}"
                               for name, _ in cells))
    legend = [f"T{i}={name} ({points:g})" for i, (name, points) in enumerate(cells, start=1)]
    lines += textwrap.wrap("  ".join(legend), width=100)
    return "\n".join(lines)


def cmd_feedback(args):
    problems = []
    files = feedback(args.course, args.lesson, problems)
    pending = pending_by_hand(args.course, args.lesson)
    print(f"feedback for {len(files)} students in {Path(args.course).resolve() / 'feedback'} "
          "(checked: no hidden tests, no solutions, no instructor paths)")
    answers = sum(len(names) for names in pending.values())
    print(f"{args.lesson}: {answers} written answer(s) of {len(pending)} student(s) still to be graded by "
          "hand (formgrader's Manual Grading); their feedback says so" if answers else
          f"{args.lesson}: no written answers wait for hand grading")
    for line in problems:
        print(f"feedback {args.lesson}: {line}", file=sys.stderr)
    return 1 if problems else 0


def cmd_report(args):
    paths, items, rows, review = report(args.course, args.lesson)
    cells = [(item["test"], item["points"]) for item in items]
    print(gradebook_table(rows, cells))
    print()
    print(f"{'test':<40} {'full marks':>10}  most failed checks")
    for item in items:
        rate = "by hand" if item["graded"] == "by hand" else f"{item['pass_rate']:.0%}"
        print(f"{item['test']:<40} {rate:>10}  {item['most_failed']}")
    print()
    print(misconception_report.summary(misconception_report.count([row for row in rows
                                                                    if row["score"] is not None])))
    print(f"{len(review)} submission(s) for review" + (": " + ", ".join(row["student"] for row in review) if review else ""))
    for name, path in paths.items():
        print(f"{name:<14} {path}")
    return 0


def add_feedback(subparsers):
    nbgrader_course.add_lesson_command(
        subparsers, "feedback", cmd_feedback, help="feedback HTML per student, checked for leaks",
        description="nbgrader feedback without hidden-test source; fails if any file leaks; exits 1 "
                    "when some student's feedback could not be made (the others still get theirs).")


def add_report(subparsers):
    nbgrader_course.add_lesson_command(
        subparsers, "report", cmd_report,
        help="grades CSV, item analysis, score histogram, review list, the class's misconceptions",
        description="Write DIR/reports/LESSON/: grades.csv, items.csv, histogram.png, review.csv, "
                    "misconceptions.csv, misconceptions.png.")
