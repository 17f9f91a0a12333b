"""The run-time guard: the program the first cell of a checked notebook runs, before any student code.

``canaries.add_canaries`` runs this file's text in its own namespace inside the grading kernel and
calls ``install(name)``: the modules the test cells rely on (numpy, numpy.testing, numpy.linalg,
builtins, math) are snapshot now, and a checker is left in builtins under ``name`` (random per
run), where every test cell finds it whatever the student did to the notebook's namespace. Each
test cell's canary line calls it and prints what it returns: the dotted names of everything
replaced since the snapshot, plus any function of the test helpers (the backprop_course modules
the checks use) that was defined somewhere else. It imports only what it watches: the grading
kernel can see neither this package nor the grader.
"""

import builtins
import math
import sys

import numpy
import numpy.linalg
import numpy.testing

# The machinery the checks and hidden tests call, each with its submodules (tasks.lesson_4, ...).
HELPERS = ("backprop_course.checks", "backprop_course.gradcheck", "backprop_course.network",
           "backprop_course.cells", "backprop_course.lesson", "backprop_course.tasks",
           "backprop_course.misconceptions")
# Every test cell's canary looks through all loaded modules: one prefix test per name.
SUBMODULE_PREFIXES = tuple(helper + "." for helper in HELPERS)


def _helper_modules():
    return [name for name in list(sys.modules) if name in HELPERS or name.startswith(SUBMODULE_PREFIXES)]


def make_guard():
    """Snapshot the watched modules now; return the checker that lists what changed since."""
    watched = {name: vars(module) for name, module in (
        ("numpy", numpy), ("numpy.testing", numpy.testing), ("numpy.linalg", numpy.linalg),
        ("builtins", builtins), ("math", math))}
    # ipykernel swaps builtins.input for every cell it runs (stdin goes to the client)
    snapshot = {name: {k: v for k, v in space.items() if not k.startswith("_") and k != "input"}
                for name, space in watched.items()}

    def guard():
        changed = [f"{name}.{k}" for name, saved in snapshot.items()
                   for k, v in saved.items() if watched[name].get(k) is not v]
        for helper in _helper_modules():  # imported after the snapshot: where do their functions come from
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
                                             or owner.split(".")[0] == "backprop_lib"):
                        changed.append(f"{helper}.{k}")
                        break
        return changed

    return guard


def install(name):
    """Leave a fresh guard in builtins under ``name``."""
    setattr(builtins, name, make_guard())
