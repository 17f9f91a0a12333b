"""Minimal tracebacks: every error output is one line."""

from .base import GradingPreprocessor


class MinimalTracebacks(GradingPreprocessor):
    """Cut every error output to one line. IPython's xmode=Minimal does not apply to a SyntaxError:
    its traceback quotes the cell line that imported the broken file, which can be a hidden test
    (seen with lesson 5), and grader paths. One-line renderings (the visible checks') stay."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                lines = "".join(output.get("traceback", [])).strip("\n").splitlines()
                if output.output_type == "error" and len(lines) != 1:
                    evalue = str(output.get("evalue", "")).splitlines()[0] if output.get("evalue") else ""
                    output.traceback = [f"{output.ename}: {evalue}".rstrip(": ")]
        return nb, resources
