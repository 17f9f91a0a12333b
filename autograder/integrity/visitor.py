"""The rules applied to one parsed file or cell: an ``ast`` visitor that records a ``Flag`` per
suspicious construct (see ``rules`` for the kinds and the names it looks for)."""

from __future__ import annotations

import ast
import builtins

from .findings import Flag
from .paths import joined, secret_path
from .rules import (COMPARISONS, DYNAMIC_CALLS, ENV_MODULES, ENV_PROBES, EXIT_CALLS, FRAME_ATTRS,
                    GRADER_MODULES, HARD_CODED_FLOATS, INTROSPECTION_CALLS, IPYTHON_HOOKS,
                    LOAD_BY_PATH, NATIVE_MODULES, NETWORK_MODULES, PATH_CALLS, PROCESS_CALLS,
                    PROCESS_MODULES, PROTECTED_PARTS, PROTECTED_ROOTS, REBOUND_SYS,
                    SAFE_EXTENSIONS, WRITE_CALLS, WRITE_METHODS)

LOCAL = "<local>"
KNOWN_NAMES = set(dir(builtins)) | {"np", "numpy", "sys", "os", "get_ipython", "__builtins__",
                                    "builtins", "IPython", "math", "inspect", "gc", "ctypes",
                                    "subprocess", "socket", "importlib", "shutil", "pathlib",
                                    "getpass", "platform", "signal", "runpy"}


class Visitor(ast.NodeVisitor):
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
        elif any(f"{module.lstrip('.')}.".startswith(f"{name}.") for name in GRADER_MODULES):
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
            if secret_path(string, in_path_call=True):
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
                found.append(joined(child))
            elif isinstance(child, ast.Constant) and isinstance(child.value, str) \
                    and id(child) not in fragments:
                found.append(child.value)
        return found

    def visit_JoinedStr(self, node):
        if secret_path(joined(node), in_path_call=False):
            self.flag(node, "secret path")
        for value in node.values:  # the fragments are not paths on their own; the values may hide calls
            if isinstance(value, ast.FormattedValue):
                self.visit(value)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and secret_path(node.value, in_path_call=False):
            self.flag(node, "secret path")

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant):
            return  # a docstring or a bare string: prose, not a path anyone opens
        self.generic_visit(node)

    def visit_BinOp(self, node):
        # Path(__file__).parent / ".." / "source": strings joined with the / operator are paths.
        if isinstance(node.op, ast.Div):
            for string in self.strings(node):
                if secret_path(string, in_path_call=True):
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
