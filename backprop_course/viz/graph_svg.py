"""A walkthrough's trace drawn as SVG: nodes in columns by depth, edges coloured by weight sign.

Sizes come from every text the trace can show (revealed or not), so a drawing keeps its layout
through a pass: a box fits its longest line, the gap between two columns fits the widest edge label.
A node's text breaks into lines at double spaces ("a1 1  h1 1"); an edge label puts its gradient
under its weight. A label sits on its edge inside the gap between the two columns (never over a
node), at the first point along the edge, from the source on, where it crosses no other label.

A drawing is drawn at its natural size, at most MAX_WIDTH, and scales down with its output: JupyterLab's
output area does not scroll sideways, so a drawing wider than it would lose its right side (the loss).
"""

import html

from .display import ACTIVE, NEGATIVE, POSITIVE, scalable_svg_tag

FONT_SIZE = 11
# Text widths are estimated, not measured: 0.64 em a character covers the digits of the usual
# sans-serif fonts (DejaVu Sans 0.636 em, Arial and Liberation Sans 0.556 em); titles are bold.
CHAR_WIDTH = 0.64 * FONT_SIZE
BOLD = 1.1
LINE = 14           # between two lines of text
PAD = 16            # around the drawing
MIN_BOX_W = 80
MARGIN = 3          # between a label and what it must not touch
SLIDE = 24          # a labelled gap is this much wider than its widest label, room to move labels apart
PLAIN_GAP = 44      # between columns whose edges carry no labels
ROW_GAP = 20        # between two boxes of a column
# A JupyterLab output is 968 px wide in a 1,400 px window: larger drawings get small text there.
MAX_WIDTH = 940


def text_width(text, bold=False):
    """The estimated width of ``text`` in px at FONT_SIZE."""
    return len(text) * CHAR_WIDTH * (BOLD if bold else 1.0)


def lines(text):
    """A node's value or gradient text as the lines it is drawn in."""
    return [part.strip() for part in text.split("  ") if part.strip()] or [""]


def _label_lines(edge):
    return [edge.value, edge.grad] if edge.grad else [edge.value]


class Layout:
    """Where everything of one trace goes: box size, column and row spacing, node corners."""

    def __init__(self, trace):
        nodes = trace.nodes
        self.value_lines = max((len(lines(n.value)) for n in nodes), default=1)
        self.grad_lines = max((len(lines(n.grad)) for n in nodes), default=1)
        widest = max([text_width(n.title, bold=True) for n in nodes] +
                     [text_width(line) for n in nodes for line in lines(n.value) + lines(n.grad)], default=0)
        self.box_w = max(MIN_BOX_W, round(widest) + 12)
        self.box_h = LINE * (1 + self.value_lines + self.grad_lines) + 8
        labelled = [e for e in trace.edges if e.value]
        label_w = max((text_width(line) for e in labelled for line in _label_lines(e)), default=0)
        self.gap = max(PLAIN_GAP, round(label_w) + 2 * MARGIN + SLIDE) if labelled else PLAIN_GAP
        # Labels of edges that cross must pass each other within the gap: more room between rows.
        many = trace.edge_labels and labelled
        self.dy = self.box_h + (ROW_GAP + 4 * LINE + 2 * MARGIN if many else ROW_GAP)
        per_col = {}
        for node in nodes:
            per_col[node.col] = per_col.get(node.col, 0) + 1
        tallest = max(per_col.values(), default=1)
        cols = max((node.col for node in nodes), default=0) + 1
        self.width = 2 * PAD + cols * self.box_w + (cols - 1) * self.gap
        self.height = 2 * PAD + (tallest - 1) * self.dy + self.box_h
        self.corner = {node.key: (PAD + node.col * (self.box_w + self.gap),
                                  PAD + (node.row + (tallest - per_col[node.col]) / 2) * self.dy)
                       for node in nodes}

    def ends(self, edge):
        """The edge's line: from the source box's right side to the target box's left side."""
        (x1, y1), (x2, y2) = self.corner[edge.src], self.corner[edge.dst]
        return x1 + self.box_w, y1 + self.box_h / 2, x2, y2 + self.box_h / 2

    def place_label(self, edge, width, height, taken):
        """The box (left, top, right, bottom) of a width x height label centred on ``edge``: the first
        of a few points from the source on where it overlaps none of the boxes in ``taken``."""
        x1, y1, x2, y2 = self.ends(edge)
        low, high = x1 + width / 2 + MARGIN, x2 - width / 2 - MARGIN
        steps = 6
        boxes = []
        for cx in ([low + (high - low) * k / steps for k in range(steps + 1)] if high > low else [(x1 + x2) / 2]):
            cy = y1 + (y2 - y1) * (cx - x1) / (x2 - x1) if x2 > x1 else (y1 + y2) / 2
            boxes.append((cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2))
        return next((box for box in boxes if not any(_overlap(box, other) for other in taken)), boxes[0])


