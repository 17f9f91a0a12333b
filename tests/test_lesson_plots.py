"""The lessons' plots as a student sees them: nothing leaves the axes, one colour per name.

Each source notebook runs with the reference library (nbclient); plt.show is replaced by a recorder,
and a last cell measures every shown figure in display pixels.
"""

import json

import nbformat
import pytest
from nbclient import NotebookClient

from helpers.checkout import SOLUTIONS

pytestmark = pytest.mark.slow

RECORD = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
_shown_figures = []
plt.show = lambda *args, **kwargs: _shown_figures.append(plt.gcf())
"""
# Per line: its label, colour, and whether every drawn point (with half its marker) lies inside the axes.
MEASURE = """
import json
import matplotlib.colors
import numpy as np
def _line(ax, line):
    points = ax.transData.transform(np.c_[line.get_xdata(), line.get_ydata()])
    half = line.get_markersize() * ax.figure.dpi / 72 / 2 if line.get_marker() not in (None, "None", "") else 0
    box = ax.get_window_extent()
    inside = bool(np.all((points[:, 0] - half >= box.x0 - 0.5) & (points[:, 0] + half <= box.x1 + 0.5) &
                         (points[:, 1] - half >= box.y0 - 0.5) & (points[:, 1] + half <= box.y1 + 0.5)))
    return {"label": line.get_label(), "colour": matplotlib.colors.to_hex(line.get_color()),
            "marker": str(line.get_marker()), "inside": inside, "points": len(points)}
print(json.dumps([[[_line(ax, line) for line in ax.get_lines()] for ax in fig.axes] for fig in _shown_figures]))
"""


def shown_figures(name):
    """[figure][axes][line] measurements of every figure that solutions/<name>.ipynb shows."""
    nb = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
    nb.cells = [nbformat.v4.new_code_cell(RECORD), *nb.cells, nbformat.v4.new_code_cell(MEASURE)]
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(SOLUTIONS)}}).execute()
    return json.loads("".join(output.get("text", "") for output in nb.cells[-1].outputs))


def test_lesson6_diverging_run_stays_inside_the_axes_with_its_mark():
    figures = shown_figures("06_gradient_descent")
    lines = [line for fig in figures for ax in fig for line in ax]
    diverged = [line for line in lines if "diverged at step" in line["label"]]
    assert len(diverged) == 1 and diverged[0]["points"] > 50, "the diverging run is drawn to its end"
    marks = [line for line in lines if line["marker"] == "x" and line["colour"] == diverged[0]["colour"]]
    assert marks, "the step where the loss became inf is marked"
    outside = [line["label"] for line in lines if not line["inside"]]
    assert outside == [], f"drawn outside the axes (cut off): {outside}"


def test_lesson3_each_activation_keeps_its_colour_in_every_plot():
    colours = {}
    for fig in shown_figures("03_activations"):
        for ax in fig:
            for line in ax:
                if line["label"] in ("relu", "sigmoid", "tanh"):
                    colours.setdefault(line["label"], set()).add(line["colour"])
    assert set(colours) == {"relu", "sigmoid", "tanh"}
    assert all(len(found) == 1 for found in colours.values()), colours
    assert len({found.pop() for found in colours.values()}) == 3
