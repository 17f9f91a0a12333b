"""TrainingAnimator: gradient descent animated on a toy data set, driven by a preset string."""

import ipywidgets as widgets
import numpy as np

from .display import StaticHTML, control_row, message_html, picture_box, todo_message
from .library import choose
from .presets import (BATCH_SIZES, DEFAULTS, LEARNING_RATES, check_settings, datasets_of, format_preset,
                      parse_hidden, parse_preset)
from .training_svg import TrainingPicture


class TrainingAnimator(StaticHTML, widgets.VBox):
    """Gradient descent animated: the red/blue decision boundary (or a 1-D fit) beside the loss curve.

    ``TrainingAnimator(preset="dataset=xor&hidden=8&lr=0.3&hide=dataset,seed")`` restores a whole
    lecture state (see ``parse_preset``); keyword arguments override the preset. ``.preset`` is the
    current state as such a string, including how many steps were trained, so it reproduces the
    picture exactly.

    Each Play tick makes ``speed`` updates with ``train_steps`` and redraws once. ``library``: the
    library package whose data, MLP, SGD and ``train_steps`` it runs (``import backprop_lib``, then
    ``library=backprop_lib``); by default the one ``backprop_course.lesson.start`` chose.
    """

    def __init__(self, preset="", library=None, **settings):
        super().__init__()
        self.library = lib = choose(library)
        self.settings = {**DEFAULTS, **parse_preset(preset), **settings}
        hidden = self.settings["hidden"]
        self.settings["hidden"] = parse_hidden(hidden if isinstance(hidden, str) else ",".join(map(str, hidden)))
        self.settings["hide"] = tuple(self.settings["hide"])
        check_settings(self.settings, lib)
        s = self.settings
        self.image = picture_box()
        self.status = widgets.HTML()
        self.controls = {
            # Play's buttons are icons: its tooltip says what they do (shown only without a description).
            "play": widgets.Play(value=0, min=0, max=10**9, interval=60, show_repeat=False,
                                 tooltip="play: train step after step; pause; stop"),
            "step": widgets.Button(description="step", layout=widgets.Layout(width="auto")),
            "reset": widgets.Button(description="reset", layout=widgets.Layout(width="auto")),
            "dataset": widgets.Dropdown(options=datasets_of(lib), value=s["dataset"], description="data",
                                        layout=widgets.Layout(width="190px")),
            "activation": widgets.Dropdown(options=sorted(lib.layers.ACTIVATION_LAYERS), value=s["activation"],
                                           description="activation", layout=widgets.Layout(width="190px")),
            "hidden": widgets.Text(value=",".join(map(str, s["hidden"])), description="hidden",
                                   continuous_update=False, layout=widgets.Layout(width="190px")),
            "lr": widgets.Dropdown(options=sorted({*LEARNING_RATES, s["lr"]}), value=s["lr"],
                                   description="lr", layout=widgets.Layout(width="190px")),
            "batch": widgets.Dropdown(options=BATCH_SIZES if s["batch"] in BATCH_SIZES
                                      else [*BATCH_SIZES, s["batch"]], value=s["batch"],
                                      description="batch", layout=widgets.Layout(width="190px")),
            "seed": widgets.BoundedIntText(value=s["seed"], min=0, max=2**31 - 1, description="seed",
                                           layout=widgets.Layout(width="190px")),
            "speed": widgets.IntSlider(value=s["speed"], min=1, max=50, description="steps/frame",
                                       layout=widgets.Layout(width="280px")),
        }
        for name in s["hide"]:
            self.controls[name].layout.display = "none"
        c = self.controls
        c["play"].observe(self._on_tick, "value")
        c["step"].on_click(lambda _: self.step(1))
        c["reset"].on_click(lambda _: self.restart())
        for name in ("dataset", "activation", "hidden", "batch", "seed", "speed", "lr"):
            c[name].observe(lambda change, name=name: self._on_setting(name, change.new), "value")
        self.children = [control_row([c["play"], c["step"], c["reset"], c["speed"]]),
                         control_row([c["dataset"], c["activation"], c["hidden"]]),
                         control_row([c["lr"], c["batch"], c["seed"]]),
                         self.image, self.status]
        self.pictured = (self.image, self.status)
        self.restart(steps=s["steps"])

    # ---- state ------------------------------------------------------------------------------

    @property
    def preset(self):
        """The current state as a preset string (defaults left out), including the steps trained."""
        return format_preset({**self.settings, "steps": self.step_count})

    def restart(self, steps=0):
        """New data and a new model from the current settings, then ``steps`` updates."""
        s = self.settings
        self.controls["play"].playing = False
        if s["dataset"] == "regression":
            noise = {} if s["noise"] is None else {"noise": s["noise"]}
            self.X, self.y = self.library.data.regression_1d(s["n"], rng=s["seed"], **noise)
            out = "identity"
        else:
            self.X, self.y = self.library.data.make(s["dataset"], s["n"], s["noise"], rng=s["seed"])
            out = "sigmoid"
        self.model = self.library.mlp.MLP(self.X.shape[1], s["hidden"], 1, s["activation"], out, rng=s["seed"])
        self.optimizer = self.library.optim.SGD(self.model, s["lr"])
        self._steps = None
        self.losses = []
        self.step_count = 0
        self.diverged = None
        self.todo = None
        self.picture = TrainingPicture(self.X, self.y, regression=s["dataset"] == "regression")
        self.step(steps)

    def step(self, count=1):
        """Make ``count`` gradient-descent updates (none after a divergence), then redraw once."""
        for _ in range(count):
            if self.diverged is not None:
                break
            try:
                if self._steps is None:
                    batch = None if self.settings["batch"] == "full" else self.settings["batch"]
                    self._steps = self.library.train.train_steps(self.model, self.X, self.y,
                                                                 optimizer=self.optimizer, batch_size=batch,
                                                                 rng=self.settings["seed"])
                # A too-large learning rate overflows on its way to inf; the status line says so.
                with np.errstate(all="ignore"):
                    loss = next(self._steps).loss
            except Exception as err:  # a stub or a bug in a student part: say which, never raise
                self._steps = None  # a generator that raised is finished: start anew once fixed
                self.todo = todo_message(err, "train the network")
                self.controls["play"].playing = False
                break
            self.todo = None
            self.step_count += 1
            self.losses.append(loss)
            if not np.isfinite(loss):
                self.diverged = self.step_count
                self.controls["play"].playing = False
        self._draw()

    # ---- drawing ----------------------------------------------------------------------------

    @property
    def svg(self):
        """Both panels as one SVG string; a model that cannot be drawn sets the todo line."""
        svg, todo = self.picture.svg(self.model, self.losses)
        self.todo = self.todo or todo
        return svg

    @property
    def message(self):
        if self.todo:
            return self.todo
        if self.diverged is not None:
            lr = self.settings["lr"]
            return (f"diverged at step {self.diverged}: the loss became {self.losses[-1]}; lr={lr:g} is "
                    f"too large, try lr={lr / 10:g} and press reset")
        if not self.losses:
            return "press play or step to train"
        return f"step {self.step_count}, loss {self.losses[-1]:.4f}"

    def _draw(self):
        self.image.value = self.svg
        self.status.value = message_html(self.message, "todo" if self.todo else "info")
        self.publish_picture()

    # ---- controls ---------------------------------------------------------------------------

    def _on_tick(self, change):
        if change.new > change.old:
            self.step(self.settings["speed"])

    def _on_setting(self, name, value):
        if name == "hidden":
            try:
                value = parse_hidden(value)
            except ValueError as err:
                self.status.value = message_html(str(err), "todo")
                self.publish_picture()
                return
        self.settings[name] = value
        if name == "lr":
            # The optimizer reads lr at each step: training goes on at the new rate.
            self.optimizer.lr = value
        elif name != "speed":
            self.restart()

