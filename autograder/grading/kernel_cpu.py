"""CPU seconds a grading kernel spends in each phase: kernel start, imports, tests.

Read from ``/proc/<pid>/stat`` (utime + stime, and cutime + cstime of children already waited
for) of every process in the kernel's process group: the kernel runs in its own session, and the
sandbox's bwrap or unshare is its leader, with the Python kernel a child. Where there is no /proc
(macOS) the phases are measured in wall seconds instead, and ``clock`` says so.
"""

import os
import time
from pathlib import Path

PHASES = ("kernel start", "imports", "tests")
PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _group_pids(pgid):
    """The pids of process group ``pgid``: the leader and its descendants in the group, read
    from /proc/<pid>/task/<tid>/children (a few files, where one pass over /proc reads every
    process of the machine); that pass where the kernel offers no children files."""
    leader = PROC / str(pgid) / "task" / str(pgid) / "children"
    if not leader.exists():
        return [entry.name for entry in PROC.iterdir()
                if entry.name.isdigit() and _in_group(entry.name, pgid)]
    pids, todo = [], [str(pgid)]
    while todo:
        pid = todo.pop()
        if not _in_group(pid, pgid):
            continue
        pids.append(pid)
        try:
            for task in (PROC / pid / "task").iterdir():
                todo += (task / "children").read_text().split()
        except OSError:  # gone meanwhile
            pass
    return pids


def _in_group(pid, pgid):
    fields = _stat_fields(pid)
    return bool(fields) and int(fields[2]) == pgid


def _stat_fields(pid):
    """Fields of /proc/<pid>/stat after the command name (state is [0]); [] once it is gone."""
    try:
        text = (PROC / pid / "stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[1].split()


class KernelClock:
    """Phase boundaries of one kernel: ``start(pgid)`` once the kernel answers, then ``mark()``
    whenever a phase may end; ``phases(...)`` splits the readings into PHASES."""

    def __init__(self):
        self.clock = "cpu" if PROC.is_dir() else "wall"
        self.begin = time.monotonic()
        self.pids = []
        self.readings = {}

    def read(self):
        if self.clock == "wall":
            return time.monotonic() - self.begin
        total = 0
        for pid in self.pids:
            fields = _stat_fields(pid)
            if fields:  # utime stime cutime cstime are stat fields 14-17 (11-14 here)
                total += sum(int(value) for value in fields[11:15])
        return total / TICKS

    def started(self, pgid):
        """The kernel answers: the end of "kernel start"."""
        if self.clock == "cpu" and pgid:
            self.pids = _group_pids(pgid)
        self.readings["kernel start"] = self.read()

    def mark(self, phase):
        self.readings[phase] = self.read()

    def phases(self):
        """{phase: seconds} plus "clock"; a phase never reached counts 0."""
        start = self.readings.get("kernel start", 0.0)
        last = self.readings.get("tests", start)
        imports = self.readings.get("imports", last)  # no test cell reached: all of it was set-up
        tests = max(last, imports)
        split = {"kernel start": start, "imports": imports - start, "tests": tests - imports}
        return {**{name: round(value, 3) for name, value in split.items()}, "clock": self.clock}
