"""Reload the student's edits to ``backprop_lib/`` before every cell, keeping every object built before.

IPython's autoreload makes a new class for each class of a reloaded module: objects built before
the edit keep the old one, and ``isinstance(old_scalar, Scalar)`` is then False wherever the new
class is asked (lesson 1's ``as_scalar`` refused the notebook's own nodes). Here each class and
function keeps its identity for the whole session: a reload runs the edited module, then moves
the new code into the first class and function objects of that name (a function gets the new
``__code__``, a class the new attributes) and points the module's names back at them. Objects
built before the edit, the notebook's ``from backprop_lib.graph import Scalar`` and the course's
own imports all follow the edit at once; tracebacks show the new file's lines.

A file that does not compile or whose module raises while it runs is not half-loaded: the library
stays as it was, the student reads one line (``SyntaxError in backprop_lib/layers.py line 77:
invalid syntax``) and every cell refuses to run with that line until the file is fixed, so no
check runs the stale code silently.
"""

import ast
import importlib
import os
import sys
import traceback
import types
from pathlib import Path

LIBRARY = "backprop_lib"
PACKAGE_PREFIX = LIBRARY + "."
# Class attributes that belong to the class object itself, never copied from a new version.
_OWN = {"__dict__", "__weakref__"}


class LibraryBroken(Exception):
    """A library file that does not load; shown in Jupyter as its one line."""

    def _render_traceback_(self):
        return [str(self)]


# sys.modules' names when last looked at, and the library's among them (see _library_modules).
_loaded = [(), []]


def _library_modules():
    """The loaded modules of the library, in import order (a module after those it imports).
    Twice a cell, among every module loaded: the library's names are picked out again only when
    the names loaded changed (one comparison of the names, at C speed)."""
    names = tuple(sys.modules)
    if names != _loaded[0]:
        _loaded[:] = [names, [name for name in names if name == LIBRARY or name.startswith(PACKAGE_PREFIX)]]
    return [module for module in map(sys.modules.get, _loaded[1]) if getattr(module, "__file__", None)]


def _mtime(module):
    try:
        return os.stat(module.__file__).st_mtime_ns
    except OSError:  # deleted or renamed: nothing to load
        return None


def load_error(err, path):
    """One line on why ``path`` (a library file) does not load: the error, where, and what it says."""
    shown = f"{LIBRARY}/{Path(path).name}"
    if isinstance(err, SyntaxError):
        return f"{type(err).__name__} in {shown} line {err.lineno}: {err.msg}"
    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__)
             if Path(frame.filename).resolve() == Path(path).resolve()]
    where = f" line {lines[-1]}" if lines else ""
    return f"{type(err).__name__} in {shown}{where}: {err}"


def _patch_closure_class(function, old_class, new_class):
    """Point a method's ``__class__`` cell (zero-argument ``super()``) at the class it now lives in."""
    for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
        if name == "__class__" and cell.cell_contents is new_class:
            cell.cell_contents = old_class


def _adopt_function(old, new):
    """``old`` running ``new``'s code, when their closures allow it (else ``new``)."""
    if not (isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType)):
        return new
    if old.__code__.co_freevars != new.__code__.co_freevars or not set(new.__code__.co_freevars) <= {"__class__"}:
        return new
    old.__code__ = new.__code__
    old.__defaults__, old.__kwdefaults__ = new.__defaults__, new.__kwdefaults__
    old.__doc__, old.__annotations__ = new.__doc__, new.__annotations__
    return old


def _adopt_attribute(old_value, new_value, old_class, new_class):
    """The value a kept class holds for one attribute of its new version."""
    functions = ([new_value] if isinstance(new_value, types.FunctionType) else
                 [getattr(new_value, part) for part in ("__func__", "fget", "fset", "fdel")
                  if isinstance(getattr(new_value, part, None), types.FunctionType)])
    for function in functions:
        _patch_closure_class(function, old_class, new_class)
    if isinstance(new_value, (staticmethod, classmethod)) and type(old_value) is type(new_value):
        kept = _adopt_function(old_value.__func__, new_value.__func__)
        return old_value if kept is old_value.__func__ else new_value
    return _adopt_function(old_value, new_value)


def _adopt_class(old, new, kept):
    """Move ``new``'s attributes into ``old`` (``kept`` maps new classes to the kept ones)."""
    for name in [name for name in vars(old) if name not in vars(new) and name not in _OWN]:
        try:
            delattr(old, name)
        except (AttributeError, TypeError):
            pass
    for name, value in vars(new).items():
        if name in _OWN:
            continue
        try:
            setattr(old, name, _adopt_attribute(vars(old).get(name), value, old, new))
        except (AttributeError, TypeError):  # e.g. __slots__ descriptors, read-only type attributes
            pass
    bases = tuple(kept.get(base, base) for base in new.__bases__)
    if bases != old.__bases__:
        try:
            old.__bases__ = bases
        except TypeError:
            pass


