"""Name what a failed check's result shows: a catalogued misconception, else its structure."""

from itertools import permutations

import numpy as np

from .catalog import entries_for, task_label
from .entry import Finding
from ..gradcheck import rel_error
from .structural import FLOOR, agree, as_numbers, structure


def name_misconception(task, quantity, got, expected, inputs=None, bar=1e-7):
    """A Finding for a failed check, or None.

    task: the check's label ("Lesson 2, task 2", a " (graded)" suffix is ignored); quantity: what
    it compared (each lesson module lists its quantities and the inputs they need); got, expected:
    the two values; inputs: the check's inputs by name; bar: the check's relative-error bar.

    None when got is within bar of expected: a correct result never gets a message. Otherwise
    each catalogued wrong formula for (task, quantity) whose inputs are all given is evaluated
    (with ``expected`` among its inputs); entries that fail on these inputs, or that give the
    expected value here and so cannot be told from a correct result, are left out. When the
    result matches entries of exactly one key (within max(bar, 1e-9), NaN/inf at the same
    places), that misconception is named. When it matches entries of two different keys, the
    inputs cannot tell them apart and neither is named: rather no name than a wrong one. Then,
    or when nothing matches, the structural diagnosis (``structural.structure``) speaks.
    """
    label = task_label(task)
    got_array, expected_array = as_numbers(got), as_numbers(expected)
    if got_array is None or expected_array is None:
        return None
    if (got_array.shape == expected_array.shape and np.all(np.isfinite(got_array))
            and rel_error(got_array, expected_array) <= bar):
        return None
    inputs = dict(inputs or {})
    matches = matching(label, quantity, got_array, expected_array, {**inputs, "expected": expected},
                       max(bar, FLOOR))
    if len({entry.key for entry in matches}) == 1:
        entry = matches[0]
        return Finding("misconception", entry.key, entry.explain, label, quantity)
    return structure(quantity, got_array, expected_array, bar, inputs, label)


def name_across(task, quantity, results, bar=1e-7):
    """One Finding for a check run on several inputs, or None: for a judge that sees them all.

    results: [(got, expected, inputs)], one per input of the check (results that are not numbers,
    and right ones, are left out). A misconception is named only when its wrong formula reproduces got on every
    input where got is wrong (and differs there from the expected value), and no other key does
    as well. A right result is no evidence either way: the mistake did not show there, and some
    show only in some configurations (an output activation applied only when a model has one).
    Otherwise a structural pattern is told only when every wrong result shows the same one (the
    same factor on every input, ...), else None: what one input suggests, another may contradict.
    """
    label = task_label(task)
    tolerance = max(bar, FLOOR)
    rows = [(as_numbers(got), as_numbers(expected), {**dict(inputs or {}), "expected": expected})
            for got, expected, inputs in results]
    rows = [row for row in rows if row[0] is not None and row[1] is not None]
    wrong = [row for row in rows if not agree(row[0], row[1], tolerance)]
    if not wrong:
        return None
    entries = entries_for(label, quantity)
    fits = [key for key in dict.fromkeys(entry.key for entry in entries)
            if _fits_everywhere([entry for entry in entries if entry.key == key], wrong, tolerance)]
    if len(fits) == 1:
        entry = next(entry for entry in entries if entry.key == fits[0])
        return Finding("misconception", entry.key, entry.explain, label, quantity)
    found = [structure(quantity, got, expected, bar, inputs, label) for got, expected, inputs in wrong]
    if found[0] is not None and all(f is not None and (f.key, f.message) == (found[0].key, found[0].message)
                                    for f in found):
        return found[0]
    return None


def _fits_everywhere(entries, wrong, tolerance):
    """Whether one key's entries reproduce every wrong result: on each, one of them runs, gives
    got and differs from the expected value."""
    for got, expected, inputs in wrong:
        results = [evaluate(entry, inputs) for entry in entries if all(name in inputs for name in entry.needs())]
        if not any(result is not None and agree(got, result, tolerance) and not agree(result, expected, tolerance)
                   for result in results):
            return False
    return True


def matching(task, quantity, got, expected, inputs, tolerance):
    """The entries of (task, quantity) whose wrong result got matches and expected does not."""
    found = []
    for entry in entries_for(task, quantity):
        if any(name not in inputs for name in entry.needs()):
            continue
        wrong = evaluate(entry, inputs)
        if wrong is None or agree(wrong, expected, tolerance):
            continue
        if agree(got, wrong, tolerance):
            found.append(entry)
    return found


def evaluate(entry, inputs):
    """entry.wrong on the inputs as a float array, or None when it cannot run on them
    (e.g. W @ grad_out for a non-square W): such an entry does not apply to this check."""
    try:
        with np.errstate(all="ignore"):
            return as_numbers(entry.wrong(**inputs))
    except Exception:  # whatever it raised, the entry does not apply: grading must go on
        return None


def audit(task, quantity, expected, inputs=None, bar=1e-7):
    """For the author of a check: can each entry of (task, quantity) be named on these inputs?

    Returns {key: status} with status "named" (its wrong result is told apart from the expected
    value and from every other key's), "missing inputs: a, b", "cannot run", "gives the expected
    value" or "coincides with <other key>". Choose a check's inputs so that every entry says
    "named" on at least one of them.
    """
    inputs = {**(inputs or {}), "expected": expected}
    expected = as_numbers(expected)
    tolerance = max(bar, FLOOR)
    status, results = {}, {}
    for entry in entries_for(task, quantity):
        missing = [name for name in entry.needs() if name not in inputs]
        wrong = None if missing else evaluate(entry, inputs)
        if missing:
            status.setdefault(entry.key, f"missing inputs: {', '.join(missing)}")
        elif wrong is None:
            status.setdefault(entry.key, "cannot run")
        elif agree(wrong, expected, tolerance):
            status.setdefault(entry.key, "gives the expected value")
        else:
            status[entry.key] = "named"
            results.setdefault(entry.key, []).append(wrong)
    for key, other in permutations(results, 2):
        if any(agree(mine, theirs, tolerance) for mine in results[key] for theirs in results[other]):
            status[key] = f"coincides with {other}"
    return status
