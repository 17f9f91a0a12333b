"""The lecture widgets in a real browser: JupyterLab + Debian's Chromium driven by playwright.

One JupyterLab server (127.0.0.1, a free port, a temporary workspace) serves every test of this
module, started as `make lab` starts it. The workspace holds copies of lesson 1, lesson 6, the
lecture notebook and the reference library (the lecture imports it from ../solutions), and a link
to backprop_lib/ (the lessons find the skeleton above them, as students do); finished/ holds lesson 1
beside a copy of the reference library, as a student who has done tasks 3 and 4 has it. A lesson that does not contain its widget cell yet gets it appended (the
cells below are the ones the lessons are meant to carry); a lesson notebook that does not exist yet
is stood in for by its widget cell alone. Screenshots go to artifacts/browser/.

Outside CI the tests skip when /usr/bin/chromium is missing; with CI=true they fail instead.
"""

import hashlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from helpers.checkout import IN_CI, ROOT
from helpers.feedback_page import feedback_page
from helpers.waiting import within

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
TOKEN = "backprop-course-browser-test"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The widget cells the lessons carry (lesson 1 after the Scalar tasks, lesson 6 for training).
LESSON_CELLS = {
    "01_computation_graph": "from backprop_course.viz import GraphWalkthrough\n\n"
                            "GraphWalkthrough.slide_network(x=x, target=t, weights=weights)",
    "06_gradient_descent": "from backprop_course.viz import TrainingAnimator\n\n"
                           'TrainingAnimator(preset="dataset=moons&hidden=16,16&activation=relu&lr=0.5&batch=20&speed=5")',
}
WIDGET_NAME = {"01_computation_graph": "GraphWalkthrough", "06_gradient_descent": "TrainingAnimator"}
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# Fetches that fail because the machine is offline (fonts, CDNs): harmless, left out of the check.
OFFLINE = re.compile(r"ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|"
                     r"ERR_ADDRESS_UNREACHABLE|cdn\.|cdnjs|unpkg|jsdelivr|font-?awesome", re.I)


