"""A static scan of a submission for code that tries to cheat the grader, and per-test-cell canaries.

``scan(folder, instructor_files=None) -> list[Flag]`` reads every ``.py`` file and every notebook
code cell (IPython magics are first turned into the Python IPython would run) with :mod:`ast`,
and returns one ``Flag`` per suspicious construct, for a human to review. It never runs student
code. A file that does not parse is not a cheat: ``inspect(folder)`` returns it separately in
``Report.unparsed``.

The rules look for *changing* the grader's tools, not using them: ``np.allclose(a, b)`` is fine,
``np.allclose = ...`` is flagged; einsum, ``np.dot``, ``x * (x > 0)`` and plain numpy are never
flagged. Kinds (``KINDS`` describes each):

    monkeypatch      assigning / setattr / deleting attributes of numpy, builtins, IPython, math
                     or the test helpers (backprop_lib.checks, backprop_lib.gradcheck), replacing
                     modules in sys.modules, rebinding through globals()
    ipython hook     input transformers, AST transformers, set_custom_exc, showtraceback or
                     run_cell overrides, event callbacks, %config, loading a custom extension
    always-equal     a class whose __eq__ (or another comparison) returns a constant
    secret path      a path naming the course's secrets (gradebook.db, source/, solutions/,
                     autograded/, nbgrader_config.py, reference_lib) or leaving the submission
                     (``..``, absolute paths, walking up from __file__), read or written
    grader import    importing nbgrader, the autograder, the reference library or sqlite3, or
                     loading code from a file path (spec_from_file_location, runpy, %run, %load)
    network          socket, urllib, http, requests and friends
    environment      reading environment variables, the user, host, cwd, argv, parent pid
    introspection    sys._getframe, inspect's frames, frame attributes, gc referrers,
                     settrace, replacing __code__ / __class__, sys hooks
    native code      ctypes, cffi
    exit             os._exit, sys.exit, exit(), quit(), os.abort, os.kill, raise SystemExit
    process          subprocess, os.system / popen / fork / exec*, multiprocessing, pty, shell
                     escapes (``!cmd``) and script cell magics (``%%bash``)
    dynamic code     exec, eval, compile, __import__
    hard-coded       a literal table of non-integer numbers inside a library function
    edited file      a file the grader replaces with its own copy differs from it
    edited test cell a locked notebook cell whose source no longer matches its checksum
    symlink          a symbolic link in the submission (never followed or copied)
    shadowing        a top-level numpy.py, IPython/, sitecustomize.py... that an import would pick
    missing canary   (at run time) a test cell ran without error but never reached its end

Canaries and the run-time guard (``add_canaries`` / ``verify_canaries``): an input transformer
registered by student code can turn every later cell into ``pass``, a custom exception handler can
swallow a failing test's error, and a patched ``np.allclose`` or ``checks.rel_error`` makes a
wrong answer pass; each time the test cell shows no error. Before execution, ``add_canaries(nb)``
inserts a first cell (it runs before any student code) that snapshots numpy, numpy.testing,
numpy.linalg, builtins and math, and appends to every graded test cell a line printing
``CANARY:<token>:<grade_id>`` plus the names the guard finds replaced (the token is random per
run, so it is in no released file). After execution ``verify_canaries(nb, token)`` removes that
cell and those lines again (so checksums, feedback and the stored notebook are as before) and
gives every test cell that ran without an error but did not print a clean canary an error output
(nbgrader then scores it 0), returning a Flag for each. Wiring in the grading unit:
``token = add_canaries(nb)`` right before execution; ``flags += verify_canaries(nb, token,
notebook_name)`` right after it (after marking the cells that never ran), before scoring. Limits:
a transformer written to keep exactly the canary line, or code that patches and restores around
each test, is not caught at run time; the static scan flags every transformer registration and
every patch for review.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import os
import re
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

KINDS = {
    "monkeypatch": "changes numpy, builtins, IPython or the test helpers that grading relies on",
    "ipython hook": "changes how IPython runs or reports later cells (the test cells)",
    "always-equal": "defines a comparison that ignores its operands, so == checks always pass",
    "secret path": "names a path to the course's secrets or outside the submission",
    "grader import": "imports the grader, the reference or the gradebook, or loads code by path",
    "network": "uses the network",
    "environment": "inspects the grading environment (variables, user, host, cwd, argv)",
    "introspection": "inspects or rewrites its callers (frames, tracebacks, code objects)",
    "native code": "calls native code directly",
    "exit": "ends the kernel process",
    "process": "starts other processes or shell commands",
    "dynamic code": "runs code built at run time, which a static scan cannot see",
    "hard-coded": "contains a literal table of many numbers, e.g. copied expected outputs",
    "edited file": "edited a file the grader replaces with its own copy",
    "edited test cell": "edited a locked cell of the notebook (the grader restores it)",
    "symlink": "contains a symbolic link (the grader does not follow it)",
    "shadowing": "a top-level file or folder named like an installed module (numpy.py, ...)",
    "missing canary": "a test cell reported no error but never reached its end",
}

# Modules (or attribute names on the way to them) whose attributes student code must not change.
PROTECTED_ROOTS = {"numpy", "builtins", "__builtins__", "IPython", "math", "nbgrader", "unittest",
                   "pytest", "operator"}
PROTECTED_PARTS = {"np", "numpy", "checks", "gradcheck", "builtins", "__builtins__"}
IPYTHON_HOOKS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                 "ast_transformers", "set_custom_exc", "register_transformer", "custom_exceptions",
                 "showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_cell_async",
                 "run_ast_nodes", "run_code", "transform_cell", "set_hook", "CustomTB",
                 "InteractiveTB", "SyntaxTB", "register_magic_function", "events"}
SAFE_EXTENSIONS = {"autoreload", "ipywidgets", "ipympl", "matplotlib"}
# Names that are secrets on their own (any path component) ...
SECRET_NAMES = {"gradebook.db", "gradebook", "nbgrader_config.py", "reference_lib", ".autograde.lock"}
# ... and folder names of an nbgrader course that are secrets when used as a path component.
COURSE_DIRS = {"source", "solutions", "autograded", "submitted", "feedback", "release", "grading",
               "hidden_tests"}
GRADER_MODULES = {"nbgrader", "autograder", "reference_lib", "solutions", "sqlite3", "dbm", "shelve"}
NETWORK_MODULES = {"socket", "urllib", "http", "requests", "httpx", "aiohttp", "ftplib", "smtplib",
                   "telnetlib", "xmlrpc", "websocket", "websockets", "paramiko", "ssl", "poplib",
                   "imaplib", "nntplib", "urllib3", "zmq", "asyncssh", "pycurl"}
PROCESS_MODULES = {"subprocess", "multiprocessing", "pty", "pexpect", "sh", "plumbum"}
NATIVE_MODULES = {"ctypes", "_ctypes", "cffi"}
ENV_PROBES = {"os.getenv", "os.environ", "os.getlogin", "os.getuid", "os.geteuid", "os.getppid",
              "os.getcwd", "os.getcwdb", "os.uname", "getpass.getuser", "socket.gethostname",
              "platform.node", "platform.uname", "sys.argv", "sys.orig_argv", "pathlib.Path.cwd",
              "pathlib.Path.home", "os.path.expanduser"}
ENV_MODULES = {"pwd", "grp", "psutil"}
# Frame objects, not tracebacks: traceback.extract_tb(err.__traceback__) to say where student code
# failed is honest (the checks do it); walking to a caller's frame to read or change it is not.
FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "f_builtins", "f_code", "tb_frame", "gi_frame",
               "cr_frame"}
INTROSPECTION_CALLS = {"sys._getframe", "sys._current_frames", "inspect.currentframe",
                       "inspect.stack", "inspect.trace", "inspect.getouterframes",
                       "inspect.getinnerframes", "gc.get_referrers", "gc.get_referents",
                       "gc.get_objects", "sys.settrace", "sys.setprofile", "threading.settrace",
                       "sys.addaudithook", "sys.call_tracing"}
REBOUND_SYS = {"sys.excepthook", "sys.displayhook", "sys.meta_path", "sys.path_hooks",
               "sys.modules", "sys.stdout", "sys.stderr", "sys.breakpointhook"}
EXIT_CALLS = {"os._exit", "sys.exit", "exit", "quit", "os.abort", "os.kill", "os.killpg",
              "signal.raise_signal", "signal.pthread_kill", "builtins.exit"}
PROCESS_CALLS = {"os.system", "os.popen", "os.fork", "os.forkpty", "os.posix_spawn",
                 "os.posix_spawnp", "os.startfile"}
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__", "builtins.exec", "builtins.eval"}
LOAD_BY_PATH = {"importlib.util.spec_from_file_location", "importlib.machinery.SourceFileLoader",
                "importlib.machinery.SourcelessFileLoader", "runpy.run_path", "runpy.run_module",
                "zipimport.zipimporter"}
# Calls whose string arguments are paths, and which of them write.
PATH_CALLS = {"open", "io.open", "os.open", "pathlib.Path", "pathlib.PurePath", "os.listdir",
              "os.scandir", "os.walk", "os.stat", "os.path.join", "os.path.exists", "os.path.isfile",
              "os.path.isdir", "os.chdir", "glob.glob", "glob.iglob", "numpy.load", "numpy.loadtxt",
              "numpy.genfromtxt", "numpy.fromfile", "json.load", "pickle.load", "sqlite3.connect",
              "os.path.abspath", "os.path.realpath", "importlib.import_module"}
WRITE_CALLS = {"os.remove", "os.unlink", "os.rename", "os.replace", "os.rmdir", "os.removedirs",
               "os.makedirs", "os.mkdir", "os.chmod", "os.chown", "os.symlink", "os.link",
               "os.truncate", "os.utime", "shutil.copy", "shutil.copy2", "shutil.copyfile",
               "shutil.copytree", "shutil.move", "shutil.rmtree", "numpy.save", "numpy.savez",
               "numpy.savetxt", "sqlite3.connect"}
WRITE_METHODS = {"write_text", "write_bytes", "unlink", "rmdir", "rename", "replace", "touch",
                 "mkdir", "chmod", "symlink_to", "hardlink_to"}
COMPARISONS = {"__eq__": True, "__ne__": False, "__lt__": None, "__le__": None, "__gt__": None,
               "__ge__": None}
HARD_CODED_FLOATS = 4  # this many non-integer literals in one list/tuple display of library code
EVIDENCE_CHARS = 120


class Flag(str):
    """One finding, as its one-line text ``"file:line: kind: evidence"`` (a ``str``, so it
    serializes to JSON and joins as it is) with the fields ``student_file`` (path relative to the
    submission; a notebook cell is ``"name.ipynb:cell 4"``), ``line`` (1-based, within the cell
    for notebooks; 0 for a whole file), ``kind`` (a key of ``KINDS``) and ``evidence`` (the source
    line, shortened)."""

    __slots__ = ("student_file", "line", "kind", "evidence")

    def __new__(cls, student_file, line, kind, evidence):
        evidence = " ".join(str(evidence).split())
        if len(evidence) > EVIDENCE_CHARS:
            evidence = evidence[:EVIDENCE_CHARS - 3] + "..."
        text = super().__new__(cls, f"{student_file}:{line}: {kind}: {evidence}")
        text.student_file, text.line, text.kind, text.evidence = student_file, line, kind, evidence
        return text

    def __getnewargs__(self):  # pickling (process pools, Dask) rebuilds it from the fields
        return (self.student_file, self.line, self.kind, self.evidence)


@dataclass
class Report:
    """``flags``: findings for review; ``unparsed``: "file: why" lines for files or cells that
    are not valid Python or not readable (recorded, not flagged: Python cannot run them either)."""

    flags: list = field(default_factory=list)
    unparsed: list = field(default_factory=list)


def scan(folder, instructor_files=None):
    """The flags for the submission in ``folder`` (see ``inspect``)."""
    return inspect(folder, instructor_files).flags


def inspect(folder, instructor_files=None):
    """Scan every ``.py`` file and notebook under ``folder``.

    ``instructor_files``: {relative path: bytes} of the files the grader puts over the student's
    (nbgrader's overwritten files); a submitted file that differs from its instructor copy is
    flagged "edited file" and not scanned further (the grader never runs it).
    """
    folder = Path(folder)
    report = Report()
    instructor_files = instructor_files or {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if any(part.startswith(".") and part not in (".", "..") for part in Path(relative).parts):
            if not path.is_symlink():
                continue  # .ipynb_checkpoints and the like: never executed
        if path.is_symlink():
            report.flags.append(Flag(relative, 0, "symlink", f"-> {os.readlink(path)}"))
            continue
        if path.parent == folder and _shadows(path):
            report.flags.append(Flag(relative, 0, "shadowing",
                                     f"named like the installed module {_module_name(path)!r}"))
        if not path.is_file():
            continue
        if relative in instructor_files:
            if path.read_bytes() != instructor_files[relative]:
                report.flags.append(Flag(relative, 0, "edited file",
                                         "differs from the instructor's copy"))
            continue
        if path.suffix == ".py":
            _scan_source(path.read_bytes(), relative, report, notebook=False)
        elif path.suffix == ".ipynb":
            _scan_notebook(path, relative, report)
    return report


def _module_name(path):
    return path.name.split(".")[0]


def _shadows(path):
    """A top-level ``x.py`` / ``x/`` / ``x.cpython-311-*.so`` that ``import x`` would find first."""
    importable = path.suffix in (".py", ".pyc", ".so", ".pyd") or (path.is_dir() and not path.suffix)
    return importable and _module_name(path) in _installed_modules()


@functools.lru_cache(maxsize=None)
def _installed_modules():
    from importlib.metadata import packages_distributions

    names = set(sys.stdlib_module_names) | set(packages_distributions())
    names |= {"sitecustomize", "usercustomize", "ipykernel_launcher", "__main__"}
    return names - {"backprop_lib"}


def scan_source(source, name="<cell>", notebook=True):
    """Flags for one piece of source text (a cell when ``notebook``); for tests and tools."""
    report = Report()
    if notebook and isinstance(source, str):
        source = _ipython_to_python(source)
    _scan_source(source, name, report, notebook)
    return report.flags


# ---------------------------------------------------------------------------------------------
# Reading files

def _scan_notebook(path, relative, report):
    try:
        nb = json.loads(path.read_bytes())
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError) as err:
        report.unparsed.append(f"{relative}: not a readable notebook ({type(err).__name__})")
        return
    aliases = {}  # a notebook's cells share one namespace: an import in cell 1 holds in cell 9
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell.get("metadata"), dict) else {}
        name = f"{relative}:cell {index}"
        locked = bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))
        if locked and meta.get("checksum") and _checksum(cell) not in (None, meta["checksum"]):
            report.flags.append(Flag(name, 0, "edited test cell",
                                     f"grade_id {meta.get('grade_id', '?')}: source changed"))
        _scan_source(_ipython_to_python(source), name, report, notebook=True, instructor=locked,
                     aliases=aliases)


def _checksum(cell):
    """nbgrader's checksum of a cell, or None when nbgrader cannot compute it."""
    try:
        import nbformat
        from nbgrader.utils import compute_checksum
        cell = nbformat.from_dict(cell)
        if isinstance(cell.source, list):  # the file format splits source into lines
            cell.source = "".join(cell.source)
        return compute_checksum(cell)
    except Exception:  # a malformed cell: nothing to compare
        return None


def _ipython_to_python(source):
    """The Python IPython runs for a cell (magics and ``!`` become get_ipython() calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython's own transformers can fail on garbage; parse what was given
        return source


def _scan_source(source, name, report, notebook, instructor=False, aliases=None):
    try:
        tree = ast.parse(source, filename=name)
    except (SyntaxError, ValueError) as err:
        line = getattr(err, "lineno", 0) or 0
        why = "null bytes" if isinstance(err, ValueError) else (err.msg or "syntax error")
        report.unparsed.append(f"{name}:{line}: not valid Python ({why})")
        return
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            source = source.decode("latin-1")
    visitor = _Visitor(name, source.splitlines(), notebook, instructor,
                       {} if aliases is None else aliases)
    visitor.visit(tree)
    seen = set()
    for flag in visitor.flags:  # one flag per (place, kind)
        key = (flag.line, flag.kind)
        if key not in seen:
            seen.add(key)
            report.flags.append(flag)


# ---------------------------------------------------------------------------------------------
# The rules

class _Visitor(ast.NodeVisitor):
    def __init__(self, name, lines, notebook, instructor, aliases):
        self.name, self.lines, self.notebook, self.instructor = name, lines, notebook, instructor
        self.aliases = aliases  # imported name -> dotted module / object path ("np" -> "numpy")
        self.depth = 0  # functions we are inside
        self.flags = []

    # -- helpers --------------------------------------------------------------------------------
    def flag(self, node, kind):
        line = getattr(node, "lineno", 0)
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ast.unparse(node)
        self.flags.append(Flag(self.name, line, kind, text))

    def dotted(self, node):
        """'numpy.testing.assert_allclose' for np.testing.assert_allclose, or None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            # builtins and the usual module names (imported in a cell we may not see) are
            # themselves; any other name is the student's own variable
            return node.id if node.id in KNOWN_NAMES else f"{LOCAL}.{node.id}"
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):  # __import__("numpy"), importlib.import_module("numpy")
            func = self.dotted(node.func)
            if func in ("__import__", "importlib.import_module") and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                return node.args[0].value
            if func in ("get_ipython",):
                return "IPython.shell"
        if isinstance(node, ast.Subscript):  # sys.modules["numpy"]
            base = self.dotted(node.value)
            if base == "sys.modules" and isinstance(node.slice, ast.Constant):
                return str(node.slice.value)
            if base in ("globals", "vars", "locals"):
                return None
        return None

    def protected(self, dotted):
        if not dotted:
            return False
        parts = dotted.split(".")
        if parts[0] == LOCAL:
            return False
        return parts[0] in PROTECTED_ROOTS or any(part in PROTECTED_PARTS for part in parts) \
            or parts[-1] in ("checks", "gradcheck")

    # -- imports ----------------------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = \
                alias.name if alias.asname else alias.name.split(".")[0]
            self.check_module(node, alias.name)

    def visit_ImportFrom(self, node):
        module = ("." * node.level) + (node.module or "")
        for alias in node.names:
            full = f"{module}.{alias.name}" if module.strip(".") or node.level else alias.name
            self.aliases[alias.asname or alias.name] = full.lstrip(".") if node.level == 0 else full
            self.check_module(node, f"{module}.{alias.name}" if node.module else alias.name)
        self.check_module(node, node.module or "")

    def check_module(self, node, module):
        top = module.lstrip(".").split(".")[0]
        if top in NETWORK_MODULES:
            self.flag(node, "network")
        elif top in PROCESS_MODULES:
            self.flag(node, "process")
        elif top in NATIVE_MODULES:
            self.flag(node, "native code")
        elif top in GRADER_MODULES:
            self.flag(node, "grader import")
        elif top in ENV_MODULES:
            self.flag(node, "environment")

    # -- assignments: monkeypatching --------------------------------------------------------------
    def visit_Assign(self, node):
        for target in node.targets:
            self.check_target(target, node)
        self.track_alias(node.targets, node.value)
        self.check_lambda_comparison(node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.check_target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.check_target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self.check_target(target, node)
        self.generic_visit(node)

    def track_alias(self, targets, value):
        dotted = self.dotted(value) if isinstance(value, (ast.Name, ast.Attribute, ast.Call)) else None
        for target in targets:
            if isinstance(target, ast.Name):
                if dotted and (self.protected(dotted) or dotted.split(".")[0] in ("sys", "os")):
                    self.aliases[target.id] = dotted
                else:
                    self.aliases.pop(target.id, None)

    def check_target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.check_target(element, node)
            return
        if isinstance(target, ast.Attribute):
            owner = self.dotted(target.value)
            full = f"{owner}.{target.attr}" if owner else None
            if target.attr in IPYTHON_HOOKS and (owner is None or "IPython" in owner
                                                 or "shell" in owner.lower()):
                self.flag(node, "ipython hook")
            elif target.attr in ("__code__", "__class__", "__globals__", "__defaults__",
                                 "__kwdefaults__", "__closure__"):
                self.flag(node, "introspection")
            elif full in REBOUND_SYS:
                self.flag(node, "introspection")
            elif self.protected(owner):
                self.flag(node, "monkeypatch")
        elif isinstance(target, ast.Subscript):
            owner = self.dotted(target.value)
            base = target.value
            if owner == "sys.modules" or owner in REBOUND_SYS:
                self.flag(node, "monkeypatch")
            elif isinstance(base, ast.Call) and self.dotted(base.func) in ("globals", "vars",
                                                                           "locals"):
                self.flag(node, "monkeypatch")
            elif isinstance(base, ast.Attribute) and base.attr == "__dict__" \
                    and self.protected(self.dotted(base.value)):
                self.flag(node, "monkeypatch")
            elif self.protected(owner):
                self.flag(node, "monkeypatch")
        elif isinstance(target, ast.Name) and self.notebook and not self.instructor:
            # Rebinding a helper the test cells use by name, in the notebook they run in.
            if target.id in ("np", "numpy", "task", "rel_error",
                             "isinstance", "float", "abs", "all", "any", "len", "AssertionError",
                             "print", "bool", "get_ipython") \
                    and not (isinstance(node, ast.Assign) and self.is_import_value(node.value)):
                self.flag(node, "monkeypatch")

    def is_import_value(self, value):
        dotted = self.dotted(value) if isinstance(value, (ast.Name, ast.Attribute, ast.Call)) else None
        return bool(dotted) and dotted.split(".")[0] in ("numpy", "backprop_lib")

    def visit_FunctionDef(self, node):
        if self.notebook and not self.instructor and node.name in (
                "isinstance", "float", "abs", "all", "any", "len", "print", "bool", "rel_error",
                "task", "get_ipython"):
            self.flag(node, "monkeypatch")
        if node.name in COMPARISONS and self.constant_result(node.body, node.name):
            self.flag(node, "always-equal")
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def check_lambda_comparison(self, node):
        # __eq__ = lambda self, other: True (in a class body)
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in COMPARISONS \
                    and isinstance(node.value, ast.Lambda) \
                    and self.constant_value(node.value.body, target.id):
                self.flag(node, "always-equal")

    def constant_value(self, expr, name):
        if not isinstance(expr, ast.Constant) or not isinstance(expr.value, (bool, int)):
            return False
        wanted = COMPARISONS[name]
        return wanted is None or bool(expr.value) == wanted

    def constant_result(self, body, name):
        returns = [n for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Return)]
        return bool(returns) and all(r.value is not None and self.constant_value(r.value, name)
                                     for r in returns)

    # -- calls --------------------------------------------------------------------------------------
    def visit_Call(self, node):
        func = self.dotted(node.func)
        attr = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if func in ("setattr", "delattr", "builtins.setattr", "object.__setattr__") and node.args:
            owner = self.dotted(node.args[0])
            name = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else None
            if name in IPYTHON_HOOKS:
                self.flag(node, "ipython hook")
            elif self.protected(owner) or owner in REBOUND_SYS or owner == "sys":
                self.flag(node, "monkeypatch")
        if attr in IPYTHON_HOOKS and attr not in ("events", "run_cell") \
                or (attr == "register" and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "events"):
            self.flag(node, "ipython hook")
        if func and func.endswith(("run_line_magic", "run_cell_magic")):
            self.check_magic(node, func.endswith("run_cell_magic"))
        if func and func.endswith((".system", ".getoutput")) and func.startswith("IPython.shell"):
            self.flag(node, "process")
        self.check_call_name(node, func)
        self.check_paths(node, func, attr)
        self.generic_visit(node)

    def check_call_name(self, node, func):
        if not func:
            return
        top = func.split(".")[0]
        if func in EXIT_CALLS:
            self.flag(node, "exit")
        elif func in PROCESS_CALLS or func.startswith(("os.exec", "os.spawn")) \
                or top in PROCESS_MODULES:
            self.flag(node, "process")
        elif func in INTROSPECTION_CALLS:
            self.flag(node, "introspection")
        elif func in DYNAMIC_CALLS:
            self.flag(node, "dynamic code")
        elif func in LOAD_BY_PATH:
            self.flag(node, "grader import")
        elif func in ENV_PROBES or top in ENV_MODULES or func.startswith("os.environ"):
            self.flag(node, "environment")
        elif top in NETWORK_MODULES:
            self.flag(node, "network")
        elif top in NATIVE_MODULES:
            self.flag(node, "native code")
        elif func == "importlib.import_module" and node.args and not isinstance(node.args[0], ast.Constant):
            self.flag(node, "dynamic code")
        elif func == "importlib.import_module" and node.args:
            self.check_module(node, str(node.args[0].value))
        elif func in ("sys.path.insert", "sys.path.append", "sys.path.extend", "os.chdir"):
            self.flag(node, "secret path")

    def check_magic(self, node, cell):
        if not node.args or not isinstance(node.args[0], ast.Constant):
            return
        magic = str(node.args[0].value)
        rest = node.args[1].value if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) else ""
        if magic in ("bash", "sh", "script", "system", "sx", "perl", "ruby", "python", "python2",
                     "python3", "pypy", "!"):
            self.flag(node, "process")
        elif magic in ("run", "load", "loadpy", "pycat", "writefile"):
            self.flag(node, "grader import" if magic != "writefile" else "secret path")
        elif magic in ("env", "set_env", "pwd", "cd", "dhist", "bookmark"):
            self.flag(node, "environment")
        elif magic == "config":
            self.flag(node, "ipython hook")
        elif magic in ("load_ext", "reload_ext") and str(rest).split()[:1] \
                and str(rest).split()[0] not in SAFE_EXTENSIONS:
            self.flag(node, "ipython hook")

    # -- paths ----------------------------------------------------------------------------------
    def check_paths(self, node, func, attr):
        writes = func in WRITE_CALLS or attr in WRITE_METHODS or (
            func in ("open", "io.open") and self.open_mode_writes(node))
        pathlike = writes or func in PATH_CALLS or attr in ("open", "read_text", "read_bytes",
                                                            "iterdir", "glob", "rglob", "joinpath")
        if not pathlike:
            return
        for string in self.strings(node):
            if _secret_path(string, in_path_call=True):
                self.flag(node, "secret path")
                return

    def open_mode_writes(self, node):
        mode = node.args[1] if len(node.args) > 1 else next(
            (k.value for k in node.keywords if k.arg == "mode"), None)
        return isinstance(mode, ast.Constant) and isinstance(mode.value, str) \
            and any(c in mode.value for c in "wax+")

    def strings(self, node):
        """The string literals in ``node``; an f-string counts as one, "{}" for each value."""
        found, fragments = [], set()
        for child in ast.walk(node):
            if isinstance(child, ast.JoinedStr):
                fragments.update(id(v) for v in child.values)
                found.append(_joined(child))
            elif isinstance(child, ast.Constant) and isinstance(child.value, str) \
                    and id(child) not in fragments:
                found.append(child.value)
        return found

    def visit_JoinedStr(self, node):
        if _secret_path(_joined(node), in_path_call=False):
            self.flag(node, "secret path")
        for value in node.values:  # the fragments are not paths on their own; the values may hide calls
            if isinstance(value, ast.FormattedValue):
                self.visit(value)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and _secret_path(node.value, in_path_call=False):
            self.flag(node, "secret path")

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant):
            return  # a docstring or a bare string: prose, not a path anyone opens
        self.generic_visit(node)

    def visit_BinOp(self, node):
        # Path(__file__).parent / ".." / "source": strings joined with the / operator are paths.
        if isinstance(node.op, ast.Div):
            for string in self.strings(node):
                if _secret_path(string, in_path_call=True):
                    self.flag(node, "secret path")
                    break
        self.generic_visit(node)

    # -- attribute reads ---------------------------------------------------------------------------
    def visit_Attribute(self, node):
        dotted = self.dotted(node)
        if node.attr in FRAME_ATTRS:
            self.flag(node, "introspection")
        elif dotted in ENV_PROBES or (dotted or "").startswith("os.environ"):
            self.flag(node, "environment")
        elif node.attr in ("input_transformers_cleanup", "input_transformers_post",
                           "input_transformer_manager", "ast_transformers", "custom_exceptions"):
            self.flag(node, "ipython hook")
        elif node.attr == "parents" or (node.attr == "parent" and isinstance(node.value, ast.Attribute)
                                        and node.value.attr == "parent"):
            if self.mentions_file(node):
                self.flag(node, "secret path")
        self.generic_visit(node)

    def mentions_file(self, node):
        return any(isinstance(n, ast.Name) and n.id == "__file__" for n in ast.walk(node))

    def visit_Name(self, node):
        if node.id == "__builtins__" and isinstance(node.ctx, ast.Load) and not self.instructor:
            self.flag(node, "monkeypatch")

    # -- hard-coded tables ----------------------------------------------------------------------
    def visit_List(self, node):
        self.check_table(node)
        self.generic_visit(node)

    visit_Tuple = visit_List

    def check_table(self, node):
        # Inside library functions only: a notebook's scratch cells hold small example arrays and
        # a module's constants (learning rates to try) are configuration, not copied outputs.
        if self.notebook or not self.depth or getattr(node, "_table_checked", False):
            return
        floats = 0
        for child in ast.walk(node):
            child._table_checked = True
            if isinstance(child, ast.Constant) and isinstance(child.value, float) \
                    and not child.value.is_integer():
                floats += 1
        if floats >= HARD_CODED_FLOATS:
            self.flag(node, "hard-coded")

    def visit_Raise(self, node):
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if exc is not None and self.dotted(exc) in ("SystemExit", "KeyboardInterrupt"):
            self.flag(node, "exit")
        self.generic_visit(node)


