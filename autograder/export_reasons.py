"""``nbgrader export``'s CSV with the reason a score is what it is (named in the course's
nbgrader_config.py as ``c.ExportApp.plugin_class``).

nbgrader's CsvExportPlugin shows a submission that could not be graded (a library file missing,
an unreadable notebook) as a plain 0. This writes the same file with two more columns from
``backprop-course autograde``'s record (DIR/grading/<lesson>/<student>.json): ``outcome``
(graded, timeout, kernel died, not gradable; blank when it did not grade the submission) and
``reason``.
"""

import csv
import json
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import CsvExportPlugin

from .grading import RESULTS


class GradesWithReasonsExport(CsvExportPlugin):
    """nbgrader's CSV export plus ``outcome`` and ``reason`` per submission."""

    def export(self, gradebook):
        super().export(gradebook)
        dest = Path(self.to or "grades.csv")
        with open(dest, newline="") as file:
            rows = list(csv.DictReader(file))
        results = Path(CourseDirectory(config=self.config).root) / RESULTS
        for row in rows:
            path = results / row["assignment"] / f"{row['student_id']}.json"
            record = json.loads(path.read_text()) if path.is_file() else {}
            row["outcome"], row["reason"] = record.get("outcome", ""), record.get("reason") or ""
        fields = list(rows[0]) if rows else ["outcome", "reason"]
        with open(dest, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
