"""Speed of the reference library (solutions/backprop_lib) against torch and scikit-learn.

Prints a markdown table of time ratios (issue 2's speed goals):
- one SGD step of a 784-256-256-10 ReLU MLP, batch 128, softmax cross-entropy, float64 and float32;
- one full-batch SGD step of a 2-16-16-1 ReLU MLP on 200 points with log loss;
- gradient checks: full central differences of 2-16-16-1, directional check of 784-64-10.

Method: the contenders of a row run in interleaved rounds (a, b, c, a, b, c, ...), each round timing
enough back-to-back steps to last ~20 ms with the garbage collector off (as timeit does). A ratio is
taken within each round, so drifts of the machine's speed cancel; the table shows the median ratio
and, in brackets, its spread (25th-75th percentile over the rounds). BLAS runs on one thread
(threadpoolctl, torch.set_num_threads(1)) and the kernel OpenBLAS chose is printed.

OPENBLAS_CORETYPE: some machines set it in the environment (e.g. Haswell on an AVX-512 CPU), which
makes numpy's matmuls slower than the kernel OpenBLAS would pick itself (measured: 25-45% on one
machine, about 2x for this float64 step on another). OpenBLAS reads it when
numpy loads, so this script removes it from its own environment before importing numpy; nothing
outside this process changes. Pass --keep-coretype to measure with it.

torch is optional (`pip install torch==2.13.0`; not a dependency of the course): without it the torch
columns are skipped with a message.

Run: .venv/bin/python bench/train_step.py [--rounds 15] [--keep-coretype]
"""

import os
import sys

if "--keep-coretype" not in sys.argv:
    REMOVED_CORETYPE = os.environ.pop("OPENBLAS_CORETYPE", None)  # before numpy loads OpenBLAS
else:
    REMOVED_CORETYPE = None

import argparse  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

# The reference library, not the installed student skeleton (which raises NotImplementedError).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "solutions"))
from backprop_lib import data  # noqa: E402
from backprop_course.gradcheck import check_model  # noqa: E402
from backprop_lib.losses import BCEWithLogitsLoss, SoftmaxCrossEntropyLoss  # noqa: E402
from backprop_lib.mlp import MLP  # noqa: E402
from backprop_lib.optim import SGD  # noqa: E402

# Imported before threadpool_limits so that every BLAS and OpenMP pool loaded is limited.
try:
    import torch
except ImportError as err:
    torch = None
    TORCH_MISSING = str(err)

LR = 0.01  # small enough that thousands of steps on random data stay finite


# ---- one training step per contender; each factory returns a no-argument step function --------

def ours(X, y, sizes, loss_class, dtype):
    model = MLP(sizes[0], sizes[1:-1], sizes[-1], rng=0, dtype=dtype)
    loss = loss_class()
    optimizer = SGD(model, LR)
    X = X.astype(dtype)

    def step():
        loss.forward(model.forward(X), y)
        model.backward(loss.backward(), input_grad=False)
        optimizer.step()
    return step


def torch_step(X, y, sizes, loss_name, dtype):
    torch.manual_seed(0)
    modules = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        modules += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    net = torch.nn.Sequential(*modules[:-1]).to(getattr(torch, np.dtype(dtype).name))
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    X = torch.from_numpy(X.astype(dtype))
    if loss_name == "softmax":
        target, loss = torch.from_numpy(y.astype(np.int64)), torch.nn.CrossEntropyLoss()
    else:
        target, loss = torch.from_numpy(y.astype(dtype).reshape(-1, 1)), torch.nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad()
        loss(net(X), target).backward()
        optimizer.step()
    return step


def sklearn_step(X, y, sizes, dtype):
    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], solver="sgd", learning_rate_init=LR,
                        batch_size=len(X), momentum=0.0, alpha=0.0, shuffle=False, random_state=0)
    X = X.astype(dtype)
    classes = np.unique(y)

    def step():
        clf.partial_fit(X, y, classes=classes)
    return step


# ---- timing ----------------------------------------------------------------------------------

def per_call(fn, calls):
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls
    finally:
        gc.enable()


def interleaved(contenders, rounds, target=0.02):
    """{name: array of seconds per call, one per round}, the contenders alternating within a round."""
    calls = {}
    for name, fn in contenders.items():
        fn()  # warm up: first-call allocations, lazy imports, BLAS buffers
        calls[name] = max(1, round(target / per_call(fn, 3)))
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(per_call(fn, calls[name]))
    return {name: np.array(t) for name, t in times.items()}


def ratio_cell(ours_times, other_times):
    r = ours_times / other_times
    low, mid, high = np.percentile(r, [25, 50, 75])
    return f"{mid:.2f}x ({low:.2f}-{high:.2f})"


def verdict(times, torch_max, sklearn_min):
    """The goal (ours at most torch_max x torch's time, sklearn_min x faster than sklearn) and whether met."""
    goal = [f"<= {torch_max}x torch"] + ([f">= {sklearn_min:g}x faster than sklearn"] if sklearn_min else [])
    met = np.median(times["sklearn"] / times["ours"]) >= sklearn_min if sklearn_min else True
    if "torch" in times:
        met = met and np.median(times["ours"] / times["torch"]) <= torch_max
        return ", ".join(goal), "met" if met else "MISSED"
    return ", ".join(goal), "torch part not measured"


