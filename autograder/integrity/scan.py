"""The static scan of a submission for code that tries to cheat the grader.

``scan(folder, instructor_files=None) -> list[Flag]`` reads every ``.py`` file and every notebook
code cell (IPython magics are first turned into the Python IPython would run) with :mod:`ast`,
and returns one ``Flag`` per suspicious construct, for a human to review. It never runs student
code. A file that does not parse is not a cheat: ``inspect(folder)`` returns it separately in
``Report.unparsed``.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import sys
import threading
from importlib.machinery import PathFinder
from pathlib import Path

from ..kept_results import kept_when_small
from .findings import Flag, Report
from .visitor import Visitor

# One parse at a time: CPython 3.11's AST constructor keeps its recursion depth in state shared by
# all threads, and two threads parsing at once (a Dask worker grades in threads) fail with
# "SystemError: AST constructor recursion depth mismatch".
_PARSE_LOCK = threading.Lock()


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
            flags, unparsed = _scan_module(path.read_bytes(), relative)
            report.flags += flags
            report.unparsed += unparsed
        elif path.suffix == ".ipynb":
            _scan_notebook(path, relative, report)
    return report


def _module_name(path):
    return path.name.split(".")[0]


def _shadows(path):
    """A top-level ``x.py`` / ``x/`` / ``x.cpython-311-*.so`` that ``import x`` would find first."""
    importable = path.suffix in (".py", ".pyc", ".so", ".pyd") or (path.is_dir() and not path.suffix)
    return importable and _is_installed(_module_name(path))


def warm_up():
    """Import now what ``scan`` imports on its first notebook (IPython's cell transformer, 0.06 s),
    so worker processes forked afterwards share it instead of each importing it."""
    _ipython_to_python("")


# The course's own packages too: an editable install's finder is not a folder on sys.path.
ALWAYS_INSTALLED = frozenset({"sitecustomize", "usercustomize", "ipykernel_launcher", "__main__",
                              "backprop_course"})


@functools.lru_cache(maxsize=4096)
def _is_installed(name):
    """Whether ``import name`` finds a module or package installed for this interpreter (the
    standard library included), ``backprop_lib`` excepted: the student's own. Looked up per name,
    on sys.path without the current folder, instead of listing every installed distribution's
    files (0.3 s a command)."""
    if name == "backprop_lib":
        return False
    if name in sys.stdlib_module_names or name in ALWAYS_INSTALLED:
        return True
    try:
        here = {"", os.getcwd()}
    except OSError:  # the current folder was removed: nothing can be found in it either
        here = {""}
    spec = PathFinder.find_spec(name, [entry for entry in sys.path if entry not in here])
    if spec is None:
        return False
    if spec.origin is not None:  # a module or a regular package
        return True
    # A namespace package: any folder of that name on the path makes one (__pycache__, tests):
    # only one that an installed distribution ships counts.
    return name in _distribution_top_levels()


@functools.lru_cache(maxsize=None)
def _distribution_top_levels():
    from importlib.metadata import packages_distributions

    return frozenset(packages_distributions())


@kept_when_small(maxsize=512)
def _scan_module(data, relative):
    """(flags, unparsed) of one module file: they depend on its path and bytes only, and most
    files of a class are the same (the library files a lesson does not touch), so a worker
    parses each distinct file once."""
    report = Report()
    scan_parsed(data, relative, report, notebook=False)
    return tuple(report.flags), tuple(report.unparsed)


def scan_source(source, name="<cell>", notebook=True):
    """Flags for one piece of source text (a cell when ``notebook``); for tests and tools."""
    report = Report()
    if notebook and isinstance(source, str):
        source = _ipython_to_python(source)
    scan_parsed(source, name, report, notebook)
    return report.flags


def _scan_notebook(path, relative, report):
    try:
        nb = json.loads(path.read_bytes())
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError) as err:
        report.unparsed.append(f"{relative}: not a readable notebook ({type(err).__name__})")
        return
    aliases = ()  # a notebook's cells share one namespace: an import in cell 1 holds in cell 9
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
        flags, unparsed, aliases = _scan_cell(source, name, locked, aliases)
        report.flags += flags
        report.unparsed += unparsed


@kept_when_small(maxsize=2048)
def _scan_cell(source, name, instructor, aliases):
    """(flags, unparsed, aliases after it) of one notebook cell, given the import ``aliases``
    ((name, dotted path) pairs) the cells before it left: kept per text, since most cells of a
    class's notebooks are the ones handed out (the read-only checks above all)."""
    report = Report()
    after = dict(aliases)
    scan_parsed(_ipython_to_python(source), name, report, notebook=True, instructor=instructor,
                aliases=after)
    return tuple(report.flags), tuple(report.unparsed), tuple(sorted(after.items()))


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


@kept_when_small(maxsize=2048)
def _ipython_to_python(source):
    """The Python IPython runs for a cell (magics and ``!`` become get_ipython() calls); kept per
    text, since most cells of a class's notebooks are the same (IPython's transformers took a
    third of a worker's scan time)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython's own transformers can fail on garbage; parse what was given
        return source


def scan_parsed(source, name, report, notebook, instructor=False, aliases=None):
    try:
        with _PARSE_LOCK:
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
    visitor = Visitor(name, source.splitlines(), notebook, instructor,
                       {} if aliases is None else aliases)
    visitor.visit(tree)
    seen = set()
    for flag in visitor.flags:  # one flag per (place, kind)
        key = (flag.line, flag.kind)
        if key not in seen:
            seen.add(key)
            report.flags.append(flag)
