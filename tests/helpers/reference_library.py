"""The reference library (solutions/backprop_lib) imported under its own name, beside the
student skeleton a test process imports as ``backprop_lib``."""

import sys
from pathlib import Path

from helpers.checkout import SOLUTIONS


def load_library(folder, name):
    """Import the package in ``folder`` under the module name ``name`` (e.g. the reference library
    as "reference_lib", beside the student skeleton imported as backprop_lib)."""
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(folder) / "__init__.py", submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reference_module(submodule):
    """A submodule of the reference library in solutions/, e.g. reference_module("layers")."""
    import importlib

    load_library(SOLUTIONS / "backprop_lib", "reference_lib")
    return importlib.import_module(f"reference_lib.{submodule}")


def on_reference(folder, name):
    """Import the package in ``folder`` (e.g. backprop_course/viz) as ``name`` with its absolute
    ``backprop_lib`` imports bound to the reference library, as they are in the lecture.

    The plain ``backprop_lib`` of this process is the student skeleton; it is swapped out only while
    the package is imported (its modules keep what they imported) and put back afterwards.
    """
    import importlib

    if name in sys.modules:
        return sys.modules[name]
    reference = load_library(SOLUTIONS / "backprop_lib", "reference_lib")
    bound = {"backprop_lib": reference}
    for path in sorted((SOLUTIONS / "backprop_lib").glob("[!_]*.py")):
        bound[f"backprop_lib.{path.stem}"] = importlib.import_module(f"reference_lib.{path.stem}")
    saved = {key: sys.modules.get(key) for key in bound}
    sys.modules.update(bound)
    try:
        return load_library(folder, name)
    finally:
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module
