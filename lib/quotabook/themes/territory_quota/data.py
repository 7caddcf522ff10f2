"""Territory quota views: the calibrated quota per territory beside the target actually set, and
the fairness of the opportunity behind it.

TACoS, propensity, expected conversion, capacity (with the ramp) and target are catalog metrics
(``tam_amount``, ``propensity``, ``expected_conversion``, ``capacity_factor``, ``target_amount``). Expected
conversion is the territory's win rate over the period and the three quarters before it, not one quarter's: a
single quarter with no win would zero a quota. :func:`trailing_results` gives the same window's counts and
deal sizes for the what-if. Weighted opportunity and quota then follow the calibration formula
(:func:`quotabook.metrics.quota.allocation_table`). The fairness deviation is
:func:`quotabook.metrics.quota.fairness_check` on TACoS × propensity, the same computation as the ``fairness_variance``
metric, with its sign kept so a territory reads as above or below the mean.

The calibrated quota is an annual figure on the TACoS scale; the target is the period's. They are compared
by share: ``calibrated_target`` splits the scope's period target in proportion to calibrated quota, and
``target_gap`` (target − calibrated_target) says how much more (positive) or less target a territory
carries than its opportunity and capacity support. Amounts are in the reporting currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from ...metrics import compute_wide
from ...metrics.catalog import note_shown
from ...metrics.quota import allocation_table, fairness_check

__all__ = ["CALIBRATION_METRICS", "calibration", "trailing_results"]

#: The catalog metrics the calibration reads (the glossary of the territory quota notebook lists them).
CALIBRATION_METRICS = ["tam_amount", "propensity", "expected_conversion", "capacity_factor", "target_amount"]
_COLUMNS = ["territory", "region", "owner", "tam_amount", "propensity", "conversion", "capacity_factor",
            "weighted_opportunity", "quota", "target_amount", "deviation", "fair", "target_share", "quota_share",
            "calibrated_target", "target_gap"]


def trailing_results(ds: Dataset, period: str | Period, quarters: int = 4) -> pd.DataFrame:
    """Per territory, deals won and closed over ``period`` and the ``quarters`` − 1 quarters before it.

    Returns
    -------
    DataFrame
        Indexed by territory: ``won_count``, ``closed_count`` (deals), ``won_amount`` (currency),
        ``win_rate`` (won ÷ closed, 0-1) and ``deal_size`` (won amount ÷ won deals). A territory with
        nothing closed (or won) takes the whole scope's rate (or size); NaN when the scope has none either.
    """
    period = ds.period(period)
    names = ["won_count", "closed_count", "closed_amount"]
    frames = [compute_wide(names, ds, ds.calendar.shift(period, -k)).reindex(columns=names)
              for k in range(quarters)]
    total = sum(f.fillna(0.0) for f in frames).rename(columns={"closed_amount": "won_amount"})
    total = total.reindex(ds.territories["territory"].drop_duplicates()).fillna(0.0)
    won, closed, amount = total["won_count"], total["closed_count"], total["won_amount"]
    scope_rate = won.sum() / closed.sum() if closed.sum() else np.nan
    scope_size = amount.sum() / won.sum() if won.sum() else np.nan
    total["win_rate"] = (won / closed.where(closed > 0)).fillna(scope_rate)
    total["deal_size"] = (amount / won.where(won > 0)).fillna(scope_size)
    return total.rename_axis("territory")


def calibration(ds: Dataset, period: str | Period) -> pd.DataFrame:
    """The allocation table for the territories in ``ds``, with the target of ``period`` beside it.

    Returns
    -------
    DataFrame
        One row per territory, largest calibrated quota first: ``territory``, ``region``, ``owner``,
        ``tam_amount``, ``propensity``, ``conversion`` (four-quarter win rate), ``capacity_factor``,
        ``weighted_opportunity``, ``quota`` (annual), ``target_amount`` (the period's), ``deviation``
        (TACoS × propensity ÷ its mean − 1, signed), ``fair``
        (within ± ``fairness_tolerance``), ``target_share`` and ``quota_share`` (of the scope, 0-1),
        ``calibrated_target`` and ``target_gap``. ``attrs["unavailable"]`` lists metrics the data cannot
        support (e.g. no ``territories.tam``); then the frame is empty.
    """
    note_shown(["win_rate", "weighted_opportunity", "quota", "fairness_variance"])  # computed here: for the glossary
    wide = compute_wide(CALIBRATION_METRICS, ds, period)
    unavailable = dict(wide.attrs.get("unavailable", {}))
    if {"tam_amount", "propensity"} & set(unavailable) or wide.empty:
        out = pd.DataFrame(columns=_COLUMNS)
        out.attrs["unavailable"] = unavailable
        return out
    t = ds.territories.drop_duplicates("territory").set_index("territory")
    tolerance = ds.settings.threshold("fairness_tolerance")
    inputs = pd.DataFrame({"territory": wide.index, "tam": wide["tam_amount"].to_numpy(),
                           "propensity": wide["propensity"].to_numpy(),
                           "capacity_factor": wide.reindex(columns=["capacity_factor"])["capacity_factor"].to_numpy()})
    conversion = wide["expected_conversion"].to_numpy()  # the catalog's: trailing win rate per territory
    table = allocation_table(inputs, conversion, tolerance=tolerance)
    out = pd.DataFrame({"territory": table["territory"], "region": table["territory"].map(t["region"]),
                        "owner": table["territory"].map(t["owner"]), "tam_amount": table["tam"],
                        "propensity": table["propensity"], "conversion": table["conversion"],
                        "capacity_factor": table["capacity_factor"],
                        "weighted_opportunity": table["weighted_opportunity"], "quota": table["quota"],
                        "target_amount": wide.reindex(columns=["target_amount"])["target_amount"].to_numpy()})
    opportunity = out.assign(_opportunity=out["tam_amount"] * out["propensity"])
    fair = fairness_check(opportunity, value="_opportunity", name="territory", tolerance=tolerance)
    out["deviation"], out["fair"] = fair["deviation"], fair["within"]
    target = out["target_amount"].fillna(0.0)
    quota = out["quota"].fillna(0.0)
    out["target_share"] = target / target.sum() if target.sum() > 0 else np.nan
    out["quota_share"] = quota / quota.sum() if quota.sum() > 0 else np.nan
    out["calibrated_target"] = out["quota_share"] * target.sum()
    out["target_gap"] = target - out["calibrated_target"]
    out = out.sort_values(["quota", "territory"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.attrs["unavailable"] = unavailable
    out.attrs["tolerance"] = tolerance
    return out
