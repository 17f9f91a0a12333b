"""What of a submitted folder the grader reads and copies, what it must hold to be graded, and
what identifies its content.

Only regular files are read or copied, never through a link: a link in a submission
(``backprop_lib/notes.txt -> ../../../../gradebook.db``) would otherwise bring the gradebook or
the reference solution into autograded/ and from there into the student's feedback (RECIPES 6).
What is read is bounded per file and in total (a 2 GB sparse file, a hundred 4.9 MB files), so
the grader's memory and the autograded/ and feedback/ folders stay small; each file left out is
named in the submission's reason, and each link is flagged: review.csv lists both.

A submission without one of the files the students were given besides the notebook (their
library, listed from the release by the grading driver) cannot be graded: nothing is put in its
place, so there is nothing of the student's to run. And a submission is the same as
one graded before only when its files are: a fixed resubmission copied without timestamp.txt (or
with an unchanged one) must still be regraded.
"""

import fnmatch
import hashlib
import os
import stat
from pathlib import Path

from .kept_results import kept_when_small

TIMESTAMP = "timestamp.txt"
MAX_FILE_BYTES = 5_000_000  # a larger file (the notebook apart) is not read, graded or copied
MAX_NOTEBOOK_BYTES = 20_000_000  # the notebook may hold saved outputs; larger is not gradable
MAX_TOTAL_BYTES = 25_000_000  # all files of one submission read or copied, the notebook first
MAX_READ_BYTES = max(MAX_FILE_BYTES, MAX_NOTEBOOK_BYTES)  # of a file that grew after ``select``


def select(folder, ignored, notebook, limits=None):
    """The files of ``folder`` the grader reads and copies, and why others are left out.

    ignored(relative path) -> True for paths nbgrader ignores (checkpoints, caches): given the path
    within ``folder``, so a course's own location (a folder named "feedback") never decides it;
    ``notebook``: the lesson notebook's file name, read first (and exempt from the per-file
    bound, not the total).
    limits: (per file, notebook, total) bytes, default the module's bounds.
    Returns ([(relative path, path)], [reason, ...], [(relative path, link target) of links]).
    """
    per_file, per_notebook, total_cap = limits or (MAX_FILE_BYTES, MAX_NOTEBOOK_BYTES, MAX_TOTAL_BYTES)
    paths = sorted(folder.rglob("*"), key=lambda path: (str(path.relative_to(folder)) != notebook,
                                                         str(path)))
    chosen, reasons, links, over_total, total = [], [], [], [], 0
    for path in paths:
        within = path.relative_to(folder)
        relative = str(within)
        if ignored(within):
            continue
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            links.append((relative, os.readlink(path)))
            continue
        if stat.S_ISDIR(info.st_mode):
            continue
        if not stat.S_ISREG(info.st_mode):  # a fifo would block the reader
            reasons.append(f"{relative} is not a regular file, not read")
            continue
        cap = per_notebook if relative == notebook else per_file
        if info.st_size > cap:
            reasons.append(f"{relative} is over {cap / 1e6:g} MB, not graded or copied")
            continue
        if total + info.st_size > total_cap:
            over_total.append(relative)
            continue
        total += info.st_size
        chosen.append((relative, path))
    if over_total:
        shown = ", ".join(over_total[:3]) + (", ..." if len(over_total) > 3 else "")
        reasons.append(f"{len(over_total)} file(s) left out: the submission is over "
                       f"{total_cap / 1e6:g} MB in total ({shown})")
    return chosen, reasons, links


def read_file(path, limit):
    """The bytes of regular file ``path`` (never through a link), at most ``limit`` of them."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        # Sized by the file: read(limit) allocates all of the limit (20 MB) first, and returning
        # it to the system stalls every thread of the grader, for a file of a few KB.
        size = os.fstat(fd).st_size
        data = handle.read(min(limit, size + 1))
        if size < len(data) < limit:  # it grew since
            data += handle.read(limit - len(data))
        return data


def copy_files(chosen, dest, limit=MAX_READ_BYTES):
    """Copy [(relative path, path)] (from ``select``) under ``dest`` as plain files."""
    for relative, path in chosen:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read_file(path, limit))


def syntax_reasons(files):
    """'SyntaxError at backprop_lib/layers.py line 77' for each .py file of ``files`` ({relative
    path: bytes}) Python cannot compile. Compiled here, in the grader, never run: what a kernel
    says about the file is not trusted."""
    reasons = [_syntax_reason(data, relative) for relative, data in sorted(files.items())
               if relative.endswith(".py")]
    return [reason for reason in reasons if reason]


# Kept per distinct file: most library files of a class are the ones handed out, and the driver
# compiles them for every worker.
@kept_when_small(maxsize=512)
def _syntax_reason(data, relative):
    """The reason file ``relative`` holding ``data`` does not compile, or None."""
    try:
        compile(data, relative, "exec", dont_inherit=True)
    except SyntaxError as err:  # IndentationError, undecodable bytes
        return f"{type(err).__name__} at {relative} line {err.lineno}"
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes, absurd nesting
        return f"{relative} cannot be compiled ({type(err).__name__})"
    return None


def ignored(path, patterns):
    """Whether a part of ``path`` matches one of ``patterns`` (nbgrader's CourseDirectory.ignore,
    which nbgrader matches against the names within a folder it copies: ``path`` is relative)."""
    return any(fnmatch.fnmatch(part, pattern) for part in Path(path).parts for pattern in patterns)


def given_files(release, patterns):
    """The files a release gave students besides its notebooks (their library), as sorted paths
    relative to ``release``; files matching ``patterns`` (see ``ignored``) are left out."""
    release = Path(release)
    given = (path.relative_to(release) for path in release.rglob("*")
             if path.is_file() and path.suffix != ".ipynb")
    return sorted(str(relative) for relative in given if not ignored(relative, patterns))


def missing_reason(files, required):
    """'<file>, ... missing' for each path of ``required`` not in ``files`` (relative paths: a
    {path: bytes} or a set), or "" when nothing is missing."""
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
