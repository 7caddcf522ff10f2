"""Charts of theme 3, the funnel: the funnel itself, conversion against the benchmark bands
by segment, win rate against its band, where lost deals drop out, time in stage for won and lost deals, and
open pipeline by rep and stage.

Each chart comes twice, seaborn's way: axes-level functions take a table of :mod:`quotabook.themes.funnel.data`
(computed from the metric catalog), keyword options, ``ax=None`` and ``**kwargs`` for the main artist, draw one
panel on ``ax`` and return it; the report's figure of the same table (today's names: ``funnel``, ``win_rate``
...) lays out the panels and titles them with the finding. Won and Lost wear the house colours
(:func:`quotabook.charts.category_color`); a conversion below its band is drawn in the Lost colour.
"""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ...charts.base import (
    COLORS,
    category_color,
    currency_axis,
    currency_text,
    ensure_axes,
    figure,
    finish,
    legend_below,
    metric_axis,
    new_figure,
    percent_axis,
    plain,
    say,
    show_literally,
)
from ...charts.unavailable import unavailable_chart
from ...errors import unavailable_sentence
from ...metrics import format as fmt
from ...text import span
from .data import STEP_NOUNS

__all__ = ["STATUS_COLORS", "conversion_band", "conversion_vs_band", "funnel", "funnel_panel", "lost_by_stage",
           "lost_stage_bars", "pipeline_by_rep", "pipeline_stacks", "stage_days_pairs", "time_in_stage", "win_rate",
           "win_rate_bars"]

#: Colour of a value against its benchmark band.
STATUS_COLORS = {"below": category_color("Lost"), "within": COLORS[0], "above": COLORS[2]}
_BAND = "#e3e3e3"
_LEAD_STEPS = ("Lead→SAL", "SAL→SQL", "SQL→Opportunity")
_OPP_STEPS = ("Opportunity→Proposal", "Proposal→Won")
_COARSE_LEAD_STEP = "Lead→Opportunity"  # the one lead step of leads without SAL/SQL dates


def _title(text: str, width: int = 88) -> str:
    """A finding title wrapped onto a second line when it would run past the page width, its dollar signs
    escaped (two of them would otherwise start matplotlib's maths mode)."""
    return plain(textwrap.fill(text, width))




def _window(frame: pd.DataFrame) -> str:
    """The view's window as text: "2025-Q4 to 2026-Q3"."""
    return span(frame.attrs.get("period", "the window"))


def _caption(fig: Figure, text: str) -> None:
    """What is plotted, under the panels of a multi-panel chart."""
    fig.supxlabel(text, fontsize=9, color="#444444", x=0.01, ha="left")


# -- the funnel -------------------------------------------------------------------------------------------
def _panels(drop: pd.DataFrame) -> dict[str, tuple[list[str], list[float], list[float], str]]:
    """The funnel's panels that have something in them: name -> (step names, counts, conversions, colour).
    Leads: Lead → SAL → SQL → converted (or Lead → converted for leads without SAL/SQL dates); Opportunities:
    created → Proposal → Won."""
    steps = drop.set_index("step")
    panels = {}
    lead_rows = [s for s in _LEAD_STEPS if s in steps.index and steps.loc[s, "entered"] > 0]
    if len(lead_rows) == len(_LEAD_STEPS):
        rows = steps.loc[list(_LEAD_STEPS)]
        panels["Leads"] = (["Lead", "SAL", "SQL", "Converted"], [rows["entered"].iloc[0], *rows["converted"]],
                           list(rows["conversion"]), COLORS[4])
    elif _COARSE_LEAD_STEP in steps.index and steps.loc[_COARSE_LEAD_STEP, "entered"] > 0:  # no SAL/SQL dates
        row = steps.loc[_COARSE_LEAD_STEP]
        panels["Leads"] = (["Lead", "Converted"], [row["entered"], row["converted"]], [row["conversion"]], COLORS[4])
    if all(s in steps.index for s in _OPP_STEPS) and steps.loc[_OPP_STEPS[0], "entered"] > 0:
        rows = steps.loc[list(_OPP_STEPS)]
        panels["Opportunities"] = (["Created", "Proposal", "Won"], [rows["entered"].iloc[0], *rows["converted"]],
                                   list(rows["conversion"]), category_color("Won"))
    return panels


