"""A walkthrough's trace drawn as SVG: nodes in columns by depth, edges coloured by weight sign."""

import html

from .display import ACTIVE, NEGATIVE, POSITIVE

_BOX_W, _BOX_H, _DX, _DY, _PAD = 124, 54, 190, 70, 16


def graph_svg(trace, values, grads, active):
    """The trace as an SVG string; ``values``/``grads`` are the keys revealed so far."""
    per_col = {}
    for node in trace.nodes:
        per_col[node.col] = per_col.get(node.col, 0) + 1
    tallest = max(per_col.values(), default=1)
    cols = max((node.col for node in trace.nodes), default=0) + 1
    width = 2 * _PAD + (cols - 1) * _DX + _BOX_W
    height = 2 * _PAD + (tallest - 1) * _DY + _BOX_H
    pos = {node.key: (_PAD + node.col * _DX,
                      _PAD + (node.row + (tallest - per_col[node.col]) / 2) * _DY) for node in trace.nodes}
    biggest = max((abs(e.weight) for e in trace.edges if e.weight is not None), default=1.0) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bp-graph" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">']
    for edge in trace.edges:
        (x1, y1), (x2, y2) = pos[edge.src], pos[edge.dst]
        x1, y1, x2, y2 = x1 + _BOX_W, y1 + _BOX_H / 2, x2, y2 + _BOX_H / 2
        is_active = edge.key == active
        if edge.weight is None:
            colour, stroke = "#999999", 1.2
        else:
            colour = POSITIVE if edge.weight >= 0 else NEGATIVE
            stroke = 0.8 + 4.0 * abs(edge.weight) / biggest
        if is_active:
            colour, stroke = ACTIVE, stroke + 2
        out.append(f'<line class="edge" data-name="{edge.name}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                   f'stroke="{colour}" stroke-width="{stroke:.2f}"/>')
        if edge.value and (trace.edge_labels or is_active):
            lx, ly = x1 + 0.3 * (x2 - x1), y1 + 0.3 * (y2 - y1)  # near the source: crossing edges apart
            label = edge.value + (f" {edge.grad}" if edge.key in grads else "")
            out.append(f'<text class="edge-label" x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle" '
                       f'fill="{colour}" stroke="white" stroke-width="3" paint-order="stroke">'
                       f'{html.escape(label)}</text>')
    for node in trace.nodes:
        x, y = pos[node.key]
        is_active = node.key == active
        fill = "#fff3c4" if is_active else "#ffffff"
        border = ACTIVE if is_active else "#555555"
        value = node.value if node.key in values else "?"
        grad = node.grad if node.key in grads else ""
        out.append(f'<g class="node" data-key="{html.escape(node.key)}">'
                   f'<rect x="{x}" y="{y:.1f}" width="{_BOX_W}" height="{_BOX_H}" rx="8" fill="{fill}" '
                   f'stroke="{border}" stroke-width="{3 if is_active else 1.2}"/>'
                   f'<text class="title" x="{x + _BOX_W / 2}" y="{y + 15:.1f}" text-anchor="middle" '
                   f'font-weight="bold">{html.escape(node.title)}</text>'
                   f'<text class="value" x="{x + _BOX_W / 2}" y="{y + 31:.1f}" text-anchor="middle">'
                   f'{html.escape(value)}</text>'
                   f'<text class="grad" x="{x + _BOX_W / 2}" y="{y + 46:.1f}" text-anchor="middle" '
                   f'fill="#8a3b00">{html.escape(grad)}</text></g>')
    out.append("</svg>")
    return "".join(out)
