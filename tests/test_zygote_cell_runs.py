"""What a forked grading kernel does for each cell with less CPU (zygote_main.lighten_cell_runs):
IPython's asyncio check answered without a compile when a cell cannot be a coroutine, the
input transformers run once a cell, not twice, and a flush of a stream holding nothing returns at
once; the cells run as before."""

import json

import nbformat
from IPython.core.async_helpers import _should_be_async

from backprop_course import content
from helpers.sandbox_tiers import forking_tier, needs_posix, work  # noqa: F401  (fixtures)
from helpers.sandbox_tiers import graded_run, zygote_main_module


def test_the_quick_async_check_answers_as_ipython_for_every_cell():
    check = zygote_main_module().quick_async_check(_should_be_async)
    cells = [cell.source for path in sorted(content.folder("lessons").glob("*.ipynb"))
             for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    cells += ["await x\n", "async with a:\n    pass\n", "[x async for x in y]\n", "# await\nx = 1\n",
              "async def f():\n    await g()\n", "x = 'é'\nawait y\n", "x = 'é'\n", "return 1\n", "a\0b",
              "def f(:\n", "for x in y:\n    await x\n", "(await x for x in y)\n"]
    answers = [check(cell) for cell in cells]
    assert answers == [_should_be_async(cell) for cell in cells]
    assert answers.count(True) >= 5  # the async cells are still found


@needs_posix
def test_a_forked_kernel_transforms_each_cell_once_and_runs_what_the_transformers_make(forking_tier, work):
    cells = [
        "calls = []\n"
        "def count(lines):\n    calls.append(''.join(lines))\n    return lines\n"
        "get_ipython().input_transformers_post.append(count)\n",
        "x = 1\n",
        # a transformer added between two runs of the very same text: the second run is transformed anew
        "ip = get_ipython()\ns = 'print(\"a\")\\n'\nip.run_cell(s)\n"
        "swap = lambda lines: ['print(\"b\")\\n']\nip.input_transformers_post.append(swap)\n"
        "ip.run_cell(s)\nip.input_transformers_post.remove(swap)\n",
        "import json\nprint(json.dumps(calls))\nimport ipykernel.zmqshell as z\nprint(z.ZMQInteractiveShell.transform_cell.__name__)\n",
    ]
    nb = graded_run(cells, work)
    assert "".join(output["text"] for output in nb.cells[2].outputs) == "a\nb\n"
    counted, name = nb.cells[3].outputs[0]["text"].splitlines()
    assert name == "transform_cell"  # the zygote's (ipykernel's own class has none of its own)
    inner = 'print("a")\n'  # run twice by the third cell
    assert json.loads(counted) == [cells[1], cells[2], inner, inner, cells[3]]  # once a run (ipykernel: twice)


@needs_posix
def test_a_forked_kernel_fixes_locations_only_for_transformers_that_need_it(forking_tier, work):
    """live_reload's transformer alone: no location walk, and a broken library file still refuses
    the next cell. A notebook's own transformer that builds nodes without locations: fixed as before."""
    (work / "backprop_lib").mkdir()
    (work / "backprop_lib" / "__init__.py").write_text("")
    (work / "backprop_lib" / "probe.py").write_text("VALUE = 1\n")
    cells = [
        "import backprop_lib.probe\nfrom backprop_course import live_reload\nlive_reload.install(get_ipython())\n"
        "print(type(get_ipython()).transform_ast.__name__, len(get_ipython().ast_transformers))\n",
        "import ast\n"
        "class Forty(ast.NodeTransformer):\n"
        "    def visit_Constant(self, node):\n"
        "        if node.value != 41:\n            return node\n"
        "        return ast.BinOp(ast.Constant(40), ast.Add(), ast.Constant(1))  # no locations\n"
        "get_ipython().ast_transformers.append(Forty())\n",
        "print(41 + backprop_lib.probe.VALUE)\n",
        "get_ipython().ast_transformers.pop()\n"
        "import os, pathlib, time\npath = pathlib.Path('backprop_lib/probe.py')\n"
        "path.write_text('VALUE = (\\n')\nos.utime(path, ns=(time.time_ns() + 10**9,) * 2)\n",
        "print('ran')\n",
    ]
    nb = graded_run(cells, work)
    assert nb.cells[0].outputs[0]["text"] == "transform_ast 1\n"  # the zygote's, with live_reload's alone
    assert [output.get("text", output.get("evalue")) for output in nb.cells[2].outputs] == ["42\n"]
    refused = nb.cells[4].outputs[-1]
    assert refused["ename"] == "LibraryBroken" and "backprop_lib/probe.py line 1" in refused["evalue"]


@needs_posix
def test_a_forked_kernel_skips_only_the_flushes_of_empty_streams_and_keeps_the_order_of_outputs(forking_tier, work):
    cells = [
        # counts what each flush hands to the IO thread: nothing when the stream holds nothing
        "import sys\n"
        "stream, calls = sys.stdout, []\n"
        "schedule = stream.pub_thread.schedule\n"
        "stream.pub_thread.schedule = lambda call: (calls.append(call), schedule(call))[1]\n"
        "for _ in range(5):\n    stream.flush()\n"
        "empty = len(calls)\n"
        "stream.write('x\\n')\nstream.flush()\n"
        "stream.pub_thread.schedule = schedule\n"
        "print(empty, len(calls) > empty, type(stream).flush.__name__)\n",
        # text before and after a display, and on stderr, each where it was written
        "from IPython.display import display\n"
        "print('a', end='')\ndisplay('d')\nprint('b')\nsys.stderr.write('e\\n')\n'r'\n",
        "print('no newline at the end', end='')\n",
        "pass\n",
    ]
    nb = graded_run(cells, work)
    assert "".join(output["text"] for output in nb.cells[0].outputs) == "x\n0 True flush_written\n"
    shown = [(output["output_type"], output.get("name"), output.get("text") or output["data"]["text/plain"])
             for output in nb.cells[1].outputs]
    assert shown == [("stream", "stdout", "a"), ("display_data", None, "'d'"), ("stream", "stdout", "b\n"),
                     ("stream", "stderr", "e\n"), ("execute_result", None, "'r'")]
    assert [output["text"] for output in nb.cells[2].outputs] == ["no newline at the end"]
    assert nb.cells[3].outputs == []