def require_browser():
    reason = None
    if not CHROMIUM.exists():
        reason = "no /usr/bin/chromium (install Debian's chromium: apt-get install -y chromium)"
    elif shutil.which("make") is None:
        reason = "make is not installed (the server is started as `make lab` starts it)"
    elif importlib.util.find_spec("playwright") is None:
        reason = "Python playwright is not installed (pip install -e '.[dev]')"
    if reason and IN_CI:
        pytest.fail(f"CI=true but {reason}: .ci/run installs chromium before the tests")
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base, path, method="GET", body=None):
    request = urllib.request.Request(f"{base}{path}{'&' if '?' in path else '?'}token={TOKEN}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def workspace_notebook(name, target):
    """Copy a lesson into the workspace with its widget cell (appended when missing)."""
    source = ROOT / "lessons" / f"{name}.ipynb"
    if source.exists():
        nb = nbformat.read(source, as_version=4)
    else:
        # Without a kernelspec JupyterLab would ask which kernel to start.
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("%load_ext autoreload\n%autoreload 2")],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    if not any(WIDGET_NAME[name] in cell.source for cell in nb.cells if cell.cell_type == "code"):
        nb.cells.append(nbformat.v4.new_code_cell(LESSON_CELLS[name]))
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, browser context) of one JupyterLab server and one Chromium for the whole module."""
    require_browser()
    from playwright.sync_api import sync_playwright

    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "work"
    (work / "lessons").mkdir(parents=True)
    (work / "lecture").mkdir()
    # A copy, not a link: the lecture prints where its library is relative to the workspace.
    shutil.copytree(ROOT / "solutions" / "backprop_lib", work / "solutions" / "backprop_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (work / "backprop_lib").symlink_to(ROOT / "backprop_lib")
    for name in LESSON_CELLS:
        workspace_notebook(name, work / "lessons" / f"{name}.ipynb")
    (work / "finished" / "lessons").mkdir(parents=True)
    shutil.copytree(work / "solutions" / "backprop_lib", work / "finished" / "backprop_lib")
    workspace_notebook("01_computation_graph", work / "finished" / "lessons" / "01_computation_graph.ipynb")
    shutil.copy(ROOT / "lecture" / "backprop_live.ipynb", work / "lecture")
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env[var] = str(tmp / var.lower())
    # The news and update pop-ups would cover the menu; a user setting in the temporary config stops them.
    settings = tmp / "jupyter_config_dir" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "jupyterlab.log", "w")
    # Served as `make lab` serves the checkout (lab-config/: no nbgrader instructor parts, widget
    # state saved, lessons open unmodified), on the workspace instead of the checkout.
    options = (f"--no-browser --IdentityProvider.token={TOKEN} --ip 127.0.0.1 --port {port} "
               "--ServerApp.port_retries=0 --LabApp.news_url=None "
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    env.pop("JUPYTER_CONFIG_PATH", None)
    server = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ROOT={work}", f"LAB_ARGS={options}"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                api(base, "/api/status")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; see {tmp / 'jupyterlab.log'}")
                time.sleep(0.3)
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(tmp / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
            try:
                yield base, context
            finally:
                context.close()
    finally:
        try:
            api(base, "/api/shutdown", method="POST")
            server.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(server.pid, 9)
            server.wait()
        log.close()


def open_notebook(lab, path):
    """Open ``path`` and wait until its kernel is idle and connected.

    Returns (page, console errors that are not offline fetches).
    """
    base, context = lab
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{base}/lab/tree/{path}?reset&token={TOKEN}")
    page.get_by_text(re.compile(r"ipykernel\) \| Idle")).first.wait_for(timeout=60_000)
    deadline = time.monotonic() + 30
    while not any(session["path"].endswith(path) and session["kernel"]["execution_state"] == "idle"
                  and session["kernel"]["connections"] >= 1 for session in api(base, "/api/sessions")):
        assert time.monotonic() < deadline, f"the kernel of {path} never became idle"
        time.sleep(0.3)
    return page, errors


def run_all(lab, path):
    """Open ``path``, wait for its kernel, Run All, wait until every code cell has run.

    Returns (page, console errors that are not offline fetches).
    """
    page, errors = open_notebook(lab, path)
    click_run_all(page, path)
    return page, errors


def click_run_all(page, path):
    """Run All on the open notebook; wait until every code cell has a new execution count."""
    prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputArea-prompt")

    def counts():
        texts = [text.strip() for text in prompts.all_text_contents()]
        return [int(text[1:-2]) if re.fullmatch(r"\[\d+\]:", text) else None for text in texts]

    before = max((count for count in counts() if count is not None), default=0)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
    deadline = time.monotonic() + 60
    while not all(count is not None and count > before for count in counts()):
        assert time.monotonic() < deadline, f"Run All did not finish in {path}: {prompts.all_text_contents()}"
        time.sleep(0.3)


def finish(lab, page, name, errors):
    """Screenshot, then check the console and close the page and its kernel (memory is short)."""
    base, _ = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    real = [text for text in errors if not OFFLINE.search(text)]
    page.close()
    for session in api(base, "/api/sessions"):
        api(base, f"/api/sessions/{session['id']}", method="DELETE")
    assert real == [], f"console errors in {name}: {real}"


def widget_output(page, css, index=0):
    output = page.locator(f"{PANEL} .jp-OutputArea-output:has({css})").nth(index)
    output.scroll_into_view_if_needed()
    return output


def message(output):
    return output.locator(".bp-message").last.text_content()


def boundary_hash(output):
    href = output.locator("image.boundary").get_attribute("href")
    return hashlib.sha256(href.encode()).hexdigest()


def wait_until(condition, what, seconds=15):
    assert within(seconds, condition, every=0.2), what


def layout_problems(output):
    """What does not fit in a rendered walkthrough: the drawing wider than its output, an edge label
    over another label or over a node (browser-measured boxes)."""
    return output.evaluate("""output => {
        const svg = output.querySelector("svg.bp-graph");
        const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const hit = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
        const found = [];
        if (box(svg)[2] > box(output)[2] + 0.5) found.push(`drawing ends at ${box(svg)[2]}, output at ${box(output)[2]}`);
        const labels = [...svg.querySelectorAll("text.edge-label tspan")].map(el => [el.textContent, box(el)]);
        const nodes = [...svg.querySelectorAll("g.node")].map(el => [el.dataset.key, box(el.querySelector("rect"))]);
        labels.forEach(([text, a], i) => {
            labels.slice(i + 1).forEach(([other, b]) => { if (hit(a, b)) found.push(`${text} over ${other}`); });
            nodes.forEach(([key, b]) => { if (hit(a, b)) found.push(`${text} over node ${key}`); });
        });
        return found;
    }""")


def test_lecture_walkthrough_steps_and_training_plays(lab):
    page, errors = run_all(lab, "lecture/backprop_live.ipynb")
    for index in range(3):
        assert layout_problems(widget_output(page, "svg.bp-graph", index=index)) == [], f"walkthrough {index}"
    slide = widget_output(page, "svg.bp-graph", index=1)
    values = slide.locator("svg.bp-graph text.value")
    assert "2" in values.all_text_contents() and "?" in values.all_text_contents()
    slide.get_by_role("button", name="step forward").click()
    wait_until(lambda: "a1 1  h1 1" in values.all_text_contents(), "step forward showed no value for h1")
    grads = slide.locator("svg.bp-graph text.grad")
    before = grads.all_text_contents()
    for clicks in range(2):  # ∂L/∂L = 1, then the room is asked for ∂L/∂y
        slide.get_by_role("button", name="step backward").click()
    wait_until(lambda: message(slide).startswith("ask the room for ∂L/∂y"), f"no question: {message(slide)!r}")
    assert "∂ -1.5" not in grads.all_text_contents()
    answer(slide, "1.5")  # the room's answer, typed: checked, then the step shows
    wait_until(lambda: "∂ -1.5" in grads.all_text_contents(), "the checked answer showed no ∂L/∂y")
    assert grads.all_text_contents() != before
    assert message(slide) == "∂L/∂y = y − t = -1.5"
    assert verdict(slide) == "your 1.5 is t − y = 1.5: the derivative of ½(y − t)² with respect to y is y − t"
    slide.get_by_role("button", name="step backward").click()
    wait_until(lambda: message(slide).startswith("ask the room for ∂L/∂w7"), f"no question: {message(slide)!r}")
    slide.get_by_role("button", name="reveal").click()  # the room answered aloud
    wait_until(lambda: message(slide) == "∂L/∂w7 = ∂L/∂y·h3 = -1.5×0.25 = -0.375", f"no reveal: {message(slide)!r}")
    assert slide.locator(".bp-verdict").count() == 0
    deadline = time.monotonic() + 30
    while not message(slide).startswith("backward pass done"):  # every weight's label with its ∂
        assert time.monotonic() < deadline, f"the backward pass did not finish: {message(slide)!r}"
        slide.get_by_role("button", name="step backward").click()
        time.sleep(0.2)
    assert layout_problems(slide) == []
    assert "1.125" in slide.locator("svg.bp-graph text.value").all_text_contents()  # L, as lesson 1's table

    live = widget_output(page, "svg.bp-training", index=0)
    first = boundary_hash(live)
    live.locator(".widget-play button").first.click()
    wait_until(lambda: boundary_hash(live) != first, "Play did not change the boundary image")
    wait_until(lambda: message(live).startswith("step "), "no step count after Play")
    live.locator(".widget-play button").nth(1).click()  # pause
    finish(lab, page, "lecture", errors)


def test_lesson1_walkthrough_on_the_skeleton_names_the_task(lab):
    page, errors = run_all(lab, "lessons/01_computation_graph.ipynb")
    walk = widget_output(page, "svg.bp-graph", index=-1)
    values = walk.locator("svg.bp-graph text.value")
    assert "2" in values.all_text_contents()
    walk.get_by_role("button", name="step forward").click()
    wait_until(lambda: "a1 1  h1 1" in values.all_text_contents(), "step forward showed no value for h1")
    walk.get_by_role("button", name="step backward").click()
    wait_until(lambda: message(walk).startswith("finish Lesson 1, task"),
               f"no 'finish the task' message: {message(walk)!r}")
    finish(lab, page, "lesson1", errors)


def answer(output, text, key="Enter"):
    """Type ``text`` in a walkthrough's prediction box and send it with Enter (or the check button)."""
    box = output.locator(".widget-text input")
    box.wait_for(state="visible")
    box.fill(text)
    if key == "Enter":
        box.press("Enter")
    else:
        output.get_by_role("button", name="check").click()


