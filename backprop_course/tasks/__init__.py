"""Per-lesson fixtures and check helpers, so a notebook's check cell says only what it checks.

One module per lesson (``lesson_2`` ...). Expected values are passed in by the cells (the build
computes them with the reference library); nothing here computes a solution.
"""
