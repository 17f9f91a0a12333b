"""The grader on the machines instructors have (issue 15): a non-root grader with the default two
workers, a grader killed halfway, a kernel that cannot start, output that never ends, a course
folder other users can read. Where the suite runs as root, the non-root cases run as the
unprivileged user of ``unprivileged.py``."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync

from backprop_course.autograder import grading, nbgrader_course, sample_class, sandbox
from backprop_course.autograder.sandbox import KernelStartError
from helpers.checkout import IN_CI
from helpers.sandbox_tiers import needs_posix, small, tier, work  # noqa: F401  (fixtures)
import unprivileged

pytestmark = [needs_posix, pytest.mark.slow]
LESSON = "02_linear_layer"
BEST = ("correct", "einsum")  # the reference and an alternative correct library: full marks
DEATH_SECONDS = 60  # for killed processes to be gone: they die in milliseconds, even under load


@pytest.fixture(scope="module")
def sample_course(tmp_path_factory, released_course):
    """Lesson 2 released and the whole sample class submitted (copy it before changing it)."""
    folder = released_course([LESSON], tmp_path_factory.mktemp("class") / "course")
    sample_class.submit(folder, LESSON)
    return folder


@pytest.fixture
def grader():
    """The argv prefix that runs a command as an unprivileged grader."""
    return unprivileged_grader()


@pytest.fixture(params=["unprivileged", "this user"])
def any_grader(request):
    """The unprivileged grader, and the user running the tests (root in CI): argv prefixes."""
    return unprivileged_grader() if request.param == "unprivileged" else []


def unprivileged_grader():
    argv, why = unprivileged.prefix()
    if argv is None:
        if IN_CI:
            pytest.fail(f"CI=true but no unprivileged grader can run here: {why}")
        pytest.skip(f"no unprivileged grader can run here: {why}")
    return argv


def grader_copy(sample_course, students=None):
    """A copy of the course (only ``students``' submissions, default all) in a folder of its own
    in the temp folder, handed to the unprivileged grader."""
    base = Path(tempfile.mkdtemp(prefix="i15-grader-"))
    os.chmod(base, 0o755)
    copy = base / "course"
    shutil.copytree(sample_course, copy, symlinks=True)
    if students is not None:
        for folder in (copy / "submitted").iterdir():
            if folder.name not in students:
                shutil.rmtree(folder)
    (base / "home").mkdir()
    unprivileged.give(base)
    return base


def run_as(grader, base, args, tier=None, **popen):
    env = unprivileged.env(base / "home", **({sandbox.FORCE_ENV: tier} if tier else {}))
    command = grader + [sys.executable, "-m", "backprop_course.autograder", *args]
    if popen:
        return subprocess.Popen(command, env=env, cwd=base, **popen)
    return subprocess.run(command, env=env, cwd=base, capture_output=True, text=True, timeout=900)


def tiers_of(grader, base):
    """The isolation tiers that work for the unprivileged grader, strongest first."""
    shown = subprocess.run(grader + [sys.executable, "-c", "from backprop_course.autograder import sandbox; "
                                     "print(*sandbox.working_tiers())"],
                           env=unprivileged.env(base / "home"), cwd=base, capture_output=True,
                           text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.split()


def results(base):
    import json

    folder = base / "course" / "grading" / LESSON
    return {path.stem: json.loads(path.read_text()) for path in folder.glob("*.json")}


def test_a_non_root_grader_with_two_workers_grades_the_class_right(sample_course, grader):
    """Issue 15: kernels of a non-root grader died before kernel_info (RLIMIT_NPROC counts the
    grader's own threads), and correct students scored 0 with exit status 0. Every tier that
    works for the grader: every submission graded, the correct ones with full marks."""
    probe = grader_copy(sample_course, students=())
    for tier in tiers_of(grader, probe):
        base = grader_copy(sample_course)
        done = run_as(grader, base, ["autograde", "--course", "course", LESSON, "--workers", "2"],
                      tier)
        assert done.returncode == 0, done.stderr[-2000:]
        rows = results(base)
        assert len(rows) == len(sample_class.STUDENTS)
        assert {name: row["outcome"] for name, row in rows.items()} == {
            name: "graded" for name in rows}, tier
        best = max(row["score"] for row in rows.values())
        assert best > 0 and all(rows[name]["score"] == best for name in BEST), tier
        if tier == "none":  # the warning names every protection a non-root grader lacks here
            warning = next(line for line in done.stderr.splitlines() if line.startswith("warning"))
            for protection in ("separate uid", "filesystem isolation", "network isolation",
                               "escaped processes killed"):
                assert protection in warning


def _descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid, started):
    return sandbox.leftovers.start_time(pid) == started


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
def test_a_killed_grader_leaves_no_kernel_and_the_next_run_cleans_its_folders(sample_course,
                                                                              any_grader):
    """SIGKILL of `autograde` while its kernels run: every process it started dies with it, in
    every tier that works for the grader; the next run removes the folders it left (student
    files, kernel connection files)."""
    probe = grader_copy(sample_course, students=())
    grader = any_grader
    for tier in tiers_of(grader, probe):
        base = grader_copy(sample_course, students=("correct", "einsum", "not_started"))
        for student in ("correct", "einsum"):  # both workers hold a kernel that sleeps
            path = base / "course" / "submitted" / student / LESSON / f"{LESSON}.ipynb"
            nb = nbformat.read(path, as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
            nbformat.write(nb, path)
        log = open(base / "home" / "autograde.log", "wb")
        tmp = Path(tempfile.gettempdir())
        proc = run_as(grader, base, ["autograde", "--course", "course", LESSON, "--workers", "2"],
                      tier, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                tree = _descendants(proc.pid)
                kernels = [pid for pid in tree if "kernel.json" in _cmdline(pid)
                           or "zygote_main" in _cmdline(pid)]
                if len(kernels) >= 2 or proc.poll() is not None:
                    break
                time.sleep(0.2)
            assert proc.poll() is None, (base / "home" / "autograde.log").read_text()[-2000:]
            # the grader itself, not a wrapper whose arguments name it (its workers come after it)
            main = next(pid for pid in [proc.pid, *tree]
                        if _cmdline(pid).startswith(f"{sys.executable} -m backprop_course.autograder autograde"))
            started = {pid: sandbox.leftovers.start_time(pid) for pid in _descendants(main)}
            workers = [pid for pid in _descendants(main) if pid in started]
            # The workers' folders, taken before the kill: once the workers are dead, any run's
            # leftover cleaning may remove them (under `make test`'s two pytest workers, another
            # file's autograde can start in between), which is the cleaning this test asks for.
            left = [path for path in tmp.iterdir() if path.name.startswith(sandbox.leftovers.PREFIXES)
                    and any(f"-{pid}." in path.name for pid in workers)]
            os.kill(main, signal.SIGKILL)
            deadline = time.monotonic() + DEATH_SECONDS
            while time.monotonic() < deadline and any(_alive(p, s) for p, s in started.items()):
                time.sleep(0.1)
            survivors = [_cmdline(p)[:200] for p, s in started.items() if _alive(p, s)]
            assert not survivors, (tier, survivors)
        finally:
            os.killpg(proc.pid, signal.SIGKILL) if proc.poll() is None else None
            proc.wait()
            log.close()
        assert left, tier  # what a SIGKILL leaves: the workers' folders
        again = run_as(grader, base, ["autograde", "--course", "course", LESSON, "--student",
                                      "not_started", "--force"], tier)
        assert again.returncode == 0, again.stderr[-2000:]
        assert not [path for path in left if path.exists()], tier


@pytest.mark.parametrize("limit, change", [("process limit", {"processes": 1}),
                                           ("memory limit", {"memory_mb": 60})])
def test_a_kernel_that_cannot_start_names_the_limit_it_hit(tier, work, limit, change):
    """The same words ("Kernel died before replying") came for both limits: now the error is a
    KernelStartError whose ``limit`` and one-line message name the one hit."""
    km = sandbox.kernel_manager_for(small(tier, **change))()
    try:
        run_sync(km.start_kernel)(cwd=str(work))
        client = km.client()
        client.start_channels()
        with pytest.raises(KernelStartError) as caught:
            run_sync(client.wait_for_ready)(timeout=120)
        client.stop_channels()
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    assert caught.value.limit == limit
    assert str(caught.value).startswith(f"kernel did not start: the {limit} of ")
    assert "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def lesson_course(tmp_path_factory, released_course):
    folder = released_course([LESSON], tmp_path_factory.mktemp("machine") / "course")
    sample_class.submit(folder, LESSON, students=[s for s in sample_class.STUDENTS
                                                  if s.name == "correct"])
    return grading.Course(folder, LESSON)


def job_with(lesson_course, source, **config):
    job = lesson_course.prepare("correct", 120)
    nb = nbformat.reads(job.notebook, as_version=4)
    if source:
        nb.cells.insert(1, nbformat.v4.new_code_cell(source))
    merged = {**job.config}
    for section, values in config.items():
        merged[section] = {**merged.get(section, {}), **values}
    return grading.Job(**{**vars(job), "notebook": nbformat.writes(nb), "config": merged})


def test_a_kernel_that_cannot_start_is_a_grader_error_naming_the_limit(lesson_course):
    """No student code ran: the outcome is "grader error" (never a score), the reason names it."""
    result = grading.grade_submission(job_with(lesson_course, "",
                                               SandboxedKernelManager={"memory_mb": 60}))
    assert result.outcome == "grader error"
    assert result.reason.startswith("before the first cell ran: kernel did not start: the memory limit of 60 MB")


def test_output_is_capped_while_it_streams(lesson_course):
    """A print loop before the checks: past the cap nothing long is kept while it streams (not
    after the cell), the checks after it still run and score (their canary lines are short),
    and the reason says how much was not kept."""
    loop = "for _ in range(40):\n    print('x' * 1_000_000, flush=True)"
    capped = grading.grade_submission(job_with(lesson_course, loop,
                                               GradingExecute={"max_streamed_output_bytes": 3_000_000}))
    plain = grading.grade_submission(job_with(lesson_course, ""))
    assert capped.outcome == plain.outcome == "graded", capped.reason
    assert "MB of output past the 3 MB cap not kept while running" in capped.reason
    cell = nbformat.reads(capped.notebook, as_version=4).cells[1]
    assert sum(len(output.get("text", "")) for output in cell.outputs) <= 3_000_000
    assert (lesson_course.record(capped)["score"] == lesson_course.record(plain)["score"] > 0)


def test_one_huge_output_message_is_never_received(lesson_course):
    """One print of a string far over the message cap: ZMQ drops it before the grader holds it;
    the kernel is stopped (the rest of that cell's output went with the connection) and the
    reason says why."""
    huge = "print('y' * 8_000_000)\nprint('after')"
    result = grading.grade_submission(job_with(lesson_course, huge,
                                               PromptKernelClient={"max_message_bytes": 1_048_576}))
    assert result.outcome == "kernel died"
    assert "an output message over 1 MB was not received: the kernel was stopped" in result.reason
    assert len(result.notebook) < 1_000_000


def test_a_course_is_private_from_init_and_autograde_makes_it_so(tmp_path, lesson_course):
    """Without bubblewrap kernels see the host's file system: nothing of the course may be
    reachable by other uids (sandbox uids included)."""
    folder = tmp_path / "fresh"
    nbgrader_course.init_course(folder, [LESSON])
    assert folder.stat().st_mode & 0o007 == 0
    os.chmod(lesson_course.dir, 0o755)
    rows, failed = grading.autograde(lesson_course.dir, LESSON, workers=1, progress=False)
    assert not failed
    assert lesson_course.dir.stat().st_mode & 0o007 == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader hands files to sandbox uids")
def test_a_working_copy_is_private_to_its_sandbox_uid(tier, work):
    (work / "lib").mkdir()
    (work / "lib" / "a.py").write_text("x = 1\n")
    with sandbox.Sandbox(work, small(tier)) as box:
        if box.uid is None:
            pytest.skip("no sandbox uid in this tier here")
        for path in [work, *work.rglob("*"), box.rundir]:
            assert path.stat().st_uid == box.uid and path.stat().st_mode & 0o077 == 0, path
