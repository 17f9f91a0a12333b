"""Per-test-cell canaries and the run-time guard (``add_canaries`` / ``verify_canaries``).

An input transformer
registered by student code can turn every later cell into ``pass``, a custom exception handler can
swallow a failing test's error, and a patched ``np.allclose`` or ``checks.rel_error`` makes a
wrong answer pass; each time the test cell shows no error. The grading kernel installs the guard as
it starts, before any cell (``guard_argument``: IPython's exec_files, after kernel_imports' file):
it snapshots numpy, numpy.testing, numpy.linalg, builtins and math (runtime_guard.py). Before
execution, ``add_canaries(nb, token)`` appends to every graded test cell a line printing
``CANARY:<token>:<grade_id>`` plus the names the guard finds replaced (the token is random per
kernel, so it is in no released file). After execution ``verify_canaries(nb, token)`` removes those
lines again (so checksums, feedback and the stored notebook are as before) and gives every test
cell that ran without an error but did not print a clean canary an error output (nbgrader then
scores it 0), returning a Flag for each. Wiring in the grading unit: ``token = new_token()`` and
``guard_argument(workdir, token)`` among the kernel's arguments as it starts;
``add_canaries(nb, token)`` right before execution; ``flags += verify_canaries(nb, token,
notebook_name)`` right after it (after marking the cells that never ran), before scoring. Limits:
a transformer written to keep exactly the canary line, or code that patches and restores around
each test, is not caught at run time; the static scan flags every transformer registration and
every patch for review.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .findings import Flag

CANARY = "CANARY:{token}:{grade_id}"
GUARD = "_grader_guard_{token}"
# One write, newline included: ipykernel sends what was written so far whenever its timer fires,
# so a print's separate writes can arrive as separate outputs, leaving a lone newline in the
# feedback or the guard's names apart from the canary.
CANARY_LINE = ('\nprint(" ".join(map(str, ["' + CANARY + '", *' + GUARD + '()])) + "\\n", end="")'
               '  # grader canary')
# The program the kernel runs as it starts (a real file of this package, see runtime_guard.py), and
# how it is run: in a namespace of its own, so the notebook's namespace gets nothing from it.
GUARD_PROGRAM = Path(__file__).with_name("runtime_guard.py")
# Written into the working copy beside kernel_imports' file, never into autograded/.
GUARD_FILE = ".backprop_runtime_guard.py"


def new_token():
    return secrets.token_hex(8)


def guard_setup_source(name):
    """The source that installs the guard in builtins under ``name``."""
    program = GUARD_PROGRAM.read_text()
    return ("_grader_guard_ns = {'__name__': 'grader_guard'}\n"
            f"exec(compile({program!r}, 'grader_guard.py', 'exec'), _grader_guard_ns)\n"
            f"_grader_guard_ns['install']({name!r})\n"
            "del _grader_guard_ns\n")


def guard_argument(workdir, token):
    """Write the guard's set-up for ``token`` into ``workdir`` and return the kernel argument that
    runs it as the kernel starts: before any cell, as a first cell would, for none of a cell's
    messages (the first cell it was cost the machine about 25 ms of CPU a submission)."""
    target = Path(workdir) / GUARD_FILE
    target.write_text(guard_setup_source(GUARD.format(token=token)))
    return f"--InteractiveShellApp.exec_files={target}"


def _test_cells(nb):
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            yield index, cell, meta.get("grade_id", f"cell-{index}")


def add_canaries(nb, token):
    """Prepare ``nb`` (in place) for a run in a kernel started with ``guard_argument(..., token)``:
    appends to every graded test cell a line that prints ``CANARY:<token>:<grade_id>`` followed
    by whatever the guard finds replaced."""
    for _, cell, grade_id in _test_cells(nb):
        cell.source = cell.source + CANARY_LINE.format(token=token, grade_id=grade_id)


def verify_canaries(nb, token, notebook_name="notebook.ipynb"):
    """Undo ``add_canaries`` (in place) and fail the test cells whose run cannot be trusted.

    A test cell with an error output failed anyway, and one that never ran (no execution count:
    the kernel died before it) is the grading unit's to score. A test cell that ran without error
    but did not print its canary was skipped or rewritten (an input transformer, a custom
    exception handler); one whose canary line names replaced functions ran with numpy, builtins,
    math or the test helpers patched. Either gets an error output (so nbgrader scores it 0) and
    a Flag ("missing canary" / "monkeypatch"). Returns the flags.
    """
    from nbformat import NotebookNode

    flags = []
    for index, cell, grade_id in _test_cells(nb):
        line = CANARY_LINE.format(token=token, grade_id=grade_id)
        marker = CANARY.format(token=token, grade_id=grade_id)
        if cell.source.endswith(line):
            cell.source = cell.source[:-len(line)]
        printed, changed = False, []
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream" or marker not in output.get("text", ""):
                continue
            kept = []
            for text in output["text"].splitlines(keepends=True):
                if marker in text:
                    printed = True
                    changed += text.split(marker, 1)[1].split()
                else:
                    kept.append(text)
            output["text"] = "".join(kept)
        cell.outputs = [o for o in cell.get("outputs", [])
                        if not (o.get("output_type") == "stream" and o.get("text") == "")]
        if any(o.get("output_type") == "error" for o in cell.outputs) \
                or cell.get("execution_count") is None:
            continue
        if changed:
            why, kind = f"ran with {', '.join(changed[:5])} replaced", "monkeypatch"
        elif not printed:
            why, kind = "reported no error but its last line never ran", "missing canary"
        else:
            continue
        cell.outputs.append(NotebookNode(output_type="error", ename="GradingIntegrityError",
                                         evalue=f"this test cell {why}",
                                         traceback=[f"GradingIntegrityError: this test cell {why}"]))
        flags.append(Flag(f"{notebook_name}:cell {index}", 0, kind,
                          f"grade_id {grade_id} {why} (at run time)"))
    return flags
