"""Shared test fixtures: the repository root and the reference library's import path."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture
def root():
    return ROOT
