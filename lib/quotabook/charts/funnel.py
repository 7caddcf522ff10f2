"""Charts of theme 3, the funnel: the funnel itself, conversion against the benchmark bands
by segment, win rate against its band, where lost deals drop out, time in stage for won and lost deals, and
open pipeline by rep and stage.

Every function takes a table of :mod:`quotabook.views.funnel` (computed from the metric catalog), draws it in
the house style and returns the ``Figure``, titled with the finding it shows. Won and Lost wear the house
colours (:func:`quotabook.charts.category_color`); a conversion below its band is drawn in the Lost colour.
"""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import unavailable_sentence
from ..metrics import format as fmt
from ..metrics.catalog import label
from ..views.funnel import STEP_NOUNS
from .base import COLORS, category_color, currency_axis, currency_text, finish, new_figure, percent_axis, plain
from .unavailable import unavailable_chart

__all__ = ["STATUS_COLORS", "conversion_vs_band", "funnel", "lost_by_stage", "pipeline_by_rep", "time_in_stage",
           "win_rate"]

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
    return str(frame.attrs.get("period", "the window")).replace("..", " to ")


def _caption(fig: Figure, text: str) -> None:
    """What is plotted, under the panels of a multi-panel chart."""
    fig.supxlabel(text, fontsize=9, color="#444444", x=0.01, ha="left")


# -- the funnel -------------------------------------------------------------------------------------------
def _funnel_panel(ax, names: list[str], counts: list[float], rates: list[float], color: str) -> None:
    """Centred bars, widest on top, each labelled with its count and the conversion from the bar above."""
    top = max(max(counts), 1.0)
    y = np.arange(len(names))
    widths = np.asarray(counts, dtype=float)
    ax.barh(y, widths, left=-widths / 2, color=color, height=0.72)
    for yi, (count, rate) in enumerate(zip(counts, [np.nan, *rates], strict=True)):
        label = fmt.count(count) + ("" if np.isnan(rate) else f"  ({fmt.percent(rate)} of the step above)")
        ax.text(max(count / 2, top * 0.02) + top * 0.03, yi, label, va="center", fontsize=8.5, color="#333333")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(-top * 0.55, top * 1.25)
    ax.set_xticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def funnel(drop: pd.DataFrame, *, window: str = "") -> Figure:
    """The funnel as two panels: leads (Lead → SAL → SQL → converted) and opportunities (created → Proposal
    → Won), each step's count and its conversion from the step before.

    Leads and opportunities are separate creation cohorts (separate funnel steps): an opportunity need not come
    from a lead of the same window, so the opportunity panel starts from every opportunity created.

    Parameters
    ----------
    drop : pandas.DataFrame
        :func:`quotabook.views.funnel.drop_off` with no grouping (one row per step).
    window : str
        The creation window, for the caption ("2025-Q4 to 2026-Q3").
    """
    steps = drop.set_index("step")
    panels = []
    lead_rows = [s for s in _LEAD_STEPS if s in steps.index and steps.loc[s, "entered"] > 0]
    if len(lead_rows) == len(_LEAD_STEPS):
        rows = steps.loc[list(_LEAD_STEPS)]
        panels.append(("Leads", ["Lead", "SAL", "SQL", "Converted"],
                       [rows["entered"].iloc[0], *rows["converted"]], list(rows["conversion"]), COLORS[4]))
    elif _COARSE_LEAD_STEP in steps.index and steps.loc[_COARSE_LEAD_STEP, "entered"] > 0:  # no SAL/SQL dates
        row = steps.loc[_COARSE_LEAD_STEP]
        panels.append(("Leads", ["Lead", "Converted"], [row["entered"], row["converted"]], [row["conversion"]],
                       COLORS[4]))
    if all(s in steps.index for s in _OPP_STEPS) and steps.loc[_OPP_STEPS[0], "entered"] > 0:
        rows = steps.loc[list(_OPP_STEPS)]
        panels.append(("Opportunities", ["Created", "Proposal", "Won"],
                       [rows["entered"].iloc[0], *rows["converted"]], list(rows["conversion"]),
                       category_color("Won")))
    if not panels:
        return unavailable_chart("No funnel to show", drop, "nothing was created in the window")
    fig, axes = new_figure(height=2.9, ncols=len(panels))
    axes = np.atleast_1d(axes)
    for ax, (name, labels, counts, rates, color) in zip(axes, panels, strict=True):
        _funnel_panel(ax, labels, counts, rates, color)
        ax.set_title(name, loc="left", fontsize=9.5)
    known = drop[drop["drop_off"].notna() & (drop["entered"] > 0)]
    worst = known.loc[known["drop_off"].idxmax()]
    title = (f"The biggest drop is {worst['step']}: {fmt.percent(worst['drop_off'])} of {fmt.count(worst['entered'])} "
             f"{STEP_NOUNS.get(worst['from_step'], 'items')} do not go on")
    missing = "".join(f"\n{unavailable_sentence(n)}." for n in dict.fromkeys(
        (drop.attrs.get("unavailable") or {}).values()))  # a panel left out says why, under the chart
    _caption(fig, f"Creation cohorts{' ' + window if window else ''}: how many reached each step (count){missing}")
    return finish(fig, axes[0], _title(title), legend=False)


