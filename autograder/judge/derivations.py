"""The judge of the derivations answered by hand in lessons 2 and 3 ("Lesson 2, task 2: by hand",
...): the numbers the student typed, as the kernel recorded them (``tasks.hand_answers.record``),
against the reference library's values on the same small case. Lesson 2: the gradients of the
example layer on one sample; lesson 3: an activation's slope at given outputs. Bar: 1e-3 relative
(answers to 3 significant digits)."""

from backprop_course.tasks import hand_answers, lesson_2, lesson_3

from .reference import reference


def _one_sample():
    """The reference Linear's {"dL_dW", "dL_db", "dL_dx"} on lesson 2's one sample."""
    layer = lesson_2.small_layer(reference("layers").Linear, cache=lesson_2.X_ONE)
    dx = layer.backward(lesson_2.GRAD_ONE.copy())
    return {"dL_dW": layer.grads["W"], "dL_db": layer.grads["b"], "dL_dx": dx}


def _lesson_2(label):
    def judge_case(check, case, seen):
        truth = _one_sample()
        for name, quantity in lesson_2.HAND[label].items():
            check.close(f"{quantity} for one sample", seen[name], truth[name], bar=hand_answers.BAR,
                        inputs=lesson_2.ONE_SAMPLE, quantity=quantity)
    return judge_case


def _lesson_3(label):
    def judge_case(check, case, seen):
        name, activation = lesson_3.HAND[label]
        out = lesson_3.HAND_OUTPUTS[activation]
        truth = reference("layers").DERIVATIVES[activation](out.copy())
        check.close(f"{activation}'(x) at the given outputs", seen[name], truth, bar=hand_answers.BAR,
                    inputs={"out": out}, quantity=f"{activation}_derivative(out)")
    return judge_case


def CASES():
    return [(hand_answers.CASE,)]


JUDGES = {**{label: _lesson_2(label) for label in lesson_2.HAND},
          **{label: _lesson_3(label) for label in lesson_3.HAND}}