def funnel_panel(data: pd.DataFrame, *, panel: str = "Opportunities", ax: Axes | None = None, **kwargs) -> Axes:
    """One panel of the funnel (``panel``: "Leads" or "Opportunities"): centred bars (drawn with ``kwargs``),
    widest on top, each labelled with its count and the conversion from the bar above.

    ``data``: :func:`quotabook.themes.funnel.data.drop_off` with no grouping (one row per step).
    """
    ax = ensure_axes(ax, height=2.9)
    found = _panels(data).get(panel)
    if found is None:
        return say(ax, f"{panel}: nothing was created in the window")
    names, counts, rates, color = found
    top = max(max(counts), 1.0)
    y = np.arange(len(names))
    widths = np.asarray(counts, dtype=float)
    ax.barh(y, widths, left=-widths / 2, **{"color": color, "height": 0.72, **kwargs})
    for yi, (count, rate) in enumerate(zip(counts, [np.nan, *rates], strict=True)):
        text = fmt.count(count) + ("" if np.isnan(rate) else f"  ({fmt.percent(rate)} of the step above)")
        ax.text(max(count / 2, top * 0.02) + top * 0.03, yi, text, va="center", fontsize=8.5, color="#333333")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(-top * 0.55, top * 1.25)
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title(panel, loc="left", fontsize=9.5)
    return show_literally(ax)


def funnel(drop: pd.DataFrame, *, window: str = "") -> Figure:
    """The funnel as two panels (:func:`funnel_panel`): leads (Lead → SAL → SQL → converted) and opportunities
    (created → Proposal → Won), each step's count and its conversion from the step before; titled with the
    biggest drop.

    Leads and opportunities are separate creation cohorts (separate funnel steps): an opportunity need not come
    from a lead of the same window, so the opportunity panel starts from every opportunity created.

    Parameters
    ----------
    drop : pandas.DataFrame
        :func:`quotabook.themes.funnel.data.drop_off` with no grouping (one row per step).
    window : str
        The creation window, for the caption ("2025-Q4 to 2026-Q3").
    """
    panels = _panels(drop)
    if not panels:
        return unavailable_chart("No funnel to show", drop, "nothing was created in the window")
    fig, axes = new_figure(height=2.9, ncols=len(panels))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, panels, strict=True):
        funnel_panel(drop, panel=name, ax=ax)
    known = drop[drop["drop_off"].notna() & (drop["entered"] > 0)]
    worst = known.loc[known["drop_off"].idxmax()]
    title = (f"The biggest drop is {worst['step']}: {fmt.percent(worst['drop_off'])} of {fmt.count(worst['entered'])} "
             f"{STEP_NOUNS.get(worst['from_step'], 'items')} do not go on")
    missing = "".join(f"\n{unavailable_sentence(n)}." for n in dict.fromkeys(
        (drop.attrs.get("unavailable") or {}).values()))  # a panel left out says why, under the chart
    _caption(fig, f"Creation cohorts{' ' + window if window else ''}: how many reached each step (count){missing}")
    return finish(fig, axes[0], _title(title), legend=False)


def _banded(bench: pd.DataFrame) -> pd.DataFrame:
    """The rows of a benchmark table with a band or a conversion to show."""
    return bench[bench["low"].notna() | bench["conversion"].notna()]


