"""Messages from a grading kernel that nbformat cannot store: the kernel speaks for the student's
code, which can send its IOPub socket anything (a number as text, an execution count "x", content
that is no object). ``DropsMalformedMessages`` drops each such message, as if it was never sent,
and counts it; the cell runs on. Stored, such a message made the autograded notebook invalid (and
nbgrader's feedback fail on it); raised, it ended the run as if the kernel had died. Mixed into
nbclient-based executors: ``GradingExecute`` (backprop-course autograde) and ``SandboxedExecute``
(plain nbgrader autograde), so both paths treat a submission alike."""

from nbclient.exceptions import CellExecutionComplete
from nbformat import ValidationError


class DropsMalformedMessages:
    """For a subclass of nbclient's NotebookClient: ``dropped_messages`` counts what was dropped."""

    dropped_messages = 0

    def process_message(self, msg, cell, cell_index):
        count = cell.get("execution_count")
        try:
            return super().process_message(msg, cell, cell_index)
        except CellExecutionComplete:
            raise
        except (ValidationError, ValueError, TypeError, KeyError, AttributeError):
            self.dropped_messages += 1
            self.log.warning("a malformed message from the kernel was dropped (%s)", msg.get("msg_type"))
            return None
        finally:
            if type(cell.get("execution_count")) not in (int, type(None)):
                cell["execution_count"] = count
