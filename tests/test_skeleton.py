"""The generated student skeleton (backprop_lib/) against the reference (solutions/backprop_lib/).

Every marked solution region is enumerated from the source with backprop_course.autograder.solution_markers, so a new region
is covered as soon as it is written: its stub must raise NotImplementedError with exactly the
region's tag ("Lesson k, task j: ..."), from inside the region's own function. Everything else in
the skeleton must be the reference's code, line for line, and behave identically.
"""

import ast
import inspect
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

import backprop_lib
from backprop_course.autograder import build
from backprop_course.autograder import solution_markers
from backprop_lib import data, graph, layers, losses, mlp, optim, train
from helpers.checkout import ROOT, SOLUTIONS
from helpers.reference_library import reference_module

SOURCE_DIR = SOLUTIONS / "backprop_lib"
SKELETON_DIR = ROOT / "backprop_lib"


def test_the_plain_import_is_the_generated_skeleton():
    assert Path(backprop_lib.__file__).resolve().parent == SKELETON_DIR


# ---- the regions, enumerated from the source ------------------------------------------------------

def enclosing_functions(tree):
    """[(first line, last line, qualified name)] of every function, e.g. "Scalar.__add__.local_grads"."""
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if isinstance(child, ast.FunctionDef):
                    found.append((child.lineno, child.end_lineno, name))
                visit(child, f"{name}.")
    visit(tree, "")
    return found


def regions():
    """[(module name, line, tag, qualified name of the function holding the region)]."""
    found = []
    for path in sorted(SOURCE_DIR.glob("*.py")):
        text = path.read_text()
        functions = enclosing_functions(ast.parse(text))
        for number, line in enumerate(text.splitlines(), start=1):
            match = solution_markers.MARKER.match(line)
            if match:
                holders = [(first, name) for first, last, name in functions if first <= number <= last]
                assert holders, f"{path.name}:{number}: a solution region outside any function"
                found.append((path.stem, number, match["tag"], max(holders)[1]))
    return found


REGIONS = regions()


def test_regions_exist_and_tags_are_unique():
    tags = [tag for _, _, tag, _ in REGIONS]
    assert len(tags) >= 20
    assert len(set(tags)) == len(tags), "two regions share a tag: a stub's message must name one task"
    assert {module for module, _, _, _ in REGIONS} >= {"graph", "layers", "losses", "mlp", "optim"}


# How to reach each region's function in the skeleton. Scalar ops' local_grads and one-argument
# module functions (relu, log_softmax, ...) are reached by the generic rules in trigger().
def linear_param_backward():
    layer = layers.Linear(3, 2, rng=0)
    layer.cache = np.ones((4, 3))  # what a working forward would have cached
    layer.param_backward(np.ones((4, 2)))


def linear_backward():
    layer = layers.Linear(3, 2, rng=0)
    layer.cache = np.ones((4, 3))
    layer.param_backward = lambda grad_out: None  # as if task 2 were done, to reach task 3
    layer.backward(np.ones((4, 2)))


TRIGGERS = {
    "Scalar.backward": lambda: (graph.Scalar(1.0) * 2.0).backward(),
    "Linear.forward": lambda: layers.Linear(3, 2, rng=0).forward(np.ones((4, 3))),
    "Linear.param_backward": linear_param_backward,
    "Linear.backward": linear_backward,
    "MSELoss.forward": lambda: losses.MSELoss().forward(np.ones(3), np.zeros(3)),
    "MSELoss.backward": lambda: losses.MSELoss().backward(),
    "BCEWithLogitsLoss.forward": lambda: losses.BCEWithLogitsLoss().forward(np.ones(3), [0, 1, 1]),
    "BCEWithLogitsLoss.backward": lambda: losses.BCEWithLogitsLoss().backward(),
    "SoftmaxCrossEntropyLoss.forward":
        lambda: losses.SoftmaxCrossEntropyLoss().forward(np.ones((2, 3)), [0, 2]),
    "SoftmaxCrossEntropyLoss.backward": lambda: losses.SoftmaxCrossEntropyLoss().backward(),
    "MLP.forward": lambda: mlp.MLP(2, (3,), 1, rng=0).forward(np.ones((4, 2))),
    "MLP.backward": lambda: mlp.MLP(2, (3,), 1, rng=0).backward(np.ones((4, 1))),
    "SGD.step": lambda: optim.SGD(mlp.MLP(2, (3,), 1, rng=0), lr=0.1).step(),
}


