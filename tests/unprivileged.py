"""Running a command as an unprivileged grader, for the tests of a non-root grader.

As a non-root user the tests simply run the command. As root they create (once) the system user
UNPRIVILEGED with useradd and run the command as that user with setpriv. When this Python lives
where that user cannot reach it (pyenv in root's home, mode 0700), the command runs in a
bubblewrap view of this machine whose root home is 0711 with the Python installation bound in:
the same files, reachable as on a machine whose Python other users can run. ``prefix()`` says
why when none of this works (then the test skips outside CI and fails in CI).
"""

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

UNPRIVILEGED = "backprop-grader"


def _ids():
    import pwd

    entry = pwd.getpwnam(UNPRIVILEGED)
    return entry.pw_uid, entry.pw_gid


@functools.lru_cache(maxsize=None)
def prefix():
    """(argv prefix running a command as the unprivileged grader, None) or (None, why not)."""
    if os.geteuid() != 0:
        return [], None
    if not shutil.which("setpriv"):
        return None, "setpriv (util-linux) is missing"
    try:
        _ids()
    except KeyError:
        made = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/false",
                               UNPRIVILEGED], capture_output=True, text=True)
        if made.returncode != 0:
            return None, f"useradd {UNPRIVILEGED} failed: {made.stderr.strip()}"
    uid, gid = _ids()
    drop = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]
    # The same installation must start (where parts of it are unreachable, another Python's
    # standard library may be found), and start a child as this one does.
    check = [sys.executable, "-c", "import subprocess, sys; import backprop_course.autograder.sandbox; "
             f"sys.exit(sys.base_prefix != {sys.base_prefix!r} or subprocess.run("
             "[sys.executable, '-c', '']).returncode)"]
    if subprocess.run(drop + check, cwd="/", capture_output=True).returncode == 0:
        return drop, None
    home = Path.home()
    inside = [path for path in (sys.base_prefix, sys.prefix, os.path.realpath(sys.executable))
              if home in Path(os.path.realpath(path)).parents]
    top = sorted({str(home / Path(os.path.realpath(path)).relative_to(home).parts[0])
                  for path in inside})
    if not shutil.which("bwrap") or not top:
        return None, f"user {UNPRIVILEGED} cannot run {sys.executable} and bubblewrap is missing"
    view = ["bwrap", "--dev-bind", "/", "/", "--perms", "0711", "--tmpfs", str(home)]
    for path in top:
        view += ["--bind", path, path]
    view += ["--"] + drop
    if subprocess.run(view + check, cwd="/", capture_output=True).returncode != 0:
        return None, f"user {UNPRIVILEGED} cannot run {sys.executable}, even with {home} 0711"
    return view, None


def give(path):
    """Hand the folder ``path`` (and everything in it) to the unprivileged grader."""
    if os.geteuid() == 0:
        uid, gid = _ids()
        subprocess.run(["chown", "-R", f"{uid}:{gid}", str(path)], check=True)


def env(home, **extra):
    """The environment of the unprivileged grader's command: this venv's tools on PATH."""
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', os.defpath)}"
    return {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
            **extra}
