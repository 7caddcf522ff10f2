"""Velocity views: how fast deals move and where they stall or slip.

Each function takes the Dataset (already as of the report date and sliced to the region) and returns a
tidy DataFrame. Figures that are catalog metrics (sales_cycle_days, median_sales_cycle_days,
time_in_stage_days, aged_deal_count, open_deal_count, pipeline_aging_share, stale_deal_count,
close_date_push_count, slipped_amount) come from :func:`quotabook.metrics.compute`; deal lists come from
the same row selections the measures count (:mod:`quotabook.metrics.measures.velocity`), so a list and
the count beside it always agree. Periods are fiscal quarters, or ``first`` .. ``last`` for a window.

Days are whole calendar days for ages and cycles, fractional days for time spent in a stage. Amounts are
in the reporting currency. ``result.attrs["unavailable"]`` maps a metric to a "not available: needs ..."
note when the data lacks what it needs; ``result.attrs["period"]`` names the period.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ...dataset import Dataset
from ...errors import MetricUnavailable
from ...fiscal import Period
from ...metrics import Context, compute, compute_wide
from ...metrics.compute import group_levels
from ...metrics.history import close_date_pushes
from ...metrics.measures.funnel import stage_spells
from ...metrics.measures.velocity import aging, cycle_days, slipped, stale, won_in_period

__all__ = [
    "VELOCITY_FACTORS",
    "aging_summary",
    "at_period_end",
    "cohort_velocity",
    "pipeline_aging",
    "sales_cycle_stats",
    "sales_velocity_table",
    "slippage_table",
    "slipped_deals",
    "stale_deals",
    "time_in_stage_won_vs_lost",
]

_DEAL_COLUMNS = ["opportunity_id", "name", "owner", "territory", "segment", "stage", "amount", "close_date",
                 "forecast_category"]


def _window(ds: Dataset, first: str | Period, last: str | Period | None) -> Period:
    """The quarter ``first``, or one period spanning ``first`` .. ``last`` (labelled ``first..last``)."""
    quarters = ds.calendar.range(first, first if last is None else last)
    if len(quarters) == 1:
        return quarters[0]
    return Period(f"{quarters[0].label}..{quarters[-1].label}", quarters[0].start, quarters[-1].end)


def _attrs(frame: pd.DataFrame, period: str, unavailable: dict | None = None) -> pd.DataFrame:
    frame.attrs = {"unavailable": dict(unavailable or {}), "period": period}
    return frame


def _history_note(ds: Dataset, view: str) -> dict[str, str]:
    """``{view: "... not available: needs table opportunity_history"}`` when the data has no change history
    (the list is then computed with creation dates standing in for stage entry and is not meaningful)."""
    try:
        ds.require(view, "opportunity_history")
    except MetricUnavailable as exc:
        return {view: str(exc)}
    return {}


def _deal_list(frame: pd.DataFrame, extra: Sequence[str]) -> pd.DataFrame:
    """The deal columns present plus ``extra``; a deal without a name is named by its id."""
    cols = [c for c in _DEAL_COLUMNS if c in frame] + list(extra)
    out = frame[cols].reset_index(drop=True)
    if "name" in out:
        out["name"] = out["name"].astype("object").where(out["name"].notna(), out["opportunity_id"])
    return out


# -- sales cycle -------------------------------------------------------------------------------------------
def sales_cycle_stats(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                      by: str | Sequence[str] = "owner") -> pd.DataFrame:
    """Sales cycle (days from creation to the win) of deals won in the period, by rep, segment or any level.

    Parameters
    ----------
    ds : the dataset.
    first, last : fiscal quarter, or the first and last quarters of a window.
    by : ``owner`` (rep), ``segment``, ``territory``, ``region`` ... or several.

    Returns
    -------
    DataFrame
        ``by...``, ``won_deals`` (count), ``sales_cycle_days`` (mean) and ``median_sales_cycle_days`` (the
        catalog metrics), ``q1_days``, ``q3_days`` (quartiles), ``min_days`` and ``max_days``. Groups with
        no won deal show 0 deals and NaN days.
    """
    period, levels = _window(ds, first, last), group_levels(by)
    wide = compute_wide(["sales_cycle_days", "median_sales_cycle_days"], ds, period, by=levels)
    ctx = Context(ds, period, levels)
    won = won_in_period(ds, period)
    spread = pd.DataFrame({
        "won_deals": ctx.count(won),
        "q1_days": ctx.agg(won, "cycle_days", lambda s: s.quantile(0.25)),
        "q3_days": ctx.agg(won, "cycle_days", lambda s: s.quantile(0.75)),
        "min_days": ctx.agg(won, "cycle_days", "min"),
        "max_days": ctx.agg(won, "cycle_days", "max"),
    })
    out = wide.join(spread, how="outer").reset_index()
    cols = [*levels, "won_deals", "sales_cycle_days", "median_sales_cycle_days", "q1_days", "q3_days", "min_days",
            "max_days"]
    out["won_deals"] = out["won_deals"].fillna(0).astype("int64")
    return _attrs(out.reindex(columns=cols), period.label, wide.attrs.get("unavailable"))


def time_in_stage_won_vs_lost(ds: Dataset, first: str | Period, last: str | Period | None = None) -> pd.DataFrame:
    """Days won and lost deals spent in each stage (InsightSquared: lost deals linger, 15.9 vs 3.6 days).

    Stage stays that ended in the period count, split by the deal's outcome now. The means are the catalog
    metric ``time_in_stage_days`` computed by stage and outcome.

    Returns
    -------
    DataFrame
        One row per open stage in stage-map order: ``stage``, ``won_mean_days``, ``lost_mean_days``,
        ``won_median_days``, ``lost_median_days``, ``won_stays``, ``lost_stays`` (counts) and
        ``lost_to_won`` (lost mean ÷ won mean).
    """
    period = _window(ds, first, last)
    means = compute(["time_in_stage_days"], ds, period, by=["stage", "outcome"])
    spells = stage_spells(ds, ["territory", "owner"])
    spells = spells[period.contains(spells["left_at"])]
    table = spells.groupby(["stage", "outcome"])["days"].agg(median_days="median", stays="size")
    table = table.join(means.set_index(["stage", "outcome"])["value"].rename("mean_days"), how="outer")
    stats = ["mean_days", "median_days", "stays"]
    wide = table.unstack("outcome").reindex(columns=pd.MultiIndex.from_product([stats, ["won", "lost"]]))
    wide = wide.reindex(pd.Index(ds.settings.open_stages, name="stage"))
    wide.columns = [f"{outcome}_{stat}" for stat, outcome in wide.columns]
    for col in ("won_stays", "lost_stays"):
        wide[col] = wide[col].fillna(0).astype("int64")
    wide["lost_to_won"] = wide["lost_mean_days"] / wide["won_mean_days"].where(wide["won_mean_days"] > 0)
    cols = ["won_mean_days", "lost_mean_days", "won_median_days", "lost_median_days", "won_stays", "lost_stays",
            "lost_to_won"]
    return _attrs(wide[cols].reset_index(), period.label, means.attrs.get("unavailable"))


# -- sales velocity -----------------------------------------------------------------------------------------
VELOCITY_FACTORS = ["open_deal_count", "win_rate", "average_deal_size", "sales_cycle_days"]


def sales_velocity_table(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                         by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """Sales velocity per group with the four catalog metrics it is made of, so the arithmetic shows.

    ``sales_velocity = open_deal_count × win_rate × average_deal_size ÷ sales_cycle_days``: bookings per day
    (reporting currency per day) the open pipeline produces at the period's win rate, deal size and cycle.

    Returns
    -------
    DataFrame
        ``by...``, ``open_deal_count`` (deals open at the period end, or now), ``win_rate`` (0-1),
        ``average_deal_size`` (reporting currency), ``sales_cycle_days`` (days) and ``sales_velocity``
        (currency per day); NaN where a group won nothing in the period.
    """
    period, levels = _window(ds, first, last), group_levels(by)
    wide = compute_wide([*VELOCITY_FACTORS, "sales_velocity"], ds, period, by=levels)
    out = wide.reset_index().reindex(columns=[*levels, *VELOCITY_FACTORS, "sales_velocity"])
    return _attrs(out, period.label, wide.attrs.get("unavailable"))


# -- pipeline aging and stale deals --------------------------------------------------------------------------
def at_period_end(ds: Dataset, period: str | Period | None) -> Dataset:
    """The dataset as it stood on the last day of ``period`` when that day is before the report date, else
    ``ds`` itself (also when ``period`` is None): the population the point-in-time catalog counts
    (``aged_deal_count``, ``stale_deal_count``, ``open_deal_count``) describe for that period."""
    if period is None:
        return ds
    return Context(ds, ds.period(period), ()).at_period_end()


def pipeline_aging(ds: Dataset, *, aged_only: bool = False, period: str | Period | None = None) -> pd.DataFrame:
    """Open deals with their age in stage against the won-deal median (pipeline aging).

    With ``period``, the deals open at the end of that period (now, for the current one), the list
    ``aged_deal_count`` counts for it; without, the deals open at the report date.

    Returns
    -------
    DataFrame
        One row per open deal (aged ones only with ``aged_only``), most overdue first: the deal's columns,
        ``days_in_stage``, ``won_median_days``, ``aging_limit_days`` (``aging_stage_multiple`` × the
        median), ``stage_multiple`` and ``aged``. ``attrs["aged_share"]`` is the share of open deals aged
        (0-1) and ``attrs["alert"]`` whether it is above ``aging_alert_share``.
    """
    ds = at_period_end(ds, period)
    a = aging(ds)
    share = float(a["aged"].mean()) if len(a) else float("nan")
    a = a[a["aged"]] if aged_only else a
    a = a.sort_values(["aged", "stage_multiple"], ascending=False, kind="stable", na_position="last")
    out = _deal_list(a, ["days_in_stage", "won_median_days", "aging_limit_days", "stage_multiple", "aged"])
    out = _attrs(out, str(ds.reference_date.date()), _history_note(ds, "pipeline_aging"))
    out.attrs.update(aged_share=share, alert=bool(share > ds.settings.threshold("aging_alert_share")))
    return out


def aging_summary(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                  by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """Aged, stale and open deal counts and the pipeline aging share per group, from the catalog metrics,
    with ``aging_alert`` where the share is above ``aging_alert_share`` (the rule of thumb: under 20%)."""
    period, levels = _window(ds, first, last), group_levels(by)
    wide = compute_wide(["aged_deal_count", "stale_deal_count", "open_deal_count", "pipeline_aging_share"], ds,
                        period, by=levels)
    out = wide.reset_index()
    if "pipeline_aging_share" in out:
        out["aging_alert"] = out["pipeline_aging_share"] > ds.settings.threshold("aging_alert_share")
    return _attrs(out, period.label, wide.attrs.get("unavailable"))


def stale_deals(ds: Dataset, period: str | Period | None = None) -> pd.DataFrame:
    """Open deals with no stage progression for longer than ``stale_days`` (``proposal_stale_days`` in the
    Proposal step); such deals risk a 30% loss rate: escalate at once.

    With ``period``, the deals open at the end of that period (now, for the current one), the list
    ``stale_deal_count`` counts for it; without, the deals open at the report date.

    Returns
    -------
    DataFrame
        The stale deals, longest overdue first: the deal's columns, ``days_in_stage``, ``stale_limit_days``
        and ``days_over`` (days past the limit).
    """
    ds = at_period_end(ds, period)
    s = stale(ds)
    s = s[s["stale"]].assign(days_over=lambda f: f["days_in_stage"] - f["stale_limit_days"])
    s = s.sort_values("days_over", ascending=False, kind="stable")
    return _attrs(_deal_list(s, ["days_in_stage", "stale_limit_days", "days_over"]), str(ds.reference_date.date()),
                  _history_note(ds, "stale_deals"))


# -- cohorts -------------------------------------------------------------------------------------------------
def cohort_velocity(ds: Dataset, first: str | Period | None = None, last: str | Period | None = None, *,
                    slowdown: float | None = None) -> pd.DataFrame:
    """Velocity of each creation-month cohort (group deals by entry month and track progression).

    Parameters
    ----------
    first, last : optional quarters bounding the creation dates; all deals by default.
    slowdown : a cohort whose mean cycle is more than this fraction above the baseline is ``slow``
        (default: the workbook threshold ``cohort_slowdown``, 0.20).

    Returns
    -------
    DataFrame
        One row per creation month: ``cohort`` (``YYYY-MM``), ``created``, ``won``, ``lost``, ``open``
        (counts), ``win_rate`` (won ÷ closed, 0-1), ``mean_cycle_days`` and ``median_cycle_days`` (won
        deals, days), ``vs_baseline`` (mean cycle ÷ the mean over all the won deals listed − 1) and
        ``slow``. Recent cohorts are incomplete: their fast wins show first.
    """
    o = ds.opportunities
    if first is not None:
        window = _window(ds, first, last)
        o = o[window.contains(o["created_date"])]
    won, closed = o["is_won"].astype(bool), o["is_closed"].astype(bool)
    frame = pd.DataFrame({"cohort": pd.to_datetime(o["created_date"]).dt.strftime("%Y-%m"), "won": won,
                          "lost": closed & ~won, "open": ~closed, "cycle": cycle_days(o).where(won)})
    g = frame.groupby("cohort", sort=True)
    out = pd.DataFrame({"created": g.size(), "won": g["won"].sum(), "lost": g["lost"].sum(), "open": g["open"].sum(),
                        "mean_cycle_days": g["cycle"].mean(), "median_cycle_days": g["cycle"].median()})
    out["win_rate"] = out["won"] / (out["won"] + out["lost"]).where(lambda n: n > 0)
    baseline = frame["cycle"].mean()
    out["vs_baseline"] = out["mean_cycle_days"] / baseline - 1 if baseline > 0 else float("nan")
    if slowdown is None:
        slowdown = ds.settings.threshold("cohort_slowdown")
    out["slow"] = out["vs_baseline"] > slowdown
    cols = ["created", "won", "lost", "open", "win_rate", "mean_cycle_days", "median_cycle_days", "vs_baseline",
            "slow"]
    out = out[cols].reset_index()
    label = "all" if first is None else _window(ds, first, last).label
    out = _attrs(out, label)
    out.attrs["baseline_cycle_days"] = float(baseline)
    return out


# -- slippage ------------------------------------------------------------------------------------------------
def slipped_deals(ds: Dataset, first: str | Period, last: str | Period | None = None) -> pd.DataFrame:
    """Deals that slipped out of the period: once expected in it, now dated after it (largest value first).

    Columns: the deal's columns, ``expected_close_date``, ``days_slipped``, ``slipped_amount``, ``pushes``.
    """
    period = _window(ds, first, last)
    s = slipped(ds, period)
    s = s.assign(pushes=close_date_pushes(ds.opportunity_history, deals=s["opportunity_id"]).to_numpy())
    s = s.sort_values("slipped_amount", ascending=False, kind="stable")
    return _attrs(_deal_list(s, ["expected_close_date", "days_slipped", "slipped_amount", "pushes"]), period.label,
                  _history_note(ds, "slipped_deals"))


def slippage_table(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                   by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """Slippage per group: close-date pushes of the period's deals and the value that slipped out of it.

    Returns
    -------
    DataFrame
        ``by...``, ``deals`` (closing in the period), ``close_date_push_count`` (catalog metric: pushes of
        those deals so far), ``deals_pushed`` (pushed at least once), ``red_flag_deals`` (pushed
        ``slippage_red_flag_pushes`` times or more, InsightSquared's red flag), ``slipped_deals`` and ``slipped_amount``
        (catalog metric, reporting currency).
    """
    period, levels = _window(ds, first, last), group_levels(by)
    wide = compute_wide(["close_date_push_count", "slipped_amount"], ds, period, by=levels)
    ctx = Context(ds, period, levels)
    o = ctx.closing_in_period()
    pushes = close_date_pushes(ds.opportunity_history, deals=o["opportunity_id"]).to_numpy()
    o = o.assign(pushes=pushes)
    red = ds.settings.threshold("slippage_red_flag_pushes")
    counts = pd.DataFrame({"deals": ctx.count(o), "deals_pushed": ctx.count(o[o["pushes"] > 0]),
                           "red_flag_deals": ctx.count(o[o["pushes"] >= red]),
                           "slipped_deals": ctx.count(slipped(ds, period))})
    out = counts.join(wide, how="outer").reset_index()
    for col in ("deals", "deals_pushed", "red_flag_deals", "slipped_deals"):
        out[col] = out[col].fillna(0).astype("int64")
    cols = [*levels, "deals", "close_date_push_count", "deals_pushed", "red_flag_deals", "slipped_deals",
            "slipped_amount"]
    return _attrs(out.reindex(columns=cols), period.label, wide.attrs.get("unavailable"))
