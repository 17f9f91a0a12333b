"""nbgrader's Execute preprocessor with its kernel in the sandbox.

nbgrader 0.9.6's ``Execute`` ignores ``c.Execute.kernel_manager_class`` (its ``__init__`` passes
``AsyncKernelManager`` as a keyword, which beats config), so put ``SandboxedExecute`` in
``c.Autograde.autograde_preprocessors`` in place of ``Execute``.
"""

from nbgrader.preprocessors import Execute

from .kernel import SandboxedKernelManager


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor with its kernel in the sandbox (configure the limits as
    ``c.SandboxedKernelManager.<limit>``)."""

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)
