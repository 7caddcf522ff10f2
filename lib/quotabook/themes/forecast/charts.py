"""Forecast charts (theme 6): will we hit the number, the methods side by side, how
accurate each method has been, why the pipeline changed, how it trended, and where the strike zone is.

Each chart comes twice, seaborn's way: an axes-level function takes a tidy table of :mod:`quotabook.forecast`
(it never computes a metric), keyword options, ``ax=None`` and ``**kwargs`` for its main artist, draws on ``ax``
and returns it; the report's figure of the same table states the finding in its title (or takes ``title=``).
Money is in the reporting currency; accuracies and win rates are shares 0-1 shown as percentages.
"""

from __future__ import annotations

from functools import partial

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ...charts.base import (
    COLORS,
    category_color,
    currency_axis,
    currency_text,
    ensure_axes,
    figure,
    legend_below,
    metric_axis,
    no_data,
    percent_axis,
    plain,
    say,
    show_literally,
)
from ...metrics.forecasting.methods import METHOD_LABELS
from ...metrics.forecasting.waterfall import INFLOWS
from ...text import every, mid, plural, possessive, say_date, signed_pct, verb

__all__ = ["METHOD_COLORS", "backtest_accuracy", "backtest_lines", "methods_by_group", "methods_per_group", "no_data",
           "outlook_dots", "outlook_ranges", "pipeline_areas", "pipeline_trend_area", "pipeline_waterfall",
           "strike_zone", "strike_zone_heatmap", "waterfall_bars"]

#: One colour per method, the same in every forecast chart (Monte Carlo in the Commit blue of the range).
METHOD_COLORS = {"category_forecast": COLORS[1], "weighted_forecast": COLORS[3],
                 "historical_win_rate_forecast": COLORS[2], "run_rate_forecast": COLORS[5],
                 "monte_carlo_p50": COLORS[0]}
_MARKERS = {"category_forecast": "s", "weighted_forecast": "D", "historical_win_rate_forecast": "^",
            "run_rate_forecast": "v", "monte_carlo_p50": "o"}
_RANGE = "#a6cee3"
_INK = "#333333"
_STAGE_GREENS = ["#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b"]






