"""Velocity charts (theme 4): sales cycle spread, time in stage won vs lost, sales velocity, pipeline aging,
cohort velocity and slippage.

Each chart comes twice, seaborn's way: an axes-level function takes a tidy table from
:mod:`quotabook.themes.velocity.data` (it never computes a metric), keyword options, ``ax=None`` and ``**kwargs`` for
its bars, draws on ``ax`` and returns it; the report's figure of the same table (``*_bars``, ``*_ranges``)
titles it with the finding (:func:`quotabook.charts.base.figure`). Days are calendar days; money is in the
reporting currency. A table with nothing to plot gives a small figure (or panel) that says so, never an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ...charts.base import (
    COLORS,
    category_color,
    currency_text,
    ensure_axes,
    figure,
    metric_axis,
    no_data,
    plain,
    say,
    show_literally,
)
from ...metrics import format as fmt
from ...text import part_of, possessive

__all__ = [
    "aging_bars",
    "aging_shares",
    "cohort_bars",
    "cohort_cycles",
    "money_axis",
    "no_data",
    "plain",
    "sales_cycle_ranges",
    "sales_cycle_spread",
    "slippage_bars",
    "slipped_value",
    "stage_time_bars",
    "stage_time_pairs",
    "velocity_bars",
    "velocity_per_group",
]

#: Bars within their threshold, and bars past it (orange: a warning, not a forecast category colour).
OK_COLOR, WARN_COLOR = COLORS[0], COLORS[1]
_LINE = "#333333"
_LABEL_BOX = {"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85}  # labels stay legible over lines




def money_axis(ax, currency: str, top: float, axis: str = "x") -> None:
    """Money ticks with one decimal below 10,000 ("$1.5K", so ticks never repeat), compact above."""
    small = top < 10_000
    formatter = FuncFormatter(lambda v, _pos: currency_text(v, currency, decimals=1 if small and abs(v) >= 1000
                                                            else None))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(formatter)




def _days(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:,.0f}"


def _bar_labels(ax, values: pd.Series, texts: pd.Series, *, pad: float) -> None:
    """Write ``texts`` just right of each horizontal bar (``values`` are the bar ends)."""
    for y, (v, t) in enumerate(zip(values, texts, strict=True)):
        ax.text((0 if pd.isna(v) else v) + pad, y, plain(t), va="center", ha="left", fontsize=8.5, color=_LINE,
                bbox=_LABEL_BOX)


def _money_bars(ax: Axes, data: pd.DataFrame, label: str, metric: str, texts: pd.Series, *, currency: str,
                headroom: float, pad: float, **kwargs) -> Axes:
    """One horizontal bar of money per group (``data[label]``, in order, first on top), each labelled with its
    ``texts``: the axis is the catalog's ``metric`` in money ticks, with ``headroom`` × the longest bar for the
    labels. ``kwargs`` go to the bars."""
    values = data[metric]
    ax.barh(data[label].astype(str), values, **{"height": 0.6, **kwargs})
    _bar_labels(ax, values, texts, pad=pad)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, float(values.max()) * headroom)
    metric_axis(ax, metric, currency=currency)
    money_axis(ax, currency, float(values.max()))
    return show_literally(ax)


def _won_groups(stats: pd.DataFrame) -> pd.DataFrame:
    """The groups that won a deal, slowest median first."""
    return stats[stats["won_deals"] > 0].sort_values("median_sales_cycle_days", ascending=False, kind="stable")


def sales_cycle_spread(data: pd.DataFrame, *, label: str, alert_days: float, goal_days: float | None = None,
                       ax: Axes | None = None, **kwargs) -> Axes:
    """Sales cycle of won deals per group: the middle half of deals (25th to 75th percentile) as a bar (drawn
    with ``kwargs``), the median and the mean as markers, against the velocity alert (and the goal).

    Parameters
    ----------
    data : :func:`quotabook.themes.velocity.data.sales_cycle_stats` (``label``, ``won_deals``, ``sales_cycle_days``,
        ``median_sales_cycle_days``, ``q1_days``, ``q3_days``), days.
    label : the group column (``territory``, ``region``, ``owner``, ``segment``).
    alert_days : the velocity alert (120 days); goal_days : the goal (90 days).
    """
    data = _won_groups(data)
    ax = ensure_axes(ax, len(data) + 1)
    if data.empty:
        return say(ax, "No won deals in the period.")
    names = data[label].astype(str) + "  (" + data["won_deals"].astype(str) + " won)"
    y = np.arange(len(data))
    ax.barh(y, data["q3_days"] - data["q1_days"], left=data["q1_days"],
            **{"height": 0.55, "color": COLORS[4], "alpha": 0.7, "label": "25th–75th percentile", **kwargs})
    ax.scatter(data["median_sales_cycle_days"], y, marker="|", s=300, linewidths=3, color=OK_COLOR, label="Median",
               zorder=3)
    ax.scatter(data["sales_cycle_days"], y, marker="D", s=28, color=_LINE, label="Mean", zorder=4)
    ax.axvline(alert_days, color=WARN_COLOR, linestyle="--", linewidth=1.5, label=f"Alert ({alert_days:g} days)")
    if goal_days is not None:
        ax.axvline(goal_days, color="#777777", linestyle=":", linewidth=1.5, label=f"Goal ({goal_days:g} days)")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(float(data["q3_days"].max()), float(data["sales_cycle_days"].max()), alert_days) * 1.08)
    ax.set_xlabel("Sales cycle (days)")
    return show_literally(ax)


def sales_cycle_ranges(stats: pd.DataFrame, *, label: str, scope: str, period: str, alert_days: float,
                       goal_days: float | None = None) -> Figure:
    """:func:`sales_cycle_spread` as the report's figure, titled with the finding (who closes slowest, who is
    over the alert). ``scope``, ``period``: who and when, for the title ("West", "2026-Q3")."""
    data = _won_groups(stats)
    if data.empty:
        return no_data(f"{scope} won no deal in {period}: no sales cycle to show", "No won deals in the period.")
    slow = data.iloc[0]
    over = data[data["sales_cycle_days"] > alert_days]
    if len(data) == 1:
        title = (f"{possessive(scope)} won deals took {_days(slow['median_sales_cycle_days'])} days (median) from "
                 "creation to win")
    elif len(over):
        title = (f"{part_of(len(over), len(data), label)} average over the {alert_days:g}-day alert; "
                 f"slowest: {slow[label]} (median {_days(slow['median_sales_cycle_days'])} days)")
    else:
        fast = data.iloc[-1]
        title = (f"{slow[label]} closes slowest (median {_days(slow['median_sales_cycle_days'])} days), "
                 f"{fast[label]} fastest ({_days(fast['median_sales_cycle_days'])} days)")
    return figure(sales_cycle_spread, data, title=plain(title), subtitle=f"Days from creation to win, deals won in "
                  f"{period}", n_rows=len(data) + 1, label=label, alert_days=alert_days, goal_days=goal_days)


def _stayed(tis: pd.DataFrame) -> pd.DataFrame:
    return tis.dropna(subset=["won_mean_days", "lost_mean_days"], how="all")


def stage_time_pairs(data: pd.DataFrame, *, ax: Axes | None = None, **kwargs) -> Axes:
    """Mean days won and lost deals spent in each open stage, side by side in the house Won and Lost colours
    (``kwargs`` go to both sets of bars).

    ``data`` is :func:`quotabook.themes.velocity.data.time_in_stage_won_vs_lost` (``stage``, ``won_mean_days``,
    ``lost_mean_days``).
    """
    data = _stayed(data)
    ax = ensure_axes(ax, 2 * len(data) + 1)
    if data.empty:
        return say(ax, "Needs the opportunity change history with stage changes in the period.")
    y = np.arange(len(data))
    for offset, outcome in ((-0.2, "Won"), (0.2, "Lost")):
        values = data[f"{outcome.lower()}_mean_days"]
        ax.barh(y + offset, values.fillna(0), **{"height": 0.38, "color": category_color(outcome),
                                                 "label": f"{outcome} deals", **kwargs})
        for yy, v in zip(y + offset, values, strict=True):
            ax.text((0 if pd.isna(v) else v) + 0.3, yy, "–" if pd.isna(v) else f"{v:.1f}", va="center", fontsize=8)
    ax.set_yticks(y, data["stage"].astype(str))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Days in stage (mean)")
    return show_literally(ax)


def stage_time_bars(tis: pd.DataFrame, *, period: str) -> Figure:
    """:func:`stage_time_pairs` as the report's figure (InsightSquared: lost deals linger), titled with the
    stage where lost deals sat longest against won ones."""
    data = _stayed(tis)
    if data.empty:
        return no_data(f"No deal left a stage in {period}: no time in stage to compare",
                       "Needs the opportunity change history with stage changes in the period.")
    ratio = data["lost_to_won"]
    if ratio.notna().any() and ratio.max() > 1:
        worst = data.loc[ratio.idxmax()]
        title = (f"Lost deals sat {worst['lost_to_won']:.1f}× longer than won ones in {worst['stage']} "
                 f"({worst['lost_mean_days']:.1f} vs {worst['won_mean_days']:.1f} days)")
    else:
        title = "Lost deals did not linger longer than won ones in any stage"
    return figure(stage_time_pairs, data, title=plain(title), n_rows=2 * len(data) + 1,
                  subtitle=f"Mean days in each stage, stays that ended in {period}, by outcome")


def _fastest_first(table: pd.DataFrame) -> pd.DataFrame:
    return table.dropna(subset=["sales_velocity"]).sort_values("sales_velocity", ascending=False, kind="stable")


def velocity_per_group(data: pd.DataFrame, *, label: str, currency: str = "USD", ax: Axes | None = None,
                       **kwargs) -> Axes:
    """Sales velocity (bookings per day, ``currency``) per group, fastest on top, each bar labelled; the axis
    is the catalog's ``sales_velocity``. ``data``: :func:`quotabook.themes.velocity.data.sales_velocity_table`."""
    data = _fastest_first(data)
    ax = ensure_axes(ax, len(data))
    if data.empty:
        return say(ax, "Sales velocity needs deals won in the period.")
    # the table's one format for money per day ("$497 per day"), not a chart-only "$497.0/day"
    texts = fmt.by_unit(data["sales_velocity"], "currency_per_day", currency)
    return _money_bars(ax, data, label, "sales_velocity", texts, currency=currency, headroom=1.18,
                       pad=float(data["sales_velocity"].max()) * 0.01, **{"color": OK_COLOR, **kwargs})


