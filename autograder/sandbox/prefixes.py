"""The command prefixes that put a program into each isolation tier: bubblewrap, util-linux
``unshare``, and ``setpriv`` for running as a sandbox uid."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

# System directories the sandboxed process needs to run Python (bound read-only in bwrap).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Installed packages a sandboxed kernel imports that may live outside the Python installation (an
# editable install keeps them in the checkout): the course machinery, never the student library.
MACHINERY = ("backprop_course",)
# Inside the machinery, the course content (reference library, source notebooks with hidden tests;
# real folders in an installed wheel): covered by an empty folder in bwrap.
HIDDEN_CONTENT = "backprop_course.content"


def machinery_paths():
    """The folders of the MACHINERY packages as installed (found without importing them)."""
    found = []
    for name in MACHINERY:
        spec = importlib.util.find_spec(name)
        found += list(spec.submodule_search_locations or []) if spec else []
    return [os.path.realpath(path) for path in found]


def hidden_content_path():
    """The real path of the installed course content (found without importing it), or None."""
    spec = importlib.util.find_spec(HIDDEN_CONTENT)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return os.path.realpath(locations[0]) if locations else None


def within(path, tops):
    """Whether ``path`` is one of the folders ``tops`` or lies inside one."""
    return any(path == top or path.startswith(top.rstrip("/") + "/") for top in tops)


def python_paths():
    """Directories holding the running Python (venv and base installation) and the MACHINERY
    packages installed in it, real paths."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).parent), *machinery_paths()}
    paths |= {os.path.realpath(p) for p in list(paths)}
    paths.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    keep = sorted(p for p in paths if os.path.isdir(p))
    # Drop paths inside other kept paths and those under a system dir that is bound anyway.
    return [p for p in keep
            if not within(p, [q for q in keep if q != p]) and not within(p, SYSTEM_DIRS)]


def interpreter_links(bound):
    """[(target, link)]: each symbolic link on the way from ``sys.executable`` to the interpreter
    that lies outside the folders ``bound`` (and the system dirs), e.g. a venv's python ->
    ~/tools/python3 -> /usr/bin/python3.11. Made again inside bwrap (``--symlink``), without
    binding the folder that holds the link: otherwise the sandboxed exec fails (no such file)."""
    links, path = [], os.path.abspath(sys.executable)
    for _ in range(40):  # the kernel's own bound on a chain of links
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        if not within(path, (*bound, *SYSTEM_DIRS)):
            links.append((target, path))
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    return links


def bwrap_prefix(chdir, readonly, writable, network, uid):
    args = ["bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox"]
    if not network:
        args.append("--unshare-net")
    for top in SYSTEM_DIRS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
             "--perms", "1777", "--tmpfs", "/var/tmp"]
    binds = ([("--ro-bind", path) for path in python_paths() + [os.path.realpath(p) for p in readonly]]
             + [("--bind", os.path.realpath(path)) for path in writable])
    links = interpreter_links([path for _, path in binds])
    # bwrap creates missing parents of a bind point as 0700 directories, which a dropped uid could
    # not walk through (/root/.pyenv/...): create them 0755 first.
    parents = sorted({str(parent) for path in [path for _, path in binds] + [link for _, link in links]
                      for parent in Path(path).parents
                      if str(parent) not in ("/", "/tmp", "/var/tmp") and not within(str(parent), SYSTEM_DIRS)},
                     key=len)
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    for kind, path in binds:
        args += [kind, path, path]
    for target, link in links:
        args += ["--symlink", target, link]
    content = hidden_content_path()
    if content and any(content.startswith(path.rstrip("/") + "/") for _, path in binds):
        args += ["--tmpfs", content]
    # ipykernel exits at once when JPY_PARENT_PID (the grader's pid, outside the pid namespace)
    # does not match its parent; the sandbox dies with the grader anyway (--die-with-parent).
    args += ["--chdir", os.path.realpath(chdir), "--unsetenv", "JPY_PARENT_PID", "--"]
    return args + (setpriv_prefix(uid) if uid is not None else [])


def unshare_prefix(uid, network=False):
    # --kill-child: when unshare dies (killed at the wall limit), the whole pid namespace goes.
    # A shell is pid 1 there and runs the command as its child: pid 1 would ignore SIGXCPU, and
    # util-linux 2.38's unshare fails ("sigprocmask unblock failed") to pass on a child's death by
    # signal, while sh reports it as exit status 128 + signal. Without JPY_PARENT_PID ipykernel does
    # not take "my parent is pid 1" for "orphaned".
    args = ["unshare", "--pid", "--fork", "--kill-child"] + ([] if network else ["--net"])
    return args + ["--"] + (setpriv_prefix(uid) if uid is not None else []) + [
        "env", "-u", "JPY_PARENT_PID", "sh", "-c", '"$@"; exit $?', "sandbox"]


def setpriv_prefix(uid):
    # A change of uid clears the parent-death signal the child was given (Sandbox.preexec):
    # setpriv sets it again after the change, so the sandboxed process still dies with its parent.
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--pdeathsig=SIGKILL",
            "--"]


# prlimit's option for each rlimit a sandbox sets (Sandbox.rlimits)
PRLIMIT_OPTIONS = {"RLIMIT_CPU": "cpu", "RLIMIT_FSIZE": "fsize", "RLIMIT_NOFILE": "nofile",
                   "RLIMIT_CORE": "core", "RLIMIT_AS": "as", "RLIMIT_NPROC": "nproc"}


# Run by sh right after setpriv armed the parent-death signal: a parent that died before (the
# signal then never comes) left the process to another parent, so it goes no further. $0 is the
# pid of the process that started it.
STILL_ITS_CHILD = '[ "$PPID" = "$0" ] && exec "$@"'


def launch_prefix(rlimits):
    """The programs that set a sandboxed process up before it runs what it runs, in place of a
    ``preexec_fn`` (see ``Sandbox.launcher``): util-linux's setpriv arms the parent-death signal
    first, sh goes on only if the process that started it (this one) is still its parent
    (STILL_ITS_CHILD), util-linux's prlimit sets ``rlimits`` ([(resource, (soft, hard)), ...])
    and coreutils' env (8.31+) ignores SIGINT; each execs the next, so the process keeps its pid.
    For a Popen in this process only. None when one of them is not installed
    (``machine.available()["launch_prefix"]`` says whether they also work)."""
    import resource

    tools = [shutil.which(name) for name in ("setpriv", "sh", "prlimit", "env")]
    if None in tools:
        return None
    setpriv, sh, prlimit, env = tools
    names = {getattr(resource, name): option for name, option in PRLIMIT_OPTIONS.items()
             if hasattr(resource, name)}
    limits = [f"--{names[which]}={soft}:{hard}" for which, (soft, hard) in rlimits]
    return [setpriv, "--pdeathsig=SIGKILL", "--", sh, "-c", STILL_ITS_CHILD, str(os.getpid()), prlimit,
            *limits, "--", env, "--ignore-signal=INT", "--"]
