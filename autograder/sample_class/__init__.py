"""A synthetic class for lessons 2 to 5: each student is a few edits to the reference library.

A student's library is the reference (``solutions/backprop_lib``) with the solution markers
removed, as a student who finished every lesson so far would hand it in, then their edits
applied (``bug_planting``, the format and planter of every planted-bug corpus). Each edit must
match exactly once in the reference, so a change to the reference that makes a student
meaningless fails loudly instead of silently grading something else.

``submit(course_dir, lesson)`` writes every student's submission of a released lesson into
nbgrader's ``submitted/<student>/<lesson>/`` layout, with a timestamp.
"""

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from backprop_course import content

from .. import nbgrader_course, solution_markers
from ..bug_planting import plant_files

TIMESTAMP = "2026-11-20 12:00:00.000000 UTC"
LESSONS = ("02_linear_layer", "03_activations", "04_losses", "05_mlp")


@dataclass(frozen=True)
class Student:
    """name: the student ID; why: what the submission shows; bugs: planted in the reference library
    (``bug_planting``'s format: {file: [(old, new)]}); notebook: None, "delete first test cell";
    empty: hand in the release untouched."""

    name: str
    why: str
    bugs: dict = field(default_factory=dict)
    notebook: str = None
    empty: bool = False


STUDENTS = (
    Student("correct", "the reference implementation"),
    Student("einsum", "alternative correct: Linear with np.einsum", {
        "layers.py": [
            ('return x @ self.params["W"] + self.params["b"]',
             'return np.einsum("ni,io->no", x, self.params["W"]) + self.params["b"]'),
            ('self.grads["W"] = self.cache.T @ grad_out',
             'self.grads["W"] = np.einsum("ni,no->io", self.cache, grad_out)'),
            ('return grad_out @ self.params["W"].T',
             'return np.einsum("no,io->ni", grad_out, self.params["W"])'),
        ],
    }),
    Student("np_dot", "alternative correct: Linear with np.dot", {
        "layers.py": [
            ('return x @ self.params["W"] + self.params["b"]',
             'return np.dot(x, self.params["W"]) + self.params["b"]'),
            ('self.grads["W"] = self.cache.T @ grad_out', 'self.grads["W"] = np.dot(self.cache.T, grad_out)'),
            ('return grad_out @ self.params["W"].T', 'return np.dot(grad_out, self.params["W"].T)'),
        ],
    }),
    Student("relu_mask", "alternative correct: relu as x * (x > 0)", {
        "layers.py": [
            ("return np.maximum(x, 0)", "return x * (x > 0)"),
        ],
    }),
    Student("missing_transpose", "bug: Linear.backward uses W instead of W.T", {
        "layers.py": [
            ('return grad_out @ self.params["W"].T', 'return grad_out @ self.params["W"]'),
        ],
    }),
    Student("bias_grad_mean", "bug: bias gradient averaged instead of summed over the batch", {
        "layers.py": [
            ('self.grads["b"] = grad_out.sum(axis=0)', 'self.grads["b"] = grad_out.mean(axis=0)'),
        ],
    }),
    Student("tanh_from_input", "bug: tanh derivative computed as if given the input, not the output", {
        "layers.py": [
            ("return 1 - out * out", "return 1 - np.tanh(out) ** 2"),
        ],
    }),
    Student("loss_not_averaged", "bug: MSE loss summed, not averaged (gradient consistent with the sum)", {
        "losses.py": [
            ("return float(np.mean(diff * diff))", "return float(np.sum(diff * diff))"),
            ("return (2.0 / diff.size) * diff", "return 2.0 * diff"),
        ],
    }),
    Student("softmax_no_shift", "bug: log_softmax without subtracting the row maximum", {
        "losses.py": [
            ("shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores"),
        ],
    }),
    Student("inplace_relu", "bug: relu zeroes the caller's array in place", {
        "layers.py": [
            ("return np.maximum(x, 0)", "x[x < 0] = 0\n    return x"),
        ],
    }),
    Student("mlp_backward_order", "bug: MLP.backward visits the layers first to last", {
        "mlp.py": [
            ("for layer in reversed(self.layers[1:]):", "for layer in self.layers[1:]:"),
        ],
    }),
    Student("syntax_error", "a syntax error in layers.py: nothing imports", {
        "layers.py": [
            ('    def forward(self, x):\n        """x (N, in_features)',
             '    def forward(self, x)\n        """x (N, in_features)'),
        ],
    }),
    Student("deleted_test_cell", "correct library; the notebook's first test cell deleted",
            notebook="delete first test cell"),
    Student("not_started", "the release handed back untouched", empty=True),
)

BY_NAME = {student.name: student for student in STUDENTS}


def reference_without_markers(text):
    """A reference file as a student would write it: the solution code kept, the marker lines gone."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if solution_markers.BEGIN not in line and solution_markers.END not in line)


def library(student, root=content.root()):
    """{file name: text} of the student's library files that hold solution regions."""
    files = {name: reference_without_markers(text)
             for name, text in nbgrader_course.library_files(root).items() if solution_markers.BEGIN in text}
    return plant_files(files, student.bugs, f"sample student {student.name!r}, reference ")


def _answer_code_cells(path, source_path):
    """Fill the notebook's solution code cells with the source notebook's solutions (markers
    removed); written answers stay empty, as they are graded by hand."""
    nb = nbformat.read(path, as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: reference_without_markers(cell.source)
               for cell in nbformat.read(source_path, as_version=4).cells
               if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(nb, path)


def _delete_first_test_cell(path):
    nb = nbformat.read(path, as_version=4)
    index = next(i for i, cell in enumerate(nb.cells) if cell.metadata.get("nbgrader", {}).get("grade"))
    del nb.cells[index]
    nbformat.write(nb, path)


def submit(course_dir, lesson, students=STUDENTS, root=content.root(), timestamp=TIMESTAMP):
    """Write each student's submission of the released ``lesson``; returns the student IDs."""
    course_dir = Path(course_dir)
    release = course_dir / "release" / lesson
    if not release.exists():
        raise nbgrader_course.CourseError(f"lesson {lesson!r} is not released: run "
                                        f"`backprop-course release {lesson} --course {course_dir}` first")
    for student in students:
        folder = course_dir / "submitted" / student.name / lesson
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(release, folder)
        if not student.empty:
            for name, text in library(student, root).items():
                (folder / nbgrader_course.LIBRARY / name).write_text(text)
            _answer_code_cells(folder / f"{lesson}.ipynb", course_dir / "source" / lesson / f"{lesson}.ipynb")
        if student.notebook == "delete first test cell":
            _delete_first_test_cell(folder / f"{lesson}.ipynb")
        (folder / "timestamp.txt").write_text(timestamp + "\n")
    return [student.name for student in students]
