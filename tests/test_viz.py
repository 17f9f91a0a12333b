"""The lecture widgets without a browser: what each control changes, presets, stubs, headless runs."""

import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from backprop_course import viz
from helpers.checkout import ROOT
from helpers.reference_library import load_library, reference_module
from helpers.slide_network import SLIDE_GRADS, text_content
from helpers.viz_reference import REFERENCE, node_texts

graph = reference_module("graph")
mlp = reference_module("mlp")
losses = reference_module("losses")
optim = reference_module("optim")

# Lesson 1's network (x = 2, t = 1) by hand: the chain rule along each path.
SLIDE_VALUES = {"h1": "a1 1  h1 1", "h2": "a2 3  h2 3", "h3": "a3 0.25  h3 0.25", "h4": "a4 2  h4 2",
                "y": "-0.5", "L": "1.125"}


def edge_labels(svg):
    """The text of every edge label, e.g. "w4 -0.25  ∂ -9" (the gradient is on a line of its own)."""
    return [text_content(inner) for inner in re.findall(r'<text class="edge-label"[^>]*>(.*?)</text>', svg)]


def edge_colour(svg, name):
    return re.search(r'<line class="edge" data-name="' + name + r'"[^>]* stroke="([^"]+)"', svg).group(1)


def test_slide_network_forward_reveals_values_node_by_node():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    assert node_texts(walk.svg, "value")["x"] == "2"
    assert node_texts(walk.svg, "value")["h1"] == "?"
    walk.step_forward()
    assert node_texts(walk.svg, "value")["h1"] == SLIDE_VALUES["h1"]
    assert node_texts(walk.svg, "value")["h2"] == "?"
    assert walk.active == "h1" and "a1 = w1·x = 0.5·2 = 1" in walk.message
    for _ in range(5):
        walk.step_forward()
    assert node_texts(walk.svg, "value") == {"x": "2", **SLIDE_VALUES}
    walk.step_forward()
    assert walk.message.startswith("forward pass done")


def test_slide_network_backward_shows_each_gradient_with_its_product():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    walk.step_backward()  # completes the forward pass first
    assert node_texts(walk.svg, "value")["L"] == "1.125"  # as lesson 1's table shows it
    assert walk.active == "L" and node_texts(walk.svg, "grad")["y"] == ""
    walk.step_backward()
    assert walk.message == "∂L/∂y = y − t = -1.5" and node_texts(walk.svg, "grad")["y"] == "∂ -1.5"
    walk.step_backward()
    assert walk.message == "∂L/∂w7 = ∂L/∂y·h3 = -1.5×0.25 = -0.375"
    while not walk.message.startswith("backward pass done"):
        walk.step_backward()
    labels = dict(re.fullmatch(r"(w\d) \S+  ∂ (\S+)", label).groups() for label in edge_labels(walk.svg))
    assert {name: float(value) for name, value in labels.items()} == SLIDE_GRADS
    assert "∂L/∂h1 = ∂L/∂a3·w3 + ∂L/∂a4·w5 = -3×1 + 0.75×-1 = -3.75" in "".join(
        text for _, text in walk._trace.backward)


def test_update_moves_weights_against_the_gradient_and_recolours_edges():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE, lr=0.1)
    assert edge_colour(walk.svg, "w4") == viz.display.NEGATIVE
    walk.update()  # runs the rest of the backward pass first
    weights = np.concatenate([W.ravel() for W in walk._source.weights])
    expected = {name: viz.SLIDE_WEIGHTS[name] - 0.1 * grad for name, grad in SLIDE_GRADS.items()}
    by_name = {f"w{k}": weights[i] for k, i in zip(range(1, 9), [0, 1, 2, 4, 3, 5, 6, 7])}
    assert by_name == pytest.approx(expected, abs=1e-12)
    assert edge_colour(walk.svg, "w4") == viz.display.POSITIVE  # -0.25 + 0.9: the sign flipped
    assert walk.message.startswith("update 1:") and walk.done_backward == 0
    walk.reset()
    assert walk._source.weights[1][1, 0] == -0.25 and node_texts(walk.svg, "value")["h1"] == "?"


