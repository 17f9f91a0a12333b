"""What a task's check shows once it passes: the formula the student has just derived.

Students derive first. A task's text asks for what they must work out; the formula comes after
the check passes, from the lesson's tasks module (``REVEALS = {"Lesson k, task j": markdown}``
in ``backprop_course/tasks/lesson_k.py``), never from a cell the student reads before.
"""

import importlib
import re

LABEL = re.compile(r"Lesson (?P<lesson>\d+), task (?P<task>\d+)")


def revealed(label):
    """The markdown a passing check of ``label`` ("Lesson 2, task 2", "Lesson 4, task 1: values")
    unlocks: the part's own entry when REVEALS has one, else the task's; None when neither."""
    match = LABEL.match(label)
    if match is None:
        return None
    try:
        module = importlib.import_module(f"backprop_course.tasks.lesson_{match['lesson']}")
    except ModuleNotFoundError:
        return None
    reveals = getattr(module, "REVEALS", {})  # a part of a task may unlock its own text
    return reveals.get(label.strip(), reveals.get(match[0]))


def reveal(label):
    """Show what ``label`` unlocks: rendered markdown in a notebook, plain text elsewhere; nothing
    in a grading kernel, whose checks decide nothing (the grader's judge does)."""
    from .lesson import grading

    text = revealed(label)
    if text is None or grading():
        return
    heading = f"Unlocked by {LABEL.match(label)[0]}, now that it passes:"
    from IPython import get_ipython  # a console `check` run has no notebook to render markdown in
    if get_ipython() is None:
        print(f"{heading}\n{text}")
        return
    from IPython.display import Markdown, display
    display(Markdown(f"**{heading}**\n\n{text}"))
