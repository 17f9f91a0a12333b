"""What the grader accepts as input, without grading anything: the course lock under many
simultaneous starts, what of a submitted folder is read (never a link, within size bounds), the
grader's own syntax check, the bounded zip extractor (directly and under the real `nbgrader
zip_collect` with the course config) and `submit`'s student IDs."""

import io
import multiprocessing
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from backprop_course.autograder import nbgrader_course
from backprop_course.autograder import submission
from backprop_course.autograder.cli import main
from backprop_course.autograder.grading import LOCK_NAME, CourseLock
from backprop_course.autograder.zip_extract import BoundedExtractor

from helpers.checkout import ROOT
from helpers.lock_holder import held_lock

LESSON = "02_linear_layer"
BIN = Path(sys.executable).parent


# ---- the course lock ------------------------------------------------------------------------------

def _contend(folder, go, log):
    """Wait for ``go``, then take the lock (retrying while refused) and log the run's start and end."""
    def write(line):
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{line} {os.getpid()}\n".encode())
        os.close(fd)

    go.wait()
    for _ in range(100_000):
        try:
            with CourseLock(folder):
                write("start")
                time.sleep(0.01)
                write("end")
            return
        except nbgrader_course.CourseError as err:
            if "(pid " not in str(err):
                write("bad-refusal")
            time.sleep(0.001)


def test_many_simultaneous_starts_run_one_at_a_time(tmp_path):
    """40 processes start at once and each retries until it has run: every run is a start and an
    end of one process with no other start between them (RECIPES 6: 4 of 40 overlapped before)."""
    context = multiprocessing.get_context("fork")  # cheap: each starts with the lock imported
    go, log = context.Event(), tmp_path / "log"
    contenders = [context.Process(target=_contend, args=(tmp_path, go, log)) for _ in range(40)]
    for process in contenders:
        process.start()
    go.set()
    for process in contenders:
        process.join(timeout=600)
        assert process.exitcode == 0
    lines = [line.split() for line in log.read_text().splitlines()]
    assert not [line for line in lines if line[0] == "bad-refusal"]
    assert len(lines) == 80
    for first, second in zip(lines[::2], lines[1::2]):
        assert first[0] == "start" and second == ["end", first[1]], lines
    assert {pid for _, pid in lines} == {str(process.pid) for process in contenders}


def test_the_lock_names_its_holder_and_dies_with_it(tmp_path):
    with held_lock(tmp_path) as holder:
        with pytest.raises(nbgrader_course.CourseError, match=rf"another autograde \(pid {holder.pid}\)"):
            with CourseLock(tmp_path):
                pass
    with CourseLock(tmp_path):  # the holder was killed: the OS released its lock
        assert (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())


# ---- what of a submitted folder is read --------------------------------------------------------

def test_links_fifos_and_files_over_the_bounds_are_never_read(tmp_path):
    folder = tmp_path / "submitted"
    (folder / "backprop_lib").mkdir(parents=True)
    (folder / f"{LESSON}.ipynb").write_bytes(b"n" * 300)
    (folder / "backprop_lib" / "layers.py").write_bytes(b"x = 1\n")
    (folder / "secret.db").write_bytes(b"SECRET")
    (folder / "backprop_lib" / "notes.txt").symlink_to("../secret.db")
    (folder / "linked_dir").symlink_to(folder / "backprop_lib", target_is_directory=True)
    os.mkfifo(folder / "pipe")
    with open(folder / "sparse.bin", "wb") as handle:
        handle.truncate(2_000_000_000)
    for number in range(4):
        (folder / f"part{number}.bin").write_bytes(b"p" * 400)
    (folder / ".ipynb_checkpoints").mkdir()
    chosen, reasons, links = submission.select(folder, lambda path: ".ipynb_checkpoints" in path.parts,
                                               f"{LESSON}.ipynb", limits=(500, 1000, 1500))
    names = [relative for relative, _ in chosen]
    assert names[0] == f"{LESSON}.ipynb"  # read first: never the one left out
    assert sorted(names) == sorted([f"{LESSON}.ipynb", "backprop_lib/layers.py", "part0.bin",
                                    "part1.bin", "secret.db"])
    assert sorted(links) == [("backprop_lib/notes.txt", "../secret.db"),
                             ("linked_dir", str(folder / "backprop_lib"))]
    assert reasons == ["pipe is not a regular file, not read",
                       "sparse.bin is over 0.0005 MB, not graded or copied",
                       "2 file(s) left out: the submission is over 0.0015 MB in total (part2.bin, part3.bin)"]
    dest = tmp_path / "copy"
    submission.copy_files(chosen, dest)
    assert sorted(str(path.relative_to(dest)) for path in dest.rglob("*") if path.is_file()) == sorted(names)
    assert not [path for path in dest.rglob("*") if path.is_symlink()]