def test_scalar_graph_update_recomputes_every_node():
    x, w, b = graph.Scalar(2.0, label="x"), graph.Scalar(-0.5, label="w"), graph.Scalar(0.3, label="b")
    loss = ((w * x + b).tanh() - 1.0) ** 2
    walk = viz.GraphWalkthrough(loss, params=[w, b], lr=0.5)
    loss.backward()
    dw, db = w.grad, b.grad
    walk.update()
    assert (w.value, b.value, x.value) == (-0.5 - 0.5 * dw, 0.3 - 0.5 * db, 2.0)
    fresh = ((graph.Scalar(w.value) * 2.0 + b.value).tanh() - 1.0) ** 2
    assert loss.value == pytest.approx(fresh.value, rel=1e-15)
    # The replayed local derivatives belong to the new values: backward agrees with a fresh graph.
    fresh_w = graph.Scalar(w.value)
    fresh = ((fresh_w * 2.0 + b.value).tanh() - 1.0) ** 2
    fresh.backward()
    loss.backward()
    assert w.grad == pytest.approx(fresh_w.grad, rel=1e-15)


def test_scalar_graph_names_each_node_and_skips_constants_backward():
    x, w = graph.Scalar(3.0, label="x"), graph.Scalar(0.5, label="w")
    walk = viz.GraphWalkthrough(w * x - 2.0)
    assert walk._source.params == [x, w]  # labelled leaves; the written-in 2.0 is a constant
    keys = [key for key, _ in walk._trace.backward]
    assert len(keys) == 4  # v2, v1, x, w: not the constant 2
    walk.next()
    assert walk.message == "v1 = w=0.5 * x=3 = 1.5"


def test_play_ticks_step_and_reset_does_not():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    walk.play.value = 1
    walk.play.value = 2
    assert walk.done_forward == 2
    walk.reset()
    assert walk.play.value == 2  # reset stops play; the next ticks go on from here
    walk.play.value = 0
    assert walk.done_forward == 0
    walk.speed.value = 4.0
    assert walk.play.interval == 250


def test_play_cycles_forward_backward_update():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    steps = len(walk._trace.forward) + len(walk._trace.backward)
    for _ in range(steps + 1):
        walk.next()
    assert walk.updates == 1 and walk._trace.loss < 1.125


# The lecture's output area in the browser tests' 1,400 px window; text width as the widest usual
# sans-serif digits (DejaVu Sans, 0.64 em at 11 px), glyphs 9 px above and 3 px below the baseline.
OUTPUT_WIDTH = 968
CHAR_WIDTH, ASCENT, DESCENT = 0.64 * 11, 9, 3


def lecture_walkthroughs():
    """The walkthroughs of lecture/backprop_live.ipynb, built as its cells build them."""
    x, w, b, t = (graph.Scalar(v, label=name) for v, name in ((2.0, "x"), (-0.5, "w"), (0.3, "b"), (1.0, "t")))
    neuron = viz.GraphWalkthrough(((w * x + b).tanh() - t) ** 2, params=[w, b], lr=0.5)
    X, y = reference_module("data").moons(200, rng=0)
    model = mlp.MLP(2, (4, 3), 1, activation="tanh", output_activation="sigmoid", rng=0)
    return {"neuron": neuron, "slide": viz.GraphWalkthrough.slide_network(library=REFERENCE, lr=0.02),
            "mlp": viz.GraphWalkthrough.from_mlp(model, X[0], y[0], lr=0.5)}


