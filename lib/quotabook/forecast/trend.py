"""Historical pipeline trend: open pipeline by stage, week by week, against the target (InsightSquared).

Rebuilding the dataset with ``Dataset.as_of`` for each of fifty weeks would take seconds, so
:func:`snapshots` rebuilds every deal's state at many dates in one pass with the same rules: the state
fields are those of the deal's latest history row on or before the date (blanks carried forward); a deal
whose first change is later takes that first recorded state; a deal without history keeps its current
fields and shows open, in the first open stage, until its close date if it closed later. Deals not yet
created are left out. (tests/forecast/test_trend.py checks it against ``Dataset.as_of``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..fiscal import Period
from ..metrics.forecasting.deals import flag
from ..metrics.history import lookup

__all__ = ["TREND_QUARTERS", "pipeline_trend", "snapshots", "trend_dates"]

TREND_QUARTERS = 4
_FIELDS = ["stage", "amount", "close_date", "forecast_category"]


def snapshots(ds: Dataset, dates) -> pd.DataFrame:
    """Every deal's state at the end of each date: ``date``, ``opportunity_id``, ``territory``, ``owner``,
    ``stage``, ``amount``, ``close_date``, ``forecast_category`` and ``is_open`` (stage map)."""
    dates = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    o = ds.opportunities[["opportunity_id", "territory", "owner", "created_date", "is_closed", *_FIELDS]]
    grid = o.merge(pd.DataFrame({"date": dates}), how="cross")
    # A deal kept without a created date (quotabook.kept) is taken to exist at every date, as in Dataset.as_of.
    grid = grid[grid["created_date"].isna() | (grid["created_date"] < grid["date"] + pd.Timedelta(days=1))]
    grid["cutoff"] = (grid["date"] + pd.Timedelta(days=1)).astype("datetime64[ns]")
    h = ds.opportunity_history
    fields = [c for c in _FIELDS if c in h]
    h = h[["opportunity_id", "changed_at", *fields]].sort_values(["opportunity_id", "changed_at"], kind="stable")
    h = h.assign(**{c: h.groupby("opportunity_id")[c].ffill() for c in fields}).dropna(subset=["changed_at"])
    h["changed_at"] = h["changed_at"].astype("datetime64[ns]")
    state = pd.merge_asof(grid.sort_values("cutoff"), h.rename(columns={c: f"h_{c}" for c in fields}).sort_values(
        "changed_at"), left_on="cutoff", right_on="changed_at", by="opportunity_id", allow_exact_matches=False)
    first = h.drop_duplicates("opportunity_id").set_index("opportunity_id")
    has_history = state["opportunity_id"].isin(first.index)
    matched = state["changed_at"].notna()
    for c in fields:  # four fields; each a vectorised column choice
        earliest = lookup(state["opportunity_id"], first[c])
        state[c] = state[f"h_{c}"].where(matched, earliest).where(has_history, state[c])
    stage_map = ds.settings.stage_table()
    closed_later = ~has_history & flag(state, "is_closed") & (state["close_date"] >= state["cutoff"])
    state.loc[closed_later, "stage"] = ds.settings.open_stages[0]
    state.loc[closed_later, "forecast_category"] = "Pipeline"
    is_closed = state["stage"].map(stage_map["is_closed"])
    state["is_open"] = ~is_closed.fillna(state["is_closed"]).astype(bool)
    state["amount"] = pd.to_numeric(state["amount"], errors="coerce").astype("float64")
    state["close_date"] = pd.to_datetime(state["close_date"])
    cols = ["date", "opportunity_id", "territory", "owner", *_FIELDS, "is_open"]
    return state[cols].sort_values(["date", "opportunity_id"]).reset_index(drop=True)


def trend_dates(ds: Dataset, period: Period, quarters: int = TREND_QUARTERS) -> pd.DatetimeIndex:
    """Weekly dates (the period's weekday) from ``quarters - 1`` quarters before ``period`` up to its end
    or the report date, whichever is earlier."""
    first = ds.calendar.shift(period, -(quarters - 1)).start
    last = min(ds.reference_date.normalize(), period.last_day)
    return pd.date_range(first, max(last, first), freq="7D")


def pipeline_trend(ds: Dataset, period: Period, quarters: int = TREND_QUARTERS) -> pd.DataFrame:
    """Open pipeline (all close dates, Omitted left out) by stage at each weekly date, with the target.

    Returns tidy rows ``date``, ``stage`` (open stages in stage-map order, a category), ``amount``
    (reporting currency) and, repeated per date, ``pipeline`` (all stages), ``quarter`` (label of the
    quarter the date falls in) and ``target`` (that quarter's target; NaN without targets).
    """
    dates = trend_dates(ds, period, quarters)
    snap = snapshots(ds, dates)
    snap = snap[snap["is_open"] & snap["forecast_category"].ne("Omitted")]
    stages = ds.settings.open_stages
    grid = pd.MultiIndex.from_product([dates, stages], names=["date", "stage"])
    amounts = snap.groupby(["date", "stage"])["amount"].sum().reindex(grid, fill_value=0.0)
    out = amounts.rename("amount").reset_index()
    out["stage"] = pd.Categorical(out["stage"], categories=stages, ordered=True)
    out["pipeline"] = out.groupby("date")["amount"].transform("sum")
    out["quarter"] = ds.calendar.labels(out["date"]).astype("str")
    targets = ds.targets.groupby("period")["target_amount"].sum() if len(ds.targets) else pd.Series(dtype=float)
    out["target"] = out["quarter"].map(targets).astype("float64") if len(targets) else np.nan
    return out
