"""Where the checkout's files are, and whether the suite runs in CI."""

import os
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
IN_CI = os.environ.get("CI") == "true"
