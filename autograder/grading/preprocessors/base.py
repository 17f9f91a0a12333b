"""The base of the grading preprocessors: an nbconvert Preprocessor that is on by default (as
nbgrader's) and keeps what a step learns about the run in ``resources["grading"]``."""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool


class GradingPreprocessor(Preprocessor):
    """Configurable like any nbconvert preprocessor (``c.CapOutputs.max_cell_output_bytes = ...``
    in nbgrader_config.py); ``c.<Name>.enabled = False`` turns a step off.

    ``resources["grading"]`` is shared by the steps of one submission: "outcome" and "reason" of
    the execution, "executed" (indices of the cells that finished), "flags", "guard_token" (of the
    run's kernel), "canary_token", "dropped_bytes", "notebook_name".
    """

    enabled = Bool(True, help="Whether to apply this step when grading").tag(config=True)

    @staticmethod
    def state(resources):
        return resources.setdefault("grading", {})