def _money_axis(ax, currency: str) -> None:
    """A money x axis from 0 with round steps (1, 2 or 5 × a power of ten: "$1.2M" never stands for 1.25M)."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 5, 10]))
    currency_axis(ax, currency, axis="x")
    ax.set_xlim(left=0)


# -- will we hit the number? -------------------------------------------------------------------------------
def _made_when(attrs: dict) -> str:
    """When a finished period's forecast was made: "in week 7 (12 Aug 2026)", never "as of" another date than
    the page's own (``attrs``: :attr:`quotabook.forecast.ForecastStudy.outlook`'s)."""
    day = attrs["forecast_date"]
    week = attrs.get("forecast_week")
    return f"in week {week} ({say_date(day)})" if week else f"on {say_date(day)}"


def outlook_title(outlook: pd.DataFrame, scope: str, period: str, currency: str) -> str:
    """The finding of :func:`outlook_ranges`: the chance of target and the Monte Carlo range (or, for a period
    over, what it closed at against the range at the review date)."""
    a = outlook.attrs
    money = partial(currency_text, code=currency)
    mc = outlook[outlook["metric"] == "monte_carlo_p50"]
    target = a.get("target")
    if a.get("is_review") and pd.notna(a.get("actual")):
        if pd.notna(target) and target > 0:
            made = "made" if a["actual"] >= target else "missed"
            head = f"{scope} {made} {possessive(period)} {money(target)} target with {money(a['actual'])}"
        else:  # no target in the data: nothing was made or missed
            head = f"{scope} booked {money(a['actual'])} in {period}"
        if len(mc):
            return f"{head}; {_made_when(a)} Monte Carlo said {money(mc['low'].iloc[0])}-" \
                   f"{money(mc['high'].iloc[0])}"
        return head
    if len(mc) and pd.notna(a.get("target_probability")):
        low, high = money(mc["low"].iloc[0]), money(mc["high"].iloc[0])
        likely = f"likely range {low}–{high}" if low != high else f"{low} with no spread"
        return f"{scope}: {a['target_probability']:.0%} chance of reaching the {money(target)} target; {likely}"
    if len(outlook):
        spread = outlook["forecast"]
        return f"{scope}: the methods forecast {money(spread.min())}–{money(spread.max())} for {period}"
    return f"{scope}: no forecast for {period}"


def outlook_dots(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Each method's forecast of the scope's bookings as a dot (drawn with ``kwargs``), Monte Carlo as its
    P10-P90 range, against the target, what is closed so far and, for a period over, the actual bookings
    (vertical lines from ``data.attrs``).

    ``data``: :attr:`quotabook.forecast.ForecastStudy.outlook` (``metric``, ``method``, ``forecast``, ``low``,
    ``high``; ``attrs`` closed, target, actual, is_review).
    """
    ax = ensure_axes(ax, len(data) + 1)
    if data.empty:
        return say(ax, "No forecast method could run on this data.")
    a = data.attrs
    y = np.arange(len(data))
    for i, row in enumerate(data.itertuples()):
        if pd.notna(row.low) and pd.notna(row.high):
            ax.barh(i, row.high - row.low, left=row.low, height=0.5, color=_RANGE, label="Monte Carlo P10-P90")
        ax.scatter(row.forecast, i, **{"s": 70, "zorder": 3, "color": METHOD_COLORS.get(row.metric, COLORS[0]),
                                       "marker": _MARKERS.get(row.metric, "o"), **kwargs})
        ax.annotate(currency_text(row.forecast, currency), (row.forecast, i), xytext=(0, 8),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8.5, color=_INK,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    day = a.get("forecast_date")  # a review's Closed is what had closed when the forecast was made
    closed = f"Closed by {say_date(day)}" if a.get("is_review") and day is not None else "Closed to date"
    lines = [("target", "Target", category_color("Target"), "-"), ("closed", closed,
             category_color("Closed"), "--"), ("actual", "Actual bookings", "#000000", ":")]
    for key, legend, color, style in lines:
        value = a.get(key)
        if value is not None and pd.notna(value) and (key != "actual" or a.get("is_review")):
            ax.axvline(value, color=color, linestyle=style, linewidth=2, label=legend)
    ax.set_yticks(y, data["method"].tolist())
    ax.set_ylim(len(data) - 0.4, -0.9)
    ax.grid(axis="y", visible=False)
    _money_axis(ax, currency)
    ax.set_xlabel(f"Bookings ({currency})")
    return show_literally(ax)


def outlook_ranges(outlook: pd.DataFrame, *, scope: str, period: str, currency: str,
                   title: str | None = None) -> Figure:
    """:func:`outlook_dots` as the report's figure, titled with the chance of target and the Monte Carlo range
    (:func:`outlook_title`) and saying when the forecast was made."""
    if outlook.empty:
        return no_data(title or f"{scope}: no forecast for {period}", "No forecast method could run on this data.")
    a = outlook.attrs
    day = a.get("forecast_date")
    when = "" if day is None else (f" as it stood {_made_when(a)}" if a.get("is_review")
                                   else f", as of {say_date(day)}")
    return figure(outlook_dots, outlook, title=plain(title or outlook_title(outlook, scope, period, currency)),
                  subtitle=f"Forecast of {period} bookings by method{when}", n_rows=len(outlook) + 1,
                  currency=currency)


def methods_per_group(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Per territory or region (the index, sorted): each method's forecast as a marker (drawn with ``kwargs``),
    the Monte Carlo P10-P90 range as a bar and the target as a tick, so where the methods disagree, and who is
    short, shows at a glance.

    ``data``: :attr:`quotabook.forecast.ForecastStudy.by_level` (one column per method, ``target_amount``).
    """
    data = data.sort_index()
    ax = ensure_axes(ax, len(data) * 1.6 + 1)
    y = np.arange(len(data))
    if {"monte_carlo_p10", "monte_carlo_p90"} <= set(data.columns):
        ax.barh(y, data["monte_carlo_p90"] - data["monte_carlo_p10"], left=data["monte_carlo_p10"], height=0.55,
                color=_RANGE, label="Monte Carlo P10-P90")
    methods = [m for m in METHOD_LABELS if m in data.columns]
    offsets = np.linspace(-0.22, 0.22, len(methods)) if len(methods) > 1 else [0.0]
    for m, dy in zip(methods, offsets, strict=True):
        ax.scatter(data[m], y + dy, **{"s": 42, "zorder": 3, "color": METHOD_COLORS[m], "marker": _MARKERS[m],
                                       "label": METHOD_LABELS[m], **kwargs})
    if "target_amount" in data:
        ax.scatter(data["target_amount"], y, marker="|", s=900, linewidths=2.5, color=category_color("Target"),
                   label="Target", zorder=4)
    ax.set_yticks(y, [str(i) for i in data.index])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    _money_axis(ax, currency)
    ax.set_xlabel(f"Bookings ({currency})")
    return show_literally(ax)


def methods_by_group(by_level: pd.DataFrame, *, level: str, currency: str, title: str | None = None) -> Figure:
    """:func:`methods_per_group` as the report's figure, titled with the groups forecast short of target (or
    where the methods disagree most). ``level``: "territory" or "region"."""
    if by_level.empty:
        return no_data(title or f"No {level} to show", f"No {level} in view.")
    data = by_level.sort_index()
    if title is None:
        title = _groups_title(data, level, [m for m in METHOD_LABELS if m in data.columns])
    return figure(methods_per_group, data, title=plain(title), subtitle=f"Forecast bookings per {level} by method, "
                  "against target", n_rows=len(data) * 1.6 + 1, currency=currency)


def _groups_title(data: pd.DataFrame, level: str, methods: list[str]) -> str:
    plural = {"territory": "territories", "region": "regions"}.get(level, f"{level}s")
    if "monte_carlo_p50" in data and "target_amount" in data:
        short = data.index[data["monte_carlo_p50"] < data["target_amount"]]
        if len(short) == 0:
            return (f"{every(len(data), level)} {verb('is', len(data))} forecast to reach target "
                    "(Monte Carlo median)")
        if len(short) == len(data):
            return (f"{every(len(data), level)} {verb('is', len(data))} forecast short of target "
                    "(Monte Carlo median)")
        names = ", ".join(str(s) for s in short[:3]) + (" and others" if len(short) > 3 else "")
        return f"{len(short)} of {len(data)} {plural} are forecast short of target: {names}"
    spread = data[methods].max(axis=1) - data[methods].min(axis=1)
    return f"The methods disagree most on {spread.idxmax()}"


# -- backtests ---------------------------------------------------------------------------------------------
def backtest_accuracy(data: pd.DataFrame, *, summary: pd.DataFrame, benchmark: tuple[float, float] | None = None,
                      ax: Axes | None = None, **kwargs) -> Axes:
    """Mean backtest accuracy of each method by week of the quarter (over the quarters tested) as lines (drawn
    with ``kwargs``), the most accurate method (``summary``'s first row) thickest, the benchmark band shaded.

    ``data`` / ``summary``: :func:`quotabook.forecast.backtest.backtest` and ``summarise``.
    """
    r = data.dropna(subset=["accuracy"])
    ax = ensure_axes(ax, height=4.4)
    if r.empty or summary.empty:
        return say(ax, "No completed quarter to test yet.")
    by_week = r.groupby(["metric", "week"])["accuracy"].mean()
    best = summary.iloc[0]
    if benchmark is not None:
        ax.axhspan(benchmark[0], benchmark[1], color="#dddddd", alpha=0.6, label="Benchmark band (Xactly, as cited)")
    for m in summary["metric"]:
        s = by_week.loc[m]
        ax.plot(s.index, s.to_numpy(), **{"marker": _MARKERS.get(m, "o"), "color": METHOD_COLORS.get(m, COLORS[0]),
                                          "linewidth": 3.0 if m == best["metric"] else 1.5, "markersize": 6,
                                          "label": METHOD_LABELS.get(m, m), **kwargs})
    percent_axis(ax)
    low = float(np.nanmin(by_week.to_numpy()))
    ax.set_ylim(max(min(low - 0.05, 0.5), -1.0), 1.0)
    weeks = sorted(r["week"].unique())
    ax.set_xticks(weeks, [str(w) for w in weeks])
    ax.set_xlabel("Week of the quarter the forecast was made")
    ax.set_ylabel("Accuracy")
    return show_literally(ax)


def backtest_lines(results: pd.DataFrame, summary: pd.DataFrame, *, scope: str,
                   benchmark: tuple[float, float] | None = None, title: str | None = None) -> Figure:
    """:func:`backtest_accuracy` as the report's figure, titled with the most accurate method and its bias."""
    r = results.dropna(subset=["accuracy"])
    if r.empty or summary.empty:
        return no_data(title or f"{scope}: not enough history to backtest", "No completed quarter to test yet.")
    best = summary.iloc[0]
    quarters = r["period"].nunique()
    if title is None:
        title = (f"{best['method']} has been the most accurate forecast for {mid(scope)}: "
                 f"{best['accuracy']:.0%} on average, bias {signed_pct(best['bias'])}")
    return figure(backtest_accuracy, results, title=plain(title), subtitle=f"Backtest accuracy (1 - |forecast - "
                  f"actual| / actual), mean over {plural(quarters, 'quarter')}", height=4.4,
                  summary=summary, benchmark=benchmark)


# -- pipeline flows ----------------------------------------------------------------------------------------
def waterfall_bars(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """The period's pipeline from start to end through each inflow and outflow, as waterfall bars (drawn with
    ``kwargs``), each labelled with its signed amount.

    ``data``: :func:`quotabook.metrics.forecasting.waterfall.waterfall_steps` (``step``, ``key``, ``amount``,
    ``bottom``, ``top``), amounts in the reporting currency.
    """
    ax = ensure_axes(ax, height=4.2)
    colors = {"start": COLORS[0], "end": COLORS[0], "won": category_color("Won"), "lost": category_color("Lost"),
              "decreased": COLORS[1], "slipped_out": COLORS[1]}
    x = np.arange(len(data))
    height = (data["top"] - data["bottom"]).to_numpy()
    bar_colors = [colors.get(k, COLORS[2] if k in INFLOWS else COLORS[1]) for k in data["key"]]
    ax.bar(x, height, bottom=data["bottom"], **{"color": bar_colors, "width": 0.65, **kwargs})
    span = float(data["top"].max()) or 1.0
    for i, row in enumerate(data.itertuples()):
        sign = "" if row.key in ("start", "end") else ("+" if row.amount >= 0 else "-")
        ax.text(i, row.top + span * 0.015, sign + currency_text(abs(row.amount), currency), ha="center",
                va="bottom", fontsize=8.5, color=_INK)
    ax.set_xticks(x, data["step"].tolist())
    ax.grid(axis="x", visible=False)
    currency_axis(ax, currency)
    ax.set_ylim(0, span * 1.12)
    ax.set_ylabel(f"Pipeline ({currency})")
    return show_literally(ax)


def pipeline_waterfall(steps: pd.DataFrame, *, scope: str, period: str, currency: str,
                       title: str | None = None) -> Figure:
    """:func:`waterfall_bars` as the report's figure, titled with the start, end, inflow and outflow, with a
    key to the bar colours."""
    if title is None:
        t = steps.set_index("key")["amount"]
        inflow, outflow = t[INFLOWS].sum(), -t[["decreased", "won", "lost", "slipped_out"]].sum()
        title = (f"{possessive(scope)} {period} pipeline went from {currency_text(t['start'], currency)} to "
                 f"{currency_text(t['end'], currency)}: {currency_text(inflow, currency)} in, "
                 f"{currency_text(outflow, currency)} out")
    handles = [Patch(color=COLORS[2], label="Inflow"), Patch(color=COLORS[1], label="Outflow (open)"),
               Patch(color=category_color("Won"), label="Won"), Patch(color=category_color("Lost"), label="Lost")]
    fig = figure(waterfall_bars, steps, title=plain(title), subtitle="Open pipeline dated in the period: start + "
                 "inflows - outflows = end", legend=False, height=4.2, currency=currency)
    legend_below(fig, handles, handlelength=1.4)  # after finish: set at the print-legible size itself
    return fig


def pipeline_areas(data: pd.DataFrame, *, currency: str = "USD", multiple: float = 3.0, ax: Axes | None = None,
                   **kwargs) -> Axes:
    """Open pipeline by stage, week by week, as stacked areas (earliest stage at the bottom, drawn with
    ``kwargs``), against the quarter's target × ``multiple`` (the coverage the workbook asks for).

    ``data``: :func:`quotabook.forecast.trend.pipeline_trend` (``date``, ``stage`` (categorical, in stage order),
    ``amount``, ``target``, ``pipeline``).
    """
    ax = ensure_axes(ax, height=4.4)
    if data.empty:
        return say(ax, "No pipeline history in the data.")
    wide = data.pivot_table(index="date", columns="stage", values="amount", aggfunc="sum", observed=False)
    stages = [s for s in data["stage"].cat.categories if s in wide.columns]
    colors = _STAGE_GREENS[-len(stages):] if len(stages) <= len(_STAGE_GREENS) else None
    ax.stackplot(wide.index, *[wide[s].to_numpy() for s in stages], **{"labels": stages, "colors": colors,
                                                                       "alpha": 0.95, **kwargs})
    per_date = data.drop_duplicates("date").set_index("date")
    if per_date["target"].notna().any():
        ax.step(per_date.index, per_date["target"] * multiple, where="post", color=category_color("Target"),
                linewidth=2, linestyle="--", label=f"{multiple:g}× the quarter's target")
    # Months as "Feb", "Mar" with the year once where it changes: a year-month label per tick runs into the
    # next one at print size.
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    currency_axis(ax, currency)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"Open pipeline ({currency})")
    return show_literally(ax)


def pipeline_trend_area(trend: pd.DataFrame, *, scope: str, currency: str, multiple: float,
                        title: str | None = None) -> Figure:
    """:func:`pipeline_areas` as the report's figure, titled with how the pipeline (and the target) moved."""
    if trend.empty:
        return no_data(title or f"{scope}: no pipeline history", "No pipeline history in the data.")
    if title is None:
        title = _trend_title(trend.drop_duplicates("date").set_index("date"), scope, currency)
    return figure(pipeline_areas, trend, title=plain(title), subtitle="Open pipeline by stage at each week (all close "
                  "dates, Omitted left out)", height=4.4, currency=currency, multiple=multiple)


def _trend_title(per_date: pd.DataFrame, scope: str, currency: str) -> str:
    now, first = per_date["pipeline"].iloc[-1], per_date["pipeline"].iloc[0]
    change = (now - first) / first if first else np.nan
    head = f"{possessive(scope)} pipeline is {currency_text(now, currency)}"
    if pd.isna(change):
        return head
    head += f", {'up' if change >= 0 else 'down'} {abs(change):.0%} since {per_date.index[0]:%b %Y}"
    t_now, t_first = per_date["target"].iloc[-1], per_date["target"].iloc[0]
    if pd.notna(t_now) and pd.notna(t_first) and t_first:
        head += f"; the quarterly target moved {signed_pct((t_now - t_first) / t_first)}"
    return head


# -- strike zone -------------------------------------------------------------------------------------------
def _zone_grid(zone: pd.DataFrame, values: str) -> pd.DataFrame:
    """One column of the strike zone as a grid: deal-size bands (rows) × deal-age bands (columns)."""
    return zone.pivot_table(index="size_band", columns="age_band", values=values, observed=False, dropna=False,
                            aggfunc="first")


def strike_zone(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Win rate by deal size (rows) × deal age (columns) as a heatmap (drawn with ``kwargs``, a colour bar
    beside it labelled with the catalog's ``win_rate``), each cell labelled with its win rate, expected value per
    deal and the open deals in it today.

    ``data``: :func:`quotabook.forecast.strike_zone.strike_zone` (``size_band``, ``age_band``, ``win_rate``,
    ``expected_value``, ``open_deals``, ``deals``).
    """
    rates, ev, n_open = (_zone_grid(data, v) for v in ("win_rate", "expected_value", "open_deals"))
    ax = ensure_axes(ax, height=1.0 + 0.75 * len(rates))
    cmap = LinearSegmentedColormap.from_list("strike", ["#f7fbff", "#6baed6", "#08306b"]).with_extremes(bad="#eeeeee")
    top = float(np.nanmax(rates.to_numpy())) if np.isfinite(rates.to_numpy(dtype=float)).any() else 1.0
    image = ax.imshow(rates.to_numpy(dtype=float), **{"cmap": cmap, "vmin": 0, "vmax": max(top, 0.01),
                                                      "aspect": "auto", **kwargs})
    for (i, j), rate in np.ndenumerate(rates.to_numpy(dtype=float)):
        if np.isnan(rate):
            ax.text(j, i, "no deals", ha="center", va="center", fontsize=8, color="#777777")
            continue
        color = "white" if rate > 0.6 * top else _INK
        text = f"{rate:.0%}\nEV {currency_text(ev.iat[i, j], currency)}\n{int(n_open.iat[i, j])} open"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color, linespacing=1.15)
    ax.set_xticks(range(rates.shape[1]), [str(c) for c in rates.columns])
    ax.set_yticks(range(rates.shape[0]), [str(r) for r in rates.index])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    metric_axis(bar.ax, "win_rate", axis="y")
    ax.set_xlabel("Deal age (days since created)")
    ax.set_ylabel(f"Deal size ({currency})")
    return show_literally(ax)


def strike_zone_heatmap(zone: pd.DataFrame, *, currency: str, title: str | None = None) -> Figure:
    """:func:`strike_zone` as the report's figure, titled with the best and the worst cell."""
    if zone.empty or zone["deals"].sum() == 0:
        return no_data(title or "No closed deals to learn the strike zone from", "No closed deals yet.")
    return figure(strike_zone, zone, title=plain(title or _zone_title(zone, currency)), subtitle="Win rate of closed "
                  "deals by size and by age they were still open at; EV = win rate × average deal", legend=False,
                  height=1.0 + 0.75 * len(_zone_grid(zone, "win_rate")), currency=currency)


def _zone_title(zone: pd.DataFrame, currency: str) -> str:
    solid = zone[zone["deals"] >= 10].dropna(subset=["win_rate"])
    if solid.empty:
        solid = zone.dropna(subset=["win_rate"])
    best = solid.loc[solid["win_rate"].idxmax()]
    worst = solid.loc[solid["win_rate"].idxmin()]
    low = "none won" if worst["win_rate"] == 0 else f"only {worst['win_rate']:.0%}"
    return (f"Strike zone: deals {best['size_band']} aged {best['age_band']} win {best['win_rate']:.0%}; "
            f"{worst['size_band']} still open at {worst['age_band']}: {low}")
