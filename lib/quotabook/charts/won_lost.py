"""Won / lost charts (theme 7, InsightSquared): closed vs goals per rep, win rate over time and by deal
size, lost by reason, sales cycle by rep, bookings trend, customers and run rate.

Each function takes a tidy table from :mod:`quotabook.views.won_lost` (it never computes a metric), states
the finding in its title, and returns the matplotlib Figure. Money is in the reporting currency, win rates
are shares 0-1 shown as percentages, cycles are calendar days. A quarter still running is labelled
"to date". A table with nothing to plot gives a small figure that says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..metrics import format as fmt
from ..metrics.catalog import label
from ..text import mid
from ..text import names as join_names
from .base import COLORS, category_color, currency_axis, currency_text, finish, new_figure, no_data, percent_axis, plain
from .unavailable import unavailable_note

__all__ = ["bookings_bars", "closed_vs_goals_bars", "customers_and_run_rate", "lost_reason_bars", "no_data",
           "sales_cycle_bars", "win_rate_by_size_bars", "win_rate_trend"]

_LINE = "#333333"






def _quarters(frame: pd.DataFrame, to_date: str | None) -> list[str]:
    """Quarter labels for an x axis, the running quarter marked "to date"."""
    return [f"{p}\n(to date)" if p == to_date else str(p) for p in frame["period"]]


def _end_labels(ax: Axes, values, texts, *, pad: float) -> None:
    """Write ``texts`` just right of each horizontal bar (``values`` are the bar ends)."""
    for y, (v, t) in enumerate(zip(values, texts, strict=True)):
        ax.text((0 if pd.isna(v) else v) + pad, y, t, va="center", ha="left", fontsize=8.5, color=_LINE)


# -- closed vs goals ---------------------------------------------------------------------------------------
def closed_vs_goals_bars(goals: pd.DataFrame, *, currency: str, scope: str, label: str = "owner",
                         to_date: str | None = None, title: str | None = None) -> Figure:
    """Each rep's bookings (won value) as a bar with the goal marked, labelled with won deals and attainment.

    Parameters
    ----------
    goals : :func:`quotabook.views.won_lost.closed_vs_goals` (``label``, ``won_count``, ``closed_amount``,
        ``target_amount``, ``attainment``), reporting currency.
    to_date : the period's label when it is still running (the title then says "so far").
    """
    period = goals.attrs.get("period", "the period")
    if goals.empty:
        return no_data(plain(title or f"{scope}: no reps in view for {period}"), "No reps in view.")
    missing = [c for c in ("won_count", "closed_amount", "target_amount", "attainment") if c not in goals]
    goals = goals.assign(**dict.fromkeys(missing, np.nan))  # no targets in the data: bars without goals
    data = goals.sort_values(["attainment", "closed_amount"], ascending=False, na_position="last", kind="stable")
    data = data.reset_index(drop=True)
    goal = data["target_amount"].astype("float64")
    has_goal = goal > 0
    if title is None and not has_goal.any():
        title = f"{scope}: won value per rep in {period}" + (" so far" if period == to_date else "")
    elif title is None:
        with_goal = data[has_goal]
        hit = int((with_goal["attainment"] >= 1).sum())
        verb = "have reached" if period == to_date else "reached"
        title = f"{scope}: {hit} of {len(with_goal)} reps {verb} their {period} goal"
        title += " so far" if period == to_date else ""
        title += f"; {with_goal.iloc[0][label]} leads at {fmt.percent(with_goal.iloc[0]['attainment'])}"
    fig, ax = new_figure(len(data))
    names = data[label].astype(str)
    ax.barh(names, data["closed_amount"].fillna(0), color=category_color("Won"), height=0.6, label="Won (bookings)")
    if goal.notna().any():  # a rep without a target gets no tick (a NaN beside a name breaks the category axis)
        ax.scatter(goal[goal.notna()], names[goal.notna()], marker="|", s=400, linewidths=2.5,
                   color=category_color("Target"), label="Target", zorder=3)
    right = float(np.nanmax([data["closed_amount"].max(), goal.max(), 1.0]))
    texts = [f"{n:.0f} won" + ("" if pd.isna(a) else f" · {fmt.percent(a)}")
             for n, a in zip(data["won_count"].fillna(0), data["attainment"], strict=True)]
    ends = np.fmax(data["closed_amount"].fillna(0), goal.fillna(0))
    _end_labels(ax, ends, texts, pad=right * 0.015)
    ax.set_xlim(0, right * 1.25)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    currency_axis(ax, currency, axis="x")
    if has_goal.any():
        subtitle = f"{period}: won value per rep against the rep's territory target; labels: deals won · attainment"
    else:  # say why there is no goal to read against, once, in the chart's own place
        why = unavailable_note(goals, "No rep has a target for the period.").replace("Not available", "Goals not "
                                                                                     "available", 1)
        subtitle = f"{period}: won value per rep; labels: deals won\n{why}"
    return finish(fig, ax, plain(title), subtitle=subtitle, xlabel=f"Won value ({currency})")


# -- win rate ----------------------------------------------------------------------------------------------
def win_rate_trend(trend: pd.DataFrame, *, scope: str, benchmark: tuple[float, float] | None = None,
                   benchmark_source: str = "", to_date: str | None = None, title: str | None = None) -> Figure:
    """Win rate of closed deals by close-date quarter, each point labelled with the deals closed.

    Parameters
    ----------
    trend : :func:`quotabook.views.won_lost.win_rate_over_time` (one row per quarter: ``period``,
        ``won_count``, ``closed_count``, ``win_rate``).
    benchmark : a band of win rates (shares 0-1) shaded behind the line, with ``benchmark_source``.
    to_date : the label of a quarter still running, marked "to date".
    """
    data = trend[trend["closed_count"] > 0].reset_index(drop=True)
    if data.empty:
        return no_data(plain(title or f"{scope} closed no deal in the window"), "No closed deals: no win rate to show.")
    if title is None:
        last = data.iloc[-1]
        title = f"{scope} won {fmt.percent(last['win_rate'])} of the deals it closed in {last['period']}"
        if len(data) > 1:
            prev = data.iloc[-2]
            now, before = round(last["win_rate"], 2), round(prev["win_rate"], 2)  # as the labels show them
            move = "up from" if now > before else "down from" if now < before else "level with"
            title += f", {move} {fmt.percent(prev['win_rate'])} in {prev['period']}"
    fig, ax = new_figure(height=3.8)
    x = np.arange(len(data))
    if benchmark is not None:
        ax.axhspan(benchmark[0], benchmark[1], color=COLORS[2], alpha=0.12,
                   label=f"Benchmark {benchmark[0]:.0%}–{benchmark[1]:.0%}" + (f" ({benchmark_source})"
                                                                               if benchmark_source else ""))
    ax.plot(x, data["win_rate"], marker="o", color=COLORS[0], linewidth=2, label=label("win_rate"))
    for xi, (rate, won, closed) in enumerate(zip(data["win_rate"], data["won_count"], data["closed_count"],
                                                 strict=True)):
        ax.annotate(f"{rate:.0%}\n{won:.0f}/{closed:.0f}", (xi, rate), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8, color=_LINE)
    top = max(float(data["win_rate"].max()), benchmark[1] if benchmark else 0.0)
    ax.set_ylim(0, min(1.0, top + 0.15) if top < 0.85 else 1.1)
    ax.set_xticks(x, _quarters(data, to_date))
    percent_axis(ax)
    subtitle = "Won ÷ closed (won + lost) deals by close-date quarter; labels: win rate, won/closed deals"
    return finish(fig, ax, plain(title), subtitle=subtitle, ylabel=label("win_rate"))


def win_rate_by_size_bars(bands: pd.DataFrame, *, currency: str, scope: str, title: str | None = None) -> Figure:
    """Win rate per deal-size band (smallest first), each bar labelled with the deals closed in it.

    Parameters
    ----------
    bands : :func:`quotabook.views.won_lost.win_rate_by_deal_size` at one level (one row per band:
        ``band_low``, ``band_high`` in the reporting currency, ``won_count``, ``closed_count``, ``win_rate``).
    """
    period = bands.attrs.get("period", "the window")
    data = bands[bands["closed_count"] > 0].reset_index(drop=True)
    if data.empty:
        return no_data(plain(title or f"{scope} closed no deal in {period}"), "No closed deals: no win rate by size.")
    names = [f"under {currency_text(hi, currency)}" if lo <= 0 else f"{currency_text(lo, currency)}+"
             if np.isinf(hi) else f"{currency_text(lo, currency)}–{currency_text(hi, currency)}"
             for lo, hi in zip(data["band_low"], data["band_high"], strict=True)]
    if title is None:
        best, worst = data["win_rate"].idxmax(), data["win_rate"].idxmin()
        title = (f"{scope} wins {fmt.percent(data.loc[best, 'win_rate'])} of deals {names[best]} and "
                 f"{fmt.percent(data.loc[worst, 'win_rate'])} of deals {names[worst]}")
    fig, ax = new_figure(height=3.6)
    x = np.arange(len(data))
    ax.bar(x, data["win_rate"], color=COLORS[0], width=0.6)
    for xi, (rate, won, closed) in enumerate(zip(data["win_rate"], data["won_count"], data["closed_count"],
                                                 strict=True)):
        ax.annotate(f"{rate:.0%} ({won:.0f}/{closed:.0f})", (xi, rate), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=8.5, color=_LINE)
    ax.set_xticks(x, [plain(n) for n in names])
    ax.set_ylim(0, min(1.05, float(data["win_rate"].max()) + 0.12))
    ax.grid(axis="x", visible=False)
    percent_axis(ax)
    subtitle = f"{period}: win rate by deal amount (bands of about equal numbers of closed deals); labels: won/closed"
    return finish(fig, ax, plain(title), subtitle=subtitle, xlabel=f"Deal size ({currency})", ylabel=label("win_rate"))


# -- why we lose ---------------------------------------------------------------------------------------------
def lost_reason_bars(lost: pd.DataFrame, *, currency: str, scope: str, title: str | None = None) -> Figure:
    """Lost deals per loss reason (most frequent on top), labelled with share and lost value.

    Parameters
    ----------
    lost : :func:`quotabook.views.won_lost.lost_by_reason` without ``by`` (``loss_reason``, ``lost_count``,
        ``lost_amount``, ``count_share``).
    """
    period = lost.attrs.get("period", "the window")
    if lost.empty:
        return no_data(plain(title or f"{scope}: no loss reasons to show for {period}"),
                       unavailable_note(lost, "No deals were lost in the window."))
    data = lost.reset_index(drop=True)
    if title is None:
        top = data.iloc[0]
        tied = data.loc[data["lost_count"] == top["lost_count"], "loss_reason"].astype(str).tolist()
        if len(tied) > 1:  # a tie names every reason at the top, as the findings do
            title = (f"{join_names(tied)} are {mid(scope)}'s top loss reasons: {top['lost_count']:.0f} of "
                     f"{data['lost_count'].sum():.0f} lost deals ({fmt.percent(top['count_share'])}) each")
        else:
            title = (f"{top['loss_reason']} is {mid(scope)}'s top loss reason: {top['lost_count']:.0f} of "
                     f"{data['lost_count'].sum():.0f} lost deals ({fmt.percent(top['count_share'])})")
    fig, ax = new_figure(len(data))
    names = data["loss_reason"].astype(str)
    ax.barh(names, data["lost_count"], color=category_color("Lost"), height=0.6, label="Lost deals")
    texts = [plain(f"{s:.0%} · {currency_text(a, currency)}") for s, a in zip(data["count_share"], data["lost_amount"],
                                                                      strict=True)]
    right = float(data["lost_count"].max())
    _end_labels(ax, data["lost_count"], texts, pad=right * 0.015)
    ax.set_xlim(0, right * 1.25)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    return finish(fig, ax, plain(title), subtitle=f"{period}: lost deals by the reason recorded; labels: share of lost "
                  "deals · lost value", xlabel="Lost deals", legend=False)


# -- sales cycle ---------------------------------------------------------------------------------------------
def sales_cycle_bars(cycle: pd.DataFrame, *, scope: str, goal_days: float | None = None,
                     alert_days: float | None = None, title: str | None = None) -> Figure:
    """Mean sales cycle of each rep's won deals (bar) with the median (tick), against the goal and alert.

    Parameters
    ----------
    cycle : :func:`quotabook.views.won_lost.sales_cycle_by_rep` (``owner``, ``won_count``, ``sales_cycle_days``,
        ``median_sales_cycle_days``), days.
    goal_days, alert_days : reference lines in days (under 90 days; alert over 120).
    """
    period = cycle.attrs.get("period", "the window")
    data = cycle[cycle["won_count"] > 0].sort_values("sales_cycle_days", kind="stable").reset_index(drop=True)
    if data.empty:
        return no_data(plain(title or f"{scope} won no deal in {period}"), "No won deals: no sales cycle to show.")
    if title is None:
        fast, slow = data.iloc[0], data.iloc[-1]
        title = f"{fast['owner']} closes fastest ({fast['sales_cycle_days']:.0f} days on average)"
        if len(data) > 1:
            title += f"; {slow['owner']} slowest ({slow['sales_cycle_days']:.0f} days)"
    fig, ax = new_figure(len(data))
    names = data["owner"].astype(str) + " (" + data["won_count"].map("{:.0f}".format) + " won)"
    ax.barh(names, data["sales_cycle_days"], color=COLORS[0], height=0.6, label="Mean days, created → won")
    ax.scatter(data["median_sales_cycle_days"], names, marker="|", s=300, linewidths=2.5, color=_LINE,
               label="Median", zorder=3)
    if goal_days is not None:
        ax.axvline(goal_days, color="#777777", linestyle=":", linewidth=1.5, label=f"Goal: under {goal_days:g} days")
    if alert_days is not None:
        ax.axvline(alert_days, color=COLORS[1], linestyle="--", linewidth=1.5, label=f"Alert: over {alert_days:g} days")
    ax.set_xlim(0, max(float(data["sales_cycle_days"].max()), alert_days or 0, goal_days or 0) * 1.1)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    return finish(fig, ax, plain(title), subtitle=f"{period}: days from opportunity creation to win, deals won in the "
                  "window", xlabel="Days")


# -- bookings, customers and run rate --------------------------------------------------------------------------
def bookings_bars(trend: pd.DataFrame, *, currency: str, scope: str, to_date: str | None = None,
                  title: str | None = None) -> Figure:
    """Bookings by close-date quarter (bars, labelled with deals won) and the average deal size (right panel).

    Parameters
    ----------
    trend : :func:`quotabook.views.won_lost.bookings_trend` (one row per quarter: ``period``, ``won_count``,
        ``closed_amount``, ``average_deal_size``), reporting currency.
    """
    data = trend.reset_index(drop=True)
    if data.empty or not (data["won_count"] > 0).any():
        return no_data(plain(title or f"{scope} booked nothing in the window"), "No won deals in the window.")
    if title is None:
        last = data.iloc[-1]
        title = f"{scope} booked {currency_text(last['closed_amount'], currency)} in {last['period']}"
        if to_date == last["period"]:
            title += " so far"
        elif len(data) > 1 and data.iloc[-2]["closed_amount"] > 0:
            change = last["closed_amount"] / data.iloc[-2]["closed_amount"] - 1
            title += f", {'up' if change >= 0 else 'down'} {abs(change):.0%} on {data.iloc[-2]['period']}"
    fig, (left, right) = new_figure(height=3.8, ncols=2)
    x = np.arange(len(data))
    labels = _quarters(data, to_date)
    left.bar(x, data["closed_amount"], color=category_color("Won"), width=0.65, label="Bookings (won value)")
    for xi, (v, n) in enumerate(zip(data["closed_amount"], data["won_count"], strict=True)):
        left.annotate(f"{n:.0f}", (xi, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    left.set_title("Bookings per quarter (labels: deals won)", fontsize=9.5, loc="left")
    currency_axis(left, currency)
    right.plot(x, data["average_deal_size"], marker="o", color=COLORS[0], linewidth=2, label="Average deal size")
    right.set_title("Average deal size", fontsize=9.5, loc="left")
    right.set_ylim(0, float(np.nanmax(data["average_deal_size"].to_numpy(dtype="float64"))) * 1.2)
    currency_axis(right, currency)
    for ax in (left, right):
        ax.set_xticks(x, labels, fontsize=8)
        if len(x) > 4:
            ax.tick_params(axis="x", labelrotation=45)
        ax.grid(axis="x", visible=False)
    return finish(fig, left, plain(title), legend=False)


def customers_and_run_rate(customers: pd.DataFrame, *, currency: str, scope: str, to_date: str | None = None,
                           title: str | None = None) -> Figure:
    """Revenue run rate by quarter (left) and customers: new per quarter as bars, total as labels (right).

    Parameters
    ----------
    customers : :func:`quotabook.views.won_lost.customers_over_time` (``period``, ``customer_count``,
        ``new_customer_count``, ``run_rate_revenue``); columns the data cannot give are absent.
    """
    data = customers.reset_index(drop=True)
    has_run_rate = "run_rate_revenue" in data
    has_customers = "customer_count" in data and "new_customer_count" in data
    if data.empty or not (has_run_rate or has_customers):
        return no_data(plain(title or f"{scope}: no run rate or customers to show"), "Not available for this data.")
    if title is None:
        last = data.iloc[-1]
        parts = []
        if has_run_rate:
            parts.append(f"run rate {currency_text(last['run_rate_revenue'], currency)} a year")
        if has_customers:
            parts.append(f"{last['customer_count']:.0f} customers ({last['new_customer_count']:.0f} new)")
        when = f"in {last['period']} to date" if last["period"] == to_date else f"at the end of {last['period']}"
        title = f"{scope} {when}: " + ", ".join(parts)
    fig, (left, right) = new_figure(height=3.8, ncols=2)
    x = np.arange(len(data))
    labels = _quarters(data, to_date)
    for ax, shown, name in ((left, has_run_rate, "Run rate"), (right, has_customers, "Customers")):
        if not shown:
            ax.set_axis_off()
            ax.text(0.0, 0.5, f"{name}: not available for this data", transform=ax.transAxes, fontsize=9)
            continue
        ax.set_xticks(x, labels, fontsize=8)
        if len(x) > 4:
            ax.tick_params(axis="x", labelrotation=45)
    if has_run_rate:
        left.plot(x, data["run_rate_revenue"], marker="o", color=category_color("Won"), linewidth=2)
        left.set_ylim(0, float(data["run_rate_revenue"].max()) * 1.2 or 1.0)
        left.set_title("Revenue run rate (won value of the last 3 months × 4)", fontsize=9.5, loc="left")
        currency_axis(left, currency)
    if has_customers:
        right.bar(x, data["new_customer_count"], color=COLORS[0], width=0.65)
        for xi, (v, total) in enumerate(zip(data["new_customer_count"], data["customer_count"], strict=True)):
            right.annotate(f"{total:.0f}", (xi, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
        right.set_title("New customers per quarter (labels: customers to date)", fontsize=9.5, loc="left")
        right.set_ylim(0, float(data["new_customer_count"].max()) * 1.25 or 1.0)
        right.grid(axis="x", visible=False)
    return finish(fig, left, plain(title), legend=False)
