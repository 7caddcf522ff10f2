"""Measures of theme 1, target achievement: the number stack per territory.

Open amounts count deals whose close date falls in the period; closed amounts count deals won with a
close date in the period. The forecast category of a closed-won deal is Closed whatever the CRM says.
All amounts are in the reporting currency; counts are numbers of deals or accounts.

Besides the stack itself (closed, commit, best case, pipeline, open pipeline, target) the module holds
the deal concentration behind Commit + Best Case (count, largest deal) and the four "next moves"
as amounts or counts: weak Commit to reclassify, Best Case to promote, pull-in and expansion
candidates, pipeline push. The deal-level lists behind the next moves (:func:`weak_commit_deals`,
:func:`promotable_best_case_deals`, :func:`pull_in_deals`, :func:`expansion_candidates`) are public so
:mod:`quotabook.themes.target_achievement.moves` can rank and explain them; each test they apply
uses only data the source has (a test whose data is absent is skipped, not failed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...activities import activities_linked, deal_last_activity
from ...dataset import is_in
from ...schemas import EVIDENCE_FLAGS
from ..compute import Context, measure

__all__ = ["close_date_pushed", "expansion_candidates", "last_activity_dates", "promotable_best_case_deals",
           "pull_in_deals", "weak_commit_deals"]

_FORECAST_DEALS = ("Commit", "Best Case")


# -- row selections ---------------------------------------------------------------------------------
def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    """A boolean column as plain bool (missing counts as False)."""
    return frame[column].fillna(False).astype(bool)


def _rows(ctx: Context, keep: pd.Series, *columns: str) -> pd.DataFrame:
    """The opportunities where ``keep`` holds, with only ``columns`` and the columns grouping needs.

    Same rows as filtering ``ctx.closing_in_period()`` further, without copying some twenty-five columns
    a sum or count never reads (most of a measure's time on wide CRM tables).
    """
    o = ctx.opportunities
    grouping = [c for c in ("territory", "owner", *ctx.by) if c in o]
    return o.loc[keep, list(dict.fromkeys([*columns, *grouping]))]


def _in_period(ctx: Context) -> pd.Series:
    """Deals whose (expected or actual) close date falls in the period (see ``Context.closing_in_period``)."""
    return ctx.period.contains(ctx.opportunities["close_date"])


def _open_in_period(ctx: Context, categories: tuple[str, ...] | None = None) -> pd.Series:
    """Mask: open deals with a close date in the period, optionally only those in forecast ``categories``."""
    o = ctx.opportunities
    keep = _in_period(ctx) & ~_flag(o, "is_closed")
    return keep & o["forecast_category"].isin(categories) if categories is not None else keep


def _open_in_category(ctx: Context, category: str) -> pd.Series:
    return ctx.sum(_rows(ctx, _open_in_period(ctx, (category,)), "amount"), "amount")


def _stage_order(ctx: Context, stages: pd.Series) -> pd.Series:
    """Order of each stage in the workbook stage map (NaN for a stage the map does not know)."""
    return stages.map({s.name: float(s.order) for s in ctx.ds.settings.stages}).astype("float64")


# -- deal-level evidence (shared by weak Commit and Best Case to promote) ------------------------
def last_activity_dates(ctx: Context, deals: pd.DataFrame) -> pd.Series:
    """Date of the latest activity on each deal of ``deals`` (index aligned), up to the report date.

    Takes the later of the latest linked activity (``activities.opportunity_id``) and the stored
    ``last_activity_date``; NaT where neither is known. Dates are normalised to midnight.
    """
    linked = deal_last_activity(ctx.ds, before=ctx.reference_date.normalize() + pd.Timedelta(days=1))
    from_acts = pd.Series(linked.dt.normalize().reindex(deals["opportunity_id"]).to_numpy(), index=deals.index,
                          dtype="datetime64[ns]")
    stored = (pd.to_datetime(deals["last_activity_date"]).dt.normalize() if "last_activity_date" in deals
              else pd.Series(pd.NaT, index=deals.index, dtype="datetime64[ns]"))
    return pd.concat([from_acts, stored], axis=1).max(axis=1)


def _has_activity_data(ctx: Context) -> bool:
    o = ctx.opportunities
    return bool(activities_linked(ctx.ds)
                or ("last_activity_date" in o and o["last_activity_date"].notna().any()))


def _days_since_activity(ctx: Context, deals: pd.DataFrame) -> pd.Series:
    """Whole days from each deal's latest activity to the report date (NaN: no activity known)."""
    last = last_activity_dates(ctx, deals)
    return (ctx.reference_date.normalize() - last).dt.days.astype("float64")


def close_date_pushed(ctx: Context, deals: pd.DataFrame) -> pd.Series:
    """True for each deal of ``deals`` whose history shows the close date moved to a later date at least
    once (index aligned); False for deals without history."""
    h = ctx.ds.opportunity_history[["opportunity_id", "changed_at", "close_date"]]
    # Only these deals' rows (a few thousand of a million): the sort and the groupbys read no other deal.
    h = h[h["close_date"].notna().to_numpy(dtype=bool) & np.asarray(is_in(h["opportunity_id"], deals["opportunity_id"]),
                                                                     dtype=bool)]
    h = h.sort_values(["opportunity_id", "changed_at"], kind="stable")
    pushed = h["close_date"] > h.groupby("opportunity_id")["close_date"].shift()
    per_deal = pushed.groupby(h["opportunity_id"]).any()
    return deals["opportunity_id"].map(per_deal).eq(True)


def _evidence_complete(ctx: Context, deals: pd.DataFrame) -> pd.Series:
    """True where every evidence flag the source fills (economic buyer, champion, decision criteria,
    paper process; a MEDDPICC check) is True for the deal; a blank flag is missing evidence."""
    flags = [f for f in EVIDENCE_FLAGS if f in deals and ctx.opportunities[f].notna().any()]
    if not flags:
        return pd.Series(True, index=deals.index)
    return deals[flags].fillna(False).astype(bool).all(axis=1)


def weak_commit_deals(ctx: Context) -> pd.DataFrame:
    """Open Commit deals of the period with the reasons each lacks recent proof (next move 1).

    Returns
    -------
    DataFrame
        The Commit deals with boolean columns ``no_recent_activity`` (no activity for more than
        ``commit_proof_days`` days, or none known), ``close_date_pushed`` (history shows the close date
        moved later), ``early_stage`` (stage order before ``commit_min_stage_order``),
        ``missing_evidence`` (an evidence flag False or blank) and ``weak`` (any of them). A test whose
        data the source lacks (no linked activities nor last_activity_date; no flags) is False throughout.
    """
    deals = ctx.opportunities[_open_in_period(ctx, ("Commit",))].copy()
    if _has_activity_data(ctx):
        days = _days_since_activity(ctx, deals)
        deals["no_recent_activity"] = ~(days <= ctx.threshold("commit_proof_days"))
    else:
        deals["no_recent_activity"] = False
    deals["close_date_pushed"] = close_date_pushed(ctx, deals)
    deals["early_stage"] = _stage_order(ctx, deals["stage"]) < ctx.threshold("commit_min_stage_order")
    deals["missing_evidence"] = ~_evidence_complete(ctx, deals)
    reasons = ["no_recent_activity", "close_date_pushed", "early_stage", "missing_evidence"]
    deals["weak"] = deals[reasons].any(axis=1)
    return deals


def _similar_win_rate(ctx: Context, deals: pd.DataFrame) -> tuple[pd.Series, float]:
    """Historical win rate of closed deals similar to each of ``deals``, and the overall win rate.

    Similar means the same segment and type (where the source fills them) and the same half of the deal
    size distribution (amount above the median closed amount or not). Where no similar deal has closed,
    the overall rate stands in. Rates are shares 0-1; the overall rate is NaN when nothing has closed.
    """
    o = ctx.opportunities
    keys = [c for c in ("segment", "type") if c in o and o[c].notna().any()]
    closed = o[["amount", "is_won", *keys]][_flag(o, "is_closed")]
    overall = float(_flag(closed, "is_won").mean()) if len(closed) else float("nan")
    if not len(closed):
        return pd.Series(np.nan, index=deals.index), overall
    median = closed["amount"].median()
    hist = closed[keys].assign(large=closed["amount"] > median, won=_flag(closed, "is_won").astype("float64"))
    rates = hist.groupby([*keys, "large"], dropna=False)["won"].mean().rename("rate").reset_index()
    probe = deals[keys].assign(large=deals["amount"] > median)
    rate = probe.merge(rates, on=[*keys, "large"], how="left")["rate"].to_numpy()
    return pd.Series(rate, index=deals.index).fillna(overall), overall


def promotable_best_case_deals(ctx: Context) -> pd.DataFrame:
    """Open Best Case deals of the period with the tests for promotion to Commit (next move 2).

    Returns
    -------
    DataFrame
        The Best Case deals with boolean columns ``late_stage`` (stage order at or past
        ``commit_min_stage_order``), ``recent_activity`` (activity within ``commit_proof_days`` days),
        ``strong_win_rate`` (similar closed deals won at least as often as all closed deals; see
        :func:`_similar_win_rate`), ``evidence_present`` (every evidence flag the source fills is True)
        and ``promotable`` (all of them), plus ``similar_win_rate`` (share 0-1). The close date is in the
        period by construction. A test whose data the source lacks is True throughout.
    """
    deals = ctx.opportunities[_open_in_period(ctx, ("Best Case",))].copy()
    deals["late_stage"] = _stage_order(ctx, deals["stage"]) >= ctx.threshold("commit_min_stage_order")
    if _has_activity_data(ctx):
        deals["recent_activity"] = _days_since_activity(ctx, deals) <= ctx.threshold("commit_proof_days")
    else:
        deals["recent_activity"] = True
    similar, overall = _similar_win_rate(ctx, deals)
    deals["similar_win_rate"] = similar
    deals["strong_win_rate"] = (similar >= overall) | np.isnan(overall)
    deals["evidence_present"] = _evidence_complete(ctx, deals)
    tests = ["late_stage", "recent_activity", "strong_win_rate", "evidence_present"]
    deals["promotable"] = deals[tests].all(axis=1)
    return deals


def pull_in_deals(ctx: Context, *columns: str) -> pd.DataFrame:
    """Open deals at or past ``commit_min_stage_order`` with a close date in the next fiscal quarter, which
    could be pulled into this one (next move 3); ``amount``, ``columns`` and the grouping columns."""
    nxt = ctx.ds.calendar.shift(ctx.period, 1)
    o = ctx.opportunities
    late = _stage_order(ctx, o["stage"]) >= ctx.threshold("commit_min_stage_order")
    return _rows(ctx, ~_flag(o, "is_closed") & late & nxt.contains(o["close_date"]), "amount", *columns)


def expansion_candidates(ctx: Context, *columns: str) -> pd.DataFrame:
    """Accounts won in the period or the three quarters before it with no open Expansion deal (next
    move 3): one row per account, its latest won deal of those four quarters (``account_id``,
    ``close_date``, ``opportunity_id``, ``columns`` and the grouping columns)."""
    o = ctx.opportunities
    first = ctx.ds.calendar.shift(ctx.period, -3)
    recent = _flag(o, "is_won") & (o["close_date"] >= first.start) & (o["close_date"] < ctx.period.end)
    won = _rows(ctx, recent & o["account_id"].notna(), "account_id", "close_date", "opportunity_id", *columns)
    won = won.sort_values(["close_date", "opportunity_id"], kind="stable")
    won = won.drop_duplicates("account_id", keep="last")
    open_expansion = o.loc[~_flag(o, "is_closed") & (o["type"] == "Expansion"), "account_id"]
    return won[~is_in(won["account_id"], open_expansion)]


# -- the number stack -------------------------------------------------------------------------------
@measure("closed_amount")
def closed_amount(ctx: Context) -> pd.Series:
    """Won amount with a close date in the period (reporting currency)."""
    return ctx.sum(_rows(ctx, _in_period(ctx) & _flag(ctx.opportunities, "is_won"), "amount"), "amount")


@measure("commit_amount")
def commit_amount(ctx: Context) -> pd.Series:
    """Open amount in forecast category Commit closing in the period (reporting currency)."""
    return _open_in_category(ctx, "Commit")


@measure("best_case_amount")
def best_case_amount(ctx: Context) -> pd.Series:
    """Open amount in forecast category Best Case closing in the period (reporting currency)."""
    return _open_in_category(ctx, "Best Case")


@measure("pipeline_amount")
def pipeline_amount(ctx: Context) -> pd.Series:
    """Open amount in forecast category Pipeline closing in the period (reporting currency)."""
    return _open_in_category(ctx, "Pipeline")


@measure("open_pipeline_amount")
def open_pipeline_amount(ctx: Context) -> pd.Series:
    """All open amount closing in the period except forecast category Omitted (reporting currency).

    The numerator of pipeline coverage; works without a forecast_category column (then nothing is
    Omitted), because a blank category never equals "Omitted".
    """
    keep = _open_in_period(ctx) & ctx.opportunities["forecast_category"].ne("Omitted")
    return ctx.sum(_rows(ctx, keep, "amount"), "amount")


@measure("target_amount")
def target_amount(ctx: Context) -> pd.Series:
    """Bookings target of the period (reporting currency), summed over the territories of each group."""
    t = ctx.in_period_quarters(ctx.ds.targets, "target_amount", "targets")
    return ctx.sum(t, "target_amount")


# -- deal concentration behind Commit + Best Case ------------------------------------------------
@measure("deal_count")
def deal_count(ctx: Context) -> pd.Series:
    """Number of open Commit and Best Case deals closing in the period (count of deals)."""
    return ctx.count(_rows(ctx, _open_in_period(ctx, _FORECAST_DEALS)))


@measure("priced_deal_count")
def priced_deal_count(ctx: Context) -> pd.Series:
    """Open Commit and Best Case deals closing in the period that have an amount (count of deals): the
    divisor of the average selling price, so a deal kept without an amount is not a zero-value deal."""
    deals = _rows(ctx, _open_in_period(ctx, _FORECAST_DEALS), "amount")
    return ctx.count(deals[deals["amount"].notna()])


@measure("largest_deal_amount")
def largest_deal_amount(ctx: Context) -> pd.Series:
    """Amount of the biggest open Commit or Best Case deal closing in the period (reporting currency);
    0 where a group has none, so a roll-up's largest deal is the largest of its parts."""
    return ctx.agg(_rows(ctx, _open_in_period(ctx, _FORECAST_DEALS), "amount"), "amount", "max").fillna(0.0)


# -- the four next moves ------------------------------------------------------------------------------
@measure("weak_commit_amount")
def weak_commit_amount(ctx: Context) -> pd.Series:
    """Commit amount lacking recent proof, to reclassify as Best Case (reporting currency)."""
    deals = weak_commit_deals(ctx)
    return ctx.sum(deals[deals["weak"]], "amount")


@measure("promotable_best_case_amount")
def promotable_best_case_amount(ctx: Context) -> pd.Series:
    """Best Case amount strong enough to move to Commit (reporting currency)."""
    deals = promotable_best_case_deals(ctx)
    return ctx.sum(deals[deals["promotable"]], "amount")


@measure("pull_in_amount")
def pull_in_amount(ctx: Context) -> pd.Series:
    """Open amount at or past ``commit_min_stage_order`` dated in the next fiscal quarter, which could be
    pulled into this one (reporting currency)."""
    return ctx.sum(pull_in_deals(ctx), "amount")


@measure("expansion_candidate_count")
def expansion_candidate_count(ctx: Context) -> pd.Series:
    """Accounts won in the period or the three quarters before it with no open Expansion deal (count).

    Each account counts once, in the group of its latest won deal of those four quarters, so counts of
    territories add up to their region's.
    """
    return ctx.count(expansion_candidates(ctx))


@measure("pipeline_push_amount")
def pipeline_push_amount(ctx: Context) -> pd.Series:
    """New pipeline needed to lift the stack to ``pipeline_push_below`` × target (reporting currency):
    max(0, pipeline_push_below × Target − Total), Total and Target evaluated from the catalog. Not
    additive: a region's push is computed from the region's own stack and target."""
    total = ctx.metric("total_amount")
    target = ctx.metric("target_amount")
    total, target = total.align(target)
    return (ctx.threshold("pipeline_push_below") * target - total).clip(lower=0.0)
