"""Quarter-over-quarter small multiples: one panel per headline metric, the last eight quarters.

Each panel draws one metric of a :class:`quotabook.trends.data.Trend` for the page's scope, labelled and
formatted from the metric catalog (label, unit); a quarter still running is a hollow point marked "so far",
so it is never read as a finished quarter.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..charts.base import COLORS, MAX_WIDTH, currency_text, ensure_axes, finish, no_data, show_literally, style
from ..metrics.catalog import Catalog
from .data import READ_AT_START, Trend

__all__ = ["quarter_label", "trend_line", "trend_panels"]


def quarter_label(label: str) -> str:
    """``2026-Q3`` as ``Q3 '26`` on two lines: eight of them fit a narrow panel."""
    year, _, quarter = label.partition("-")
    return f"{quarter}\n'{year[-2:]}" if quarter else label


def _format_axis(ax: Axes, unit: str, currency: str) -> None:
    if unit == "percent":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    elif unit in ("currency", "currency_per_day"):
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: currency_text(v, currency)))
    elif unit == "ratio":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.1f}×"))
    elif unit == "days":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f} d"))


def trend_line(trend: Trend, metric: str, *, catalog: Catalog, currency: str = "USD", group: str | None = None,
               ax: Axes | None = None, **kwargs) -> Axes:
    """One metric over the quarters on ``ax`` (default: a new house-style figure's), titled with its catalog label;
    ``kwargs`` go to the line."""
    ax = ensure_axes(ax, height=2.6)
    values = trend.series(metric, group)
    x = np.arange(len(values))
    partial = trend.rows.loc[trend.rows["period"].isin(values.index) & trend.rows["partial"].astype(bool),
                             "period"].unique()
    done = ~values.index.isin(partial)
    drawn = {"marker": "o", "markersize": 4, "color": COLORS[0], **kwargs}
    line = ax.plot(x[done], values.to_numpy()[done], **drawn)[0]
    if (~done).any():
        ax.plot(x[~done], values.to_numpy()[~done], marker="o", markersize=5, linestyle="none",
                markerfacecolor="white", color=line.get_color())
        for xi, yi in zip(x[~done], values.to_numpy()[~done], strict=True):
            if np.isfinite(yi):
                ax.annotate("so far", (xi, yi), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8,
                            color="#555555")
    metric_def = catalog.get(metric)
    title = metric_def.label + (" (quarter start)" if metric in READ_AT_START else "")
    ax.set_title(title, fontsize=9.5, loc="left")
    ax.set_xticks(x, [quarter_label(p) for p in values.index])
    ax.tick_params(axis="x", labelsize=8)
    _format_axis(ax, metric_def.unit, currency)
    if metric_def.unit in ("percent", "ratio", "currency", "days") and np.isfinite(values).any():
        ax.set_ylim(bottom=0)
    return show_literally(ax)


def trend_panels(trend: Trend, *, catalog: Catalog, title: str, currency: str = "USD",
                 group: str | None = None) -> Figure:
    """Every metric of ``trend`` in its own panel (two rows of three), titled with the finding ``title``."""
    metrics = list(dict.fromkeys(trend.rows["metric"]))
    if not metrics or not trend.periods:
        return no_data(title, "No quarter of the data has figures to compare yet.")
    with style():
        ncols = 3
        nrows = -(-len(metrics) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(MAX_WIDTH, 2.6 * nrows + 0.6), squeeze=False)
    flat = axes.ravel()
    for ax, metric in zip(flat, metrics, strict=False):
        trend_line(trend, metric, catalog=catalog, currency=currency, group=group, ax=ax)
    note = ("Each quarter as the data stood at its end (coverage: the day before it began). A hollow point is "
            "the quarter still running.")
    spare = flat[len(metrics):]
    for ax in spare:
        ax.set_axis_off()
    if len(spare):  # the key goes in the free panel, where it cannot collide with tick labels
        spare[0].text(0.02, 0.5, textwrap.fill(note, 34), transform=spare[0].transAxes, fontsize=8.5,
                      color="#444444", va="center")
        return finish(fig, flat[0], title, legend=False)
    fig.supxlabel(note, fontsize=8, color="#444444", x=0.01, ha="left")  # laid out below the panels
    return finish(fig, flat[0], title, legend=False)
