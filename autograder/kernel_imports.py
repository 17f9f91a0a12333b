"""Make a grading kernel import ``backprop_lib`` only from the submission's working copy, and the
course machinery ``backprop_course`` only from where the grader has it installed.

The grader's own environment also holds a ``backprop_lib``: an editable install maps it to the
repository's skeleton through a finder on ``sys.meta_path`` (setuptools' ``__editable__`` finder),
a regular install puts it in site-packages, and the sandbox appends the working copy last to
``sys.path``. Either way a module missing from the submission was imported from there: the
student was graded against the skeleton (0 points, no flag). This file is run by IPython in the
grading kernel before any cell (``--InteractiveShellApp.exec_files``); it puts a finder first on
``sys.meta_path`` that resolves ``backprop_lib`` and its submodules inside the kernel's working
directory, and raises ModuleNotFoundError for anything not there instead of falling through.
The machinery is pinned the other way round: a ``backprop_course/`` folder in a submission (the
kernel's working directory comes first on ``sys.path``) must not replace the real checks.
"""

from pathlib import Path

LIBRARY = "backprop_lib"
MACHINERY = "backprop_course"
FILE_NAME = ".backprop_import_guard.py"  # written into the working copy, never into autograded/


def install(working_copy, machinery_root):
    """Put the finder that resolves ``backprop_lib`` in ``working_copy`` and ``backprop_course`` in
    ``machinery_root`` (the folder holding the installed package) first on ``sys.meta_path``."""
    import sys
    from importlib.machinery import PathFinder

    # Locals, not globals: in the kernel this file's globals are the user namespace, cleared below.
    roots = {LIBRARY: (str(working_copy), "in the submitted files"),
             MACHINERY: (str(machinery_root), "where the grader installed it")}

    class PinnedPackages:
        @staticmethod
        def find_spec(name, path=None, target=None):
            top = name.split(".")[0]
            if top not in roots:
                return None
            root, where = roots[top]
            # A submodule is looked up in its parent's __path__, which this finder set up.
            spec = PathFinder.find_spec(name, [root] if name == top else path, target)
            if spec is None:
                raise ModuleNotFoundError(f"No module named {name!r} {where}", name=name)
            return spec

    sys.meta_path.insert(0, PinnedPackages)


def kernel_argument(workdir):
    """Write this file into ``workdir``, headed by the machinery's location, and return the kernel
    argument that runs it at start."""
    import backprop_course

    machinery_root = Path(backprop_course.__file__).resolve().parent.parent
    target = Path(workdir) / FILE_NAME
    target.write_text(f"MACHINERY_ROOT = {str(machinery_root)!r}\n" + Path(__file__).read_text())
    return f"--InteractiveShellApp.exec_files={target}"


if __name__ == "__main__":  # IPython's exec_files runs this in the kernel's user namespace
    import os as _os

    install(_os.getcwd(), MACHINERY_ROOT)  # noqa: F821 (the line kernel_argument writes first)
    del _os, install, kernel_argument, Path, LIBRARY, MACHINERY, FILE_NAME, MACHINERY_ROOT
