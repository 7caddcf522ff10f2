"""Fiscal periods: quarter labels like ``2026-Q3``, their start/end dates and week of quarter.

The fiscal year starts in a configurable month. With ``year_label="end"`` (the default, and the common
CRM convention) FY2027 starting February 2026 ends January 2027; with ``"start"`` it would be FY2026.
All functions are vectorised over pandas Series where they take dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ConfigError

__all__ = ["FiscalCalendar", "Period"]

_QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<q>[1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal quarter: ``label`` like ``2026-Q3``; ``start`` inclusive, ``end`` exclusive (midnight)."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def last_day(self) -> pd.Timestamp:
        """The last calendar day in the quarter (``end`` minus one day)."""
        return self.end - pd.Timedelta(days=1)

    @property
    def weeks(self) -> int:
        """Number of weeks in the quarter, counting a final partial week (13 or 14)."""
        return int(np.ceil((self.end - self.start).days / 7))

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask: dates falling inside the quarter."""
        return (dates >= self.start) & (dates < self.end)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class FiscalCalendar:
    """Maps dates to fiscal quarters for a fiscal year starting in ``start_month``."""

    start_month: int = 1
    year_label: str = "end"

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ConfigError(f"fiscal start month must be 1-12, got {self.start_month}")
        if self.year_label not in ("end", "start"):
            raise ConfigError(f"fiscal year label must be 'end' or 'start', got {self.year_label!r}")

    @classmethod
    def from_settings(cls, settings) -> FiscalCalendar:
        return cls(settings.fiscal_start_month, settings.fiscal_year_label)

    # -- label <-> dates -------------------------------------------------------------------------
    def _year_offset(self) -> int:
        """Calendar year of the FY's first month = fiscal year label + offset."""
        return -1 if (self.year_label == "end" and self.start_month != 1) else 0

    def period(self, label: str | Period) -> Period:
        """The quarter named ``label`` (``2026-Q3``).

        Raises
        ------
        ConfigError
            The label is not of the form ``YYYY-Qn``.
        """
        if isinstance(label, Period):
            return label
        m = _QUARTER.match(str(label).strip())
        if not m:
            raise ConfigError(f"period {label!r} is not a fiscal quarter like '2026-Q3'", key="period")
        year, q = int(m["year"]), int(m["q"])
        months = (year + self._year_offset()) * 12 + (self.start_month - 1) + (q - 1) * 3
        start = pd.Timestamp(year=months // 12, month=months % 12 + 1, day=1)
        return Period(f"{year}-Q{q}", start, start + pd.DateOffset(months=3))

    def period_of(self, date) -> Period:
        """The quarter containing one date."""
        return self.period(self.labels(pd.Series([pd.Timestamp(date)])).iloc[0])

    def labels(self, dates: pd.Series) -> pd.Series:
        """Vectorised: the quarter label of each date (``<NA>`` where the date is missing)."""
        dates = pd.to_datetime(pd.Series(dates))
        months_since = (dates.dt.year * 12 + dates.dt.month - 1) - (self.start_month - 1)
        fy_start_year = months_since // 12
        quarter = (months_since % 12) // 3 + 1
        fy = fy_start_year - self._year_offset()
        out = fy.astype("Int64").astype("string") + "-Q" + quarter.astype("Int64").astype("string")
        return out.where(dates.notna(), pd.NA)

    def week_of_quarter(self, dates: pd.Series | pd.Timestamp) -> pd.Series | int:
        """Week number within its quarter, 1 for the first seven days (vectorised; scalar in, scalar out)."""
        if not isinstance(dates, pd.Series):
            d = pd.Timestamp(dates)
            return (d - self.period_of(d).start).days // 7 + 1
        return ((pd.to_datetime(pd.Series(dates)) - self.quarter_starts(dates)).dt.days // 7 + 1).astype("Int64")

    def quarter_starts(self, dates: pd.Series) -> pd.Series:
        """Vectorised: the first day of the quarter containing each date."""
        dates = pd.to_datetime(pd.Series(dates))
        absolute = dates.dt.year * 12 + dates.dt.month - 1
        offset = (absolute - (self.start_month - 1)) % 3
        start = absolute - offset
        parts = pd.DataFrame({"year": start // 12, "month": start % 12 + 1, "day": 1}, index=dates.index)
        return pd.to_datetime(parts.dropna().astype(int)).reindex(dates.index)

    # -- navigation ------------------------------------------------------------------------------
    def shift(self, label: str | Period, quarters: int) -> Period:
        """The quarter ``quarters`` after (negative: before) ``label``."""
        p = self.period(label)
        year, q = int(p.label[:4]), int(p.label[-1])
        idx = year * 4 + (q - 1) + quarters
        return self.period(f"{idx // 4}-Q{idx % 4 + 1}")

    def range(self, first: str | Period, last: str | Period) -> list[Period]:
        """Every quarter from ``first`` to ``last`` inclusive."""
        out, p, stop = [], self.period(first), self.period(last)
        while p.start <= stop.start:
            out.append(p)
            p = self.shift(p, 1)
        return out
