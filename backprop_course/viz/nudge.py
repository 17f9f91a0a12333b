"""WeightNudge: move one weight of the slide network and watch the loss follow its tangent.

The gradient is a sensitivity: nudging w_k by δ changes L by about δ·∂L/∂w_k. The widget draws
L(w_k + δ) (the forward pass alone) beside the tangent line of slope ∂L/∂w_k (the library's
backward pass) and prints the central difference students later use in gradient checks.
"""

import ipywidgets as widgets
import numpy as np

from .display import ACTIVE, POSITIVE, StaticHTML, control_row, fmt, message_html, picture_box, scalable_svg_tag
from .library import choose
from .network_source import SLIDE_WEIGHTS, slide_source

WIDTH, HEIGHT, PAD = 420, 240, 36   # the plot's size in px and the margin left for the axes' labels
CURVE_POINTS = 81                   # L is evaluated at this many nudges across the slider's range


def nudge_numbers(source, name, delta):
    """The numbers the widget shows for nudging weight ``name`` of ``source`` (a NetworkSource) by ``delta``.

    Returns {"w": its value, "loss0": L, "grad": ∂L/∂w (None while the backward pass raises),
    "todo": what to finish then (else None), "loss": L(w + δ), "tangent": L + δ·∂L/∂w (None
    without a gradient), "central": (L(w + δ) − L(w − δ)) / 2δ (None for δ = 0)}.
    """
    position = weight_position(source, name)
    at_zero = source.trace()
    ws = source.scalars[position[0]][0]
    grad = None if at_zero.backward_error else ws[position[1]][position[2]].grad
    loss = loss_at(source, position, delta)
    return {"w": float(source.weights[position[0]][position[1:]]), "loss0": at_zero.loss, "grad": grad,
            "todo": at_zero.backward_error, "loss": loss,
            "tangent": None if grad is None else at_zero.loss + delta * grad,
            "central": None if delta == 0 else (loss - loss_at(source, position, -delta)) / (2 * delta)}


def weight_position(source, name):
    """(layer, row, column) of the weight labelled ``name`` ("w4") in ``source.weights``."""
    source.trace()
    for layer, (ws, _) in enumerate(source.scalars):
        for i, row in enumerate(ws):
            for j, scalar in enumerate(row):
                if scalar.label == name:
                    return layer, i, j
    raise ValueError(f"unknown weight name {name!r}: use one of w1 ... w{sum(W.size for W in source.weights)}")


def loss_at(source, position, delta):
    """L with the weight at ``position`` moved by ``delta`` (the source's weights are left as they were)."""
    layer, i, j = position
    kept = source.weights[layer][i, j]
    source.weights[layer][i, j] = kept + delta
    try:
        return source.trace().loss
    finally:
        source.weights[layer][i, j] = kept


