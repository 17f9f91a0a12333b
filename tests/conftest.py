"""Shared test fixtures: the repository root and the reference library's import path."""

import pytest
from helpers.checkout import ROOT
from helpers.reference_library import reference_module


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def ref():
    """The reference library's modules by attribute (ref.layers.Linear, ref.losses.MSELoss, ...)
    beside the course machinery that checks them (ref.gradcheck, ref.checks)."""
    import types

    from backprop_course import checks, gradcheck

    names = ["graph", "layers", "losses", "mlp", "optim", "train", "data"]
    return types.SimpleNamespace(**{name: reference_module(name) for name in names},
                                 gradcheck=gradcheck, checks=checks)


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """``copy(lessons, destination)``: a course of ``lessons``, released once per session
    (helpers.released_courses) and copied to ``destination`` for the module that asks."""
    from helpers.released_courses import ReleasedCourses

    return ReleasedCourses(tmp_path_factory.mktemp("released-courses")).copy


def pytest_collection_modifyitems(items):
    """Files with a slow test first, each file's tests in their order: `make test`'s two workers
    take whole files in this order, and a slow file started last would keep one core busy alone
    while the other has nothing left to run."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)
