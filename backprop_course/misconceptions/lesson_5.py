"""Lesson 5 catalogue: MLP.forward and MLP.backward wiring, and counting parameters.

The lesson's checks run the MLP on stand-in layers (``Probe``, ``ProbeSine``), so the entries
take the layers as plain functions. Quantities and the inputs each needs:

- Task 1, "scores" (what MLP.forward returned): ``x``; ``forwards``, one function per layer in
  model order, x -> out (e.g. a fresh copy of each stand-in's ``forward``); ``is_activation``,
  one bool per layer (True for a layer without parameters). "forward-applies-output-activation"
  (a sigmoid or softmax of the expected scores) can only show on a model whose
  ``output_activation`` is not "identity", unless the student applies one unconditionally.
- Task 2, "dL/dx" (what MLP.backward returned): ``grad_out`` (dL/dscores); ``backwards``, one
  function per layer in model order, dL/d(out) -> dL/d(in) at the recorded forward pass (e.g.
  ``lambda g: g * scale`` for a Probe, ``lambda g: g * np.cos(recorded input)`` for a sine);
  ``is_activation``.
- Task 2, "backward order" (``Recording.backward_order``, layer indices as backward reached
  them): ``is_activation``.
- Task 3, "count_parameters": ``sizes``, [in, *hidden, out].

Stand-ins keep every layer's width, so the wrong orders run without shape errors; use at least
two layers with parameters and a nonlinear activation between them so the orders differ. The
stand-ins' backward passes are elementwise products, which commute: on them the order of the
backward pass does not change dL/dx, and "backward order" is what tells it (on square Linear
layers, e.g. MLP(3, (3, 3), 3), dL/dx tells it too).
"""

import numpy as np

from .entry import Misconception

T1, T2, T3 = (f"Lesson 5, task {k}" for k in (1, 2, 3))


def through(functions, value):
    """value passed through the functions in the order given."""
    for function in functions:
        value = function(value)
    return value


def row_softmax(scores):
    """softmax per row, shifted by each row's maximum (the scores of a check are moderate)."""
    e = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def with_parameters(functions, is_activation):
    return [function for function, activation in zip(functions, is_activation) if not activation]


TASK_1 = (
    Misconception(T1, "scores", "forward-reversed",
                  "forward runs the layers last to first: the input goes through self.layers in "
                  "list order",
                  lambda x, forwards, **_: through(forwards[::-1], x)),
    Misconception(T1, "scores", "forward-skips-activations",
                  "forward skips the activation layers: every layer in self.layers, activations "
                  "included, transforms the value in turn",
                  lambda x, forwards, is_activation, **_:
                      through(with_parameters(forwards, is_activation), x)),
    Misconception(T1, "scores", "forward-not-chained",
                  "forward gives every layer the original x: feed each layer the previous "
                  "layer's output (reassign the value in the loop)",
                  lambda x, forwards, **_: forwards[-1](x)),
    *(Misconception(T1, "scores", "forward-applies-output-activation",
                    "forward returns probabilities: it returns the raw scores (logits), which the loss "
                    "takes; the output activation belongs to predict_proba",
                    wrong)
      for wrong in (lambda expected, **_: 1 / (1 + np.exp(-np.asarray(expected, dtype=np.float64))),
                    lambda expected, **_: row_softmax(np.asarray(expected, dtype=np.float64)))),
    Misconception(T1, "scores", "forward-stops-early",
                  "forward returns before the last layer: run all of self.layers",
                  lambda x, forwards, **_: through(forwards[:-1], x)),
)

TASK_2 = (
    Misconception(T2, "dL/dx", "backward-forward-order",
                  "backward visits the layers first to last: the gradient flows from the loss "
                  "back, so go through the layers in reverse",
                  lambda grad_out, backwards, **_: through(backwards, grad_out)),
    Misconception(T2, "dL/dx", "backward-skips-activations",
                  "backward skips the activation layers: each activation multiplies the gradient "
                  "by its derivative, so call backward on every layer",
                  lambda grad_out, backwards, is_activation, **_:
                      through(with_parameters(backwards, is_activation)[::-1], grad_out)),
    Misconception(T2, "dL/dx", "backward-not-chained",
                  "backward gives every layer dL/dscores: feed each layer the gradient the layer "
                  "after it returned",
                  lambda grad_out, backwards, **_: backwards[0](grad_out)),
    Misconception(T2, "dL/dx", "backward-skips-first",
                  "backward returns the gradient arriving at the first layer: call the first "
                  "layer's backward too and return what it gives",
                  lambda grad_out, backwards, **_: through(backwards[:0:-1], grad_out)),
    *(Misconception(T2, "backward order", "backward-forward-order",
                    "backward visits the layers first to last: go through them in reverse",
                    wrong)
      for wrong in (lambda is_activation, **_: np.arange(len(is_activation)),
                    # reversed() dropped from the loop over self.layers[1:], the first layer last as given
                    lambda is_activation, **_: np.roll(np.arange(len(is_activation)), -1))),
    Misconception(T2, "backward order", "backward-skips-activations",
                  "backward skips the activation layers: call backward on every layer, last to first",
                  lambda is_activation, **_: np.flatnonzero(~np.asarray(is_activation, bool))[::-1]),
)

TASK_3 = (
    Misconception(T3, "count_parameters", "count-without-biases",
                  "the count leaves out the biases: each layer has n_out of them besides its "
                  "n_in n_out weights",
                  lambda sizes, **_: sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))),
    Misconception(T3, "count_parameters", "count-bias-per-input",
                  "the count gives each layer n_in biases: a bias belongs to each output unit, "
                  "so a layer has n_out of them",
                  lambda sizes, **_: sum(a * (b + 1) for a, b in zip(sizes[:-1], sizes[1:]))),
    Misconception(T3, "count_parameters", "count-bias-per-unit",
                  "the count gives every unit a bias, inputs included: the inputs have none, "
                  "only each layer's outputs",
                  lambda sizes, **_: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)),
)

ENTRIES = TASK_1 + TASK_2 + TASK_3
