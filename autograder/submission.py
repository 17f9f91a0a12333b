"""What a submitted folder must hold to be graded, and what identifies its content.

A submission without one of the files the students were given besides the notebook (their
library, listed from the release by the grading driver) cannot be graded: nothing is put in its
place, so there is nothing of the student's to run. And a submission is the same as
one graded before only when its files are: a fixed resubmission copied without timestamp.txt (or
with an unchanged one) must still be regraded.
"""

import hashlib

TIMESTAMP = "timestamp.txt"


def missing_reason(files, required):
    """'<file>, ... missing' for each path of ``required`` not in ``files`` ({relative path:
    bytes}), or "" when nothing is missing."""
    absent = sorted(set(required) - set(files))
    return f"{', '.join(absent)} missing" if absent else ""


def fingerprint(files):
    """A sha256 hex digest of every file's relative path and bytes, timestamp.txt left out (the
    timestamp is compared on its own): any changed, added or removed file changes it."""
    digest = hashlib.sha256()
    for relative in sorted(files):
        if relative == TIMESTAMP:
            continue
        data = files[relative]
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()
