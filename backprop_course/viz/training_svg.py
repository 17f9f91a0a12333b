"""TrainingAnimator's picture as SVG: the data with the decision boundary (or the 1-D fit) beside the loss curve."""

import base64
import io

import numpy as np
from matplotlib import colormaps
from matplotlib.image import imsave

from .display import NEGATIVE, POSITIVE, fmt, scalable_svg_tag, todo_message

GRID = 64        # the decision-boundary image is GRID x GRID pixels, scaled up by the browser
PANEL = 300      # each of the two panels is PANEL x PANEL pixels
GAP = 24         # between the two panels
WIDTH = 2 * PANEL + GAP
LOG_SPAN = 1e3   # losses spanning more than this factor are drawn on a log scale
MARK = 6         # half the size of the red x at the end of a diverged run


def png_data_uri(rgb):
    """An (H, W, 3) float image in [0, 1] as a data: URI."""
    buffer = io.BytesIO()
    imsave(buffer, rgb, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class TrainingPicture:
    """Draws models trained on one data set: X (n, 2) with 0/1 labels y, or for regression X (n, 1), y (n, 1).

    The panel's ranges are fixed by the data (with a margin), so the picture does not move while the
    model trains.
    """

    def __init__(self, X, y, regression):
        self.X, self.y, self.regression = X, y, regression
        # The picture's (horizontal, vertical) ranges: x1 and x2, or for regression x and y.
        shown = np.c_[X, y] if regression else X
        lo, hi = shown.min(axis=0), shown.max(axis=0)
        margin = 0.15 * (hi - lo) + 0.1
        self.bounds = (lo - margin, hi + margin)
        if not regression:
            (x0, y0), (x1, y1) = self.bounds
            gx, gy = np.meshgrid(np.linspace(x0, x1, GRID),
                                 np.linspace(y1, y0, GRID))  # top row of the image is the largest y
            self.grid = np.c_[gx.ravel(), gy.ravel()]

    def svg(self, model, losses):
        """(both panels as one SVG string, the todo line when ``model`` cannot be drawn, else None)."""
        parts, todo = self._fit(model) if self.regression else self._boundary(model)
        return "".join([
            scalable_svg_tag("bp-training", WIDTH, PANEL, WIDTH, 11),
            f'<g class="picture"><rect x="0" y="0" width="{PANEL}" height="{PANEL}" fill="white" '
            'stroke="#cccccc"/>', *parts, "</g>",
            f'<g class="curve" transform="translate({PANEL + GAP},0)">', *loss_curve(losses), "</g></svg>"]), todo

    def _to_panel(self, values, column=0):
        lo, hi = self.bounds[0][column], self.bounds[1][column]
        return (values - lo) / (hi - lo) * PANEL

    def _fit(self, model):
        """The left panel's SVG elements for regression: the data points and the model's curve."""
        xs = np.linspace(self.bounds[0][0], self.bounds[1][0], 120)
        ylo, yhi = self.bounds[0][1], self.bounds[1][1]
        todo, fit = None, None
        try:
            with np.errstate(all="ignore"):
                fit = model.forward(xs[:, None])[:, 0]
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            todo = todo_message(err, "see the fit")
        py = PANEL - (self.y[:, 0] - ylo) / (yhi - ylo) * PANEL
        px = self._to_panel(self.X[:, 0])
        parts = [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="#555555"/>' for a, b in zip(px, py)]
        if fit is not None and np.all(np.isfinite(fit)):
            fy = np.clip(PANEL - (fit - ylo) / (yhi - ylo) * PANEL, -10, PANEL + 10)
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(self._to_panel(xs), fy))
            parts.append(f'<polyline class="fit" points="{points}" fill="none" stroke="{NEGATIVE}" '
                         'stroke-width="2.5"/>')
        return parts, todo

    def _boundary(self, model):
        """The left panel's SVG elements for classification: the decision boundary and the points."""
        parts, todo = [], None
        try:
            with np.errstate(all="ignore"):
                p = model.predict_proba(self.grid)[:, 0].reshape(GRID, GRID)
        except Exception as err:  # a stub or a bug in a student part: say which, never raise
            todo = todo_message(err, "see the decision boundary")
        else:
            # Light red where p(red) is high, light blue where low, white on the boundary p = 0.5.
            rgb = 1.0 - 0.45 * (1.0 - colormaps["RdBu_r"](np.nan_to_num(p, nan=0.5))[..., :3])
            parts.append(f'<image class="boundary" x="0" y="0" width="{PANEL}" height="{PANEL}" '
                         f'preserveAspectRatio="none" href="{png_data_uri(rgb)}"/>')
        px, py = self._to_panel(self.X[:, 0], 0), PANEL - self._to_panel(self.X[:, 1], 1)
        colours = np.where(self.y == 1, NEGATIVE, POSITIVE)
        parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.2" fill="{c}" stroke="white" stroke-width="0.8"/>'
                  for a, b, c in zip(px, py, colours)]
        return parts, todo


def loss_curve(losses):
    """The right panel's SVG elements: the loss per step, from 0 to the largest loss, or on a log
    scale when the losses span more than LOG_SPAN (a diverging run would otherwise draw a flat line
    and one spike). A run that ended in inf or nan gets a red mark at its last point, inside the panel."""
    finite = np.asarray([v for v in losses if np.isfinite(v)], dtype=float)
    parts = [f'<rect x="0" y="0" width="{PANEL}" height="{PANEL}" fill="white" stroke="#cccccc"/>']
    if not len(finite):
        return parts + ['<text x="6" y="14">loss</text>']
    top = float(finite.max()) or 1.0
    positive = finite[finite > 0]
    log = len(positive) == len(finite) and top / positive.min() > LOG_SPAN
    if log:
        low, high = np.log10(positive.min()), np.log10(top)
        heights = (np.log10(finite) - low) / ((high - low) or 1.0)
        scale = f"max {fmt(top)}, min {fmt(positive.min())}"
    else:
        heights = finite / top
        scale = f"max {fmt(top)}"
    parts.append(f'<text x="6" y="14">{"loss (log scale)" if log else "loss"}</text>')
    step = max(1, len(finite) // PANEL)
    shown = heights[::step]
    xs = np.linspace(0, PANEL, len(shown)) if len(shown) > 1 else np.array([0.0])
    ys = PANEL - 10 - shown * (PANEL - 30)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys))
    parts += [f'<polyline class="loss" points="{points}" fill="none" stroke="#333333" stroke-width="1.5"/>',
              f'<text x="{PANEL - 6}" y="14" text-anchor="end">{scale}</text>']
    if len(finite) < len(losses):
        # The mark sits at the last finite point, kept MARK px inside the panel so it is seen whole.
        x = float(np.clip(xs[-1], MARK, PANEL - MARK))
        y = float(np.clip(ys[-1], 20 + MARK, PANEL - MARK))
        parts += [f'<g class="diverged" stroke="{NEGATIVE}" stroke-width="2.5">'
                  f'<line x1="{x - MARK:.1f}" y1="{y - MARK:.1f}" x2="{x + MARK:.1f}" y2="{y + MARK:.1f}"/>'
                  f'<line x1="{x - MARK:.1f}" y1="{y + MARK:.1f}" x2="{x + MARK:.1f}" y2="{y - MARK:.1f}"/></g>',
                  f'<text x="{x - MARK - 4:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{NEGATIVE}">'
                  f'diverged: loss {losses[-1]}</text>']
    return parts