def verdict(output):
    return output.locator(".bp-verdict").last.text_content()


def test_lesson1_predict_then_reveal_checks_typed_gradients(lab):
    """A student who has done tasks 3 and 4: each backward step asks for its number first; a typed
    number gets its verdict (the slip named when it reproduces the number), then the product shows."""
    page, errors = run_all(lab, "finished/lessons/01_computation_graph.ipynb")
    walk = widget_output(page, "svg.bp-graph", index=-1)
    step = walk.get_by_role("button", name="step backward")
    step.click()  # the forward pass completes; ∂L/∂L = 1 asks nothing
    wait_until(lambda: message(walk) == "∂L/∂L = 1", f"no ∂L/∂L: {message(walk)!r}")
    assert walk.locator(".widget-text input").is_hidden()
    step.click()
    wait_until(lambda: message(walk).startswith("predict ∂L/∂y"), f"no question: {message(walk)!r}")
    step.click()  # no reveal without a number
    wait_until(lambda: message(walk).startswith("type your ∂L/∂y"), f"revealed unasked: {message(walk)!r}")
    answer(walk, "2*(-0.5-1)")
    wait_until(lambda: message(walk) == "∂L/∂y = y − t = -1.5", f"no product: {message(walk)!r}")
    assert verdict(walk) == "your -3 is 2(y − t) = -3: the ½ in L cancels the 2 of the square: ∂L/∂y = y − t"
    assert walk.locator(".widget-text input").is_hidden()
    step.click()
    wait_until(lambda: message(walk).startswith("predict ∂L/∂w7"), f"no question: {message(walk)!r}")
    answer(walk, "-1.5*0.25", key="check")
    wait_until(lambda: message(walk).startswith("∂L/∂w7 = ∂L/∂y·h3"), f"no product: {message(walk)!r}")
    assert verdict(walk) == "right: ∂L/∂w7 = -0.375"
    assert "bp-right" in walk.locator(".bp-verdict").last.get_attribute("class")
    finish(lab, page, "lesson1-predict", errors)


