"""``backprop-course demo`` (``make demo``): the instructor's whole workflow on the sample class.

Builds a course in a new temporary folder (or ``--dir``), releases lessons 2 to 5 (those that exist),
submits the synthetic students of ``backprop_course.autograder.sample_class``, autogrades each lesson with two
workers, writes feedback and reports, and prints the gradebook, the class's most common
misconceptions and where everything went.
"""

import sys
import tempfile
import time
from pathlib import Path

from . import nbgrader_course
from . import grading, misconception_report, report, sample_class


def demo(course_dir, workers=2, lessons=None, out=sys.stdout):
    """Run the workflow in ``course_dir``; returns {lesson: report paths}. Prints as it goes."""
    start = time.monotonic()
    available = nbgrader_course.lessons_available()
    lessons = [lesson for lesson in (lessons or sample_class.LESSONS) if lesson in available]
    if not lessons:
        raise nbgrader_course.CourseError("none of the sample-class lessons (02-05) exists in solutions/ yet")
    nbgrader_course.init_course(course_dir, lessons)
    print(f"course: {course_dir}  (lessons {', '.join(lessons)})", file=out)
    paths = {}
    for lesson in lessons:
        nbgrader_course.release(course_dir, lesson)
        students = sample_class.submit(course_dir, lesson)
        print(f"\n== {lesson}: released, {len(students)} sample students submitted", file=out)
        rows, failed = grading.autograde(course_dir, lesson, workers=workers)
        if failed:
            print(grading.summary_table(rows), file=out)
            raise nbgrader_course.CourseError(f"the grader failed on {lesson}: see the table above")
        report.feedback(course_dir, lesson)
        paths[lesson], items, report_rows, review = report.report(course_dir, lesson)
        print(report.gradebook_table(report_rows, [(item["test"], item["points"]) for item in items]), file=out)
        hardest = min((item for item in items if item["graded"] == "auto"), key=lambda item: item["pass_rate"])
        print(f"hardest test: {hardest['test']} ({hardest['pass_rate']:.0%} full marks); "
              f"{len(review)} for review", file=out)
        print(misconception_report.summary(misconception_report.count(report_rows)), file=out)
        print(f"misconceptions: {paths[lesson]['misconceptions.csv']}, {paths[lesson]['misconceptions.png']}",
              file=out)
    course_dir = Path(course_dir)
    print(f"\nfeedback HTML: {course_dir / 'feedback'}/<student>/<lesson>/", file=out)
    print(f"reports (grades.csv, items.csv, histogram.png, review.csv, misconceptions.csv, misconceptions.png): "
          f"{course_dir / 'reports'}/<lesson>/", file=out)
    print(f"gradebook: {course_dir / 'gradebook.db'}   ({time.monotonic() - start:.0f} s)", file=out)
    return paths


def cmd_demo(args):
    # The temporary folder is kept: the point is to open the feedback and reports afterwards.
    folder = Path(args.dir).resolve() if args.dir else Path(tempfile.mkdtemp(prefix="backprop-demo-")) / "course"
    demo(folder, args.workers)
    if not args.dir:
        print(f"(remove it with: rm -rf {folder.parent})")
    return 0


def add_demo(subparsers):
    parser = subparsers.add_parser(
        "demo", help="course, release, sample class, autograde, feedback, report (in a temp folder)",
        description="The instructor's workflow end to end on the synthetic sample class.")
    parser.add_argument("--dir", help="build the course here (default: a new temporary folder)")
    parser.add_argument("--workers", type=int, default=2, help="autograde workers (default 2)")
    parser.set_defaults(run=cmd_demo)
