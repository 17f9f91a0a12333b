"""backprop_course.cells.demo: an unfinished task or a crash in a demo is one line, and the
figures the demo had opened are dropped (no empty 0-1 plot under the message)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from backprop_course.cells import demo  # noqa: E402


@pytest.fixture(autouse=True)
def no_figures():
    plt.close("all")
    yield
    plt.close("all")


def student_module(tmp_path, source):
    """A module in its own file outside the course package, as a student's backprop_lib file is."""
    path = tmp_path / "student_layers.py"
    path.write_text(source)
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def test_skipped_demo_prints_one_line_and_closes_only_its_own_figures(capsys):
    earlier = plt.figure()
    with demo("the finite-difference plot"):
        fig, ax = plt.subplots()
        plt.figure()
        raise NotImplementedError("Lesson 2, task 3: Linear.backward")
    assert plt.get_fignums() == [earlier.number]
    assert capsys.readouterr().out == ("the finite-difference plot: skipped until this is done: "
                                       "Lesson 2, task 3: Linear.backward\n")


def test_finished_demo_keeps_its_figures(capsys):
    with demo("loss curves"):
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
    assert plt.get_fignums() == [fig.number]
    assert capsys.readouterr().out == ""


def test_crash_in_a_demo_names_error_file_and_line(tmp_path, capsys):
    code = student_module(tmp_path, "def forward(x):\n    y = x + 1\n    raise ValueError('shapes (4,3) and (2,3) not aligned')\n")
    with demo("full batch against minibatches"):
        plt.subplots()
        code["forward"](1)
    out = capsys.readouterr().out
    assert out == ("full batch against minibatches: stopped: your code raised ValueError: shapes (4,3) and "
                   "(2,3) not aligned (at student_layers.py, line 3)\n")
    assert plt.get_fignums() == []


def test_demo_does_not_catch_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt):
        with demo("regression"):
            raise KeyboardInterrupt


def test_demo_without_matplotlib_does_not_import_it():
    script = ("import sys\nfrom backprop_course.cells import demo\n"
              "with demo('x'):\n    raise NotImplementedError('task')\n"
              "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["x: skipped until this is done: task", "False"]


def test_in_a_kernel_a_skipped_or_crashed_demo_shows_one_line_and_no_figure(tmp_path):
    """What JupyterLab shows: the inline backend would display an open figure at the end of the cell."""
    from nbclient import NotebookClient

    setup = ("%matplotlib inline\nimport matplotlib.pyplot as plt\nfrom backprop_course.cells import demo\n"
             "def unfinished():\n    raise NotImplementedError('Lesson 6, task 2: fit')\n")
    skipped = "with demo('full batch against minibatches'):\n    fig, ax = plt.subplots()\n    unfinished()\n"
    crashed = "with demo('decision boundary'):\n    fig, ax = plt.subplots()\n    [1, 2][5]\n"
    drawn = "with demo('loss curves'):\n    fig, ax = plt.subplots()\n    ax.plot([1, 2])\n    plt.show()\n"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)
                                         for source in (setup, skipped, crashed, drawn)])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    _, skipped_out, crashed_out, drawn_out = (cell.outputs for cell in nb.cells)
    for outputs in (skipped_out, crashed_out):
        assert [output.output_type for output in outputs] == ["stream"], outputs
    assert skipped_out[0].text == ("full batch against minibatches: skipped until this is done: "
                                   "Lesson 6, task 2: fit\n")
    assert crashed_out[0].text.startswith("decision boundary: stopped: your code raised IndexError: "
                                          "list index out of range (at ")
    assert crashed_out[0].text.endswith(", line 3)\n")
    assert any("image/png" in output.get("data", {}) for output in drawn_out), "a finished demo shows its plot"