def drawn_boxes(svg):
    """(drawn width, [node rectangles], [edge label boxes]) in the SVG's own units, boxes as
    (left, top, right, bottom); a label box per line of text."""
    width, view = re.search(r'<svg [^>]*viewBox="([^"]+)"[^>]*max-width:([0-9.]+)px', svg).groups()[::-1]
    nodes = [tuple(map(float, (x, y))) + (float(x) + float(w), float(y) + float(h)) for x, y, w, h in
             re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"', svg)]
    labels = []
    for inner in re.findall(r'<text class="edge-label"[^>]*>(.*?)</text>', svg):
        lines = [(float(x), float(y), text_content(text).strip())
                 for x, y, text in re.findall(r'<tspan x="([^"]+)" y="([^"]+)">(.*?)</tspan>', inner)]
        labels.append([(x - len(text) * CHAR_WIDTH / 2, y - ASCENT, x + len(text) * CHAR_WIDTH / 2, y + DESCENT)
                       for x, y, text in lines])
    return float(width), [float(v) for v in view.split()], nodes, labels


def overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("name", ["neuron", "slide", "mlp"])
def test_lecture_drawings_fit_the_output_and_no_label_overlaps(name):
    """Through a forward pass, a backward pass, an update and the next backward pass."""
    walk = lecture_walkthroughs()[name]
    steps = 2 * (len(walk._trace.forward) + len(walk._trace.backward)) + 2
    gradients_shown = 0  # the most edge labels shown with their gradient at one step
    for step in range(steps):
        width, view, nodes, labels = drawn_boxes(walk.svg)
        where = f"{name}, step {step}: {walk.message}"
        assert width <= OUTPUT_WIDTH, where
        assert not [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:] if overlap(a, b)], where
        for i, label in enumerate(labels):
            for line in label:
                assert view[0] <= line[0] and line[2] <= view[2] and view[1] <= line[1] and line[3] <= view[3], where
                assert not [box for box in nodes if overlap(line, box)], f"{where}: a label over a node"
                others = [box for other in labels[i + 1:] for box in other]
                assert not [box for box in others if overlap(line, box)], f"{where}: two labels overlap"
        gradients_shown = max(gradients_shown, sum(len(label) == 2 for label in labels))
        walk.next()
    assert gradients_shown == {"neuron": 0, "slide": 8, "mlp": 1}[name]  # every label was checked at full size


@pytest.mark.parametrize("output, target", [("identity", [0.7]), ("sigmoid", 1), ("softmax", 2)])
def test_from_mlp_update_equals_the_library_sgd_step(output, target):
    out_features = 3 if output == "softmax" else 1
    model = mlp.MLP(2, (3, 2), out_features, "tanh", output, rng=1)
    twin = mlp.MLP(2, (3, 2), out_features, "tanh", output, rng=1)
    x = np.array([0.4, -1.2])
    walk = viz.GraphWalkthrough.from_mlp(model, x, target, lr=0.3)
    loss = losses.LOSS_FOR_OUTPUT[output]()
    y = np.asarray(target).reshape(1, -1) if output == "identity" else np.asarray(target).reshape(1)
    assert walk._trace.loss == pytest.approx(loss.forward(twin.forward(x[None]), y), rel=1e-12)
    twin.backward(loss.backward())
    optim.SGD(twin, 0.3).step()
    walk.update()
    for (name, layer, key), (_, twin_layer, _) in zip(model.named_parameters(), twin.named_parameters()):
        np.testing.assert_allclose(layer.params[key], twin_layer.params[key], rtol=1e-12, err_msg=name)


def test_from_mlp_summarises_large_models_per_layer():
    model = mlp.MLP(4, (16, 16), 1, "relu", "sigmoid", rng=0)
    before = model.layers[0].params["W"].copy()
    walk = viz.GraphWalkthrough.from_mlp(model, np.ones(4), 1, lr=0.1)
    assert [node.key for node in walk._trace.nodes] == ["x", "h1", "h2", "scores", "L"]
    for _ in range(len(walk._trace.backward)):
        walk.step_backward()
    assert "‖∂W‖" in walk.svg and walk.active == ("W", 1)
    walk.update()
    assert not np.array_equal(before, model.layers[0].params["W"])
    walk.reset()
    np.testing.assert_array_equal(before, model.layers[0].params["W"])


def test_bad_inputs_get_one_line_errors():
    model = mlp.MLP(2, (3,), 1, rng=0)
    with pytest.raises(ValueError, match=r"one sample.*pass X\[0\]"):
        viz.GraphWalkthrough.from_mlp(model, np.ones((5, 2)), np.ones(5))
    with pytest.raises(ValueError, match="unknown weight name 'w9'"):
        viz.GraphWalkthrough.slide_network(library=REFERENCE, weights={"w9": 1.0})
    with pytest.raises(TypeError, match="output Scalar"):
        viz.GraphWalkthrough(3.0)
    with pytest.raises(ValueError, match="unknown preset key 'colour'"):
        viz.TrainingAnimator(library=REFERENCE, preset="colour=red")
    with pytest.raises(ValueError, match="'lr=fast' is not a valid lr"):
        viz.TrainingAnimator(library=REFERENCE, preset="lr=fast")
    with pytest.raises(ValueError, match="cannot hide 'everything'"):
        viz.TrainingAnimator(library=REFERENCE, preset="hide=everything")


