"""Fiscal periods: quarters (``2026-Q3``), halves (``2026-H2``), fiscal years (``FY2026`` or ``2026``) and
date ranges (``2026-01-01..2026-06-30``), their start/end dates, week of quarter, and where a period stands
on a report date (:class:`PeriodState`: not started, running or finished).

The fiscal year starts in a configurable month. With ``year_label="end"`` (the default, and the common
CRM convention) FY2027 starting February 2026 ends January 2027; with ``"start"`` it would be FY2026.
Halves and years follow the same calendar: ``2027-H1`` is FY2027's first two quarters.
All functions are vectorised over pandas Series where they take dates.

Dates are read in ISO form only (``2026-09-15``, :func:`iso_date`): ``01/02/2026`` is January or February
depending on the reader, so it is refused rather than guessed. Periods and dates are bounded to the years
:data:`FIRST_YEAR` to :data:`LAST_YEAR`, well inside what pandas can hold even after the trailing windows
the reports look back over.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ConfigError
from .grammar import day as say_day
from .grammar import noun

__all__ = ["FIRST_YEAR", "LAST_YEAR", "PERIOD_FORMS", "FiscalCalendar", "Period", "PeriodState", "iso_date"]

#: The years a period or an as-of date may fall in (pandas holds dates from 1677 to 2262 only).
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: How a period may be written, for error messages.
PERIOD_FORMS = "a fiscal quarter '2026-Q3', a half '2026-H2', a fiscal year '2026' or 'FY2026', or a date range " \
               "'2026-01-01..2026-06-30'"

_QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<q>[1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(?P<year>\d{4})-H(?P<h>[12])$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:FY)?(?P<year>\d{4})$", re.IGNORECASE)
_RANGE = re.compile(r"^(?P<first>\d{4}-\d{2}-\d{2})\.\.(?P<last>\d{4}-\d{2}-\d{2})$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: What a period of each kind is called in a sentence ("60% of the quarter has gone").
_NOUNS = {"quarter": "quarter", "half": "half-year", "year": "fiscal year", "range": "period"}


def iso_date(value, what: str = "as_of") -> pd.Timestamp:
    """``value`` as a day (midnight): a date, datetime or Timestamp, or text written ``YYYY-MM-DD``.

    Text in any other form is refused, not guessed or cut: ``01/02/2026`` (January or February?),
    ``2026-09-15T99`` or ``2026-09-15; rm -rf /``.

    Raises
    ------
    ConfigError
        Naming ``what`` (the parameter), the value and the form expected; also for a date outside
        :data:`FIRST_YEAR`–:data:`LAST_YEAR`.
    """
    if isinstance(value, str):
        text = value.strip()
        day = None
        if _ISO_DAY.match(text):
            try:
                day = pd.Timestamp(dt.date.fromisoformat(text))
            except ValueError:
                day = None
        if day is None:
            raise ConfigError(f"{what} {value!r} is not an ISO date like 2026-09-15 (year-month-day)", key=what)
    elif isinstance(value, (pd.Timestamp, dt.date, np.datetime64)):
        if isinstance(value, dt.date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ConfigError(f"{what} {value.isoformat()} is outside the years {FIRST_YEAR}–{LAST_YEAR}", key=what)
        try:
            day = pd.Timestamp(value)
        except (ValueError, OverflowError):  # e.g. numpy's year 9999, beyond what pandas holds
            raise ConfigError(f"{what} {value!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}", key=what) from None
        if pd.isna(day):
            raise ConfigError(f"{what} is missing (NaT): give a date like 2026-09-15", key=what)
    else:
        raise ConfigError(f"{what} {value!r} is not an ISO date like 2026-09-15 (year-month-day)", key=what)
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ConfigError(f"{what} {day.date()} is outside the years {FIRST_YEAR}–{LAST_YEAR}", key=what)
    return day.normalize()


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal period: ``label`` like ``2026-Q3``; ``start`` inclusive, ``end`` exclusive (midnight).

    ``kind`` is ``quarter``, ``half``, ``year`` or ``range``; ``quarters`` names the fiscal quarters the
    period is made of, so a half or a year can be summed from quarterly figures such as targets; a date
    range has them only when it begins and ends on quarter boundaries (else ``quarters`` is empty).
    """

    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    kind: str = "quarter"
    quarters: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.kind == "quarter" and not self.quarters:
            object.__setattr__(self, "quarters", (self.label,))

    @property
    def last_day(self) -> pd.Timestamp:
        """The last calendar day in the period (``end`` minus one day)."""
        return self.end - pd.Timedelta(days=1)

    @property
    def weeks(self) -> int:
        """Number of weeks in the period, counting a final partial week (13 or 14 for a quarter)."""
        return int(np.ceil((self.end - self.start).days / 7))

    @property
    def is_quarter(self) -> bool:
        return self.kind == "quarter"

    @property
    def noun(self) -> str:
        """What the period is called in a sentence: quarter, half-year, fiscal year or period."""
        return _NOUNS.get(self.kind, "period")

    @property
    def whole_quarters(self) -> bool:
        """Whether the period is made of whole fiscal quarters (all but a date range cutting a quarter)."""
        return bool(self.quarters)

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask: dates falling inside the period."""
        return (dates >= self.start) & (dates < self.end)

    def state(self, as_of) -> PeriodState:
        """Where the period stands at the end of the day ``as_of``."""
        return PeriodState(self, pd.Timestamp(as_of).normalize())

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class PeriodState:
    """Where a period stands on a report date, and the words that depend on it.

    The report date counts as seen in full (the data is as of the end of that day), so a quarter is
    ``finished`` from its last day on, ``future`` before its first day, and ``running`` in between. Every
    sentence that would say "so far", "to date", "has gone", "left" or "has not started" asks this one
    object, so no finished period reads "so far" and no running one reads as final.
    """

    period: Period
    as_of: pd.Timestamp

    @property
    def kind(self) -> str:
        """``future``, ``running`` or ``finished``."""
        if self.as_of >= self.period.last_day:
            return "finished"
        return "future" if self.as_of < self.period.start else "running"

    @property
    def finished(self) -> bool:
        return self.kind == "finished"

    @property
    def running(self) -> bool:
        return self.kind == "running"

    @property
    def future(self) -> bool:
        return self.kind == "future"

    @property
    def progress(self) -> float:
        """Share of the period elapsed at the end of the report date (0 before it starts, 1 once it ended)."""
        start, end = self.period.start, self.period.end
        return float(min(max((self.as_of + pd.Timedelta(days=1) - start) / (end - start), 0.0), 1.0))

    @property
    def weeks_left(self) -> int:
        """Whole weeks of the period after the report date (all of them before it starts, 0 once it ended)."""
        first_unseen = max(self.as_of + pd.Timedelta(days=1), self.period.start)
        return max((self.period.end - first_unseen).days, 0) // 7

    @property
    def weeks_to_start(self) -> int:
        """Whole weeks from the report date to the period's first day (0 once it has started)."""
        return max((self.period.start - self.as_of).days, 0) // 7

    @property
    def end_of_data(self) -> pd.Timestamp:
        """The last day the period's figures cover: the report date while it runs, its last day once over."""
        return min(self.as_of, self.period.last_day)

    def so_far(self, words: str = " so far") -> str:
        """``words`` while the period runs, else nothing: ``f"won in {p}{state.so_far()}"``."""
        return words if self.running else ""

    def in_period(self) -> str:
        """"so far in 2026-Q3" while it runs, "in 2026-Q3" otherwise."""
        return f"{self.so_far('so far ')}in {self.period.label}"

    def to_date(self, label: str | None = None) -> str:
        """"2026-Q3 to date" while it runs, "the end of 2026-Q3" once over, "the start of 2026-Q3" before it
        begins (``label``: another period's name in the same state, e.g. the last quarter of a trend)."""
        name = label or self.period.label
        return f"{name} to date" if self.running else f"the {'start' if self.future else 'end'} of {name}"

    def weeks_left_text(self, full: bool = True) -> str:
        """"2 full weeks left" ("2 weeks left" with ``full=False``), "in its last week" while the period runs;
        "" otherwise (a finished or future period has no weeks "left")."""
        if not self.running:
            return ""
        n = self.weeks_left
        return f"{n}{' full' if full else ''} {noun('week', n)} left" if n else "in its last week"

    def summary(self) -> str:
        """One sentence: the period's dates and where it stands (over, how far along, or when it begins)."""
        p = self.period
        span = f"{_day(p.start)} – {_day(p.last_day)}"
        if self.finished:
            return f"{p.label} ({span}) is over: its figures are final."
        if self.future:
            weeks = self.weeks_to_start
            begins = f"in {weeks} {noun('week', weeks)}" if weeks else "within a week"
            return (f"{p.label} ({span}) has not started yet: it begins {begins}, so its figures are the "
                    "pipeline dated in it.")
        return f"{p.label} ({span}): {self.progress:.0%} of the {p.noun} has gone, {self.weeks_left_text()}."


