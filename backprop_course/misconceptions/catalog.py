"""The whole catalogue: every lesson's entries, and lookup by task and quantity."""

from . import lesson_1, lesson_2, lesson_3, lesson_4, lesson_5, lesson_6

CATALOG = (lesson_1.ENTRIES + lesson_2.ENTRIES + lesson_3.ENTRIES + lesson_4.ENTRIES
           + lesson_5.ENTRIES + lesson_6.ENTRIES)

# Every task of lessons 1-6, in course order.
TASKS = tuple(f"Lesson {lesson}, task {k}"
              for lesson, count in ((1, 4), (2, 3), (3, 3), (4, 3), (5, 3), (6, 1))
              for k in range(1, count + 1))


def task_label(label):
    """The task a check label names: "Lesson 2, task 1 (graded)" and "Lesson 2, task 2: by hand"
    -> "Lesson 2, task 1" and "Lesson 2, task 2"."""
    return label.split(" (")[0].split(":")[0].strip()


def entries_for(task, quantity=None):
    """The entries of a task (a check label is fine), of one quantity if given, in catalogue order."""
    task = task_label(task)
    return [entry for entry in CATALOG
            if entry.task == task and (quantity is None or entry.quantity == quantity)]
