"""A chart's print variant: the same figure drawn shorter for the PDF, its page on screen unchanged.

A horizontal bar chart on screen gives each bar :data:`~quotabook.charts.base.BAR_PITCH` (0.32 inch), and a
rep card's chart is 2.7 inches tall: roomy in a browser, but on A4, where a 9-inch chart prints at 70%, a
team of sixteen took 43% of a page and the cards a page and a half more than their figures need. So such a
figure carries a print height (:func:`set_print_height`), and when a notebook displays it, beside the SVG the
page shows, the kernel draws it again at that height under :data:`~quotabook.headlines.PRINT_SVG_MIME`
(:func:`register_print_svg`). Only the plot area shrinks: every text keeps its size (the figure's width, and
so its print scale and :func:`~quotabook.charts.base.print_legible`'s 8 points, are the same). The pack's
PDF prints that variant (:func:`quotabook.pack.render.pdf_section`); its HTML pages never show it.

This module is imported by :mod:`quotabook.charts.base`: it imports nothing from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial

from matplotlib.figure import Figure

from ..headlines import PRINT_ENV, PRINT_SVG_MIME

__all__ = ["CARD_PRINT_HEIGHT", "PRINT_BAR_PITCH", "PRINT_ENV", "PRINT_SVG_MIME", "bars_height", "print_height",
           "print_svg", "print_variants_wanted", "register_print_svg", "set_print_height"]

#: Height per bar of a horizontal bar chart in print, inches: the chart prints at 70% (9 inches on 160 mm), so
#: a bar takes 4.6 mm of paper, 1.6 times its label's 8-point height (2.8 mm): labels stay apart, and sixteen
#: reps take a third of a page.
PRINT_BAR_PITCH = 0.26
#: Height of a rep card's chart in print, inches (2.7 on screen): two short panels under a two-line title.
CARD_PRINT_HEIGHT = 2.35

_ATTRIBUTE = "_quotabook_print_height"


def print_variants_wanted() -> bool:
    """Whether displayed figures get their print variant: unless :data:`PRINT_ENV` is ``0`` (nothing will
    print them)."""
    return os.environ.get(PRINT_ENV, "1").strip() != "0"


def bars_height(n_rows: float, pitch: float) -> float:
    """Height (inches) of a horizontal bar chart of ``n_rows`` bars, ``pitch`` inches each, plus room for its
    title, axis and legend; never under 2.2 inches nor over 11."""
    return min(max(2.2, pitch * n_rows + 1.6), 11.0)


def set_print_height(fig: Figure, inches: float) -> Figure:
    """Give ``fig`` a print variant ``inches`` tall (used only when shorter than the figure itself)."""
    setattr(fig, _ATTRIBUTE, float(inches))
    return fig


def print_height(fig: Figure) -> float | None:
    """The height ``fig`` prints at when it is shorter than the figure, else None (it prints as shown)."""
    height = getattr(fig, _ATTRIBUTE, None)
    return height if height is not None and height < fig.get_figheight() - 1e-6 else None


def print_svg(draw: Callable[[Figure], str | None], fig: Figure) -> str | None:
    """``draw(fig)`` with ``fig`` resized to its print height for the time of the drawing (``draw`` is the
    SVG printer the page's chart is drawn with); None when the figure has no shorter print variant."""
    height = print_height(fig)
    if height is None:
        return None
    size = fig.get_size_inches().copy()
    try:
        fig.set_size_inches(size[0], height, forward=False)
        return draw(fig)
    finally:
        fig.set_size_inches(size, forward=False)


def register_print_svg(shell, draw: Callable[[Figure], str | None]) -> None:
    """Make ``shell`` (IPython) add to every displayed figure's output its print variant (:func:`print_svg`)
    under :data:`PRINT_SVG_MIME`, unless :func:`print_variants_wanted` says no; idempotent."""
    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode

    formatters = shell.display_formatter.formatters
    if PRINT_SVG_MIME not in formatters:
        class PrintSvgFormatter(BaseFormatter):
            format_type = Unicode(PRINT_SVG_MIME)
            print_method = ObjectName("_repr_print_svg_")

        formatters[PRINT_SVG_MIME] = PrintSvgFormatter(parent=shell.display_formatter)
    # a variant of a chart shown, and only when something may print it
    formatters[PRINT_SVG_MIME].enabled = formatters["image/svg+xml"].enabled and print_variants_wanted()
    formatters[PRINT_SVG_MIME].for_type(Figure, partial(print_svg, draw))
