"""The house chart style: one look for every chart in every notebook and pack.

Readers meet the same colours for Closed / Commit / Best Case / Pipeline / Target everywhere (see
:mod:`quotabook.theme`), money axes in the reporting currency ("$1.2M"), percentages as "35%", and titles
that state the finding ("East is at 82% of target with 6 weeks to go"), with what is plotted in a smaller
subtitle. Charts are sized for an A4 / Letter page (at most 9 inches wide) and rendered as SVG, so they
stay crisp in PDF.

The building blocks live in :mod:`quotabook.charts.base`; theme charts in ``quotabook.charts.<theme>``
(import them directly: ``from quotabook.charts import funnel``). Every chart function takes tidy data
from the metric library and returns the matplotlib ``Figure``; it never computes a metric itself.
"""

from .base import (
    COLORS,
    MAX_WIDTH,
    category_color,
    currency_axis,
    currency_text,
    finish,
    new_figure,
    percent_axis,
    readable_labels,
    stacked_bars_vs_target,
    style,
    use_svg,
)

__all__ = [
    "COLORS",
    "MAX_WIDTH",
    "category_color",
    "currency_axis",
    "currency_text",
    "finish",
    "new_figure",
    "percent_axis",
    "readable_labels",
    "stacked_bars_vs_target",
    "style",
    "use_svg",
]
