"""Lesson notebooks run as nbgrader's autograde runs them: the source notebooks, a working
folder with the reference or the skeleton, the run, and what its cells printed or raised."""

import os
import shutil
import tempfile
from pathlib import Path
import time

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

from backprop_course.autograder import build
from backprop_course.autograder.generated_note_cell import without_note
from helpers.checkout import ROOT, SOLUTIONS


SOURCES = sorted(SOLUTIONS.glob("*.ipynb"))
NAMES = [path.stem for path in SOURCES]
CELL_TIMEOUT = 60        # seconds per cell: a stuck cell fails the test instead of hanging it


def execute(nb, folder, allow_errors=False, as_graded=False):
    """Run ``nb`` (in place) with ``folder`` as the working directory; returns the seconds taken.
    ``as_graded``: the cells grading runs only, i.e. not those tagged ``grading.DEMO_TAG`` (plots,
    widgets, training demos: half a lesson's run), which stay without outputs.
    The kernel talks over local sockets in a private folder: TCP ports picked by many kernels
    starting at once on a shared machine collided ("Address already in use", kernel died)."""
    from backprop_course.autograder.grading import DEMO_TAG

    skipped = {"skip_cells_with_tag": DEMO_TAG} if as_graded else {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lesson-kernel-") as sockets:
        local = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
        NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=allow_errors, config=local,
                       resources={"metadata": {"path": str(folder)}}, **skipped).execute()
    return time.perf_counter() - start


def student_files():
    """{relative path: text} of the untouched student files, as the build would write them now."""
    return {path.relative_to(ROOT): text for path, (_, text, _) in build.targets(ROOT).items()}


def folder_with(tmp_path, library, notebooks=()):
    """A working folder holding backprop_lib/ (``library`` is "reference" or "skeleton") and the
    given {name: notebook} as files; returns its path."""
    folder = tmp_path / library
    folder.mkdir()
    if library == "reference":
        shutil.copytree(SOLUTIONS / "backprop_lib", folder / "backprop_lib",
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        for relative, text in student_files().items():
            if relative.parts[0] == "backprop_lib":
                (folder / relative).parent.mkdir(exist_ok=True)
                (folder / relative).write_text(text)
    for name, nb in dict(notebooks).items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def source(name):
    """The source notebook of lesson ``name`` as a course gets it: without the generated-file note
    cell, which ``course init`` leaves out."""
    return without_note(nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4))


def graded_cells(nb):
    return [cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
            and cell.cell_type == "code"]


def judged(nb):
    """``nb`` after the grader's judge (as after execution when grading): judged cells get their verdicts."""
    from backprop_course.autograder.grading.preprocessors import JudgeChecks

    return JudgeChecks().preprocess(nb, {})[0]


def errors_by_cell(nb):
    """{cell id: (ename, evalue, text of all outputs)} for cells whose run raised."""
    failed = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if errors:
            failed[cell.id] = (errors[0].ename, errors[0].evalue, outputs_text(cell))
    return failed


def outputs_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "display_data":
            parts.append(out.data.get("text/plain", "") + "\n")
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}\n" + "\n".join(out.traceback))
    return "".join(parts)


WORKERS = 2  # notebooks graded at once: this machine's cores


def student(name):
    """The student notebook exactly as the build writes it (not the possibly stale lessons/ file)."""
    return nbformat.reads(student_files()[Path("lessons") / f"{name}.ipynb"], as_version=4)


def judged_line(text):
    """The line of a test cell that hands its task to the grader's judge, or None."""
    from backprop_course.autograder import judge

    return next((line for line in text.splitlines() if judge.judged_task(line)), None)
