"""Measures of theme 4, velocity: sales cycle, lead to close, pipeline aging, stale deals
and slippage. Sales velocity and pipeline aging share are a derived and a ratio metric, evaluated by
:mod:`quotabook.metrics.compute` from the catalog, never here.

Row selections live in small functions (``won_in_period``, ``aging``, ``stale``) that the velocity views
reuse, so a list shown in a report and the count next to it cannot drift apart.

A common write-up defines average deal velocity as "Sum(close_date − created_date) / count of closed-won
opportunities" and gives two examples that divide by different things: "100 deals spend a total of 9,000
days in the pipeline and 50 close won → 180 days" (every deal's days over the won deals) and "100 deals,
8,000 days total = 80 days avg" (every deal's days over every deal). ``sales_cycle_days`` follows the
write-up's SQL (``AVG`` over closed-won deals, i.e. won deals' days over won deals); :func:`deal_velocity`
and :func:`funnel_days_per_won_deal` reproduce the literal "total days / closed-won deals" arithmetic. The
8,000 / 100 example agrees with the formula only when all 100 deals are closed-won.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from ..compute import Context, measure
from ..history import (
    close_date_pushes,
    days_between,
    days_in_current_stage,
    lookup,
    slipped_out,
    won_stage_median_days,
)

__all__ = ["aging", "cycle_days", "deal_velocity", "funnel_days_per_won_deal", "open_deals", "slipped",
           "stale", "won_in_period"]


# -- shared row selections ---------------------------------------------------------------------------------
def cycle_days(opportunities: pd.DataFrame) -> pd.Series:
    """Whole days from creation to the (expected or actual) close date of each deal."""
    return days_between(opportunities["created_date"], opportunities["close_date"]).rename("cycle_days")


def deal_velocity(total_days, closed_won_deals):
    """Average deal velocity as commonly written, literally: total days in the funnel ÷ closed-won deals (days).

    Vectorised (scalars, arrays or Series); NaN where there are no closed-won deals.
    """
    won = np.asarray(closed_won_deals, dtype="float64")
    return np.asarray(total_days, dtype="float64") / np.where(won > 0, won, np.nan)


def funnel_days_per_won_deal(opportunities: pd.DataFrame) -> float:
    """Days all ``opportunities`` spent from creation to close, divided by the number of them that were won
    (the worked "100 deals spend 9,000 days, 50 close won → 180 days"); NaN without won deals."""
    return float(deal_velocity(cycle_days(opportunities).sum(), opportunities["is_won"].astype(bool).sum()))


def won_in_period(ds: Dataset, period: Period) -> pd.DataFrame:
    """Deals won with a close date in ``period``, with their ``cycle_days`` (days from creation to the win)."""
    o = ds.opportunities
    won = o[o["is_won"].astype(bool) & period.contains(o["close_date"])]
    return won.assign(cycle_days=cycle_days(won))


def open_deals(ds: Dataset) -> pd.DataFrame:
    """Deals open at the dataset's report date, with ``days_in_stage`` (whole days in the current stage)."""
    o = ds.opportunities
    o = o[~o["is_closed"].astype(bool)]
    return o.assign(days_in_stage=days_in_current_stage(o, ds.opportunity_history, ds.reference_date))


def aging(ds: Dataset) -> pd.DataFrame:
    """Open deals with the pipeline aging test ("% deals > stage median × 1.5").

    Adds ``won_median_days`` (median days won deals spent in the deal's current stage, from history),
    ``aging_limit_days`` (``aging_stage_multiple`` × that median), ``stage_multiple`` (days in stage ÷ the
    median) and ``aged`` (days in stage above the limit). A stage no won deal has passed through has no
    median, so its deals are never counted as aged.
    """
    o = open_deals(ds)
    medians = won_stage_median_days(ds.opportunity_history, ds.opportunities, ds.settings.open_stages)
    median = o["stage"].map(medians).astype("float64")
    limit = ds.settings.threshold("aging_stage_multiple") * median
    return o.assign(won_median_days=median, aging_limit_days=limit,
                    stage_multiple=o["days_in_stage"] / median.where(median > 0),
                    aged=(o["days_in_stage"] > limit).astype(bool))


