"""Charts of theme 1, activity ratios (InsightSquared, Scott Cowley): how much work each rep does, how well it
converts, and how it stands against the goals.

Each chart comes twice, seaborn's way. Axes-level functions take a tidy frame whose value columns are catalog
metric names (``dial_count``, ``dial_to_deal``) or view columns (``owner``, ``type``, ``attainment``), keyword
options, ``ax=None`` and ``**kwargs`` for the bars; they draw one panel titled with the metric's catalog label
and return the Axes. The report's figures (``activity_by_type`` ...) take the tables of
:mod:`quotabook.themes.activity_ratios.data` as the notebook has them (already computed from the metric catalog), lay
out the panels on a shared rep axis, so the same rep reads on one line across panels, and title them with the
finding. Each activity type keeps its colour in every chart (:data:`TYPE_COLORS`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...charts.base import COLORS, ensure_axes, finish, metric_label, new_figure, no_data, percent_axis, show_literally
from ...charts.unavailable import unavailable_chart
from ...metrics import format as fmt
from ...metrics.catalog import active_catalog, label
from ...text import every, noun, plural
from .data import COUNT_UNITS, TYPE_LABELS

__all__ = ["TYPE_COLORS", "activity_bars", "activity_by_type", "goal_attainment", "goal_bars", "volume_vs_efficiency",
           "weekly_activity", "weekly_bars"]

#: One colour per activity count metric, the same in every chart of the theme.
TYPE_COLORS = {"dial_count": COLORS[0], "connect_count": COLORS[1], "email_count": COLORS[2],
               "meeting_booked_count": COLORS[3], "meeting_held_count": COLORS[4]}
_ON_PACE, _BEHIND = COLORS[0], COLORS[1]
_DIAL_DEAL = "dial_to_deal"
_TEAM_LINE = "#555555"


# -- helpers ----------------------------------------------------------------------------------------------
def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """A view table of the notebook (``Rep``, "Dials" ... headers; a Total row) as the charts read it: the rep
    rows only, the rep column ``owner`` and every count column named by its metric (``dial_count``)."""
    if table.empty or "Rep" not in table:
        return pd.DataFrame(columns=["owner"])
    reps = table[~table["Rep"].astype("str").str.startswith("Total")].reset_index(drop=True)
    return reps.rename(columns={"Rep": "owner", **COUNT_UNITS})


def _team(table: pd.DataFrame, column: str) -> float:
    """The Total row's value of ``column`` (the team's ratio), NaN without one."""
    if "Rep" not in table or column not in table:
        return float("nan")
    total = table.loc[table["Rep"].astype("str").str.startswith("Total"), column]
    return float(total.iloc[0]) if len(total) else float("nan")


def _caption(fig: Figure, text: str) -> None:
    """What is plotted, under the panels (a multi-panel chart has no single axes to carry a subtitle)."""
    fig.supxlabel(text, fontsize=9, color="#444444", x=0.01, ha="left")


def _title(text: str, width: int = 88) -> str:
    """A finding title wrapped onto a second line when it would run past the page width, its dollar signs
    escaped (two of them would otherwise start matplotlib's maths mode)."""
    return textwrap.fill(text, width).replace("$", r"\$")


def _hbars(ax: Axes, names: Sequence[str], values: pd.Series, labels: Sequence[str], **kwargs) -> None:
    """Horizontal bars (drawn with ``kwargs``), first row on top (rows count downwards), each labelled at its end."""
    y = np.arange(len(names))
    ax.barh(y, values.fillna(0.0).to_numpy(dtype=float), **{"height": 0.7, **kwargs})
    ax.set_yticks(y, list(names))
    if not ax.yaxis_inverted():  # axes sharing y share the inversion: flip once
        ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    top = float(np.nanmax(values.to_numpy(dtype=float))) if values.notna().any() else 1.0
    for yi, value, text in zip(y, values.to_numpy(dtype=float), labels, strict=True):
        x = 0.0 if np.isnan(value) else value
        ax.text(x + top * 0.02, yi, text, va="center", fontsize=8, color="#333333")
    ax.set_xlim(0, top * 1.3 if top > 0 else 1.0)


def _type_label(kind: str) -> str:
    """An activity type's name: its count metric's catalog label ("Dials"), else the view's name for it."""
    metric = f"{kind}_count"
    return label(metric) if metric in active_catalog() else TYPE_LABELS.get(kind, kind)


# -- axes-level -------------------------------------------------------------------------------------------
def activity_bars(data: pd.DataFrame, *, metric: str = "dial_count", y: str = "owner", team: float | None = None,
                  missing: str = "–", ax: Axes | None = None, **kwargs) -> Axes:
    """One catalog metric per rep (or other ``y`` group) as horizontal bars (drawn with ``kwargs``), first row
    on top, each labelled in the metric's unit ("4,285", "662:1"; ``missing`` where there is no value), the panel
    titled with the metric's catalog label; ``team`` draws the team's value as a dashed line.

    ``data``: one row per group, a column ``metric`` (e.g. the rep rows of
    :func:`quotabook.themes.activity_ratios.data.activity_counts` or ``activity_chain``, columns named by metric).
    """
    ax = ensure_axes(ax, len(data))
    values = data[metric].astype("float64")
    if active_catalog().get(metric).unit == "n_to_1":
        texts = [fmt.n_to_1(v) if pd.notna(v) else missing for v in values]
    else:
        texts = [fmt.count(v) if pd.notna(v) else missing for v in values]
    _hbars(ax, data[y].astype("str"), values, texts, **{"color": TYPE_COLORS.get(metric, COLORS[5]), **kwargs})
    if team is not None and pd.notna(team):
        ax.axvline(team, color=_TEAM_LINE, linestyle="--", linewidth=1)
    ax.set_title(label(metric), loc="left", fontsize=9.5)
    ax.tick_params(axis="x", labelsize=8)
    return show_literally(ax)


def goal_bars(data: pd.DataFrame, *, kind: str = "dial", progress: float = 1.0, reps: Sequence[str] | None = None,
              top: float | None = None, ax: Axes | None = None, **kwargs) -> Axes:
    """Each rep's activities of one ``kind`` ("dial", "meeting_held") as a share of the quarter's goal, bars behind
    pace in orange (``kwargs`` go to the bars), against the goal (dashed) and, while the quarter runs, the pace
    for today (dotted: ``progress``, the share of the quarter gone, 0–1).

    ``data``: :func:`quotabook.themes.activity_ratios.data.goals_vs_results` (``owner``, ``type``, ``attainment``);
    ``reps``: the rows in order (default: every owner, sorted), ``top``: the largest share on the axis (default:
    this panel's), so panels side by side share both.
    """
    progress = float(min(max(progress, 0.0), 1.0))
    reps = list(reps) if reps is not None else sorted(data["owner"].unique())
    ax = ensure_axes(ax, len(reps))
    share = data[data["type"] == kind].set_index("owner").reindex(reps)["attainment"]
    top = top if top is not None else max(float(share.max()) if share.notna().any() else 0.0, 1.0)
    colors = [_BEHIND if b else _ON_PACE for b in share < progress - 1e-9]
    _hbars(ax, reps, share, [fmt.percent(v) if pd.notna(v) else "no goal" for v in share],
           **{"color": colors, **kwargs})
    ax.set_xlim(0, top * 1.3)
    ax.axvline(1.0, color=_TEAM_LINE, linestyle="--", linewidth=1)
    if progress < 1.0:
        ax.axvline(progress, color=_BEHIND, linestyle=":", linewidth=1.2)
    percent_axis(ax, axis="x")
    ax.set_title(_type_label(kind), loc="left", fontsize=9.5)
    ax.tick_params(axis="x", labelsize=8)
    return show_literally(ax)


def weekly_bars(data: pd.DataFrame, *, metric: str = "dial_count", ax: Axes | None = None, **kwargs) -> Axes:
    """One catalog count per week of the quarter (``week``, ``metric``) as bars (drawn with ``kwargs``), the
    panel titled with the metric's catalog label.

    ``data``: :func:`quotabook.themes.activity_ratios.data.weekly_activity`.
    """
    ax = ensure_axes(ax, height=3.0)
    ax.bar(data["week"], data[metric], **{"color": TYPE_COLORS.get(metric, COLORS[0]), "width": 0.75, **kwargs})
    ax.set_title(label(metric), loc="left", fontsize=9.5)
    ax.set_xticks(data["week"], [str(w) for w in data["week"]], fontsize=7)
    ax.grid(axis="x", visible=False)
    return show_literally(ax)


# -- the report's figures ---------------------------------------------------------------------------------
def activity_by_type(counts: pd.DataFrame, *, scope: str = "", period: str = "") -> Figure:
    """Activities by type per rep, one :func:`activity_bars` panel per type (InsightSquared, "Number of
    Activities"), titled with who logs the most.

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`quotabook.themes.activity_ratios.data.activity_counts` (``Rep`` and one count column per type; the
        Total row is left out).
    scope, period : str
        Who and when, for the caption ("West", "2026-Q3").
    """
    reps = _tidy(counts)
    types = [t for t in TYPE_COLORS if t in reps]
    if reps.empty or not types:
        return unavailable_chart("No activity to show", counts, "no activities logged in the period")
    fig, axes = new_figure(len(reps), ncols=len(types), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, types, strict=True):
        activity_bars(reps, metric=metric, ax=ax)
    lead = types[0]
    top, low = reps.loc[reps[lead].idxmax()], reps.loc[reps[lead].idxmin()]
    noun = label(lead).lower()
    if len(reps) > 1 and low[lead] > 0:
        title = (f"{top['owner']} logs the most {noun} ({fmt.count(top[lead])}), "
                 f"{fmt.count(top[lead] / low[lead], 1)} times as many as {low['owner']} ({fmt.count(low[lead])})")
    else:
        title = f"{top['owner']} logs the most {noun} ({fmt.count(top[lead])})"
    _caption(fig, f"Activities by type per rep{', ' + scope if scope else ''}{', ' + period if period else ''} "
                  "(count, activity date in the period)")
    return finish(fig, axes[0], _title(title), legend=False)


def volume_vs_efficiency(counts: pd.DataFrame, chain: pd.DataFrame) -> Figure:
    """InsightSquared's lesson side by side (two :func:`activity_bars` panels): dials per rep (volume) and dials
    per won deal (efficiency), the team's ratio as a dashed line.

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`~quotabook.themes.activity_ratios.data.activity_counts` (needs ``Dials``).
    chain : pandas.DataFrame
        :func:`~quotabook.themes.activity_ratios.data.activity_chain` (needs ``dial_to_deal``; its Total row is the
        team's ratio).
    """
    reps, ratios = _tidy(counts), _tidy(chain)
    if reps.empty or "dial_count" not in reps or _DIAL_DEAL not in ratios:
        return unavailable_chart("Dials per deal not available", chain, "no dials or deals in the period")
    data = reps[["owner", "dial_count"]].merge(ratios[["owner", _DIAL_DEAL]], on="owner", how="left")
    team = _team(chain, _DIAL_DEAL)
    fig, (left, right) = new_figure(len(data), ncols=2, sharey=True)
    activity_bars(data, metric="dial_count", ax=left)
    activity_bars(data, metric=_DIAL_DEAL, team=team, missing="no deal", ax=right, color=COLORS[5])
    left.set_title(f"{label('dial_count')} (volume)", loc="left", fontsize=9.5)
    efficiency = "Dials per won deal (lower is better)"
    right.set_title(efficiency + (f"; team {fmt.n_to_1(team)}" if pd.notna(team) else ""), loc="left", fontsize=9.5)
    per_deal = data[_DIAL_DEAL]
    busiest = data.loc[data["dial_count"].idxmax()]
    if per_deal.notna().any():
        best = data.loc[per_deal.idxmin()]
        if best["owner"] == busiest["owner"]:
            title = (f"{busiest['owner']} dials the most ({fmt.count(busiest['dial_count'])}) and needs the fewest "
                     f"dials per deal ({fmt.n_to_1(best[_DIAL_DEAL])})")
        else:
            title = (f"{busiest['owner']} dials the most ({fmt.count(busiest['dial_count'])}), but {best['owner']} "
                     f"needs the fewest dials per deal ({fmt.n_to_1(best[_DIAL_DEAL])})")
    else:
        title = f"{busiest['owner']} dials the most ({fmt.count(busiest['dial_count'])}); no deal won in the period"
    _caption(fig, f"Dials in the period and dials per deal won in it ({label(_DIAL_DEAL)}, N:1); dashed line: the team")
    return finish(fig, right, _title(title), xlabel=metric_label(_DIAL_DEAL), legend=False)


def goal_attainment(goals: pd.DataFrame, *, progress: float = 1.0) -> Figure:
    """Activity results against goals, one :func:`goal_bars` panel per activity type with a goal (InsightSquared,
    "Activity Results vs. Activity Goals"), titled with the reps behind.

    Parameters
    ----------
    goals : pandas.DataFrame
        :func:`~quotabook.themes.activity_ratios.data.goals_vs_results` (owner, type, attainment).
    progress : float
        Share of the quarter elapsed (0–1): the pace line of a quarter still running.
    """
    if goals.empty:
        return unavailable_chart("Activity goals not available", goals, "no activity goals for the period")
    progress = float(min(max(progress, 0.0), 1.0))
    reps = sorted(goals["owner"].unique())
    kinds = set(goals["type"])
    types = [t for t in TYPE_LABELS if t in kinds] + sorted(kinds - set(TYPE_LABELS))
    fig, axes = new_figure(len(reps), ncols=len(types), sharey=True)
    axes = np.atleast_1d(axes)
    top = max(float(goals["attainment"].max()), 1.0)
    for ax, kind in zip(axes, types, strict=True):
        goal_bars(goals, kind=kind, progress=progress, reps=reps, top=top, ax=ax)
    goals = goals.assign(_pace=goals["attainment"] / (progress or 1.0))
    off = goals[goals["attainment"] < progress - 1e-9]
    n_off, n_reps = off["owner"].nunique(), len(reps)
    if n_off:
        worst = off.loc[off["_pace"].idxmin()]
        who = every(n_reps, "rep") if n_off == n_reps else f"{n_off} of {n_reps} reps"
        title = (f"{who} behind an activity goal; {worst['owner']} furthest "
                 f"({_type_label(worst['type']).lower()} at {fmt.percent(worst['attainment'])})")
    else:
        title = f"{every(n_reps, 'rep')} on pace for every activity goal"
    pace = "" if progress >= 1.0 else f"; dotted line: pace for today ({fmt.percent(progress)} of the quarter gone)"
    _caption(fig, f"Activities done as a share of the quarter's goal; dashed line: the goal{pace}")
    return finish(fig, axes[0], _title(title), legend=False)


def weekly_activity(weekly: pd.DataFrame) -> Figure:
    """Dials, connects and meetings booked per week of the quarter (three :func:`weekly_bars` panels), the trend
    of Dial:Connect in the title.

    Parameters
    ----------
    weekly : pandas.DataFrame
        :func:`~quotabook.themes.activity_ratios.data.weekly_activity` (week, counts, dial_to_connect).
    """
    series = ["dial_count", "connect_count", "meeting_booked_count"]
    if set(series) & set(weekly.attrs.get("unavailable") or {}):  # the weeks are listed, their counts unknown
        return unavailable_chart("Weekly activity not available", weekly, "no activity data")
    if weekly.empty or not set(series) <= set(weekly.columns):
        return unavailable_chart("No complete week to show yet", weekly, "no complete week of activity yet")
    if not weekly[series].fillna(0).to_numpy().any():  # empty axes would say nothing
        return no_data("No dial, connect or meeting booked week by week",
                       "No dial, connect or meeting booked was logged in the period's complete weeks.")
    fig, axes = new_figure(height=3.0, ncols=3)
    for ax, metric in zip(axes, series, strict=True):
        weekly_bars(weekly, metric=metric, ax=ax)
    half = max(len(weekly) // 2, 1)
    span = min(4, half)
    first, last = weekly.head(span), weekly.tail(span)
    before = first["dial_count"].sum() / first["connect_count"].sum() if first["connect_count"].sum() else np.nan
    after = last["dial_count"].sum() / last["connect_count"].sum() if last["connect_count"].sum() else np.nan
    weeks = "week" if span == 1 else f"{span} weeks"
    ratio = label("dial_to_connect")
    if len(weekly) >= 2 and pd.notna(before) and pd.notna(after):
        title = (f"{ratio} went from {fmt.n_to_1(before)} in the first {weeks} to {fmt.n_to_1(after)} "
                 f"in the last {weeks}")
    else:
        title = (f"{plural(weekly['dial_count'].sum(), 'dial')} over {len(weekly)} whole "
                 f"{noun('week', len(weekly))}; too few connects to read a trend in {ratio}")
    _caption(fig, "Activities per week of the quarter (week 1 = its first 7 days), complete weeks only")
    return finish(fig, axes[0], _title(title), legend=False)
