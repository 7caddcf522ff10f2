"""The house palette and plot style, defined once for every chart and table.

Closed / Commit / Best Case / Pipeline / Target always wear the same colours, in every report, so a
reader learns them once. Colours are colour-blind-safe (Okabe-Ito based) and print well in greyscale
order (dark Closed → light Pipeline).
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["CATEGORY_ORDER", "PALETTE", "report_style"]

PALETTE: dict[str, str] = {
    "Closed": "#1b5e20",     # deep green: money in the bank
    "Commit": "#0072b2",     # blue
    "Best Case": "#56b4e9",  # sky blue
    "Pipeline": "#c9c9c9",   # light grey
    "Omitted": "#eeeeee",
    "Target": "#d55e00",     # vermilion line/marker
    "Won": "#1b5e20",
    "Lost": "#b2182b",
}
CATEGORY_ORDER = ["Closed", "Commit", "Best Case", "Pipeline"]


@contextmanager
def report_style():
    """Matplotlib settings for print-quality report charts (SVG output, readable fonts)."""
    import matplotlib as mpl

    with mpl.rc_context({
        "figure.figsize": (9, 4.5),
        "figure.dpi": 110,
        "savefig.format": "svg",
        "font.size": 10,
        "axes.titlesize": 12,
        "axes.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
    }):
        yield