def stale(ds: Dataset) -> pd.DataFrame:
    """Open deals with the stale test: no stage progression for more than ``stale_days``, or
    ``proposal_stale_days`` for deals in the Proposal funnel step. Adds ``stale_limit_days`` and ``stale``."""
    o = open_deals(ds)
    step = o["stage"].map(ds.settings.stage_table()["funnel_step"])
    limit = np.where(step.eq("Proposal"), ds.settings.threshold("proposal_stale_days"),
                     ds.settings.threshold("stale_days"))
    return o.assign(stale_limit_days=limit.astype("float64"), stale=(o["days_in_stage"] > limit).astype(bool))


def slipped(ds: Dataset, period: Period) -> pd.DataFrame:
    """Deals that slipped out of ``period`` (see :func:`quotabook.metrics.history.slipped_out`), with the
    deal's columns (owner, territory, segment, stage, ...) as they stand at the report date."""
    out = slipped_out(ds.opportunity_history, ds.opportunities, period.start, period.end)
    extra = ds.opportunities.drop(columns=[c for c in out.columns if c != "opportunity_id"], errors="ignore")
    return out.merge(extra, on="opportunity_id", how="left")


# -- measures ------------------------------------------------------------------------------------------------
@measure("sales_cycle_days")
def sales_cycle_days(ctx: Context) -> pd.Series:
    """Mean whole days from creation to the win over deals won in the period (days)."""
    return ctx.agg(won_in_period(ctx.ds, ctx.period), "cycle_days", "mean")


@measure("median_sales_cycle_days")
def median_sales_cycle_days(ctx: Context) -> pd.Series:
    """Median whole days from creation to the win over deals won in the period (days)."""
    return ctx.agg(won_in_period(ctx.ds, ctx.period), "cycle_days", "median")


@measure("lead_to_close_days")
def lead_to_close_days(ctx: Context) -> pd.Series:
    """Mean whole days from the first lead to the win over won deals of the period with a lead (days)."""
    leads = ctx.ds.leads.dropna(subset=["opportunity_id"])
    first_lead = leads.groupby("opportunity_id")["created_date"].min()
    won = won_in_period(ctx.ds, ctx.period)
    lead_created = lookup(won["opportunity_id"], first_lead)
    won = won.assign(lead_days=days_between(lead_created, won["close_date"]))
    return ctx.agg(won[lead_created.notna()], "lead_days", "mean")


@measure("aged_deal_count")
def aged_deal_count(ctx: Context) -> pd.Series:
    """Deals open at the end of the period (or now, for the current one) in their stage longer than the
    aging limit (count)."""
    a = aging(ctx.deals_at_period_end())
    return ctx.count(a[a["aged"]])


@measure("stale_deal_count")
def stale_deal_count(ctx: Context) -> pd.Series:
    """Deals open at the end of the period (or now) without stage progression past the stale limit (count)."""
    s = stale(ctx.deals_at_period_end())
    return ctx.count(s[s["stale"]])


@measure("close_date_push_count")
def close_date_push_count(ctx: Context) -> pd.Series:
    """Close-date pushes so far of the deals with a close date in the period (count)."""
    o = ctx.closing_in_period()
    pushes = close_date_pushes(ctx.ds.opportunity_history, deals=o["opportunity_id"])
    return ctx.sum(o.assign(pushes=pushes.to_numpy()), "pushes")


@measure("slipped_amount")
def slipped_amount(ctx: Context) -> pd.Series:
    """Value, as last expected in the period, of deals that slipped out of it (reporting currency)."""
    return ctx.sum(slipped(ctx.ds, ctx.period), "slipped_amount")
