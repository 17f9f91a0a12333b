"""What the scan reports: one ``Flag`` per finding, and a ``Report`` of flags and unparsed files."""

from __future__ import annotations

from dataclasses import dataclass, field

from .rules import EVIDENCE_CHARS


class Flag(str):
    """One finding, as its one-line text ``"file:line: kind: evidence"`` (a ``str``, so it
    serializes to JSON and joins as it is) with the fields ``student_file`` (path relative to the
    submission; a notebook cell is ``"name.ipynb:cell 4"``), ``line`` (1-based, within the cell
    for notebooks; 0 for a whole file), ``kind`` (a key of ``KINDS``) and ``evidence`` (the source
    line, shortened)."""

    __slots__ = ("student_file", "line", "kind", "evidence")

    def __new__(cls, student_file, line, kind, evidence):
        evidence = " ".join(str(evidence).split())
        if len(evidence) > EVIDENCE_CHARS:
            evidence = evidence[:EVIDENCE_CHARS - 3] + "..."
        text = super().__new__(cls, f"{student_file}:{line}: {kind}: {evidence}")
        text.student_file, text.line, text.kind, text.evidence = student_file, line, kind, evidence
        return text

    def __getnewargs__(self):  # pickling (process pools, Dask) rebuilds it from the fields
        return (self.student_file, self.line, self.kind, self.evidence)


@dataclass
class Report:
    """``flags``: findings for review; ``unparsed``: "file: why" lines for files or cells that
    are not valid Python or not readable (recorded, not flagged: Python cannot run them either)."""

    flags: list = field(default_factory=list)
    unparsed: list = field(default_factory=list)
