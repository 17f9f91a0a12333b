"""The widgets draw the library they are given (the reference in the lecture, the student's in a
lesson), never whatever ``backprop_lib`` happens to be importable; ``import backprop_course.viz``
imports no library."""

import subprocess
import sys

import nbformat
import pytest

from backprop_course import lesson, viz
from helpers.checkout import ROOT, SOLUTIONS
from helpers.reference_library import load_library
from helpers.viz_reference import REFERENCE

# Run outside the checkout, where no backprop_lib is importable: the package imports, a widget with
# no library refuses in one line, and a library loaded from a folder under a name of its own works.
WITHOUT_LIBRARY = """
import importlib.util, sys
assert importlib.util.find_spec("backprop_lib") is None, "a backprop_lib is importable here"
import backprop_course.viz as viz
assert not [name for name in sys.modules if name.split(".")[0] == "backprop_lib"]
try:
    viz.GraphWalkthrough.slide_network()
except viz.LibraryNotChosen as err:
    print("refused:", err)
spec = importlib.util.spec_from_file_location("course_reference", sys.argv[1] + "/__init__.py",
                                              submodule_search_locations=[sys.argv[1]])
reference = importlib.util.module_from_spec(spec)
sys.modules["course_reference"] = reference
spec.loader.exec_module(reference)
walk = viz.GraphWalkthrough.slide_network(library=reference)
while not walk.message.startswith("backward pass done"):
    walk.step_backward()
anim = viz.TrainingAnimator(preset="dataset=xor&hidden=4&steps=3", library=reference)
print("drawn:", walk._trace.loss, anim.step_count, type(anim.model).__module__)
print("imported:", sorted({name.split(".")[0] for name in sys.modules if "backprop_lib" in name}))
"""


def test_the_widgets_import_and_draw_a_given_library_with_no_backprop_lib_importable(tmp_path):
    result = subprocess.run([sys.executable, "-c", WITHOUT_LIBRARY, str(SOLUTIONS / "backprop_lib")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0] == ("refused: which library should this widget draw? pass library= (import backprop_lib, "
                        "then library=backprop_lib), or run backprop_course.lesson.start() first (a lesson's "
                        "first cell does)")
    assert lines[1:] == ["drawn: 1.125 3 course_reference.mlp", "imported: []"]


def test_a_given_library_wins_over_the_importable_one():
    """Here ``backprop_lib`` is the checkout's skeleton (its backward pass a stub); the reference given
    draws every gradient, and objects built with a library are drawn with theirs."""
    skeleton = load_library(ROOT / "backprop_lib", "skeleton_lib")
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    assert walk._source.library.package is REFERENCE and walk._trace.backward_error is None
    if "raise NotImplementedError" in (ROOT / "backprop_lib" / "graph.py").read_text():
        assert viz.GraphWalkthrough.slide_network(library=skeleton)._trace.backward_error.startswith("finish")
    x = REFERENCE.graph.Scalar(2.0, label="x")
    walk = viz.GraphWalkthrough((x * x).tanh())
    assert walk._trace.backward_error is None and walk._source.order[0].__class__ is REFERENCE.graph.Scalar
    model = REFERENCE.mlp.MLP(2, (3,), 1, activation="tanh", output_activation="sigmoid", rng=0)
    assert viz.GraphWalkthrough.from_mlp(model, [0.1, 0.2], 1)._source.library.package is REFERENCE
    assert viz.library.choose(REFERENCE.graph).package is REFERENCE  # a module of it names it too
    with pytest.raises(TypeError, match="library must be the library package"):
        viz.library.choose("backprop_lib")


def test_without_a_library_the_widgets_draw_the_one_lesson_start_chose(monkeypatch):
    monkeypatch.setattr(lesson, "STARTED", None)
    with pytest.raises(viz.LibraryNotChosen, match="run backprop_course.lesson.start"):
        viz.WeightNudge()
    monkeypatch.setattr(lesson, "STARTED", ROOT)  # as start() leaves it, with ROOT first on sys.path
    chosen = viz.library.choose()
    assert chosen.package.__name__ == "backprop_lib"
    assert chosen.package.__file__ == str(ROOT / "backprop_lib" / "__init__.py")


def test_the_lecture_gives_every_widget_the_reference():
    """Each widget call of the lecture names its library, or draws objects built with it."""
    nb = nbformat.read(ROOT / "lecture" / "backprop_live.ipynb", as_version=4)
    calls = [line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines()
             if any(widget in line for widget in ("slide_network(", "TrainingAnimator(", "WeightNudge("))]
    assert len(calls) == 6
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert code.count("library=reference") == 6 and "import backprop_lib as reference" in code
