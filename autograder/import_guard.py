"""Make a grading kernel import ``backprop_lib`` only from the submission's working copy.

The grader's own environment also holds a ``backprop_lib``: an editable install maps it to the
repository's skeleton through a finder on ``sys.meta_path`` (setuptools' ``__editable__`` finder),
a regular install puts it in site-packages, and the sandbox appends the working copy last to
``sys.path``. Either way a module missing from the submission was imported from there: the
student was graded against the skeleton (0 points, no flag). This file is run by IPython in the
grading kernel before any cell (``--InteractiveShellApp.exec_files``); it puts a finder first on
``sys.meta_path`` that resolves ``backprop_lib`` and its submodules inside the kernel's working
directory, and raises ModuleNotFoundError for anything not there instead of falling through.
"""

from pathlib import Path

LIBRARY = "backprop_lib"
FILE_NAME = ".backprop_import_guard.py"  # written into the working copy, never into autograded/


def install(working_copy):
    """Put the working-copy-only finder for ``backprop_lib`` first on ``sys.meta_path``."""
    import sys
    from importlib.machinery import PathFinder

    # Locals, not globals: in the kernel this file's globals are the user namespace, cleared below.
    root, library = str(working_copy), LIBRARY

    class WorkingCopyOnly:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != library and not name.startswith(library + "."):
                return None
            # A submodule is looked up in its parent's __path__, which this finder set up.
            spec = PathFinder.find_spec(name, [root] if name == library else path, target)
            if spec is None:
                raise ModuleNotFoundError(f"No module named {name!r} in the submitted files", name=name)
            return spec

    sys.meta_path.insert(0, WorkingCopyOnly)


def kernel_argument(workdir):
    """Write this file into ``workdir`` and return the kernel argument that runs it at start."""
    target = Path(workdir) / FILE_NAME
    target.write_text(Path(__file__).read_text())
    return f"--InteractiveShellApp.exec_files={target}"


if __name__ == "__main__":  # IPython's exec_files runs this in the kernel's user namespace
    import os as _os

    install(_os.getcwd())
    del _os, install, kernel_argument, Path, LIBRARY, FILE_NAME
