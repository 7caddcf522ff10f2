"""The house chart style: one look for every chart in every notebook and pack.

Readers meet the same colours for Closed / Commit / Best Case / Pipeline / Target everywhere (see
:mod:`quotabook.style`), money axes in the reporting currency ("$1.2M"), percentages as "35%", and titles
that state the finding ("East is at 82% of target with 6 weeks to go"), with what is plotted in a smaller
subtitle. Charts are sized for an A4 / Letter page (at most 9 inches wide) and rendered as SVG, so they
stay crisp in PDF.

The building blocks live in :mod:`quotabook.charts.base`; theme charts in ``quotabook.themes.<theme>.charts``
(import them directly: ``from quotabook.themes.funnel import charts as funnel``). Charts follow seaborn's convention
and never compute a metric themselves:

- **axes-level** functions (``funnel.win_rate_bars``, ``velocity.velocity_per_group`` ...) take ``data`` (a tidy
  frame whose value columns are metric names or view columns, never display headers), keyword options,
  ``ax=None`` and ``**kwargs`` for the main artist (the bars, the line); they draw on ``ax`` (a new house-style
  figure when none is given, :func:`~quotabook.charts.base.ensure_axes`), label metric axes with the catalog's
  label and unit (:func:`~quotabook.charts.base.metric_axis`) and return the Axes, so a notebook can put any
  two side by side;
- **figure-level** functions (today's notebook names: ``funnel.win_rate``, ``velocity.velocity_bars`` ...) draw
  the report's figure of a view table: the panels, then :func:`~quotabook.charts.base.finish` with the finding
  as title (:func:`~quotabook.charts.base.figure` for a single panel).
"""

from .base import (
    COLORS,
    MAX_WIDTH,
    category_color,
    currency_axis,
    currency_text,
    ensure_axes,
    figure,
    finish,
    metric_axis,
    metric_label,
    new_figure,
    percent_axis,
    readable_labels,
    stacked_bars,
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
    "ensure_axes",
    "figure",
    "finish",
    "metric_axis",
    "metric_label",
    "new_figure",
    "percent_axis",
    "readable_labels",
    "stacked_bars",
    "stacked_bars_vs_target",
    "style",
    "use_svg",
]
