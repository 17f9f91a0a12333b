"""The note a generated source notebook (``solutions/<lesson>.ipynb``) shows as its first cell.

JupyterLab shows no notebook metadata, so a note kept there (as before) is unseen by whoever opens
the file: the note is a markdown cell above the title, saying where the notebook comes from and
how to regenerate it. It is the course authors' alone: ``without_note`` takes it out of the
student notebook ``build`` writes and of the copy ``course init`` puts in ``source/`` (what
nbgrader's generate_assignment, the command or formgrader's button, releases), so no release
holds it.
"""

import nbformat

CELL_ID = "generated-note"  # fixed: build's output is deterministic


def note_cell(note):
    """The markdown cell that says ``note`` (``build.generated_note``'s text)."""
    cell = nbformat.v4.new_markdown_cell(
        f"**Generated file, do not edit.** This notebook is {note}. This cell is for course authors: "
        "the notebooks students and courses get leave it out.")
    cell.id = CELL_ID
    cell.metadata = {"backprop_course": {"generated_note": True}, "deletable": False, "editable": False}
    return cell


def with_note(nb, note):
    """``nb`` (in place) opening with the note cell; returns it."""
    nb.cells = [note_cell(note)] + without_note(nb).cells
    return nb


def without_note(nb):
    """``nb`` (in place) without the note cell; returns it."""
    nb.cells = [cell for cell in nb.cells if not cell.metadata.get("backprop_course", {}).get("generated_note")]
    return nb


def released_text(path):
    """The text of the source notebook at ``path`` as a course gets it: the note cell left out."""
    return nbformat.writes(without_note(nbformat.read(path, as_version=4))) + "\n"