def _day(value: pd.Timestamp) -> str:
    """"15 Sep 2026" (:func:`quotabook.grammar.day`)."""
    return say_day(value)


@dataclass(frozen=True)
class FiscalCalendar:
    """Maps dates to fiscal periods for a fiscal year starting in ``start_month``."""

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

    def _quarter(self, year: int, q: int) -> Period:
        months = (year + self._year_offset()) * 12 + (self.start_month - 1) + (q - 1) * 3
        start = pd.Timestamp(year=months // 12, month=months % 12 + 1, day=1)
        return Period(f"{year}-Q{q}", start, start + pd.DateOffset(months=3))

    def period(self, label: str | Period) -> Period:
        """The period named ``label``: ``2026-Q3``, ``2026-H2``, ``2026`` / ``FY2026`` (the fiscal year by this
        calendar's start month and year label) or ``2026-01-01..2026-06-30`` (both days included).

        Raises
        ------
        ConfigError
            The label is none of these forms, a range ends before it starts, or the period falls outside
            the years :data:`FIRST_YEAR`–:data:`LAST_YEAR`.
        """
        if isinstance(label, Period):
            return label
        text = str(label).strip()
        if m := _QUARTER.match(text):
            year = self._check_year(int(m["year"]), label)
            return self._quarter(year, int(m["q"]))
        if m := _HALF.match(text):
            year, h = self._check_year(int(m["year"]), label), int(m["h"])
            parts = [self._quarter(year, q) for q in (2 * h - 1, 2 * h)]
            return Period(f"{year}-H{h}", parts[0].start, parts[-1].end, "half", tuple(p.label for p in parts))
        if m := _YEAR.match(text):
            year = self._check_year(int(m["year"]), label)
            parts = [self._quarter(year, q) for q in range(1, 5)]
            return Period(f"FY{year}", parts[0].start, parts[-1].end, "year", tuple(p.label for p in parts))
        if m := _RANGE.match(text):
            first, last = (iso_date(m[k], "period") for k in ("first", "last"))
            if last < first:
                raise ConfigError(f"period {label!r} ends before it starts", key="period")
            return self._range(first, last)
        raise ConfigError(f"period {label!r} is not {PERIOD_FORMS}", key="period")

    @staticmethod
    def _check_year(year: int, label) -> int:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ConfigError(f"period {label!r} is outside the fiscal years {FIRST_YEAR}–{LAST_YEAR} quotabook "
                              "can report on", key="period")
        return year

    def _range(self, first: pd.Timestamp, last: pd.Timestamp) -> Period:
        end = last + pd.Timedelta(days=1)
        spanned = self.range(self.period_of(first), self.period_of(last))
        whole = spanned[0].start == first and spanned[-1].end == end
        return Period(f"{first.date()}..{last.date()}", first, end, "range",
                      tuple(p.label for p in spanned) if whole else ())

    def period_of(self, date) -> Period:
        """The quarter containing one date: its label worked out as :meth:`labels` does, on the one date (a
        backtest asks at every date it replays; a Series of one costs a hundred times more)."""
        day = pd.Timestamp(date)
        if pd.isna(day):
            return self.period(self.labels(pd.Series([day])).iloc[0])
        fy, quarter = self._fiscal_quarter(day.year, day.month)
        return self.period(f"{fy}-Q{quarter}")

    def _fiscal_quarter(self, year, month):
        """The fiscal year label and quarter (1-4) of a calendar ``year`` and ``month``: plain arithmetic, so
        integers give integers (:meth:`period_of`) and Series give Series (:meth:`labels`)."""
        months_since = (year * 12 + month - 1) - (self.start_month - 1)
        return months_since // 12 - self._year_offset(), (months_since % 12) // 3 + 1

    def labels(self, dates: pd.Series) -> pd.Series:
        """Vectorised: the quarter label of each date (``<NA>`` where the date is missing)."""
        dates = pd.to_datetime(pd.Series(dates))
        fy, quarter = self._fiscal_quarter(dates.dt.year, dates.dt.month)
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
    def last_quarter(self, label: str | Period) -> Period:
        """The quarter a period ends in: itself for a quarter, the last quarter of a half or a year, the
        quarter holding a date range's last day. Trailing windows of quarters count back from it."""
        p = self.period(label)
        return p if p.is_quarter else self.period_of(p.last_day)

    def shift(self, label: str | Period, quarters: int) -> Period:
        """The quarter ``quarters`` after (negative: before) ``label``; a longer period counts from its last
        quarter (:meth:`last_quarter`), so ``shift("FY2026", 1)`` is the first quarter after the year."""
        p = self.last_quarter(label)
        year, q = int(p.label[:4]), int(p.label[-1])
        idx = year * 4 + (q - 1) + quarters
        return self.period(f"{idx // 4}-Q{idx % 4 + 1}")

    def range(self, first: str | Period, last: str | Period) -> list[Period]:
        """Every quarter from ``first`` to ``last`` inclusive (a longer ``first`` from its first quarter, a
        longer ``last`` to its last quarter)."""
        first = self.period(first)
        p = first if first.is_quarter else self.period_of(first.start)
        out, stop = [], self.last_quarter(last)
        while p.start <= stop.start:
            out.append(p)
            p = self.shift(p, 1)
        return out
