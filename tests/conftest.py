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


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A valid folder of the five core tables (the hand-worked story: :mod:`quotabook.testing.tiny`)."""
    return write_tiny_folder(tmp_path / "tiny")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