def velocity_bars(table: pd.DataFrame, *, label: str, currency: str, period: str) -> Figure:
    """:func:`velocity_per_group` as the report's figure, titled with the fastest and slowest group."""
    data = _fastest_first(table)
    if data.empty:
        return no_data(f"No sales velocity for {period}", "Sales velocity needs deals won in the period.")
    top, low = data.iloc[0], data.iloc[-1]
    title = f"{top[label]} books fastest, {currency_text(top['sales_velocity'], currency)} a day"
    if len(data) > 1:
        title += f"; {low[label]} slowest at {currency_text(low['sales_velocity'], currency)}"
    return figure(velocity_per_group, data, title=plain(title), subtitle=f"Sales velocity in {period}: open deals × "
                  "win rate × average deal ÷ sales cycle", n_rows=len(data), label=label, currency=currency)


def _most_aged_first(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.dropna(subset=["pipeline_aging_share"]).sort_values("pipeline_aging_share", ascending=False,
                                                                       kind="stable")


def aging_shares(data: pd.DataFrame, *, label: str, alert_share: float, ax: Axes | None = None, **kwargs) -> Axes:
    """Share of open deals aged per group (the catalog's ``pipeline_aging_share``) against the alert share;
    bars over the alert in orange, each labelled with its aged and stale deals.

    ``data`` is :func:`quotabook.themes.velocity.data.aging_summary`.
    """
    data = _most_aged_first(data)
    ax = ensure_axes(ax, len(data))
    if data.empty:
        return say(ax, "Nothing to age.")
    over = data["pipeline_aging_share"] > alert_share
    names = data[label].astype(str)
    ax.barh(names, data["pipeline_aging_share"], **{"color": np.where(over, WARN_COLOR, OK_COLOR), "height": 0.6,
                                                    **kwargs})
    texts = (data["aged_deal_count"].astype(int).astype(str) + " of " + data["open_deal_count"].astype(int).astype(str)
             + " aged, " + data["stale_deal_count"].fillna(0).astype(int).astype(str) + " stale")
    _bar_labels(ax, data["pipeline_aging_share"], texts, pad=0.01)
    ax.axvline(alert_share, color=_LINE, linestyle="--", linewidth=1.3, label=f"Alert above {alert_share:.0%}")
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(float(data["pipeline_aging_share"].max()), alert_share) * 1.45)
    metric_axis(ax, "pipeline_aging_share")
    return show_literally(ax)


