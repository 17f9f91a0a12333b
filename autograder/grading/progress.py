"""What a run shows: a progress line while it grades, and a summary table at the end with each
submission's kernel CPU seconds per phase (kernel start, imports, tests)."""

import statistics
import sys
import time

from .kernel_cpu import PHASES


class Progress:
    """A one-line progress bar on a terminal; one line per submission otherwise (logs, CI)."""

    def __init__(self, total, label, stream=sys.stderr):
        self.total, self.label, self.stream = total, label, stream
        self.done, self.problems, self.start = 0, 0, time.monotonic()
        self.tty = stream.isatty()

    def update(self, row):
        self.done += 1
        self.problems += row["outcome"] != "graded"
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / max(self.total, 1))
        bar = "#" * filled + "-" * (30 - filled)
        line = (f"{self.label} [{bar}] {self.done}/{self.total}  {self.problems} not cleanly graded  "
                f"{elapsed:.0f}s elapsed, ~{eta:.0f}s left")
        if self.tty:
            self.stream.write("\r" + line + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(f"{line}  ({row['student']}: {row['outcome']})\n")
        self.stream.flush()


def _phases(row):
    return " ".join(f"{row['cpu'].get(phase, 0):5.2f}" for phase in PHASES) if row.get("cpu") else " " * 17


def cpu_totals(rows):
    """{phase: (total, median)} over the rows graded in this run, and the clock ("cpu"/"wall"),
    or ({}, None) when no row has a measurement (all skipped or not gradable)."""
    measured = [row["cpu"] for row in rows if row.get("cpu") and row["outcome"] != "skipped"]
    if not measured:
        return {}, None
    return ({phase: (sum(cpu.get(phase, 0) for cpu in measured),
                     statistics.median(cpu.get(phase, 0) for cpu in measured)) for phase in PHASES},
            measured[0].get("clock", "cpu"))


def summary_table(rows):
    """The end-of-run table: one line per submission (seconds, then the kernel's seconds in kernel
    start / imports / tests), then counts and the per-phase totals and medians."""
    lines = [f"{'student':<22} {'outcome':<13} {'score':>11} {'seconds':>8}  {'start imprt tests':<17}  flags / reason"]
    for row in rows:
        score = "-" if row["score"] is None else f"{row['score']:g}/{row['max_score']:g}"
        note = "; ".join([*row.get("flags", []), row.get("reason", "")]).strip("; ")
        lines.append(f"{row['student']:<22} {row['outcome']:<13} {score:>11} {row['seconds']:>8.1f}  "
                     f"{_phases(row)}  {note[:70]}")
    counts = {}
    for row in rows:
        counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
    lines.append(", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())))
    totals, clock = cpu_totals(rows)
    if totals:
        what = "kernel CPU s" if clock == "cpu" else "wall s (no /proc: kernel CPU not measurable here)"
        lines.append(f"{what}: " + ", ".join(f"{phase} {total:.1f} (median {median:.2f})"
                                             for phase, (total, median) in totals.items()))
    return "\n".join(lines)
