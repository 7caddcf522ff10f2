"""Charts of theme 1, activity ratios (InsightSquared, Scott Cowley): how much work each rep does, how well it
converts, and how it stands against the goals.

Every function takes a table of :mod:`quotabook.views.activity_ratios` (already computed from the metric
catalog), draws it in the house style and returns the ``Figure``, titled with what the chart shows (the
finding) and captioned with what is plotted. Several panels share the rep axis, so the same rep reads on one
line across panels. Each activity type keeps its colour in every chart (:data:`TYPE_COLORS`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..metrics import format as fmt
from ..text import every
from ..views.activity_ratios import CHAIN_COLUMNS
from .base import COLORS, finish, new_figure, no_data, percent_axis
from .unavailable import unavailable_chart

__all__ = ["TYPE_COLORS", "activity_by_type", "goal_attainment", "volume_vs_efficiency", "weekly_activity"]

#: One colour per activity header, the same in every chart of the theme.
TYPE_COLORS = {"Dials": COLORS[0], "Connects": COLORS[1], "Emails": COLORS[2], "Meetings booked": COLORS[3],
               "Meetings held": COLORS[4]}
_ON_PACE, _BEHIND = COLORS[0], COLORS[1]
_DIAL_DEAL = CHAIN_COLUMNS["dial_to_deal"]
_TYPE_HEADERS = {"dial": "Dials", "connect": "Connects", "email": "Emails", "meeting_booked": "Meetings booked",
                 "meeting_held": "Meetings held"}


# -- helpers ----------------------------------------------------------------------------------------------
def _reps(table: pd.DataFrame) -> pd.DataFrame:
    """The rep rows of a view table (the Total row left out)."""
    if table.empty or "Rep" not in table:
        return table.iloc[0:0]
    return table[~table["Rep"].astype("str").str.startswith("Total")].reset_index(drop=True)


def _caption(fig: Figure, text: str) -> None:
    """What is plotted, under the panels (a multi-panel chart has no single axes to carry a subtitle)."""
    fig.supxlabel(text, fontsize=9, color="#444444", x=0.01, ha="left")


def _title(text: str, width: int = 88) -> str:
    """A finding title wrapped onto a second line when it would run past the page width, its dollar signs
    escaped (two of them would otherwise start matplotlib's maths mode)."""
    return textwrap.fill(text, width).replace("$", r"\$")


def _hbars(ax: Axes, names: Sequence[str], values: pd.Series, color, labels: Sequence[str]) -> None:
    """Horizontal bars, first row on top (rows count downwards), each labelled at its end."""
    y = np.arange(len(names))
    ax.barh(y, values.fillna(0.0).to_numpy(dtype=float), color=color, height=0.7)
    ax.set_yticks(y, list(names))
    if not ax.yaxis_inverted():  # axes sharing y share the inversion: flip once
        ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    top = float(np.nanmax(values.to_numpy(dtype=float))) if values.notna().any() else 1.0
    for yi, value, label in zip(y, values.to_numpy(dtype=float), labels, strict=True):
        x = 0.0 if np.isnan(value) else value
        ax.text(x + top * 0.02, yi, label, va="center", fontsize=8, color="#333333")
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)


# -- charts -----------------------------------------------------------------------------------------------
def activity_by_type(counts: pd.DataFrame, *, scope: str = "", period: str = "") -> Figure:
    """Activities by type per rep, one panel per type (InsightSquared, "Number of Activities").

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`quotabook.views.activity_ratios.activity_counts` (``Rep`` and one count column per type; the
        Total row is left out).
    scope, period : str
        Who and when, for the caption ("West", "2026-Q3").
    """
    reps = _reps(counts)
    types = [t for t in TYPE_COLORS if t in reps]
    if reps.empty or not types:
        return unavailable_chart("No activity to show", counts, "no activities logged in the period")
    fig, axes = new_figure(len(reps), ncols=len(types), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, types, strict=True):
        _hbars(ax, reps["Rep"].astype("str"), reps[name], TYPE_COLORS[name], fmt.count(reps[name]).tolist())
        ax.set_title(name, loc="left", fontsize=9.5)
        ax.tick_params(axis="x", labelsize=8)
    lead = types[0]
    top, low = reps.loc[reps[lead].idxmax()], reps.loc[reps[lead].idxmin()]
    if len(reps) > 1 and low[lead] > 0:
        title = (f"{top['Rep']} logs the most {lead.lower()} ({fmt.count(top[lead])}), "
                 f"{fmt.count(top[lead] / low[lead], 1)} times as many as {low['Rep']} ({fmt.count(low[lead])})")
    else:
        title = f"{top['Rep']} logs the most {lead.lower()} ({fmt.count(top[lead])})"
    _caption(fig, f"Activities by type per rep{', ' + scope if scope else ''}{', ' + period if period else ''} "
                  "(count, activity date in the period)")
    return finish(fig, axes[0], _title(title), legend=False)