class WeightNudge(StaticHTML, widgets.VBox):
    """Nudge one weight of lesson 1's slide network: L(w_k + δ) against the tangent of slope ∂L/∂w_k.

    ``WeightNudge(x=2.0, target=1.0, weights=None, weight="w4", span=1.0)``: the network of
    ``GraphWalkthrough.slide_network``; the slider moves ``weight`` by δ in [-span, span]. The curve
    needs only the forward pass; the tangent needs the library's backward pass (lesson 1, tasks 3
    and 4) and says which task to finish until then. ``library``: the library package that computes
    it (``import backprop_lib``, then ``library=backprop_lib``); by default the one
    ``backprop_course.lesson.start`` chose.
    """

    def __init__(self, x=2.0, target=1.0, weights=None, weight="w4", span=1.0, library=None):
        super().__init__()
        if not span > 0:
            raise ValueError(f"span must be positive, got span={span!r}")
        self.source = slide_source(x, target, weights, library=choose(library))
        weight_position(self.source, weight)  # a clear error for an unknown name, before any drawing
        self.span = span
        self.choice = widgets.Dropdown(options=list(SLIDE_WEIGHTS), value=weight, description="weight",
                                       layout=widgets.Layout(width="160px"))
        self.delta = widgets.FloatSlider(value=0.0, min=-span, max=span, step=span / 40, description="nudge δ",
                                         readout_format=".3f", layout=widgets.Layout(width="320px"))
        self.choice.observe(lambda _: self._draw(), "value")
        self.delta.observe(lambda _: self._draw(), "value")
        self.graph = picture_box()
        self.status = widgets.HTML()
        self.children = [control_row([self.choice, self.delta]), self.graph, self.status]
        self.pictured = (self.graph, self.status)
        self._draw()

    @property
    def numbers(self):
        """``nudge_numbers`` for the current weight and nudge."""
        return nudge_numbers(self.source, self.choice.value, self.delta.value)

    def _draw(self):
        name, delta, n = self.choice.value, self.delta.value, self.numbers
        position = weight_position(self.source, name)
        deltas = np.linspace(-self.span, self.span, CURVE_POINTS)
        losses = np.array([loss_at(self.source, position, d) for d in deltas])
        self.graph.value = plot_svg(deltas, losses, n, name, delta)
        moved = f"{name} = {fmt(n['w'])} + δ = {fmt(n['w'] + delta)}: L = {fmt(n['loss'])} (L was {fmt(n['loss0'])})"
        if n["grad"] is None:
            self.status.value = message_html(f"{moved}. The tangent needs ∂L/∂{name}: {n['todo']}", "todo")
        else:
            line = (f"{moved}; the tangent predicts L + δ·∂L/∂{name} = {fmt(n['loss0'])} + {fmt(delta)}"
                    f"×{fmt(n['grad'])} = {fmt(n['tangent'])}.")
            if n["central"] is not None:
                line += f" Central difference (L(w+δ) − L(w−δ))/2δ = {fmt(n['central'])}; ∂L/∂{name} = {fmt(n['grad'])}."
            self.status.value = message_html(line)
        self.publish_picture()


def plot_svg(deltas, losses, numbers, name, delta):
    """The curve L(w + δ) in blue, the tangent in orange, dots at the current δ (SVG text)."""
    tangent = None if numbers["grad"] is None else numbers["loss0"] + deltas * numbers["grad"]
    low, high = float(losses.min()), float(losses.max())
    margin = 0.1 * (high - low) + 1e-9
    low, high = low - margin, high + margin  # the tangent runs off the plot rather than squash the curve

    def px(d, value):
        return (PAD + (d - deltas[0]) / (deltas[-1] - deltas[0]) * (WIDTH - 2 * PAD),
                HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD))

    def polyline(values, colour, css_class):
        points = " ".join("{:.1f},{:.1f}".format(*px(d, v)) for d, v in zip(deltas, values))
        return f'<polyline class="{css_class}" points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'

    parts = [scalable_svg_tag("bp-nudge", WIDTH, HEIGHT, WIDTH, 11),
             f'<defs><clipPath id="bp-nudge-plot"><rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" '
             f'height="{HEIGHT - 2 * PAD}"/></clipPath></defs>',
             f'<rect x="{PAD}" y="{PAD}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - 2 * PAD}" fill="white" stroke="#cccccc"/>',
             '<g clip-path="url(#bp-nudge-plot)">', polyline(losses, POSITIVE, "loss")]
    x, y = px(delta, numbers["loss"])
    if tangent is not None:
        parts.append(polyline(tangent, ACTIVE, "tangent"))
        tx, ty = px(delta, numbers["tangent"])
        parts.append(f'<circle class="on-tangent" cx="{tx:.1f}" cy="{ty:.1f}" r="4" fill="white" stroke="{ACTIVE}" stroke-width="2"/>')
    parts += [f'<circle class="on-loss" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{POSITIVE}"/>', "</g>",
              f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle">nudge δ of {name} '
              f'({fmt(deltas[0])} to {fmt(deltas[-1])})</text>',
              f'<text x="{PAD}" y="{PAD - 8}">L from {fmt(low + margin)} to {fmt(high - margin)}: blue L({name} + δ)'
              + ("" if tangent is None else f", orange the tangent of slope ∂L/∂{name}") + "</text></svg>"]
    return "".join(parts)