def ms(times):
    return f"{np.median(times) * 1e3:.3g}"


# ---- the rows ------------------------------------------------------------------------------------

def step_rows(rounds):
    rng = np.random.default_rng(0)
    big_X = rng.standard_normal((128, 784))
    big_y = rng.integers(0, 10, 128)
    tiny_X, tiny_y = data.moons(200, rng=0)
    cases = [
        ("784-256-256-10, batch 128, softmax CE, float64", big_X, big_y, (784, 256, 256, 10),
         "softmax", np.float64, 1.2, None),
        ("784-256-256-10, batch 128, softmax CE, float32", big_X, big_y, (784, 256, 256, 10),
         "softmax", np.float32, 1.0, None),
        ("2-16-16-1, 200 points, log loss, float64", tiny_X, tiny_y, (2, 16, 16, 1),
         "sigmoid", np.float64, 0.5, 5.0),
    ]
    loss_classes = {"softmax": SoftmaxCrossEntropyLoss, "sigmoid": BCEWithLogitsLoss}
    rows = []
    for title, X, y, sizes, loss_name, dtype, torch_max, sklearn_min in cases:
        contenders = {"ours": ours(X, y, sizes, loss_classes[loss_name], dtype),
                      "sklearn": sklearn_step(X, y, sizes, dtype)}
        if torch is not None:
            contenders["torch"] = torch_step(X, y, sizes, loss_name, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning on partial_fit
            t = interleaved(contenders, rounds)
        rows.append([title, ms(t["ours"]),
                     ms(t["torch"]) if torch is not None else "-",
                     ms(t["sklearn"]),
                     ratio_cell(t["ours"], t["torch"]) if torch is not None else "skipped",
                     ratio_cell(t["sklearn"], t["ours"]),
                     *verdict(t, torch_max, sklearn_min)])
    return rows


def gradcheck_rows(rounds):
    tiny_X, tiny_y = data.moons(200, rng=0)
    tiny = MLP(2, (16, 16), 1, output_activation="sigmoid", rng=0)
    rng = np.random.default_rng(0)
    big_X, big_y = rng.standard_normal((32, 784)), rng.integers(0, 10, 32)
    big = MLP(784, (64,), 10, output_activation="softmax", rng=0)
    checks = {
        "full": lambda: check_model(tiny, tiny_X, tiny_y),
        "directional": lambda: check_model(big, big_X, big_y),
    }
    for check in checks.values():
        if not check().passed:
            raise SystemExit("a gradient check of the reference failed: fix that before timing it")
    t = interleaved(checks, max(3, rounds // 3), target=0.1)
    return [
        [f"check_model full differences, 2-16-16-1 ({tiny.num_parameters()} params), 200 points",
         ms(t["full"]), "-", "-", "-", "-", "-", "-"],
        [f"check_model 5 random directions + 1 per tensor, 784-64-10 ({big.num_parameters()} params),"
         " batch 32", ms(t["directional"]), "-", "-", "-", "-", "< 10 ms",
         "met" if np.median(t["directional"]) < 0.010 else "MISSED"],
    ]


def describe_machine():
    lines = [f"numpy {np.__version__}, scikit-learn {sys.modules['sklearn'].__version__}"]
    for pool in threadpool_info():
        kernel = f", kernel {pool['architecture']}" if pool.get("architecture") else ""
        owner = "numpy's BLAS" if "numpy" in pool["filepath"] else Path(pool["filepath"]).name
        version = f" {pool['version']}" if pool.get("version") else ""
        lines.append(f"{owner}: {pool['internal_api']}{version}{kernel}, {pool['num_threads']} thread(s)")
    if REMOVED_CORETYPE:
        lines.append(f"OPENBLAS_CORETYPE={REMOVED_CORETYPE} was set in the environment; removed for "
                     "this process (--keep-coretype keeps it)")
    if torch is None:
        lines.append(f"torch cannot be imported ({TORCH_MISSING}): torch columns skipped; "
                     "pip install torch==2.13.0 to compare")
    else:
        blas = "MKL" if torch.backends.mkl.is_available() else "its own BLAS"
        lines.append(f"torch {torch.__version__} with {blas}, {torch.get_num_threads()} thread(s)")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds per row (default 15)")
    parser.add_argument("--keep-coretype", action="store_true",
                        help="keep OPENBLAS_CORETYPE from the environment")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        rows = step_rows(args.rounds) + gradcheck_rows(args.rounds)
        machine = describe_machine()
    for line in machine:
        print(f"- {line}")
    print()
    header = ["case", "ours ms", "torch ms", "sklearn ms", "ours / torch time",
              "sklearn / ours time", "goal", "goal met?"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nmedian over {args.rounds} interleaved rounds; brackets: 25th-75th percentile of the "
          "per-round ratio.")


if __name__ == "__main__":
    main()
