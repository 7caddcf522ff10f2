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


@pytest.fixture(scope="session")
def demo_pack(tmp_path_factory) -> Path:
    """The demo pack of 2026-Q3 (a finished quarter) for West and the district, every notebook of the quarterly
    pack, HTML only, built once per test run by ``quotabook pack``: its pages are opened in Chromium
    (tests/pack/test_pack_browser.py) and its executed notebooks read (tests/test_notebooks.py). Failed runs are
    left to the tests, which read each run's status in the manifest. Modules using it carry
    ``pytest.mark.xdist_group("demo_pack")``, so under pytest-xdist one worker builds it."""
    from quotabook.cli import main

    out = tmp_path_factory.mktemp("demo-pack") / "reports"
    main(["pack", "--period", "2026-Q3", "--formats", "html", "--regions", "West,district", "--workers", "2",
          "--out", str(out), "--quiet"])
    return out / "2026-Q3"


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A valid folder of the five core tables (the hand-worked story: :mod:`quotabook.testing.tiny`)."""
    return write_tiny_folder(tmp_path / "tiny")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
