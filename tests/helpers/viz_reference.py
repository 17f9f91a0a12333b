"""The reference library the widget tests draw, and how they read a drawing."""

import re

from .checkout import SOLUTIONS
from .reference_library import load_library
from .slide_network import text_content

# The widgets draw the library they are given: the reference here, the skeleton where a test names it.
REFERENCE = load_library(SOLUTIONS / "backprop_lib", "reference_lib")

def node_texts(svg, css_class):
    """{node key: text of its <text class=css_class>} from a walkthrough's SVG."""
    found = re.findall(r'<g class="node" data-key="([^"]+)">.*?<text class="' + css_class + r'"[^>]*>(.*?)</text>',
                       svg)
    return {key: text_content(inner) for key, inner in found}
