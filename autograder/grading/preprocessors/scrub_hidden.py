"""Hidden-line scrubbing: no output line quotes a line of a hidden test."""

from traitlets import Integer, Unicode

from ... import solution_markers
from .base import GradingPreprocessor


class ScrubHiddenLines(GradingPreprocessor):
    """Replace any stream output line that quotes a hidden-test line (a warning prints the line it
    came from) with a placeholder, so feedback never shows hidden-test source. Delimiters as
    nbgrader's ClearHiddenTests names them."""

    begin_test_delimeter = Unicode(solution_markers.HIDDEN).tag(config=True)
    end_test_delimeter = Unicode(solution_markers.HIDDEN_END).tag(config=True)
    min_line_chars = Integer(12, help="shorter hidden lines (e.g. 'else:') are too common to hide").tag(config=True)
    placeholder = Unicode("    [a line of a hidden test]\n").tag(config=True)

    def preprocess(self, nb, resources):
        hidden = set()
        for cell in nb.cells:
            if self.begin_test_delimeter in cell.source:
                region = cell.source.split(self.begin_test_delimeter, 1)[1].split(self.end_test_delimeter, 1)[0]
                hidden |= {line.strip() for line in region.splitlines() if len(line.strip()) >= self.min_line_chars}
        if not hidden:
            return nb, resources
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.output_type == "stream":
                    output.text = "".join(self.placeholder if line.strip() in hidden else line
                                          for line in output.text.splitlines(keepends=True))
        return nb, resources
