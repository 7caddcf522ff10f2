"""Measures about the reps themselves rather than their deals: how long each has been selling here.

Tenure is what a rep scorecard reads a ramp from: a rep three months in is judged against a ramp, not
against the team. It counts from the rep's first logged activity (else their first deal), so data that starts
later than the rep makes tenure a lower bound — the definition says so.
"""

from __future__ import annotations

import pandas as pd

from ...activities import activity_columns, activity_spans
from ..compute import Context, measure

__all__: list[str] = []


@measure("rep_tenure_days")
def rep_tenure_days(ctx: Context) -> pd.Series:
    """Days from the group's first logged activity to the report date, or from its first deal's created date
    when it has no activity (the earliest rep of a group above the rep level); NaN for a group with neither.

    Activities come first because a CRM hands a leaver's open deals to the new owner: a new hire then owns
    deals created long before they joined, while their activities start the day they did."""
    ref = ctx.reference_date.normalize()
    o = ctx.opportunities
    first_deal = ctx.agg(o.assign(_day=_days_before(o["created_date"], ref)), "_day", "max")
    # One row per owner and type (and activity column grouped by) with its first day: the first day is the
    # same as over one row per day.
    a = activity_spans(ctx.ds, [c for c in ctx.by if c in activity_columns(ctx.ds)])
    if len(a):
        first_activity = ctx.agg(a.assign(_day=_days_before(a["activity_date"], ref)), "_day", "max")
        first_deal, first_activity = first_deal.align(first_activity)
        return first_activity.where(first_activity.notna(), first_deal)
    return first_deal


def _days_before(dates: pd.Series, ref: pd.Timestamp) -> pd.Series:
    """Whole days from each date to ``ref`` (dates after it count 0)."""
    return ((ref - pd.to_datetime(dates).dt.normalize()).dt.days).clip(lower=0).astype("float64")
