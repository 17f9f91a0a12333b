"""docs/threats.md, rendered from the hostile corpus: threat -> what happens -> which tests show
it, then what the sandbox enforces where."""

from .cases import CASES

TEST = "tests/test_hostile.py"


def render_table(cases=CASES):
    """docs/threats.md: threat -> what happens -> which tests show it, from the corpus itself."""
    rows = ["# Threats and what the grader does about them",
            "",
            "Generated from `tests/hostile/cases.py` by `tests/hostile/table.py:render_table`; "
            "`tests/test_hostile.py` checks that this file is current and runs every case end to "
            "end (`backprop-course autograde` on a real course) against four rules: the batch "
            "finishes with a recorded score and a one-line reason; no other student's files or "
            "grades change and a rerun resumes; a cheat scores no more than an empty honest "
            "submission and is flagged with evidence; nothing secret reaches the feedback.",
            "",
            "| Case | Kind | Threat | What happens | Flagged as | Shown by |",
            "|---|---|---|---|---|---|"]
    for case in cases:
        flagged = ", ".join(case.flags) if case.flags else ("never" if case.clean else "-")
        shown = [f"`{TEST}::test_case[{case.name}]`"] + [f"`{test}`" for test in case.shown_by]
        rows.append(f"| `{case.name}` | {case.kind} | {case.threat} | {case.happens}{_needs(case)} | "
                    f"{flagged} | {'<br>'.join(shown)} |")
    rows += ["", "## The grader's machine", "",
             "Cases that no submission causes: the machine grading (non-root, without bubblewrap, "
             "loaded) and a grader killed halfway. Each is shown by its test; where the suite "
             "runs as root, the non-root cases run as an unprivileged user it creates "
             "(`tests/unprivileged.py`).", "",
             "| Case | What happens | Shown by |", "|---|---|---|"]
    rows += [f"| {case} | {happens} | {'<br>'.join(f'`{test}`' for test in tests)} |"
             for case, happens, tests in MACHINE_CASES]
    return "\n".join(rows + [""] + grader_table() + [""] + SANDBOX_NOTES.splitlines()) + "\n"


# Threats to the grading data that no single submission carries (the run, the lock, the hand-in
# zips, the student's own command): each with the tests that show it, which
# tests/test_hostile.py::test_every_grader_case_names_tests_that_exist checks.
GRADER_CASES = [
    ("a kernel that never starts, a sandbox that cannot be set up, a limit hit before the first cell",
     "tried once more with a new kernel; failing again, recorded as `grader error` with the step and "
     "reason and no score (the gradebook's automatic scores cleared, not 0; no autograded notebook); "
     "blank in grades.csv, listed in review.csv; exit 1; a plain rerun grades it again",
     ("tests/test_autograder.py::test_a_grader_side_failure_is_retried_once_then_recorded_without_a_score",
      "tests/test_outcomes.py::test_a_kernel_a_limit_kills_at_start_is_a_grader_error_and_regraded_once_fixed")),
    ("a run killed inside `record` (during `--force` too)",
     "the result file is removed first and written last, the autograded folder built beside its place "
     "and swapped in: no half-written result stands; `feedback` names the student (exit 1) and a "
     "plain rerun grades it again",
     ("tests/test_autograder.py::test_a_run_killed_inside_record_leaves_nothing_a_rerun_skips",
      "tests/test_autograder.py::test_a_result_without_its_autograded_notebook_is_graded_again")),
    ("two autogrades started at once on one course",
     "an OS record lock held for the run: exactly one runs, the other is refused naming the holder's "
     "pid; a killed run's lock is released by the OS",
     ("tests/test_grading_inputs.py::test_many_simultaneous_starts_run_one_at_a_time",
      "tests/test_grading_inputs.py::test_the_lock_names_its_holder_and_dies_with_it",
      "tests/test_autograder.py::test_a_second_run_on_the_same_course_is_refused")),
    ("Ctrl-C during autograde",
     "one line, exit 130; what was recorded is whole, nothing half-written; a rerun grades the rest; "
     "an interrupt Python dropped in a finalizer still ends the batch; started with SIGINT ignored "
     "(`cmd &`), the batch runs to the end",
     ("tests/test_autograder.py::test_ctrl_c_prints_one_line_exits_130_and_leaves_nothing_half_written",
      "tests/test_autograder.py::test_a_ctrl_c_that_a_finalizer_drops_still_ends_the_batch",
      "tests/test_autograder.py::test_a_batch_started_with_sigint_ignored_runs_to_the_end")),
    ("links, fifos, huge or sparse files, too many files in a submission",
     "only regular files are read or copied, never through a link; at most 5 MB a file and 25 MB a "
     "submission; links flagged, files left out named in the reason (review.csv)",
     ("tests/test_grading_inputs.py::test_links_fifos_and_files_over_the_bounds_are_never_read",
      "tests/test_hostile.py::test_what_is_copied_is_bounded_and_never_a_link")),
    ("a zip bomb or nested zips handed in to `nbgrader zip_collect`",
     "the course's extractor (`c.ZipCollectApp.extractor_plugin`) bounds depth, bytes per archive, "
     "bytes and files per run, never creates links or writes outside its folder, and names what it "
     "skipped",
     ("tests/test_grading_inputs.py::test_the_zip_extractor_bounds_depth_size_and_count_and_makes_no_link",
      "tests/test_grading_inputs.py::test_zip_collect_with_the_course_config_extracts_within_its_bounds")),
    ("`submit --student \"\"`, a 300-character or path-like student ID",
     "one line naming the problem and the ID rules; nothing written, the login name never silently used",
     ("tests/test_grading_inputs.py::test_submit_names_a_bad_student_id_and_the_rules_in_one_line",)),
]