def aging_bars(summary: pd.DataFrame, *, label: str, alert_share: float, multiple: float, when: str) -> Figure:
    """:func:`aging_shares` as the report's figure, titled with the groups over the alert.

    ``when`` says when the deals were open ("at the end of 2026-Q3", "on 13 Nov 2026"); ``multiple`` is the
    aging limit (1.5× the won-deal median days in the stage).
    """
    if "pipeline_aging_share" not in summary:
        return no_data("Pipeline aging is not available", "Needs the opportunity change history.")
    data = _most_aged_first(summary)
    if data.empty:
        return no_data(f"No open deals {when}", "Nothing to age.")
    over = data["pipeline_aging_share"] > alert_share
    if over.any():
        worst = data.iloc[0]
        title = (f"{part_of(over.sum(), len(data), label)} are over the {alert_share:.0%} aging alert; "
                 f"{worst[label]} worst at {worst['pipeline_aging_share']:.0%}")
    else:
        title = f"Every {label} keeps aged deals under the {alert_share:.0%} alert"
    return figure(aging_shares, data, title=plain(title), subtitle=f"Share of deals open {when} in their stage over "
                  f"{multiple:g}× the won-deal median", n_rows=len(data), label=label, alert_share=alert_share)


def cohort_cycles(data: pd.DataFrame, *, slowdown: float, ax: Axes | None = None, **kwargs) -> Axes:
    """Mean sales cycle of the won deals of each creation-month cohort (``cohort``, ``mean_cycle_days``,
    ``won``, ``slow``), slow cohorts in orange, against the baseline (``data.attrs["baseline_cycle_days"]``)
    and the slowdown limit (``slowdown``: the share above the baseline that makes a cohort slow, 20%).

    ``data`` is :func:`quotabook.themes.velocity.data.cohort_velocity`; ``kwargs`` go to the bars.
    """
    baseline = float(data.attrs.get("baseline_cycle_days", float("nan")))
    data = data.dropna(subset=["mean_cycle_days"])
    ax = ensure_axes(ax, height=3.8)
    if data.empty or not np.isfinite(baseline):
        return say(ax, "Cohort velocity needs won deals.")
    ax.bar(data["cohort"], data["mean_cycle_days"], **{"color": np.where(data["slow"], WARN_COLOR, OK_COLOR),
                                                       "width": 0.7, **kwargs})
    for x, (days, won) in enumerate(zip(data["mean_cycle_days"], data["won"], strict=True)):
        ax.text(x, days + baseline * 0.02, f"{won:.0f} won", ha="center", va="bottom", fontsize=7.5, color=_LINE,
                bbox=_LABEL_BOX)
    ax.axhline(baseline, color=_LINE, linestyle="--", linewidth=1.2, label=f"Baseline ({baseline:.0f} days)")
    ax.axhline(baseline * (1 + slowdown), color=WARN_COLOR, linestyle=":", linewidth=1.5,
               label=f"Slow: over {slowdown:.0%} above the baseline")
    ax.grid(axis="x", visible=False)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(0, max(float(data["mean_cycle_days"].max()), baseline * (1 + slowdown)) * 1.15)
    ax.set_ylabel("Sales cycle (days)")
    ax.set_xlabel("Creation month")
    return show_literally(ax)


