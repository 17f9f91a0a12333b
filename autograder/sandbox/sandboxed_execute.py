"""nbgrader's Execute preprocessor with its kernel in the sandbox.

nbgrader 0.9.6's ``Execute`` ignores ``c.Execute.kernel_manager_class`` (its ``__init__`` passes
``AsyncKernelManager`` as a keyword, which beats config), so put ``SandboxedExecute`` in
``c.Autograde.autograde_preprocessors`` in place of ``Execute``.

Under plain ``nbgrader autograde`` (and formgrader's Autograde button) a submission missing a file
it was given (a library module) is refused with a one-line reason, as ``backprop-course autograde``
marks it not gradable: a silent 0 would read as the student's score.
"""

from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute

from ..submission import given_files, missing_reason
from .kernel import SandboxedKernelManager
from .kernel_messages import DropsMalformedMessages


class NotGradable(Exception):
    """A submission lacks a file the release gave students: nothing of theirs to import."""


class SandboxedExecute(DropsMalformedMessages, Execute):
    """nbgrader's Execute preprocessor with its kernel in the sandbox (configure the limits as
    ``c.SandboxedKernelManager.<limit>``)."""

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources):
        missing = self.missing_reason(resources)
        if missing:
            raise NotGradable(f"not gradable: {missing} from the submission "
                              "(`backprop-course autograde` records it with its reason)")
        return super().preprocess(nb, resources)

    def missing_reason(self, resources):
        """'<file>, ... missing' for the release's files besides notebooks (the library) that the
        notebook's folder lacks, or ""."""
        coursedir = CourseDirectory(config=self.config)
        assignment = resources.get("nbgrader", {}).get("assignment")
        folder = resources.get("metadata", {}).get("path")
        if not assignment or not folder:  # not run by nbgrader's autograde: nothing to compare
            return ""
        required = given_files(coursedir.format_path(coursedir.release_directory, ".", assignment),
                               coursedir.ignore)
        return missing_reason({name for name in required if (Path(folder) / name).is_file()}, required)
