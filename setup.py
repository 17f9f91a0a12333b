"""The packages the wheel installs, computed: everything is under ``backprop_course``, the one
import name this project owns (an unrelated project on the package index already installs
``autograder``). The repository keeps its ``autograder/`` folder: it is installed as
``backprop_course.autograder``, with every subpackage found in it, so a new subfolder needs no
edit here. setuptools' declarative ``packages.find`` cannot rename a folder, hence this file;
everything else is declared in pyproject.toml.
"""

import os

from setuptools import find_packages, setup

# import name -> repository folder, for folders whose name is not their import name
MAPPED = {"backprop_course.autograder": "autograder"}

# backprop_course/content/ holds the course content as package data (see its docstring), not code.
packages = find_packages(include=["backprop_course", "backprop_course.*"],
                         exclude=["backprop_course.content.*"])
for name, folder in MAPPED.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_packages(folder)]

# The content shipped as package data. A student kit's wheel (`backprop-course student-kit` sets
# BACKPROP_COURSE_WHEEL=student) leaves out the reference solutions and the lecture that runs on them.
CONTENT = {"solutions": ["solutions/*.ipynb", "solutions/backprop_lib/*.py", "solutions/lessons/*.py"],
           "student": ["backprop_lib/*.py", "lessons/*.ipynb", "lab-config/*.*", "lab-config/labconfig/*.json"],
           "lecture": ["lecture/*.ipynb"]}
STUDENT_WHEEL = os.environ.get("BACKPROP_COURSE_WHEEL") == "student"
shipped = ["student"] if STUDENT_WHEEL else list(CONTENT)
options = {}
if STUDENT_WHEEL:
    # setuptools keeps earlier builds' files in build/ and *.egg-info and would ship them again:
    # a student wheel is built in a folder of its own (the kit's temporary one).
    scratch = os.environ["BACKPROP_COURSE_BUILD_DIR"]
    options = {"build": {"build_base": scratch}, "egg_info": {"egg_base": scratch}}

setup(packages=packages, package_dir=MAPPED, options=options,
      package_data={"backprop_course.content": [pattern for part in shipped for pattern in CONTENT[part]]},
      exclude_package_data={} if not STUDENT_WHEEL else
      {"backprop_course.content": [pattern for part in ("solutions", "lecture") for pattern in CONTENT[part]]})
