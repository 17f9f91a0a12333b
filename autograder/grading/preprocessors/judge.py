"""The judge: each judged test cell's score decided in the grader's process, from its records."""

from nbformat import NotebookNode

from backprop_course import records
from backprop_course.check_rows import ROWS_MIME, rows_data

from ... import judge
from .base import GradingPreprocessor


class JudgeChecks(GradingPreprocessor):
    """After execution: every graded code cell whose (gradebook) source hands a task to the judge
    (``judge.judged_task``) gets its verdict from ``judge.judge``, whatever the kernel printed.

    The cell's outputs lose every record (they hold the student's results on the graded cases)
    and every verdict the kernel gave: its rows (``ROWS_MIME``) keep only their text, as a stdout
    line, an error output becomes a stdout line, stderr becomes stdout. The judge's rows come
    first (text/plain for the feedback, ``ROWS_MIME`` for the report and ``check``: {"task",
    "passed", "rows"}), and a failed task ends with one error output, which is what makes
    nbgrader score the cell 0 (``utils.determine_grade``). In a code cell that is no test, records
    are dropped and rows kept as text too. A test cell the judge does not decide (a task still
    graded in its kernel) keeps its kernel's rows as data. Runs in
    ``backprop-course autograde`` after VerifyCanaries, and in plain ``nbgrader autograde`` right
    after Execute (``c.Autograde.autograde_preprocessors`` in the course's nbgrader_config.py).
    """

    ename = "CheckFailed"

    def preprocess(self, nb, resources):
        if not self.enabled:
            return nb, resources
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            label = judge.judged_task(cell.source) if cell.cell_type == "code" else None
            if label and meta.get("grade") and not meta.get("solution"):
                self._judge_cell(cell, label)
            elif cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
                # records and rows the student's code showed elsewhere decide nothing: kept as text
                cell.outputs = [kept for output in cell.get("outputs", []) for kept in self._as_text(output)]
        return nb, resources

    @staticmethod
    def _claims(output):
        """Whether an output is a record or rows (what only the judge may read or write)."""
        return output.get("output_type") in ("display_data", "execute_result") \
            and bool({records.MIME, ROWS_MIME} & set(output.get("data", {})))

    def _as_text(self, output):
        """[output], or for a record nothing and for rows the kernel showed only their text (a
        stdout line): what the student reads stays, and nothing is left for the report to count."""
        if not self._claims(output):
            return [output]
        if records.MIME in output.get("data", {}):
            return []
        text = output["data"].get("text/plain", "")
        text = text if isinstance(text, str) else "".join(text)
        return [NotebookNode(output_type="stream", name="stdout", text=text.rstrip("\n") + "\n")] if text else []

    def _judge_cell(self, cell, label):
        outputs = list(cell.get("outputs", []))
        verdict = judge.judge(label, outputs)
        kept = []
        for output in outputs:
            if self._claims(output):
                kept += self._as_text(output)  # the kernel's rows are text here: only the judge's count
                continue
            if output.get("output_type") == "error":
                evalue = str(output.get("evalue", "")).splitlines()[0][:300] if output.get("evalue") else ""
                kept.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"[in the kernel: {output.get('ename', 'error')}: {evalue}]\n"))
                continue
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output.name = "stdout"
            kept.append(output)
        judged = NotebookNode(output_type="display_data", metadata={}, data={
            "text/plain": "\n".join(verdict.lines), ROWS_MIME: rows_data(verdict.label, verdict.passed, verdict.rows)})
        cell.outputs = [judged, *kept]
        if not verdict.passed:
            cell.outputs.append(NotebookNode(output_type="error", ename=self.ename, evalue=verdict.message,
                                             traceback=[f"{self.ename}: {verdict.message}"]))
