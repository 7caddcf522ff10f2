"""The business-day time axis the demo simulation runs on.

Every event time is a float ``x`` counting business days (Monday to Friday) since a fixed Monday: the
integer part is the day, the fraction the share of the working day (08:00 to 18:00) already gone. The
mapping is strictly increasing, so events ordered in ``x`` stay ordered as timestamps, and no event ever
lands on a weekend or outside working hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BusinessClock"]

DAY_START_S = 8 * 3600  # working day starts 08:00
DAY_LENGTH_S = 10 * 3600  # ... and lasts ten hours
CALENDAR_TO_BUSINESS = 5 / 7  # business days per calendar day
EPOCH = np.datetime64("2000-01-03", "D")  # a Monday, day 0 of the axis


@dataclass(frozen=True)
class BusinessClock:
    """Converts between dates/timestamps and business-day floats counted from ``base`` (a Monday)."""

    base: np.datetime64 = EPOCH

    def bd(self, dates: np.ndarray) -> np.ndarray:
        """Business-day index of each date (int64); a weekend date maps to the following Monday."""
        return np.busday_count(self.base, np.asarray(dates, dtype="datetime64[D]")).astype(np.int64)

    def date(self, x: np.ndarray) -> np.ndarray:
        """The calendar date (``datetime64[D]``) of each business-day float."""
        days = np.floor(np.asarray(x, dtype=float)).astype(np.int64)
        return np.busday_offset(self.base, days, roll="forward")

    def stamp(self, x: np.ndarray) -> np.ndarray:
        """The timestamp (``datetime64[s]``) of each business-day float, inside working hours."""
        x = np.asarray(x, dtype=float)
        seconds = DAY_START_S + np.floor((x - np.floor(x)) * DAY_LENGTH_S).astype(np.int64)
        return self.date(x).astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def month_end(dates: np.ndarray) -> np.ndarray:
    """Last calendar day of each date's month (``datetime64[D]``)."""
    months = np.asarray(dates, dtype="datetime64[D]").astype("datetime64[M]")
    return (months + 1).astype("datetime64[D]") - 1


def quarter_start(dates: np.ndarray, fiscal_start_month: int) -> np.ndarray:
    """First calendar day of each date's fiscal quarter (``datetime64[D]``)."""
    months = np.asarray(dates, dtype="datetime64[D]").astype("datetime64[M]")
    offset = (months.astype(np.int64) - (fiscal_start_month - 1)) % 3
    return (months - offset).astype("datetime64[D]")


def quarter_end(dates: np.ndarray, fiscal_start_month: int) -> np.ndarray:
    """Last calendar day of each date's fiscal quarter (``datetime64[D]``)."""
    months = np.asarray(dates, dtype="datetime64[D]").astype("datetime64[M]")
    offset = (months.astype(np.int64) - (fiscal_start_month - 1)) % 3
    return (months + (3 - offset)).astype("datetime64[D]") - 1


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ids like ``OPP-000042`` for each number, vectorised (much faster than ``np.char.mod``)."""
    n = np.asarray(numbers, dtype=np.int64)
    digits = (n[:, None] // 10 ** np.arange(width - 1, -1, -1)) % 10 + ord("0")
    head = np.broadcast_to(np.frombuffer(prefix.encode(), dtype=np.uint8), (len(n), len(prefix)))
    buf = np.ascontiguousarray(np.concatenate([head, digits.astype(np.uint8)], axis=1))
    return buf.view(f"S{buf.shape[1]}").ravel().astype(str)
