"""The static cheat scan (backprop_course.autograder.integrity): every cheat pattern is flagged with its evidence,
honest code (the reference library, alternative correct implementations) never is, files that do
not parse are recorded rather than flagged, and the per-test-cell canary catches a cell that was
silently skipped."""

import json
import os
import pickle

import nbformat
import pytest

from backprop_course.autograder import integrity
from backprop_course.autograder.integrity import canaries
from helpers.checkout import ROOT, SOLUTIONS
from helpers.sandbox_tiers import needs_posix, work  # noqa: F401  (fixtures)
from helpers.sandbox_tiers import graded_run

CHEATS = [
    # (what, source, kind)
    ("np.allclose replaced", "import numpy as np\nnp.allclose = lambda *a, **k: True", "monkeypatch"),
    ("np.testing replaced", "import numpy\nnumpy.testing.assert_allclose = print", "monkeypatch"),
    ("alias of an alias", "import numpy as np\nn = np\nn.isclose = lambda *a: True", "monkeypatch"),
    ("from-imported ndarray", "from numpy import ndarray\nndarray.__eq__ = lambda s, o: True",
     "monkeypatch"),
    ("setattr on numpy", "import numpy as np\nsetattr(np, 'all' + 'close', abs)", "monkeypatch"),
    ("numpy __dict__", "import numpy as np\nvars(np)\nnp.__dict__['allclose'] = abs", "monkeypatch"),
    ("sys.modules swap", "import sys\nsys.modules['numpy'] = object()", "monkeypatch"),
    ("builtins", "import builtins\nbuiltins.isinstance = lambda *a: True", "monkeypatch"),
    ("__builtins__", "__builtins__['abs'] = lambda x: 0", "monkeypatch"),
    ("test helper", "from backprop_lib import checks\nchecks.rel_error = lambda *a: 0.0",
     "monkeypatch"),
    ("test helper, relative", "from .gradcheck import rel_error\nrel_error.__code__ = None",
     "introspection"),
    ("gradcheck module", "import backprop_lib.gradcheck as gc\ngc.check_layer = print", "monkeypatch"),
    ("shadow a builtin in the notebook", "def isinstance(*args):\n    return True", "monkeypatch"),
    ("input transformer",
     "ip = get_ipython()\nip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
     "ipython hook"),
    ("post transformer", "get_ipython().input_transformers_post.append(f)", "ipython hook"),
    ("ast transformer", "get_ipython().ast_transformers.append(t)", "ipython hook"),
    ("set_custom_exc", "get_ipython().set_custom_exc((Exception,), lambda *a: None)", "ipython hook"),
    ("showtraceback override", "get_ipython().showtraceback = lambda *a, **k: None", "ipython hook"),
    ("event callback", "get_ipython().events.register('post_run_cell', hook)", "ipython hook"),
    ("custom extension", "%load_ext cheat_extension", "ipython hook"),
    ("config magic", "%config InteractiveShell.ast_node_interactivity = 'none'", "ipython hook"),
    ("always-equal class",
     "class Yes:\n    def __eq__(self, other):\n        return True\n", "always-equal"),
    ("always-equal lambda", "class Yes:\n    __eq__ = lambda self, other: True", "always-equal"),
    ("never-unequal", "class Yes:\n    def __ne__(self, other):\n        return False", "always-equal"),
    ("gradebook", "open('gradebook.db', 'rb').read()", "secret path"),
    ("source folder", "open('../../source/02_linear_layer/02_linear_layer.ipynb').read()",
     "secret path"),
    ("walk up from __file__", "from pathlib import Path\nroot = Path(__file__).parents[2]",
     "secret path"),
    ("Path division", "from pathlib import Path\np = Path('.') / '..' / 'x.txt'", "secret path"),
    ("f-string path", "course = '/srv/course'\nopen(f'{course}/source/x.ipynb')", "secret path"),
    ("absolute path", "data = open('/etc/passwd').read()", "secret path"),
    ("write elsewhere", "import shutil\nshutil.rmtree('../other_student')", "secret path"),
    ("sys.path", "import sys\nsys.path.insert(0, '../../solutions')", "secret path"),
    ("reference import", "import reference_lib.layers as ref", "grader import"),
    ("nbgrader import", "from nbgrader.api import Gradebook", "grader import"),
    ("grader import", "from backprop_course.autograder import course", "grader import"),
    ("grader import from the machinery", "from backprop_course import autograder", "grader import"),
    ("sqlite", "import sqlite3", "grader import"),
    ("load by path", "import importlib.util\n"
     "spec = importlib.util.spec_from_file_location('m', 'm.py')", "grader import"),
    ("%run", "%run ../source/tests.py", "grader import"),
    ("socket", "import socket", "network"),
    ("urllib", "from urllib.request import urlopen", "network"),
    ("requests", "import requests\nrequests.post('http://x', data=b'')", "network"),
    ("env var", "import os\nif os.environ.get('NBGRADER_EXECUTION'):\n    pass", "environment"),
    ("getenv", "import os\nos.getenv('USER')", "environment"),
    ("user", "import getpass\nuser = getpass.getuser()", "environment"),
    ("cwd", "import os\nhere = os.getcwd()", "environment"),
    ("argv", "import sys\nprint(sys.argv)", "environment"),
    ("getframe", "import sys\ncaller = sys._getframe(1).f_locals", "introspection"),
    ("inspect stack", "import inspect\nframes = inspect.stack()", "introspection"),
    ("gc referrers", "import gc\ngc.get_referrers(x)", "introspection"),
    ("settrace", "import sys\nsys.settrace(tracer)", "introspection"),
    ("excepthook", "import sys\nsys.excepthook = lambda *a: None", "introspection"),
    ("ctypes", "import ctypes\nctypes.string_at(0)", "native code"),
    ("os._exit", "import os\nos._exit(0)", "exit"),
    ("sys.exit at import", "import sys\nsys.exit(0)", "exit"),
    ("raise SystemExit", "raise SystemExit", "exit"),
    ("subprocess", "import subprocess\nsubprocess.run(['ls'])", "process"),
    ("os.system", "import os\nos.system('cat ../*')", "process"),
    ("fork", "import os\nos.fork()", "process"),
    ("shell escape", "!cat ../../gradebook.db", "process"),
    ("bash magic", "%%bash\nls ..\n", "process"),
    ("exec", "exec(open('x.py').read())", "dynamic code"),
    ("__import__", "m = __import__('o' + 's')", "dynamic code"),
]
LIBRARY_CHEATS = [
    ("hard-coded outputs", "def forward(self, x):\n    if x.shape == (2, 3):\n"
                           "        return np.array([[-3.5, -4.5], [5.5, 7.5]])", "hard-coded"),
]

HONEST = [
    ("einsum", "import numpy as np\ndef forward(self, x):\n"
               "    self.cache = x\n    return np.einsum('ni,io->no', x, self.params['W']) + self.params['b']"),
    ("np.dot", "import numpy as np\nout = np.dot(x, W) + b\nassert np.allclose(out, out)"),
    ("relu by mask", "def relu(x):\n    return x * (x > 0)\n"),
    ("relu derivative", "import numpy as np\ndef relu_derivative(out):\n    return (out > 0).astype(out.dtype)"),
    ("softmax", "import numpy as np\ndef softmax(z):\n    z = z - z.max(axis=1, keepdims=True)\n"
                "    e = np.exp(z)\n    return e / e.sum(axis=1, keepdims=True)"),
    ("in-place numpy", "import numpy as np\nnp.multiply(g, mask, out=g)\nx[idx] = old + h\n"
                       "self.grads['W'][...] = x.T @ grad_out"),
    ("printing and plotting", "import matplotlib.pyplot as plt\nplt.plot([0.1, 0.2, 0.3])\n"
                              "print(f'loss {loss:.3f} / {n}')"),
    ("honest __eq__", "class P:\n    def __eq__(self, other):\n"
                      "        return isinstance(other, P) and self.v == other.v"),
    ("notebook magics", "%load_ext autoreload\n%autoreload 2\n%matplotlib inline"),
    ("checks used as intended",
     "from backprop_lib.checks import task\nwith task('Lesson 2, task 1') as check:\n"
     "    check.close('forward', got, expected, 1e-9)"),
    ("numpy random and errstate", "import numpy as np\nrng = np.random.default_rng(0)\n"
                                  "with np.errstate(over='raise'):\n    y = np.tanh(rng.normal(size=3))"),
    ("a few literal numbers", "x = np.array([[0.5, -1.0], [2.0, 0.25]])"),
    ("division", "mean = total / n\nrate = a / b / 2"),
    ("strings", "label = 'source'\nname = 'a/b'\nnote = 'see docs/threats.md'"),
    ("regex-looking strings", r"pattern = r'\(N, C\)'"),
    ("importlib reload", "import importlib\nimport backprop_lib.layers\nimportlib.reload(backprop_lib.layers)"),
    ("local variable named checks", "checks = []\nchecks.append(1)\nchecks[0] = 2"),
]


@pytest.mark.parametrize("what,source,kind", CHEATS, ids=[c[0] for c in CHEATS])
def test_each_cheat_is_flagged_with_its_evidence(what, source, kind):
    flags = integrity.scan_source(source, "cell")
    assert kind in [flag.kind for flag in flags], (what, flags)
    flag = next(flag for flag in flags if flag.kind == kind)
    lines = source.splitlines()
    assert 1 <= flag.line
    if not source.startswith(("%", "!")):  # magics are rewritten before parsing
        assert flag.evidence == " ".join(lines[flag.line - 1].split())[:integrity.EVIDENCE_CHARS]


@pytest.mark.parametrize("what,source,kind", LIBRARY_CHEATS, ids=[c[0] for c in LIBRARY_CHEATS])
def test_library_only_rules(what, source, kind):
    assert [f.kind for f in integrity.scan_source(source, "layers.py", notebook=False)] == [kind]
    assert integrity.scan_source(source, "cell", notebook=True) == []  # scratch arrays in cells


@pytest.mark.parametrize("what,source", HONEST, ids=[h[0] for h in HONEST])
def test_honest_code_is_never_flagged(what, source):
    assert integrity.scan_source(source, "cell") == []


def test_the_reference_and_the_skeleton_are_clean():
    for folder in (SOLUTIONS / "backprop_lib", ROOT / "backprop_lib"):
        report = integrity.inspect(folder)
        assert report.flags == [] and report.unparsed == [], folder


def test_released_lessons_are_clean():
    """The student notebooks (instructor test cells included) raise no flag."""
    for path in sorted((ROOT / "lessons").glob("*.ipynb")):
        report = integrity.inspect(path.parent)
        assert [f for f in report.flags if f.student_file.startswith(path.name)] == [], path


def _notebook(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    return nb


def test_a_submission_folder_is_scanned_file_by_file(tmp_path):
    sub = tmp_path / "02_linear_layer"
    (sub / "backprop_lib").mkdir(parents=True)
    (sub / "backprop_lib" / "layers.py").write_text(
        "import numpy as np\n\ndef forward(x, W):\n    return x @ W\n\nnp.allclose = lambda *a: True\n")
    (sub / "backprop_lib" / "broken.py").write_text("def f(:\n")
    (sub / "backprop_lib" / "latin.py").write_bytes(b"x = '\xe9'\n")  # not UTF-8: Python refuses it
    nb = _notebook([nbformat.v4.new_code_cell("import numpy as np"),
                    nbformat.v4.new_code_cell("x = (\n"),
                    nbformat.v4.new_code_cell("np.testing.assert_allclose = print")])
    nbformat.write(nb, sub / "02_linear_layer.ipynb")
    (sub / "corrupt.ipynb").write_text("{not json")
    (sub / ".ipynb_checkpoints").mkdir()
    (sub / ".ipynb_checkpoints" / "x.py").write_text("import socket\n")
    os.symlink("../../gradebook.db", sub / "notes.txt")

    report = integrity.inspect(sub)
    assert sorted(str(f) for f in report.flags) == sorted([
        "02_linear_layer.ipynb:cell 2:1: monkeypatch: np.testing.assert_allclose = print",
        "backprop_lib/layers.py:6: monkeypatch: np.allclose = lambda *a: True",
        "notes.txt:0: symlink: -> ../../gradebook.db",
    ])
    assert sorted(report.unparsed) == sorted([
        "02_linear_layer.ipynb:cell 1:1: not valid Python ('(' was never closed)",
        "backprop_lib/broken.py:1: not valid Python (invalid syntax)",
        "backprop_lib/latin.py:1: not valid Python ((unicode error) 'utf-8' codec can't decode "
        "byte 0xe9 in position 0: unexpected end of data)",
        "corrupt.ipynb: not a readable notebook (JSONDecodeError)",
    ])
    assert integrity.scan(sub) == report.flags


def test_files_named_like_installed_modules_are_flagged(tmp_path):
    for name in ("numpy.py", "sitecustomize.py", "notes.py"):
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "IPython").mkdir()
    (tmp_path / "backprop_lib").mkdir()
    (tmp_path / "backprop_lib" / "math.py").write_text("x = 1\n")  # inside the package: harmless
    assert sorted(integrity.scan(tmp_path)) == [
        "IPython:0: shadowing: named like the installed module 'IPython'",
        "numpy.py:0: shadowing: named like the installed module 'numpy'",
        "sitecustomize.py:0: shadowing: named like the installed module 'sitecustomize'",
    ]


