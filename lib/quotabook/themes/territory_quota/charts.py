"""Territory quota charts (theme 5): target against a split by calibrated quota, the fairness band
of weighted opportunity, and the what-if sensitivity as heatmaps (the static stand-in for the sliders).

Each chart comes twice, seaborn's way: an axes-level function takes a tidy table from
:mod:`quotabook.themes.territory_quota.data` or :mod:`quotabook.themes.territory_quota.whatif` (it never computes a
metric), keyword options, ``ax=None`` and ``**kwargs`` for its main artist, draws on ``ax`` and returns it; the
report's figure of the same table states the finding in its title. A table with nothing to plot gives a small figure
that says so, never an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.figure import Figure

from ...charts.base import (
    COLORS,
    category_color,
    currency_text,
    ensure_axes,
    figure,
    metric_axis,
    no_data,
    percent_axis,
    plain,
    show_literally,
)
from ...charts.unavailable import unavailable_note
from ...text import every, part_of, verb

__all__ = ["calibration_bars", "calibration_pairs", "fairness_bars", "fairness_deviation", "no_data",
           "scenario_cells", "scenario_heatmap", "sensitivity_cells", "sensitivity_heatmap"]

#: Inside the fairness band, and outside it.
FAIR_COLOR, UNFAIR_COLOR = COLORS[0], COLORS[1]
#: Attainment colours: short of target (vermillion) → at target (white) → past it (bluish green).
ATTAINMENT_CMAP = LinearSegmentedColormap.from_list("attainment", [COLORS[5], "#ffffff", COLORS[2]])






NO_PLANNING = "The data has no territory TACoS or propensity."


def calibration_pairs(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Per territory (largest gap on top), the period's target beside the same total split in proportion to
    calibrated quota (TACoS × propensity × expected conversion × capacity); ``kwargs`` go to both sets of bars.
    The axis is the catalog's ``target_amount``.

    ``data``: :func:`quotabook.themes.territory_quota.data.calibration` (``territory``, ``target_amount``,
    ``calibrated_target``, ``target_gap``), currency.
    """
    data = data.sort_values("target_gap", ascending=False, kind="stable")
    ax = ensure_axes(ax, int(1.4 * len(data)) + 1)
    y = np.arange(len(data))
    ax.barh(y - 0.2, data["target_amount"], **{"height": 0.4, "color": category_color("Target"),
                                               "label": "Target set", **kwargs})
    ax.barh(y + 0.2, data["calibrated_target"], **{"height": 0.4, "color": COLORS[0],
                                                   "label": "Target split by calibrated quota", **kwargs})
    ax.set_yticks(y, data["territory"].astype(str))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    metric_axis(ax, "target_amount", currency=currency)
    return show_literally(ax)


def calibration_bars(table: pd.DataFrame, *, currency: str, scope: str, period: str) -> Figure:
    """:func:`calibration_pairs` as the report's figure, titled with the territory carrying the most target
    beyond its calibrated quota. ``scope``, ``period``: who and when, for the title."""
    if table.empty or table["target_amount"].fillna(0).sum() <= 0:
        note = unavailable_note(table, NO_PLANNING) if table.empty else "No target is set for the period."
        return no_data(f"{scope}: no quota calibration for {period}", note)
    data = table.sort_values("target_gap", ascending=False, kind="stable")
    over, under = data.iloc[0], data.iloc[-1]
    title = f"{scope}: target and opportunity line up within {currency_text(over['target_gap'], currency)}"
    if over["target_gap"] > 0:
        title = (f"{over['territory']} carries {currency_text(over['target_gap'], currency)} more target than "
                 f"its calibrated quota supports")
        if under["target_gap"] < 0:
            title += f"; {under['territory']} {currency_text(-under['target_gap'], currency)} less"
    return figure(calibration_pairs, data, title=plain(title), subtitle=f"{period} target per territory, and the same "
                  "total split by each territory's share of calibrated quota", n_rows=int(1.4 * len(data)) + 1,
                  currency=currency)


