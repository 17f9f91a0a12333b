"""What a forked grading kernel does for each cell with less CPU (zygote_main.lighten_cell_runs):
IPython's asyncio check answered without a compile when a cell cannot be a coroutine, and the
input transformers run once a cell, not twice; the cells run as before."""

import importlib.util
import json
import re

import nbformat
from IPython.core.async_helpers import _should_be_async
from traitlets.config import Config

from backprop_course import content
from backprop_course.autograder.grading.grading_execute import run_notebook
from backprop_course.autograder.sandbox import zygote
from helpers.sandbox_tiers import forking_tier, needs_posix, work  # noqa: F401  (fixtures)


def _zygote_main():
    spec = importlib.util.spec_from_file_location("zygote_main_under_test", zygote.MAIN)
    main = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(main)
    return main


def test_the_quick_async_check_answers_as_ipython_for_every_cell():
    check = _zygote_main().quick_async_check(_should_be_async)
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
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    nb, outcome, reason, _, _ = run_notebook(nb, work, Config(), wall_limit=60)
    assert outcome == "graded", reason
    assert "".join(output["text"] for output in nb.cells[2].outputs) == "a\nb\n"
    counted, name = nb.cells[3].outputs[0]["text"].splitlines()
    assert name == "transform_cell"  # the zygote's (ipykernel's own class has none of its own)
    inner = 'print("a")\n'  # run twice by the third cell
    assert json.loads(counted) == [cells[1], cells[2], inner, inner, cells[3]]  # once a run (ipykernel: twice)