def volume_vs_efficiency(counts: pd.DataFrame, chain: pd.DataFrame) -> Figure:
    """InsightSquared's lesson side by side: dials per rep (volume) and dials per won deal (efficiency).

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`~quotabook.views.activity_ratios.activity_counts` (needs ``Dials``).
    chain : pandas.DataFrame
        :func:`~quotabook.views.activity_ratios.activity_chain` (needs ``dial_to_deal``; its Total row is the
        team's ratio, drawn as a line).
    """
    reps = _reps(counts)
    ratios = _reps(chain)
    if reps.empty or "Dials" not in reps or _DIAL_DEAL not in ratios:
        return unavailable_chart("Dials per deal not available", chain, "no dials or deals in the period")
    data = reps[["Rep", "Dials"]].merge(ratios[["Rep", _DIAL_DEAL]], on="Rep", how="left")
    team = chain.loc[chain["Rep"].astype("str").str.startswith("Total"), _DIAL_DEAL]
    fig, (left, right) = new_figure(len(data), ncols=2, sharey=True)
    names = data["Rep"].astype("str")
    _hbars(left, names, data["Dials"], TYPE_COLORS["Dials"], fmt.count(data["Dials"]).tolist())
    per_deal = data[_DIAL_DEAL]
    labels = [fmt.n_to_1(v) if pd.notna(v) else "no deal yet" for v in per_deal]
    _hbars(right, names, per_deal, COLORS[5], labels)
    left.set_title("Dials (volume)", loc="left", fontsize=9.5)
    right.set_title("Dials per won deal (lower is better)", loc="left", fontsize=9.5)
    if len(team) and pd.notna(team.iloc[0]):
        right.axvline(team.iloc[0], color="#555555", linestyle="--", linewidth=1)
        right.set_title(f"Dials per won deal (lower is better); team {fmt.n_to_1(team.iloc[0])}", loc="left",
                        fontsize=9.5)
    busiest = data.loc[data["Dials"].idxmax()]
    if per_deal.notna().any():
        best = data.loc[per_deal.idxmin()]
        if best["Rep"] == busiest["Rep"]:
            title = (f"{busiest['Rep']} dials the most ({fmt.count(busiest['Dials'])}) and needs the fewest "
                     f"dials per deal ({fmt.n_to_1(best[_DIAL_DEAL])})")
        else:
            title = (f"{busiest['Rep']} dials the most ({fmt.count(busiest['Dials'])}), but {best['Rep']} needs "
                     f"the fewest dials per deal ({fmt.n_to_1(best[_DIAL_DEAL])})")
    else:
        title = f"{busiest['Rep']} dials the most ({fmt.count(busiest['Dials'])}); no deal won yet"
    _caption(fig, "Dials in the period and dials per deal won in it (Dial:Deal, N:1); dashed line: the team")
    return finish(fig, right, _title(title), xlabel="Dials per deal", legend=False)


