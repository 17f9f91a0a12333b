"""The extractor ``nbgrader zip_collect`` uses in a course (``c.ZipCollectApp.extractor_plugin``
in the nbgrader_config.py ``course init`` writes): hand-in zips extracted within bounds.

nbgrader's own extractor unpacks archives inside archives until none is left, with no bound on
size or count (RECIPES 6: a 17 KB zip of zips became 4.1 GB). This one reads each archive as a
stream and stops writing at the bounds, which are configurable traits (``c.BoundedExtractor.*``):

    max_depth          archives inside archives extracted (1: the hand-ins only; 2, the default:
                       also a zip of the class's hand-ins, as an LMS downloads them)
    max_archive_bytes  bytes written from one archive's own files (default: what the grader reads
                       of one submission, ``submission.MAX_TOTAL_BYTES``)
    max_bytes          bytes written in the whole run
    max_files          files written in the whole run

A file is written only while every bound holds: the file that would cross one is deleted and the
rest of its archive skipped, with an error line naming the archive, the bound and its setting;
the other hand-ins are still extracted. Links (in a zip or in the archive folder) are never
created or followed, and names leaving the target folder are skipped. Archives other than .zip
are not extracted (``backprop-course submit`` writes zips).
"""

import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from nbgrader.plugins import ExtractorPlugin
from traitlets import Int

from . import submission

CHUNK = 1 << 16


class OverBound(Exception):
    """One of the bounds would be crossed; the message names it and its setting."""


class Budget:
    """What is left of the run's bounds (bytes and files)."""

    def __init__(self, max_bytes, max_files):
        self.bytes, self.files = max_bytes, max_files
        self.max_bytes, self.max_files = max_bytes, max_files

    def take_file(self):
        if self.files <= 0:
            raise OverBound(f"over {self.max_files} files in total (c.BoundedExtractor.max_files)")
        self.files -= 1

    def take_bytes(self, count):
        if count > self.bytes:
            raise OverBound(f"over {self.max_bytes / 1e6:g} MB in total (c.BoundedExtractor.max_bytes)")
        self.bytes -= count


class BoundedExtractor(ExtractorPlugin):
    """nbgrader's ExtractorPlugin with bounds on depth, size and count; see the module."""

    max_depth = Int(2, help="Archives inside archives extracted, counting the hand-in itself.").tag(config=True)
    max_archive_bytes = Int(submission.MAX_TOTAL_BYTES,
                            help="Bytes written from the files of one archive.").tag(config=True)
    max_bytes = Int(1_000_000_000, help="Bytes written in the whole run.").tag(config=True)
    max_files = Int(20_000, help="Files written in the whole run.").tag(config=True)

    def extract(self, archive_path, extracted_path):
        budget = Budget(self.max_bytes, self.max_files)
        archive_path, extracted_path = Path(archive_path), Path(extracted_path)
        found = sorted(archive_path.rglob("*"))
        if not found:
            self.log.warning("No files found in directory: %s", archive_path)
        for path in found:
            relative = path.relative_to(archive_path)
            target = extracted_path / relative
            if path.is_symlink():
                self.log.warning("not followed: %s is a link", path)
            elif not path.is_file():
                continue
            elif path.suffix == ".zip":
                self._extract_zip(path, target.with_suffix(""), 1, budget)
            else:
                try:
                    with open(path, "rb") as source:
                        self._write(source, target, self.max_archive_bytes, budget)
                except OverBound as err:
                    self.log.error("%s not copied: %s", path, err)

    def _extract_zip(self, path, dest, depth, budget):
        """Extract zip file ``path`` into ``dest`` (its own folder), nested zips into theirs."""
        self.log.info("Extracting from: %s\n  Extracting to: %s", path, dest)
        left = self.max_archive_bytes
        try:
            with zipfile.ZipFile(path) as archive:
                for member in archive.infolist():
                    name = PurePosixPath(member.filename.replace("\\", "/"))
                    if member.is_dir():
                        continue
                    if name.is_absolute() or ".." in name.parts or not name.parts:
                        self.log.warning("skipped %s in %s: outside its folder", member.filename, path)
                        continue
                    if stat.S_ISLNK(member.external_attr >> 16):
                        self.log.warning("skipped %s in %s: a link", member.filename, path)
                        continue
                    target = dest.joinpath(*name.parts)
                    if name.suffix == ".zip":
                        if depth >= self.max_depth:
                            self.log.warning("not extracted: %s in %s, archives nest deeper than "
                                             "c.BoundedExtractor.max_depth = %d", member.filename,
                                             path, self.max_depth)
                            continue
                        self._extract_nested(archive, member, target.with_suffix(""), depth, budget)
                        continue
                    with archive.open(member) as source:
                        left -= self._write(source, target, left, budget)
        except OverBound as err:
            self.log.error("extraction of %s stopped: %s; its remaining files are skipped", path, err)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as err:
            self.log.error("extraction of %s stopped: %s: %s", path, type(err).__name__, err)

    def _extract_nested(self, archive, member, dest, depth, budget):
        """A zip inside a zip: copied out (within the bounds) to a temporary file, then extracted."""
        with tempfile.TemporaryDirectory(prefix="backprop-zip-") as tmp:
            inner = Path(tmp) / "inner.zip"
            with archive.open(member) as source:
                self._write(source, inner, self.max_archive_bytes, Budget(self.max_bytes, 1))
            self._extract_zip(inner, dest, depth + 1, budget)

    def _write(self, source, target, left, budget):
        """Copy stream ``source`` to a new file ``target``; returns the bytes written. Raises
        OverBound (the partial file deleted) when the archive's ``left`` bytes or the budget
        would be crossed."""
        budget.take_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        written = 0
        try:
            with open(target, "xb") as out:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    if written > left:
                        raise OverBound(f"over {self.max_archive_bytes / 1e6:g} MB from one archive "
                                        "(c.BoundedExtractor.max_archive_bytes)")
                    budget.take_bytes(len(chunk))
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return written
