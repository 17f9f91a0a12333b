"""Canaries: each test cell proves it ran as written (``backprop_course.autograder.integrity``'s canaries)."""

from ... import integrity
from .base import GradingPreprocessor


class AddCanaries(GradingPreprocessor):
    """Before execution: the guard cell first and a canary line at the end of every test cell
    (``integrity.add_canaries``); the run's token goes to ``resources["grading"]["canary_token"]``."""

    def preprocess(self, nb, resources):
        self.state(resources)["canary_token"] = integrity.add_canaries(nb)
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
