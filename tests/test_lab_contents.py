"""backprop_course.lab_contents: what `make lab`'s server changes in a notebook it reads (the browser
tests check what JupyterLab then shows)."""

import asyncio

import nbformat
from ipykernel.ipkernel import IPythonKernel
from traitlets.config import Configurable

from backprop_course.autograder.lesson_source import KERNELSPEC, LANGUAGE_INFO
from backprop_course.lab_contents import (WIDGET_STATE, WIDGET_VIEW, LessonContentsManager,
                                          complete_language_info, show_saved_pictures)


def widget_output(model_id, picture=True):
    data = {WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0}, "text/plain": "VBox()"}
    if picture:
        data["text/html"] = "<div><svg class='bp-graph'></svg></div>"
    return nbformat.v4.new_output("display_data", data=data)


def test_a_generated_lesson_gets_what_the_kernel_reports():
    metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    complete_language_info(metadata)
    assert metadata["language_info"] == IPythonKernel.language_info


def test_other_kernels_and_stated_versions_are_left_alone():
    other = {"kernelspec": {"name": "ir", "display_name": "R"}, "language_info": {"name": "R"}}
    complete_language_info(other)
    assert other["language_info"] == {"name": "R"}
    stated = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO, version="3.10.0")}
    complete_language_info(stated)
    assert stated["language_info"]["version"] == "3.10.0"
    bare = {"kernelspec": dict(KERNELSPEC)}
    complete_language_info(bare)
    assert "language_info" not in bare


def test_only_pictured_widgets_without_saved_state_lose_their_view():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=[
        widget_output("gone"), widget_output("saved"), widget_output("no-picture", picture=False)])])
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"saved": {}}, "version_major": 2, "version_minor": 0}}
    assert show_saved_pictures(nb) == 1
    gone, saved, bare = (output["data"] for output in nb.cells[0].outputs)
    assert WIDGET_VIEW not in gone and "text/html" in gone
    assert WIDGET_VIEW in saved and WIDGET_VIEW in bare


def test_the_server_changes_a_notebook_only_when_no_kernel_runs_for_it(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=[widget_output("gone")])],
                                  metadata={"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)})
    nbformat.write(nb, tmp_path / "lesson.ipynb")
    before = (tmp_path / "lesson.ipynb").read_text()

    class Sessions:
        running = []

        async def list_sessions(self):
            return [{"path": path} for path in self.running]

    class Server(Configurable):
        session_manager = Sessions()

    manager = LessonContentsManager(root_dir=str(tmp_path))
    manager.parent = Server()
    read = lambda: asyncio.run(manager.get("lesson.ipynb"))["content"]  # noqa: E731
    closed = read()
    assert closed["metadata"]["language_info"]["version"] == IPythonKernel.language_info["version"]
    assert WIDGET_VIEW not in closed["cells"][0]["outputs"][0]["data"]
    Sessions.running = ["lesson.ipynb"]
    assert WIDGET_VIEW in read()["cells"][0]["outputs"][0]["data"]
    assert (tmp_path / "lesson.ipynb").read_text() == before
