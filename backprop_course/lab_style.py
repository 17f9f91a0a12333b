"""The students' JupyterLab style: a server extension that serves lab-config/custom.css.

JupyterLab breaks text outputs anywhere (``.jp-OutputArea-output pre {word-break: break-all}``), so a
check row such as ``WRONG  dL/dh1 ... leaves out the path through h4`` broke mid-word. lab-config's
``jupyter_server_config.json`` turns on JupyterLab's custom CSS (``LabApp.custom_css``: the page links
``custom/custom.css``) and this extension, which puts the folder of lab-config/custom.css first where
that file is looked up. The folder is the installed package's content (``backprop_course.content``),
so `make lab` and a student kit (whose lab-config/ copy enables the extension) get the same style.
"""

from backprop_course import content


def _jupyter_server_extension_points():
    return [{"module": "backprop_course.lab_style"}]


def _load_jupyter_server_extension(serverapp):
    # LabApp's handler for custom/ takes this very list as its search path and reads it at each
    # request, so the order in which the two extensions load does not matter.
    search = serverapp.web_app.settings["static_custom_path"]
    folder = str(content.folder("lab-config"))
    if folder not in search:
        search.insert(0, folder)
