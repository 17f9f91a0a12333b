"""Verdict-rewriting attacks graded end to end (the tests/test_judge_attacks_lesson_*.py files):
one course of a lesson, a student for each attack and for the same wrong code without it, graded
in ONE ``backprop-course autograde`` run under one sandbox tier; then the checks every lesson's
attacks must pass: no attack scores more than its wrong code, no feedback file holds an expected
value of a graded case (as text or base64), and no autograded notebook keeps a record.

The tiers: the one ``BACKPROP_SANDBOX_ISOLATION`` forces (``make test-tiers`` forces each weaker
tier that works here, one pytest run each), else the one "auto" picks. Whatever the tier, the
verdict is the judge's, in the grader's process; a tier changes only what the kernel's process
may do, so one tier per run is enough, and CI, which runs both targets, grades every tier.
"""

import json
import re
from dataclasses import dataclass, field

import nbformat
import pytest

from backprop_course.autograder import sandbox
from backprop_course.autograder.bug_planting import plant_notebook
from backprop_course.autograder.sandbox.machine import root_refusal
from helpers.checkout import IN_CI, SOLUTIONS
from helpers.verdict_attacks import MIME

CELL_TIMEOUT = 10  # seconds per cell: a cell that hangs ends quickly
WALL_LIMIT = 90.0  # seconds per submission
_FORCED = sandbox.forced_isolation()
# None: no tier grades here (a root grader without bubblewrap that cannot drop to a sandbox uid).
TIERS = [_FORCED] if _FORCED else sandbox.working_tiers()[:1] or [None]
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")  # a number as a feedback page shows a float
STYLE = re.compile(r"<style.*?</style>", re.S)  # a feedback page's style sheet: numbers such as 0.4em


@dataclass(frozen=True)
class Submission:
    """A sample-class submission (``sample_class.submit``: the reference library without its
    solution markers, every solution cell of the notebook answered) changed by ``bugs``, in
    ``bug_planting``'s format ({library file or NOTEBOOK: [(old, new)]}), and with ``appended``
    ({library file: code}, None adding nothing) added at the end of a library file, where it runs
    at import."""

    bugs: dict = field(default_factory=dict)
    appended: dict = field(default_factory=dict)


def hand_in_sample(course, lesson, submissions):
    """Write ``submissions`` ({student: Submission}) into ``course``'s submitted/ folder."""
    from backprop_course.autograder import nbgrader_course, sample_class

    students = [sample_class.Student(name, name, submission.bugs) for name, submission in submissions.items()]
    sample_class.submit(course, lesson, students)
    for name, submission in submissions.items():
        folder = course / "submitted" / name / lesson
        for file, code in submission.appended.items():
            if not code:
                continue
            path = folder / nbgrader_course.LIBRARY / file
            path.write_text(path.read_text() + "\n\n" + code + "\n")
        path = folder / f"{lesson}.ipynb"
        nbformat.write(plant_notebook(nbformat.read(path, as_version=4), submission.bugs, f"{name}'s notebook"),
                       path)


def solution_regions(lesson, cell_id):
    """The solution regions (the lines between the markers) of cell ``cell_id`` of ``lesson``'s
    source notebook: as the sample class answers them, each occurs once in a submitted notebook,
    the old text of a NOTEBOOK change."""
    [cell] = [cell for cell in nbformat.read(SOLUTIONS / f"{lesson}.ipynb", as_version=4).cells
              if cell.id == cell_id]
    return re.findall(r"### BEGIN SOLUTION[^\n]*\n(.*?)[ \t]*### END SOLUTION", cell.source, re.S)


@dataclass
class GradedClass:
    """One autograde run: {student: report row}, the feedback files, the tier, the course folder."""

    rows: dict
    feedback: list
    tier: str
    course: object


def grade_class(tmp_path_factory, lesson, tier, hand_in, cell_timeout=CELL_TIMEOUT, wall_limit=WALL_LIMIT):
    """``lesson`` released in a new course, ``hand_in(course, release folder)`` writing every
    submission, all graded in one autograde run with isolation forced to ``tier``, and the
    feedback generated."""
    from backprop_course.autograder import grading, nbgrader_course, report

    if tier is None:
        why = root_refusal("none")
        (pytest.fail if IN_CI else pytest.skip)(f"no sandbox tier grades here: {why}")
    course = tmp_path_factory.mktemp(f"attacks-{lesson}-{tier}") / "course"
    nbgrader_course.init_course(course, [lesson])
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Execute.timeout = {cell_timeout}\n")
    hand_in(course, nbgrader_course.release(course, lesson))
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(sandbox.FORCE_ENV, tier)
        rows, failed = grading.autograde(course, lesson, workers=2, wall_limit=wall_limit, progress=False)
        assert not failed, [row for row in rows if row["outcome"] != "graded"]
        feedback = report.feedback(course, lesson)
    return GradedClass({row["student"]: row for row in rows}, feedback, tier, course)


def graded_per_tier(lesson, hand_in, **limits):
    """A module-scoped fixture ``graded``: a GradedClass of ``lesson`` for each tier of TIERS."""

    @pytest.fixture(scope="module", params=TIERS)
    def graded(request, tmp_path_factory):
        return grade_class(tmp_path_factory, lesson, request.param, hand_in, **limits)

    return graded


def sample_class_per_tier(lesson, submission, attacks):
    """``graded_per_tier`` of a sample class: the student "correct" and one per wrong code the
    attacks use, named for it (``submission(name)``, a Submission), and one per attack ({name: (its
    wrong code, attack)}: ``submission(wrong, attack)``)."""
    plain = ["correct", *sorted({wrong for wrong, _ in attacks.values()})]

    def hand_in(course, release):
        hand_in_sample(course, lesson, {
            **{name: submission(name) for name in plain},
            **{name: submission(wrong, attack) for name, (wrong, attack) in attacks.items()}})

    return graded_per_tier(lesson, hand_in)


def check_attack(graded, name, wrong):
    """Attack ``name`` scored (the grader did not fail on it) and no more than ``wrong`` alone."""
    row, plain = graded.rows[name], graded.rows[wrong]
    assert row["score"] is not None, (graded.tier, row)
    assert row["score"] <= plain["score"], (graded.tier, name, row, plain)


def check_feedback_shows_no_expected_value(graded, numbers, encoded):
    """No feedback file but the correct student's (whose rows show its own right results) holds
    one of ``numbers`` (expected values as text) or ``encoded`` (starts of their bytes in base64),
    other than numbers the submission itself holds (a hand answer, the lesson's own text)."""
    assert graded.feedback
    for path in graded.feedback:
        student = path.parent.parent.name
        if student == "correct":
            continue
        submitted = graded.course / "submitted" / student
        # also without its sign: a page highlighting code shows "-0.25" as "-" and "0.25"
        own = {form for file in submitted.rglob("*") if file.suffix in (".py", ".ipynb")
               for number in NUMBER.findall(file.read_text()) for form in (number, number.lstrip("-"))}
        text = STYLE.sub("", path.read_text())
        found = (set(NUMBER.findall(text)) & numbers) - own
        assert not found, (graded.tier, path, sorted(found)[:5])
        assert not [chunk for chunk in encoded if chunk in text], (graded.tier, path)


def check_no_record_kept(graded, lesson):
    """Neither the kernel's records nor those the student's code displayed (in any cell) are kept
    in an autograded notebook."""
    notebooks = list((graded.course / "autograded").glob(f"*/{lesson}/{lesson}.ipynb"))
    assert len(notebooks) == len(graded.rows)
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                assert MIME not in output.get("data", {}), (graded.tier, path, cell.get("id"))