def test_a_file_is_read_whole_up_to_its_bound_even_when_it_grew_after_its_size_was_read(tmp_path, monkeypatch):
    small, big = tmp_path / "small.py", tmp_path / "big.bin"
    small.write_bytes(b"x = 1\n")
    big.write_bytes(b"b" * 5000)
    (tmp_path / "link.py").symlink_to(small)
    assert submission.read_file(small, 1000) == b"x = 1\n"
    assert submission.read_file(big, 1000) == b"b" * 1000
    with pytest.raises(OSError):
        submission.read_file(tmp_path / "link.py", 1000)
    # The file grew between its size and its read (a student still saving): read on to the bound.
    real_fstat = os.fstat

    def fstat_says_10_bytes(fd):
        real = real_fstat(fd)
        return os.stat_result((*real[:6], 10, *real[7:]))  # st_size is field 6

    monkeypatch.setattr(submission.os, "fstat", fstat_says_10_bytes)
    assert submission.read_file(big, 3000) == b"b" * 3000
    assert submission.read_file(big, 10_000) == b"b" * 5000
    assert submission.read_file(small, 1000) == b"x = 1\n"


def test_nbgraders_ignore_patterns_apply_within_a_submission_not_to_where_the_course_is(tmp_path):
    """nbgrader's default ignore list has "feedback": a course kept in a folder of that name still
    has its files read, while a feedback/ or checkpoint folder inside a submission is left out."""
    patterns = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
    release = tmp_path / "feedback" / "course" / "release" / LESSON
    folder = tmp_path / "feedback" / "course" / "submitted" / "alice" / LESSON
    for root in (release, folder):
        (root / "backprop_lib" / "__pycache__").mkdir(parents=True)
        (root / f"{LESSON}.ipynb").write_text("{}")
        (root / "backprop_lib" / "layers.py").write_text("x = 1\n")
        (root / "backprop_lib" / "__pycache__" / "layers.cpython-311.pyc").write_bytes(b"c")
    (folder / "feedback").mkdir()
    (folder / "feedback" / "old.html").write_text("<p>")
    chosen, reasons, links = submission.select(folder, lambda path: submission.ignored(path, patterns),
                                               f"{LESSON}.ipynb")
    assert [relative for relative, _ in chosen] == [f"{LESSON}.ipynb", "backprop_lib/layers.py"]
    assert submission.given_files(release, patterns) == ["backprop_lib/layers.py"]


def test_the_grader_compiles_the_library_itself():
    files = {"backprop_lib/layers.py": b"x = 1\n\ndef broken(:\n    pass\n",
             "backprop_lib/ok.py": b"y = 2\n", "backprop_lib/tabs.py": b"if True:\n  a = 1\n\tb = 2\n",
             "backprop_lib/nul.py": b"a = 1\0\n", "notes.txt": b"def (:"}
    layers, nul, tabs = submission.syntax_reasons(files)  # notes.txt is not Python
    assert layers == "SyntaxError at backprop_lib/layers.py line 3"
    assert "backprop_lib/nul.py" in nul  # a ValueError up to Python 3.11, then a SyntaxError
    assert tabs == "TabError at backprop_lib/tabs.py line 3"


# ---- the zip extractor -----------------------------------------------------------------------------

