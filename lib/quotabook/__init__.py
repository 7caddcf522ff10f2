"""quotabook: will the sales team hit its number, and what should it do about it?

The notebook-facing API: load a dataset (a folder of canonical tables, or the demo district), move it
to a past date or a region, and read the workbook settings and fiscal calendar.
"""

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
from .fiscal import FiscalCalendar, Period
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
    "QuotabookError",
    "Settings",
    "SourceError",
    "load",
    "load_settings",
    "validate_source",
]
__version__ = "0.1.0"
