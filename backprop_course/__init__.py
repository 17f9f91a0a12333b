"""Course machinery for backprop-course: visible checks and diagnosis, gradient checks, widgets.

Students never edit this package and grading never copies it: it is installed with the course
(`pip install -e .`), while the library a student builds is `backprop_lib/`.
"""