def _overlap(a, b):
    return a[0] < b[2] + MARGIN and b[0] < a[2] + MARGIN and a[1] < b[3] + MARGIN and b[1] < a[3] + MARGIN


def _text(css, x, y, text_lines, extra=""):
    """A <text> of one or more centred lines; its text content is the lines joined by double spaces."""
    spans = "".join(f'<tspan x="{x:.1f}" y="{y + LINE * index:.1f}">{"  " if index else ""}{html.escape(line)}</tspan>'
                    for index, line in enumerate(text_lines))
    return f'<text class="{css}" text-anchor="middle"{extra}>{spans}</text>'


def graph_svg(trace, values, grads, active):
    """The trace as an SVG string; ``values``/``grads`` are the keys revealed so far."""
    layout = Layout(trace)
    width, height = layout.width, layout.height
    biggest = max((abs(e.weight) for e in trace.edges if e.weight is not None), default=1.0) or 1.0
    out = [scalable_svg_tag("bp-graph", width, height, min(width, MAX_WIDTH), FONT_SIZE)]
    labels = []
    for edge in trace.edges:
        x1, y1, x2, y2 = layout.ends(edge)
        is_active = edge.key == active
        if edge.weight is None:
            colour, stroke = "#999999", 1.2
        else:
            colour = POSITIVE if edge.weight >= 0 else NEGATIVE
            stroke = 0.8 + 4.0 * abs(edge.weight) / biggest
        if is_active:
            colour, stroke = ACTIVE, stroke + 2
        out.append(f'<line class="edge" data-name="{edge.name}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                   f'y2="{y2:.1f}" stroke="{colour}" stroke-width="{stroke:.2f}"/>')
        if edge.value and (trace.edge_labels or is_active):
            labels.append((edge, colour))
    for node in trace.nodes:
        x, y = layout.corner[node.key]
        is_active = node.key == active
        fill = "#fff3c4" if is_active else "#ffffff"
        border = ACTIVE if is_active else "#555555"
        value = lines(node.value) if node.key in values else ["?"]
        grad = lines(node.grad) if node.key in grads else [""]
        centre = x + layout.box_w / 2
        out.append(f'<g class="node" data-key="{html.escape(node.key)}">'
                   f'<rect x="{x}" y="{y:.1f}" width="{layout.box_w}" height="{layout.box_h}" rx="8" '
                   f'fill="{fill}" stroke="{border}" stroke-width="{3 if is_active else 1.2}"/>'
                   + _text("title", centre, y + 15, [node.title], ' font-weight="bold"')
                   + _text("value", centre, y + 15 + LINE, value)
                   + _text("grad", centre, y + 15 + LINE * (1 + layout.value_lines), grad, ' fill="#8a3b00"')
                   + "</g>")
    # Labels go on top, each placed on the space the labels before it left; the size of the full
    # label (with its gradient) keeps a label where it is when its gradient is revealed.
    taken = []
    for edge, colour in labels:
        full = _label_lines(edge)
        size = max(text_width(line) for line in full), LINE * len(full)
        box = layout.place_label(edge, *size, taken)
        taken.append(box)
        shown = [edge.value, edge.grad] if edge.key in grads and edge.grad else [edge.value]
        # A pale card under the text: the edges it sits on stay visible but do not cross the digits.
        out.append(f'<rect class="label-card" x="{box[0]:.1f}" y="{box[1]:.1f}" width="{box[2] - box[0]:.1f}" '
                   f'height="{LINE * len(shown):.1f}" rx="3" fill="white" fill-opacity="0.8"/>')
        out.append(_text("edge-label", (box[0] + box[2]) / 2, box[1] + LINE - 3, shown,
                         f' fill="{colour}"'))
    out.append("</svg>")
    return "".join(out)
