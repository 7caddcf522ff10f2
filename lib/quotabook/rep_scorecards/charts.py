"""The two small charts of a rep's scorecard: bookings against target, and Commit call against what was won,
over the last quarters. Composable: each draws on the Axes it is given and returns it.

A card's figure is :data:`~quotabook.charts.base.CARD_WIDTH` wide: the pack lays the cards out two to a line
(print, wide screens), where it prints at its own size with its text at 8 points or more."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..charts.base import CARD_WIDTH, COLORS, category_color, currency_axis, ensure_axes, finish, style
from ..charts.printed import CARD_PRINT_HEIGHT, set_print_height
from ..trends.charts import quarter_label

__all__ = ["bookings_vs_target", "calls_vs_won", "rep_card"]


def bookings_vs_target(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Bars of ``closed_amount`` per ``period`` with the ``target_amount`` as a tick on each (when known)."""
    ax = ensure_axes(ax, height=2.5)
    x = np.arange(len(data))
    ax.bar(x, data["closed_amount"].astype("float64").fillna(0.0), width=0.6, color=category_color("Closed"),
           label="Won", **kwargs)
    if "target_amount" in data and data["target_amount"].notna().any():
        ax.scatter(x, data["target_amount"].astype("float64"), marker="_", s=160, linewidths=2.5,
                   color=category_color("Target"), label="Target", zorder=3)
    ax.set_xticks(x, [quarter_label(p) for p in data["period"]])
    ax.set_title("Bookings vs target", fontsize=8.5, loc="left")
    currency_axis(ax, currency)
    return ax


def calls_vs_won(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Paired bars per past ``period``: the Commit ``call`` made at week 6 and what was ``won``."""
    ax = ensure_axes(ax, height=2.5)
    x = np.arange(len(data))
    ax.bar(x - 0.2, data["call"].astype("float64"), width=0.4, color=category_color("Commit", COLORS[1]),
           label="Commit call (week 6)", **kwargs)
    ax.bar(x + 0.2, data["won"].astype("float64"), width=0.4, color=category_color("Closed"), label="Won")
    ax.set_xticks(x, [quarter_label(p) for p in data["period"]])
    ax.set_title("Commit call vs won", fontsize=8.5, loc="left")
    currency_axis(ax, currency)
    return ax


def rep_card(history: pd.DataFrame, calls: pd.DataFrame, *, title: str, currency: str = "USD") -> Figure:
    """A rep's two charts side by side, :data:`~quotabook.charts.base.CARD_WIDTH` wide (a card two to a line),
    the title wrapped to that width; a panel without data says so instead of drawing empty axes."""
    with style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(CARD_WIDTH, 2.7))
    bookings_vs_target(history, currency=currency, ax=left)
    if len(calls):
        calls_vs_won(calls, currency=currency, ax=right)
    else:
        right.set_axis_off()
        right.text(0.0, 0.5, "No Commit call to\ncompare: the change\nhistory or forecast\ncategories are missing,\n"
                   "or no Commit was called\nin the quarters replayed.", fontsize=8, color="#444444",
                   transform=right.transAxes, va="center")
    handles = {}
    for ax in (left, right):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="outside lower left", ncols=len(handles), fontsize=8,
               handlelength=1.2, columnspacing=0.8)
    set_print_height(fig, CARD_PRINT_HEIGHT)
    return finish(fig, left, textwrap.fill(title, 38), legend=False, title_size=10)
