"""Fixtures shared by the metric tests: the packaged catalog and the workbook settings, read once a module."""

from __future__ import annotations

import pytest

from quotabook.metrics import load_catalog
from quotabook.settings import load_settings


@pytest.fixture(scope="module")
def settings():
    return load_settings()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()
