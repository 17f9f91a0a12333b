"""backprop_course.lab_contents: what `make lab`'s server changes in a notebook it reads (the browser
tests check what JupyterLab then shows)."""

import asyncio

import nbformat
from ipykernel.ipkernel import IPythonKernel
from traitlets.config import Configurable

from backprop_course.autograder.lesson_source import KERNELSPEC, LANGUAGE_INFO
from backprop_course.lab_contents import LessonContentsManager, complete_language_info
from backprop_course.widget_pictures import (KEY, PICTURE, PICTURE_OF, SHOWN_BY, WIDGET_STATE, WIDGET_VIEW,
                                             keep_latest_pictures, show_saved_pictures)


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


def companion(model_id, picture):
    return nbformat.v4.new_output("display_data", data={"text/plain": "", PICTURE: picture},
                                  metadata={KEY: {PICTURE_OF: model_id}})


def test_saving_keeps_each_widgets_latest_picture_and_drops_its_companion(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("w", outputs=[widget_output("m1"), companion("m1", "<div>step 3</div>")]),
        nbformat.v4.new_code_cell("v", outputs=[widget_output("m2")])])
    manager = LessonContentsManager(root_dir=str(tmp_path))
    asyncio.run(manager.save({"type": "notebook", "format": "json", "content": nb}, "lesson.ipynb"))
    saved = nbformat.read(tmp_path / "lesson.ipynb", as_version=4)
    assert [len(cell.outputs) for cell in saved.cells] == [1, 1]
    assert saved.cells[0].outputs[0].data["text/html"] == "<div>step 3</div>"
    assert saved.cells[1].outputs[0].data["text/html"] == widget_output("m2").data["text/html"]
    assert keep_latest_pictures(saved) == 0  # nothing left to move


def test_a_restarted_kernel_does_not_hold_the_models_its_predecessor_showed():
    def shown(pid):
        output = widget_output(f"by-{pid}")
        if pid is not None:
            output.metadata = {KEY: {SHOWN_BY: pid}}
        return output

    def views(kernel_pid):
        outputs = [shown(41), shown(42), shown(None)]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w", outputs=outputs)])
        show_saved_pictures(nb, kernel_pid)
        return [WIDGET_VIEW in output.data for output in nb.cells[0].outputs]

    assert views(42) == [False, True, True]   # 41 restarted into 42: its model is gone
    assert views(None) == [False, False, False]  # no kernel
    assert views(True) == [True, True, True]  # a kernel whose pid the server cannot tell
