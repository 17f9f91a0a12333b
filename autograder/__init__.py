"""backprop-course's instructor side: building the student files, nbgrader courses and grading."""