def fairness_deviation(data: pd.DataFrame, *, tolerance: float, ax: Axes | None = None, **kwargs) -> Axes:
    """Each territory's TACoS × propensity against the mean (signed ``deviation``, a share), largest on top, with
    the ±``tolerance`` fairness band shaded; bars outside the band in orange (``kwargs`` go to the bars).

    ``data``: :func:`quotabook.themes.territory_quota.data.calibration` (``territory``, ``deviation``).
    """
    data = data.sort_values("deviation", ascending=False, kind="stable")
    ax = ensure_axes(ax, len(data))
    y = np.arange(len(data))
    inside = data["deviation"].abs() <= tolerance + 1e-9
    ax.axvspan(-tolerance, tolerance, color=COLORS[2], alpha=0.15, label=f"Fair band (±{tolerance:.0%})")
    for mask, color, name in ((inside, FAIR_COLOR, "Within the band"), (~inside, UNFAIR_COLOR, "Outside the band")):
        if mask.any():  # no legend entry for an empty group
            ax.barh(y[mask.to_numpy()], data.loc[mask, "deviation"], **{"height": 0.65, "color": color, "label": name,
                                                                         **kwargs})
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, data["territory"].astype(str))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    percent_axis(ax, axis="x")
    ax.set_xlabel("Deviation from the mean")
    return show_literally(ax)


def fairness_bars(table: pd.DataFrame, *, tolerance: float, scope: str) -> Figure:
    """:func:`fairness_deviation` as the report's figure, titled with the territories outside the band."""
    if table.empty or table["deviation"].isna().all():
        return no_data(f"{scope}: no fairness check", unavailable_note(table, NO_PLANNING))
    data = table.sort_values("deviation", ascending=False, kind="stable")
    inside = data["deviation"].abs() <= tolerance + 1e-9
    outside = int((~inside).sum())
    worst = data.loc[data["deviation"].abs().idxmax()]
    side = "above" if worst["deviation"] > 0 else "below"
    n = len(data)
    count = (every(n, "territory") + " " + verb("sits", n) if outside == n
             else f"{part_of(outside, n, 'territory')} " + verb("sits", outside))
    title = (f"{count} outside the ±{tolerance:.0%} fairness band; "
             f"{worst['territory']} is {abs(worst['deviation']):.0%} {side} the mean") if outside else (
             f"{every(n, 'territory')} {verb('sits', n)} within the ±{tolerance:.0%} fairness band")
    return figure(fairness_deviation, data, title=title, subtitle="Weighted opportunity (TACoS × propensity) against "
                  "the mean of the territories shown", n_rows=len(data), tolerance=tolerance)


def _heatmap(ax: Axes, values: np.ndarray, text: list[list[str]], **kwargs):
    """Attainment cells coloured from short (vermillion) through 100% (white) to past it (green), each with
    ``text``; ``kwargs`` go to ``imshow``."""
    finite = values[np.isfinite(values)]
    low = min(float(finite.min()) if finite.size else 0.9, 0.99)
    high = max(float(finite.max()) if finite.size else 1.1, 1.01)
    image = ax.imshow(values, **{"cmap": ATTAINMENT_CMAP, "norm": TwoSlopeNorm(vcenter=1.0, vmin=low, vmax=high),
                                 "aspect": "auto", **kwargs})
    for i, row in enumerate(text):
        for j, cell in enumerate(row):
            ax.text(j, i, cell, ha="center", va="center", fontsize=8.5, color="#1a1a1a")
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    return image


