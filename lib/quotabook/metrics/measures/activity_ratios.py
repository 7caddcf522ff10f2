"""Measures of theme 2, activity ratios (InsightSquared, Scott Cowley): activity counts, goals and reps.

Activities belong to a rep (``owner``) and are grouped through the rep's territory, as leads are
(:func:`quotabook.dataset.lead_owner_territory`): a rep who owns no territory (a former AE, an overlay) counts
in the territory of their latest created deal, and one with no deal either in the group "Unassigned", so
territories and regions add up to the district. Counts are of activities dated in the period. A connected
call is logged twice in the canonical data, as a ``dial`` and as a ``connect`` (demo convention, as
InsightSquared's table counts connects among dials), so Dial:Connect is dials over connects. Ratios
(Dial:Connect, Opportunity:Deal, per-rep rules of thumb, goal attainment) are evaluated by ``compute`` from
their catalog declaration; nothing here divides.

When ``type`` is one of the grouping levels (``by=("owner", "type")`` for results against goals), the
activity counts list every activity type for every group, zeros included, so a goal with no activity
at all shows 0% attainment rather than a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ...activities import GRAIN, activity_columns, activity_counts
from ...schemas import ACTIVITY_TYPES
from ..compute import GEO_LEVELS, Context, measure

__all__ = ["elapsed_share"]

_DAY = pd.Timedelta(days=1)


def _memo(ctx: Context, key: str, make: Callable[[], Any]) -> Any:
    """Compute once per context: ``key`` starts with "_" so it never clashes with a metric name."""
    if key not in ctx.cache:
        ctx.cache[key] = make()
    return ctx.cache[key]


def _activities_in_period(ctx: Context) -> pd.DataFrame:
    """Activities dated in the period counted per owner × type × day and any activity column grouped by
    (``rows``; :func:`quotabook.activities.activity_counts`, in pandas or DuckDB alike, of the period's days
    only), cached."""

    def make() -> pd.DataFrame:
        extra = [c for c in ctx.by if c in activity_columns(ctx.ds)]
        a = activity_counts(ctx.ds, extra, days=(ctx.period.start, ctx.period.end))
        return a[list(dict.fromkeys([*GRAIN, *extra, "rows"]))]

    return _memo(ctx, "_activities_in_period", make)


def _all_types(ctx: Context, counts: pd.Series) -> pd.Series:
    """Counts grouped by ``type`` (among other levels) reindexed to every activity type, zeros included."""
    if "type" not in ctx.by:
        return counts
    values = []
    for i, level in enumerate(ctx.by):
        observed = counts.index.get_level_values(i).dropna().unique().tolist()
        if level == "type":
            values.append(list(dict.fromkeys([*ACTIVITY_TYPES, *observed])))
        elif level in GEO_LEVELS:  # every territory's, the reps who own no territory, then any other found
            listed = sorted(ctx.ds.territories[level].dropna().unique().tolist())
            extra = ctx.reps_without_territory().tolist() if level == "owner" else []
            values.append(list(dict.fromkeys([*listed, *extra, *sorted(observed)])))
        else:
            values.append(sorted(observed))
    if len(values) == 1:
        index = pd.Index(values[0], name="type")
    else:
        index = pd.MultiIndex.from_product(values, names=list(ctx.by))
    return counts.reindex(index, fill_value=0.0)


def _count_of_type(ctx: Context, kind: str | None) -> pd.Series:
    """Activities of ``kind`` (all kinds when None) per group, as a sum of an indicator over every activity
    of the period, so all activity metrics list the same groups whatever the grouping."""
    a = _activities_in_period(ctx)
    if kind is None:
        return _all_types(ctx, ctx.sum(a, "rows", unplaced=True))
    return _all_types(ctx, ctx.sum(a.assign(_hit=a["rows"].where(a["type"] == kind, 0)), "_hit", unplaced=True))


def elapsed_share(ctx: Context) -> float:
    """Share of the period elapsed by the end of the report date (0–1; 1 for a past period).

    Per-rep rules of thumb are rates per month or per week; in the current quarter the counts so far are
    set against the time so far, not the whole quarter.
    """
    length = (ctx.period.end - ctx.period.start) / _DAY
    elapsed = (ctx.reference_date.normalize() + _DAY - ctx.period.start) / _DAY
    return float(min(max(elapsed / length, 0.0), 1.0))


@measure("activity_count")
def activity_count(ctx: Context) -> pd.Series:
    """Activities of any type dated in the period (count)."""
    return _count_of_type(ctx, None)


@measure("dial_count")
def dial_count(ctx: Context) -> pd.Series:
    """Activities of type dial in the period: calls placed, connected or not (count)."""
    return _count_of_type(ctx, "dial")


@measure("connect_count")
def connect_count(ctx: Context) -> pd.Series:
    """Activities of type connect in the period: calls that reached a person (count)."""
    return _count_of_type(ctx, "connect")


@measure("email_count")
def email_count(ctx: Context) -> pd.Series:
    """Activities of type email in the period (count)."""
    return _count_of_type(ctx, "email")


@measure("meeting_booked_count")
def meeting_booked_count(ctx: Context) -> pd.Series:
    """Activities of type meeting_booked in the period (count)."""
    return _count_of_type(ctx, "meeting_booked")


@measure("meeting_held_count")
def meeting_held_count(ctx: Context) -> pd.Series:
    """Activities of type meeting_held in the period (count)."""
    return _count_of_type(ctx, "meeting_held")


@measure("activity_goal")
def activity_goal(ctx: Context) -> pd.Series:
    """Sum of the activity goals set for the period (count of activities).

    Only (owner, type) pairs that have a goal are listed when grouping by type, so a type without a goal
    has no attainment instead of a 0% one. Goals are placed like the rep's activities (a rep who owns no
    territory: their latest deal's territory, else "Unassigned").
    """
    g = ctx.in_period_quarters(ctx.ds.activity_goals, "activity_goal", "activity goals")
    return ctx.sum(g, "goal", unplaced=True)


@measure("rep_count")
def rep_count(ctx: Context) -> pd.Series:
    """Reps in each group (count): the distinct owners of its territories, plus the reps who own no
    territory (a former AE, an overlay) but worked in the group in the period: own a deal of it active in the
    period, or logged an activity that counts there (their latest created deal's territory, else
    "Unassigned"; :meth:`Context.rep_rows`).

    They did the work the per-rep rates count, so the rates divide by them too. Like territory owners with
    territories in two regions, such a rep counts in every group they worked in and once above them (a
    distinct count, not a sum). A group with neither (territories naming no owner) counts instead the
    distinct owners of its deals active in the period (created before its end and not closed before its
    start).
    """
    return _memo(ctx, "_rep_count", lambda: _rep_count(ctx))


def _rep_count(ctx: Context) -> pd.Series:
    t = ctx.ds.territories
    named = ctx.nunique(t[t["owner"].notna()], "owner")
    others = ctx.nunique(ctx.rep_rows(), "owner", unplaced=True)
    named = named.add(others, fill_value=0.0)  # disjoint: the others own no territory
    o = ctx.active_deals()
    keep = list(dict.fromkeys(["owner", "territory", *(c for c in ctx.by if c in o)]))
    dealers = ctx.nunique(o[keep], "owner")
    named, dealers = named.align(dealers)
    return named.where(named.fillna(0) > 0, dealers).fillna(0.0)


@measure("rep_months")
def rep_months(ctx: Context) -> pd.Series:
    """Reps × months of the period elapsed by the report date (rep-months): the divisor of the per rep per
    month rules of thumb (3 per rep for a whole quarter)."""
    months = (ctx.period.end.year * 12 + ctx.period.end.month) - (ctx.period.start.year * 12 + ctx.period.start.month)
    return rep_count(ctx) * months * elapsed_share(ctx)


@measure("rep_weeks")
def rep_weeks(ctx: Context) -> pd.Series:
    """Reps × weeks of the period elapsed by the report date (rep-weeks, a week being 7 calendar days):
    the divisor of the per rep per week benchmarks."""
    weeks = (ctx.period.end - ctx.period.start) / _DAY / 7
    return rep_count(ctx) * weeks * elapsed_share(ctx)
