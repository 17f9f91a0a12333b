"""The run-time guard: the program a grading kernel runs as it starts, before any cell.

``canaries.guard_argument`` has the kernel run this file's text in its own namespace and call
``install(name)``: the modules the test cells rely on (numpy, numpy.testing, numpy.linalg,
builtins, math) are snapshot now, and a checker is left in builtins under ``name`` (random per
kernel), where every test cell finds it whatever the student did to the notebook's namespace. Each
test cell's canary line calls it and prints what it returns: the dotted names of everything
replaced since the snapshot, plus any function of the test helpers (the backprop_course modules
the checks use) that was defined somewhere else. It imports only what it watches and what the
standard library has loaded already: the grading kernel can see neither this package nor the grader.

Every test cell asks again, so a helper module's verdict is kept with what it was drawn from: the
identities of the module's (and its classes') names and values, and each of its functions'
``__code__`` and ``__module__``. While those are the same objects the verdict stands, checked at C
speed; members whose answer could change without any of them changing (modules, instances,
classes' own attribute lookups) are asked again each time.
"""

import builtins
import math
import sys
# Bound here, in the guard's own namespace: a student who replaces builtins.all cannot make the
# guard that reports the replacement believe everything is unchanged.
from builtins import all, getattr, id, isinstance, len, list, map, range, set, tuple, type, vars, zip
from itertools import chain, compress, repeat
from operator import attrgetter, is_, is_not, methodcaller
from types import FunctionType

import numpy
import numpy.linalg
import numpy.testing

# The machinery the checks and hidden tests call, each with its submodules (tasks.lesson_4, ...).
HELPERS = ("backprop_course.checks", "backprop_course.gradcheck", "backprop_course.network",
           "backprop_course.cells", "backprop_course.lesson", "backprop_course.tasks",
           "backprop_course.misconceptions")
# Every test cell's canary looks through all loaded modules: one prefix test per name.
SUBMODULE_PREFIXES = tuple(helper + "." for helper in HELPERS)
# Values that can carry no __code__ of their own: instances of these built-in types take no
# attributes, and the types themselves cannot be changed.
INERT = {str, int, float, bool, bytes, complex, tuple, list, dict, set, frozenset, type(None), range}
CODE_OF = attrgetter("__code__")
MODULE_OF = attrgetter("__module__")
VALUES_OF = methodcaller("values")


def _same(now, then):
    """Whether ``now`` (an iterable) holds the very objects of the tuple ``then``, in its order."""
    now = tuple(now)
    return len(now) == len(then) and all(map(is_, now, then))


def _helper_modules():
    return [name for name in list(sys.modules) if name in HELPERS or name.startswith(SUBMODULE_PREFIXES)]


def _foreign(member):
    """Whether a helper's function (or anything with a ``__code__``) was defined in the notebook, in
    a ``<...>`` text or in the student's library."""
    code = getattr(member, "__code__", None)
    owner = getattr(member, "__module__", None)
    return code is not None and _foreign_code(code, owner)


def _foreign_code(code, owner):
    """Whether a ``__code__`` and its function's ``__module__`` come from outside the course."""
    owner = owner or ""
    return owner == "__main__" or code.co_filename.startswith("<") or owner.split(".")[0] == "backprop_lib"


def _foreign_member(value, helper):
    """Whether ``value``, a name of module ``helper``, or (a class of that module) one of the
    class's own methods is foreign; dunders are left out (dataclasses generate __init__, __eq__...
    from strings)."""
    members = [value] + ([member for name, member in vars(value).items() if not name.startswith("__")]
                         if isinstance(value, type) and value.__module__ == helper else [])
    for member in members:
        if _foreign(member):
            return True
    return False


