"""Pipeline integrity measures of theme 6, forecast (InsightSquared, "Pipeline Integrity"): the red flags of a
soon-to-close deal — close date moved 5 or more times, lingering in its stage 6× longer than an average
deal, 3× larger than an average deal, not worked on for a few weeks.

The flags are per deal. :func:`deal_flags` computes them for every open deal; the views list it and the
measures aggregate it. Asked ``by="opportunity_id"``, a measure gives each deal's own value; at territory,
region or owner level ``stage_age_multiple``, ``deal_size_multiple`` and ``days_since_activity`` give the
worst (largest) value among the group's open deals closing in the period, so a group's alert fires exactly
when one of its deals carries the flag. Close-date pushes are a velocity measure (``close_date_push_count``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...activities import activities_linked, deal_last_activity
from ...dataset import Dataset
from ..compute import Context, measure
from ..history import close_date_pushes, dataset_stage_runs, days_between, days_in_current_stage, lookup, stage_days

__all__ = ["FLAGS", "activity_known", "average_won_deal_size", "deal_flags", "last_touch"]

# flag column -> (value column, workbook threshold key); a flag is raised at or above its threshold
FLAGS = {
    "flag_pushes": ("pushes", "slippage_red_flag_pushes"),
    "flag_stage_age": ("stage_age_multiple", "integrity_stage_age_multiple"),
    "flag_deal_size": ("deal_size_multiple", "integrity_deal_size_multiple"),
    "flag_no_activity": ("days_since_activity", "integrity_no_activity_days"),
}


def average_won_deal_size(ds: Dataset) -> float:
    """Average amount (reporting currency) of deals won in the twelve months up to the report date (the
    four quarters before it, InsightSquared's "average deal"); NaN when there are none."""
    o, ref = ds.opportunities, ds.reference_date
    close = pd.to_datetime(o["close_date"])
    recent = o["is_won"].astype(bool) & (close > ref - pd.DateOffset(months=12)) & (close <= ref)
    return float(o.loc[recent, "amount"].astype("float64").mean()) if recent.any() else float("nan")


def last_touch(ds: Dataset, deals: pd.DataFrame) -> pd.Series:
    """Latest activity date of each deal: the later of ``last_activity_date`` and its latest linked
    activity in the activities table (NaT when neither exists). Aligned with ``deals``."""
    stored = (pd.to_datetime(deals["last_activity_date"]) if "last_activity_date" in deals
              else pd.Series(pd.NaT, index=deals.index, dtype="datetime64[ns]"))
    latest = pd.to_datetime(lookup(deals["opportunity_id"], deal_last_activity(ds)))
    return pd.concat([stored.dt.normalize(), latest.dt.normalize()], axis=1).max(axis=1).rename("last_touch")


def activity_known(ds: Dataset) -> bool:
    """Whether the data records when any deal was worked on: activities linked to deals, or a
    ``last_activity_date``. Without either, "days since activity" would only be days since creation,
    and a "no activity for 377 days" flag would be a claim the data cannot make."""
    o = ds.opportunities
    return bool(activities_linked(ds)
                or ("last_activity_date" in o and o["last_activity_date"].notna().any()))


def deal_flags(ds: Dataset) -> pd.DataFrame:
    """Every open deal at the report date with its four integrity values and red flags.

    Columns added to the deal's own: ``pushes`` (close-date pushes so far, count), ``days_in_stage`` (whole
    days), ``stage_average_days`` (mean days deals that left the stage spent in it), ``stage_age_multiple``
    (days in stage ÷ that average), ``average_deal_size`` (see :func:`average_won_deal_size`, reporting
    currency), ``deal_size_multiple`` (amount ÷ that average), ``last_touch`` and ``days_since_activity``
    (whole days since the deal was last worked on, or since it was created when it never was; NaN for every
    deal when the data records no activity at all, see :func:`activity_known`), one boolean
    ``flag_*`` column per :data:`FLAGS` entry, ``risk_flags`` (how many flags are raised, 0-4) and
    ``closes_soon`` (close date no later than ``integrity_soon_days`` days after the report date, 90 by
    default, overdue included).
    """
    o = ds.opportunities
    o = o[~o["is_closed"].astype(bool)]
    hist, ref, settings = ds.opportunity_history, ds.reference_date, ds.settings
    runs = dataset_stage_runs(ds)
    out = o.assign(pushes=close_date_pushes(hist, deals=o["opportunity_id"]).to_numpy(),
                   days_in_stage=days_in_current_stage(o, hist, ref, runs))
    average_days = stage_days(runs, how="mean", stages=settings.open_stages)
    out["stage_average_days"] = out["stage"].map(average_days).astype("float64")
    out["stage_age_multiple"] = out["days_in_stage"] / out["stage_average_days"].where(out["stage_average_days"] > 0)
    size = average_won_deal_size(ds)
    out["average_deal_size"] = size
    out["deal_size_multiple"] = out["amount"].astype("float64") / (size if size > 0 else np.nan)
    out["last_touch"] = last_touch(ds, out)
    out["days_since_activity"] = (days_between(out["last_touch"].fillna(pd.to_datetime(out["created_date"])), ref)
                                  if activity_known(ds) else np.nan)  # no activity data: unknown, never flagged
    for flag, (column, key) in FLAGS.items():
        out[flag] = (out[column] >= settings.threshold(key)).astype(bool)
    out["risk_flags"] = out[list(FLAGS)].sum(axis=1).astype("int64")
    soon = pd.Timedelta(days=settings.threshold("integrity_soon_days"))
    out["closes_soon"] = pd.to_datetime(out["close_date"]) <= ref + soon
    return out


def _flags(ctx: Context) -> pd.DataFrame:
    """:func:`deal_flags` once per dataset: the flags do not depend on the grouping, so every level shares them."""
    return ctx.per_dataset(("deal_flags",), lambda: deal_flags(ctx.ds))


def _in_period(ctx: Context) -> pd.DataFrame:
    """Open deals closing in the context's period, with their flags."""
    d = _flags(ctx)
    return d[ctx.period.contains(d["close_date"])]


@measure("stage_age_multiple")
def stage_age_multiple(ctx: Context) -> pd.Series:
    """Largest days-in-stage ÷ stage average among open deals closing in the period (ratio)."""
    return ctx.agg(_in_period(ctx), "stage_age_multiple", "max")


@measure("deal_size_multiple")
def deal_size_multiple(ctx: Context) -> pd.Series:
    """Largest amount ÷ average won deal among open deals closing in the period (ratio)."""
    return ctx.agg(_in_period(ctx), "deal_size_multiple", "max")


@measure("days_since_activity")
def days_since_activity(ctx: Context) -> pd.Series:
    """Most days without activity among open deals closing in the period (days)."""
    return ctx.agg(_in_period(ctx), "days_since_activity", "max")


@measure("at_risk_deal_count")
def at_risk_deal_count(ctx: Context) -> pd.Series:
    """Open deals closing within ``integrity_soon_days`` of the report date with a red flag (count)."""
    d = _flags(ctx)
    return ctx.count(d[d["closes_soon"] & (d["risk_flags"] > 0)])
