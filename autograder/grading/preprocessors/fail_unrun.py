"""Unrun-cell failing: a graded cell that never finished scores 0, not full points."""

from nbformat import NotebookNode
from traitlets import Unicode

from .base import GradingPreprocessor


class FailUnrunCells(GradingPreprocessor):
    """After an execution that did not finish (``resources["grading"]["outcome"]`` is not
    "graded": a timeout, a dead kernel), give each graded code cell whose index is not in
    ``resources["grading"]["executed"]`` an error output naming the reason, so it scores 0 rather
    than the full points nbgrader gives a test cell without an error."""

    ename = Unicode("NotRun").tag(config=True)

    def preprocess(self, nb, resources):
        state = self.state(resources)
        if state.get("outcome", "graded") == "graded":
            return nb, resources
        executed, reason = state.get("executed", set()), state.get("reason", "")
        for index, cell in enumerate(nb.cells):
            grading = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and grading.get("grade") and index not in executed:
                cell.outputs = [output for output in cell.get("outputs", []) if output.output_type != "error"]
                cell.outputs.append(NotebookNode(output_type="error", ename=self.ename, evalue=reason,
                                                 traceback=[f"{self.ename}: {reason}"]))
        return nb, resources
