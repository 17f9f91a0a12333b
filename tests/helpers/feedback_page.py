"""A feedback page as nbgrader's GenerateFeedback renders it with the course's exporter, for a
notebook whose one code cell printed ``text``."""

import nbformat


def feedback_page(text):
    from nbgrader.converters import GenerateFeedback

    from backprop_course.autograder.feedback_html import FeedbackHTMLExporter

    output = nbformat.v4.new_output("stream", name="stdout", text=text)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check()", outputs=[output])])
    # GenerateFeedback's own config: its feedback template, bootstrap's CSS and all
    exporter = FeedbackHTMLExporter(config=GenerateFeedback().config)
    html, _ = exporter.from_notebook_node(nb, resources={"nbgrader": {
        "notebook": "check", "score": 0, "max_score": 2, "late_penalty": 0}})
    return html
