"""Frames per second of the lecture widgets (issue 6's frame budget: 50 ms per frame).

One TrainingAnimator frame = one SGD update of a 2-16-16-1 tanh MLP on 200 points (train_steps) plus
the redraw (decision boundary on a 64x64 grid encoded as PNG, 200 points and the loss curve as SVG).
The table splits the frame into its update and its redraw, and adds one GraphWalkthrough step
(recompute nothing, redraw the graph) for the slide network and a 2-8-8-8-1 MLP.

Method: each row times enough back-to-back calls to last ~50 ms, repeated over rounds; the table gives
the median time per call, frames per second, and the ratio to the 50 ms budget (below 1 = within). BLAS
runs on one thread. Not counted: sending the picture to the browser (its size is printed) and drawing it.

Run: .venv/bin/python bench/frames.py [--rounds 15]
"""

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

# The reference library, not the installed student skeleton (which raises NotImplementedError).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "solutions"))
import backprop_lib as reference  # noqa: E402
from backprop_lib import data  # noqa: E402
from backprop_lib.mlp import MLP  # noqa: E402
from backprop_course.viz import GraphWalkthrough, TrainingAnimator  # noqa: E402

BUDGET = 0.050


def per_call(action, rounds):
    """Median seconds per call of ``action`` over ``rounds`` rounds of ~50 ms each."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            action()
        if time.perf_counter() - start > 0.05:
            break
        calls *= 2
    times = []
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(calls):
                action()
            times.append((time.perf_counter() - start) / calls)
    finally:
        gc.enable()
    return float(np.median(times))


def walk_step(walk):
    """A walkthrough step that never runs out: forward, backward, update, forward, ..."""
    def step():
        walk.next()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    anim = TrainingAnimator(preset="dataset=moons&n=200&hidden=16,16&activation=tanh&lr=0.1", library=reference)
    anim.step(1)
    X, y = data.moons(200, rng=0)
    rows = [
        ("TrainingAnimator frame: update + redraw (2-16-16-1, 200 points)", lambda: anim.step(1)),
        ("  of which the update (train_steps)", lambda: next(anim._steps)),
        ("  of which the redraw", anim._draw),
        ("GraphWalkthrough step: slide network 1-2-2-1", walk_step(GraphWalkthrough.slide_network(library=reference))),
        ("GraphWalkthrough step: MLP 2-8-8-8-1 unit by unit",
         walk_step(GraphWalkthrough.from_mlp(MLP(2, (8, 8, 8), 1, "tanh", "sigmoid", rng=0), X[0], y[0]))),
    ]
    with threadpool_limits(1):
        print(f"| {'frame':<66} | ms/frame | frames/s | / 50 ms budget |")
        print(f"|{'-' * 68}|---------:|---------:|---------------:|")
        for name, action in rows:
            seconds = per_call(action, args.rounds)
            print(f"| {name:<66} | {seconds * 1e3:8.2f} | {1 / seconds:8.0f} | {seconds / BUDGET:14.3f} |")
    print(f"\npicture sent to the browser per frame: {len(anim.image.value) / 1024:.0f} KiB of SVG")


if __name__ == "__main__":
    main()
