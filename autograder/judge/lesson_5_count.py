"""The judge of lesson 5, task 3: ``count_parameters(sizes)`` against the reference MLP's own
count of its weights and biases, exactly (``backprop_course.tasks.lesson_5`` records the counts)."""

from backprop_course.tasks.lesson_5 import count_cases

from .reference import reference


def count(check, case, sizes, seen):
    expected = reference("mlp").MLP(sizes[0], tuple(sizes[1:-1]), sizes[-1]).num_parameters()
    check.close(f"count_parameters {case}", seen["count"], expected, bar=0, inputs={"sizes": list(sizes)})


CASES = count_cases
JUDGES = {"Lesson 5, task 3": count}
