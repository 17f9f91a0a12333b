"""The feedback page students get, the same from ``backprop-course feedback``, plain ``nbgrader
generate_feedback`` and formgrader's Generate Feedback button: the course's nbgrader_config.py
names ``FeedbackHTMLExporter`` as ``c.GenerateFeedback.exporter_class``.

nbgrader's feedback template prints a written answer nobody has graded yet as "Score: 0.0 / 2.0"
(its gradebook counts it as 0); here it reads "to be graded by hand", and the title says how many
answers still wait. Its page never wraps a text output (``white-space: pre``: a check row ran off to
the side, 7820 px wide in an 846 px column) and bootstrap's ``pre {word-break: break-all}`` would
break it mid-word; here text outputs wrap between words, as in the students' lab.
"""

import re

from nbconvert.exporters import HTMLExporter


def pending_grade_ids(submitted_notebook):
    """Grade ids of a gradebook SubmittedNotebook's cells the gradebook flags for hand grading
    (``needs_manual_grade``, the flag formgrader shows): written answers no one has graded yet
    (nbgrader counts them as 0), and hand grades to review after a changed submission was graded
    again. An unanswered written answer is scored 0 automatically and waits for nobody."""
    return sorted(grade.name for grade in submitted_notebook.grades if grade.needs_manual_grade)


def mark_pending(text, pending):
    """The feedback HTML ``text`` with the scores nbgrader's template prints for the ``pending``
    grade ids (its table of contents and each cell's heading) as "to be graded by hand", and the
    count in the title."""
    if not pending:
        return text
    for grade_id in pending:
        name = re.escape(grade_id)
        toc = rf'(<a href="#{name}">[^<]*</a> \(Score: )[\d.]+ / ([\d.]+)\)'
        text = re.sub(toc, r"\1to be graded by hand, \2 points)", text)
        # From the cell's anchor to its score, never past the next cell's anchor.
        heading = rf'(<a name="{name}"></a>(?:(?!<a name=).)*?Score: )[\d.]+ / ([\d.]+)'
        text = re.sub(heading, r"\1to be graded by hand (\2 points)", text, count=1, flags=re.S)
    answers = f"{len(pending)} written answer{'s' if len(pending) > 1 else ''}"
    return re.sub(r"(\(Score: [\d.]+ / [\d.]+)\)</h4>", rf"\1; {answers} still to be graded by hand)</h4>",
                  text, count=1)


# After the template's own styles, so it wins over bootstrap's rule; a word longer than the line
# still breaks (overflow-wrap: anywhere).
WRAP_BETWEEN_WORDS = ("<style>div.output_area pre { white-space: pre-wrap; word-break: normal; "
                      "overflow-wrap: anywhere; }</style>\n")


def wrap_between_words(text):
    """The feedback HTML ``text`` with its text outputs wrapping between words."""
    return text.replace("</head>", WRAP_BETWEEN_WORDS + "</head>", 1)


class FeedbackHTMLExporter(HTMLExporter):
    """nbgrader's feedback HTML (its template and preprocessors, as configured), with unmarked
    written answers shown as "to be graded by hand" (read from the gradebook nbgrader names in
    ``resources["nbgrader"]``) and text outputs that wrap between words."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        output = wrap_between_words(output)
        info = (resources or {}).get("nbgrader", {})
        if not {"db_url", "notebook", "assignment", "student"} <= set(info):
            return output, resources
        from nbgrader.api import Gradebook

        with Gradebook(info["db_url"]) as gb:
            submitted = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
            pending = pending_grade_ids(submitted)
        return mark_pending(output, pending), resources
