"""One format and one planter for every planted bug (``backprop_course.autograder.bug_planting``):
each change must match exactly once, and every corpus (the sample class, the lesson tests, the
misconception corpora, the hostile cases' task code) plants cleanly on today's reference, without a
kernel, so a corpus gone stale fails here in seconds rather than as a confusing grade."""

import nbformat
import pytest

from backprop_course.autograder import nbgrader_course, sample_class
from backprop_course.autograder.bug_planting import (NOTEBOOK, STUBBED, PlantError, plant, plant_files,
                                                     plant_notebook, plant_text)
from backprop_course.autograder.solution_markers import strip_solutions
from helpers.checkout import SOLUTIONS
from misconception_corpus import lessons_1_3, lessons_4_6, public

REFERENCE = nbgrader_course.library_files()


def test_a_change_is_planted_exactly_once():
    assert plant_text("a = 1\nb = 2\n", [("b = 2", "b = 3")], "f.py") == "a = 1\nb = 3\n"
    with pytest.raises(PlantError, match=r"f\.py: 'c = 2' occurs 0 times"):
        plant_text("a = 1\n", [("c = 2", "c = 3")], "f.py")
    with pytest.raises(PlantError, match="occurs 2 times"):
        plant_text("x\nx\n", [("x", "y")], "f.py")


def test_files_are_planted_in_a_copy_and_stubbed_is_the_student_version():
    files = {"layers.py": REFERENCE["layers.py"], "mlp.py": REFERENCE["mlp.py"]}
    planted = plant_files(files, {"layers.py": STUBBED, "mlp.py": [("for layer in reversed(self.layers[1:]):",
                                                                   "for layer in self.layers[1:]:")]})
    assert planted["layers.py"] == strip_solutions(REFERENCE["layers.py"])
    assert "for layer in self.layers[1:]:" in planted["mlp.py"]
    assert files["mlp.py"] == REFERENCE["mlp.py"]
    with pytest.raises(PlantError, match="nowhere.py: no such library file"):
        plant_files(files, {"nowhere.py": [("a", "b")]})


def test_a_notebook_change_goes_to_the_one_cell_holding_it(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")])
    plant_notebook(nb, {NOTEBOOK: [("y = 2", "y = 3")]})
    assert [cell.source for cell in nb.cells] == ["x = 1", "y = 3"]
    nb.cells.append(nbformat.v4.new_code_cell("y = 3"))
    with pytest.raises(PlantError, match="is in 2 cells"):
        plant_notebook(nb, {NOTEBOOK: [("y = 3", "y = 4")]})
    (tmp_path / "backprop_lib").mkdir()
    (tmp_path / "backprop_lib" / "optim.py").write_text(REFERENCE["optim.py"])
    plant(tmp_path, nb, {"optim.py": STUBBED, NOTEBOOK: [("x = 1", "x = 0")]})
    assert (tmp_path / "backprop_lib" / "optim.py").read_text() == strip_solutions(REFERENCE["optim.py"])
    assert nb.cells[0].source == "x = 0"


def corpus_bugs():
    cases = []
    for corpus in (lessons_1_3, lessons_4_6, public):
        cases += [(f"{corpus.__name__}:{name}", lesson, bugs) for name, lesson, bugs, _ in corpus.SUBMISSIONS]
        cases += [(f"{corpus.__name__}:{name}", lesson, bugs) for name, lesson, bugs in corpus.ALTERNATIVES]
    return cases


@pytest.mark.parametrize("name, lesson, bugs", corpus_bugs(), ids=[case[0] for case in corpus_bugs()])
def test_every_misconception_corpus_bug_plants_on_the_reference(name, lesson, bugs):
    plant_files(REFERENCE, bugs, f"{name}: ")
    plant_notebook(nbformat.read(SOLUTIONS / f"{lesson}.ipynb", as_version=4), bugs, name)


@pytest.mark.parametrize("student", sample_class.STUDENTS, ids=[student.name for student in sample_class.STUDENTS])
def test_every_sample_student_plants_on_the_reference(student):
    files = sample_class.library(student)
    for name, changes in student.bugs.items():
        assert all(new in files[name] for _, new in changes)
