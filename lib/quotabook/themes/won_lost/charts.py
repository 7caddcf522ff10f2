"""Won / lost charts (theme 7, InsightSquared): closed vs goals per rep, win rate over time and by deal
size, lost by reason, sales cycle by rep, bookings trend, customers and run rate.

Each chart comes twice, seaborn's way: axes-level functions take a tidy table from :mod:`quotabook.themes.won_lost.data`
(they never compute a metric), keyword options, ``ax=None`` and ``**kwargs`` for the main artist (the bars or
the line), draw on ``ax`` and return it; the report's figure of the same table (``*_bars``, ``win_rate_trend``,
``customers_and_run_rate``) lays out the panels and titles them with the finding. Money is in the reporting
currency, win rates are shares 0-1 shown as percentages, cycles are calendar days. A quarter still running is
labelled "to date". A table with nothing to plot gives a small figure (or panel) that says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...charts.base import (
    COLORS,
    category_color,
    currency_axis,
    currency_text,
    ensure_axes,
    figure,
    finish,
    metric_axis,
    new_figure,
    no_data,
    plain,
    say,
    show_literally,
)
from ...charts.unavailable import unavailable_note
from ...metrics import format as fmt
from ...metrics.catalog import label
from ...text import mid, part_of, possessive, span, verb
from ...text import names as join_names

__all__ = ["average_deal_line", "bookings_bars", "bookings_per_quarter", "closed_vs_goals_bars",
           "customers_and_run_rate", "lost_reason_bars", "lost_reasons", "new_customer_bars", "no_data",
           "run_rate_line", "sales_cycle_bars", "sales_cycle_per_rep", "win_rate_by_size", "win_rate_by_size_bars",
           "win_rate_line", "win_rate_trend", "won_vs_goal"]

_LINE = "#333333"






def _quarters(frame: pd.DataFrame, to_date: str | None) -> list[str]:
    """Quarter labels for an x axis, the running quarter marked "to date"."""
    return [f"{p}\n(to date)" if p == to_date else str(p) for p in frame["period"]]


def _end_labels(ax: Axes, values, texts, *, pad: float) -> None:
    """Write ``texts`` just right of each horizontal bar (``values`` are the bar ends)."""
    for y, (v, t) in enumerate(zip(values, texts, strict=True)):
        ax.text((0 if pd.isna(v) else v) + pad, y, t, va="center", ha="left", fontsize=8.5, color=_LINE)


# -- closed vs goals ---------------------------------------------------------------------------------------
def _by_attainment(goals: pd.DataFrame) -> pd.DataFrame:
    """The reps best attainment first (then most won); columns the data cannot give added empty."""
    missing = [c for c in ("won_count", "closed_amount", "target_amount", "attainment") if c not in goals]
    goals = goals.assign(**dict.fromkeys(missing, np.nan))  # no targets in the data: bars without goals
    data = goals.sort_values(["attainment", "closed_amount"], ascending=False, na_position="last", kind="stable")
    return data.reset_index(drop=True)


def won_vs_goal(data: pd.DataFrame, *, currency: str = "USD", label: str = "owner", ax: Axes | None = None,
                **kwargs) -> Axes:
    """Each rep's bookings (``closed_amount``) as a bar (drawn with ``kwargs``) with the goal
    (``target_amount``) marked, labelled with won deals and attainment; best attainment on top.

    ``data``: :func:`quotabook.themes.won_lost.data.closed_vs_goals` (``label``, ``won_count``, ``closed_amount``,
    ``target_amount``, ``attainment``), reporting currency.
    """
    data = _by_attainment(data)
    ax = ensure_axes(ax, len(data))
    if data.empty:
        return say(ax, "No reps in view.")
    goal = data["target_amount"].astype("float64")
    names = data[label].astype(str)
    ax.barh(names, data["closed_amount"].fillna(0), **{"color": category_color("Won"), "height": 0.6,
                                                       "label": "Won (bookings)", **kwargs})
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
    metric_axis(ax, "closed_amount", currency=currency)
    return show_literally(ax)


def closed_vs_goals_bars(goals: pd.DataFrame, *, currency: str, scope: str, label: str = "owner",
                         to_date: str | None = None, title: str | None = None) -> Figure:
    """:func:`won_vs_goal` as the report's figure, titled with how many reps reached their goal.

    ``to_date``: the period's label when it is still running (the title then says "so far").
    """
    period = span(goals.attrs.get("period", "the period"))
    if goals.empty:
        return no_data(plain(title or f"{scope}: no reps in view for {period}"), "No reps in view.")
    data = _by_attainment(goals)
    has_goal = data["target_amount"].astype("float64") > 0
    if title is None and not has_goal.any():
        title = f"{scope}: won value per rep in {period}" + (" so far" if period == to_date else "")
    elif title is None:
        with_goal = data[has_goal]
        hit = int((with_goal["attainment"] >= 1).sum())
        did = f"{verb('has', hit)} reached" if period == to_date else "reached"
        title = f"{scope}: {part_of(hit, len(with_goal), 'rep')} {did} their {period} goal"
        title += " so far" if period == to_date else ""
        title += f"; {with_goal.iloc[0][label]} leads at {fmt.percent(with_goal.iloc[0]['attainment'])}"
    if has_goal.any():
        subtitle = f"{period}: won value per rep against the rep's territory target; labels: deals won · attainment"
    else:  # say why there is no goal to read against, once, in the chart's own place
        why = unavailable_note(goals, "No rep has a target for the period.").replace("Not available", "Goals not "
                                                                                     "available", 1)
        subtitle = f"{period}: won value per rep; labels: deals won\n{why}"
    return figure(won_vs_goal, data, title=plain(title), subtitle=subtitle, n_rows=len(data), currency=currency,
                  label=label)


# -- win rate ----------------------------------------------------------------------------------------------
def _closed(trend: pd.DataFrame) -> pd.DataFrame:
    return trend[trend["closed_count"] > 0].reset_index(drop=True)


def win_rate_line(data: pd.DataFrame, *, benchmark: tuple[float, float] | None = None, benchmark_source: str = "",
                  to_date: str | None = None, ax: Axes | None = None, **kwargs) -> Axes:
    """Win rate of closed deals by close-date quarter as a line (drawn with ``kwargs``), each point labelled
    with the win rate and the deals won of those closed; the y axis is the catalog's ``win_rate``.

    Parameters
    ----------
    data : :func:`quotabook.themes.won_lost.data.win_rate_over_time` (one row per quarter: ``period``,
        ``won_count``, ``closed_count``, ``win_rate``); quarters with nothing closed are left out.
    benchmark : a band of win rates (shares 0-1) shaded behind the line, with ``benchmark_source``.
    to_date : the label of a quarter still running, marked "to date".
    """
    data = _closed(data)
    ax = ensure_axes(ax, height=3.8)
    if data.empty:
        return say(ax, "No closed deals: no win rate to show.")
    x = np.arange(len(data))
    if benchmark is not None:
        ax.axhspan(benchmark[0], benchmark[1], color=COLORS[2], alpha=0.12,
                   label=f"Benchmark {benchmark[0]:.0%}–{benchmark[1]:.0%}" + (f" ({benchmark_source})"
                                                                               if benchmark_source else ""))
    ax.plot(x, data["win_rate"], **{"marker": "o", "color": COLORS[0], "linewidth": 2, "label": label("win_rate"),
                                    **kwargs})
    for xi, (rate, won, closed) in enumerate(zip(data["win_rate"], data["won_count"], data["closed_count"],
                                                 strict=True)):
        ax.annotate(f"{rate:.0%}\n{won:.0f}/{closed:.0f}", (xi, rate), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8, color=_LINE)
    top = max(float(data["win_rate"].max()), benchmark[1] if benchmark else 0.0)
    ax.set_ylim(0, min(1.0, top + 0.15) if top < 0.85 else 1.1)
    ax.set_xticks(x, _quarters(data, to_date))
    metric_axis(ax, "win_rate", axis="y")
    return show_literally(ax)


def win_rate_trend(trend: pd.DataFrame, *, scope: str, benchmark: tuple[float, float] | None = None,
                   benchmark_source: str = "", to_date: str | None = None, title: str | None = None) -> Figure:
    """:func:`win_rate_line` as the report's figure, titled with the last quarter's win rate against the one
    before."""
    data = _closed(trend)
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
    subtitle = "Won ÷ closed (won + lost) deals by close-date quarter; labels: win rate, won/closed deals"
    return figure(win_rate_line, data, title=plain(title), subtitle=subtitle, height=3.8, benchmark=benchmark,
                  benchmark_source=benchmark_source, to_date=to_date)


def _band_names(data: pd.DataFrame, currency: str) -> list[str]:
    """Deal-size bands as text: "under $10K", "$10K–$50K", "$50K+"."""
    return [f"under {currency_text(hi, currency)}" if lo <= 0 else f"{currency_text(lo, currency)}+"
            if np.isinf(hi) else f"{currency_text(lo, currency)}–{currency_text(hi, currency)}"
            for lo, hi in zip(data["band_low"], data["band_high"], strict=True)]


def win_rate_by_size(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Win rate per deal-size band (smallest first) as bars (drawn with ``kwargs``), each labelled with the
    deals won of those closed in it.

    ``data``: :func:`quotabook.themes.won_lost.data.win_rate_by_deal_size` at one level (one row per band:
    ``band_low``, ``band_high`` in the reporting currency, ``won_count``, ``closed_count``, ``win_rate``).
    """
    data = _closed(data)
    ax = ensure_axes(ax, height=3.6)
    if data.empty:
        return say(ax, "No closed deals: no win rate by size.")
    x = np.arange(len(data))
    ax.bar(x, data["win_rate"], **{"color": COLORS[0], "width": 0.6, **kwargs})
    for xi, (rate, won, closed) in enumerate(zip(data["win_rate"], data["won_count"], data["closed_count"],
                                                 strict=True)):
        ax.annotate(f"{rate:.0%} ({won:.0f}/{closed:.0f})", (xi, rate), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=8.5, color=_LINE)
    ax.set_xticks(x, [plain(n) for n in _band_names(data, currency)])
    ax.set_ylim(0, min(1.05, float(data["win_rate"].max()) + 0.12))
    ax.grid(axis="x", visible=False)
    metric_axis(ax, "win_rate", axis="y")
    ax.set_xlabel(f"Deal size ({currency})")
    return show_literally(ax)


