"""The package outside the checkout: ``python -m build`` makes the sdist and, from it, the wheel;
the wheel installs only ``backprop_course`` and ships the course content; and the README's
"Install from a package" blocks, run as written in a fresh virtual environment in a folder outside
the checkout, take a course from ``course init`` to a report and a student kit through ``check``
and ``submit``. Needs the package index (pip's cache makes it quick after the first run)."""

import csv
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from helpers.checkout import ROOT

SECTION = "## Install from a package"
LESSON = "02_linear_layer"
# What the test does as the student between the README's student blocks: the lesson's work, the
# library's code and the answers typed in the notebook's code cells (the reference's, by cell id).
STUDENT_WORK = f"""cp {ROOT / 'solutions' / 'backprop_lib' / 'layers.py'} my-kit/backprop_lib/layers.py
python3 - <<'WORK'
import json
answers = {{cell["id"]: cell["source"] for cell in json.load(open("{ROOT / 'solutions' / f'{LESSON}.ipynb'}"))["cells"]
           if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {{}}).get("solution")}}
path = "my-kit/lessons/{LESSON}.ipynb"
nb = json.load(open(path))
for cell in nb["cells"]:  # the answer as a student types it: no solution markers around it
    source = "".join(answers.get(cell["id"], cell["source"])).splitlines(keepends=True)
    cell["source"] = [line for line in source if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line]
json.dump(nb, open(path, "w"))
WORK
"""
CONTENT = ["backprop_course/content/solutions/backprop_lib/layers.py",
           f"backprop_course/content/solutions/lessons/{LESSON}.py",
           f"backprop_course/content/solutions/{LESSON}.ipynb",
           "backprop_course/content/backprop_lib/layers.py",
           f"backprop_course/content/lessons/{LESSON}.ipynb",
           "backprop_course/content/lab-config/jupyter_server_config.json",
           "backprop_course/content/lab-config/labconfig/page_config.json",
           "backprop_course/content/lecture/backprop_live.ipynb",
           "backprop_course/autograder/integrity/runtime_guard.py",
           "backprop_course/autograder/sandbox/zygote_main.py"]

pytestmark = pytest.mark.slow


def readme_blocks():
    """The ```sh blocks of README's install section, in order."""
    section = (ROOT / "README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel ``python -m build`` makes (the wheel built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [sdist], [wheel] = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    return sdist, wheel


def test_the_sdist_rebuilds_a_wheel_that_installs_only_our_import_name_and_the_content(dist):
    sdist, wheel = dist
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"backprop_course", wheel.name.split("-py3")[0] + ".dist-info"}
    assert set(CONTENT) <= set(names)
    assert not any("/__pycache__/" in name or "/.ipynb_checkpoints/" in name for name in names)
    with tarfile.open(sdist) as archive:  # the wheel above was built from these files
        members = {member.name.split("/", 1)[1] for member in archive.getmembers() if "/" in member.name}
    assert {name for name in CONTENT if "/content/" in name} <= members
    assert {"CHANGELOG.md", "setup.py", "autograder/integrity/runtime_guard.py"} <= members


def test_the_readme_install_path_runs_outside_the_checkout(dist, tmp_path):
    blocks = readme_blocks()
    assert len(blocks) == 4, "README's install section: instructor, student kit, student, grading"
    anywhere = tmp_path / "anywhere"
    anywhere.mkdir()
    shutil.copy(dist[1], anywhere)
    # `python3` is this test's base interpreter (no virtual environment of the checkout's).
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(tools)] + [part for part in env["PATH"].split(os.pathsep)
                                                  if part != venv_bin])
    env["OPENBLAS_NUM_THREADS"] = "1"
    script = "set -euo pipefail\n" + blocks[0] + blocks[1] + STUDENT_WORK + blocks[2] + blocks[3]
    done = subprocess.run(["bash", "-c", script], cwd=anywhere, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert re.search(r"^backprop-course \d+\.\d+\.\d+$", done.stdout, re.M)
    # a student kit has no reference library: judged tasks are judged when handed in
    assert re.search(r"^(\d+)/\1 passed - ", done.stdout, re.M), done.stdout
    installed = subprocess.run([str(anywhere / "course-env" / "bin" / "python"), "-c",
                                "import backprop_course, importlib.util as u; print(backprop_course.__file__);"
                                "print(u.find_spec('autograder'), u.find_spec('backprop_lib'))"],
                               cwd=anywhere, capture_output=True, text=True, timeout=60).stdout.split()
    assert installed[0].startswith(str(anywhere / "course-env")) and installed[1:] == ["None", "None"]
    with open(anywhere / "my-course" / "reports" / LESSON / "grades.csv") as handle:
        [alice] = list(csv.DictReader(handle))
    assert alice["student"] == "alice" and float(alice["score"]) > 0, alice
    assert (anywhere / "my-course" / "feedback" / "alice" / LESSON / f"{LESSON}.html").is_file()
