"""Shared fixtures: the tiny folder (:mod:`quotabook.testing.tiny`), hypothesis without deadlines, figures closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from quotabook.testing.tiny import write_tiny_folder

# The suite runs on shared 2-core machines beside other work: a property holds or not whatever the clock says,
# so no per-example deadline (hypothesis's 200 ms default fails healthy tests under load).
settings.register_profile("quotabook", deadline=None)
settings.load_profile("quotabook")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules holding slow end-to-end tests first, each module's tests still together and in order.

    Under pytest-xdist a worker takes the next test when it is free, so the long runs (packs built, notebooks
    executed: the ``slow`` mark) start while the other worker still has short tests to take, and the run does not
    end with one worker busy on a long test and the other idle. A module's tests stay together because a module
    fixture is set up again when its tests are split. (Modules that share an expensive module fixture also carry
    ``pytest.mark.xdist_group``: ``--dist loadgroup`` in pyproject.toml keeps them on one worker.)"""
    def module(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    slow = {module(item) for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: module(item) not in slow)  # stable: the order within each part is kept


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A valid folder of the five core tables (the hand-worked story: :mod:`quotabook.testing.tiny`)."""
    return write_tiny_folder(tmp_path / "tiny")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
