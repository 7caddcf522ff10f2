"""Sentences of the quarter-over-quarter section (see :mod:`quotabook.trends.data`; its table is in
:mod:`quotabook.trends.tables`).

A quarter still running is compared with the same point of the earlier quarters (the view reads them so),
and the sentences say "so far" only then; a finished quarter is compared with finished quarters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..text import plural
from .data import Trend, changes

__all__ = ["change_text", "headline", "trend_notes", "trend_sentences"]

#: Metrics whose fall is good news (a shorter cycle).
_LOWER_IS_BETTER = {"sales_cycle_days"}


def change_text(change: float, unit: str) -> str:
    """``+4 pts`` for a percent metric's change in points, ``−12%`` for a relative change, ``–`` unknown."""
    if change is None or pd.isna(change):
        return "–"
    if unit == "percent":
        points = round(change * 100)
        return "no change" if points == 0 else f"{points:+d} pts".replace("-", "−")
    pct = round(change * 100)
    return "no change" if pct == 0 else f"{pct:+d}%".replace("-", "−")


def _compare(value: float, before: float, change: float, unit: str, against: str) -> str | None:
    if pd.isna(value) or pd.isna(before) or pd.isna(change):
        return None
    if unit == "percent":
        points = round(change * 100)
        if points == 0:
            return f"level with {against}"
        return f"{plural(abs(points), 'point')} {'above' if points > 0 else 'below'} {against}"
    pct = round(change * 100)
    if pct == 0:
        return f"level with {against}"
    return f"{abs(pct)}% {'above' if pct > 0 else 'below'} {against}"


def trend_sentences(report, trend: Trend) -> list[str]:
    """One sentence per metric: this quarter's value and how it compares with last quarter and a year ago."""
    table = changes(trend, report.period.label)
    if table.empty:
        return []
    periods = trend.periods
    label = report.period.label
    idx = periods.index(label) if label in periods else None
    before = periods[idx - 1] if idx else None
    ago = periods[idx - 4] if idx is not None and idx >= 4 else None
    running = bool(table["partial"].any())
    point = " at the same point" if running else ""
    out = []
    for metric, row in table.iterrows():
        m = report.catalog.get(metric)
        if pd.isna(row["value"]):
            out.append(f"{m.label}: no figure for {label}{' yet' if running else ''} "
                       "(nothing it measures has happened in the quarter).")
            continue
        value = report.figure(row["value"], m.unit)
        at = "" if metric == "pipeline_coverage" else point  # coverage is read at every quarter's start
        parts = [p for p in (
            _compare(row["value"], row["previous"], row["qoq"], m.unit, f"{before}{at}") if before else None,
            _compare(row["value"], row["year_ago"], row["yoy"], m.unit, f"{ago}{at}") if ago else None) if p]
        so_far = " so far" if running and metric != "pipeline_coverage" else ""
        text = f"{m.label} {value}{so_far} in {label}"
        out.append(f"{text}, {' and '.join(parts)}." if parts else f"{text} (no earlier quarter to compare with).")
    return out


def trend_notes(report, trend: Trend):
    """The sentences of :func:`trend_sentences` as a Markdown list for the page (what could not be shown last)."""
    lines = [f"- {line}" for line in trend_sentences(report, trend)]
    lines += [f"- Not shown: {report.catalog.get(m).label} ({str(why).split('not available: ', 1)[-1]})."
              for m, why in trend.unavailable.items()]  # what it needs, not the metric's internal name again
    return report.markdown("\n".join(lines) if lines else "No quarter of the data has figures to compare yet.")


def headline(report, trend: Trend) -> str:
    """The chart title: the largest move of the quarter against the one before, in the reader's terms."""
    table = changes(trend, report.period.label)
    if table.empty or table["qoq"].isna().all():
        if len(trend.periods) == 1:
            return f"{report.label}: {trend.periods[0]} as it stood then"
        return f"{report.label}: the last {plural(len(trend.periods), 'quarter')}, each as it stood then"
    # points for percent metrics and relative change for others are both shares: compare their sizes
    scale = table["qoq"].abs() * np.where(table["unit"] == "percent", 2.0, 1.0)
    metric = scale.idxmax()
    row = table.loc[metric]
    m = report.catalog.get(metric)
    good = (row["qoq"] < 0) if metric in _LOWER_IS_BETTER else (row["qoq"] > 0)
    direction = ("up" if row["qoq"] > 0 else "down")
    trend_word = "better" if good else "worse"
    running = bool(table["partial"].any()) and metric != "pipeline_coverage"
    since = "the same point of last quarter" if running else "last quarter"
    return (f"{m.label} {direction} {change_text(row['qoq'], m.unit).lstrip('+−')} on {since} "
            f"({trend_word}): {report.figure(row['value'], m.unit)} against {report.figure(row['previous'], m.unit)}")