_SEPARATORS = re.compile(r"[\\/]")
LOCAL = "<local>"
KNOWN_NAMES = set(dir(builtins)) | {"np", "numpy", "sys", "os", "get_ipython", "__builtins__",
                                    "builtins", "IPython", "math", "inspect", "gc", "ctypes",
                                    "subprocess", "socket", "importlib", "shutil", "pathlib",
                                    "getpass", "platform", "signal", "runpy"}


def _joined(node):
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def _secret_path(text, in_path_call):
    """Whether ``text`` names a course secret or a place outside the submission.

    Outside a path call only unambiguous strings count (they contain a separator, or name a
    secret file); inside one (open, Path, os.path.join, ``/``) a bare course folder name or
    ``..`` is enough.
    """
    if not text or len(text) > 300 or "\n" in text:
        return False
    parts = [p for p in _SEPARATORS.split(text) if p]
    has_separator = bool(_SEPARATORS.search(text))
    if any(p.lower() in SECRET_NAMES for p in parts):
        return True
    if not (has_separator or in_path_call):
        return False
    if ".." in parts or any(p.lower() in COURSE_DIRS for p in parts):
        return True
    if (text.startswith(("/", "~/")) or re.match(r"^[A-Za-z]:[\\/]", text)) and parts \
            and not re.search(r"\s", text):
        # the null device and a sandbox's own temp folder are harmless
        return not text.startswith(("/dev/null", "/tmp/", "/tmp"))
    return False


