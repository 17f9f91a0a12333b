"""What the zygote imports ahead for its forked grading kernels (sandbox.zygote.PRELOADED): the
course machinery a lesson's first cell imports, and never the content (reference library, hidden
tests), the grader's judge or the student's library. The zygote runs outside the sandbox, which
covers the content for the kernels: nothing it imports may read it."""

import json
import os
import subprocess
import sys

import nbformat
from traitlets.config import Config

from backprop_course.autograder.grading.grading_execute import run_notebook
from backprop_course.autograder.sandbox import prefixes, zygote
from helpers.sandbox_tiers import forking_tier, needs_posix, work  # noqa: F401  (fixtures)
from helpers.sandbox_tiers import graded_run

pytestmark = needs_posix

# Run in the kernel: what it holds before any cell of the lesson imported anything.
HOLDINGS = ("import json, sys\n"
            "print(json.dumps({name: getattr(module, '__file__', None) or '' "
            "for name, module in list(sys.modules.items())}))")


def content_folders():
    """The real folders of the installed content: the content package and each folder in it (in a
    checkout they are links to the reference in solutions/, the skeleton, the lessons ...)."""
    content = prefixes.hidden_content_path()
    return [content] + [os.path.realpath(os.path.join(content, name)) for name in os.listdir(content)
                        if os.path.isdir(os.path.join(content, name))]


def inside(path, folders):
    real = os.path.realpath(path)
    return any(real == folder or real.startswith(folder + os.sep) for folder in folders)


def test_the_preload_opens_nothing_of_the_content_and_loads_no_forbidden_module():
    """The zygote's own preload (zygote_main.preload, with the request a zygote gets), in a fresh
    Python like the zygote, every file it opens watched (an audit hook)."""
    watcher = (
        "import importlib.util, json, os, sys\n"
        "folders, opened = json.loads(sys.argv[2]), []\n"
        "def watch(event, args):\n"
        "    if event == 'open' and isinstance(args[0], (str, bytes)):\n"
        "        real = os.path.realpath(os.fsdecode(args[0]))\n"
        "        if any(real == f or real.startswith(f + os.sep) for f in folders):\n"
        "            opened.append(real)\n"
        "sys.addaudithook(watch)\n"
        "spec = importlib.util.spec_from_file_location('zygote_main', sys.argv[3])\n"
        "main = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(main)\n"
        "refusal = main.preload(json.loads(sys.argv[1]))\n"
        "print(json.dumps({'refusal': refusal, 'opened': opened, 'modules': sorted(sys.modules)}))\n")
    done = subprocess.run([sys.executable, "-s", "-c", watcher, json.dumps(zygote.preload_request()),
                           json.dumps(content_folders()), str(zygote.MAIN)],
                          capture_output=True, text=True, cwd="/", timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["refusal"] == "" and seen["opened"] == []
    assert set(zygote.PRELOADED) <= set(seen["modules"])
    assert not [name for name in seen["modules"] for never in zygote.NEVER_PRELOADED
                if name == never or name.startswith(never + ".")]


def test_a_forked_kernel_holds_the_machinery_and_nothing_of_the_content(forking_tier, work):
    nb = graded_run([HOLDINGS], work)
    modules = json.loads(nb.cells[0].outputs[0]["text"])
    assert set(zygote.PRELOADED) <= set(modules)  # imported by the zygote, before any cell
    assert not [name for name in modules for never in zygote.NEVER_PRELOADED
                if name == never or name.startswith(never + ".")]
    assert not [name for name, path in modules.items() if path and inside(path, content_folders())]


def test_a_forked_kernel_imports_nothing_for_the_guard_and_the_machinery(forking_tier, work):
    """What a graded notebook runs before the student's library: the integrity guard's set-up (run
    as the kernel starts), then every machinery module the lessons import; in a forked kernel all
    of it is already loaded."""
    from backprop_course.autograder.integrity.canaries import guard_setup_source

    machinery = "\n".join(f"import {name}" for name in zygote.PRELOADED)
    nb = graded_run(["import sys\nbefore = set(sys.modules)", guard_setup_source("_guard_in_test"),
                     machinery, "print(sorted(set(sys.modules) - before))"], work)
    assert nb.cells[-1].outputs[0]["text"] == "[]\n"


def test_a_kernel_reading_its_connection_file_imports_nothing_the_zygote_has_not():
    """ipykernel reads its connection file through jupyter_client, whose default address lists
    this machine's with psutil (15 ms a forked kernel): the zygote imports it (KERNEL_START)."""
    program = (f"import importlib, json, sys\nsys.path.insert(0, {str(zygote.MAIN.parent)!r})\n"
               "import zygote_main\nfrom ipykernel import kernelapp\n"
               "[importlib.import_module(name) for name in zygote_main.KERNEL_START]\n"
               "before = set(sys.modules)\n"
               "from jupyter_client import localinterfaces\nlocalinterfaces.localhost()\n"
               "print(json.dumps(sorted(set(sys.modules) - before)))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_zygote_whose_machinery_imports_the_content_forks_no_kernel(forking_tier, work, monkeypatch):
    # lab_style (the JupyterLab server's) reads the content: as if a lesson's module did
    monkeypatch.setattr(zygote, "PRELOADED", (*zygote.PRELOADED, "backprop_course.lab_style"))
    monkeypatch.setattr(zygote, "_zygote", None)  # a zygote started with that preload
    monkeypatch.setattr(zygote, "_broken", None)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(HOLDINGS)])
    try:
        nb, outcome, reason, _, _ = run_notebook(nb, work, Config(), wall_limit=60)
    finally:
        if zygote._zygote is not None:
            zygote._zygote[1].close()
    assert outcome == "graded", reason
    assert "backprop_course.content" in zygote._broken  # said once; every kernel is exec'd
    modules = json.loads(nb.cells[0].outputs[0]["text"])
    # (numpy is not a sign: the integrity guard imports it as every grading kernel starts)
    assert not [name for name in zygote.PRELOADED if name in modules]


def test_the_lessons_graded_cells_import_only_preloaded_machinery():
    """What any cell a grading kernel runs (every lesson, demo cells skipped) imports of the
    machinery, the zygote has imported: a module missing from PRELOADED would cost each kernel its
    import again."""
    import ast

    from backprop_course import content
    from backprop_course.autograder.grading import DEMO_TAG

    imported = set()
    for path in sorted(content.folder("lessons").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and DEMO_TAG not in cell.metadata.get("tags", []):
                imported |= {node.module for node in ast.walk(ast.parse(cell.source))
                             if isinstance(node, ast.ImportFrom) and node.module
                             and node.module.split(".")[0] == "backprop_course"}
    assert "backprop_course.tasks.lesson_6" in imported  # every lesson was read
    done = subprocess.run([sys.executable, "-c", "import importlib, json, sys\n"
                           "for name in json.loads(sys.argv[1]): importlib.import_module(name)\n"
                           "preloaded = set(sys.modules)\n"
                           "for name in json.loads(sys.argv[2]): importlib.import_module(name)\n"
                           "print(json.dumps(sorted(set(sys.modules) - preloaded)))",
                           json.dumps(zygote.PRELOADED), json.dumps(sorted(imported))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
