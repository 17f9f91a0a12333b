"""The sandbox (backprop_course.autograder.sandbox) on this machine: every isolation tier that works here is run
(bwrap is the strong one, unshare and none the fallbacks), and each test asserts what that tier
promises in ``describe()`` - including what it does not protect. With BACKPROP_SANDBOX_ISOLATION
set (CI's forced-tier runs) only that tier is run: the default run covers the others."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from backprop_course.autograder import sandbox
from backprop_course.autograder.sandbox import Limits, SandboxError, run_limited
from backprop_course.autograder.sandbox.box import check_reachable
from helpers.sandbox_tiers import FORCED, TIERS, needs_posix, small, tier, work

pytestmark = needs_posix


def python(code):
    return [sys.executable, "-c", code]


def test_limits_reject_nonsense_with_one_line():
    with pytest.raises(ValueError, match=r"Limits.cpu_seconds must be a positive number, got 0"):
        Limits(cpu_seconds=0)
    with pytest.raises(ValueError, match=r"Limits.isolation must be one of auto, bwrap"):
        Limits(isolation="docker")


def test_describe_names_every_mechanism_and_auto_picks_the_strongest_unless_forced():
    described = sandbox.describe()
    assert set(described) == {"isolation", "rlimits", "wall clock", "user", "processes",
                              "network", "filesystem", "enforced"}
    assert described["isolation"] == (FORCED or sandbox.working_tiers()[0])
    assert set(described["enforced"]) == {"process limit", "separate uid", "filesystem isolation",
                                          "network isolation", "escaped processes killed"}
    if sandbox.machine.runs_as_root("none"):  # refused: see test_root_never_runs_kernels_as_root
        return
    none = sandbox.describe(Limits(isolation="none"))
    assert "NOT blocked" in none["network"] and "file permissions" in none["filesystem"]
    assert not none["enforced"]["network isolation"]
    assert not none["enforced"]["filesystem isolation"]


def test_each_tier_states_what_it_enforces(tier):
    enforced = sandbox.enforced(small(tier))
    assert enforced["filesystem isolation"] == (tier == "bwrap")
    assert enforced["network isolation"] == (tier != "none")
    assert not sandbox.enforced(small(tier, network=True))["network isolation"]
    assert enforced["process limit"] == (enforced["separate uid"] or os.geteuid() != 0)
    if tier == "bwrap" and os.geteuid() == 0:
        assert enforced["separate uid"]


def test_a_forced_tier_caps_auto_and_a_bad_one_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv(sandbox.FORCE_ENV, "none")
    if sandbox.machine.runs_as_root("none"):
        with pytest.raises(SandboxError, match=r"^refusing to grade as root in the 'none' tier"):
            sandbox.describe()
    else:
        assert sandbox.describe()["isolation"] == "none"
    assert sandbox.describe(Limits(isolation=TIERS[0]))["isolation"] == TIERS[0]  # named: kept
    monkeypatch.setenv(sandbox.FORCE_ENV, "docker")
    with pytest.raises(SandboxError, match=r"^BACKPROP_SANDBOX_ISOLATION='docker' is not a tier: "
                                           r"use one of bwrap, unshare, none, or unset it$"):
        sandbox.describe()


def test_the_command_line_prints_what_is_enforced_and_the_weaker_tiers():
    """`python -m backprop_course.autograder.sandbox` for people, `--weaker-tiers` for `make test-tiers`. Each
    output is checked against itself (a machine may change between two probes, under load)."""
    import subprocess

    def run(*args):
        return subprocess.run([sys.executable, "-m", "backprop_course.autograder.sandbox", *args],
                              capture_output=True, text=True, timeout=120)

    weaker = run("--weaker-tiers")
    assert weaker.returncode == 0
    assert all(tier in sandbox.ISOLATIONS[2:] for tier in weaker.stdout.split())
    assert weaker.stdout.split() == sorted(weaker.stdout.split(), key=sandbox.ISOLATIONS.index)
    shown = run()
    if shown.returncode != 0:  # a root grader that can only run kernels as root: refused, one line
        assert shown.stdout == "" and shown.stderr.startswith("backprop_course.autograder.sandbox: refusing")
        return
    lines = dict(line.strip().split(": ", 1) for line in shown.stdout.splitlines()[:-1])
    assert set(sandbox.enforced()) <= set(lines)
    missing = [name for name in sandbox.enforced() if lines[name] == "NOT enforced"]
    last = shown.stdout.splitlines()[-1]
    if last == "strong isolation: nothing to fix":
        assert "filesystem isolation" not in missing
    else:
        assert last.startswith(f"warning: weak grading sandbox ({lines['isolation']}; not enforced: ")
        named = last.split("not enforced: ", 1)[1].split("); fix: ")[0].split(", ")
        # every protection the same run printed as not enforced (network: when it is blocked)
        assert set(named) == set(missing)


@pytest.mark.skipif(os.geteuid() != 0, reason="a grader that is not root never runs kernels as root")
@pytest.mark.parametrize("uid_drop", [True, False], ids=["python-reachable", "python-in-0700-home"])
def test_root_never_runs_kernels_as_root(work, monkeypatch, uid_drop):
    """Without bubblewrap a root grader drops to a sandbox uid, or refuses naming the fix; both
    cases on any root machine (the probe's answer is replaced by the other one in turn)."""
    found = {**sandbox.available(), "uid_drop": uid_drop and sandbox.available()["uid_drop"]}
    monkeypatch.setattr(sandbox.machine, "available", lambda: found)
    for tier in ("unshare", "none"):
        if tier != "none" and not found[tier]:
            continue
        if not found["uid_drop"]:
            with pytest.raises(SandboxError, match=r"^refusing to grade as root in the '%s' tier: "
                               r"kernels would run as root, because .*; fix: install bubblewrap "
                               r"\(apt-get install bubblewrap\), or use a Python that other users "
                               r"can run .*, or grade as a non-root user$" % tier):
                sandbox.Sandbox(work, small(tier))
            assert tier not in sandbox.working_tiers()
        else:
            with sandbox.Sandbox(work, small(tier)) as box:
                assert box.uid is not None and box.uid >= sandbox.UID_BASE


def test_weak_isolation_gets_a_one_line_warning_naming_the_fix(tier, monkeypatch):
    monkeypatch.setenv(sandbox.FORCE_ENV, tier)
    enforced = sandbox.enforced()
    weak = not enforced["filesystem isolation"] or (os.geteuid() == 0 and not enforced["separate uid"])
    warning = sandbox.weak_isolation_warning()
    if not weak:
        assert warning is None
        return
    assert warning.startswith(f"warning: weak grading sandbox ({tier}; not enforced: ")
    assert "\n" not in warning
    for protection, held in enforced.items():  # every protection not enforced is named
        assert (protection in warning) == (not held), protection
    if tier != sandbox.working_tiers()[0]:  # forced below what works here: the fix is to stop
        assert warning.endswith(f"fix: unset {sandbox.FORCE_ENV} (it forces {tier!r}; "
                                f"{sandbox.working_tiers()[0]!r} works here)")
    elif not shutil.which("bwrap"):
        assert warning.endswith("fix: install bubblewrap: apt-get install bubblewrap")


def test_a_plain_run_succeeds_and_returns_its_output(tier, work):
    outcome = run_limited(python("import os; print('hello', sorted(os.listdir('.')))"), work,
                          small(tier))
    assert outcome.ok and outcome.reason == "ok"
    assert outcome.stdout_tail == "hello []\n"
    assert not outcome.timed_out and outcome.killed_by_signal is None


def test_the_working_copy_is_writable_and_stays_owned_by_its_owner(tier, work):
    outcome = run_limited(python("open('out.txt', 'w').write('x')"), work, small(tier))
    assert outcome.ok, outcome
    written = work / "out.txt"
    assert written.read_text() == "x"
    assert written.stat().st_uid == work.stat().st_uid == os.getuid()


def test_exit_status_is_reported(tier, work):
    outcome = run_limited(python("import sys; sys.exit(3)"), work, small(tier))
    assert (outcome.returncode, outcome.reason) == (3, "exit status 3")


def test_wall_clock_limit_kills_a_sleeper(tier, work):
    outcome = run_limited(python("import time; time.sleep(60)"), work, small(tier, wall_seconds=1))
    assert outcome.timed_out
    assert outcome.reason == "wall-clock limit of 1 s reached; the run was killed"


def test_cpu_limit_stops_an_infinite_loop(tier, work):
    outcome = run_limited(python("while True: pass"), work, small(tier, cpu_seconds=1))
    assert not outcome.timed_out
    assert outcome.killed_by_signal == "SIGXCPU"
    assert outcome.reason == "CPU limit of 1 s reached"


def test_memory_limit_turns_a_memory_bomb_into_memory_error(tier, work):
    outcome = run_limited(python("x = bytearray(3_000_000_000)"), work, small(tier, memory_mb=512))
    assert outcome.returncode == 1 and "MemoryError" in outcome.stderr_tail
    assert outcome.reason.startswith("memory limit of 512 MB reached")


def test_file_size_limit_stops_a_huge_file_and_an_output_flood(tier, work):
    big = run_limited(python("open('big', 'wb').write(b'x' * 20_000_000)"), work, small(tier))
    assert big.reason == "wrote a file larger than the 5 MB limit"
    assert (work / "big").stat().st_size == 5 * 1024 * 1024
    flood = run_limited(python("import sys\nwhile True: sys.stdout.write('y' * 100_000)"), work,
                        small(tier))
    assert flood.reason == "wrote a file larger than the 5 MB limit"
    assert len(flood.stdout_tail) == sandbox.TAIL_BYTES and set(flood.stdout_tail) == {"y"}


@pytest.mark.parametrize("launch", ["launch_prefix", "preexec_fn"])
def test_both_launches_set_the_process_up_alike(tier, work, launch, monkeypatch):
    """Sandbox.launcher: setpriv, prlimit and env in front of the command, or a preexec_fn where
    they are missing; either way the sandboxed process starts with the sandbox's rlimits, umask
    077 and SIGINT ignored."""
    import resource

    if launch == "launch_prefix" and not sandbox.available()["launch_prefix"]:
        pytest.skip("setpriv, prlimit or env (coreutils 8.31+) missing here: launch uses preexec_fn")
    monkeypatch.setitem(sandbox.available(), "launch_prefix", launch == "launch_prefix")
    limits = small(tier, cpu_seconds=7, memory_mb=900, file_mb=3)
    names = {getattr(resource, name): name for name in dir(resource) if name.startswith("RLIMIT_")}
    with sandbox.Sandbox(work, limits) as box:
        prefix, keywords = box.launcher()
        # RLIMIT_NPROC of a non-root grader counts its tasks at each launch: compared apart
        expected = {names[which]: list(value) for which, value in box.rlimits()}
    assert ("preexec_fn" in keywords) == (launch == "preexec_fn")
    assert (prefix[:1] == [shutil.which("setpriv")]) == (launch == "launch_prefix")
    report = ("import json, os, resource, signal\n"
              f"limits = {{name: resource.getrlimit(getattr(resource, name)) for name in {sorted(expected)!r}}}\n"
              "print(json.dumps(limits))\n"
              "print(oct(os.umask(0)), signal.getsignal(signal.SIGINT) is signal.SIG_IGN)")
    outcome = run_limited(python(report), work, limits)
    assert outcome.ok, outcome
    seen, rest = outcome.stdout_tail.splitlines()
    seen = json.loads(seen)
    nproc = seen.pop("RLIMIT_NPROC", None), expected.pop("RLIMIT_NPROC", None)
    assert seen == expected
    assert nproc[0] is None or (nproc[0][0] == nproc[0][1] != resource.RLIM_INFINITY)
    assert rest == "0o77 True"


@needs_posix
def test_a_launch_whose_starter_is_no_longer_its_parent_runs_nothing(tmp_path):
    """The launch prefix goes on past setpriv only while the process that built it is still the
    launched process's parent: a grader killed before setpriv armed the parent-death signal
    leaves the launch to another parent, and nothing of the sandbox runs."""
    from backprop_course.autograder.sandbox.prefixes import launch_prefix

    if not sandbox.available()["launch_prefix"]:
        pytest.skip("setpriv, sh, prlimit or env (coreutils 8.31+) missing here: launch uses preexec_fn")
    mark = tmp_path / "ran"
    command = launch_prefix([]) + [shutil.which("touch"), str(mark)]
    subprocess.run(command, check=True)  # started by the process that built it: it runs
    assert mark.exists()
    mark.unlink()
    # started by another process, as the orphaned launch of a dead grader has another parent
    adopted = subprocess.run([sys.executable, "-c", "import subprocess, sys\n"
                              "sys.exit(subprocess.run(sys.argv[1:]).returncode)", *command])
    assert adopted.returncode != 0 and not mark.exists()


def test_segfault_is_reported_as_a_crash(tier, work):
    outcome = run_limited(python("import ctypes; ctypes.string_at(0)"), work, small(tier))
    assert outcome.killed_by_signal == "SIGSEGV"
    assert outcome.reason == "crashed (segfault) (SIGSEGV)"


FORKS = """
import os, resource, time
limit = resource.getrlimit(resource.RLIMIT_NPROC)[0]
print('limit', limit)
most = 100 if limit == resource.RLIM_INFINITY else min(max(100, limit + 10), 1000)
children = 0
try:
    for _ in range(most):  # bounded: sleeping children, all killed with the sandbox
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as err:
    print('refused after', children, err.errno)
print('children', children)
"""


def test_process_limit_bounds_a_fork_bomb_where_enforced(tier, work):
    outcome = run_limited(python(FORKS), work, small(tier, processes=16))
    if sandbox.enforced(small(tier))["process limit"]:
        assert "refused after" in outcome.stdout_tail
        children = int(outcome.stdout_tail.split()[-1])
        # A sandbox uid gets 16 tasks. A grader's own uid gets 16 per sandbox alive (another
        # test's kernel, in a parallel run) on top of its tasks at the start: the limit the
        # process was given, which it reports, bounds the bomb.
        limit = int(outcome.stdout_tail.split("limit ", 1)[1].split()[0])
        assert children < limit
        with sandbox.Sandbox(work, small(tier)) as box:
            assert limit == 16 or box.uid is None
    else:  # root without a sandbox uid: RLIMIT_NPROC does not apply, as describe() says
        assert "not enforced" in sandbox.describe(small(tier))["user"]
        assert outcome.stdout_tail.endswith("children 100\n")


def _processes_with(marker):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to look for leftovers")
def test_nothing_outlives_the_run(tier, work):
    """A child in the process group dies with the run; one that left the group with setsid only
    where a pid namespace (or a sandbox uid) holds it."""
    marker = f"leftover-{os.getpid()}-{tier}"
    sleeper = f"[sys.executable, '-c', 'import time; time.sleep(600)', '{marker}-%s']"
    code = (f"import subprocess, sys\nsubprocess.Popen({sleeper % 'group'})\n"
            f"subprocess.Popen({sleeper % 'setsid'}, start_new_session=True)\nprint('ok')")
    outcome = run_limited(python(code), work, small(tier))
    assert outcome.stdout_tail == "ok\n"
    time.sleep(0.2)
    assert _processes_with(f"{marker}-group") == []
    escaped = _processes_with(f"{marker}-setsid")
    try:
        if sandbox.enforced(small(tier))["escaped processes killed"]:
            assert escaped == []
        else:
            assert len(escaped) == 1  # the documented gap of the last fallback, cleaned up here
    finally:
        for pid in escaped:
            os.kill(pid, 9)


@pytest.fixture
def listener():
    """A TCP server on 127.0.0.1 standing in for 'the network' (no outside traffic needed)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()
    for conn in accepted:
        conn.close()


CONNECT = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
           "    print('connected')\nexcept OSError as err:\n    print('refused', err.errno)")


def test_network_is_cut_off_where_a_namespace_exists(tier, work, listener):
    outcome = run_limited(python(CONNECT.format(port=listener)), work, small(tier))
    if tier == "none":
        assert outcome.stdout_tail == "connected\n"  # documented: no namespace, no blocking
    else:
        assert outcome.stdout_tail.startswith("refused")
    allowed = run_limited(python(CONNECT.format(port=listener)), work, small(tier, network=True))
    if tier != "bwrap":  # bwrap with network keeps the host's loopback too
        assert allowed.stdout_tail == "connected\n"


def test_course_secrets_are_invisible_only_under_bwrap(tier, tmp_path, work):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "gradebook.db").write_text("grades")
    code = (f"import os\nprint(os.path.exists({str(course / 'gradebook.db')!r}), "
            f"os.path.exists({str(Path(sandbox.__file__).parent)!r}))\n"
            f"try:\n    open({str(course / 'planted.txt')!r}, 'w')\n    print('wrote')\n"
            "except OSError as err:\n    print('refused')")
    outcome = run_limited(python(code), work, small(tier))
    if tier == "bwrap":
        assert outcome.stdout_tail == "False False\nrefused\n"
        assert not (course / "planted.txt").exists()
    else:
        assert "file permissions" in sandbox.describe(small(tier))["filesystem"]
        assert outcome.stdout_tail.startswith("True True")
    (course / "planted.txt").unlink(missing_ok=True)


def test_environment_is_filtered(tier, work, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    code = "import os; print(sorted(k for k in os.environ if k in ('NBGRADER_EXECUTION', 'SECRET_TOKEN', 'KEEP_ME')))"
    outcome = run_limited(python(code), work, small(tier), env={**os.environ, "KEEP_ME": "1"},
                          keep_env=("KEEP_ME",))
    assert outcome.stdout_tail == "['KEEP_ME']\n"


def test_missing_working_copy_and_unknown_tier_give_one_line_errors(tmp_path):
    with pytest.raises(SandboxError, match="does not exist: make the working copy first"):
        run_limited(python("pass"), tmp_path / "nope", small("none"))


def test_working_copy_skips_symlinks(tmp_path):
    src = tmp_path / "submitted" / "lesson"
    src.mkdir(parents=True)
    (src / "a.py").write_text("x = 1\n")
    (tmp_path / "gradebook.db").write_text("secret")
    os.symlink(tmp_path / "gradebook.db", src / "grades")
    with sandbox.working_copy(src) as copy:
        assert sorted(p.name for p in copy.iterdir()) == ["a.py"]
        # reachable by its sandbox uid, not listable by another one
        assert copy.parent.stat().st_mode & 0o777 == 0o711
    assert not copy.exists()


@pytest.fixture
def open_base():
    """A world-searchable folder of our own in /tmp (pytest's tmp_path sits below a 0700 one)."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="sandbox-test-", dir="/tmp"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base)


def test_private_temp_folders_above_a_working_copy_become_passable(open_base, monkeypatch):
    """Outside bwrap a dropped uid must walk to its working copy: 0700 temp folders (what
    tempfile.mkdtemp makes) get search permission only; a folder outside the temp folder is
    refused with a one-line error."""
    import tempfile

    tmp_path = open_base
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    private = Path(tempfile.mkdtemp())
    (private / "lesson").mkdir()
    check_reachable(private / "lesson")
    assert private.stat().st_mode & 0o777 == 0o701
    outside = tmp_path / "course"
    outside.mkdir(mode=0o700)
    (outside / "lesson").mkdir()
    with pytest.raises(SandboxError, match="cannot reach .*grade from sandbox.working_copy"):
        check_reachable(outside / "lesson")
    assert outside.stat().st_mode & 0o777 == 0o700


def test_parallel_sandboxes_get_distinct_uids(work, tmp_path):
    tier = "bwrap" if "bwrap" in TIERS else TIERS[0]
    if os.geteuid() != 0 or (tier != "bwrap" and not sandbox.available()["uid_drop"]):
        pytest.skip("sandbox uids are leased only by a root grader that can drop to them")
    other = tmp_path / "other"
    other.mkdir()
    with sandbox.Sandbox(work, small(tier)) as one, sandbox.Sandbox(other, small(tier)) as two:
        assert one.uid != two.uid
        assert sandbox.UID_BASE <= min(one.uid, two.uid)
        assert work.stat().st_uid == one.uid
    assert work.stat().st_uid == os.getuid()


def test_a_folder_holding_more_than_a_submission_is_never_handed_to_a_sandbox_uid(tmp_path, monkeypatch):
    import tempfile

    from backprop_course.autograder.sandbox.machine import can_setuid

    tier = "bwrap" if "bwrap" in TIERS else "none"
    if not can_setuid() or (tier != "bwrap" and not sandbox.available()["uid_drop"]):
        pytest.skip("only a root grader hands working copies to sandbox uids")
    from backprop_course.autograder.sandbox.box import check_handable

    for protected in ("/", "/etc", sys.prefix, Path.home(), tempfile.gettempdir()):
        with pytest.raises(SandboxError, match="holds more than a submission"):
            check_handable(Path(protected).resolve())  # the check alone: nothing is touched
    check_handable((tmp_path / "course" / "autograded" / "s1" / "lesson").resolve())  # nbgrader's own
    # A temp folder made a subfolder: the folder holding it is what a mistaken path hands over,
    # at no risk should the guard ever break.
    (tmp_path / "temp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    with pytest.raises(SandboxError, match="holds more than a submission"):
        sandbox.Sandbox(tmp_path, small(tier)).__enter__()
    assert tmp_path.stat().st_uid == os.getuid()


def test_the_course_content_inside_the_installed_machinery_is_hidden_under_bwrap(tmp_path, work, monkeypatch):
    """An installed wheel keeps the reference library and the source notebooks (hidden tests) in
    backprop_course/content, inside the machinery a kernel gets: bwrap covers that folder."""
    if "bwrap" not in TIERS:
        pytest.skip("bubblewrap does not work here")
    from backprop_course.autograder.sandbox import prefixes

    package = tmp_path / "package"
    (package / "content" / "solutions").mkdir(parents=True)
    (package / "content" / "solutions" / "layers.py").write_text("reference")
    (package / "checks.py").write_text("machinery")
    monkeypatch.setattr(prefixes, "hidden_content_path", lambda: str(package / "content"))
    code = (f"import os\nprint(sorted(os.listdir({str(package)!r})), "
            f"os.listdir({str(package / 'content')!r}))")
    outcome = run_limited(python(code), work, small("bwrap"), readonly=[package])
    assert outcome.stdout_tail == "['checks.py', 'content'] []\n", outcome


def test_an_interpreter_reached_through_a_link_outside_the_binds_runs_under_bwrap(tmp_path, monkeypatch):
    """A venv whose python links to a launcher in a folder nothing binds (a venv made with
    ~/tools/python3, linuxbrew's bin/python3): the links are made again inside, the folder is not
    bound."""
    from backprop_course.autograder.sandbox import prefixes

    if "bwrap" not in TIERS:
        pytest.skip("no bubblewrap tier here")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "secret.txt").write_text("not for students")
    (tmp_path / "tools" / "python3").symlink_to(os.path.realpath(sys.executable))
    (tmp_path / "env" / "bin").mkdir(parents=True)
    (tmp_path / "env" / "bin" / "python").symlink_to(tmp_path / "tools" / "python3")
    monkeypatch.setattr(prefixes.sys, "executable", str(tmp_path / "env" / "bin" / "python"))
    command = prefixes.bwrap_prefix("/", [str(tmp_path / "env")], [], False, None) + [
        str(tmp_path / "env" / "bin" / "python"), "-c",
        f"import os; print(os.path.exists({str(tmp_path / 'tools' / 'secret.txt')!r}))"]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "False\n", "")
