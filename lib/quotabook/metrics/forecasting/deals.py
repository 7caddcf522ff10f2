"""Which deals a forecast counts, and the dates a forecast is read on.

Every method forecasts the same thing: the period's bookings, i.e. the amount of deals won with a close date
in the fiscal period. What is already won counts in full (*closed*); what is still open and dated in the
period (*the period's pipeline*) is weighted by each method's own odds. Deals in forecast category Omitted
are left out of the pipeline, as in ``open_pipeline_amount``: the rep has said they will not close.

A forecast frame has one row per deal that contributes: ``opportunity_id``, ``territory``, ``owner``,
``component`` (what the row is: closed, commit, pipeline, trailing ...), ``amount`` (reporting currency),
``weight`` (the share of the amount the method counts, 0-1) and ``value`` (= amount × weight). Summing
``value`` per territory, region or district gives the forecast at that level, so roll-ups reconcile.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ...dataset import Dataset, empty_table
from ...fiscal import Period

__all__ = ["DEAL_COLUMNS", "FRAME_COLUMNS", "GROUP_COLUMNS", "closed_deals",
           "contributions", "deal_table", "deals_as_of", "elapsed_days", "flag", "open_pipeline", "period_days",
           "review_date", "week_start", "without_activity"]

FRAME_COLUMNS = ["opportunity_id", "territory", "owner", "component", "amount", "weight", "value"]
#: Deal columns the forecasts read, and opportunity columns a forecast may be grouped by besides geography.
DEAL_COLUMNS = ["opportunity_id", "owner", "territory", "created_date", "close_date", "stage", "forecast_category",
                "amount", "probability", "is_closed", "is_won"]
GROUP_COLUMNS = ["segment", "type", "lead_source", "product"]
_DAY = pd.Timedelta(days=1)


def without_activity(ds: Dataset) -> Dataset:
    """The dataset without activities and leads, which no forecast reads: ``as_of`` on it is quicker."""
    return replace(ds, activities=empty_table("activities"), activity_store=None, leads=empty_table("leads"))


def deals_as_of(ds: Dataset, day, *, always: bool = True) -> Dataset:
    """``without_activity(ds).as_of(day)``, built once per dataset and day and kept in ``ds.derived``: the
    deals and history as they stood at the end of a period, which the aged and stale deals and the pipeline
    waterfall of that period all read (by territory, region and rep alike). With ``always=False`` the travel
    is kept only where the dataset keeps large frames (:meth:`Dataset.keeps_large`: memory over CPU above it)."""
    day = pd.Timestamp(day).normalize()
    return ds.derive(("deals_as_of", day), lambda: without_activity(ds).as_of(day), large=not always)


def deal_table(ds: Dataset) -> pd.DataFrame:
    """The opportunities with only the columns forecasts read (and group by): CRM exports carry some thirty
    columns a forecast never reads, and selecting rows of all of them costs most of a method's time."""
    o = ds.opportunities
    return o[[c for c in [*DEAL_COLUMNS, *GROUP_COLUMNS] if c in o]]


def flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column as plain bool (missing counts as False)."""
    return frame[column].fillna(False).astype(bool)


def open_pipeline(ds: Dataset, period: Period) -> pd.DataFrame:
    """Open deals dated in ``period``, forecast category Omitted left out, at the dataset's date.

    ``probability`` is the CRM's (0-100) where given, else the stage map's default for the deal's stage.
    """
    o = deal_table(ds)
    keep = period.contains(o["close_date"]) & ~flag(o, "is_closed") & o["forecast_category"].ne("Omitted")
    deals = o[keep].copy()
    default = deals["stage"].map(ds.settings.stage_table()["probability"]).astype("float64")
    deals["probability"] = pd.to_numeric(deals["probability"], errors="coerce").fillna(default)
    deals["amount"] = deals["amount"].astype("float64").fillna(0.0)
    return deals


def closed_deals(ds: Dataset, period: Period) -> pd.DataFrame:
    """Deals won with a close date in ``period`` (the bookings so far), as a forecast frame of weight 1."""
    o = deal_table(ds)
    won = o[period.contains(o["close_date"]) & flag(o, "is_won")]
    return contributions(won, "closed", 1.0)


def contributions(deals: pd.DataFrame, component: str, weight) -> pd.DataFrame:
    """``deals`` as a forecast frame: each deal's amount counted at ``weight`` (a number or a Series aligned
    with ``deals``, shares 0-1)."""
    amount = deals["amount"].to_numpy(dtype="float64", na_value=0.0)
    weight = (weight.to_numpy(dtype="float64") if isinstance(weight, pd.Series)
              else np.full(len(deals), float(weight)))
    columns = {"opportunity_id": deals["opportunity_id"].array, "territory": deals["territory"].array,
               "owner": deals["owner"].array, "component": component, "amount": amount, "weight": weight,
               "value": amount * weight}  # arrays, not Series: no index to align (backtests build many frames)
    columns.update({c: deals[c].array for c in GROUP_COLUMNS if c in deals})
    return pd.DataFrame(columns, index=pd.RangeIndex(len(deals)))


def period_days(period: Period) -> int:
    """Calendar days in the period."""
    return int((period.end - period.start) / _DAY)


def elapsed_days(period: Period, date) -> int:
    """Whole days of ``period`` gone by at the end of ``date`` (0 before it starts, all once it has ended)."""
    gone = int((pd.Timestamp(date).normalize() + _DAY - period.start) / _DAY)
    return min(max(gone, 0), period_days(period))


def week_start(period: Period, week: int) -> pd.Timestamp:
    """First day of week ``week`` (1 = the period's first seven days) of the period."""
    return pd.Timestamp(period.start) + pd.Timedelta(days=7 * (int(week) - 1))


def review_date(ds: Dataset, period: Period) -> pd.Timestamp:
    """The date a forecast of ``period`` is read as of in a report.

    While the period runs (or lies ahead) that is the report date. Once the period has ended every method
    would just return what was won, so its forecast is shown as it stood at the start of week
    ``backtest_week`` (workbook threshold), the same date ``backtest_forecast`` judges.
    """
    ref = ds.reference_date.normalize()
    if ref < period.last_day:
        return ref
    return week_start(period, int(ds.settings.threshold("backtest_week")))
