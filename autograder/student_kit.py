"""``backprop-course student-kit DIR``: a folder to hand to a student, with no solution in it.

The checkout's ``make lab`` serves the whole repository, ``solutions/`` included: it is the
instructors' preview. A student gets this kit instead:

    DIR/lessons/*.ipynb       the released lessons (solutions and hidden tests removed by build)
    DIR/backprop_lib/*.py     the library skeleton the lessons ask them to complete
    DIR/lab-config/           JupyterLab's student view (as ``make lab`` uses it)
    DIR/wheels/*.whl          the course machinery (``backprop_course`` and the ``backprop-course``
                              command) without the reference solutions, built when the command runs
                              in a checkout (from an installed package the README names the package
                              to install instead: that package holds the reference as package data)
    DIR/README.md             the one install command and how to start, check and hand in

Every text file is checked for solution lines and markers before the command reports success,
and nothing is written into a folder that already holds files.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from backprop_course import content

from . import nbgrader_course, solution_markers

LIBRARY = "backprop_lib"


def kit_files():
    """{path inside the kit: source file} of the lessons, the skeleton and the student view."""
    files = {}
    for name, pattern in (("lessons", "*.ipynb"), (LIBRARY, "*.py"), ("lab-config", "**/*.json")):
        folder = content.folder(name)
        files.update((Path(name) / source.relative_to(folder), source)
                     for source in sorted(folder.glob(pattern)) if source.is_file())
    return files


def readme(wheel_name):
    """The kit's README: set up once with one install command, then work, check and hand in.
    ``wheel_name`` is the kit's own wheel, or None (the package is installed from the index)."""
    package = f"wheels/{wheel_name}" if wheel_name else "backprop-course"
    return f"""# Backpropagation, step by step: your lessons

This folder is yours: six lessons in `lessons/` and the library you complete in `backprop_lib/`.

## Set up once (Python 3.10 to 3.13)

```sh
python3 -m venv .venv
.venv/bin/pip install {package}
```

The second command installs the course machinery (checks, widgets, `backprop-course`) and JupyterLab.

## Work

```sh
JUPYTER_CONFIG_PATH="$PWD/lab-config" .venv/bin/jupyter lab --LabApp.default_url=/lab/tree/lessons
```

Work through the notebooks in order. Most tasks are written in `backprop_lib/*.py` (look for
`raise NotImplementedError("Lesson k, task j: ...")`); the notebooks pick up every edit you save,
no restart needed. After each task a check cell prints one row per check.

Before you hand in, `.venv/bin/backprop-course check 02_linear_layer` runs that lesson's visible
checks. To hand in, save the notebook and run `.venv/bin/backprop-course submit 02_linear_layer`
in this folder: it writes a zip (the notebook and your `backprop_lib/`) to hand in.
"""


def build_wheel(folder):
    """Build the course machinery's wheel, without the reference solutions and the lecture
    (setup.py's STUDENT_WHEEL), into ``folder``; returns its file name, or None outside a checkout."""
    if not content.in_checkout():
        return None
    root = content.folder("solutions").parent
    with tempfile.TemporaryDirectory(prefix="backprop-student-wheel-") as scratch:
        run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                              "--wheel-dir", str(folder), str(root)], capture_output=True, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore::UserWarning",
                                  "BACKPROP_COURSE_WHEEL": "student", "BACKPROP_COURSE_BUILD_DIR": scratch})
    wheels = sorted(Path(folder).glob("*.whl"))
    if run.returncode != 0 or not wheels:
        last = (run.stderr.strip().splitlines() or ["no wheel was written"])[-1]
        raise nbgrader_course.CourseError(f"could not build the course's wheel: {last}")
    return wheels[-1].name


def solution_secrets():
    """Distinctive lines of the reference library's solution regions."""
    folder = content.folder("solutions") / LIBRARY
    return set().union(*(solution_markers.solution_lines(path.read_text()) for path in sorted(folder.glob("*.py"))))


def write_kit(folder):
    """Write the kit into ``folder`` (new or empty); returns the number of files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise nbgrader_course.CourseError(f"{folder} is not an empty folder: choose a new one "
                                        "(a kit never writes over a student's files)")
    files = kit_files()
    if not any(path.parts[0] == "lessons" for path in files):
        raise nbgrader_course.CourseError(f"no lessons in {content.folder('lessons')}: run `backprop-course build` first")
    folder.mkdir(parents=True, exist_ok=True)
    for inside, source in files.items():
        (folder / inside).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / inside)
    wheel = build_wheel(folder / "wheels")
    (folder / "README.md").write_text(readme(wheel))
    # The machinery in the wheel holds no reference (STUDENT_WHEEL); its correct stand-ins (e.g. the
    # forward pass the lesson 5 checks run instead of the student's) are not handed-out solutions.
    leaks = nbgrader_course.leaks_in_folder(folder, solution_secrets())
    if leaks:
        shutil.rmtree(folder)
        path, text = leaks[0]
        raise nbgrader_course.CourseError(f"the kit would hand out solution text in {path.name}: {text!r}")
    return len(files) + (2 if wheel else 1)


def cmd_student_kit(args):
    count = write_kit(args.folder)
    print(f"wrote {count} files to {Path(args.folder).resolve()}: hand this folder to students "
          "(its README.md says how to start)")
    return 0


def add_student_kit(subparsers):
    parser = subparsers.add_parser(
        "student-kit", help="instructors: write a folder to hand to students (lessons, skeleton, no solutions)",
        description="Write the released lessons, the library skeleton, JupyterLab's student view, the course "
                    "machinery's wheel and a README with its one install command into a new folder.")
    parser.add_argument("folder", help="a new (or empty) folder")
    parser.set_defaults(run=cmd_student_kit)