def trigger(module_name, qualname):
    module = getattr(backprop_lib, module_name)
    parts = qualname.split(".")
    if parts[0] == "Scalar" and parts[-1] == "local_grads" and len(parts) == 3:
        method = getattr(graph.Scalar(0.7), parts[1])
        argument = {"other": (graph.Scalar(1.3),), "exponent": (2,)}
        args = next((argument[p] for p in inspect.signature(method).parameters if p in argument), ())
        return lambda: method(*args).local_grads()
    if len(parts) == 1 and len(inspect.signature(getattr(module, qualname)).parameters) == 1:
        return lambda: getattr(module, qualname)(np.full((2, 3), 0.5))
    if qualname not in TRIGGERS:
        pytest.fail(f"no way to reach {module_name}.{qualname}: add it to TRIGGERS in {Path(__file__).name}")
    return TRIGGERS[qualname]


@pytest.mark.parametrize("module_name, line, tag, qualname", REGIONS,
                         ids=[f"{m}.{q}" for m, _, _, q in REGIONS])
def test_every_student_part_raises_its_tagged_stub(module_name, line, tag, qualname):
    with pytest.raises(NotImplementedError) as info:
        trigger(module_name, qualname)()
    assert str(info.value) == tag
    innermost = traceback.extract_tb(info.value.__traceback__)[-1]
    assert Path(innermost.filename).resolve() == SKELETON_DIR / f"{module_name}.py"
    assert innermost.name == qualname.split(".")[-1]


# ---- everything outside the regions is the reference's ------------------------------------------------

def without_regions(lines):
    kept, inside = [], False
    for line in lines:
        if solution_markers.MARKER.match(line):
            inside = True
        elif inside and line.strip() == f"### {solution_markers.END}":
            inside = False
        elif not inside:
            kept.append(line)
    return kept


