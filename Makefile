# Two commands on a fresh machine with Python 3 and make: `make lab` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab lecture test test-tiers build check demo bench clean

# Re-install only when the package description changes: a second run is quick. The first install
# takes minutes: `make lab` shows pip's progress (each package as it comes), other targets stay
# quiet. setuptools' "Editable installation ... be careful with folders" notice (a UserWarning of
# the build backend, nothing to act on here) is left out.
PIP_OUTPUT ?= --quiet
lab lecture: PIP_OUTPUT := --progress-bar on
PIP = PYTHONWARNINGS="ignore::UserWarning" $(BIN)/python -m pip install $(PIP_OUTPUT)
$(STAMP): pyproject.toml setup.py
	@echo "== setting up $(VENV) (the first time takes about 3 minutes; later runs reuse it)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev]'
	touch $(STAMP)
	@echo "== $(VENV) is ready"

# The instructors' preview: JupyterLab serves the whole checkout, solutions/ included (students get
# a kit without them: `backprop-course student-kit DIR`), and opens on the lessons; as root (containers, CI machines) it needs --allow-root to start at all.
# lab-config/ is the students' view: nbgrader's instructor menus, sidebar and server parts off
# (instructors running `jupyter lab` in a course folder keep them); lessons open unmodified and
# saved widgets reopen as their pictures (backprop_course/lab_contents.py).
# LAB_ARGS passes more options, e.g. make lab LAB_ARGS="--no-browser --port 8890"; LAB_ROOT serves
# another folder the same way (the browser tests' workspace).
LAB_ROOT ?= .
STUDENT_CONFIG := $(CURDIR)/lab-config
JUPYTER_LAB = JUPYTER_CONFIG_PATH="$(STUDENT_CONFIG)$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))" \
	$(BIN)/jupyter lab "--ServerApp.root_dir=$(LAB_ROOT)" \
	$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

lab: $(STAMP)
	@echo "== instructors' preview of the lessons: this checkout holds the solutions;" \
	      "students use the kit of \`backprop-course student-kit DIR\` (README, For students)"
	$(JUPYTER_LAB) --LabApp.default_url=/lab/tree/lessons

lecture: $(STAMP)
	$(JUPYTER_LAB) --LabApp.default_url=/lab/tree/lecture/backprop_live.ipynb

# One BLAS thread: the suite runs many small matmuls in parallel processes on few cores. Two
# pytest workers (pytest-xdist) take whole test files (--dist loadfile: a file's module fixtures
# are built once, in one worker) in collection order, files with slow tests first (conftest.py;
# xdist's reordering by test count would start the wheel's 2 slow tests last): most files run
# one process at a time, and two files at once keep both cores of a small machine busy.
test: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

# The sandbox tests and the hostile corpus's sandbox-bound cases again with grading forced down to
# each weaker isolation tier that works here (BACKPROP_SANDBOX_ISOLATION caps what "auto" picks), so
# what a machine without bubblewrap gets is tested on machines that have it too; one pytest run per
# tier, stopping at the first that fails. The verdict-rewriting attacks of every judged lesson
# (tests/test_judge_attacks_lesson_*.py) run here under each weaker tier, and in `make test` only
# under the tier "auto" picks. CI runs it before `make test` (.ci/run).
test-tiers: $(STAMP)
	@tiers="$$($(BIN)/python -m backprop_course.autograder.sandbox --weaker-tiers)" || exit 1; \
	for tier in $$tiers; do \
	    echo "== sandbox, hostile and attack tests with isolation forced to $$tier"; \
	    BACKPROP_SANDBOX_ISOLATION=$$tier OPENBLAS_NUM_THREADS=1 \
	        $(BIN)/python -m pytest -q tests/test_sandbox.py tests/test_sandbox_kernels.py \
	            tests/test_hostile.py tests/test_judge_attacks_lesson_*.py || exit $$?; \
	done

build: $(STAMP)
	$(BIN)/backprop-course build

check: $(STAMP)
	$(BIN)/backprop-course build --check

demo: $(STAMP)
	$(BIN)/backprop-course demo

bench: $(STAMP)
	$(BIN)/python bench/train_step.py
	$(BIN)/python bench/frames.py
	$(BIN)/python bench/autograde.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