def grader_table(cases=GRADER_CASES):
    """The threats to the grading run itself, as markdown lines."""
    rows = ["## Threats to the grading run and its data", "",
            "| Threat | What happens | Shown by |", "|---|---|---|"]
    for threat, happens, tests in cases:
        rows.append(f"| {threat} | {happens} | {'<br>'.join(f'`{test}`' for test in tests)} |")
    return rows


MACHINE = "tests/test_sandbox_real_machine.py"
SANDBOX_TESTS = "tests/test_sandbox.py"
MACHINE_CASES = [
    ("a non-root grader with `--workers 2` (with and without bubblewrap)",
     "RLIMIT_NPROC counts every process and thread of the grader's uid: each kernel's limit is "
     "the uid's tasks at its start plus `processes` for every sandbox of the uid alive then, so "
     "kernels starting together never take each other's room; the class grades in full",
     [f"{MACHINE}::test_a_non_root_grader_with_two_workers_grades_the_class_right"]),
    ("a kernel that dies before it answers (process or memory limit too small)",
     "a `KernelStartError` naming the limit (a probe of the memory limit alone, then the "
     "kernel's log); the outcome is \"grader error\", never a score",
     [f"{MACHINE}::test_a_kernel_that_cannot_start_names_the_limit_it_hit",
      f"{MACHINE}::test_a_kernel_that_cannot_start_is_a_grader_error_naming_the_limit"]),
    ("SIGKILL of `autograde` while kernels run",
     "every sandboxed process has a parent-death signal (workers, kernels, the zygote, and after "
     "`setpriv` too; set by `setpriv` as the sandbox starts, and a sandbox whose grader died "
     "before that ends at its next step, which checks that its parent is still the grader; a "
     "spare kernel's sandbox is started by its worker's starter thread, which lives as long as "
     "the worker, as the signal follows the thread that started it): "
     "nothing survives; the next run removes the temporary folders (student files, kernel "
     "connection files) whose process is gone",
     [f"{MACHINE}::test_a_killed_grader_leaves_no_kernel_and_the_next_run_cleans_its_folders"]),
    ("root without bubblewrap where a sandbox uid cannot run Python (pyenv in a 0700 home)",
     "refused with one line naming the fixes; kernels never run as root",
     [f"{SANDBOX_TESTS}::test_root_never_runs_kernels_as_root"]),
    ("a course folder other users can read (umask 022)",
     "`course init` creates it private and `autograde` makes it so (chmod o-rwx, with a note): "
     "no sandbox uid reaches `source/`, `gradebook.db` or other students' work",
     [f"{MACHINE}::test_a_course_is_private_from_init_and_autograde_makes_it_so"]),
    ("another sandbox uid reading an in-flight working copy or kernel connection file",
     "working copies and run folders are handed over with no permission for group or others, "
     "and the kernel's umask is 077",
     [f"{MACHINE}::test_a_working_copy_is_private_to_its_sandbox_uid"]),
    ("a weak sandbox",
     "the one-line warning names every protection not enforced and the fix",
     [f"{SANDBOX_TESTS}::test_weak_isolation_gets_a_one_line_warning_naming_the_fix",
      f"{SANDBOX_TESTS}::test_the_command_line_prints_what_is_enforced_and_the_weaker_tiers"]),
]


def _needs(case):
    """What a case's outcome relies on, for the table."""
    if not case.needs:
        return ""
    needs = " and ".join(case.needs)
    if not case.unprotected:
        return f" (needs {needs}; not run without it)"
    return f" (needs {needs}; without it: {' or '.join(case.unprotected)}, score recorded)"