def boundary(animator):
    return re.search(r'<image class="boundary"[^>]* href="([^"]+)"', animator.svg).group(1)


def test_training_step_changes_the_boundary_and_the_loss_curve():
    anim = viz.TrainingAnimator(library=REFERENCE, preset="dataset=xor&hidden=8&lr=0.3")
    before = boundary(anim)
    assert anim.message == "press play or step to train" and 'class="loss"' not in anim.svg
    anim.step(5)
    assert boundary(anim) != before and anim.step_count == 5 and 'class="loss"' in anim.svg
    anim.controls["play"].value = 1  # a Play tick makes `speed` updates
    assert anim.step_count == 6
    anim.controls["lr"].value = 0.03  # goes on at the new rate
    assert anim.optimizer.lr == 0.03 and anim.step_count == 6
    anim.controls["activation"].value = "relu"  # a new network
    assert anim.step_count == 0 and anim.model.activation == "relu"


def test_regression_fit_and_divergence_stops_training():
    anim = viz.TrainingAnimator(library=REFERENCE, preset="dataset=regression&hidden=16&lr=3&steps=200")
    assert anim.diverged is not None and anim.step_count == anim.diverged < 200
    assert anim.message.startswith(f"diverged at step {anim.diverged}") and "try lr=0.3" in anim.message
    anim.step(10)
    assert anim.step_count == anim.diverged
    fit = viz.TrainingAnimator(library=REFERENCE, preset="dataset=regression&hidden=16&lr=0.3&steps=50")
    assert 'class="fit"' in fit.svg and fit.diverged is None


def test_preset_round_trips_the_whole_state_and_hides_controls():
    preset = "dataset=circles&n=120&hidden=8,4&activation=relu&lr=0.3&batch=10&seed=3&hide=seed,dataset"
    first = viz.TrainingAnimator(library=REFERENCE, preset="#" + preset)
    first.step(7)
    assert first.preset == preset.replace("&hide", "&steps=7&hide")
    again = viz.TrainingAnimator(library=REFERENCE, preset=first.preset)
    assert again.preset == first.preset
    for (_, layer, key), (_, twin, _) in zip(first.model.named_parameters(), again.model.named_parameters()):
        np.testing.assert_array_equal(layer.params[key], twin.params[key])
    assert again.controls["seed"].layout.display == "none" and again.controls["lr"].layout.display is None
    assert viz.TrainingAnimator(library=REFERENCE, lr=0.03).preset == "lr=0.03"  # keywords override; defaults left out


def test_skeleton_widgets_name_the_task_to_finish():
    skeleton = load_library(ROOT / "backprop_lib", "skeleton_lib")
    if "raise NotImplementedError" not in (ROOT / "backprop_lib" / "graph.py").read_text():
        pytest.skip("backprop_lib is not the generated skeleton here")
    walk = viz.GraphWalkthrough.slide_network(library=skeleton)
    walk.step_forward()
    assert walk.message.startswith("a1 = w1·x")  # the forward pass is given code
    walk.step_backward()
    assert walk.message == "finish Lesson 1, task 4 (the backward pass) to step backward"
    assert 'bp-todo' in walk.status.value
    anim = viz.TrainingAnimator(library=skeleton)
    assert anim.message.startswith("finish Lesson 5, task 1")
    anim.controls["play"].value = 1
    assert anim.step_count == 0 and anim.message.startswith("finish Lesson 5, task 1")


def test_widgets_render_statically_when_executed_headless(tmp_path):
    """nbclient (as nbgrader does) runs the lecture notebook: each widget output carries its picture."""
    from nbclient import NotebookClient

    nb = nbformat.read(ROOT / "lecture" / "backprop_live.ipynb", as_version=4)
    NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(ROOT / "lecture")}}).execute()
    shown = [output.data for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
             if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    assert len(shown) == 8
    assert all("<svg" in data["text/html"] for data in shown)
    assert sum('class="boundary"' in data["text/html"] for data in shown) == 2
    assert "step forward to compute" in shown[1]["text/html"]


def test_only_the_widgets_import_widgets_and_plotting():
    """Grading imports backprop_course (never its viz): it must not pay for ipywidgets and matplotlib."""
    code = ("import sys, importlib; importlib.import_module(sys.argv[1]); "
            "print(sorted(name for name in ('ipywidgets', 'matplotlib') if name in sys.modules))")
    loaded = {module: subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True,
                                     timeout=120, cwd=ROOT).stdout.strip()
              for module in ("backprop_course", "backprop_course.viz")}
    assert loaded == {"backprop_course": "[]", "backprop_course.viz": "['ipywidgets', 'matplotlib']"}