def test_lesson6_animator_on_the_skeleton_names_the_task(lab):
    page, errors = run_all(lab, "lessons/06_gradient_descent.ipynb")
    anim = widget_output(page, "svg.bp-training", index=-1)
    assert message(anim).startswith("finish Lesson")
    anim.get_by_role("button", name="step").click()
    time.sleep(0.5)
    assert message(anim).startswith("finish Lesson") and anim.locator("image.boundary").count() == 0
    finish(lab, page, "lesson6", errors)


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NO_MODEL = "model not found"


def modified(page):
    """JupyterLab's "modified" mark on the open notebook's tab, after anything the kernel's start
    changes in the notebook has arrived."""
    time.sleep(2)
    return "jp-mod-dirty" in page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").get_attribute("class")


def put_notebook(lab, path, nb):
    base, _ = lab
    api(base, f"/api/contents/{path}", method="PUT", body={"type": "notebook", "format": "json", "content": nb})


def get_notebook(lab, path):
    base, _ = lab
    return nbformat.from_dict(api(base, f"/api/contents/{path}")["content"])


def close_all(lab, page):
    base, _ = lab
    page.close()
    for session in api(base, "/api/sessions"):
        api(base, f"/api/sessions/{session['id']}", method="DELETE")


def test_a_lesson_opens_unmodified_and_its_saved_widget_reopens_as_its_picture(lab):
    path = "lessons/reopen_01.ipynb"
    put_notebook(lab, path, get_notebook(lab, "lessons/01_computation_graph.ipynb"))
    page, errors = open_notebook(lab, path)
    assert not modified(page), "the lesson is marked modified as soon as it opens"
    close_all(lab, page)

    page, errors = run_all(lab, path)
    click_run_all(page, path)
    assert page.locator(PANEL).get_by_text("already loaded").count() == 0, "a second Run All printed a warning"
    walk = widget_output(page, "svg.bp-graph", index=-1)
    values = walk.locator("svg.bp-graph text.value")
    before = values.all_text_contents()
    walk.get_by_role("button", name="step forward").click()
    # The step is a round trip to the kernel: saved before its answer came, the notebook would be
    # marked modified again by the widget's late change (seen on a loaded machine).
    wait_until(lambda: values.all_text_contents().count("?") < before.count("?"), "step forward drew nothing")
    page.keyboard.press("Control+s")
    wait_until(lambda: not modified(page), "Ctrl+S did not save the notebook")
    close_all(lab, page)
    assert [text for text in errors if not OFFLINE.search(text)] == []
    base, _ = lab
    saved = api(base, f"/api/contents/{path}?type=file&format=text")["content"]  # the file, as saved
    assert WIDGET_VIEW in saved and WIDGET_STATE not in saved

    page, errors = open_notebook(lab, path)  # a new kernel: the widget's model is gone
    assert not modified(page), "the reopened lesson is marked modified"
    assert page.locator(PANEL).get_by_text(NO_MODEL).count() == 0, "the saved widget shows an error"
    picture = widget_output(page, "svg.bp-graph", index=-1)
    assert "2" in picture.locator("svg.bp-graph text.value").all_text_contents()
    assert picture.locator(".jupyter-widgets").count() == 0, "a widget view, not the picture"
    finish(lab, page, "lesson1-reopened", errors)


