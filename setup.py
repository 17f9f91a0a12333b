"""The packages the wheel installs, computed: everything is under ``backprop_course``, the one
import name this project owns (an unrelated project on the package index already installs
``autograder``). The repository keeps its ``autograder/`` folder: it is installed as
``backprop_course.autograder``, with every subpackage found in it, so a new subfolder needs no
edit here. setuptools' declarative ``packages.find`` cannot rename a folder, hence this file;
everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

# import name -> repository folder, for folders whose name is not their import name
MAPPED = {"backprop_course.autograder": "autograder"}

# backprop_course/content/ holds the course content as package data (see its docstring), not code.
packages = find_packages(include=["backprop_course", "backprop_course.*"],
                         exclude=["backprop_course.content.*"])
for name, folder in MAPPED.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=MAPPED)