def test_drawings_scale_with_their_output_and_controls_wrap():
    """JupyterLab's output area clips without scrolling: each drawing has a viewBox, width 100% and its
    natural width as max-width; controls keep their width and wrap; Play's icon buttons have a tooltip."""
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    anim = viz.TrainingAnimator(library=REFERENCE, preset="dataset=xor&hidden=4")
    for widget, svg in ((walk, walk.svg), (anim, anim.svg)):
        tag = re.match(r"<svg [^>]*>", svg)[0]
        view = [float(v) for v in re.search(r'viewBox="([^"]+)"', tag)[1].split()]
        assert 'width="100%"' in tag and 'height=' not in tag.replace("height:auto", "")
        assert float(re.search(r"max-width:([0-9.]+)px", tag)[1]) == min(view[2], 940)
        [box] = [child for child in widget.children if "<svg" in getattr(child, "value", "")]
        assert box.layout.width == "100%"  # the drawing's box is the output's width
        rows = [child for child in widget.children if isinstance(child, viz.walkthrough.widgets.HBox)]
        assert rows and all(row.layout.flex_flow == "row wrap" for row in rows)
        assert all(control.layout.flex == "0 0 auto" for row in rows for control in row.children)
    for play in (walk.play, anim.controls["play"]):
        assert play.tooltip and not play.description  # a description would hide the tooltip


def test_a_diverged_loss_curve_is_drawn_on_a_log_scale_with_a_mark_inside_the_panel():
    anim = viz.TrainingAnimator(library=REFERENCE, preset="dataset=regression&hidden=16&lr=3&steps=200")
    svg = anim.svg
    assert "loss (log scale)" in svg and 'class="diverged"' in svg
    panel = viz.training_svg.PANEL
    mark = re.search(r'<g class="diverged".*?</g>', svg)[0]
    coordinates = [float(v) for v in re.findall(r'[xy][12]="([^"]+)"', mark)]
    assert all(0 <= v <= panel for v in coordinates)
    points = [float(v) for pair in re.search(r'class="loss" points="([^"]+)"', svg)[1].split() for v in pair.split(",")]
    assert all(0 <= v <= panel for v in points)
    heights = points[1::2]
    assert max(heights) - min(heights) > panel / 2  # on a linear scale all but the last points lie flat
    calm = viz.TrainingAnimator(library=REFERENCE, preset="dataset=xor&hidden=8&lr=0.3&steps=20").svg
    assert "log scale" not in calm and 'class="diverged"' not in calm


def test_a_widgets_saved_picture_is_its_last_state(tmp_path):
    """A real kernel (nbclient): a step after the widget cell updates the companion picture, which the
    server saves as the widget's picture; the widget output names the kernel process that holds it."""
    from nbclient import NotebookClient

    from backprop_course.widget_pictures import KEY, SHOWN_BY, WIDGET_VIEW, keep_latest_pictures

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "import os\nfrom backprop_course.lesson import start\nstart(os.path.join(%r, 'solutions'))\n"
        "from backprop_course.viz import GraphWalkthrough\nwalk = GraphWalkthrough.slide_network()\nwalk" % str(ROOT),
        "walk.step_forward()\nos.getpid()")])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    nbformat.validate(nb)  # the companion output's type is a valid MIME type for any notebook tool
    widget = next(output for output in nb.cells[0].outputs if WIDGET_VIEW in output.get("data", {}))
    assert "a1 1  h1 1" not in text_content(widget.data["text/html"])
    assert widget.metadata[KEY][SHOWN_BY] == int(nb.cells[1].outputs[0].data["text/plain"])
    assert keep_latest_pictures(nb) == 1 and len(nb.cells[0].outputs) == 1
    assert "a1 1  h1 1" in text_content(nb.cells[0].outputs[0].data["text/html"])
