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
    return "\n".join(rows + [""] + SANDBOX_NOTES.splitlines()) + "\n"


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
`python -m autograder.sandbox` to see what this machine enforces):

| Mechanism | Linux with bubblewrap (`bwrap`, strongest) | Linux without it (`unshare`) | Elsewhere (`none`) |
|---|---|---|---|
| CPU, memory (address space), file size, open files | rlimits | rlimits | rlimits |
| Number of processes | rlimit on a fresh sandbox uid per run | only if the grader is not root or a sandbox uid can run Python | as left |
| Wall clock | whole process group / pid namespace killed | pid namespace killed | process group killed (a child that calls `setsid` escapes unless a sandbox uid is used) |
| Network | new empty network namespace | new empty network namespace | not blocked |
| Course secrets (`source/`, `gradebook.db`, other students, the reference) | not mounted at all | file permissions only | file permissions only |
| Environment | allow-list (no `NBGRADER_EXECUTION`, no tokens) | allow-list | allow-list |
| Files named like installed modules (`numpy.py`) | working copy last on `sys.path`; flagged | same | same |

`backprop-course autograde` starts with one warning line when the isolation is weak (no file-system
isolation, or a root grader without a separate uid), naming the fix. The environment variable
`BACKPROP_SANDBOX_ISOLATION=unshare|none` caps what the grader picks: CI (`make test-tiers`) runs
the sandbox tests and this corpus's sandbox-bound cases once per weaker tier, so what a machine
without bubblewrap gets is exercised on every run.

## What the judge removes by construction

The lessons judged in the grader (lessons 2 and 3; `autograder/judge/`) run no verdict in the kernel: a
graded test cell only records what the student's code returned on the task's cases, and
`JudgeChecks` (`autograder/grading/preprocessors/judge.py`), in the grader's process after
execution, builds the same cases from seeds, runs the reference library there and sets each
cell's score. So, whatever the sandbox tier:

- **Rewriting a verdict** (sinking the checks' failures, patching numpy, builtins, math, the test
  helpers or the canary guard, custom exception handlers, input transformers, `sys.exit`,
  `os._exit` mid-cell) changes no score: the kernel decides none, and an error the kernel shows
  in a judged cell is kept as a line of text, not as a verdict.
- **Forging records**: a record that is missing, malformed or there twice fails its case, a
  record of no known case is ignored, rows the kernel claims are dropped; a record that passes
  holds the right results, which only a right implementation computes.
- **Reading the hidden tests or expected values**: a judged lesson has no hidden-test source, and no
  expected value of a graded case enters the kernel (nor the working copy, which holds the
  submission's files only); the records, which hold the student's results, are removed from the
  stored notebook and the feedback. `tests/test_judge_attacks.py` grades these attacks under
  every tier.

What the judge cannot remove: a submission that detects the graded inputs (the seeds are in the
installed package) can still only score by returning the right results for them; reading the
reference library where the sandbox does not hide it (tiers `unshare` and `none`) stays the
sandbox's to stop.

In the lessons not yet judged in the grader (1, 4-6) the test cells are checked at run time: a
canary line proves each test cell ran to its end and a guard fails any test cell that ran with
numpy, builtins, math or the test helpers replaced (`autograder/integrity/canaries.py` and the
guard program `guard.py`); in judged lessons both only flag for review. The static scan
(`integrity.scan`) flags the attempt itself, with file, line and the offending source line.
"""
