"""The allocation table of the territory quota notebook (04): each territory's calibration inputs, its
calibrated quota and the period's target beside the same total split by quota, from
:func:`quotabook.themes.territory_quota.data.calibration`. The sentences are in
:mod:`quotabook.themes.territory_quota.text`.
"""

from __future__ import annotations

import pandas as pd

from .text import calibration_sentence

__all__ = ["calibration_table"]


_TABLE = {"territory": "Territory", "tam_amount": "TACoS (yearly market)", "propensity": "Propensity",
          "conversion": "Win rate (4 quarters)", "capacity_factor": "Capacity", "quota": "Calibrated quota (yearly)",
          "target_amount": "Target ({period})", "calibrated_target": "{period} target split by quota"}
_MONEY = ["tam_amount", "quota", "target_amount", "calibrated_target"]


def calibration_table(report, cal: pd.DataFrame):
    """The allocation table for the notebook: inputs, calibrated quota and the period's target beside
    the same total split by calibrated quota (eight columns, money compact so the table fits the page), or a
    sentence when the calibration is unavailable."""
    if cal.empty:
        return report.markdown(f"*{calibration_sentence(report, cal)}*")
    shown = cal[list(_TABLE)].copy()
    for column in _MONEY:
        shown[column] = [report.money(v) for v in shown[column]]
    units = {_TABLE[c]: "percent" for c in ("propensity", "conversion", "capacity_factor")}
    headers = {c: h.format(period=report.period.label) for c, h in _TABLE.items()}
    styler = report.table(shown.rename(columns=headers), units,
                       caption=f"Quota calibration per territory: the yearly calibrated quota, and the "
                               f"{report.period.label} target beside the same total split in its proportions")
    return styler.set_properties(subset=[headers[c] for c in _MONEY], **{"text-align": "right"})
