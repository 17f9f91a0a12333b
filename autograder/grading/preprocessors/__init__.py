"""The notebook transforms of grading, one configurable nbconvert preprocessor each (as nbgrader's).

Before execution (driver, sanitize): ``SourceKernelspec`` (nbgrader's OverwriteKernelspec), ``RestoreCells`` (OverwriteCells that puts deleted test
cells back in place) and ``CheckMetadata`` (CheckCellMetadata checking each distinct cell
metadata once; also after execution, when the driver saves). In the worker, before execution:
``AddCanaries``; after it, in this order: ``FailUnrunCells``, ``VerifyCanaries``, ``JudgeChecks``
(the judged test cells' scores, decided here from the kernel's records), ``MinimalTracebacks``, ``ScrubHiddenLines``, ``CapOutputs`` (then nbgrader's IgnorePattern,
ClearMetadataPreprocessor, LimitOutput). Each reads its traits from the course's
nbgrader_config.py (``c.CapOutputs.max_cell_output_bytes = ...``). Feedback (nbgrader's
generate_feedback, by the course config): ``FeedbackClearHiddenTests``. The driver saves grades
with ``SaveGradesAtOnce`` (nbgrader's SaveAutoGrades in one commit per notebook) and ``LatePenalties``
(nbgrader's AssignLatePenalties). The steps that open the gradebook open ``SharedGradebook``: in a
batch, one engine for all of them (``grading/shared_gradebook.py``).
"""

from .base import GradingPreprocessor
from .canary_cells import AddCanaries, VerifyCanaries
from .check_metadata import CheckMetadata
from .cap_outputs import CapOutputs
from .fail_unrun import FailUnrunCells
from .feedback_hidden_tests import FeedbackClearHiddenTests
from .judge import JudgeChecks
from .late_penalties import LatePenalties
from .minimal_tracebacks import MinimalTracebacks
from .restore_cells import RestoreCells
from .save_grades import SaveGradesAtOnce
from .scrub_hidden import ScrubHiddenLines
from .source_kernelspec import SourceKernelspec

__all__ = ["AddCanaries", "CapOutputs", "CheckMetadata", "FailUnrunCells", "FeedbackClearHiddenTests",
           "GradingPreprocessor", "JudgeChecks", "LatePenalties", "MinimalTracebacks", "RestoreCells",
           "SaveGradesAtOnce", "ScrubHiddenLines", "SourceKernelspec", "VerifyCanaries"]
