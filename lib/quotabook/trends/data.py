"""Quarter over quarter: the headline metrics of the last eight fiscal quarters, each read as it stood then.

A trend is only honest if each quarter is judged by what was known at the time. Outcomes (attainment, win
rate, cycle, deal size) are read on the data as it stood on the quarter's last day (``Dataset.as_of``), or on
the report date for the quarter still running (then ``partial`` is True); coverage is read the day before
the quarter began, on the pipeline it started with. Nothing recorded later — a deal reopened, a Commit
added after the quarter, a back-dated win — changes a past quarter's figure.

:func:`quarter_trend` returns tidy rows; :func:`changes` sets the chosen quarter against the one before
(QoQ) and the same quarter a year earlier (YoY). Percent metrics change in points, the others in percent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..fiscal import Period
from ..metrics import compute, load_catalog
from ..metrics.cache import catalog_digest, remember
from ..metrics.forecasting.deals import deals_as_of

__all__ = ["READ_AT_START", "TREND_METRICS", "Trend", "changes", "quarter_trend"]

#: The metrics of the trend section, in the order they are shown.
TREND_METRICS = ("attainment", "win_rate", "sales_cycle_days", "average_deal_size", "pipeline_coverage")
#: Metrics read at the quarter's start (the pipeline it began with); the others at its end.
READ_AT_START = frozenset({"pipeline_coverage"})
_DAY = pd.Timedelta(days=1)


@dataclass
class Trend:
    """Tidy trend rows and what could not be shown.

    ``rows``: ``period``, the ``by`` level, ``metric``, ``value``, ``read_at`` (the date the data was read
    as of) and ``partial`` (the quarter was still running on the report date). ``unavailable``: metric →
    the reason it is missing (e.g. no targets table). ``periods``: the quarters in order, oldest first.
    ``same_point``: while the last quarter runs, the quarter before and the year-ago quarter read as far into
    them as the report date is into this one (the fair comparison), else None.
    """

    rows: pd.DataFrame
    by: str
    periods: list[str]
    unavailable: dict[str, str] = field(default_factory=dict)
    same_point: pd.DataFrame | None = None

    def series(self, metric: str, group: str | None = None) -> pd.Series:
        """One metric's value per quarter (oldest first) for a group (default: the only or first group)."""
        r = self.rows[self.rows["metric"] == metric]
        if group is None and len(r):
            group = r[self.by].iloc[0]
        r = r[r[self.by] == group]
        return r.set_index("period")["value"].reindex(self.periods)


def _quarters(ds: Dataset, period: Period, quarters: int) -> list[Period]:
    """The ``quarters`` fiscal quarters ending with ``period``, oldest first, from the first whose end the
    data reaches (a quarter entirely before the first deal was created has nothing to show)."""
    cal = ds.calendar
    first = ds.opportunities["created_date"].min()
    out = [cal.shift(period, -k) for k in range(quarters - 1, -1, -1)]
    return [q for q in out if pd.notna(first) and q.last_day >= first]


def quarter_trend(ds: Dataset, period: str | Period, *, by: str = "district", quarters: int = 8,
                  metrics: tuple[str, ...] = TREND_METRICS) -> Trend:
    """The ``metrics`` for each of the ``quarters`` quarters ending with ``period``, per ``by`` group.

    Parameters
    ----------
    ds : the dataset as of the report date (a region slice for a region's page).
    period : the quarter the page is about; the trend ends with it.
    by : the level of the rows, usually the page's scope (``district`` or ``region``).
    """
    period = ds.period(period)
    catalog = load_catalog()
    # In a pack, computed once per scope (two pages show the trend): see quotabook.metrics.cache.remember.
    parts = [period.label, repr(period.start), repr(period.end), by, str(quarters), *metrics, catalog_digest(catalog)]
    return remember(ds, "quarter_trend", parts, lambda: _quarter_trend(ds, period, by, quarters, metrics, catalog))


def _quarter_trend(ds: Dataset, period: Period, by: str, quarters: int, metrics: tuple[str, ...],
                   catalog) -> Trend:
    ref = ds.reference_date.normalize()
    unavailable = {}
    end_metrics = [m for m in metrics if m not in READ_AT_START]
    start_metrics = [m for m in metrics if m in READ_AT_START]
    first_created = ds.opportunities["created_date"].min()
    periods = _quarters(ds, period, quarters)
    readings = []  # (quarter, metrics, day read as of), in the order of the rows
    for q in periods:
        if q.start > ref:  # a quarter that has not begun on the report date has no figures yet
            continue
        if end_metrics:
            readings.append((q, end_metrics, min(q.last_day, ref)))
        if start_metrics and q.start - _DAY >= first_created:
            readings.append((q, start_metrics, q.start - _DAY))
    longs = _read_on_days(ds, readings, by, catalog)
    frames = []
    for (q, _names, day), long in zip(readings, longs, strict=True):
        unavailable.update(long.attrs.get("unavailable", {}))
        frames.append(long.assign(period=q.label, read_at=day, partial=q.state(ref).running))
    cols = ["period", by, "metric", "value", "read_at", "partial"]
    rows = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    same_point = _same_point(ds, period, ref, end_metrics, by, catalog) if period.last_day > ref else None
    rows["value"] = rows["value"].astype("float64").replace([np.inf, -np.inf], np.nan)
    shown = [m for m in metrics if m in set(rows["metric"])]
    rows["metric"] = pd.Categorical(rows["metric"], categories=list(metrics))
    rows = rows.sort_values(["metric", by, "period"], kind="stable").reset_index(drop=True)
    rows["metric"] = rows["metric"].astype("str")
    unavailable = {m: why for m, why in unavailable.items() if m not in shown}
    return Trend(rows=rows, by=by, periods=[q.label for q in periods if q.start <= ref], unavailable=unavailable,
                 same_point=same_point)


