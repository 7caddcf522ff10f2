"""Shared fixtures: the tiny folder (:mod:`quotabook.testing.tiny`), hypothesis without deadlines, figures closed."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
from hypothesis import settings

from quotabook.testing.tiny import write_tiny_folder

# The suite runs on shared 2-core machines beside other work: a property holds or not whatever the clock says,
# so no per-example deadline (hypothesis's 200 ms default fails healthy tests under load).
settings.register_profile("quotabook", deadline=None)
settings.load_profile("quotabook")


@functools.cache
def module_group(path: Path) -> str | None:
    """The ``xdist_group`` name a test module's ``pytestmark`` gives all its tests, or None."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            for call in ast.walk(node.value):
                if (isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "xdist_group" and call.args
                        and isinstance(call.args[0], ast.Constant)):
                    return str(call.args[0].value)
    return None


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown, and unused, without it
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` that works under pytest 9: pytest-xdist 3.8 tags each test id with its group from the
    worker (``item._nodeid``), which pytest 9 no longer reads, so every test went to any worker. Here the
    controller reads the group of a test's module from the module's ``pytestmark = ...xdist_group("name")``
    (a group on a single test is not seen); a test of no group is a unit of its own, as in loadgroup."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModuleGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            group = module_group(config.rootpath / nodeid.split("::", 1)[0])
            return f"group:{group}" if group else super()._split_scope(nodeid)

    return ModuleGroupScheduling(config, log)


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