class Reloader:
    """Watches the library's files; ``check()`` before each cell reloads what changed."""

    def __init__(self):
        self.seen = {}      # a module's file -> its mtime when it was last loaded
        self.kept = {}      # (a module's file, name) -> the first class or function of that name
        self.broken = ""    # the one line of a file that does not load, "" when all load

    def remember(self):
        """Record every library module's file time and first classes and functions (after a cell:
        modules imported by it are then known)."""
        for module in _library_modules():
            if module.__file__ not in self.seen:  # a file's time is read once, not after every cell
                self.seen[module.__file__] = _mtime(module)
            self._keep(module)

    def _keep(self, module):
        for name, value in vars(module).items():
            if isinstance(value, (type, types.FunctionType)) and value.__module__ == module.__name__:
                self.kept.setdefault((module.__file__, name), value)

    def check(self):
        """Reload the library when a file changed; returns the one-line reason it does not load, or ""."""
        timed = [(module, _mtime(module)) for module in _library_modules()]  # one stat per file
        modules = [module for module, mtime in timed if mtime is not None]
        changed = [module for module, mtime in timed
                   if mtime is not None and mtime != self.seen.get(module.__file__, mtime)]
        if not changed and not self.broken:
            return ""
        for module in changed if not self.broken else modules:
            try:
                compile(Path(module.__file__).read_bytes(), module.__file__, "exec")
            except (SyntaxError, ValueError) as err:
                self.broken = load_error(err, module.__file__)
                return self.broken
        # Every loaded module runs again in import order: one that imported a changed function by
        # name (``from .layers import relu``) gets its new version too.
        for module in modules:
            message = self._reload(module)
            if message:
                self.broken = message
                return message
        self.broken = ""
        for module in modules:
            self.seen[module.__file__] = _mtime(module)
        return ""

    def _reload(self, module):
        """Run ``module``'s file again and move its new code into the kept objects; "" or why not."""
        before = dict(vars(module))
        try:
            importlib.reload(module)
        except Exception as err:  # the student's module raised while loading: keep the old one whole
            vars(module).clear()
            vars(module).update(before)
            sys.modules[module.__name__] = module
            return load_error(err, module.__file__)
        name, path = module.__name__, module.__file__
        kept_classes = {new: self.kept[(path, attr)] for attr, new in vars(module).items()
                        if isinstance(new, type) and new.__module__ == name and (path, attr) in self.kept}
        for attr, new in list(vars(module).items()):
            old = self.kept.get((path, attr))
            if old is None or old is new or getattr(new, "__module__", None) != name:
                continue
            if isinstance(new, type) and isinstance(old, type):
                _adopt_class(old, new, kept_classes)
                setattr(module, attr, old)
            elif isinstance(new, types.FunctionType):
                setattr(module, attr, _adopt_function(old, new))
        self._keep(module)
        return ""


class _RefuseWhileBroken(ast.NodeTransformer):
    """Runs before each cell's code: reload the library; while a file does not load, the cell's
    code is replaced by raising the one line that says why."""

    # What it returns has every location a compile needs (the cell's own tree, or a Module around
    # a parsed statement), and its visit never raises: a kernel may skip IPython's walk of the
    # whole tree with ast.fix_missing_locations when this is its only transformer (see
    # autograder/sandbox/zygote_main.py).
    keeps_locations = True

    def __init__(self, reloader):
        super().__init__()
        self.reloader = reloader

    def visit(self, node):
        try:
            message = self.reloader.check()
        except Exception as err:  # a reloader bug must never take the notebook down
            message = f"the course could not reload backprop_lib ({type(err).__name__}: {err}): restart the kernel"
        if not message or not isinstance(node, ast.Module):
            return node
        raise_it = ast.parse(f"raise __import__({__name__!r}, fromlist=['LibraryBroken']).LibraryBroken({message!r})")
        return ast.Module(body=raise_it.body, type_ignores=[])


def install(shell):
    """Reload the library's edits before every cell of ``shell``; once per kernel."""
    if any(isinstance(transformer, _RefuseWhileBroken) for transformer in shell.ast_transformers):
        return
    reloader = Reloader()
    reloader.remember()
    shell.ast_transformers.append(_RefuseWhileBroken(reloader))
    shell.events.register("post_run_cell", lambda *_: reloader.remember())
