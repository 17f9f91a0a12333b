# Course authors: this skeleton is generated from solutions/backprop_lib/data.py by `backprop-course build`: edit there, not here.
"""Seeded toy data sets, made on the spot (no downloads).

Binary sets return X (n, 2) float64 and y (n,) int of 0 (blue) / 1 (red); ``regression_1d``
returns X (n, 1) and y (n, 1); ``multiclass`` returns X (n, 2) and y (n,) in [0, classes).
The same seed always gives the same data.
"""

import numpy as np


def _labels_in_halves(n):
    return np.repeat([0, 1], [n - n // 2, n // 2])


def blobs(n=200, noise=0.6, rng=0):
    """Two Gaussian blobs, around (-1, -1) and (1, 1)."""
    rng = np.random.default_rng(rng)
    y = _labels_in_halves(n)
    X = rng.normal(0, noise, (n, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return X, y


def xor(n=200, noise=0.15, rng=0):
    """Points in the square [-1, 1]^2, red where x1 and x2 have the same sign."""
    rng = np.random.default_rng(rng)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    return X + rng.normal(0, noise * 0.3, X.shape), y


def moons(n=200, noise=0.1, rng=0):
    """Two interleaved half circles."""
    rng = np.random.default_rng(rng)
    y = _labels_in_halves(n)
    angle = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0,
                 np.c_[np.cos(angle), np.sin(angle)],
                 np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)])
    return X + rng.normal(0, noise, X.shape), y


def circles(n=200, noise=0.08, rng=0):
    """A red disc inside a blue ring."""
    rng = np.random.default_rng(rng)
    y = _labels_in_halves(n)
    radius = np.where(y == 1, 0.5, 1.0)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = radius[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    return X + rng.normal(0, noise, X.shape), y


def spirals(n=200, noise=0.05, rng=0):
    """Two interleaved spirals, the hardest of the binary sets."""
    rng = np.random.default_rng(rng)
    y = _labels_in_halves(n)
    t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
    angle = t + np.pi * y
    X = (t / (3 * np.pi))[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    return X + rng.normal(0, noise, X.shape), y


def regression_1d(n=100, noise=0.1, rng=0):
    """y = sin(3 x) + noise for x in [-1, 1]."""
    rng = np.random.default_rng(rng)
    X = np.sort(rng.uniform(-1, 1, (n, 1)), axis=0)
    return X, np.sin(3 * X) + rng.normal(0, noise, X.shape)


def multiclass(n=300, classes=3, noise=0.5, rng=0):
    """``classes`` Gaussian blobs placed on a circle."""
    rng = np.random.default_rng(rng)
    y = np.arange(n) % classes
    angle = 2 * np.pi * y / classes
    X = 2.0 * np.c_[np.cos(angle), np.sin(angle)] + rng.normal(0, noise, (n, 2))
    return X, y


BINARY = {"blobs": blobs, "xor": xor, "moons": moons, "circles": circles, "spirals": spirals}


def make(name, n=200, noise=None, rng=0):
    """A binary set by name (a key of BINARY), for the widgets' dataset control."""
    if name not in BINARY:
        raise ValueError(f"unknown data set {name!r}: choose one of {sorted(BINARY)}")
    kwargs = {} if noise is None else {"noise": noise}
    return BINARY[name](n, rng=rng, **kwargs)
