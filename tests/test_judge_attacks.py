"""Verdict-rewriting attacks on the judged lesson 2, graded end to end under every sandbox tier.

Each attack is wrong code (``WRONG``: zeros everywhere, or task 1 right and the rest zeros) plus
code that tries to rewrite the verdict in the kernel: sinking the checks' failures, patching
numpy, builtins and the canary guard, forging and printing records, swallowing exceptions,
``sys.exit``, ``os._exit`` in the middle of a cell, emitting a record twice. The grading kernel
decides nothing (the judge does, in the grader: ``backprop_course.autograder.judge``), so each must score no
more than the same wrong code without the attack. The feedback of every submission is then
searched for the graded cases' expected values, as text and as base64.
"""

import base64
import json
import re

import numpy as np
import pytest

from backprop_course.autograder import sandbox
from helpers.verdict_attacks import FORGE, GUARDS, MIME, PRINTS, SINK, SWALLOW, TWICE
from hostile import cases as corpus

CELL_TIMEOUT = 10
WALL_LIMIT = 60.0
PARTIAL = {1: corpus.CORRECT[1], 2: corpus.ZEROS[2], 3: corpus.ZEROS[3]}

# name: (the wrong code, its attack: {"tasks": {...}} overrides and/or "layers_top")
ATTACKS = {
    "failures_sink": ("zeros", {"layers_top": SINK}),
    "patched_guards_numpy": ("zeros", {"layers_top": GUARDS}),
    "forged_records": ("zeros", {"layers_top": FORGE}),
    "printed_records": ("zeros", {"tasks": {1: PRINTS + corpus.ZEROS[1]}}),
    "swallowed_exceptions": ("zeros", {"layers_top": SWALLOW}),
    "sys_exit": ("zeros", {"tasks": {1: "import sys\nsys.exit(0)"}}),
    "os_exit_mid_cell": ("partial", {"tasks": {2: "import os\nos._exit(0)"}}),
    "record_twice": ("zeros", {"layers_top": TWICE}),
    "everything": ("partial", {"layers_top": SINK + GUARDS + FORGE + SWALLOW}),
}
WRONG = {"zeros": corpus.ZEROS, "partial": PARTIAL}


def _case(name, wrong, attack=None):
    attack = attack or {}
    return corpus.Case(name, "cheat", "", "", tasks={**WRONG[wrong], **attack.get("tasks", {})},
                       layers_top=attack.get("layers_top", ""))


@pytest.fixture(scope="module", params=sandbox.working_tiers())
def graded(request, tmp_path_factory):
    """Lesson 2 with every attack and its wrong code alone, autograded under one tier."""
    from backprop_course.autograder import nbgrader_course
    from backprop_course.autograder import grading, report

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv(sandbox.FORCE_ENV, request.param)
    course = tmp_path_factory.mktemp(f"judge-{request.param}") / "course"
    nbgrader_course.init_course(course, [corpus.LESSON])
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Execute.timeout = {CELL_TIMEOUT}\n")
    release = nbgrader_course.release(course, corpus.LESSON)
    cases = [_case("correct", "zeros", {"tasks": corpus.CORRECT}),
             *(_case(name, wrong) for name, wrong in (("zeros", "zeros"), ("partial", "partial"))),
             *(_case(name, wrong, attack) for name, (wrong, attack) in ATTACKS.items())]
    for case in cases:
        corpus.materialize(case, release, course, {})
    try:
        rows, failed = grading.autograde(course, corpus.LESSON, workers=2, wall_limit=WALL_LIMIT,
                                         progress=False)
        assert not failed
        feedback = report.feedback(course, corpus.LESSON)
    finally:
        monkeypatch.undo()
    return {"rows": {row["student"]: row for row in rows}, "feedback": feedback, "tier": request.param}


@pytest.mark.slow
def test_the_wrong_code_scores_what_it_earns(graded):
    rows = graded["rows"]
    assert rows["zeros"]["score"] == 0
    assert rows["partial"]["score"] == 2  # task 1's points
    assert rows["correct"]["score"] == 7


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_its_wrong_code(graded, name):
    rows = graded["rows"]
    wrong = ATTACKS[name][0]
    assert rows[name]["score"] is not None
    assert rows[name]["score"] <= rows[wrong]["score"], (graded["tier"], rows[name])


def expected_texts():
    """Every graded case's expected values (the reference's results), as the feedback could show
    them: each number to 4 and 6 significant digits, and each array's bytes in base64."""
    from backprop_course.autograder.judge.reference import reference
    from backprop_course.tasks.lesson_2 import GRADED_SHAPES, layer_with, linear_case, only_backward

    linear = reference("layers").Linear
    arrays = []
    for shape in GRADED_SHAPES:
        x, W, b, grad_out = linear_case(*shape)
        layer = layer_with(linear, W, b)
        arrays.append(layer.forward(x))
        layer.param_backward(grad_out)
        arrays += [layer.grads["W"], layer.grads["b"]]
        arrays.append(only_backward(layer_with(linear, W, b)).backward(grad_out))
    numbers = {f"{value:.{digits}g}" for array in arrays for value in array.ravel()
               for digits in (4, 6) if abs(value) > 1e-3}
    encoded = {base64.b64encode(array.astype(dtype).tobytes()).decode()[:24]
               for array in arrays for dtype in (np.float64, np.float32)}
    return numbers, encoded


@pytest.mark.slow
def test_no_feedback_holds_an_expected_value_of_a_graded_case(graded):
    numbers, encoded = expected_texts()
    assert graded["feedback"]
    for path in graded["feedback"]:
        if path.parent.parent.name == "correct":
            continue  # its own rows show its own (right) results: nothing it did not compute
        text = path.read_text()
        found = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)) & numbers
        assert not found, (path, sorted(found)[:5])
        assert not [chunk for chunk in encoded if chunk in text], path


@pytest.mark.slow
def test_the_autograded_notebooks_keep_no_record(graded):
    """Neither the kernel's records nor those the student's code displayed (in any cell) are kept."""
    for path in graded["feedback"]:
        autograded = path.parents[3] / "autograded" / path.parent.parent.name / corpus.LESSON
        nb = json.loads((autograded / f"{corpus.LESSON}.ipynb").read_text())
        for cell in nb["cells"]:
            for output in cell.get("outputs", []):
                assert MIME not in output.get("data", {}), path
