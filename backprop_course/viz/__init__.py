"""Live lecture widgets: backpropagation walked through on the graph, and training animated.

    GraphWalkthrough(loss)                          any Scalar graph, one node per Scalar
    GraphWalkthrough.slide_network()                the 1-2-2-1 network of lesson 1
    GraphWalkthrough.from_mlp(model, x, y)          an MLP, unit by unit (or per layer when large)
    WeightNudge(weight="w4")                        nudge one slide-network weight: L beside its tangent
    TrainingAnimator(preset="dataset=moons&lr=0.3&hide=seed")

Both are ipywidgets drawn as SVG (no graphviz, no ipympl). Their Play buttons tick in the browser, so
when a notebook runs headless (nbclient, nbgrader) nothing animates and nothing waits; each widget
also carries a static HTML picture of its current state for viewers without a widget manager.

Each widget draws the library it is given (``library=backprop_lib``, the package the notebook
imported), or the one its objects were built with (a loss Scalar, an MLP), or else the one
``backprop_course.lesson.start`` chose for the notebook: the student's in the lessons, the
reference in the lecture. Importing this package imports no library (see ``library``). When a
library part a widget needs is still a stub, the widget says which task to finish (e.g.
"finish Lesson 1, task 4 (the backward pass) to step backward") instead of raising.

Modules: walkthrough (GraphWalkthrough) draws a trace from scalar_source, network_source or
layer_source with graph_svg, and with ``predict`` asks for each backward step first (predict
checks the answer); nudge (WeightNudge) plots the slide network's loss against one weight;
animator (TrainingAnimator) takes its settings from presets and draws with training_svg; display
holds what they share (numbers, colours, status lines); library picks the library drawn.
"""

from .animator import TrainingAnimator
from .display import todo_message
from .library import LibraryNotChosen
from .network_source import SLIDE_WEIGHTS
from .nudge import WeightNudge
from .presets import parse_preset
from .walkthrough import GraphWalkthrough

__all__ = ["GraphWalkthrough", "LibraryNotChosen", "SLIDE_WEIGHTS", "TrainingAnimator", "WeightNudge", "parse_preset", "todo_message"]
