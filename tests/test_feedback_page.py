"""The feedback page's text outputs wrap between words (``feedback_html.wrap_between_words``);
tests/test_browser.py measures the wrapping in Chromium."""

from backprop_course.autograder.feedback_html import WRAP_BETWEEN_WORDS
from helpers.feedback_page import feedback_page

ROW = "WRONG  dL/dh1 = -3 leaves out the path through h4: the gradient is the sum over both paths"


def test_the_page_overrides_the_template_s_break_anywhere_rule_after_it():
    html = feedback_page(ROW)
    assert "word-break:break-all" in html  # bootstrap's rule, which breaks check rows mid-word
    assert html.index(WRAP_BETWEEN_WORDS) > html.rindex("word-break:break-all")
    assert html.index(WRAP_BETWEEN_WORDS) < html.index("</head>") < html.index(ROW)
