"""backprop-course's instructor side: building the student files, nbgrader courses and grading."""

import sys

# jsonschema (under nbformat) imports rfc3987_syntax whenever it is installed (jupyterlab's
# jupyter_events pulls it in), and that module builds a grammar at import: 0.7 s of every command.
# It only checks the "iri" string format, which no notebook or nbgrader schema uses.
sys.modules.setdefault("rfc3987_syntax", None)