# ---------------------------------------------------------------------------------------------
# Canaries and the run-time guard

CANARY = "CANARY:{token}:{grade_id}"
GUARD = "_grader_guard_{token}"
CANARY_LINE = '\nprint("' + CANARY + '", *' + GUARD + '())  # grader canary'
# Runs as the notebook's first cell, before any student code: snapshots the modules the tests rely
# on and leaves a checker under a random name in builtins (where test cells find it whatever the
# student did to the notebook's namespace).
GUARD_SETUP = """import builtins as _b
import numpy.linalg, numpy.testing


def _grader_guard_for():
    import builtins, math, sys
    import numpy
    watched = {{name: vars(module) for name, module in (
        ("numpy", numpy), ("numpy.testing", numpy.testing), ("numpy.linalg", numpy.linalg),
        ("builtins", builtins), ("math", math))}}
    # ipykernel swaps builtins.input for every cell it runs (stdin goes to the client)
    snapshot = {{name: {{k: v for k, v in space.items() if not k.startswith("_") and k != "input"}}
                for name, space in watched.items()}}
    helpers = ("backprop_lib.checks", "backprop_lib.gradcheck")

    def guard():
        changed = [f"{{name}}.{{k}}" for name, saved in snapshot.items()
                   for k, v in saved.items() if watched[name].get(k) is not v]
        for helper in helpers:  # imported after this cell: check where their functions come from
            module = sys.modules.get(helper)
            for k, v in (vars(module).items() if module else ()):
                # a class's own methods too; dunders are left out (dataclasses generate
                # __init__, __eq__... from strings)
                members = [v] + ([m for name, m in vars(v).items() if not name.startswith("__")]
                                 if isinstance(v, type) and v.__module__ == helper else [])
                for member in members:
                    code = getattr(member, "__code__", None)
                    owner = getattr(member, "__module__", None) or ""
                    if code is not None and (owner == "__main__" or code.co_filename.startswith("<")
                                             or owner.startswith("backprop_lib.")
                                             and owner not in helpers):
                        changed.append(f"{{helper}}.{{k}}")
                        break
        return changed

    return guard


setattr(_b, "{guard}", _grader_guard_for())
del _grader_guard_for, _b
"""


def _test_cells(nb):
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            yield index, cell, meta.get("grade_id", f"cell-{index}")


def add_canaries(nb, token=None):
    """Prepare ``nb`` (in place) for a checked run; returns the token for ``verify_canaries``.

    Inserts the guard set-up as a first cell and appends to every graded test cell a line that
    prints ``CANARY:<token>:<grade_id>`` followed by whatever the guard finds replaced.
    """
    from nbformat.v4 import new_code_cell

    token = token or secrets.token_hex(8)
    for _, cell, grade_id in _test_cells(nb):
        cell.source = cell.source + CANARY_LINE.format(token=token, grade_id=grade_id)
    setup = new_code_cell(GUARD_SETUP.format(guard=GUARD.format(token=token)))
    setup.metadata["grader_guard"] = token
    nb.cells.insert(0, setup)
    return token


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

    nb.cells = [cell for cell in nb.cells if cell.metadata.get("grader_guard") != token]
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