def conversion_band(data: pd.DataFrame, *, segment: str, steps: list[str] | None = None, ax: Axes | None = None,
                    **kwargs) -> Axes:
    """Stage-to-stage conversion of one ``segment`` against its benchmark band (grey bar), the actual as a dot
    (drawn with ``kwargs``) coloured by where it falls (:data:`STATUS_COLORS`).

    ``data``: :func:`quotabook.themes.funnel.data.benchmarks_by_segment`; ``steps``: the rows, in order (default:
    every step of ``data``), so panels side by side share them.
    """
    shown = _banded(data)
    steps = steps or list(dict.fromkeys(shown["step"]))
    ax = ensure_axes(ax, height=0.42 * len(steps) + 1.6)
    rows = shown[shown["segment"] == segment].set_index("step").reindex(steps)
    y = np.arange(len(steps))
    ax.barh(y, (rows["high"] - rows["low"]).fillna(0.0), left=rows["low"].fillna(0.0), color=_BAND, height=0.6)
    colours = [STATUS_COLORS.get(s, "#7f7f7f") for s in rows["status"]]
    ax.scatter(rows["conversion"], y, **{"color": colours, "s": 36, "zorder": 3, **kwargs})
    for yi, value in zip(y, rows["conversion"], strict=True):
        if pd.notna(value):
            ax.text(value, yi - 0.32, fmt.percent(value), ha="center", va="bottom", fontsize=7.5, color="#333333")
    ax.set_yticks(y, steps)
    # First step on top (limits high to low), with room above it for its value label under the panel title;
    # the same limits on every panel, so axes sharing y agree.
    ax.set_ylim(len(steps) - 0.5, -1.0)
    ax.set_xlim(0, 1)
    percent_axis(ax, axis="x")
    ax.grid(axis="y", visible=False)
    ax.set_title(str(segment), loc="left", fontsize=9.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("Conversion", fontsize=9)
    return show_literally(ax)


def conversion_vs_band(bench: pd.DataFrame, leaks: pd.DataFrame | None = None) -> Figure:
    """Stage-to-stage conversion per segment against the benchmark band for that segment, one panel per
    segment (:func:`conversion_band`), titled with the worst leak.

    Parameters
    ----------
    bench : pandas.DataFrame
        :func:`quotabook.themes.funnel.data.benchmarks_by_segment`.
    leaks : pandas.DataFrame, optional
        :func:`quotabook.themes.funnel.data.leaks` of ``bench``, whose first row names the title's finding.
    """
    shown = _banded(bench)
    segments = list(dict.fromkeys(shown["segment"].dropna()))
    if shown.empty or not segments:
        return unavailable_chart("Conversion by segment not available", bench, "no segment data in the window")
    steps = list(dict.fromkeys(shown["step"]))
    fig, axes = new_figure(height=0.42 * len(steps) + 1.6, ncols=len(segments), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, segment in zip(axes, segments, strict=True):
        conversion_band(bench, segment=segment, steps=steps, ax=ax)
    handles = [Patch(color=_BAND, label="Benchmark band for the segment")] + [
        Line2D([], [], marker="o", linestyle="", color=c, label=f"Conversion {s} band")
        for s, c in STATUS_COLORS.items()]
    legend_below(fig, handles, fontsize=8, handlelength=1.2)
    title = "Conversion by step and segment against the benchmark bands"
    if leaks is not None and len(leaks):
        w = leaks.iloc[0]
        band = f"{fmt.count(w['low'] * 100)}–{fmt.count(w['high'] * 100)}%"
        if w["shortfall"] > 0:
            title = f"{w['segment']} {w['step']} leaks most: {fmt.percent(w['conversion'])} against {band}"
        else:
            title = (f"No step is below its band; {w['segment']} {w['step']} is closest to the floor "
                     f"({fmt.percent(w['conversion'])} against {band})")
    return finish(fig, axes[0], _title(title), legend=False)


# -- win rate, losses, time -------------------------------------------------------------------------------
def win_rate_bars(data: pd.DataFrame, *, scope: str = "", ax: Axes | None = None, **kwargs) -> Axes:
    """Win rate per group and in total (closed-date cohort) as bars (drawn with ``kwargs``, coloured against
    the band unless ``color`` is given) against the benchmark band (shaded); the x axis is the catalog's
    ``win_rate``.

    ``data``: :func:`quotabook.themes.funnel.data.win_rate_by` (``group``, ``won_count``, ``closed_count``,
    ``win_rate``, ``low``, ``high``, ``status``; its last row is the Total, named "All of <scope>").
    """
    ax = ensure_axes(ax, len(data))
    y = np.arange(len(data))
    colours = [STATUS_COLORS.get(s, "#7f7f7f") for s in data["status"]]
    low, high = data["low"].iloc[0], data["high"].iloc[0]
    if pd.notna(low) and pd.notna(high):
        ax.axvspan(low, high, color=_BAND, zorder=0, label=f"Benchmark {fmt.count(low * 100)}–{fmt.count(high * 100)}%")
    ax.barh(y, data["win_rate"].fillna(0.0), **{"color": colours, "height": 0.65, "zorder": 2, **kwargs})
    counts = zip(data["win_rate"], data["won_count"], data["closed_count"], strict=True)
    for yi, (rate, won, closed) in enumerate(counts):
        text = "nothing closed" if pd.isna(rate) else f"{fmt.percent(rate)}  ({fmt.count(won)} of {fmt.count(closed)})"
        ax.text((0 if pd.isna(rate) else rate) + 0.01, yi, text, va="center", fontsize=8, zorder=3)
    whole = ("All of " + (scope[0].lower() + scope[1:] if scope.startswith("The ") else scope)) if scope else "Total"
    ax.set_yticks(y, [whole if g == "Total" else g for g in data["group"]])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.invert_yaxis()
    reach = max(float(data["win_rate"].max()) + 0.15, (high if pd.notna(high) else 0.0) + 0.1, 0.3)
    ax.set_xlim(0, min(reach, 1.05))
    ax.grid(axis="y", visible=False)
    metric_axis(ax, "win_rate")
    return show_literally(ax)


def win_rate(rates: pd.DataFrame, *, scope: str = "", period: str = "") -> Figure:
    """:func:`win_rate_bars` as the report's figure, titled with the total against its band and the group that
    lags. ``scope``, ``period``: the report's scope ("West") and quarter, for the title and caption."""
    if rates.empty or rates["win_rate"].isna().all():
        return unavailable_chart("No closed deals yet", rates, "no deal closed in the period")
    low, high = rates["low"].iloc[0], rates["high"].iloc[0]
    total = rates.iloc[-1]
    where = {"below": "below", "within": "within", "above": "above"}.get(total["status"], "against")
    band = f"{fmt.count(low * 100)}–{fmt.count(high * 100)}%"
    title = f"{scope or 'The team'} wins {fmt.percent(total['win_rate'])} of closed deals, {where} the {band} band"
    groups = rates.iloc[:-1].dropna(subset=["win_rate"])
    if len(groups) > 1:
        lag = groups.loc[groups["win_rate"].idxmin()]
        title += f"; {lag['group']} lags at {fmt.percent(lag['win_rate'])}"
    subtitle = f"Won / closed (won or lost) in {period or 'the period'}; open deals excluded"
    return figure(win_rate_bars, rates, title=_title(title), subtitle=subtitle, n_rows=len(rates), scope=scope)


def lost_stage_bars(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Deals lost by the stage they were in before being lost, in stage order, as bars (drawn with ``kwargs``)
    labelled with count, share and value; the x axis is the catalog's ``lost_count``.

    ``data``: :func:`quotabook.themes.funnel.data.lost_from_stage` with no grouping (``stage``, ``deals``, ``share``,
    ``amount``).
    """
    ax = ensure_axes(ax, len(data))
    if data.empty:
        return say(ax, "No deal was lost in the window.")
    y = np.arange(len(data))
    ax.barh(y, data["deals"], **{"color": category_color("Lost"), "height": 0.65, **kwargs})
    top = float(data["deals"].max())
    for yi, (deals, share, amount) in enumerate(zip(data["deals"], data["share"], data["amount"], strict=True)):
        ax.text(deals + top * 0.02, yi, plain(f"{fmt.count(deals)} ({fmt.percent(share)}, "
                                              f"{currency_text(amount, currency)})"), va="center", fontsize=8)
    ax.set_yticks(y, data["stage"])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.35)
    ax.grid(axis="y", visible=False)
    metric_axis(ax, "lost_count")
    return show_literally(ax)


def lost_by_stage(lost: pd.DataFrame) -> Figure:
    """:func:`lost_stage_bars` as the report's figure (InsightSquared: where do deals drop out?), titled with
    the stage most lost deals leave."""
    if lost.empty and lost.attrs.get("unavailable"):
        return unavailable_chart("Where lost deals drop out: not available", lost, "")
    if lost.empty:
        return unavailable_chart("No lost deals in the window", lost, "no deal was lost in the window")
    worst = lost.loc[lost["deals"].idxmax()]
    title = (f"Most lost deals drop out of {worst['stage']}: {fmt.percent(worst['share'])} of "
             f"{fmt.count(lost['deals'].sum())}")
    return figure(lost_stage_bars, lost, title=_title(title), subtitle=f"Deals lost in {_window(lost)}, by the stage "
                  "they left (count; share; value)", n_rows=len(lost))


def _median_days(stages: pd.DataFrame) -> pd.DataFrame:
    """Median days per stage (rows, in stage order) for won and lost deals (columns)."""
    data = stages[stages["outcome"].isin(["won", "lost"])]
    table = data.pivot(index="stage", columns="outcome", values="median_days")
    order = data.drop_duplicates("stage").sort_values("stage_order", kind="stable")["stage"]
    return table.reindex(index=order, columns=["won", "lost"])


def stage_days_pairs(data: pd.DataFrame, *, ax: Axes | None = None, **kwargs) -> Axes:
    """Median days in each stage for won and lost deals side by side (InsightSquared: lost deals linger), in
    the house Won and Lost colours (``kwargs`` go to both sets of bars).

    ``data``: :func:`quotabook.themes.funnel.data.time_in_stage` with no grouping (``stage``, ``stage_order``,
    ``outcome``, ``median_days``).
    """
    if not data["outcome"].isin(["won", "lost"]).any():
        return say(ensure_axes(ax, height=1.6), "No stage changes ended in the window.")
    table = _median_days(data)
    ax = ensure_axes(ax, 2 * len(table))
    y = np.arange(len(table))
    for offset, outcome in ((-0.2, "won"), (0.2, "lost")):
        values = table[outcome]
        ax.barh(y + offset, values.fillna(0.0), **{"height": 0.38, "color": category_color(outcome.capitalize()),
                                                   "label": outcome.capitalize(), **kwargs})
        for yi, v in zip(y + offset, values, strict=True):
            if pd.notna(v):
                ax.text(v + 0.3, yi, f"{v:.0f}", va="center", fontsize=8)
    ax.set_yticks(y, table.index)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Days (median)")
    return show_literally(ax)


def time_in_stage(stages: pd.DataFrame) -> Figure:
    """:func:`stage_days_pairs` as the report's figure, titled with the stage lost deals linger in longest."""
    if not stages["outcome"].isin(["won", "lost"]).any():
        return unavailable_chart("Time in stage not available", stages, "no stage changes ended in the window")
    table = _median_days(stages)
    gap = (table["lost"] - table["won"]).dropna()
    if len(gap) and gap.max() > 0:
        stage = gap.idxmax()
        title = (f"Lost deals linger longest in {stage}: {table.loc[stage, 'lost']:.0f} days against "
                 f"{table.loc[stage, 'won']:.0f} for won deals")
    else:
        everything = stages[stages["outcome"] == "all"].dropna(subset=["median_days"])
        slow = everything.loc[everything["median_days"].idxmax()] if len(everything) else None
        title = "Time in stage" if slow is None else (
            f"Deals spend longest in {slow['stage']} (median {slow['median_days']:.0f} days)")
    return figure(stage_days_pairs, stages, title=_title(title), subtitle=f"Median days in stage, stage spells ended "
                  f"in {_window(stages)}", n_rows=2 * len(table))


def _rep_totals(pipeline: pd.DataFrame) -> pd.Series:
    """Open pipeline per rep with any, largest first."""
    totals = pipeline.groupby("owner")["amount"].sum()
    return totals[totals > 0].sort_values(ascending=False)


def pipeline_stacks(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Open pipeline per rep (largest on top), stacked by stage (early stages light, late stages dark; the
    bars drawn with ``kwargs``), each labelled with its total.

    ``data``: :func:`quotabook.themes.funnel.data.pipeline_by_rep_stage` (long: owner, stage, stage_order, amount).
    """
    totals = _rep_totals(data)
    ax = ensure_axes(ax, len(totals))
    if totals.empty:
        return say(ax, "No open deal.")
    stages = list(dict.fromkeys(data.sort_values("stage_order", kind="stable")["stage"]))
    shades = matplotlib.colormaps["Purples"](np.linspace(0.3, 0.95, len(stages)))
    table = data.pivot(index="owner", columns="stage", values="amount").reindex(index=totals.index, columns=stages)
    left = np.zeros(len(table))
    for stage, shade in zip(stages, shades, strict=True):
        values = table[stage].fillna(0.0).to_numpy()
        ax.barh(table.index, values, left=left, **{"color": shade, "label": stage, "height": 0.7, **kwargs})
        left += values
    for yi, total in enumerate(left):
        ax.text(total, yi, plain("  " + currency_text(total, currency)), va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, left.max() * 1.15)
    ax.grid(axis="y", visible=False)
    currency_axis(ax, currency, axis="x")
    ax.set_xlabel(f"Amount ({currency})")
    return show_literally(ax)


def pipeline_by_rep(pipeline: pd.DataFrame, *, currency: str = "USD", when: str = "") -> Figure:
    """:func:`pipeline_stacks` as the report's figure, titled with the rep holding the most open pipeline.

    ``when``: the date the pipeline is taken at, for the caption.
    """
    totals = _rep_totals(pipeline)
    if totals.empty:
        return unavailable_chart("No open pipeline", pipeline, "no open deal")
    whole = float(totals.sum())
    top = totals.index[0]
    title = (f"{top} holds {fmt.percent(totals.iloc[0] / whole)} of the open pipeline "
             f"({currency_text(totals.iloc[0], currency)} of {currency_text(whole, currency)})")
    subtitle = f"Open pipeline by rep and stage{' at ' + when if when else ''}"
    return figure(pipeline_stacks, pipeline, title=_title(title), subtitle=subtitle, n_rows=len(totals),
                  currency=currency)