class Verdict:
    """What the loaded helper modules were found to hold, and what that finding was drawn from."""

    def __init__(self, helpers):
        self.helpers = helpers  # [(name, module)] as sys.modules has them
        self.spaces = []        # each module, then each class it holds: their names and values are kept
        self.functions = []     # every function looked at: their __code__ and __module__ are kept
        self.flagged = set()    # the dotted names found foreign, of those not asked again
        self.objects = []       # what is asked again each time: its answer may change on its own
        self.named = {}         # an asked object's index -> the dotted names it is held under
        self.whole = {}         # an asked object's index -> [(dotted name, helper)] where it is a module's name
        self.order = []         # every dotted name, in the modules' order
        self._index = {}        # id of an asked object -> its index in objects
        for helper, module in helpers:
            self.spaces.append(module)
            for name, value in vars(module).items():
                dotted = f"{helper}.{name}"
                self.order.append(dotted)
                kind = type(value)
                if kind in INERT:
                    continue
                if kind is FunctionType:
                    self._function(dotted, value)
                    continue
                self._ask(dotted, value)
                if kind is not type:  # a module's name of any other kind is asked as a whole
                    self.whole.setdefault(self._index[id(value)], []).append((dotted, helper))
                    continue
                self.spaces.append(value)  # a plain class: its __module__ says whether its methods count
                if value.__module__ == helper:
                    for key, member in vars(value).items():
                        if key.startswith("__") or type(member) in INERT:
                            continue
                        if type(member) is FunctionType:
                            self._function(dotted, member)
                        else:
                            self._ask(dotted, member)
        self.contents = self._contents()
        self.codes = tuple(map(CODE_OF, self.functions))
        self.owners = tuple(map(MODULE_OF, self.functions))

    def _ask(self, dotted, value):
        index = self._index.setdefault(id(value), len(self.objects))
        if index == len(self.objects):
            self.objects.append(value)
        self.named.setdefault(index, []).append(dotted)

    def _function(self, dotted, function):
        self.functions.append(function)
        if _foreign(function):
            self.flagged.add(dotted)

    def _contents(self):
        spaces = list(map(vars, self.spaces))
        return tuple(chain.from_iterable(spaces)), tuple(chain.from_iterable(map(VALUES_OF, spaces)))

    def holds(self, helpers):
        """Whether nothing this verdict was drawn from has changed (all compared at C speed)."""
        if len(helpers) != len(self.helpers) or not all(map(is_, chain.from_iterable(helpers),
                                                            chain.from_iterable(self.helpers))):
            return False
        names, values = self._contents()
        return (_same(names, self.contents[0]) and _same(values, self.contents[1])
                and _same(map(CODE_OF, self.functions), self.codes)
                and _same(map(MODULE_OF, self.functions), self.owners))

    def foreign_names(self):
        """The dotted names found foreign, in the modules' order, the asked objects asked now."""
        count = len(self.objects)
        codes = list(map(getattr, self.objects, repeat("__code__", count), repeat(None, count)))
        owners = list(map(getattr, self.objects, repeat("__module__", count), repeat(None, count)))
        classes = list(map(isinstance, self.objects, repeat(type, count)))
        found = set(self.flagged)
        for index in compress(range(count), map(is_not, codes, repeat(None, count))):
            if _foreign_code(codes[index], owners[index]):
                found.update(self.named[index])
        # a class of a metaclass held as a module's name: its methods count when it names that module
        for index in compress(range(count), classes):
            for dotted, helper in self.whole.get(index, ()):
                if _foreign_member(self.objects[index], helper):
                    found.add(dotted)
        return [dotted for dotted in self.order if dotted in found] if found else []


def make_guard():
    """Snapshot the watched modules now; return the checker that lists what changed since."""
    watched = {name: vars(module) for name, module in (
        ("numpy", numpy), ("numpy.testing", numpy.testing), ("numpy.linalg", numpy.linalg),
        ("builtins", builtins), ("math", math))}
    # ipykernel swaps builtins.input for every cell it runs (stdin goes to the client)
    snapshot = [(name, space.get, tuple(k for k in space if not k.startswith("_") and k != "input"))
                for name, space in watched.items()]
    snapshot = [(name, get, keys, tuple(map(get, keys))) for name, get, keys in snapshot]
    verdict = [None]  # the helpers' Verdict, kept while it holds
    loaded = [(), []]  # sys.modules' names when last looked, and the helpers among them

    def guard():
        changed = []
        for name, get, keys, values in snapshot:
            now = tuple(map(get, keys))
            if not all(map(is_, now, values)):
                changed += [f"{name}.{k}" for k, v, was in zip(keys, now, values) if v is not was]
        names = tuple(sys.modules)
        if names != loaded[0]:
            loaded[:] = [names, _helper_modules()]
        # imported after the snapshot: where do their functions come from
        helpers = [(helper, module) for helper, module in zip(loaded[1], map(sys.modules.get, loaded[1]))
                   if module]
        if verdict[0] is None or not verdict[0].holds(helpers):
            verdict[0] = Verdict(helpers)
        return changed + verdict[0].foreign_names()

    return guard


def install(name):
    """Leave a fresh guard in builtins under ``name``."""
    setattr(builtins, name, make_guard())
