"""Lesson 2 catalogue: the Linear layer.

Quantities and the inputs each needs (x (N, in), W (in, out), b (out,), grad_out (N, out)):

- Task 1, "out" (forward): ``x``, ``W``, ``b``.
- Task 2, "dL/dW" and "dL/db" (param_backward): ``x`` (the cache), ``grad_out``; ``calls``, the
  number of param_backward calls made before the grads were read (2 for "after a second call";
  leave it out, or pass 1, for a first call).
- Task 3, "dL/dx" (backward): ``W``, ``grad_out``. "dx-without-transpose" applies only when W is
  square, "dx-elementwise" only where grad_out * W broadcasts (a batch of 1, or N = in for a
  square W); otherwise the student's product raises a shape error instead.

Choose N >= 2 and in != out, so that a mean, a sum and a transpose all differ.
"""

import numpy as np

from .entry import Misconception

T1, T2, T3 = (f"Lesson 2, task {k}" for k in (1, 2, 3))


def rows(x):
    return np.asarray(x, dtype=np.float64).shape[0]


def accumulated(quantity):
    """After ``calls`` calls, grads that were added to hold calls times the expected value."""
    return Misconception(T2, quantity, "grads-accumulated",
                         f"{quantity} grows with every call: grads are accumulated (+=) across calls; "
                         "assign them (=) so that each backward pass starts fresh",
                         lambda calls, expected, **_: calls * np.asarray(expected, dtype=np.float64))


TASK_1 = (
    Misconception(T1, "out", "forward-without-bias",
                  "out lacks the bias: Linear computes x @ W and then adds b to every row",
                  lambda x, W, **_: np.matmul(x, W)),
    Misconception(T1, "out", "forward-bias-subtracted",
                  "out subtracts the bias: the bias is added to x @ W",
                  lambda x, W, b, **_: np.matmul(x, W) - b),
    Misconception(T1, "out", "forward-with-activation",
                  "out has a ReLU applied: Linear is affine only, the activation is its own layer",
                  lambda x, W, b, **_: np.maximum(np.matmul(x, W) + b, 0)),
    Misconception(T1, "out", "forward-bias-summed",
                  "out adds the sum of the bias to every entry: add b itself, one entry per output column",
                  lambda x, W, b, **_: np.matmul(x, W) + np.sum(b)),
)

TASK_2 = (
    Misconception(T2, "dL/db", "db-mean",
                  "dL/db equals the mean of grad_out over the batch: the bias is used by every "
                  "sample, so its gradient is the sum",
                  lambda grad_out, **_: np.mean(grad_out, axis=0)),
    Misconception(T2, "dL/db", "db-sum-all",
                  "dL/db is one number, the sum of all of grad_out: sum over the batch only "
                  "(axis 0), one entry per output",
                  lambda grad_out, **_: np.sum(grad_out)),
    Misconception(T2, "dL/db", "db-wrong-axis",
                  "dL/db sums grad_out over the outputs (axis 1): sum over the samples, axis 0",
                  lambda grad_out, **_: np.sum(grad_out, axis=1)),
    accumulated("dL/db"),
    Misconception(T2, "dL/dW", "dW-divided-by-N",
                  "dL/dW is divided by N: the loss already averages over the batch (its gradient "
                  "carries the 1/N), so dL/dW is the plain sum over the batch",
                  lambda x, grad_out, **_: np.einsum("ni,no->io", x, grad_out) / rows(x)),
    Misconception(T2, "dL/dW", "dW-transposed",
                  "dL/dW is transposed, grad_out.T @ x: it must have W's shape (in, out)",
                  lambda x, grad_out, **_: np.einsum("no,ni->oi", grad_out, x)),
    accumulated("dL/dW"),
    Misconception(T2, "dL/dW", "dW-sums-before-product",
                  "dL/dW multiplies the batch sums of x and grad_out: the batch sum comes after the "
                  "product, dL/dW = sum over samples of x_n^T g_n = x.T @ grad_out",
                  lambda x, grad_out, **_: np.outer(np.sum(x, axis=0), np.sum(grad_out, axis=0))),
)

TASK_3 = (
    Misconception(T3, "dL/dx", "dx-without-transpose",
                  "dL/dx multiplies grad_out by W as it is: grad_out has one column per output, so it "
                  "needs W transposed (out, in)",
                  lambda W, grad_out, **_: np.einsum("no,oi->ni", grad_out, W)),
    Misconception(T3, "dL/dx", "dx-transposed",
                  "dL/dx is transposed (W @ grad_out.T): it must have x's shape (N, in)",
                  lambda W, grad_out, **_: np.einsum("io,no->in", W, grad_out)),
    Misconception(T3, "dL/dx", "dx-divided-by-N",
                  "dL/dx is divided by N: each sample's input gradient stands alone, the loss has "
                  "already averaged",
                  lambda W, grad_out, **_: np.einsum("no,io->ni", grad_out, W) / rows(grad_out)),
    Misconception(T3, "dL/dx", "dx-elementwise",
                  "dL/dx multiplies grad_out and W entry by entry (*): it is the matrix product "
                  "grad_out @ W.T, shape (N, in)",
                  lambda W, grad_out, **_: np.multiply(grad_out, W)),
)

ENTRIES = TASK_1 + TASK_2 + TASK_3
