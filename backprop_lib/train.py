# Course authors: this skeleton is generated from solutions/backprop_lib/train.py by `backprop-course build`: edit there, not here.
"""The training loop: forward, loss, backward, update, over full batches or shuffled minibatches."""

import warnings
from dataclasses import dataclass, field

import numpy as np

from .losses import LOSS_FOR_OUTPUT
from .optim import SGD


@dataclass
class Step:
    """What one training step saw: handed to ``fit``'s callback and yielded by ``train_steps``."""

    step: int          # 1 for the first update
    epoch: int         # 1 for the first pass over the data
    loss: float        # the minibatch loss before this update
    model: object


@dataclass
class History:
    """Per-step minibatch losses and per-epoch mean losses of one ``fit`` call.

    diverged is the step at which the loss stopped being finite (training stopped there), or None.
    """

    step_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    diverged: int = None


def train_steps(model, X, y, loss=None, optimizer=None, lr=0.1, batch_size=None, rng=0):
    """Yield a ``Step`` after every update, forever: the caller decides when to stop.

    Shapes: X (N, in_features); y as the loss expects. batch_size None (or >= N) means full-batch
    gradient descent; otherwise each epoch visits the samples once in a fresh random order.
    loss defaults to the one that pairs with the model's output activation.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}: give one target per sample")
    loss = loss or LOSS_FOR_OUTPUT[model.output_activation]()
    optimizer = optimizer or SGD(model, lr)
    rng = np.random.default_rng(rng)
    n = len(X)
    batch_size = n if batch_size is None else min(int(batch_size), n)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    step = 0
    for epoch in range(1, 2**62):
        order = np.arange(n) if batch_size == n else rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            xb, yb = (X, y) if batch_size == n else (X[batch], y[batch])
            value = loss.forward(model.forward(xb), yb)
            model.backward(loss.backward(), input_grad=False)
            optimizer.step()
            step += 1
            yield Step(step, epoch, value, model)


def fit(model, X, y, loss=None, lr=0.1, epochs=100, batch_size=None, momentum=0.0, rng=0,
        callback=None):
    """Train ``model`` for ``epochs`` passes over (X, y) and return its ``History``.

    callback(step: Step) runs after every update; returning False stops training early (the
    widgets animate through it). A loss that becomes inf or nan stops training: the history
    records where (``diverged``) and a warning suggests a smaller learning rate.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    history = History()
    steps_per_epoch = -(-len(X) // (batch_size or len(X)))
    epoch_sum = 0.0
    optimizer = SGD(model, lr, momentum)
    # A diverging run overflows on its way to inf; the warning below says so once, plainly.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in train_steps(model, X, y, loss, optimizer, batch_size=batch_size, rng=rng):
            history.step_loss.append(step.loss)
            if not np.isfinite(step.loss):
                history.diverged = step.step
                warnings.warn(f"training diverged: the loss became {step.loss} at step {step.step}; "
                              f"lr={lr} is too large, try lr={lr / 10:g}", RuntimeWarning, stacklevel=2)
                break
            epoch_sum += step.loss
            if step.step % steps_per_epoch == 0:
                history.epoch_loss.append(epoch_sum / steps_per_epoch)
                epoch_sum = 0.0
            if callback is not None and callback(step) is False:
                break
            if step.step == epochs * steps_per_epoch:
                break
    return history