def cohort_bars(cohorts: pd.DataFrame, *, slowdown: float) -> Figure:
    """:func:`cohort_cycles` as the report's figure, titled with the cohorts that ran slow."""
    data = cohorts.dropna(subset=["mean_cycle_days"])
    baseline = float(cohorts.attrs.get("baseline_cycle_days", float("nan")))
    if data.empty or not np.isfinite(baseline):
        return no_data("No won deals in these creation months yet", "Cohort velocity needs won deals.")
    slow = data[data["slow"]]
    if len(slow):
        names = ", ".join(slow["cohort"].head(4)) + (" …" if len(slow) > 4 else "")
        title = (f"{len(slow)} of {len(data)} monthly cohorts ran over {slowdown:.0%} slower than the "
                 f"{baseline:.0f}-day baseline: {names}")
    else:
        title = f"No monthly cohort ran over {slowdown:.0%} slower than the {baseline:.0f}-day baseline"
    return figure(cohort_cycles, cohorts, title=plain(title), subtitle="Mean days from creation to win of each "
                  "creation month's won deals (orange: slow cohort); recent months are still maturing", height=3.8,
                  slowdown=slowdown)


def _most_slipped_first(table: pd.DataFrame) -> pd.DataFrame:
    return table.fillna({"slipped_amount": 0.0}).sort_values("slipped_amount", ascending=False, kind="stable")