def conversion_vs_band(bench: pd.DataFrame, leaks: pd.DataFrame | None = None) -> Figure:
    """Stage-to-stage conversion per segment against the benchmark band for that segment (grey bar), the actual
    as a dot coloured by where it falls (:data:`STATUS_COLORS`).

    Parameters
    ----------
    bench : pandas.DataFrame
        :func:`quotabook.views.funnel.benchmarks_by_segment`.
    leaks : pandas.DataFrame, optional
        :func:`quotabook.views.funnel.leaks` of ``bench``, whose first row names the title's finding.
    """
    shown = bench[bench["low"].notna() | bench["conversion"].notna()]
    segments = list(dict.fromkeys(shown["segment"].dropna()))
    if shown.empty or not segments:
        return unavailable_chart("Conversion by segment not available", bench, "no segment data in the window")
    steps = list(dict.fromkeys(shown["step"]))
    fig, axes = new_figure(height=0.42 * len(steps) + 1.6, ncols=len(segments), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, segment in zip(axes, segments, strict=True):
        rows = shown[shown["segment"] == segment].set_index("step").reindex(steps)
        y = np.arange(len(steps))
        ax.barh(y, (rows["high"] - rows["low"]).fillna(0.0), left=rows["low"].fillna(0.0), color=_BAND, height=0.6)
        colours = [STATUS_COLORS.get(s, "#7f7f7f") for s in rows["status"]]
        ax.scatter(rows["conversion"], y, color=colours, s=36, zorder=3)
        for yi, value in zip(y, rows["conversion"], strict=True):
            if pd.notna(value):
                ax.text(value, yi - 0.32, fmt.percent(value), ha="center", va="bottom", fontsize=7.5, color="#333333")
        ax.set_yticks(y, steps)
        if not ax.yaxis_inverted():
            ax.invert_yaxis()
        ax.set_xlim(0, 1)
        percent_axis(ax, axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_title(str(segment), loc="left", fontsize=9.5)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("Conversion", fontsize=9)
    handles = [Patch(color=_BAND, label="Benchmark band for the segment")] + [
        Line2D([], [], marker="o", linestyle="", color=c, label=f"Conversion {s} band")
        for s, c in STATUS_COLORS.items()]
    fig.legend(handles=handles, loc="outside lower left", ncols=len(handles), fontsize=8, handlelength=1.2)
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
def win_rate(rates: pd.DataFrame, *, scope: str = "", period: str = "") -> Figure:
    """Win rate per group and in total (closed-date cohort) against the benchmark band (shaded).

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`quotabook.views.funnel.win_rate_by` (its last row is the Total).
    scope, period : str
        The report's scope ("West") and quarter, for the title and caption.
    """
    if rates.empty or rates["win_rate"].isna().all():
        return unavailable_chart("No closed deals yet", rates, "no deal closed in the period")
    fig, ax = new_figure(len(rates))
    y = np.arange(len(rates))
    colours = [STATUS_COLORS.get(s, "#7f7f7f") for s in rates["status"]]
    low, high = rates["low"].iloc[0], rates["high"].iloc[0]
    if pd.notna(low) and pd.notna(high):
        ax.axvspan(low, high, color=_BAND, zorder=0, label=f"Benchmark {fmt.count(low * 100)}–{fmt.count(high * 100)}%")
    ax.barh(y, rates["win_rate"].fillna(0.0), color=colours, height=0.65, zorder=2)
    counts = zip(rates["win_rate"], rates["won_count"], rates["closed_count"], strict=True)
    for yi, (rate, won, closed) in enumerate(counts):
        text = "nothing closed" if pd.isna(rate) else f"{fmt.percent(rate)}  ({fmt.count(won)} of {fmt.count(closed)})"
        ax.text((0 if pd.isna(rate) else rate) + 0.01, yi, text, va="center", fontsize=8, zorder=3)
    whole = ("All of " + (scope[0].lower() + scope[1:] if scope.startswith("The ") else scope)) if scope else "Total"
    labels = [whole if g == "Total" else g for g in rates["group"]]
    ax.set_yticks(y, labels)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.invert_yaxis()
    reach = max(float(rates["win_rate"].max()) + 0.15, (high if pd.notna(high) else 0.0) + 0.1, 0.3)
    ax.set_xlim(0, min(reach, 1.05))
    percent_axis(ax, axis="x")
    ax.grid(axis="y", visible=False)
    total = rates.iloc[-1]
    where = {"below": "below", "within": "within", "above": "above"}.get(total["status"], "against")
    band = f"{fmt.count(low * 100)}–{fmt.count(high * 100)}%"
    title = f"{scope or 'The team'} wins {fmt.percent(total['win_rate'])} of closed deals, {where} the {band} band"
    groups = rates.iloc[:-1].dropna(subset=["win_rate"])
    if len(groups) > 1:
        lag = groups.loc[groups["win_rate"].idxmin()]
        title += f"; {lag['group']} lags at {fmt.percent(lag['win_rate'])}"
    subtitle = f"Won / closed (won or lost) in {period or 'the period'}; open deals excluded"
    return finish(fig, ax, _title(title), subtitle=subtitle, xlabel=label("win_rate"))


def lost_by_stage(lost: pd.DataFrame) -> Figure:
    """Deals lost in the window by the stage they were in before being lost (InsightSquared: where do deals drop
    out?), in stage order.

    Parameters
    ----------
    lost : pandas.DataFrame
        :func:`quotabook.views.funnel.lost_from_stage` with no grouping.
    """
    if lost.empty and lost.attrs.get("unavailable"):
        return unavailable_chart("Where lost deals drop out: not available", lost, "")
    if lost.empty:
        return unavailable_chart("No lost deals in the window", lost, "no deal was lost in the window")
    fig, ax = new_figure(len(lost))
    y = np.arange(len(lost))
    ax.barh(y, lost["deals"], color=category_color("Lost"), height=0.65)
    top = float(lost["deals"].max())
    for yi, (deals, share, amount) in enumerate(zip(lost["deals"], lost["share"], lost["amount"], strict=True)):
        ax.text(deals + top * 0.02, yi, plain(f"{fmt.count(deals)} ({fmt.percent(share)}, {currency_text(amount)})"),
                va="center", fontsize=8)
    ax.set_yticks(y, lost["stage"])
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.35)
    ax.grid(axis="y", visible=False)
    worst = lost.loc[lost["deals"].idxmax()]
    title = (f"Most lost deals drop out of {worst['stage']}: {fmt.percent(worst['share'])} of "
             f"{fmt.count(lost['deals'].sum())}")
    return finish(fig, ax, _title(title), subtitle=f"Deals lost in {_window(lost)}, by the stage they left (count; "
                  "share; value)", xlabel="Lost deals (count)")


def time_in_stage(stages: pd.DataFrame) -> Figure:
    """Median days in each stage for won and lost deals side by side (InsightSquared: lost deals linger).

    Parameters
    ----------
    stages : pandas.DataFrame
        :func:`quotabook.views.funnel.time_in_stage` with no grouping.
    """
    data = stages[stages["outcome"].isin(["won", "lost"])]
    if data.empty:
        return unavailable_chart("Time in stage not available", stages, "no stage changes ended in the window")
    table = data.pivot(index="stage", columns="outcome", values="median_days")
    order = data.drop_duplicates("stage").sort_values("stage_order", kind="stable")["stage"]
    table = table.reindex(index=order, columns=["won", "lost"])
    fig, ax = new_figure(2 * len(table))
    y = np.arange(len(table))
    for offset, outcome in ((-0.2, "won"), (0.2, "lost")):
        values = table[outcome]
        ax.barh(y + offset, values.fillna(0.0), height=0.38, color=category_color(outcome.capitalize()),
                label=outcome.capitalize())
        for yi, v in zip(y + offset, values, strict=True):
            if pd.notna(v):
                ax.text(v + 0.3, yi, f"{v:.0f}", va="center", fontsize=8)
    ax.set_yticks(y, table.index)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
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
    return finish(fig, ax, _title(title), subtitle=f"Median days in stage, stage spells ended in {_window(stages)}",
                  xlabel="Days (median)")


def pipeline_by_rep(pipeline: pd.DataFrame, *, currency: str = "USD", when: str = "") -> Figure:
    """Open pipeline per rep, stacked by stage (early stages light, late stages dark).

    Parameters
    ----------
    pipeline : pandas.DataFrame
        :func:`quotabook.views.funnel.pipeline_by_rep_stage` (long: owner, stage, stage_order, amount).
    currency : str
        Reporting currency of the amounts.
    when : str
        The date the pipeline is taken at, for the caption.
    """
    totals = pipeline.groupby("owner")["amount"].sum()
    totals = totals[totals > 0].sort_values(ascending=False)
    if totals.empty:
        return unavailable_chart("No open pipeline", pipeline, "no open deal")
    stages = list(dict.fromkeys(pipeline.sort_values("stage_order", kind="stable")["stage"]))
    shades = matplotlib.colormaps["Purples"](np.linspace(0.3, 0.95, len(stages)))
    table = pipeline.pivot(index="owner", columns="stage", values="amount").reindex(index=totals.index, columns=stages)
    fig, ax = new_figure(len(table))
    left = np.zeros(len(table))
    for stage, shade in zip(stages, shades, strict=True):
        values = table[stage].fillna(0.0).to_numpy()
        ax.barh(table.index, values, left=left, color=shade, label=stage, height=0.7)
        left += values
    for yi, total in enumerate(left):
        ax.text(total, yi, plain("  " + currency_text(total, currency)), va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, left.max() * 1.15)
    ax.grid(axis="y", visible=False)
    currency_axis(ax, currency, axis="x")
    whole = float(totals.sum())
    top = totals.index[0]
    title = (f"{top} holds {fmt.percent(totals.iloc[0] / whole)} of the open pipeline "
             f"({currency_text(totals.iloc[0], currency)} of {currency_text(whole, currency)})")
    subtitle = f"Open pipeline by rep and stage{' at ' + when if when else ''}"
    return finish(fig, ax, _title(title), subtitle=subtitle, xlabel=f"Amount ({currency})")
