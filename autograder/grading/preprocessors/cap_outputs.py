"""Output capping: at most so many bytes of output per code cell and per notebook."""

import json

from nbformat import NotebookNode
from traitlets import Integer

from .base import GradingPreprocessor


class CapOutputs(GradingPreprocessor):
    """Keep at most ``max_cell_output_bytes`` of output per code cell and
    ``max_notebook_output_bytes`` per notebook; the excess of a cell is replaced by one line saying
    so. nbgrader's LimitOutput counts lines only: 200 lines of 1 MB each would be stored, pickled
    back from the worker and put in feedback. Error outputs always stay (shortened to
    ``max_error_chars`` per text): an error is what makes a test cell score 0. Adds the bytes
    dropped to ``resources["grading"]["dropped_bytes"]``.
    """

    max_cell_output_bytes = Integer(500_000).tag(config=True)
    max_notebook_output_bytes = Integer(2_000_000).tag(config=True)
    max_error_chars = Integer(1_000, help="per error text (evalue, traceback line)").tag(config=True)

    def preprocess(self, nb, resources):
        left, total_dropped = self.max_notebook_output_bytes, 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            allowed = min(self.max_cell_output_bytes, left)
            kept, dropped, budget = self._cap_cell(cell, allowed)
            if dropped:
                kept.append(NotebookNode(output_type="stream", name="stdout", text=(
                    f"[grader: {dropped:,} more bytes of output not kept; at most "
                    f"{self.max_cell_output_bytes:,} per cell and "
                    f"{self.max_notebook_output_bytes:,} per notebook]\n")))
                cell.outputs = kept
            left -= allowed - budget
            total_dropped += dropped
        state = self.state(resources)
        state["dropped_bytes"] = state.get("dropped_bytes", 0) + total_dropped
        return nb, resources

    def _cap_cell(self, cell, budget):
        """(outputs kept, bytes dropped, budget left) for one cell."""
        kept, dropped = [], 0
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.evalue = str(output.get("evalue", ""))[:self.max_error_chars]
                output.traceback = [line[:self.max_error_chars] for line in output.get("traceback", [])]
                kept.append(output)
                continue
            data = output.text.encode() if output.output_type == "stream" else json.dumps(output).encode()
            if len(data) <= budget:
                kept.append(output)
                budget -= len(data)
                continue
            dropped += len(data) - budget
            if output.output_type == "stream" and budget > 0:  # keep the start of the text
                output.text = data[:budget].decode(errors="ignore")
                kept.append(output)
            budget = 0
        return kept, dropped, budget