def _zip(members):
    """Zip bytes of [(name, bytes)] (deflated: zeros compress a thousandfold)."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            archive.writestr(name, content)
    return data.getvalue()


def _link_zip(name, target):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o120777 << 16)  # a symbolic link, as `zip --symlinks` stores it
        archive.writestr(info, target)
    return data.getvalue()


def _handin(student, extra=()):
    return _zip([(f"{LESSON}.ipynb", b"{}"), ("backprop_lib/layers.py", b"x = 1\n"), *extra])


def _extracted_bytes(folder):
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file())


def test_the_zip_extractor_bounds_depth_size_and_count_and_makes_no_link(tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "extracted"
    archive.mkdir()
    # A bomb of nested zips: 4 levels of 4, each innermost holding 200 KB of zeros.
    level = _zip([("zeros.bin", b"\0" * 200_000)])
    for _ in range(4):
        level = _zip([(f"part{number}.zip", level) for number in range(4)])
    (archive / "bomb.zip").write_bytes(level)
    (archive / f"{LESSON}-big-20261130T093000Z.zip").write_bytes(
        _handin("big", [("backprop_lib/huge.py", b"#" * 600_000)]))
    (archive / f"{LESSON}-ok-20261130T093000Z.zip").write_bytes(_handin("ok"))
    (archive / "links.zip").write_bytes(_link_zip("backprop_lib/notes.txt", "../../../../gradebook.db"))
    (archive / "escape.zip").write_bytes(_zip([("../../outside.py", b"x = 1\n")]))
    (archive / "gradebook.db").write_bytes(b"SECRET")
    (archive / "loose.py").symlink_to(archive / "gradebook.db")
    extractor = BoundedExtractor(max_depth=2, max_archive_bytes=500_000, max_bytes=5_000_000, max_files=100)
    extractor.extract(str(archive), str(out))
    ok = out / f"{LESSON}-ok-20261130T093000Z"
    assert (ok / f"{LESSON}.ipynb").read_bytes() == b"{}" and (ok / "backprop_lib/layers.py").is_file()
    assert not (out / f"{LESSON}-big-20261130T093000Z" / "backprop_lib" / "huge.py").exists()
    assert not list(out.rglob("zeros.bin"))  # 3 levels of zips deeper than max_depth
    assert not [path for path in out.rglob("*") if path.is_symlink()]
    assert not (out / "links" / "backprop_lib" / "notes.txt").exists()
    assert not (out / "loose.py").exists() and not (tmp_path / "outside.py").exists()
    assert _extracted_bytes(out) < 1_000_000
    # The total bound: one archive of many small files stops at max_bytes / max_files.
    many = tmp_path / "many"
    many.mkdir()
    (many / "class.zip").write_bytes(_zip([(f"f{number}.py", b"#" * 1000) for number in range(50)]))
    for limits, written in (({"max_bytes": 10_500}, 10), ({"max_files": 7}, 7)):
        target = tmp_path / f"out-{written}"
        BoundedExtractor(**limits).extract(str(many), str(target))
        assert len(list(target.rglob("*.py"))) == written


def test_zip_collect_with_the_course_config_extracts_within_its_bounds(tmp_path):
    """The real `nbgrader zip_collect` with the config `course init` writes, bounds made tiny: a
    hand-in is collected; a zip of zips of zeros (each hand-in a bomb) is not extracted past
    max_archive_bytes."""
    course_dir = tmp_path / "course"
    nbgrader_course.init_course(course_dir, [LESSON])
    with open(course_dir / nbgrader_course.CONFIG_NAME, "a") as config:
        config.write("\nc.BoundedExtractor.max_archive_bytes = 100_000  # tests: tiny\n")
    archive = course_dir / "downloaded" / LESSON / "archive"
    archive.mkdir(parents=True)
    bomb = _handin("bomb", [(f"backprop_lib/zeros{number}.py", b"#" * 300_000) for number in range(8)])
    (archive / "class.zip").write_bytes(_zip([(f"{LESSON}-alice-20261130T093000Z.zip", _handin("alice")),
                                              (f"{LESSON}-bomb-20261130T093000Z.zip", bomb)]))
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter")}
    done = subprocess.run([BIN / "nbgrader", "zip_collect", LESSON, "--force"], cwd=course_dir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Using file extractor: BoundedExtractor" in done.stderr
    assert "max_archive_bytes" in done.stderr  # the bomb's stop is named
    assert (course_dir / "submitted" / "alice" / LESSON / "backprop_lib" / "layers.py").read_bytes() == b"x = 1\n"
    assert _extracted_bytes(course_dir / "downloaded") < 1_000_000
    assert _extracted_bytes(course_dir / "submitted") < 300_000


# ---- student IDs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("given, problem", [
    ("", "the student ID is empty"),
    ("   ", "the student ID is empty"),
    ("a" * 300, "the student ID is 300 characters long, over 64"),
    ("../alice", "student ID '../alice' is not valid"),
])
def test_submit_names_a_bad_student_id_and_the_rules_in_one_line(given, problem, tmp_path, monkeypatch, capsys):
    work = tmp_path / LESSON
    work.mkdir()
    (work / f"{LESSON}.ipynb").write_text((ROOT / "lessons" / f"{LESSON}.ipynb").read_text())
    (work / "backprop_lib").mkdir()
    (work / "backprop_lib" / "__init__.py").write_text("")
    monkeypatch.chdir(work)
    monkeypatch.setenv("JUPYTERHUB_USER", "hub_alice")  # never used in place of a given ID
    assert main(["submit", LESSON, "--student", given]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and problem in err, err
    assert "1 to 64 letters, digits and . _ @ + -" in err and "--student" in err
    assert not list(work.glob("*.zip"))
