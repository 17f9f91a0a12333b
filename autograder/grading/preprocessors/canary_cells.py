"""Canaries: each test cell proves it ran as written (``backprop_course.autograder.integrity``'s canaries)."""

from ... import integrity
from .base import GradingPreprocessor


class AddCanaries(GradingPreprocessor):
    """Before execution: a canary line at the end of every test cell (``integrity.add_canaries``)
    for the token of the guard the run's kernel installed as it started,
    ``resources["grading"]["guard_token"]`` (``integrity.guard_argument``); it becomes the
    "canary_token" VerifyCanaries checks."""

    def preprocess(self, nb, resources):
        state = self.state(resources)
        integrity.add_canaries(nb, state["guard_token"])
        state["canary_token"] = state["guard_token"]
        return nb, resources


class VerifyCanaries(GradingPreprocessor):
    """After execution (after FailUnrunCells): undo AddCanaries and fail every test cell that ran
    without printing a clean canary (``integrity.verify_canaries``); its flags are added to
    ``resources["grading"]["flags"]``. Must run before output capping, which could cut a canary."""

    def preprocess(self, nb, resources):
        state = self.state(resources)
        token = state.get("canary_token")
        if token:
            name = state.get("notebook_name", "notebook.ipynb")
            state.setdefault("flags", []).extend(integrity.verify_canaries(nb, token, name))
        return nb, resources
