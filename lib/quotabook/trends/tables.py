"""The table of the quarter-over-quarter section (see :mod:`quotabook.trends.data`): this quarter, the one
before and the same quarter a year earlier per metric, with the changes. The sentences are in
:mod:`quotabook.trends.text`.
"""

from __future__ import annotations

import pandas as pd

from .data import Trend, changes
from .text import change_text

__all__ = ["trend_table"]


def trend_table(report, trend: Trend):
    """This quarter, last quarter and the same quarter a year ago per metric, with the changes."""
    table = changes(trend, report.period.label)
    label = report.period.label
    periods = trend.periods
    idx = periods.index(label) if label in periods else None
    before = periods[idx - 1] if idx else "–"
    ago = periods[idx - 4] if idx is not None and idx >= 4 else "–"
    running = bool(table["partial"].any()) if len(table) else False
    rows = []
    for metric, row in table.iterrows():
        m = report.catalog.get(metric)
        rows.append({"Metric": m.label + (" (quarter start)" if metric == "pipeline_coverage" else ""),
                     label + (" so far" if running else ""): report.figure(row["value"], m.unit),
                     before: report.figure(row["previous"], m.unit),
                     "QoQ": change_text(row["qoq"], m.unit),
                     ago: report.figure(row["year_ago"], m.unit),
                     "YoY": change_text(row["yoy"], m.unit)})
    frame = pd.DataFrame(rows)
    caption = f"{report.label}: {label} against the quarter before and the same quarter a year earlier"
    if running:
        days = (report.as_of.normalize() - report.period.start).days + 1
        caption += f"; earlier quarters read {days} days in, as far as {label} has run"
    return report.table(frame, caption=caption)
