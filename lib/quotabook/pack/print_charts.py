"""Charts as a PDF prints them: each chart's print variant in place of the one its HTML page shows.

A kernel adds to a chart drawn taller than paper needs (a horizontal bar chart, a rep card) its print
variant, the same figure drawn shorter with every text at the same size (:mod:`quotabook.charts.printed`),
under :data:`~quotabook.headlines.PRINT_SVG_MIME`. The PDF prints that variant; the HTML page shows the
chart as drawn, and the variant is removed before rendering (:func:`quotabook.pack.render.strip_records`).
"""

from __future__ import annotations

import copy

from ..headlines import PRINT_SVG_MIME

__all__ = ["PRINT_SVG_MIME", "use_print_charts"]


def use_print_charts(nb):
    """A copy of ``nb`` in which each output holding a print variant shows it as its SVG (the page's SVG is
    replaced; its alt text, in the output's metadata, stays: the chart's title is the same)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            data = output.get("data") or {}
            variant = data.pop(PRINT_SVG_MIME, None)
            if variant and "image/svg+xml" in data:
                data["image/svg+xml"] = variant
    return nb
