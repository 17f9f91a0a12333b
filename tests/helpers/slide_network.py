"""The lecture's slide network as the widgets show it: its gradients, and an element's text."""

import html
import re


SLIDE_GRADS = {"w1": -7.5, "w2": 3.0, "w3": -3.0, "w4": -9.0, "w5": 0.75, "w6": 2.25, "w7": -0.375, "w8": -3.0}


def text_content(markup):
    """What a browser's textContent gives for an element's inner markup: its text, tags left out."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))
