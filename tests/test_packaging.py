"""Packaging: pyproject.toml and environment.yml agree, the console script and make targets exist."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from helpers.checkout import ROOT

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

RUNTIME = {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "nbgrader", "setuptools"}


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def conda_requirements():
    """{name: SpecifierSet} of environment.yml's conda dependencies (pip sub-lists aside)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    found = {}
    for entry in env["dependencies"]:
        if isinstance(entry, str):
            # conda writes "name>=1,<2" or "name 1.*"; these files use the pip-compatible form.
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry.strip())
            found[match[1].lower()] = SpecifierSet(match[2].replace(" ", ""))
    return found


def test_runtime_dependencies_are_the_course_packages(project):
    names = {Requirement(dep).name.lower() for dep in project["dependencies"]}
    assert names == RUNTIME


def test_environment_yml_lists_the_same_runtime_packages_with_the_same_bounds(project):
    conda = conda_requirements()
    pip = {Requirement(dep).name.lower(): Requirement(dep).specifier for dep in project["dependencies"]}
    assert set(conda) - {"python", "pip"} == set(pip)
    for name, specifier in pip.items():
        assert conda[name] == specifier, f"{name}: environment.yml {conda[name]} vs pyproject.toml {specifier}"
    assert conda["python"] == SpecifierSet(project["requires-python"])


def test_environment_yml_installs_the_course_itself_with_pip():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    [pip_section] = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict)]
    assert pip_section == ["-e ."]


def test_the_version_is_the_projects_and_the_changelog_names_it(project):
    from backprop_course.autograder.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert f"## {project['version']} " in (ROOT / "CHANGELOG.md").read_text()


def test_python_versions(project):
    supported = SpecifierSet(project["requires-python"])
    assert all(f"3.{minor}" in supported for minor in (10, 11, 12, 13))
    assert "3.9" not in supported and "3.14" not in supported


def test_dev_extra_holds_the_test_tools(project):
    dev = {Requirement(dep).name.lower() for dep in project["optional-dependencies"]["dev"]}
    assert {"pytest", "hypothesis", "autograd", "threadpoolctl", "scikit-learn"} <= dev
    everything = project["dependencies"] + [dep for deps in project["optional-dependencies"].values()
                                            for dep in deps]
    assert "torch" not in {Requirement(dep).name.lower() for dep in everything}, \
        "torch is only an optional comparison in bench/, not a dependency"


def test_console_script_is_declared_and_installed(project):
    assert project["scripts"]["backprop-course"] == "backprop_course.autograder.cli:main"
    from backprop_course.autograder.cli import main

    assert callable(main)
    script = Path(sys.executable).parent / "backprop-course"
    assert script.exists(), "backprop-course is not installed: run `pip install -e .`"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "build" in result.stdout


def test_installed_import_names_are_ours_never_the_student_library():
    """Only backprop_course is installed (the grader as backprop_course.autograder: an unrelated
    project on the package index installs ``autograder``); the student library is found by path
    only, so no grading kernel can import an installed copy."""
    probe = ("import importlib.util as u; print(*[u.find_spec(name) is not None for name in "
             "('backprop_lib', 'autograder', 'backprop_course', 'backprop_course.autograder')])")
    environment = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                 cwd="/", timeout=60)
    assert environment.stdout.split() == ["False", "False", "True", "True"], environment


