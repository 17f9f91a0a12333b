"""`python -m backprop_course.autograder.sandbox`: what this machine enforces, one line per mechanism and
protection, then the weak-isolation warning (or that there is nothing to fix).
`python -m backprop_course.autograder.sandbox --weaker-tiers`: the working tiers below the one "auto" picks, on one
line (the Makefile's test-tiers target forces each of them)."""

import sys

from .limits import SandboxError
from .machine import describe, weak_isolation_warning, working_tiers


def main(argv):
    if argv == ["--weaker-tiers"]:
        print(*working_tiers()[1:])
        return 0
    if argv:
        print("usage: python -m backprop_course.autograder.sandbox [--weaker-tiers]", file=sys.stderr)
        return 2
    described = describe()
    for protection, held in described.pop("enforced").items():
        described[protection] = "enforced" if held else "NOT enforced"
    for key, value in described.items():
        print(f"{key:>24}: {value}")
    print(weak_isolation_warning() or "strong isolation: nothing to fix")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SandboxError as err:
        sys.exit(f"backprop_course.autograder.sandbox: {err}")