def _read_on_days(ds: Dataset, readings: list[tuple[Period, list[str], pd.Timestamp]], by: str,
                  catalog) -> list[pd.DataFrame]:
    """``compute`` of each reading's metrics for its quarter on the deals as they stood on its day, one time
    travel per distinct day: a quarter's start (coverage, the day before it began) is the last day of the
    quarter before (its outcomes), so the two readings share one. Results in the order of ``readings``.

    None of the trend metrics reads activities or leads, so the travel leaves them out
    (:func:`~quotabook.metrics.forecasting.deals.deals_as_of`, kept with ``ds`` where it keeps large frames,
    so other views of the same day share it too)."""
    by_day: dict[pd.Timestamp, list[int]] = {}
    for i, (_q, _names, day) in enumerate(readings):
        by_day.setdefault(day, []).append(i)
    out: list[pd.DataFrame] = [pd.DataFrame()] * len(readings)
    for day, indices in by_day.items():  # a few days, each travelled once
        travelled = deals_as_of(ds, day, always=False)
        for i in indices:
            q, names, _day = readings[i]
            out[i] = compute(names, travelled, q, by=by, catalog=catalog)
    return out


def _same_point(ds: Dataset, period: Period, ref: pd.Timestamp, metrics: list[str], by: str,
                catalog) -> pd.DataFrame | None:
    """For a quarter still running: the outcome metrics of the quarter before and of the same quarter a year
    earlier, read as many days into those quarters as the report date is into this one (a running quarter
    is compared with the same point of earlier quarters, not with their finished totals)."""
    if period.start > ref or not metrics:
        return None
    elapsed = ref - period.start
    first_created = ds.opportunities["created_date"].min()
    frames = []
    for back in (1, 4):
        q = ds.calendar.shift(period, -back)
        day = min(q.start + elapsed, q.last_day)
        if pd.isna(first_created) or day < first_created:
            continue
        long = compute(metrics, deals_as_of(ds, day, always=False), q, by=by, catalog=catalog)
        frames.append(long.assign(period=q.label, read_at=day))
    if not frames:
        return None
    out = pd.concat(frames, ignore_index=True)[["period", by, "metric", "value", "read_at"]]
    out["value"] = out["value"].astype("float64").replace([np.inf, -np.inf], np.nan)
    return out


def changes(trend: Trend, period: str | Period, group: str | None = None) -> pd.DataFrame:
    """The quarter ``period`` against the quarter before and the same quarter a year earlier, per metric.

    Returns
    -------
    DataFrame
        Indexed by metric: ``unit``, ``value``, ``previous``, ``year_ago``, ``qoq`` and ``yoy`` (the change:
        points, as a share, for percent metrics; otherwise relative, as a share of the earlier value;
        NaN where an earlier value is missing or zero) and ``partial`` (the quarter is still running: then the
        earlier quarters' outcomes are read at the same point of the quarter, coverage at their start).
    """
    label = str(period)
    catalog = load_catalog()
    idx = trend.periods.index(label) if label in trend.periods else None
    before = trend.periods[idx - 1] if idx else None
    year_ago = trend.periods[idx - 4] if idx is not None and idx >= 4 else None
    partial = bool(trend.rows.loc[trend.rows["period"] == label, "partial"].any())
    out = []
    early = trend.same_point if partial and trend.same_point is not None else None
    if group is None and len(trend.rows):
        group = trend.rows[trend.by].iloc[0]
    for metric in dict.fromkeys(trend.rows["metric"]):
        s = trend.series(metric, group)
        unit = catalog.get(metric).unit
        now = s.get(label, np.nan)
        if early is not None and metric not in READ_AT_START:  # a running quarter: the same point of the others
            e = early[(early["metric"] == metric) & (early[trend.by] == group)]
            s = e.set_index("period")["value"]
        prev = s.get(before, np.nan) if before else np.nan
        ago = s.get(year_ago, np.nan) if year_ago else np.nan
        out.append({"metric": metric, "unit": unit, "value": now, "previous": prev, "year_ago": ago,
                    "qoq": _change(now, prev, unit), "yoy": _change(now, ago, unit), "partial": partial})
    return pd.DataFrame(out).set_index("metric") if out else pd.DataFrame(
        columns=["unit", "value", "previous", "year_ago", "qoq", "yoy", "partial"])


def _change(now: float, before: float, unit: str) -> float:
    """Points for a percent metric (31% − 27% = 0.04, from the whole percentages a reader sees), else the
    relative change; NaN when not comparable."""
    if pd.isna(now) or pd.isna(before):
        return np.nan
    if unit == "percent":  # in whole points of the percentages shown, so the change matches the figures
        return float(round(now * 100) - round(before * 100)) / 100
    return float(now / before - 1) if before else np.nan