def make_dry_run(target):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(["make", "--dry-run", "--always-make", target], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_lab_creates_the_venv_installs_and_opens_the_lessons():
    commands = make_dry_run("lab")
    assert "-m venv .venv" in commands
    assert "pip install" in commands and "-e" in commands
    assert re.search(r"jupyter lab .*--LabApp.default_url=/lab/tree/lessons", commands)


def _pip_lines(commands):
    return [line for line in commands.splitlines() if " -m pip install " in line]


def test_make_lab_shows_pips_progress_hides_the_editable_notice_and_says_it_is_a_preview():
    lab = make_dry_run("lab")
    pip = _pip_lines(lab)
    assert len(pip) == 2 and all("--quiet" not in line and "--progress-bar on" in line for line in pip), pip
    # setuptools' "Editable installation ... be careful with folders" notice is a UserWarning of the
    # build backend, which pip runs in a child process that inherits PYTHONWARNINGS
    assert all(line.startswith('PYTHONWARNINGS="ignore::UserWarning" ') for line in pip), pip
    assert re.search(r"setting up \.venv \(the first time takes about 3 minutes", lab)
    assert "instructors' preview" in lab and "backprop-course student-kit DIR" in lab


def test_make_test_installs_quietly():
    pip = _pip_lines(make_dry_run("test"))
    assert len(pip) == 2 and all("--quiet" in line for line in pip), pip


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let a redirect surface as an HTTPError, so its Location can be read."""

    def redirect_request(self, *args, **kwargs):
        return None


# nbgrader's instructor parts, hidden from students by `make lab` (lab-config/): lab plugin ids
# (checked below against nbgrader's installed bundle) and server extensions.
NBGRADER_INSTRUCTOR_PLUGINS = {f"@jupyter/nbgrader:{name}" for name in
                               ("assignment-list", "course-list", "create-assignment", "formgrader", "menu")}
NBGRADER_INSTRUCTOR_PAGES = ("/formgrader", "/courses")
NO_COURSE_CONFIG = "No nbgrader_config.py"


class LabServer:
    """A JupyterLab started by ``command`` on 127.0.0.1 with a token and temporary Jupyter dirs;
    ``get`` fetches a path, ``log`` is what the server printed (complete after the block)."""

    def __init__(self, tmp_path, command, cwd):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.token = "make-lab-test"
        self.options = (f"--no-browser --ip 127.0.0.1 --port {self.port} --ServerApp.port_retries=0 "
                        f"--IdentityProvider.token={self.token} --LabApp.news_url=None "
                        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
        self.env = dict(os.environ, **{name: str(tmp_path / name.lower()) for name in
                                       ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")})
        self.env.pop("JUPYTER_CONFIG_PATH", None)
        self.command, self.cwd = command(self.options), cwd
        self.log_path = tmp_path / "server.log"
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.log_file = open(self.log_path, "w")
        self.server = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=self.log_file,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            try:
                self.page = self.get("/lab")
                return self
            except OSError:
                assert self.server.poll() is None, self.log()[-2000:]
                assert time.monotonic() < deadline, "JupyterLab did not answer within 90 s"
                time.sleep(0.5)

    def __exit__(self, *exc):
        request = urllib.request.Request(f"{self.base}/api/shutdown?token={self.token}", method="POST")
        try:
            urllib.request.urlopen(request, timeout=10)
        except OSError:
            pass
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, 9)
            self.server.wait()
        self.log_file.close()

    def get(self, path):
        with urllib.request.urlopen(f"{self.base}{path}?token={self.token}", timeout=10) as response:
            return response.read().decode()

    def status(self, path):
        try:
            self.get(path)
            return 200
        except urllib.error.HTTPError as err:
            return err.code

    def log(self):
        return self.log_path.read_text()

    def page_config(self):
        """The page config JupyterLab hands to the browser (disabled extensions among others)."""
        found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', self.page, re.S)
        return json.loads(found[1])


def test_make_lab_really_serves_the_lessons_and_the_library(tmp_path):
    """`make lab` starts a JupyterLab that opens on lessons/ and lets students reach backprop_lib/,
    without nbgrader's instructor parts."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    make_lab = lambda options: ["make", "--no-print-directory", "lab", f"LAB_ARGS={options}"]  # noqa: E731
    with LabServer(tmp_path, make_lab, ROOT) as lab:
        assert "JupyterLab" in lab.page
        # The browser `make lab` opens goes to "/", which must land on the lessons folder.
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(f"{lab.base}/?token={lab.token}", timeout=10)
            raise AssertionError("/ did not redirect")
        except urllib.error.HTTPError as redirect:
            assert redirect.headers["Location"].startswith("/lab/tree/lessons"), redirect.headers
        lessons = {item["name"] for item in json.loads(lab.get("/api/contents/lessons"))["content"]}
        assert "01_computation_graph.ipynb" in lessons
        library = {item["name"] for item in json.loads(lab.get("/api/contents/backprop_lib"))["content"]}
        assert "layers.py" in library
        assert NBGRADER_INSTRUCTOR_PLUGINS <= set(lab.page_config()["disabledExtensions"])
        assert {path: lab.status(path) for path in NBGRADER_INSTRUCTOR_PAGES} == dict.fromkeys(NBGRADER_INSTRUCTOR_PAGES, 404)
    assert NO_COURSE_CONFIG not in lab.log()


def test_instructors_jupyter_in_a_course_keeps_nbgrader(tmp_path):
    """Plain `jupyter lab` (what instructors run in a course folder) still has formgrader and
    nbgrader's menus: lab-config/ is only `make lab`'s."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'backprop'\n")
    jupyter = str(Path(sys.executable).parent / "jupyter")
    plain = lambda options: [jupyter, "lab", "--allow-root", *options.split()]  # noqa: E731
    with LabServer(tmp_path, plain, course) as lab:
        assert not NBGRADER_INSTRUCTOR_PLUGINS & set(lab.page_config()["disabledExtensions"])
        assert {path: lab.status(path) for path in NBGRADER_INSTRUCTOR_PAGES} == dict.fromkeys(NBGRADER_INSTRUCTOR_PAGES, 200)


def test_the_hidden_plugins_are_nbgraders_own_ids():
    """A plugin id nbgrader renamed would silently come back: each hidden id is in its bundle."""
    bundle = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    code = "".join(path.read_text(errors="replace") for path in bundle.glob("*.js"))
    hidden = json.loads((ROOT / "lab-config" / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert set(hidden) == NBGRADER_INSTRUCTOR_PLUGINS
    assert {plugin for plugin in hidden if f'"{plugin}"' not in code} == set()


def test_make_test_sets_up_the_same_way_and_runs_pytest():
    commands = make_dry_run("test")
    assert "-m venv .venv" in commands and "pip install" in commands
    assert re.search(r"-m pytest", commands)


def test_ci_runs_make_test():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines[0].startswith("#!")
    assert "make test" in [line for line in lines if not line.startswith("#")]
