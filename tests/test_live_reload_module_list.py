"""live_reload._library_modules picks the library's names out of sys.modules again only when the
names loaded changed: it still follows every change to what those names hold."""

import sys
import types

from backprop_course import live_reload


def _module(name, file="/x/backprop_lib/m.py"):
    module = types.ModuleType(name)
    module.__file__ = file
    return module


def test_the_library_modules_follow_every_change_of_sys_modules(monkeypatch):
    first, second = _module("backprop_lib.reload_probe_a"), _module("backprop_lib.reload_probe_b")
    monkeypatch.setitem(sys.modules, first.__name__, first)
    assert live_reload._library_modules()[-1] is first
    monkeypatch.setitem(sys.modules, second.__name__, second)  # imported since
    assert live_reload._library_modules()[-2:] == [first, second]
    replacement = _module(first.__name__)
    sys.modules[first.__name__] = replacement  # the same names, another module under one
    assert live_reload._library_modules()[-2:] == [replacement, second]
    del second.__file__  # the same names and modules, one without a file now
    assert live_reload._library_modules()[-1] is replacement
    monkeypatch.delitem(sys.modules, first.__name__)
    assert replacement not in live_reload._library_modules()
