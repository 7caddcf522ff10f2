"""quotabook: will the sales team hit its number, and what should it do about it?

The public API: load a dataset (a folder of canonical tables, a mapping YAML, a database or the demo
district), move it to a past date or a region, compute catalog metrics for any fiscal period, and read
the workbook settings and fiscal calendar::

    import quotabook as qb
    ds = qb.load("demo")                                    # repr(ds): tables x rows, regions, as-of
    qb.compute_wide("win_rate", ds, "FY2026", by="region")  # one column per metric, one row per region
    qb.catalog().get("win_rate").formula                    # what a metric means

``compute``, ``compute_wide`` and ``catalog`` are imported on first use, so ``import quotabook`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .dataset import ALL_REGIONS, Dataset
from .errors import (
    CatalogError,
    ConfigError,
    DataQualityWarning,
    DataValidationError,
    MetricUnavailable,
    QuotabookError,
    SourceError,
)
from .fiscal import FiscalCalendar, Period, PeriodState
from .loading import load, validate_source
from .settings import Settings, load_settings

__all__ = [
    "ALL_REGIONS",
    "CatalogError",
    "ConfigError",
    "DataQualityWarning",
    "DataValidationError",
    "Dataset",
    "FiscalCalendar",
    "MetricUnavailable",
    "Period",
    "PeriodState",
    "QuotabookError",
    "Settings",
    "SourceError",
    "__version__",
    "catalog",
    "compute",
    "compute_wide",
    "load",
    "load_settings",
    "validate_source",
]

if TYPE_CHECKING:
    from .metrics.catalog import Catalog
    from .metrics.compute import compute, compute_wide


def catalog() -> Catalog:
    """The metric catalog: iterate it, ``catalog().get("win_rate")`` for one metric's label, formula, unit
    and benchmark, ``catalog().to_frame()`` for all of them."""
    from .metrics import load_catalog

    return load_catalog()


def __getattr__(name: str):
    """``quotabook.compute`` and ``quotabook.compute_wide``, imported from :mod:`quotabook.metrics` on first use;
    ``quotabook.__version__``, read from the package metadata on first use."""
    if name in ("compute", "compute_wide"):
        from . import metrics

        return getattr(metrics, name)
    if name == "__version__":
        from . import version

        return version.__version__
    raise AttributeError(f"module 'quotabook' has no attribute {name!r}")
