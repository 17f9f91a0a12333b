"""WeightNudge: the loss against one weight of the slide network, beside the tangent of slope dL/dw."""

import re

import pytest

from backprop_course import viz
from backprop_course.viz import nudge
from helpers.checkout import ROOT
from helpers.reference_library import load_library
from helpers.viz_reference import REFERENCE
from helpers.slide_network import SLIDE_GRADS, text_content

LIBRARY = viz.library.Library(REFERENCE)


@pytest.mark.parametrize("name", sorted(SLIDE_GRADS))
def test_the_tangent_slope_is_the_gradient_and_the_central_difference(name):
    source = nudge.slide_source(library=LIBRARY)
    numbers = nudge.nudge_numbers(source, name, 1e-4)
    assert numbers["grad"] == pytest.approx(SLIDE_GRADS[name], rel=1e-12)   # lesson 1, by hand
    assert numbers["central"] == pytest.approx(numbers["grad"], rel=1e-6, abs=1e-9)
    # Close to the weight, L follows the tangent up to a term of order δ²:
    assert abs(numbers["loss"] - numbers["tangent"]) < 1e-6


def test_a_large_nudge_leaves_the_tangent_and_the_weights_as_they_were():
    source = nudge.slide_source(library=LIBRARY)
    numbers = nudge.nudge_numbers(source, "w4", 0.25)
    # w4 = -0.25 + 0.25 = 0: a3 = h1 = 1, y = 2 h3 - 0.5 h4 = 1 = t, so L = 0.
    assert numbers["loss"] == pytest.approx(0.0, abs=1e-15)
    assert numbers["tangent"] == pytest.approx(1.125 + 0.25 * -9.0)   # -1.125: the tangent is a line
    assert numbers["w"] == -0.25 and source.weights[1][1, 0] == -0.25


def test_the_widget_redraws_for_the_slider_and_the_weight_chosen():
    widget = viz.WeightNudge(library=REFERENCE)
    assert "w4 = -0.25 + δ = -0.25: L = 1.125" in text_content(widget.status.value)
    widget.delta.value = 0.25
    status = text_content(widget.status.value)
    assert "w4 = -0.25 + δ = 0: L = 0 (L was 1.125)" in status and "= -1.125" in status
    assert "Central difference" in status and 'class="tangent"' in widget.graph.value
    widget.choice.value = "w7"
    assert text_content(widget.status.value).startswith("w7 = 2 + δ = 2.25")
    circle = re.search(r'class="on-loss" cx="([\d.]+)"', widget.graph.value)
    assert float(circle.group(1)) > nudge.WIDTH / 2          # δ > 0 is right of the middle
    with pytest.raises(ValueError, match="unknown weight name 'w9'"):
        viz.WeightNudge(library=REFERENCE, weight="w9")


def test_without_the_backward_pass_the_curve_shows_and_the_tangent_waits():
    skeleton = load_library(ROOT / "backprop_lib", "skeleton_lib")
    if "raise NotImplementedError" not in (ROOT / "backprop_lib" / "graph.py").read_text():
        pytest.skip("backprop_lib is not the generated skeleton here")
    widget = viz.WeightNudge(library=skeleton)
    assert 'class="loss"' in widget.graph.value and 'class="tangent"' not in widget.graph.value
    assert "finish Lesson 1, task" in text_content(widget.status.value) and "bp-todo" in widget.status.value
