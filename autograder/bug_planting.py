"""Planting a bug: the one format and the one planter of every planted-bug corpus (the sample
class, the lesson tests, the misconception corpora, the hostile submissions).

A planted bug is ``{file: changes}``: ``file`` is a library file name ("layers.py") or
``NOTEBOOK`` (the lesson notebook's cells); ``changes`` is a list of ``(old, new)`` text
replacements, or ``STUBBED`` (the whole file back to its student stubs). Each ``old`` must occur
exactly once (in the file, or in exactly one cell of the notebook), so a change to the reference
that makes a planted bug meaningless fails loudly instead of silently planting nothing.
"""

from .solution_markers import strip_solutions

NOTEBOOK = "notebook"  # as a file name: the changes apply to the notebook's cells
STUBBED = "stubbed"  # instead of changes: the whole file back to its student stubs


class PlantError(ValueError):
    """A change whose text does not occur exactly once where it is planted."""


def plant_text(text, changes, where):
    """``text`` with each (old, new) of ``changes`` replaced, each old occurring exactly once."""
    for old, new in changes:
        count = text.count(old)
        if count != 1:
            raise PlantError(f"{where}: {old!r} occurs {count} times (expected once): update the planted bug")
        text = text.replace(old, new)
    return text


def plant_files(files, bugs, where=""):
    """{file name: text} with the library part of ``bugs`` planted (a new dict; NOTEBOOK is left out)."""
    planted = dict(files)
    for name, changes in bugs.items():
        if name == NOTEBOOK:
            continue
        if name not in planted:
            raise PlantError(f"{where}{name}: no such library file")
        planted[name] = (strip_solutions(planted[name], name) if changes == STUBBED
                         else plant_text(planted[name], changes, f"{where}{name}"))
    return planted


def plant_notebook(nb, bugs, where="the notebook"):
    """Plant ``bugs[NOTEBOOK]`` (if any) in ``nb``'s cells, in place: each old in exactly one cell."""
    for old, new in bugs.get(NOTEBOOK, []):
        cells = [cell for cell in nb.cells if old in cell.source]
        if len(cells) != 1:
            raise PlantError(f"{where}: {old!r} is in {len(cells)} cells (expected one): update the planted bug")
        cells[0].source = plant_text(cells[0].source, [(old, new)], where)
    return nb


def plant(folder, nb, bugs, library="backprop_lib"):
    """Plant ``bugs`` in the library copy ``folder/<library>/`` (its files rewritten) and in ``nb``."""
    names = [name for name in bugs if name != NOTEBOOK]
    files = {name: (folder / library / name).read_text() for name in names}
    for name, text in plant_files(files, bugs, f"{library}/").items():
        (folder / library / name).write_text(text)
    plant_notebook(nb, bugs)
