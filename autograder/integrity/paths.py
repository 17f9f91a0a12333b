"""Which strings name a course secret or a place outside the submission."""

from __future__ import annotations

import ast
import re

# Names that are secrets on their own (any path component) ...
SECRET_NAMES = {"gradebook.db", "gradebook", "nbgrader_config.py", "reference_lib", ".autograde.lock"}
# ... and folder names of an nbgrader course that are secrets when used as a path component.
COURSE_DIRS = {"source", "solutions", "autograded", "submitted", "feedback", "release", "grading",
               "hidden_tests"}
SEPARATORS = re.compile(r"[\\/]")


def joined(node):
    """The text of an f-string node, "{}" in place of each value."""
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def secret_path(text, in_path_call):
    """Whether ``text`` names a course secret or a place outside the submission.

    Outside a path call only unambiguous strings count (they contain a separator, or name a
    secret file); inside one (open, Path, os.path.join, ``/``) a bare course folder name or
    ``..`` is enough.
    """
    if not text or len(text) > 300 or "\n" in text:
        return False
    parts = [p for p in SEPARATORS.split(text) if p]
    has_separator = bool(SEPARATORS.search(text))
    if any(p.lower() in SECRET_NAMES for p in parts):
        return True
    if not (has_separator or in_path_call):
        return False
    if ".." in parts or any(p.lower() in COURSE_DIRS for p in parts):
        return True
    if (text.startswith(("/", "~/")) or re.match(r"^[A-Za-z]:[\\/]", text)) and parts \
            and not re.search(r"\s", text):
        # the null device and a sandbox's own temp folder are harmless
        return not text.startswith(("/dev/null", "/tmp/", "/tmp"))
    return False