def test_a_notebook_executed_without_a_browser_opens_without_widget_errors(lab):
    """nbclient (nbgrader's autograde, `jupyter execute`) saves widget state, and the notebook is not
    trusted: JupyterLab shows the widget's static picture (sanitized), never a missing model."""
    from nbclient import NotebookClient

    nb = get_notebook(lab, "lessons/01_computation_graph.ipynb")
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "lessons")}}).execute()
    assert WIDGET_STATE in nb.metadata.get("widgets", {})
    path = "lessons/executed_01.ipynb"
    put_notebook(lab, path, nb)
    page, errors = open_notebook(lab, path)
    # The last two pictures: the walkthrough's, then WeightNudge's (the skeleton has no backward pass).
    messages = page.locator(f"{PANEL} .jp-OutputArea-output .bp-message")
    nudge = messages.last
    nudge.scroll_into_view_if_needed()  # waits for the pictures to render
    walkthrough = messages.nth(messages.count() - 2)
    assert walkthrough.text_content() == "step forward to compute the values node by node"
    assert nudge.text_content().startswith("w4 = -0.25 + δ = -0.25: L = 1.125 (L was 1.125). The tangent needs")
    assert page.locator(PANEL).get_by_text(NO_MODEL).count() == 0
    assert not modified(page)
    finish(lab, page, "lesson1-executed", errors)


def clipped(page):
    """What the lecture's widgets lose at the current window size: drawings, nodes, labels or controls
    reaching past the visible part of their output, buttons whose label is cut, Play without a tooltip."""
    outputs = page.locator(f"{PANEL} .jp-OutputArea-output:has(.bp-graph, .bp-training)")
    found = []
    for index in range(outputs.count()):
        output = outputs.nth(index)
        output.scroll_into_view_if_needed()
        found += output.evaluate("""(output, [panel, index]) => {
            const found = [];
            const box = el => el.getBoundingClientRect();
            const right = Math.min(box(output).right, box(document.querySelector(panel)).right) + 0.5;
            const parts = [...output.querySelectorAll("svg.bp-graph g.node rect, svg.bp-graph text, " +
                "svg.bp-training, .widget-button, .widget-play, .widget-slider, .widget-dropdown")];
            parts.filter(el => el.getClientRects().length && box(el).right > right)
                 .forEach(el => found.push(`output ${index}: ${el.tagName} ${el.textContent.slice(0, 20)} ends at ` +
                                           `${box(el).right}, visible to ${right}`));
            output.querySelectorAll("button").forEach(button => {
                if (button.scrollWidth > button.clientWidth) found.push(`output ${index}: "${button.textContent}" cut`);
            });
            output.querySelectorAll(".widget-play").forEach(play => {
                if (!play.getAttribute("title")) found.push(`output ${index}: Play without a tooltip`);
            });
            return found;
        }""", [PANEL, index])
    return found


