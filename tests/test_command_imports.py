"""The command's start leaves out jsonschema's string-format checkers (``autograder/__init__``:
their libraries build grammars and patterns at import), and nothing it validates needs them."""

import json
import subprocess
import sys
import textwrap

from helpers.checkout import ROOT

FORMAT_LIBRARIES = ("rfc3987_syntax", "isoduration", "rfc3986_validator", "rfc3339_validator", "webcolors",
                    "uri_template")


def test_the_command_imports_no_format_checker_and_still_finds_an_invalid_notebook():
    program = textwrap.dedent(f"""
        import json, sys
        from backprop_course.autograder import cli  # first, as the command's entry point
        cli.subcommands()
        import nbformat
        from backprop_course.autograder.grading.preprocessors.check_metadata import CheckMetadata
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
        nbformat.validate(nb)
        nb.cells[0]["outputs"] = [{{"output_type": "stream", "name": "stdout"}}]  # its text missing
        try:
            nbformat.validate(nb)
            notebook = "passed"
        except nbformat.ValidationError:
            notebook = "refused"
        nb.cells[0]["outputs"] = []
        nb.cells[0].metadata["nbgrader"] = {{"grade": "yes", "schema_version": 3}}  # not a boolean
        try:
            CheckMetadata().preprocess(nb, {{}})
            metadata = "passed"
        except Exception:
            metadata = "refused"
        imported = [name for name in {FORMAT_LIBRARIES!r} if sys.modules.get(name) is not None]
        print(json.dumps([notebook, metadata, imported]))
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["refused", "refused", []]
