"""The students' JupyterLab style (lab-config/custom.css): the server extension that serves it and the
configuration that turns it on. The browser test (test_browser.py) checks check rows wrap between words."""

import json
import types

from helpers.checkout import ROOT

from backprop_course import content, lab_style


def test_the_extension_puts_the_packaged_stylesheet_first_where_custom_css_is_looked_up(tmp_path):
    search = [str(tmp_path / "custom")]
    app = types.SimpleNamespace(web_app=types.SimpleNamespace(settings={"static_custom_path": search}))
    lab_style._load_jupyter_server_extension(app)
    lab_style._load_jupyter_server_extension(app)  # loaded twice: still once in the list
    assert search == [str(content.folder("lab-config")), str(tmp_path / "custom")]
    css = (content.folder("lab-config") / "custom.css").read_text()
    assert ".jp-OutputArea .jp-OutputArea-output pre" in css and "word-break: normal" in css
    assert lab_style._jupyter_server_extension_points() == [{"module": "backprop_course.lab_style"}]


def test_the_students_lab_config_turns_the_style_on():
    config = json.loads((ROOT / "lab-config" / "jupyter_server_config.json").read_text())
    assert config["LabApp"]["custom_css"] is True
    assert config["ServerApp"]["jpserver_extensions"]["backprop_course.lab_style"] is True