def _scenario_pivots(grid: pd.DataFrame, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attainment and chance of target per group (rows) and scenario (columns)."""
    att = grid.pivot_table(index=by, columns="scenario", values="attainment", observed=True, sort=False)
    prob = grid.pivot_table(index=by, columns="scenario", values="probability", observed=True, sort=False)
    return att, prob


def _scenario_height(rows: int) -> float:
    return min(max(2.4, 0.5 * rows + 1.9), 10.0)


def scenario_cells(data: pd.DataFrame, *, by: str, ax: Axes | None = None, **kwargs) -> Axes:
    """Projected attainment per group (rows, ``by``) under each what-if scenario (columns), coloured from short
    of target (vermillion) through 100% (white) to past it (green); each cell reads "attainment · chance";
    ``kwargs`` go to ``imshow``.

    ``data``: :func:`quotabook.themes.territory_quota.whatif.scenario_table` (``by``, ``scenario``, ``attainment``,
    ``probability``). """
    att, prob = _scenario_pivots(data, by)
    ax = ensure_axes(ax, height=_scenario_height(len(att)))
    text = [[f"{a:.0%}" + (f"\n{p:.0%}" if np.isfinite(p) else "") if np.isfinite(a) else "–"
             for a, p in zip(att.loc[r], prob.loc[r], strict=True)] for r in att.index]
    _heatmap(ax, att.to_numpy("float64"), text, **kwargs)
    ax.set_xticks(range(att.shape[1]), [str(c).replace(" ", "\n", 1) for c in att.columns], fontsize=8.5)
    ax.set_yticks(range(len(att)), att.index.astype(str))
    ax.xaxis.tick_top()
    return show_literally(ax)


def scenario_heatmap(grid: pd.DataFrame, *, by: str, scope: str, period: str) -> Figure:
    """:func:`scenario_cells` as the report's figure, titled with the groups short at the forecast call and the
    worst case."""
    if grid.empty or grid["attainment"].isna().all():
        return no_data(f"{scope}: no what-if for {period}", "No target is set for the period.")
    att, _ = _scenario_pivots(grid, by)
    base = "As forecast" if "As forecast" in att.columns else att.columns[0]
    short = att[base] < 1
    worst = att.min(axis=1)
    if short.any():
        word = "rep" if by == "owner" else by
        count = (f"{every(len(att), word)} {verb('falls', len(att))}" if short.all() else
                 f"{part_of(int(short.sum()), len(att), by)} {verb('falls', int(short.sum()))}")
        title = (f"{count} short of target at the forecast call; the worst "
                 f"case is {worst.min():.0%} ({worst.idxmin()})")
    else:
        title = f"Every {by} reaches target at the forecast call; the toughest scenario leaves " \
                f"{worst.idxmin()} at {worst.min():.0%}"
    return figure(scenario_cells, grid, title=title, subtitle=f"{period}: projected attainment (top) and chance of "
                  "reaching target (below) per scenario", legend=False, height=_scenario_height(len(att)), by=by)


def _sensitivity_pivots(grid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attainment and chance of target per conversion change (rows) and quota change (columns)."""
    att = grid.pivot_table(index="conversion", columns="quota", values="attainment", sort=True)
    prob = grid.pivot_table(index="conversion", columns="quota", values="probability", sort=True)
    return att, prob


def sensitivity_cells(data: pd.DataFrame, *, ax: Axes | None = None, **kwargs) -> Axes:
    """Projected attainment for each conversion change (rows) × quota change (columns), the ±10-20% test; each
    cell reads "attainment · chance of target"; ``kwargs`` go to ``imshow``.

    ``data``: :func:`quotabook.themes.territory_quota.whatif.sensitivity_grid` (``conversion``, ``quota``,
    ``attainment``, ``probability``).
    """
    att, prob = _sensitivity_pivots(data)
    ax = ensure_axes(ax, height=3.6)
    text = [[f"{a:.0%}\n{p:.0%}" for a, p in zip(att.loc[r], prob.loc[r], strict=True)] for r in att.index]
    _heatmap(ax, att.to_numpy("float64"), text, **kwargs)
    ax.set_xticks(range(att.shape[1]), [f"{q:+.0%}" for q in att.columns])
    ax.set_yticks(range(len(att)), [f"{c:+.0%}" for c in att.index])
    ax.set_xlabel("Quota change")
    ax.set_ylabel("Conversion change")
    return show_literally(ax)


def sensitivity_heatmap(grid: pd.DataFrame, *, scope: str, period: str) -> Figure:
    """:func:`sensitivity_cells` as the report's figure, titled with how many combinations reach target."""
    if grid.empty or grid["attainment"].isna().all():
        return no_data(f"{scope}: no sensitivity for {period}", "No target is set for the period.")
    att, _ = _sensitivity_pivots(grid)
    reached = att >= 1
    fixed = bool(np.allclose(att.to_numpy("float64"), att.to_numpy("float64")[:1], equal_nan=True))
    if fixed and reached.any().any() and not reached.all().all():
        cut = max(q for q in att.columns if reached[q].all())
        # "nothing open can still land": once over, even a deal still open and dated in the period cannot
        if cut < 0:
            title = (f"{scope}: nothing open can still land in {period}; only a quota at least {-cut:.0%} lower "
                     "would have reached target")
        elif cut > 0:
            title = (f"{scope}: nothing open can still land in {period}; target is reached even with a quota "
                     f"{cut:.0%} higher")
        else:  # reached at this quota only: "even with a quota 0% higher" said nothing
            step = min(q for q in att.columns if q > cut)
            title = (f"{scope}: nothing open can still land in {period}; target is reached at this quota, not at "
                     f"one {step:.0%} higher")
    elif fixed:
        title = f"{scope}: nothing open can still land in {period}, so conversion no longer moves attainment"
    elif reached.all().all():
        title = f"{scope} reaches target in every combination of ±20% conversion and quota"
    elif not reached.any().any():
        title = f"{scope} falls short of target in every combination of ±20% conversion and quota"
    else:
        title = f"{scope} reaches target in {int(reached.sum().sum())} of {reached.size} combinations"
    return figure(sensitivity_cells, grid, title=title, subtitle=f"{period}: projected attainment (top) and chance of "
                  "target (below)", legend=False, height=3.6)
