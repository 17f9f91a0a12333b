"""``nbgrader zip_collect``'s file collector for this course (named in the course's
nbgrader_config.py as ``c.ZipCollectApp.collector_plugin``).

nbgrader's FileNameCollectorPlugin matches each extracted file's path against the course's
pattern (``course.HANDIN_REGEXP``) and drops every file it does not match with one generic log
line among hundreds, ending in "18 files collected, 18 files skipped". This one

- accepts the names a browser or a file manager gives a copy of the zip: "NAME (1).zip",
  "NAME - Copy.zip", "Copy of NAME.zip" are read as NAME.zip (of two copies of one hand-in, the
  later time wins, as nbgrader does);
- logs each file it skips as one warning line, "Skipped FILE (student S|student unknown):
  REASON", with the fix when the zip's name is the problem.
"""

import os
import re

from nbgrader.plugins import FileNameCollectorPlugin

# A copy's decorations on a zip's folder name (nbgrader extracts each zip into a folder named
# after it): a browser's " (1)", Windows' " - Copy" (" - Copy (2)"), Google Drive's "Copy of ".
COPY_SUFFIX = re.compile(r"(?: \(\d+\)| - Copy(?: \(\d+\))?)+(?=[\\/])")
COPY_PREFIX = re.compile(r"(?<=[\\/])(?:Copy of )+")
# The parts of a hand-in zip's name (HANDIN_NAME): LESSON-STUDENT-TIME.
ZIP_NAME = re.compile(r"\d\d_\w+?-(?P<student_id>[^\\/.][^\\/]*)-\d{8}T\d{6}Z$")
NOT_HANDED_IN = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}


def without_copy_marks(path):
    """``path`` with copy decorations removed from its folder names (never from the file's own name)."""
    return COPY_PREFIX.sub("", COPY_SUFFIX.sub("", path))


class HandinCollector(FileNameCollectorPlugin):
    """FileNameCollectorPlugin that reads renamed copies of hand-in zips and says why it skips a file."""

    def collect(self, submitted_file):
        info = self._match_quietly(without_copy_marks(submitted_file))
        if info is None:
            student, reason = self.skip_reason(submitted_file)
            self.log.warning("Skipped %s (%s): %s", self._shown(submitted_file),
                             f"student {student}" if student else "student unknown", reason)
        return info

    def _match_quietly(self, path):
        """The pattern's groups for ``path`` (an extension not collected: None), without
        nbgrader's log line for each file that does not match."""
        if os.path.splitext(path)[1] not in self.valid_ext or not self.named_regexp:
            return None
        match = re.match(self.named_regexp, path)
        return match.groupdict() if match else None

    def skip_reason(self, path):
        """(student ID or None, why ``path`` is not collected)."""
        parts = re.split(r"[\\/]", without_copy_marks(path))
        owner = next((found["student_id"] for part in parts for found in [ZIP_NAME.search(part)] if found), None)
        name = parts[-1]
        if any(part in NOT_HANDED_IN for part in parts) or name.startswith("."):
            return owner, "a cache or system file, not part of the work"
        if os.path.splitext(name)[1] not in self.valid_ext:
            return owner, f"only {', '.join(self.valid_ext)} files are collected"
        if owner is None:
            return None, ("the zip's name does not hold LESSON-STUDENT-TIME as `backprop-course submit` "
                          "names it (e.g. 02_linear_layer-alice-20261130T093000Z.zip): rename the zip "
                          "and collect again with --force")
        return owner, "not the lesson's notebook or a backprop_lib/*.py file in its place"

    def _shown(self, path):
        """The path from the zip's folder on (the extracted/ folder is the same for all)."""
        parts = re.split(r"[\\/]", path)
        index = next((i for i, part in enumerate(parts) if part == "extracted"), -1)
        return "/".join(parts[index + 1:]) if index >= 0 else path
