"""Autograde N submissions of one lesson: this package with 1 and 2 workers against plain
`nbgrader autograde` on the same course, interleaved, median of R runs; prints a table.

    .venv/bin/python bench/autograde.py [--submissions 40] [--repeats 3] [--lesson 02_linear_layer]

Every run is the whole command as an instructor types it (a fresh process, app start included),
after removing the previous run's autograded/ and results, so each grades all N submissions.
The submissions cycle through the sample class (correct, alternative and buggy libraries).
This package's runs include what plain nbgrader does not do: the sandbox (backprop_course.autograder.sandbox:
rlimits and bubblewrap where available) and the integrity scan and canaries. Every command runs
with BLAS pinned to one thread (as the sandbox pins it for our kernels).

Per-submission overhead = one worker's time per submission minus the notebook's own execution
in an already running kernel; the goal is at most one kernel start + 1 s. For this package's runs
the table also shows the grading kernel's own CPU seconds per submission (median over the
submissions of all runs) split into kernel start, imports (the cells before the first test) and
tests, as recorded in grading/<lesson>/<student>.json; the load average is printed with it. A
forked kernel (root with bubblewrap: backprop_course.autograder.sandbox.zygote) counts from its fork: the zygote's
one import of ipykernel and numpy per batch is in the total time, not in these columns.
The last column is the CPU every core of the machine spent busy during each command (/proc/stat,
median): all its processes, kernels and sandboxes included, so it also counts whatever else runs
meanwhile (measure on a quiet machine).
bench/autograde_profile.py splits one submission's time further (driver, worker, each step).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def build_course(folder, lesson, count):
    from backprop_course.autograder import nbgrader_course, sample_class

    nbgrader_course.init_course(folder, [lesson])
    nbgrader_course.release(folder, lesson)
    students = [sample_class.STUDENTS[i % len(sample_class.STUDENTS)] for i in range(count)]
    distinct = list({student.name: student for student in students}.values())
    sample_class.submit(folder, lesson, students=distinct)
    # Copy each sample student to as many IDs as needed: s00_correct, s01_einsum, ...
    submitted = folder / "submitted"
    for i, student in enumerate(students):
        shutil.copytree(submitted / student.name, submitted / f"s{i:02d}_{student.name}")
    for student in distinct:
        shutil.rmtree(submitted / student.name)


def reset(folder):
    for part in ("autograded", "grading"):
        shutil.rmtree(folder / part, ignore_errors=True)


def machine_busy_seconds():
    """CPU seconds every core of the machine has spent busy so far (user, nice, system, irq and
    softirq in /proc/stat): around a run, what all its processes used (kernels forked by a zygote,
    threads, sandboxes included), as well as anything else running then. None without /proc."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run(command, folder, lesson):
    """(wall seconds, submissions left without an autograded notebook, the machine's busy CPU
    seconds meanwhile or None). Plain nbgrader exits 1 when it fails on some students (the
    deleted-test-cell ones: its KeyError) and grades the rest."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **ONE_THREAD}
    busy = machine_busy_seconds()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = machine_busy_seconds()
    submitted = list((folder / "submitted").glob(f"*/{lesson}"))
    missing = [path for path in submitted
               if not (folder / "autograded" / path.parent.name / lesson / f"{lesson}.ipynb").exists()]
    if done.returncode != 0 and len(missing) == len(submitted):
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{done.stderr[-2000:]}")
    return seconds, len(missing), None if busy is None or after is None else after - busy


def kernel_phases(folder, lesson):
    """[{phase: seconds, "clock": ...}] of each submission the last run recorded."""
    rows = [json.loads(path.read_text()) for path in (folder / "grading" / lesson).glob("*.json")]
    return [row["cpu"] for row in rows if row.get("cpu")]


def kernel_and_execution(folder, lesson):
    """(kernel start + shutdown seconds, notebook execution seconds in a running kernel), medians."""
    import nbformat
    from jupyter_client.manager import start_new_kernel
    from nbclient import NotebookClient

    from backprop_course.autograder.grading import DEMO_TAG

    path = next((folder / "submitted").glob(f"*_correct/{lesson}/{lesson}.ipynb"))
    starts, runs = [], []
    for _ in range(3):
        begin = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3", cwd=str(path.parent))
        starts.append(time.perf_counter() - begin)
        client = NotebookClient(nbformat.read(path, as_version=4), km=km, kc=kc, allow_errors=True,
                                resources={"metadata": {"path": str(path.parent)}})
        client.kc = kc
        begin = time.perf_counter()
        for index, cell in enumerate(client.nb.cells):
            if DEMO_TAG not in cell.metadata.get("tags", []):  # as grading skips them
                client.execute_cell(cell, index)
        runs.append(time.perf_counter() - begin)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(starts), statistics.median(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lesson", default="02_linear_layer")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        folder = Path(tmp) / "course"
        build_course(folder, args.lesson, args.submissions)
        commands = {
            "plain nbgrader autograde": [BIN / "nbgrader", "autograde", args.lesson, "--force"],
            "backprop-course, 1 worker": [BIN / "backprop-course", "autograde", args.lesson,
                                          "--course", folder, "--workers", "1", "--force"],
            "backprop-course, 2 workers": [BIN / "backprop-course", "autograde", args.lesson,
                                           "--course", folder, "--workers", "2", "--force"],
        }
        times = {name: [] for name in commands}
        busy = {name: [] for name in commands}
        phases = {name: [] for name in commands}
        ungraded = {}
        load_before = os.getloadavg()
        for repeat in range(args.repeats):
            for name, command in commands.items():  # interleaved: drifts in load hit all alike
                reset(folder)
                seconds, ungraded[name], cpu = run(command, folder, args.lesson)
                times[name].append(seconds)
                if cpu is not None:
                    busy[name].append(cpu)
                if name.startswith("backprop-course"):
                    phases[name] += kernel_phases(folder, args.lesson)
                print(f"  run {repeat + 1}: {name}: {seconds:.1f} s", file=sys.stderr)
        kernel, execution = kernel_and_execution(folder, args.lesson)

    base = statistics.median(times["plain nbgrader autograde"])
    load = ", ".join(f"{value:.1f}" for value in (*load_before, *os.getloadavg()[:1]))
    print(f"\nautograde {args.submissions} submissions of {args.lesson}, median of {args.repeats} "
          f"(interleaved), {os.cpu_count()} cores, load average before (1, 5, 15 min) and after: {load}\n")
    clock = next((cpu["clock"] for runs in phases.values() for cpu in runs), "cpu")
    heading = f"kernel {clock} s: start / imports / tests"
    print(f"| {'command':<28} | {'total s':>8} | {'s / submission':>14} | {'speed-up':>8} | {'not graded':>10} "
          f"| {heading:<34} | {'machine cpu s':>13} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 16}|{'-' * 10}|{'-' * 12}|{'-' * 36}|{'-' * 15}|")
    for name, values in times.items():
        total = statistics.median(values)
        split = " / ".join(f"{statistics.median(cpu[phase] for cpu in phases[name]):.2f}"
                           for phase in ("kernel start", "imports", "tests")) if phases[name] else "-"
        machine = f"{statistics.median(busy[name]):.1f}" if busy[name] else "-"
        print(f"| {name:<28} | {total:>8.1f} | {total / args.submissions:>14.2f} | {base / total:>7.2f}x "
              f"| {ungraded[name]:>10} | {split:<34} | {machine:>13} |")
    one = statistics.median(times["backprop-course, 1 worker"]) / args.submissions
    print(f"\nkernel start {kernel:.2f} s; the notebook itself {execution:.2f} s in a running kernel; "
          f"per-submission overhead with 1 worker {one - execution:.2f} s "
          f"(goal: at most kernel start + 1 s = {kernel + 1:.2f} s)")


if __name__ == "__main__":
    main()