def slipped_value(data: pd.DataFrame, *, label: str, currency: str = "USD", ax: Axes | None = None,
                  **kwargs) -> Axes:
    """Value that slipped out of the period per group (the catalog's ``slipped_amount``), each bar labelled
    with the deals behind it. ``data`` is :func:`quotabook.themes.velocity.data.slippage_table`."""
    data = _most_slipped_first(data)
    ax = ensure_axes(ax, len(data))
    total = float(data["slipped_amount"].sum())
    if data.empty or total <= 0:
        return say(ax, "No deal expected in the period is now dated after it.")
    texts = (data["slipped_amount"].map(lambda v: currency_text(v, currency)) + " · "
             + data["slipped_deals"].astype(int).astype(str) + " deals")
    return _money_bars(ax, data, label, "slipped_amount", texts, currency=currency, headroom=1.35, pad=total * 0.01,
                       **{"color": WARN_COLOR, **kwargs})


def slippage_bars(table: pd.DataFrame, *, label: str, currency: str, period: str) -> Figure:
    """:func:`slipped_value` as the report's figure, titled with the total slipped and the largest share."""
    if "slipped_amount" not in table:
        return no_data("Slippage is not available", "Needs the opportunity change history with close dates.")
    data = _most_slipped_first(table)
    total = float(data["slipped_amount"].sum())
    if data.empty or total <= 0:
        return no_data(f"Nothing slipped out of {period}", "No deal expected in the period is now dated after it.")
    top = data.iloc[0]
    title = f"{currency_text(total, currency)} slipped out of {period}"
    if len(data) > 1:
        title += f"; {top[label]} accounts for {currency_text(top['slipped_amount'], currency)}"
    return figure(slipped_value, data, title=plain(title), subtitle=f"Value once expected in {period} and now dated "
                  "after it", n_rows=len(data), label=label, currency=currency)
