"""A crash inside given library code is reported at the student's own line (a task region of
``backprop_lib/``), naming the given function that complained; ``backprop_course/task_regions.py``
lists the task functions and their given lines as ``backprop-course build`` derives them."""

import shutil
import subprocess
import sys
from pathlib import Path

from backprop_course.autograder import build
from backprop_course.task_regions import GIVEN_LINES

ROOT = Path(__file__).resolve().parent.parent

CRASH = """
import numpy as np
from backprop_course import checks
from backprop_lib.mlp import MLP
model = MLP(3, [4, 5], 2, rng=0)
try:
    with checks.task("Lesson 5, task 2"):
        model.backward(np.ones_like(model.forward(np.ones((2, 3)))))
except checks.CheckFailed as err:
    print(err)
"""


def _crash(tmp_path, old, new):
    shutil.copytree(ROOT / "solutions" / "backprop_lib", tmp_path / "backprop_lib")
    mlp = tmp_path / "backprop_lib" / "mlp.py"
    mlp.write_text(mlp.read_text().replace(old, new))
    run = subprocess.run([sys.executable, "-c", CRASH], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_a_backward_in_forward_order_is_blamed_on_the_students_line_in_mlp(tmp_path):
    message = _crash(tmp_path, "for layer in reversed(self.layers[1:]):", "for layer in self.layers[1:]:")
    lines = (ROOT / "solutions" / "backprop_lib" / "mlp.py").read_text().splitlines()
    line = lines.index("        for layer in reversed(self.layers[1:]):") + 1 + 1  # the loop's body
    assert message.startswith("Lesson 5, task 2: your code raised ValueError: "), message
    assert message.endswith(f"(at mlp.py, line {line}, in MLP.backward; the given Activation.backward "
                            "complained, layers.py line " + message.rsplit("line ", 1)[1]), message
    assert "layers.py line" in message and "check_batch" not in message


def test_a_crash_in_the_students_own_line_is_reported_there(tmp_path):
    message = _crash(tmp_path, "grad_out = layer.backward(grad_out)", "grad_out = layer.backward(grad_out) + None")
    lines = (ROOT / "solutions" / "backprop_lib" / "mlp.py").read_text().splitlines()
    line = lines.index("            grad_out = layer.backward(grad_out)") + 1
    assert "your code raised TypeError" in message
    assert message.endswith(f"(at mlp.py, line {line})"), message


def test_the_task_regions_table_is_what_build_derives_from_the_solutions():
    derived = {path.name: build.task_functions(path.read_text())
               for path in sorted((ROOT / "solutions" / "backprop_lib").glob("*.py"))}
    assert GIVEN_LINES == {name: {function: tuple(given) for function, given in functions.items()}
                           for name, functions in derived.items() if functions}
    assert set(GIVEN_LINES["mlp.py"]) == {"MLP.forward", "MLP.backward"}
    assert "Scalar.__mul__.<locals>.local_grads" in GIVEN_LINES["graph.py"]
    assert "check_batch" not in GIVEN_LINES["layers.py"]
