"""TrainingAnimator's settings: their defaults, the choices its controls offer, and preset strings.

A preset "dataset=xor&hidden=8&lr=0.3&hide=dataset,seed" is a whole lecture state in one string.
The data sets and activations on offer are the drawn library's (a ``library.Library``).
"""

LEARNING_RATES = [0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
BATCH_SIZES = ["full", 1, 10, 32]
DEFAULTS = {"dataset": "moons", "n": 200, "noise": None, "hidden": (16, 16), "activation": "tanh",
            "lr": 0.1, "batch": "full", "seed": 0, "speed": 1, "steps": 0, "hide": ()}
CONTROLS = ("play", "step", "reset", "dataset", "activation", "hidden", "lr", "batch", "seed", "speed")


def parse_hidden(text):
    """Hidden layer sizes as typed ("16,16", "(16, 16)", "" or "none" for none) -> (16, 16)."""
    text = str(text).strip()
    if text in ("", "()", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.replace(" ", "").strip("()").split(",") if part)
    except ValueError:
        raise ValueError(f"hidden sizes {text!r} are not integers: write them like 16,16") from None
    if any(size < 1 for size in sizes):
        raise ValueError(f"hidden sizes must be positive, got {text!r}")
    return sizes


def parse_preset(preset):
    """A preset string "key=value&key=value" (an optional leading "#") -> settings dict.

    Keys: dataset, n, noise, hidden (16,16), activation, lr, batch (full or an int), seed,
    speed (updates per frame), steps (updates made before the first picture), hide (controls).
    """
    settings = {}
    for item in preset.lstrip("#").split("&"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"preset item {item!r} has no '=': write key=value, e.g. lr=0.3")
        if key not in DEFAULTS:
            raise ValueError(f"unknown preset key {key!r}: use one of {', '.join(DEFAULTS)}")
        try:
            if key == "hidden":
                value = parse_hidden(value)
            elif key == "hide":
                value = tuple(part for part in value.split(",") if part)
            elif key == "noise":
                value = None if value == "default" else float(value)
            elif key == "lr":
                value = float(value)
            elif key == "batch":
                value = "full" if value == "full" else int(value)
            elif key in ("n", "seed", "speed", "steps"):
                value = int(value)
        except ValueError as err:
            if "hidden sizes" in str(err):
                raise
            raise ValueError(f"preset value {item!r} is not a valid {key}") from None
        settings[key] = value
    return settings


def format_preset(settings):
    """Settings -> the preset string that restores them, defaults left out (``parse_preset``'s inverse)."""
    parts = []
    for key, default in DEFAULTS.items():
        value = settings[key]
        if value == default:
            continue
        if key in ("hidden", "hide"):
            value = ",".join(map(str, value))
        parts.append(f"{key}={'default' if value is None else value}")
    return "&".join(parts)


def datasets_of(library):
    """The data sets a TrainingAnimator offers: the library's two-class sets and a 1-D regression."""
    return [*library.data.BINARY, "regression"]


def check_settings(s, library):
    """Raise a one-line ValueError naming the first setting a TrainingAnimator on ``library`` cannot use."""
    names = datasets_of(library)
    if s["dataset"] not in names:
        raise ValueError(f"unknown dataset {s['dataset']!r}: choose one of {', '.join(names)}")
    activations = library.layers.ACTIVATION_LAYERS
    if s["activation"] not in activations:
        raise ValueError(f"unknown activation {s['activation']!r}: choose one of {sorted(activations)}")
    if not s["lr"] > 0:
        raise ValueError(f"learning rate must be positive, got lr={s['lr']!r}")
    if s["batch"] != "full" and s["batch"] < 1:
        raise ValueError(f"batch must be 'full' or a positive size, got {s['batch']!r}")
    if s["n"] < 2 or s["speed"] < 1 or s["steps"] < 0:
        raise ValueError("n must be at least 2, speed at least 1 and steps at least 0")
    unknown = [name for name in s["hide"] if name not in CONTROLS]
    if unknown:
        raise ValueError(f"cannot hide {unknown[0]!r}: the controls are {', '.join(CONTROLS)}")
