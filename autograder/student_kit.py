"""``backprop-course student-kit DIR``: a folder to hand to a student, with no solution in it.

The checkout's ``make lab`` serves the whole repository, ``solutions/`` included: it is the
instructors' preview. A student gets this kit instead:

    DIR/lessons/*.ipynb       the released lessons (solutions and hidden tests removed by build)
    DIR/backprop_lib/*.py     the library skeleton the lessons ask them to complete
    DIR/lab-config/           JupyterLab's student view (as ``make lab`` uses it)
    DIR/wheels/*.whl          the course machinery (``backprop_course`` and the ``backprop-course``
                              command), built from this checkout
    DIR/README.md             the one install command and how to start, check and hand in

Every text file is checked for solution lines and markers before the command reports success,
and nothing is written into a folder that already holds files.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import build as build_module
from . import course as course_module

LIBRARY = "backprop_lib"


def content_root():
    """The folder holding the released content: ``lessons/*.ipynb``, the skeleton ``backprop_lib/``
    and ``lab-config/``. The one place the kit locates them."""
    return build_module.ROOT


def kit_files(root=None):
    """{path inside the kit: source file} of the lessons, the skeleton and the student view."""
    root = Path(root or content_root())
    files = {}
    for pattern in ("lessons/*.ipynb", f"{LIBRARY}/*.py", "lab-config/**/*.json"):
        files.update((source.relative_to(root), source) for source in sorted(root.glob(pattern)) if source.is_file())
    return files


def readme(wheel_name):
    """The kit's README: set up once with one install command, then work, check and hand in."""
    return f"""# Backpropagation, step by step: your lessons

This folder is yours: six lessons in `lessons/` and the library you complete in `backprop_lib/`.

## Set up once (Python 3.10 to 3.13)

```sh
python3 -m venv .venv
.venv/bin/pip install wheels/{wheel_name}
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
    """Build the course machinery's wheel into ``folder``; returns its file name."""
    root = content_root()
    if not (root / "pyproject.toml").is_file():
        raise course_module.CourseError(f"no pyproject.toml in {root}: run student-kit from the course's checkout")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
                          str(folder), str(root)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore::UserWarning"})
    wheels = sorted(Path(folder).glob("*.whl"))
    if run.returncode != 0 or not wheels:
        last = (run.stderr.strip().splitlines() or ["no wheel was written"])[-1]
        raise course_module.CourseError(f"could not build the course's wheel: {last}")
    return wheels[-1].name


def solution_secrets(root=None):
    """Distinctive lines of the reference library's solution regions (none when it is not here)."""
    folder = Path(root or content_root()) / "solutions" / LIBRARY
    return set().union(*(build_module.solution_lines(path.read_text()) for path in sorted(folder.glob("*.py"))))


def write_kit(folder):
    """Write the kit into ``folder`` (new or empty); returns the number of files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise course_module.CourseError(f"{folder} is not an empty folder: choose a new one "
                                        "(a kit never writes over a student's files)")
    files = kit_files()
    if not any(path.parts[0] == "lessons" for path in files):
        raise course_module.CourseError(f"no lessons in {content_root()}: run `backprop-course build` first")
    folder.mkdir(parents=True, exist_ok=True)
    for inside, source in files.items():
        (folder / inside).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / inside)
    wheel = build_wheel(folder / "wheels")
    (folder / "README.md").write_text(readme(wheel))
    # The machinery in the wheel is what every installation has: its correct stand-ins (e.g. the
    # forward pass the lesson 5 checks run instead of the student's) are not handed-out solutions.
    leaks = course_module.leaks_in_folder(folder, solution_secrets())
    if leaks:
        shutil.rmtree(folder)
        path, text = leaks[0]
        raise course_module.CourseError(f"the kit would hand out solution text in {path.name}: {text!r}")
    return len(files) + 2


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
