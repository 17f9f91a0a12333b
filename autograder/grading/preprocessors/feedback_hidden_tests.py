"""Hidden tests cleared from feedback, without nbgrader's config warning."""

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import List


class FeedbackClearHiddenTests(ClearHiddenTests):
    """nbgrader's ClearHiddenTests for the feedback step. nbgrader redeclares nbconvert's
    ``display_data_priority`` as not configurable, so the HTML exporter's default config for it
    made every `generate_feedback` warn "Config option `display_data_priority` not recognized by
    `ClearHiddenTests`"; here it is configurable again (and, as in nbgrader, unused)."""

    display_data_priority = List(help="nbconvert's output priority; clearing hidden tests reads none").tag(config=True)