def narrow_with_file_browser(page, width):
    """The window ``width`` px wide (720 high) with the file browser open, as a student on a laptop
    has it; returns the file browser."""
    page.set_viewport_size({"width": width, "height": 720})
    browser = page.locator("#filebrowser")
    if not browser.is_visible():
        page.locator(".jp-SideBar [data-id='filebrowser']").click()
    browser.wait_for(state="visible")
    return browser


def test_lecture_fits_narrow_windows_and_survives_save_restart_reload(lab):
    """At 1280x720 and 1100x720 with the file browser open nothing of the seven widgets is cut off;
    after a step and Save, a reload keeps the live widgets; after a kernel restart and a reload every
    widget shows its last picture."""
    base, context = lab
    path = "lecture/backprop_live.ipynb"
    page, errors = open_notebook(lab, path)
    browser = narrow_with_file_browser(page, 1280)
    click_run_all(page, path)
    assert page.locator(f"{PANEL} .jp-OutputArea-output:has(.bp-graph, .bp-training)").count() == 7
    for width in (1280, 1100):
        page.set_viewport_size({"width": width, "height": 720})
        time.sleep(1)  # the panels' relayout
        assert browser.is_visible()
        assert clipped(page) == [], f"cut off at {width} px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        widget_output(page, "svg.bp-graph", index=1).screenshot(path=str(ARTIFACTS / f"slide-network-{width}.png"))

    slide = widget_output(page, "svg.bp-graph", index=1)
    slide.get_by_role("button", name="step forward").click()
    wait_until(lambda: "a1 1  h1 1" in slide.locator("svg.bp-graph text.value").all_text_contents(),
               "step forward showed no value for h1")
    time.sleep(0.5)  # the companion picture's update
    page.keyboard.press("Control+s")
    wait_until(lambda: not modified(page), "Ctrl+S did not save the notebook")
    page.reload()  # the same kernel: its widgets come back live
    page.get_by_text(re.compile(r"ipykernel\) \| Idle")).first.wait_for(timeout=60_000)
    live = page.locator(f"{PANEL} .jp-OutputArea-output .jupyter-widgets :is(.bp-graph, .bp-training)")
    # All seven: a restart while the widget manager still fetches models would log "model not found".
    wait_until(lambda: live.count() == 7, "the widgets did not come back live after a reload", seconds=30)
    assert page.locator(PANEL).get_by_text(NO_MODEL).count() == 0
    [session] = [s for s in api(base, "/api/sessions") if s["path"].endswith(path)]
    api(base, f"/api/kernels/{session['kernel']['id']}/restart", method="POST", body={})
    page.reload()
    page.get_by_text(re.compile(r"ipykernel\) \| Idle")).first.wait_for(timeout=60_000)
    pictures = page.locator(f"{PANEL} .jp-OutputArea-output:has(.bp-graph, .bp-training)")
    wait_until(lambda: pictures.count() == 7, f"{pictures.count()} of 7 pictures after the reload", seconds=30)
    time.sleep(2)  # the widget manager's restore, which would print "model not found"
    assert page.locator(PANEL).get_by_text(NO_MODEL).count() == 0, "a widget shows 'model not found'"
    assert page.locator(f"{PANEL} .jupyter-widgets").count() == 0, "a dead widget view, not its picture"
    slide = widget_output(page, "svg.bp-graph", index=1)
    assert "a1 1  h1 1" in slide.locator("svg.bp-graph text.value").all_text_contents(), "the picture is step 0"
    page.set_viewport_size({"width": 1100, "height": 720})
    time.sleep(1)
    assert clipped(page) == [], "a picture is cut off at 1100 px"
    finish(lab, page, "lecture-restarted", errors)


# A failed check as `with task(...)` prints it: the row, then the cell's one-line failure.
CHECK_ROWS_CELL = """from backprop_course.checks import task

with task("Lesson 1, task 2") as check:
    check.true("dL/dh1 sums both paths out of h1: dL/dh1 = dL/dh3 relu'(a3) w3 + dL/dh4 relu'(a4) w5", False,
               "your dL/dh1 = -3 is the path through h3 alone: h1 feeds both a3 and a4, so its gradient "
               "is the sum over both paths, + dL/dh4 w5 = 0.75 x -1 = -0.75; with it dL/dw1 follows too")
"""


