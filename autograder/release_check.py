"""Before a lesson is released, its notebook is run twice in a scratch folder, as a student's would
be graded (cells tagged "demo" skipped):

- the source notebook (solutions and hidden tests) with the reference library: every cell must
  run without an error and every graded cell must pass (no error output, nothing on stderr, as
  nbgrader scores it), so a typo in a test cell (``smal_layer``) is found before students are;
- the notebook students get with the library they get (source/<lesson>/backprop_lib): every
  graded code cell must fail, so no test gives points for an untouched stub.

``problems(...)`` returns one line per broken cell; ``course.release`` refuses on any.
"""

import copy
import subprocess
import tempfile
from pathlib import Path

import nbformat

from . import solution_markers

DEMO_TAG = "demo"


def run_notebook(nb, library, library_name, cell_timeout):
    """``nb`` executed (a copy) in a scratch folder holding ``library`` ({file name: text}) as
    ``library_name``/; errors are kept as outputs."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    with tempfile.TemporaryDirectory(prefix="release-check-") as folder:
        (Path(folder) / library_name).mkdir()
        for name, text in library.items():
            (Path(folder) / library_name / name).write_text(text)
        # The kernel's own log (its TCP warning) is noise here: what matters is in the outputs.
        NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                       skip_cells_with_tag=DEMO_TAG, resources={"metadata": {"path": folder}}
                       ).execute(stderr=subprocess.DEVNULL)
    return nb


def _grade_id(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade_id") if meta.get("grade") and cell.cell_type == "code" else None


def _failure(cell):
    """The first error line of an executed cell ("NameError: name 'smal_layer' is not defined"),
    "wrote to stderr", or None when it ran cleanly."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}".strip()[:160]
        if output.output_type == "stream" and output.name == "stderr":
            return f"wrote to stderr: {output.text.strip().splitlines()[0][:120] if output.text.strip() else ''}"
    return None


def problems(source_nb, reference_library, student_library, library_name, cell_timeout=60):
    """["<cell>: <what is wrong>"] for the lesson whose source notebook is ``source_nb``."""
    found = []
    solved = run_notebook(source_nb, reference_library, library_name, cell_timeout)
    for index, cell in enumerate(solved.cells):
        if cell.cell_type != "code" or DEMO_TAG in cell.metadata.get("tags", []):
            continue
        if "raises-exception" in cell.metadata.get("tags", []) and not _grade_id(cell):
            continue
        failure = _failure(cell)
        if failure:
            name = _grade_id(cell) or f"cell {index + 1}"
            found.append(f"{name} fails with the reference solution ({failure})")
    student = solution_markers.student_notebook(nbformat.from_dict(copy.deepcopy(source_nb)))
    started = run_notebook(student, student_library, library_name, cell_timeout)
    for cell in started.cells:
        grade_id = _grade_id(cell)
        if grade_id and not cell.metadata.nbgrader.get("solution") and _failure(cell) is None:
            found.append(f"{grade_id} passes on the students' untouched starting files (it gives free points)")
    return found
