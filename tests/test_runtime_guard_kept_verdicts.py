"""The run-time guard keeps what it found in the helper modules between test cells (runtime_guard.Verdict)
and asks again only when something it was drawn from changed: these are the changes made AFTER a
check passed, which a kept verdict could miss. Each runs the guard program's own text, as the
set-up cell does, against a stand-in helper module registered under backprop_course.tasks."""

import abc
import builtins
import sys
import types

import numpy as np
import pytest

from backprop_course.autograder.integrity import canaries

PROBE = "backprop_course.tasks.guard_probe"


def _module(name, source, filename):
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), vars(module))
    return module


HELPER_SOURCE = '''
import abc

def rel_error(a, b):
    return abs(a - b)

def other(a):
    return a

class Checker:
    def compare(self, a, b):
        return a == b

    @property
    def name(self):
        return "checker"

class Base(abc.ABC):
    def run(self):
        return 1
'''


@pytest.fixture
def guard_and_helper(monkeypatch, tmp_path):
    """A fresh guard (installed before the helper is imported, as in a graded notebook) and the
    stand-in helper module, loaded from a real file of a course-like package."""
    namespace = {"__name__": "grader_guard"}
    exec(compile(canaries.GUARD_PROGRAM.read_text(), "grader_guard.py", "exec"), namespace)
    guard = namespace["make_guard"]()
    helper = _module(PROBE, HELPER_SOURCE, str(tmp_path / "guard_probe.py"))
    helper.Checker.__module__ = PROBE
    helper.Base.__module__ = PROBE
    monkeypatch.setitem(sys.modules, PROBE, helper)
    assert guard() == []
    return guard, helper


def _notebook_function(source, name, filename="<ipython-input-3-abc>", module="__main__"):
    namespace = {"__name__": module}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_a_method_replaced_on_a_class_after_a_check_passed(guard_and_helper):
    guard, helper = guard_and_helper
    helper.Checker.compare = _notebook_function("def compare(self, a, b):\n    return True\n", "compare")
    assert guard() == [f"{PROBE}.Checker"]


def test_a_method_of_a_metaclass_class_replaced_after_a_check_passed(guard_and_helper):
    guard, helper = guard_and_helper
    assert type(helper.Base) is abc.ABCMeta
    helper.Base.run = _notebook_function("def run(self):\n    return 2\n", "run")
    assert guard() == [f"{PROBE}.Base"]


def test_a_code_swapped_after_a_check_passed_and_swapped_back(guard_and_helper):
    guard, helper = guard_and_helper
    original = helper.rel_error.__code__
    helper.rel_error.__code__ = _notebook_function("def f(a, b):\n    return 0.0\n", "f").__code__
    assert guard() == [f"{PROBE}.rel_error"]
    helper.rel_error.__code__ = original
    assert guard() == []


def test_a_methods_code_swapped_after_a_check_passed(guard_and_helper):
    guard, helper = guard_and_helper
    helper.Checker.compare.__code__ = _notebook_function(
        "def compare(self, a, b):\n    return True\n", "compare").__code__
    assert guard() == [f"{PROBE}.Checker"]


def test_a_function_moved_to_main_or_to_the_students_library_after_a_check_passed(guard_and_helper):
    guard, helper = guard_and_helper
    helper.other.__module__ = "__main__"
    assert guard() == [f"{PROBE}.other"]
    helper.other.__module__ = PROBE
    helper.rel_error = _notebook_function("def rel_error(a, b):\n    return 0.0\n", "rel_error",
                                          filename="/home/student/backprop_lib/layers.py",
                                          module="backprop_lib.layers")
    assert guard() == [f"{PROBE}.rel_error"]


def test_a_property_of_a_helper_class_replaced_after_a_check_passed(guard_and_helper):
    guard, helper = guard_and_helper
    helper.Checker.name = _notebook_function("def name(self):\n    return 'x'\n", "name")
    assert guard() == [f"{PROBE}.Checker"]


def test_an_object_that_gains_a_foreign_code_after_a_check_passed(guard_and_helper):
    """Neither the module's names nor its functions change: the object itself now answers differently."""
    guard, helper = guard_and_helper
    helper.settings = types.SimpleNamespace()
    assert guard() == []
    helper.settings.__code__ = _notebook_function("def f():\n    pass\n", "f").__code__
    assert guard() == [f"{PROBE}.settings"]


def test_the_class_named_for_its_module_only_after_a_check_passed(guard_and_helper):
    """A class held by the helper but made elsewhere has its methods looked at once it says it
    belongs to the helper (its __module__ is a name of its own dict)."""
    guard, helper = guard_and_helper
    helper.Imported = type("Imported", (), {"go": _notebook_function("def go(self):\n    pass\n", "go"),
                                            "__module__": "elsewhere"})
    assert guard() == []
    helper.Imported.__module__ = PROBE
    assert guard() == [f"{PROBE}.Imported"]


def test_a_helper_module_imported_or_replaced_after_a_check_passed(guard_and_helper, monkeypatch, tmp_path):
    guard, helper = guard_and_helper
    later = _module(PROBE + "_later", "def go():\n    pass\n", "<string>")
    monkeypatch.setitem(sys.modules, PROBE + "_later", later)
    assert guard() == [f"{PROBE}_later.go"]
    monkeypatch.delitem(sys.modules, PROBE + "_later")
    assert guard() == []
    monkeypatch.setitem(sys.modules, PROBE, _module(PROBE, "def rel_error(a, b):\n    return 0\n", "<cell>"))
    assert guard() == [f"{PROBE}.rel_error"]


def test_names_are_reported_in_the_modules_order_every_time(guard_and_helper):
    guard, helper = guard_and_helper
    foreign = _notebook_function("def f(*args):\n    return 0\n", "f")
    helper.other, helper.rel_error = foreign, foreign
    assert guard() == [f"{PROBE}.rel_error", f"{PROBE}.other"]
    assert guard() == [f"{PROBE}.rel_error", f"{PROBE}.other"]  # from the kept verdict


def test_a_replaced_builtin_cannot_blind_the_guard(guard_and_helper, monkeypatch):
    """The guard compares with its own all/map/getattr, bound before any student code ran."""
    guard, helper = guard_and_helper
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    helper.rel_error.__code__ = _notebook_function("def f(a, b):\n    return 0.0\n", "f").__code__
    originals = builtins.all, builtins.getattr
    builtins.all, builtins.getattr = (lambda iterable: True), (lambda *args: None)
    try:  # put back before anything else runs: pytest itself needs them
        found = guard()
    finally:
        builtins.all, builtins.getattr = originals
    assert found == ["numpy.allclose", "builtins.all", "builtins.getattr", f"{PROBE}.rel_error"]
