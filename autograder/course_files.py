"""The files ``course init`` writes (nbgrader_config.py, source/<lesson>/...), written so that an
instructor's edits are never lost.

Each file's SHA-256 as written is kept in DIR/.course-init.json (nbgrader ignores dot files). A
later ``course init`` rewrites a file only while it still holds what was written (a newer package
then refreshes it); a file changed since (an edited config, a reworded source notebook) or one
the manifest does not know (a course made by an older version) is an edit: without ``force`` the
command changes nothing and names the edited files, with ``force`` they are first copied to
DIR/init-backups/<UTC time>/ and then rewritten. Files course init never wrote are left alone.
"""

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = ".course-init.json"  # {path relative to the course: sha256 of the text course init wrote}
BACKUPS = "init-backups"


class EditedFiles(Exception):
    """Files of the course edited since ``course init`` wrote them; ``paths`` are relative."""

    def __init__(self, course_dir, paths):
        self.paths = paths
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        super().__init__(f"{len(paths)} file(s) in {course_dir} differ from what course init wrote "
                         f"(edited?): {shown}; nothing was changed: rerun with --force to back them up "
                         f"to {BACKUPS}/ and rewrite them")


def digest(data):
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def read_manifest(course_dir):
    path = Path(course_dir) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def write_files(course_dir, planned, owned=(), force=False):
    """Write ``planned`` ({relative path: text}) into ``course_dir``, keeping edits as the module
    says. ``owned``: folders (relative) whose files course init wrote before and no longer writes
    are removed (unless edited). Returns the backup folder when files were backed up, else None.
    Raises EditedFiles (nothing written) when files were edited and ``force`` is false."""
    course_dir = Path(course_dir)
    manifest = read_manifest(course_dir)
    stale = [rel for rel in manifest if rel not in planned
             and any(Path(rel).is_relative_to(folder) for folder in owned)]
    edited = []
    for rel in [*planned, *stale]:
        path = course_dir / rel
        if not path.is_file():
            continue
        current = digest(path.read_bytes())
        if current != manifest.get(rel) and (rel not in planned or current != digest(planned[rel])):
            edited.append(rel)
    if edited and not force:
        raise EditedFiles(course_dir, sorted(edited))
    backup = None
    if edited:
        backup = course_dir / BACKUPS / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        for rel in edited:
            (backup / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(course_dir / rel, backup / rel)
    for rel in stale:
        (course_dir / rel).unlink(missing_ok=True)
        manifest.pop(rel)
    for rel, text in planned.items():
        path = course_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        manifest[rel] = digest(text)
    (course_dir / MANIFEST).write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    return backup