def win_rate_by_size_bars(bands: pd.DataFrame, *, currency: str, scope: str, title: str | None = None) -> Figure:
    """:func:`win_rate_by_size` as the report's figure, titled with the best and worst band."""
    period = span(bands.attrs.get("period", "the window"))
    data = _closed(bands)
    if data.empty:
        return no_data(plain(title or f"{scope} closed no deal in {period}"), "No closed deals: no win rate by size.")
    if title is None:
        names = _band_names(data, currency)
        best, worst = data["win_rate"].idxmax(), data["win_rate"].idxmin()
        title = (f"{scope} wins {fmt.percent(data.loc[best, 'win_rate'])} of deals {names[best]} and "
                 f"{fmt.percent(data.loc[worst, 'win_rate'])} of deals {names[worst]}")
    subtitle = f"{period}: win rate by deal amount (bands of about equal numbers of closed deals); labels: won/closed"
    return figure(win_rate_by_size, data, title=plain(title), subtitle=subtitle, height=3.6, currency=currency)


# -- why we lose ---------------------------------------------------------------------------------------------
def lost_reasons(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Lost deals per loss reason (most frequent on top) as bars (drawn with ``kwargs``), labelled with share
    and lost value; the x axis is the catalog's ``lost_count``.

    ``data``: :func:`quotabook.themes.won_lost.data.lost_by_reason` without ``by`` (``loss_reason``, ``lost_count``,
    ``lost_amount``, ``count_share``).
    """
    data = data.reset_index(drop=True)
    ax = ensure_axes(ax, len(data))
    if data.empty:
        return say(ax, unavailable_note(data, "No deals were lost in the window."))
    names = data["loss_reason"].astype(str)
    ax.barh(names, data["lost_count"], **{"color": category_color("Lost"), "height": 0.6, "label": "Lost deals",
                                          **kwargs})
    texts = [plain(f"{s:.0%} · {currency_text(a, currency)}") for s, a in zip(data["count_share"], data["lost_amount"],
                                                                              strict=True)]
    right = float(data["lost_count"].max())
    _end_labels(ax, data["lost_count"], texts, pad=right * 0.015)
    ax.set_xlim(0, right * 1.25)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    metric_axis(ax, "lost_count")
    return show_literally(ax)


def lost_reason_bars(lost: pd.DataFrame, *, currency: str, scope: str, title: str | None = None) -> Figure:
    """:func:`lost_reasons` as the report's figure, titled with the top loss reason (every one, on a tie)."""
    period = span(lost.attrs.get("period", "the window"))
    if lost.empty:
        return no_data(plain(title or f"{scope}: no loss reasons to show for {period}"),
                       unavailable_note(lost, "No deals were lost in the window."))
    data = lost.reset_index(drop=True)
    if title is None:
        top = data.iloc[0]
        tied = data.loc[data["lost_count"] == top["lost_count"], "loss_reason"].astype(str).tolist()
        if len(tied) > 1:  # a tie names every reason at the top, as the findings do
            title = (f"{join_names(tied)} are {possessive(mid(scope))} top loss reasons: {top['lost_count']:.0f} of "
                     f"{data['lost_count'].sum():.0f} lost deals ({fmt.percent(top['count_share'])}) each")
        else:
            title = (f"{top['loss_reason']} is {possessive(mid(scope))} top loss reason: {top['lost_count']:.0f} of "
                     f"{data['lost_count'].sum():.0f} lost deals ({fmt.percent(top['count_share'])})")
    return figure(lost_reasons, data, title=plain(title), subtitle=f"{period}: lost deals by the reason recorded; "
                  "labels: share of lost deals · lost value", legend=False, n_rows=len(data), currency=currency)


# -- sales cycle ---------------------------------------------------------------------------------------------
def _fastest(cycle: pd.DataFrame) -> pd.DataFrame:
    return cycle[cycle["won_count"] > 0].sort_values("sales_cycle_days", kind="stable").reset_index(drop=True)


def sales_cycle_per_rep(data: pd.DataFrame, *, goal_days: float | None = None, alert_days: float | None = None,
                        ax: Axes | None = None, **kwargs) -> Axes:
    """Mean sales cycle of each rep's won deals (bar, drawn with ``kwargs``) with the median (tick), against
    the goal and alert (days), fastest on top.

    ``data``: :func:`quotabook.themes.won_lost.data.sales_cycle_by_rep` (``owner``, ``won_count``,
    ``sales_cycle_days``, ``median_sales_cycle_days``), days.
    """
    data = _fastest(data)
    ax = ensure_axes(ax, len(data))
    if data.empty:
        return say(ax, "No won deals: no sales cycle to show.")
    names = data["owner"].astype(str) + " (" + data["won_count"].map("{:.0f}".format) + " won)"
    ax.barh(names, data["sales_cycle_days"], **{"color": COLORS[0], "height": 0.6,
                                                "label": "Mean days, created → won", **kwargs})
    ax.scatter(data["median_sales_cycle_days"], names, marker="|", s=300, linewidths=2.5, color=_LINE,
               label="Median", zorder=3)
    if goal_days is not None:
        ax.axvline(goal_days, color="#777777", linestyle=":", linewidth=1.5, label=f"Goal: under {goal_days:g} days")
    if alert_days is not None:
        ax.axvline(alert_days, color=COLORS[1], linestyle="--", linewidth=1.5, label=f"Alert: over {alert_days:g} days")
    ax.set_xlim(0, max(float(data["sales_cycle_days"].max()), alert_days or 0, goal_days or 0) * 1.1)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Days")
    return show_literally(ax)


def sales_cycle_bars(cycle: pd.DataFrame, *, scope: str, goal_days: float | None = None,
                     alert_days: float | None = None, title: str | None = None) -> Figure:
    """:func:`sales_cycle_per_rep` as the report's figure, titled with the fastest and slowest rep
    (``goal_days``: under 90 days; ``alert_days``: over 120)."""
    period = span(cycle.attrs.get("period", "the window"))
    data = _fastest(cycle)
    if data.empty:
        return no_data(plain(title or f"{scope} won no deal in {period}"), "No won deals: no sales cycle to show.")
    if title is None:
        fast, slow = data.iloc[0], data.iloc[-1]
        title = f"{fast['owner']} closes fastest ({fast['sales_cycle_days']:.0f} days on average)"
        if len(data) > 1:
            title += f"; {slow['owner']} slowest ({slow['sales_cycle_days']:.0f} days)"
    return figure(sales_cycle_per_rep, data, title=plain(title), subtitle=f"{period}: days from opportunity creation "
                  "to win, deals won in the window", n_rows=len(data), goal_days=goal_days, alert_days=alert_days)


# -- bookings, customers and run rate --------------------------------------------------------------------------
def _quarter_axis(ax: Axes, data: pd.DataFrame, to_date: str | None) -> np.ndarray:
    """Quarters on the x axis of ``ax`` (turned 45° past four); returns their positions."""
    x = np.arange(len(data))
    ax.set_xticks(x, _quarters(data, to_date), fontsize=8)
    if len(x) > 4:
        ax.tick_params(axis="x", labelrotation=45)
    return x


def bookings_per_quarter(data: pd.DataFrame, *, currency: str = "USD", to_date: str | None = None,
                         ax: Axes | None = None, **kwargs) -> Axes:
    """Bookings (``closed_amount``) by close-date quarter as bars (drawn with ``kwargs``), each labelled with
    the deals won. ``data``: :func:`quotabook.themes.won_lost.data.bookings_trend`."""
    data = data.reset_index(drop=True)
    ax = ensure_axes(ax, height=3.8)
    x = _quarter_axis(ax, data, to_date)
    ax.bar(x, data["closed_amount"], **{"color": category_color("Won"), "width": 0.65,
                                        "label": "Bookings (won value)", **kwargs})
    for xi, (v, n) in enumerate(zip(data["closed_amount"], data["won_count"], strict=True)):
        ax.annotate(f"{n:.0f}", (xi, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_title("Bookings per quarter (labels: deals won)", fontsize=9.5, loc="left")
    currency_axis(ax, currency)
    ax.grid(axis="x", visible=False)
    return show_literally(ax)


def average_deal_line(data: pd.DataFrame, *, currency: str = "USD", to_date: str | None = None,
                      ax: Axes | None = None, **kwargs) -> Axes:
    """The catalog's ``average_deal_size`` by close-date quarter as a line (drawn with ``kwargs``), titled with
    its catalog label. ``data``: :func:`quotabook.themes.won_lost.data.bookings_trend`."""
    data = data.reset_index(drop=True)
    ax = ensure_axes(ax, height=3.8)
    x = _quarter_axis(ax, data, to_date)
    ax.plot(x, data["average_deal_size"], **{"marker": "o", "color": COLORS[0], "linewidth": 2,
                                             "label": label("average_deal_size"), **kwargs})
    ax.set_title(label("average_deal_size"), fontsize=9.5, loc="left")
    top = float(np.nanmax(data["average_deal_size"].to_numpy(dtype="float64"))) if len(data) else 0.0
    ax.set_ylim(0, top * 1.2 if np.isfinite(top) and top > 0 else 1.0)
    currency_axis(ax, currency)
    ax.grid(axis="x", visible=False)
    return show_literally(ax)


def bookings_bars(trend: pd.DataFrame, *, currency: str, scope: str, to_date: str | None = None,
                  title: str | None = None) -> Figure:
    """Bookings by close-date quarter (:func:`bookings_per_quarter`) and the average deal size
    (:func:`average_deal_line`) side by side, titled with the last quarter's bookings.

    ``trend``: :func:`quotabook.themes.won_lost.data.bookings_trend` (one row per quarter: ``period``, ``won_count``,
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
    bookings_per_quarter(data, currency=currency, to_date=to_date, ax=left)
    average_deal_line(data, currency=currency, to_date=to_date, ax=right)
    return finish(fig, left, plain(title), legend=False)


def run_rate_line(data: pd.DataFrame, *, currency: str = "USD", to_date: str | None = None, ax: Axes | None = None,
                  **kwargs) -> Axes:
    """Revenue run rate (``run_rate_revenue``) by quarter as a line (drawn with ``kwargs``); a panel that says
    so when the data cannot give it. ``data``: :func:`quotabook.themes.won_lost.data.customers_over_time`."""
    data = data.reset_index(drop=True)
    ax = ensure_axes(ax, height=3.8)
    if "run_rate_revenue" not in data:
        return say(ax, "Run rate: not available for this data", fontsize=9)
    x = _quarter_axis(ax, data, to_date)
    ax.plot(x, data["run_rate_revenue"], **{"marker": "o", "color": category_color("Won"), "linewidth": 2, **kwargs})
    ax.set_ylim(0, float(data["run_rate_revenue"].max()) * 1.2 or 1.0)
    ax.set_title("Revenue run rate (won value of the last 3 months × 4)", fontsize=9.5, loc="left")
    currency_axis(ax, currency)
    return show_literally(ax)


def new_customer_bars(data: pd.DataFrame, *, to_date: str | None = None, ax: Axes | None = None, **kwargs) -> Axes:
    """New customers per quarter (``new_customer_count``) as bars (drawn with ``kwargs``), each labelled with
    the customers to date (``customer_count``); a panel that says so when the data cannot give them."""
    data = data.reset_index(drop=True)
    ax = ensure_axes(ax, height=3.8)
    if not {"customer_count", "new_customer_count"} <= set(data.columns):
        return say(ax, "Customers: not available for this data", fontsize=9)
    x = _quarter_axis(ax, data, to_date)
    ax.bar(x, data["new_customer_count"], **{"color": COLORS[0], "width": 0.65, **kwargs})
    for xi, (v, total) in enumerate(zip(data["new_customer_count"], data["customer_count"], strict=True)):
        ax.annotate(f"{total:.0f}", (xi, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_title("New customers per quarter (labels: customers to date)", fontsize=9.5, loc="left")
    ax.set_ylim(0, float(data["new_customer_count"].max()) * 1.25 or 1.0)
    ax.grid(axis="x", visible=False)
    return show_literally(ax)


def customers_and_run_rate(customers: pd.DataFrame, *, currency: str, scope: str, to_date: str | None = None,
                           title: str | None = None) -> Figure:
    """Revenue run rate by quarter (:func:`run_rate_line`, left) and customers (:func:`new_customer_bars`,
    right), titled with where the scope stands at the last quarter.

    ``customers``: :func:`quotabook.themes.won_lost.data.customers_over_time` (``period``, ``customer_count``,
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
    run_rate_line(data, currency=currency, to_date=to_date, ax=left)
    new_customer_bars(data, to_date=to_date, ax=right)
    return finish(fig, left, plain(title), legend=False)