def test_folders_any_path_entry_also_holds_are_not_installed_modules(tmp_path):
    """A folder such as __pycache__ makes a namespace package of that name out of every path entry
    that holds one: only names an installed distribution ships count as installed."""
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    assert not any(flag.kind == "shadowing" for flag in integrity.scan(tmp_path))


def test_a_flag_is_a_one_line_string_that_survives_json_and_pickle():
    flag = integrity.Flag("a.py", 3, "exit", "os._exit(0)   # bye\n")
    assert flag == "a.py:3: exit: os._exit(0) # bye"
    assert json.loads(json.dumps([flag])) == [str(flag)]
    copy = pickle.loads(pickle.dumps(flag))
    assert (copy.student_file, copy.line, copy.kind, copy.evidence) == ("a.py", 3, "exit", "os._exit(0) # bye")
    assert set(integrity.KINDS) >= {kind for _, _, kind in CHEATS + LIBRARY_CHEATS}


def test_edited_instructor_files_and_test_cells_are_flagged(tmp_path):
    from nbgrader.utils import compute_checksum

    sub = tmp_path / "lesson"
    (sub / "backprop_lib").mkdir(parents=True)
    (sub / "backprop_lib" / "checks.py").write_text("def close(*a):\n    return True\n")
    (sub / "backprop_lib" / "gradcheck.py").write_text("ORIGINAL = 1\n")
    test = nbformat.v4.new_code_cell("assert 1 + 1 == 2")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t1", "points": 1, "schema_version": 3}
    test.metadata["nbgrader"]["checksum"] = compute_checksum(test)
    untouched = nbformat.from_dict(json.loads(json.dumps(test)))
    untouched.id = "untouched"
    untouched.metadata["nbgrader"]["grade_id"] = "t2"
    untouched.metadata["nbgrader"]["checksum"] = compute_checksum(untouched)
    test.source = "assert True"
    nbformat.write(_notebook([test, untouched]), sub / "lesson.ipynb")
    instructor = {"backprop_lib/checks.py": b"def close(*a):\n    ...\n",
                  "backprop_lib/gradcheck.py": b"ORIGINAL = 1\n"}

    flags = integrity.scan(sub, instructor_files=instructor)
    assert sorted(str(f) for f in flags) == [
        "backprop_lib/checks.py:0: edited file: differs from the instructor's copy",
        "lesson.ipynb:cell 0:0: edited test cell: grade_id t1: source changed",
    ]


def _graded_notebook():
    setup = nbformat.v4.new_code_cell("x = 2")
    cheat = nbformat.v4.new_code_cell(
        "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])")
    tests = []
    for grade_id, source in (("t_pass", "assert x == 2"), ("t_fail", "assert x == 3")):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "grade_id": grade_id, "points": 1, "schema_version": 3}
        tests.append(cell)
    return setup, cheat, tests


