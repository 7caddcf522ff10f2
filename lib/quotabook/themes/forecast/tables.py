"""Tables of the forecast notebook (theme 6): the frames of :class:`~quotabook.forecast.ForecastStudy`
formatted for the page. The sentences are in :mod:`quotabook.themes.forecast.text`.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["table"]


def table(report, built: tuple[pd.DataFrame, dict], *, caption: str):
    """A table from :class:`~quotabook.forecast.ForecastStudy` (``(frame, units)``) formatted for the page (money
    compact, "$1.6M", so eight columns fit the width; the rest by unit)."""
    frame, units = built
    return report.table(frame, units, caption=caption)
