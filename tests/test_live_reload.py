"""A student edits the library while the lesson's kernel runs: every lesson follows each edit without
a restart (``backprop_course.live_reload``).

Each lesson runs in a live kernel against a copy of the reference library; then its module is
edited three times (a wrong fix in a task region, a syntax error, the correct code again with its
lines moved) and the lesson's cells after the setup cell run again in the same kernel. The check
that tests the edited code fails, then every cell refuses with the one line naming the syntax
error, then the check passes again, and no cell ever shows a traceback.
"""

import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

# lesson -> (library file, the correct line, a wrong one, the test cell that must notice)
EDITS = {
    "01_computation_graph": ("graph.py", "return (other.value, self.value)",
                             "return (self.value, other.value)", "task3-check"),
    "02_linear_layer": ("layers.py", 'self.grads["b"] = grad_out.sum(axis=0)',
                        'self.grads["b"] = grad_out.mean(axis=0)', "task2-check"),
    "03_activations": ("layers.py", "return out * (1 - out)", "return out * (1 + out)", "task2-check"),
    "04_losses": ("losses.py", "return (2.0 / diff.size) * diff", "return (1.0 / diff.size) * diff",
                  "task1-mseloss-gradients"),
    "05_mlp": ("mlp.py", "for layer in reversed(self.layers[1:]):", "for layer in self.layers[1:]:",
               "task2-backward"),
    "06_gradient_descent": ("optim.py", "param += velocity[key]", "param -= velocity[key]", "task1-momentum"),
}


def _lesson_folder(tmp_path, lesson):
    """A course folder: the released lesson beside a copy of the reference library."""
    shutil.copytree(ROOT / "solutions" / "backprop_lib", tmp_path / "backprop_lib")
    (tmp_path / "lessons").mkdir()
    shutil.copy(ROOT / "lessons" / f"{lesson}.ipynb", tmp_path / "lessons")
    return tmp_path / "lessons" / f"{lesson}.ipynb"


def _edit(path, old, new):
    """Replace ``old`` by ``new`` in ``path`` and move its mtime on (a coarse clock sees it too)."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def _errors(cell):
    return [output for output in cell.get("outputs", []) if output.output_type == "error"]


def _failed(cells):
    """grade ids of the test cells that ended with an error."""
    return {cell.metadata["nbgrader"]["grade_id"] for cell in cells
            if cell.metadata.get("nbgrader", {}).get("grade") and _errors(cell)}


def _tracebacks(cells):
    """Outputs that are more than the course's one-line reports."""
    found = []
    for cell in cells:
        for output in _errors(cell):
            if len([line for line in output.traceback if line.strip()]) != 1:
                found.append(f"{cell.metadata['nbgrader']['grade_id']}: {output.ename}: {output.evalue}")
        text = "".join(output.get("text", "") for output in cell.get("outputs", []) if output.output_type == "stream")
        if "Traceback" in text or "stopped:" in text:
            found.append(f"{cell.metadata['nbgrader']['grade_id']}: {text[:300]}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("lesson", sorted(EDITS))
def test_each_lesson_follows_edits_to_its_library_without_a_restart(tmp_path, lesson):
    from nbclient import NotebookClient

    notebook = _lesson_folder(tmp_path, lesson)
    library, correct, wrong, test_id = EDITS[lesson]
    module = tmp_path / "backprop_lib" / library
    nb = nbformat.read(notebook, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "NBGRADER_EXECUTION")}
    client = NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})

    def run(cells):
        for cell in cells:
            cell.outputs = []
            client.execute_cell(cell, nb.cells.index(cell))
        return cells

    with client.setup_kernel(env=env):
        before = _failed(run(code))
        assert test_id not in before
        assert not _tracebacks(code)

        _edit(module, correct, wrong)
        rerun = run(code[1:])  # the setup cell is not run again: its imports must follow the edit
        assert test_id in _failed(rerun)
        assert not _tracebacks(rerun)

        _edit(module, wrong, "pass\n" + "(")  # an unclosed parenthesis
        refused = run(code[1:])
        for cell in refused:
            lines = [line for output in _errors(cell) for line in output.traceback]
            assert len(lines) == 1 and lines[0].startswith(f"SyntaxError in backprop_lib/{library} line "), lines
            assert not [output for output in cell.outputs if output.output_type != "error"]

        _edit(module, "pass\n" + "(", correct)
        module.write_text("\n\n" + module.read_text())  # correct again, two lines further down
        _edit(module, correct, correct)
        assert _failed(run(code[1:])) == before
        assert not _tracebacks(code)


@pytest.mark.slow
@pytest.mark.parametrize("library", sorted(path.name for path in (ROOT / "solutions" / "backprop_lib").glob("*.py")))
def test_every_library_module_reloads_in_place(tmp_path, library):
    """Any module: a syntax error refuses the next cell with one line; fixed, the objects made
    before the edit (class instances, imported functions) run the new code."""
    from jupyter_client.manager import start_new_kernel

    _lesson_folder(tmp_path, "01_computation_graph")
    module = tmp_path / "backprop_lib" / library
    name = "backprop_lib" if library == "__init__.py" else f"backprop_lib.{library[:-3]}"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "NBGRADER_EXECUTION")}
    km, client = start_new_kernel(cwd=str(tmp_path / "lessons"), env=env)

    def run(code):
        reply = client.execute_interactive(code, timeout=120, output_hook=outputs.append)
        return reply["content"]["status"]

    try:
        outputs = []
        assert run("from backprop_course.lesson import start\nstart()\nimport backprop_lib.graph, "
                   f"backprop_lib.layers, backprop_lib.mlp, backprop_lib.optim, backprop_lib.train, {name}\n"
                   f"from {name} import *\nimport {name} as edited\n"
                   "kinds = {key: value for key, value in vars(edited).items() if isinstance(value, type)}\n"
                   "made = {key: value.__new__(value) for key, value in kinds.items()}") == "ok"
        text = module.read_text()
        module.write_text("((\n" + text)
        stat = module.stat()
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        outputs.clear()
        assert run("print('ran')") == "error"
        errors = [output["content"] for output in outputs if output["msg_type"] == "error"]
        assert len(errors) == 1
        assert errors[0]["traceback"][0].startswith(f"SyntaxError in backprop_lib/{library} line 1")
        assert not [output for output in outputs if output["msg_type"] == "stream"]
        module.write_text(text + "\n\nRELOADED = True\n")
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))
        outputs.clear()
        assert run("assert edited.RELOADED\n"
                   "assert all(isinstance(made[key], getattr(edited, key)) for key in made), 'a class was replaced'\n"
                   "assert all(getattr(edited, key) is value for key, value in kinds.items())\n"
                   "print('same classes')") == "ok", outputs
        assert "same classes" in "".join(output["content"].get("text", "") for output in outputs)
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
