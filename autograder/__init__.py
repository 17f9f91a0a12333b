"""backprop-course's instructor side: building the student files, nbgrader courses and grading."""

import sys

# jsonschema (under nbformat) imports a checker for each string format whose library is installed
# (jupyterlab's jupyter_events pulls them in): rfc3987_syntax builds a grammar at import (0.7 s of
# every command), isoduration imports arrow and rfc3986_validator compiles its patterns (about
# 30 and 25 ms of the command's start, before its first kernel), the others a few ms. They only
# check formats ("iri", "duration", "uri", "date-time", "color", "uri-template") and no schema
# this package validates with (nbformat's, nbgrader's cell metadata) asks for a format check.
# Blocked only in this package's processes: the kernels never import it (zygote.NEVER_PRELOADED).
for _format_library in ("rfc3987_syntax", "isoduration", "rfc3986_validator", "rfc3339_validator",
                        "webcolors", "uri_template"):
    sys.modules.setdefault(_format_library, None)