def goal_attainment(goals: pd.DataFrame, *, progress: float = 1.0) -> Figure:
    """Activity results against goals, one panel per activity type with a goal (InsightSquared, "Activity Results
    vs. Activity Goals"); bars behind pace in orange.

    Parameters
    ----------
    goals : pandas.DataFrame
        :func:`~quotabook.views.activity_ratios.goals_vs_results` (owner, type, attainment).
    progress : float
        Share of the quarter elapsed (0–1): the pace line of a quarter still running.
    """
    if goals.empty:
        return unavailable_chart("Activity goals not available", goals, "no activity goals for the period")
    progress = float(min(max(progress, 0.0), 1.0))
    reps = sorted(goals["owner"].unique())
    types = [t for t in _TYPE_HEADERS if t in set(goals["type"])] + sorted(set(goals["type"]) - set(_TYPE_HEADERS))
    fig, axes = new_figure(len(reps), ncols=len(types), sharey=True)
    axes = np.atleast_1d(axes)
    top = max(float(goals["attainment"].max()), 1.0)
    for ax, kind in zip(axes, types, strict=True):
        rows = goals[goals["type"] == kind].set_index("owner").reindex(reps)
        share = rows["attainment"]
        behind = share < progress - 1e-9
        colors = [_BEHIND if b else _ON_PACE for b in behind]
        _hbars(ax, reps, share, colors, [fmt.percent(v) if pd.notna(v) else "no goal" for v in share])
        ax.set_xlim(0, top * 1.3)
        ax.axvline(1.0, color="#555555", linestyle="--", linewidth=1)
        if progress < 1.0:
            ax.axvline(progress, color=_BEHIND, linestyle=":", linewidth=1.2)
        percent_axis(ax, axis="x")
        ax.set_title(_TYPE_HEADERS.get(kind, kind), loc="left", fontsize=9.5)
        ax.tick_params(axis="x", labelsize=8)
    goals = goals.assign(_pace=goals["attainment"] / (progress or 1.0))
    off = goals[goals["attainment"] < progress - 1e-9]
    n_off, n_reps = off["owner"].nunique(), len(reps)
    if n_off:
        worst = off.loc[off["_pace"].idxmin()]
        title = (f"{n_off} of {n_reps} reps behind an activity goal; {worst['owner']} furthest "
                 f"({_TYPE_HEADERS.get(worst['type'], worst['type']).lower()} at {fmt.percent(worst['attainment'])})")
    else:
        title = f"{every(n_reps, 'rep')} on pace for every activity goal"
    pace = "" if progress >= 1.0 else f"; dotted line: pace for today ({fmt.percent(progress)} of the quarter gone)"
    _caption(fig, f"Activities done as a share of the quarter's goal; dashed line: the goal{pace}")
    return finish(fig, axes[0], _title(title), legend=False)


def weekly_activity(weekly: pd.DataFrame) -> Figure:
    """Dials, connects and meetings booked per week of the quarter, the trend of Dial:Connect in the title.

    Parameters
    ----------
    weekly : pandas.DataFrame
        :func:`~quotabook.views.activity_ratios.weekly_activity` (week, counts, dial_to_connect).
    """
    series = {"dial_count": "Dials", "connect_count": "Connects", "meeting_booked_count": "Meetings booked"}
    if set(series) & set(weekly.attrs.get("unavailable") or {}):  # the weeks are listed, their counts unknown
        return unavailable_chart("Weekly activity not available", weekly, "no activity data")
    if weekly.empty or not set(series) <= set(weekly.columns):
        return unavailable_chart("No complete week to show yet", weekly, "no complete week of activity yet")
    if not weekly[list(series)].fillna(0).to_numpy().any():  # empty axes would say nothing
        return no_data("No dial, connect or meeting booked week by week",
                       "No dial, connect or meeting booked was logged in the period's complete weeks.")
    fig, axes = new_figure(height=3.0, ncols=3)
    for ax, (column, name) in zip(axes, series.items(), strict=True):
        ax.bar(weekly["week"], weekly[column], color=TYPE_COLORS[name], width=0.75)
        ax.set_title(name, loc="left", fontsize=9.5)
        ax.set_xticks(weekly["week"], [str(w) for w in weekly["week"]], fontsize=7)
        ax.grid(axis="x", visible=False)
    half = max(len(weekly) // 2, 1)
    span = min(4, half)
    first, last = weekly.head(span), weekly.tail(span)
    before = first["dial_count"].sum() / first["connect_count"].sum() if first["connect_count"].sum() else np.nan
    after = last["dial_count"].sum() / last["connect_count"].sum() if last["connect_count"].sum() else np.nan
    weeks = "week" if span == 1 else f"{span} weeks"
    if len(weekly) >= 2 and pd.notna(before) and pd.notna(after):
        title = (f"Dial:Connect went from {fmt.n_to_1(before)} in the first {weeks} to {fmt.n_to_1(after)} "
                 f"in the last {weeks}")
    else:
        title = (f"{fmt.count(weekly['dial_count'].sum())} dials over {len(weekly)} whole "
                 f"week{'' if len(weekly) == 1 else 's'}; too few connects to read a trend in Dial:Connect")
    _caption(fig, "Activities per week of the quarter (week 1 = its first 7 days), complete weeks only")
    return finish(fig, axes[0], _title(title), legend=False)
