"""The leak check of the end-to-end attack tests (``helpers.attack_grading``) finds an expected value
a feedback page shows, and only where the submission did not write it itself."""

import base64

import numpy as np
import pytest

from helpers.attack_grading import GradedClass, check_feedback_shows_no_expected_value
from helpers.expected_texts import shown_forms

EXPECTED = np.array([0.123456, -2.5, 7.0])


def graded_with(tmp_path, page, notebook=""):
    """A GradedClass whose one wrong student handed in ``notebook`` and got the feedback ``page``."""
    course = tmp_path / "course"
    (course / "submitted" / "zeros" / "lesson").mkdir(parents=True)
    (course / "submitted" / "zeros" / "lesson" / "lesson.ipynb").write_text(notebook)
    page_path = course / "feedback" / "zeros" / "lesson" / "lesson.html"
    page_path.parent.mkdir(parents=True)
    page_path.write_text(page)
    return GradedClass({}, [page_path], "none", course)


@pytest.mark.parametrize("page", ["<pre>expected 0.1235</pre>", "<pre>got -2.5</pre>",
                                  "<img src='data:x;base64," + base64.b64encode(EXPECTED.tobytes()).decode() + "'>"])
def test_an_expected_value_shown_fails(tmp_path, page):
    with pytest.raises(AssertionError):
        check_feedback_shows_no_expected_value(graded_with(tmp_path, page), *shown_forms([EXPECTED]))


@pytest.mark.parametrize("page, notebook", [
    ("<style>td { padding: 0.1235em }</style><pre>got 0.0</pre>", ""),  # the page's style sheet
    ("<pre><span>-</span>0.123456</pre>", '{"source": "w = -0.123456"}'),  # the student's own number, highlighted
])
def test_numbers_of_the_style_sheet_or_the_submission_pass(tmp_path, page, notebook):
    check_feedback_shows_no_expected_value(graded_with(tmp_path, page, notebook), *shown_forms([EXPECTED]))
