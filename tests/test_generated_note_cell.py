"""A generated source notebook (solutions/<lesson>.ipynb) says so in its first cell, where JupyterLab
shows it, and nothing students or a course get holds that cell: the student notebooks, and the
source/ notebooks `course init` writes (all that nbgrader's generate_assignment releases from)."""

import nbformat
import pytest

from backprop_course.autograder import build, generated_note_cell, nbgrader_course
from helpers.checkout import ROOT, SOLUTIONS

TEXTS = sorted((SOLUTIONS / "lessons").glob("*.py"))


def notes(nb):
    return [cell for cell in nb.cells if cell.metadata.get("backprop_course", {}).get("generated_note")]


@pytest.mark.parametrize("text", TEXTS, ids=[path.stem for path in TEXTS])
def test_a_generated_source_notebook_opens_with_the_note_naming_its_source(text):
    nb = nbformat.read(SOLUTIONS / f"{text.stem}.ipynb", as_version=4)
    first = nb.cells[0]
    assert notes(nb) == [first] and first.cell_type == "markdown"
    assert build.generated_note(text, ROOT) in first.source
    assert "do not edit" in first.source


@pytest.mark.parametrize("text", TEXTS, ids=[path.stem for path in TEXTS])
def test_no_student_notebook_holds_the_note(text):
    student = (ROOT / "lessons" / f"{text.stem}.ipynb").read_text()
    assert not notes(nbformat.reads(student, as_version=4))
    assert "Generated file" not in student


def test_course_init_copies_the_source_notebooks_without_the_note(tmp_path):
    lessons, _ = nbgrader_course.init_course(tmp_path / "course")
    assert lessons
    for lesson in lessons:
        copied = (tmp_path / "course" / "source" / lesson / f"{lesson}.ipynb").read_text()
        assert not notes(nbformat.reads(copied, as_version=4))
        assert "Generated file" not in copied
        # The rest is the source notebook as it is: only the note cell is left out.
        original = nbformat.read(SOLUTIONS / f"{lesson}.ipynb", as_version=4)
        assert nbformat.reads(copied, as_version=4).cells == original.cells[1:]


def test_taking_the_note_out_twice_or_adding_it_twice_changes_nothing_more():
    nb = nbformat.read(SOLUTIONS / f"{TEXTS[0].stem}.ipynb", as_version=4)
    once = generated_note_cell.without_note(nbformat.from_dict(nb))
    assert generated_note_cell.without_note(nbformat.from_dict(once)).cells == once.cells
    again = generated_note_cell.with_note(nbformat.from_dict(nb), "a note")
    assert len(notes(again)) == 1 and again.cells[1:] == once.cells