def visual_lines(output):
    """The lines of an output's text as the browser lays them out: a line break the text holds ends
    its line with "\\n", a wrap ends it where the browser broke it."""
    return output.evaluate("""output => {
        const lines = [];
        for (const pre of output.querySelectorAll("pre")) {
            const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let line = "", top = null;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (let i = 0; i < node.length; i++) {
                    const ch = node.data[i];
                    if (ch === "\\n") { lines.push(line + "\\n"); line = ""; top = null; continue; }
                    range.setStart(node, i);
                    range.setEnd(node, i + 1);
                    const rect = [...range.getClientRects()].find(r => r.width > 0);
                    if (rect && top !== null && rect.top > top + 2) { lines.push(line); line = ""; }
                    if (rect) top = rect.top;
                    line += ch;
                }
            }
            if (line) lines.push(line + "\\n");
        }
        return lines;
    }""")


def mid_word_breaks(lines):
    """Wraps between two letters or digits: "... leaves out the pa" | "th through h4"."""
    return [f"{line[-12:]!r} | {after[:12]!r}" for line, after in zip(lines, lines[1:])
            if not line.endswith("\n") and re.search(r"\w$", line) and re.match(r"\w", after)]


def test_the_feedback_page_wraps_check_rows_between_words_at_1100px(lab):
    """nbgrader's feedback page (its template and bootstrap break text anywhere) as students open
    it: a failed check's row wraps between words (``feedback_html.wrap_between_words``)."""
    _, context = lab
    page = context.new_page()
    page.set_viewport_size({"width": 1100, "height": 800})
    row = ("WRONG  dL/dh1 = -3 leaves out the path through h4: h1 feeds both a3 and a4, so its gradient "
           "is the sum over both paths, + dL/dh4 w5 = 0.75 x -1 = -0.75; with it dL/dw1 follows too") * 2
    page.set_content(feedback_page(row))
    output = page.locator("div.output_area").first
    lines = visual_lines(output)
    assert len(lines) > 2, f"nothing wrapped at 1100 px: {lines}"
    assert mid_word_breaks(lines) == [], f"the feedback page breaks a check row mid-word: {lines}"
    # Under the template's own rule (break-all) the same row does break mid-word: the check can fail.
    output.locator("pre").first.evaluate("pre => { pre.style.wordBreak = 'break-all'; pre.style.overflowWrap = 'normal'; }")
    assert mid_word_breaks(visual_lines(output)) != []
    page.close()


def test_check_rows_wrap_between_words_at_1100px(lab):
    """JupyterLab breaks text outputs anywhere; the students' lab (lab-config/custom.css, served by
    backprop_course.lab_style) wraps a check row and its failure line between words."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CHECK_ROWS_CELL)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}})
    path = "lessons/check_rows.ipynb"
    put_notebook(lab, path, nb)
    page, errors = open_notebook(lab, path)
    narrow_with_file_browser(page, 1100)
    click_run_all(page, path)
    outputs = page.locator(f"{PANEL} .jp-OutputArea-output:has(pre)")
    wait_until(lambda: outputs.count() == 2, f"{outputs.count()} text outputs, expected the rows and the failure")
    rows, failure = outputs.nth(0), outputs.nth(1)
    assert "WRONG" in rows.text_content() and "check failed" in failure.text_content()
    for output in (rows, failure):
        assert output.locator("pre").first.evaluate("pre => getComputedStyle(pre).wordBreak") == "normal"
        lines = visual_lines(output)
        assert len(lines) > output.text_content().count("\n") + 1, f"nothing wrapped at 1100 px: {lines}"
        assert mid_word_breaks(lines) == [], f"a check row breaks mid-word: {lines}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    rows.screenshot(path=str(ARTIFACTS / "check-rows-1100.png"))
    # The same rows under JupyterLab's own rule (break-all) do break mid-word: the check can fail.
    rows.locator("pre").first.evaluate("pre => { pre.style.wordBreak = 'break-all'; pre.style.overflowWrap = 'normal'; }")
    assert mid_word_breaks(visual_lines(rows)) != []
    finish(lab, page, "check-rows", errors)