@pytest.mark.parametrize("source", sorted(SOURCE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_skeleton_equals_the_reference_outside_the_regions(source):
    skeleton = SKELETON_DIR / source.name
    assert skeleton.exists(), f"{skeleton} missing: run `backprop-course build`"
    source_lines = source.read_text().splitlines()
    stubs = {f'raise NotImplementedError("{tag}")' for m, _, tag, _ in REGIONS if m == source.stem}
    header, *skeleton_lines = skeleton.read_text().splitlines()
    assert header == f"# Course authors: this skeleton is {build.generated_note(source, ROOT)}."
    assert len([line for line in skeleton_lines if line.strip() in stubs]) == len(stubs)
    assert [line for line in skeleton_lines if line.strip() not in stubs] == without_regions(source_lines)
    if not stubs:
        assert skeleton.read_text().split("\n", 1)[1] == source.read_text()


def test_no_extra_files_in_the_skeleton():
    assert {p.name for p in SKELETON_DIR.glob("*.py")} == {p.name for p in SOURCE_DIR.glob("*.py")}


REF = {name: reference_module(name) for name in ("graph", "layers", "losses", "mlp", "optim", "train",
                                                 "data")}


@pytest.mark.parametrize("name", sorted(data.BINARY) + ["regression_1d", "multiclass"])
def test_data_is_identical(name):
    for got, want in zip(getattr(data, name)(rng=3), getattr(REF["data"], name)(rng=3)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


def test_scalar_forward_values_and_graph_are_identical():
    def expression(S):
        a, b = S(0.8, label="a"), S(-1.3, label="b")
        return ((a * b + 2.0 - a / 1.5) ** 2 + (1.5 / a).tanh() - (-b).exp().log() + a.sigmoid() + b.relu())

    got, want = expression(graph.Scalar), expression(REF["graph"].Scalar)
    assert got.value == want.value
    assert [(n.op, n.label, n.value) for n in got.topological_order()] == \
           [(n.op, n.label, n.value) for n in want.topological_order()]


def test_layers_models_and_optimizer_are_built_identically():
    got, want = mlp.MLP(3, (4, 5), 2, activation="tanh", rng=7), REF["mlp"].MLP(3, (4, 5), 2, activation="tanh", rng=7)
    assert repr(got) == repr(want) and got.num_parameters() == want.num_parameters()
    assert [type(layer).__name__ for layer in got.layers] == [type(layer).__name__ for layer in want.layers]
    for (name, layer, key), (ref_name, ref_layer, ref_key) in zip(got.named_parameters(), want.named_parameters()):
        assert name == ref_name
        np.testing.assert_array_equal(layer.params[key], ref_layer.params[key])
    assert optim.SGD(got, 0.1, 0.9).velocity[0]["W"].shape == (3, 4)


@pytest.mark.parametrize("call", [
    lambda lib: lib["layers"].Linear(3, 2).forward(np.ones(3)),
    lambda lib: lib["losses"].BCEWithLogitsLoss().forward(np.ones(3), [0, 1, 2]),
    lambda lib: lib["losses"].SoftmaxCrossEntropyLoss().forward(np.ones((2, 3)), [0, 3]),
    lambda lib: lib["mlp"].MLP(2, (3,), 1, activation="gelu"),
    lambda lib: lib["optim"].SGD(lib["mlp"].MLP(2, (), 1), lr=-1),
])
def test_input_validation_is_identical(call):
    skeleton = {"layers": layers, "losses": losses, "mlp": mlp, "optim": optim}
    with pytest.raises(ValueError) as want:
        call(REF)
    with pytest.raises(ValueError) as got:
        call(skeleton)
    assert str(got.value) == str(want.value)


def test_train_scaffolding_runs_reference_parts_identically():
    """The skeleton's train_steps, given a reference model, loss and optimizer, trains as the reference."""
    X, y = REF["data"].moons(40, rng=0)
    runs = []
    for lib in (train, REF["train"]):
        model = REF["mlp"].MLP(2, (5,), 1, output_activation="sigmoid", rng=0)
        steps = lib.train_steps(model, X, y, loss=REF["losses"].BCEWithLogitsLoss(),
                                optimizer=REF["optim"].SGD(model, 0.5), batch_size=16, rng=1)
        runs.append([(s.step, s.epoch, s.loss) for s, _ in zip(steps, range(7))])
    assert runs[0] == runs[1]


def test_skeleton_fit_stops_at_the_first_student_part():
    X, y = data.moons(10, rng=0)
    with pytest.raises(NotImplementedError, match=r"^Lesson 5, task 1: "):
        train.fit(mlp.MLP(2, (3,), 1, output_activation="sigmoid", rng=0), X, y, epochs=1)


# ---- the build: --check, idempotence, malformed markers -------------------------------------------------

def test_build_check_passes():
    script = Path(sys.executable).parent / "backprop-course"  # the console script, as users run it
    result = subprocess.run([str(script), "build", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def copy_library_source(tmp_path):
    shutil.copytree(SOURCE_DIR, tmp_path / "solutions" / "backprop_lib")
    return tmp_path


def test_build_is_idempotent(tmp_path):
    root = copy_library_source(tmp_path)
    regions = root / "backprop_course" / "task_regions.py"  # the crash reports' table of task functions
    assert len(build.build(root, check=True)) == len(list(SOURCE_DIR.glob("*.py"))) + 1
    assert not (root / "backprop_lib").exists() and not regions.exists()  # check writes nothing
    written = build.build(root)
    texts = {path: path.read_bytes() for path in [*(root / "backprop_lib").glob("*.py"), regions]}
    assert set(written) == set(texts)
    assert build.build(root) == []
    assert build.build(root, check=True) == []
    assert {path: path.read_bytes() for path in [*(root / "backprop_lib").glob("*.py"), regions]} == texts


def test_build_removes_a_stale_extra_file(tmp_path):
    root = copy_library_source(tmp_path)
    build.build(root)
    extra = root / "backprop_lib" / "old_module.py"
    extra.write_text("x = 1\n")
    assert build.build(root, check=True) == [extra]
    build.build(root)
    assert not extra.exists()


def test_strip_solutions_replaces_a_region_at_its_indentation():
    text = ("def f(x):\n"
            "    y = 1\n"
            "    ### BEGIN SOLUTION Lesson 9, task 2: implement f\n"
            "    return x + y\n"
            "    ### END SOLUTION\n")
    assert solution_markers.strip_solutions(text) == ("def f(x):\n"
                                           "    y = 1\n"
                                           '    raise NotImplementedError("Lesson 9, task 2: implement f")\n')


@pytest.mark.parametrize("text, message", [
    ("    ### BEGIN SOLUTION\n    x\n    ### END SOLUTION\n", r"f\.py:1: write the marker as"),
    ("### BEGIN SOLUTION lesson 1 task 2\nx\n### END SOLUTION\n", r"f\.py:1: write the marker as"),
    ("### BEGIN SOLUTION Lesson 1, task 1: a\n### BEGIN SOLUTION Lesson 1, task 2: b\n### END SOLUTION\n",
     r"f\.py:2: a solution region opens inside another"),
    ("x = 1\n### END SOLUTION\n", r"f\.py:2: END SOLUTION without a BEGIN SOLUTION"),
    ("### BEGIN SOLUTION Lesson 1, task 1: a\nx = 1\n", r"'Lesson 1, task 1: a' is never closed"),
])
def test_strip_solutions_rejects_malformed_markers(text, message):
    with pytest.raises(solution_markers.MarkerError, match=message) as info:
        solution_markers.strip_solutions(text, where="f.py")
    assert "\n" not in str(info.value)
