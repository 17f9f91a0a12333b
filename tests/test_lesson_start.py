"""``backprop_course.lesson.start``: the student's library found and reloaded, right lines on a crash."""

import os
import re
import shutil
import sys

import pytest

from backprop_course import lesson
from helpers.checkout import ROOT, SOLUTIONS


def test_library_root_is_the_nearest_folder_with_the_library(tmp_path):
    (tmp_path / "backprop_lib").mkdir()
    (tmp_path / "backprop_lib" / "__init__.py").write_text("")
    (tmp_path / "lessons" / "deep").mkdir(parents=True)
    assert lesson.library_root(tmp_path / "lessons" / "deep") == tmp_path
    assert lesson.library_root(ROOT / "lessons") == ROOT


def test_no_library_is_one_line_naming_the_fix(tmp_path):
    with pytest.raises(lesson.LibraryNotFound) as err:
        lesson.library_root(tmp_path)
    assert "no backprop_lib/ folder at or above" in str(err.value) and "\n" not in str(err.value)
    assert err.value._render_traceback_() == [f"LibraryNotFound: {err.value}"]


def test_start_puts_the_chosen_library_first(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "backprop_lib"}
    try:
        assert lesson.start(SOLUTIONS) == SOLUTIONS
        import backprop_lib.layers

        assert backprop_lib.layers.__file__.startswith(str(SOLUTIONS))
        monkeypatch.chdir(ROOT / "lessons")
        assert lesson.start() == ROOT
        import backprop_lib.layers  # noqa: F811 (the skeleton now)

        assert backprop_lib.layers.__file__.startswith(str(ROOT / "backprop_lib"))
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == "backprop_lib"]:
            del sys.modules[name]
        sys.modules.update(saved)


LIBRARY_V1 = '''\
"""A stand-in student module."""


def forward(x):
    return x + 1
'''

# The edit adds lines above the function and a crash further down, as a student's edit does.
LIBRARY_V2 = '''\
"""A stand-in student module."""

import math

PADDING = 1
PADDING = 2
PADDING = 3


def helper(x):
    return math.sqrt(x)


def forward(x):
    y = x + 1
    return y.no_such_attribute  # the crash: line 16
'''


def _run(client, code):
    """Execute ``code``; return the text of every stream and error output."""
    msg_id = client.execute(code)
    texts = []
    while True:
        msg = client.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            texts.append(content["text"])
        elif kind == "error":
            texts.append("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            return re.sub(r"\x1b\[[0-9;]*m", "", "".join(texts))


@pytest.mark.slow
def test_an_edit_in_a_live_kernel_crashes_at_the_right_line(tmp_path):
    from jupyter_client.manager import start_new_kernel

    package = tmp_path / "backprop_lib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "student.py"
    module.write_text(LIBRARY_V1)
    (tmp_path / "lessons").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NBGRADER_EXECUTION", None)
    km, client = start_new_kernel(cwd=str(tmp_path / "lessons"), env=env)
    try:
        first = _run(client, "from backprop_course.lesson import start\nstart()\n"
                             "from backprop_lib.student import forward\nprint(forward(1))")
        assert first.strip() == "2"
        again = _run(client, "start()\nprint('quiet')")
        assert again.strip() == "quiet"
        # Before each cell only the student's library is checked, not every module numpy loaded,
        # and by one reloader however often start() runs.
        watched = _run(client, "from backprop_course import live_reload\n"
                               "hooks = [t for t in get_ipython().ast_transformers\n"
                               "         if type(t).__module__ == live_reload.__name__]\n"
                               "print(len(hooks), sorted(hooks[0].reloader.seen))")
        assert watched.strip() == f"1 {sorted([str(package / '__init__.py'), str(module)])}"
        module.write_text(LIBRARY_V2)
        # A new mtime even on a coarse clock: autoreload compares modification times.
        stat = module.stat()
        os.utime(module, (stat.st_atime + 5, stat.st_mtime + 5))
        crash = _run(client, "forward(1)")
        assert "AttributeError" in crash
        assert re.search(r"student\.py:16\b|line 16\b", crash), crash
        assert "no_such_attribute" in crash
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
