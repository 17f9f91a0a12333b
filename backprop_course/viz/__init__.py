"""Live lecture widgets: backpropagation walked through on the graph, and training animated."""

from .walkthrough import SLIDE_WEIGHTS, GraphWalkthrough, TrainingAnimator, parse_preset, todo_message

__all__ = ["GraphWalkthrough", "SLIDE_WEIGHTS", "TrainingAnimator", "parse_preset", "todo_message"]
