"""Quota calibration ("Quota Calibration Formula and Sample Calculation"): pure, vectorised
functions over a territories (or reps) frame.

    Quota = TACoS × Propensity score × Expected conversion rate × Capacity adjustment factor

where the capacity adjustment accounts for ramp (70% for new hires in their first 12 months). The
worked example: a $50M TAM across 5 AEs gives $10M per AE; weighted by propensity 0.8 and 25% conversion
that is $2M of potential; with 80% capacity the quota is $1.6M a year. Its allocation table (AE1..AE5 with
12/10/9/10/9 $M of TAM) gives weighted opportunity 2.4/2.0/1.8/2.0/1.8 and quotas 1.92/1.60/1.44/1.60/1.44
$M. Fairness: each territory's weighted opportunity within ±10% of the mean; outliers are named.

Amounts are in the reporting currency; propensity, conversion and capacity are fractions 0-1; quotas are
rounded to the cent. Every function accepts scalars, numpy arrays or pandas Series (element-wise).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_RAMP_FACTOR",
    "DEFAULT_RAMP_MONTHS",
    "DEFAULT_TOLERANCE",
    "allocation_table",
    "calibrated_quota",
    "capacity_adjustment",
    "fairness_check",
    "fairness_outliers",
    "owner_tenure_months",
    "quota_per_rep",
    "quota_sensitivity",
    "weighted_opportunity",
]

# The worked example's values, also in params/workbook.yaml (thresholds ramp_capacity_factor, ramp_months,
# fairness_tolerance); callers with settings pass the workbook's values.
DEFAULT_RAMP_FACTOR = 0.70
DEFAULT_RAMP_MONTHS = 12
DEFAULT_TOLERANCE = 0.10
_EPS = 1e-9  # a deviation of exactly the tolerance (the worked example's AE3 at −10%) is within it
_MONTH_DAYS = 365.25 / 12
_QUOTA_INPUTS = ("tam", "propensity", "conversion", "capacity_factor")


def _cents(x):
    return np.round(x, 2)


def weighted_opportunity(tam, propensity, conversion):
    """TACoS × propensity × expected conversion: the bookings a territory can be expected to yield (currency)."""
    return tam * propensity * conversion


def calibrated_quota(tam, propensity, conversion, capacity=1.0):
    """The calibrated quota: TACoS × propensity × conversion × capacity adjustment, rounded to the cent (currency).

    Linear in each input: scaling any one of them by ``k`` scales the quota by ``k`` (up to the cent).
    """
    return _cents(weighted_opportunity(tam, propensity, conversion) * capacity)


def quota_per_rep(total_tam, reps, propensity, conversion, capacity=1.0):
    """The worked example: a TAM shared equally by ``reps`` AEs, then calibrated (currency per AE).

    ``quota_per_rep(50e6, 5, 0.8, 0.25, 0.8)`` is 1,600,000: $10M each × 0.8 × 0.25 = $2M × 0.8.
    """
    return calibrated_quota(np.asarray(total_tam, dtype="float64") / reps, propensity, conversion, capacity)


def capacity_adjustment(capacity=None, tenure_months=None, *, ramp_factor: float = DEFAULT_RAMP_FACTOR,
                        ramp_months: float = DEFAULT_RAMP_MONTHS):
    """Capacity adjustment factor (0-1) per seller.

    A given ``capacity`` is used as is. Where it is missing (None or NaN): ``ramp_factor`` for sellers in
    their first ``ramp_months`` months (``tenure_months`` below it), else 1. Unknown tenure counts as ramped.
    """
    tenure = np.asarray(np.inf if tenure_months is None else tenure_months, dtype="float64")
    ramp = np.where(tenure < ramp_months, ramp_factor, 1.0)
    if capacity is None:
        return ramp if ramp.ndim else float(ramp)
    cap = np.asarray(capacity, dtype="float64")
    out = np.where(np.isnan(cap), ramp, cap)
    if isinstance(capacity, pd.Series):
        return pd.Series(out, index=capacity.index, name="capacity_factor")
    return out if out.ndim else float(out)


def owner_tenure_months(opportunities: pd.DataFrame, activities: pd.DataFrame, reference_date,
                        *, grace_days: int = 31) -> pd.Series:
    """Months each owner has been selling at ``reference_date``, inferred from the data (no hire date in the
    canonical schema): from the owner's first created deal or first activity.

    An owner already present within ``grace_days`` of the data's first date was hired before the data
    starts; their tenure is unknown and given as ``inf`` (counted as ramped). Indexed by owner.
    """
    first = pd.concat([pd.to_datetime(opportunities["created_date"]).groupby(opportunities["owner"]).min(),
                       pd.to_datetime(activities["activity_date"]).groupby(activities["owner"]).min()], axis=1)
    first_seen = first.min(axis=1)
    if first_seen.empty:
        return pd.Series(dtype="float64", name="tenure_months")
    tenure = (pd.Timestamp(reference_date) - first_seen).dt.days / _MONTH_DAYS
    from_start = first_seen <= first_seen.min() + pd.Timedelta(days=grace_days)
    return tenure.where(~from_start, np.inf).astype("float64").rename("tenure_months")


def _column_or(frame: pd.DataFrame, column: str, default) -> pd.Series:
    if column in frame:
        return frame[column].astype("float64")
    return pd.Series(default, index=frame.index, dtype="float64")


def allocation_table(territories: pd.DataFrame, conversion=None, *, name: str = "territory",
                     ramp_factor: float = DEFAULT_RAMP_FACTOR, ramp_months: float = DEFAULT_RAMP_MONTHS,
                     tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """The allocation table: weighted opportunity and calibrated quota per territory (or rep).

    Parameters
    ----------
    territories : DataFrame
        One row per territory with ``name``, ``tam`` (currency), ``propensity`` (0-1) and optionally
        ``conversion`` (0-1, used when ``conversion`` is None), ``capacity_factor`` (0-1) and
        ``tenure_months`` (for the ramp where capacity is missing).
    conversion : float or Series, optional
        Expected conversion (0-1), one for all or aligned with ``territories``.
    name : the column naming each row (``territory``, ``owner``, "Rep ID" ...).
    ramp_factor, ramp_months : ramp of new hires (see :func:`capacity_adjustment`).
    tolerance : fairness tolerance around the mean weighted opportunity (0.10 = ±10%).

    Returns
    -------
    DataFrame
        ``name``, ``tam``, ``propensity``, ``conversion``, ``weighted_opportunity`` (currency),
        ``capacity_factor``, ``quota`` (currency, to the cent), ``deviation`` (weighted opportunity ÷ mean − 1)
        and ``fair`` (within the tolerance).
    """
    t = territories
    conv = _column_or(t, "conversion", np.nan) if conversion is None else conversion
    capacity = capacity_adjustment(_column_or(t, "capacity_factor", np.nan), _column_or(t, "tenure_months", np.inf),
                                   ramp_factor=ramp_factor, ramp_months=ramp_months)
    out = pd.DataFrame({name: t[name], "tam": t["tam"].astype("float64"),
                        "propensity": t["propensity"].astype("float64")}, index=t.index)
    out["conversion"] = conv
    out["weighted_opportunity"] = weighted_opportunity(out["tam"], out["propensity"], out["conversion"])
    out["capacity_factor"] = capacity
    out["quota"] = _cents(out["weighted_opportunity"] * out["capacity_factor"])
    fair = fairness_check(out, value="weighted_opportunity", name=name, tolerance=tolerance)
    return out.assign(deviation=fair["deviation"], fair=fair["within"])


def fairness_check(table: pd.DataFrame, *, value: str = "weighted_opportunity", name: str = "territory",
                   tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """The fairness check: is each row's ``value`` within ±``tolerance`` of the mean over all rows?

    Returns
    -------
    DataFrame
        ``name``, ``value``, ``mean`` (over rows with a value), ``deviation`` (value ÷ mean − 1, a fraction)
        and ``within`` (|deviation| ≤ tolerance; a deviation of exactly the tolerance is within). Rows
        without a value are not ``within``.
    """
    values = table[value].astype("float64")
    mean = values.mean()
    deviation = values / mean - 1 if mean else values * np.nan
    return pd.DataFrame({name: table[name], value: values, "mean": mean, "deviation": deviation,
                         "within": deviation.abs() <= tolerance + _EPS}, index=table.index)


def fairness_outliers(table: pd.DataFrame, *, value: str = "weighted_opportunity", name: str = "territory",
                      tolerance: float = DEFAULT_TOLERANCE) -> pd.Series:
    """The rows outside the fairness band, named: a Series indexed by ``name`` whose text says how far and
    which way each lies from the mean (e.g. ``"AE1: 20% above the mean"``), largest deviation first."""
    fair = fairness_check(table, value=value, name=name, tolerance=tolerance)
    out = fair[~fair["within"] & fair["deviation"].notna()]
    out = out.reindex(out["deviation"].abs().sort_values(ascending=False, kind="stable").index)
    pct = (out["deviation"].abs() * 100).round(1)
    side = np.where(out["deviation"] > 0, "above", "below")
    text = out[name].astype(str) + ": " + pct.astype(str).str.removesuffix(".0") + "% " + side + " the mean"
    return pd.Series(text.to_numpy(), index=pd.Index(out[name], name=name), name="outlier", dtype="object")


def quota_sensitivity(table: pd.DataFrame, changes: Sequence[float] = (-0.2, -0.1, 0.1, 0.2), *,
                      inputs: Sequence[str] = _QUOTA_INPUTS,
                      name: str = "territory") -> pd.DataFrame:
    """Quota per row when one input moves by each of ``changes`` (vary inputs by ±10-20%).

    ``table`` is an :func:`allocation_table`; ``inputs`` are some of its columns tam, propensity, conversion
    and capacity_factor. Returns long rows ``name, input, change, quota, quota_change``
    (currency); the quota is linear in each input, so ``quota_change`` is ``change`` × the base quota.
    """
    base = table[[name, *_QUOTA_INPUTS]].reset_index(drop=True)
    grid = pd.MultiIndex.from_product([range(len(base)), list(inputs), list(changes)],
                                      names=["row", "input", "change"]).to_frame(index=False)
    rows = base.iloc[grid["row"]].reset_index(drop=True)
    factors = pd.DataFrame({c: np.where(grid["input"] == c, 1 + grid["change"], 1.0) for c in _QUOTA_INPUTS})
    moved = rows[list(_QUOTA_INPUTS)] * factors
    quota = calibrated_quota(moved["tam"], moved["propensity"], moved["conversion"], moved["capacity_factor"])
    base_quota = calibrated_quota(rows["tam"], rows["propensity"], rows["conversion"], rows["capacity_factor"])
    return pd.DataFrame({name: rows[name], "input": grid["input"], "change": grid["change"], "quota": quota,
                         "quota_change": _cents(quota - base_quota)})
