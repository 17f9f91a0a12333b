"""Planted-bug corpus for the misconception diagnosis (issue 11), one module per group of lessons.

Each module defines
    SUBMISSIONS: [(id, lesson, {library module or NOTEBOOK: [(reference line, buggy line)]},
                   {graded cell id: catalogue key the cell's output must name})]
        one full lesson submission with one typical bug per task at most (each graded cell checks
        only its own task, so bugs of different tasks do not disturb each other's diagnosis);
    ALTERNATIVES: [(id, lesson, {library module: [(reference line, correct alternative)]})]
        correct implementations written differently (einsum, np.dot, in-place writes, other stable
        formulas): they must pass and no cell may name a misconception.
Lines are planted with ``backprop_course.autograder.bug_planting.plant``, so NOTEBOOK edits a source-notebook cell.
"""
