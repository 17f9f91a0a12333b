"""The kernel a submission runs in: nbgrader's OverwriteKernelspec, from the source snapshot."""

import json

from nbgrader.preprocessors import OverwriteKernelspec

from ..source_snapshot import source_notebook


class SourceKernelspec(OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec (the source notebook's kernelspec replaces the submission's),
    read from ``source_snapshot.source_notebook`` (once per batch)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        kernelspec = source_notebook(info["db_url"], info["assignment"], info["notebook"]).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources
