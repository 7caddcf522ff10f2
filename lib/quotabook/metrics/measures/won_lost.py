"""Measures of theme 7, won / lost (InsightSquared, Scott Cowley): what the period's closed deals came to.

Deals are cohorted by close date, not creation date, so open deals never enter a won/lost figure and a
quarter's numbers are final once it closes (InsightSquared). Won value is ``closed_amount`` (theme 1); win rate,
closed count and average deal size are ratios / derived metrics evaluated from the catalog. Customer
counts follow Scott Cowley: one customer per distinct ``account_id`` with a won deal.
"""

from __future__ import annotations

import pandas as pd

from ..compute import Context, measure
from .target_achievement import _in_period, _rows

__all__: list[str] = []


def _won(o: pd.DataFrame) -> pd.Series:
    """Mask: won deals."""
    return o["is_won"].fillna(False).astype(bool)


def _lost(o: pd.DataFrame) -> pd.Series:
    """Mask: closed deals that were not won."""
    return o["is_closed"].fillna(False).astype(bool) & ~_won(o)


@measure("won_count")
def won_count(ctx: Context) -> pd.Series:
    """Number of won deals with a close date in the period (count of deals)."""
    return ctx.count(_rows(ctx, _in_period(ctx) & _won(ctx.opportunities)))


@measure("lost_count")
def lost_count(ctx: Context) -> pd.Series:
    """Number of closed, not won deals with a close date in the period (count of deals)."""
    return ctx.count(_rows(ctx, _in_period(ctx) & _lost(ctx.opportunities)))


@measure("lost_amount")
def lost_amount(ctx: Context) -> pd.Series:
    """Amount of the closed, not won deals with a close date in the period (reporting currency)."""
    return ctx.sum(_rows(ctx, _in_period(ctx) & _lost(ctx.opportunities), "amount"), "amount")


@measure("customer_count")
def customer_count(ctx: Context) -> pd.Series:
    """Distinct accounts with at least one won deal closed before the period ends (count of accounts).

    Distinct within each group: an account won in two territories of one region counts once for the region.
    """
    o = ctx.opportunities
    won = _rows(ctx, _won(o) & (o["close_date"] < ctx.period.end) & o["account_id"].notna(), "account_id")
    return ctx.nunique(won, "account_id")


@measure("new_customer_count")
def new_customer_count(ctx: Context) -> pd.Series:
    """Accounts whose first won deal closes in the period (count of accounts), each counted once in the
    group of that first deal (ties broken by opportunity id), so territory counts add up to their region's."""
    o = ctx.opportunities
    won = _rows(ctx, _won(o) & o["account_id"].notna(), "account_id", "close_date", "opportunity_id")
    first = won.sort_values(["close_date", "opportunity_id"], kind="stable").drop_duplicates("account_id")
    return ctx.count(first[ctx.period.contains(first["close_date"])])


@measure("run_rate_revenue")
def run_rate_revenue(ctx: Context) -> pd.Series:
    """Annualised bookings pace (reporting currency per year): won amount of the three months ending with
    the period × 4. While the period is still running the window ends with the report date instead, so the
    run rate of the current quarter is never diluted by the weeks still to come."""
    end = min(ctx.period.end, ctx.reference_date.normalize() + pd.Timedelta(days=1))
    start = end - pd.DateOffset(months=3)
    o = ctx.opportunities
    keep = _won(o) & (o["close_date"] >= start) & (o["close_date"] < end)
    return ctx.sum(_rows(ctx, keep, "amount"), "amount") * 4.0
