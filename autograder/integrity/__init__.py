"""A static scan of a submission for code that tries to cheat the grader, and per-test-cell canaries.

Modules (one idea each): ``rules`` (the kinds of flag and the names each rule looks for),
``findings`` (Flag, Report), ``paths`` (which strings name course secrets), ``visitor`` (the rules
applied to one parsed file or cell), ``scan`` (reading a submission's files and notebooks),
``canaries`` (per-test-cell canaries) and ``runtime_guard`` (the run-time guard program the grading kernel
runs). Everything a caller needs is importable from ``backprop_course.autograder.integrity`` itself:

- ``scan(folder, instructor_files=None) -> list[Flag]`` and ``inspect(...) -> Report`` (flags and
  unparsed files); ``scan_source(source)`` for one cell or file; ``KINDS`` describes each kind.
- ``token = new_token()``; ``guard_argument(workdir, token)`` among the kernel's arguments as it
  starts; ``add_canaries(nb, token)`` right before execution; ``flags += verify_canaries(nb, token,
  notebook_name)`` right after it, before scoring.
"""

from .canaries import add_canaries, guard_argument, new_token, verify_canaries
from .findings import Flag, Report
from .rules import EVIDENCE_CHARS, KINDS
from .scan import inspect, scan, scan_source, warm_up

__all__ = ["EVIDENCE_CHARS", "KINDS", "Flag", "Report", "add_canaries", "guard_argument", "inspect",
           "new_token", "scan", "scan_source", "verify_canaries", "warm_up"]