SANDBOX_NOTES = """## What is enforced where

Every submission runs in its own temporary working copy (`autograder/sandbox/`; run
`python -m backprop_course.autograder.sandbox` to see what this machine enforces):

| Mechanism | Linux with bubblewrap (`bwrap`, strongest) | Linux without it (`unshare`) | Elsewhere (`none`) |
|---|---|---|---|
| CPU, memory (address space), file size, open files | rlimits | rlimits | rlimits |
| Number of processes | rlimit on a fresh sandbox uid per run (non-root: on the grader's uid, sized to its threads and sandboxes) | rlimit on a sandbox uid (root) or the grader's uid | same as `unshare` |
| Kernels running as root | never (a sandbox uid) | never: a root grader that cannot drop to a sandbox uid is refused | same as `unshare` |
| Wall clock | whole process group / pid namespace killed | pid namespace killed | process group killed (a child that calls `setsid` escapes unless a sandbox uid is used) |
| Network | new empty network namespace | new empty network namespace | not blocked |
| Course secrets (`source/`, `gradebook.db`, other students, the reference) | not mounted at all | file permissions only | file permissions only |
| Environment | allow-list (no `NBGRADER_EXECUTION`, no tokens) | allow-list | allow-list |
| Files named like installed modules (`numpy.py`) | working copy last on `sys.path`; flagged | same | same |

As root with bubblewrap a kernel is a fork of a zygote (`autograder/sandbox/zygote.py`; one per batch,
started by the grader before its workers and shared by them),
which runs outside the sandbox and so could read what the sandbox covers: it imports only ipykernel,
numpy and the course machinery the lessons import, never `backprop_course.content` (the reference, the
hidden tests), the grader or a `backprop_lib`, and forks no kernel once one of those is loaded (its
kernels are then started as their own process, with one warning). `tests/test_zygote_preload.py` checks
that its imports open no file of the content and that a forked kernel holds none of it.

`backprop-course autograde` starts with one warning line when the isolation is weak (no file-system
isolation, or a root grader without a separate uid), naming every protection not enforced and the
fix. A root grader that could only run kernels as root (no bubblewrap, and no sandbox uid can run
the Python) is refused instead. The environment variable
`BACKPROP_SANDBOX_ISOLATION=unshare|none` caps what the grader picks: CI (`make test-tiers`) runs
the sandbox tests and this corpus's sandbox-bound cases once per weaker tier that works on the CI
machine, so what a machine without bubblewrap gets is exercised there too. A root grader whose
Python no sandbox uid can run (pyenv inside a 0700 home, as on the project's CI machine) has no
weaker tier: `make test-tiers` then runs nothing. To run them on such a machine, use a checkout
outside that home, readable by every uid, whose environment is built from a system Python
(`make .venv/.installed PYTHON=/usr/bin/python3`, then `make test-tiers`: tiers `unshare` and
`none`), or a checkout of a non-root user (`bwrap` by default, `none` forced).

## What the judge removes by construction

The lessons judged in the grader (all six lessons; `autograder/judge/`) run no verdict in the kernel: a
graded test cell only records what the student's code returned on the task's cases, and
`JudgeChecks` (`autograder/grading/preprocessors/judge.py`), in the grader's process after
execution, builds the same cases from seeds, runs the reference library there and sets each
cell's score. So, whatever the sandbox tier:

- **Rewriting a verdict** (sinking the checks' failures, patching numpy, builtins, math, the test
  helpers or the canary guard, custom exception handlers, input transformers, `sys.exit`,
  `os._exit` mid-cell) changes no score: the kernel decides none, and an error the kernel shows
  in a judged cell is kept as a line of text, not as a verdict.
- **Forging records**: a record that is missing, malformed or there twice fails its case, a
  record of no known case is ignored; a record that passes holds the right results, which only a
  right implementation computes.
- **Forging rows or findings**: rows the kernel shows in a judged cell (or any other code cell)
  keep only their text; the report's misconceptions.csv and `backprop-course check` read rows as
  data (`application/vnd.backprop-course.rows+json`), which after grading only the judge writes
  in a judged cell, and never parse printed lines, so printing a row counts for nothing.
- **Reading the hidden tests or expected values**: a judged lesson has no hidden-test source, and no
  expected value of a graded case enters the kernel (nor the working copy, which holds the
  submission's files only); the records, which hold the student's results, are removed from the
  stored notebook and the feedback. `tests/test_judge_attacks_lesson_*.py` grade these attacks
  on lessons 1 to 6 end to end under every tier (`make test` under the tier "auto"
  picks, `make test-tiers` under each weaker one).

What the judge cannot remove: a submission that detects the graded inputs (the seeds are in the
installed package) can still only score by returning the right results for them; reading the
reference library where the sandbox does not hide it (tiers `unshare` and `none`) stays the
sandbox's to stop.

Lesson 5's gradient check is the judge's own: the kernel reports only the gradients the student's
`MLP.backward` left, and the judge computes the central differences of the course's forward pass
through the stand-in layers at its own points (`autograder/judge/lesson_5.py`). Had the kernel
reported the forward values as well, a submission could make zero gradients agree with zero
differences; the structural diagnosis (which layer's value first went wrong) also runs in the judge,
on the layer traffic the records hold.

Every lesson is judged in the grader, so the run-time checks of test cells only flag for review:
a canary line proves each test cell ran to its end and a guard, installed as the kernel starts
(before any cell), notes any test cell that ran with numpy, builtins, math or the test helpers
replaced (`autograder/integrity/canaries.py` and the guard program `runtime_guard.py`); neither
decides a score. The static scan
(`integrity.scan`) flags the attempt itself, with file, line and the offending source line.
"""