def _run(nb, tmp_path, token):
    """Run ``nb`` in a kernel that installs the guard for ``token`` as it starts, as grading's do."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=30, allow_errors=True, extra_arguments=[integrity.guard_argument(tmp_path, token)],
                   resources={"metadata": {"path": str(tmp_path)}}).execute()


def test_canaries_fail_test_cells_that_an_input_transformer_skipped(tmp_path):
    setup, cheat, tests = _graded_notebook()
    nb = _notebook([setup, cheat] + tests)
    sources = [cell.source for cell in nb.cells]
    token = integrity.new_token()
    integrity.add_canaries(nb, token)
    assert all(token in cell.source for cell in tests)
    _run(nb, tmp_path, token)
    # Without canaries both test cells look passed: no error output at all.
    assert not any(o.output_type == "error" for cell in tests for o in cell.outputs)

    flags = integrity.verify_canaries(nb, token, "lesson.ipynb")
    assert [cell.source for cell in nb.cells] == sources  # the canaries are gone again
    assert [f.kind for f in flags] == ["missing canary", "missing canary"]
    assert [f.student_file for f in flags] == ["lesson.ipynb:cell 2", "lesson.ipynb:cell 3"]
    assert all(cell.outputs[-1].ename == "GradingIntegrityError" for cell in tests)


def test_the_guard_fails_test_cells_run_with_patched_numpy_or_helpers(tmp_path):
    helpers = tmp_path / "backprop_course"  # a stand-in for the installed machinery
    helpers.mkdir()
    (helpers / "__init__.py").write_text("")
    (helpers / "gradcheck.py").write_text("def rel_error(a, b):\n    return abs(a - b)\n")
    (helpers / "checks.py").write_text("from .gradcheck import rel_error\n")
    setup, _, tests = _graded_notebook()
    patch = nbformat.v4.new_code_cell(
        "import numpy as np\nfrom backprop_course import checks\n"
        "np.allclose = lambda *a, **k: True\nchecks.rel_error = lambda a, b: 0.0")
    nb = _notebook([setup, patch] + tests)
    token = integrity.new_token()
    integrity.add_canaries(nb, token)
    _run(nb, tmp_path, token)
    flags = integrity.verify_canaries(nb, token, "lesson.ipynb")
    assert [f.kind for f in flags] == ["monkeypatch"]  # t_fail failed on its own already
    assert flags[0].evidence == ("grade_id t_pass ran with numpy.allclose, "
                                 "backprop_course.checks.rel_error replaced (at run time)")
    assert [o.ename for o in tests[0].outputs] == ["GradingIntegrityError"]


def test_the_guard_program_is_a_module_shipped_in_the_package(monkeypatch):
    """The kernel's guard set-up runs autograder/integrity/runtime_guard.py's own text; setuptools
    ships it."""
    import numpy as np

    from backprop_course.autograder.integrity import runtime_guard

    assert canaries.GUARD_PROGRAM.samefile(runtime_guard.__file__)
    assert repr(canaries.GUARD_PROGRAM.read_text()) in canaries.guard_setup_source("_g")
    from setuptools import find_packages

    # setup.py installs every package under autograder/ as backprop_course.autograder.*
    package = runtime_guard.__name__.rpartition(".")[0]
    assert package.removeprefix("backprop_course.autograder.") in find_packages(str(ROOT / "autograder"))
    check = runtime_guard.make_guard()
    assert check() == []
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    assert check() == ["numpy.allclose", "numpy.testing.assert_allclose"]


def test_canaries_leave_an_honest_run_as_it_was(tmp_path):
    setup, _, tests = _graded_notebook()
    names = nbformat.v4.new_code_cell("print(sorted(name for name in globals() if 'guard' in name "
                                      "or name in ('numpy', 'builtins', 'install', 'HELPERS')))")
    nb = _notebook([setup, names] + tests)
    token = integrity.new_token()
    integrity.add_canaries(nb, token)
    _run(nb, tmp_path, token)
    assert integrity.verify_canaries(nb, token) == []
    assert names.outputs[0].text == "[]\n"  # the guard's set-up left nothing in the namespace
    passed, failed = tests
    assert passed.outputs == []  # the canary's own output line is removed
    assert [o.ename for o in failed.outputs] == ["AssertionError"]


GUARD_STATE = ("import builtins\n"
               "guards = [name for name in vars(builtins) if name.startswith('_grader_guard_')]\n"
               "print(json.dumps([guards, [getattr(builtins, name)() for name in guards], len(In),\n"
               "                  [name for name in globals() if 'guard' in name and name != 'guards']]))\n")


@needs_posix
def test_a_grading_kernel_has_its_guard_before_the_first_cell_and_no_cell_for_it(work):
    nb = graded_run(["import json", GUARD_STATE], work)
    guards, found, history, leftovers = json.loads(nb.cells[1].outputs[0]["text"])
    assert len(guards) == 1 and found == [[]]  # one guard, nothing replaced
    assert history == 3  # In[0], then the notebook's two cells: no cell of the grader's ran
    assert leftovers == []


@needs_posix
def test_a_kernel_started_ahead_installs_the_guard_of_its_own_token(work):
    from traitlets.config import Config

    from backprop_course.autograder.grading.grading_execute import kernel_env, run_notebook, start_kernel

    km = start_kernel(Config(), work, 60, "python3", kernel_env())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import json\n" + GUARD_STATE)])
    nb, outcome, reason, _, _ = run_notebook(nb, work, Config(), wall_limit=60, started_km=km)
    assert outcome == "graded", reason
    guards, _, _, _ = json.loads(nb.cells[0].outputs[0]["text"])
    assert guards == [canaries.GUARD.format(token=km.guard_token)]
