"""Measures of theme 5, territory quota (seed 001): the inputs of quota calibration read from the
territories table. Expected conversion, weighted opportunity and the calibrated quota are derived metrics
evaluated from the catalog (``quota = tam_amount × propensity × expected_conversion × capacity_factor``);
the pure formulas, allocation table and fairness check live in :mod:`quotabook.quota`.

Above the territory level the inputs are weighted so that the derived product rolls up: propensity is
weighted by TAM and the capacity factor by TAM × propensity, so a region's TACoS × propensity × capacity is
the sum of its territories' (and its quota the sum of theirs when they share one conversion rate).
"""

from __future__ import annotations

import pandas as pd

from ...quota import capacity_adjustment, fairness_check, owner_tenure_months
from ..compute import Context, measure

__all__ = ["territory_capacity"]


def _weighted_mean(ctx: Context, frame: pd.DataFrame, value: str, weight: pd.Series) -> pd.Series:
    """Σ weight × value ÷ Σ weight per group, over rows with both; the plain mean where no row has a weight."""
    v = frame[value].astype("float64")
    w = weight.astype("float64").where(v.notna())
    f = frame.assign(_wv=w * v, _w=w)
    den = ctx.sum(f, "_w")
    weighted = ctx.sum(f, "_wv") / den.where(den > 0)
    return weighted.fillna(ctx.agg(frame, value, "mean"))


def territory_capacity(ctx: Context) -> pd.Series:
    """Capacity factor per territory row (0-1): the territories table's value, or else seed 001's ramp —
    ``ramp_capacity_factor`` for owners in their first ``ramp_months`` months (tenure inferred from their
    first deal or activity, see :func:`quotabook.quota.owner_tenure_months`), else 1."""
    ds, t = ctx.ds, ctx.ds.territories
    tenure = t["owner"].map(owner_tenure_months(ds.opportunities, ds.activities, ctx.reference_date))
    return capacity_adjustment(t["capacity_factor"], tenure, ramp_factor=ctx.threshold("ramp_capacity_factor"),
                               ramp_months=ctx.threshold("ramp_months"))


@measure("tam_amount")
def tam_amount(ctx: Context) -> pd.Series:
    """TACoS of the territories in view (reporting currency)."""
    return ctx.sum(ctx.ds.territories, "tam")


@measure("propensity")
def propensity(ctx: Context) -> pd.Series:
    """Propensity score, TAM-weighted over the territories in view (0-1)."""
    t = ctx.ds.territories
    return _weighted_mean(ctx, t, "propensity", t["tam"])


@measure("capacity_factor")
def capacity_factor(ctx: Context) -> pd.Series:
    """Capacity factor, weighted by TAM × propensity over the territories in view (0-1)."""
    t = ctx.ds.territories
    t = t.assign(capacity_factor=territory_capacity(ctx))
    return _weighted_mean(ctx, t, "capacity_factor", t["tam"] * t["propensity"])


@measure("fairness_variance")
def fairness_variance(ctx: Context) -> pd.Series:
    """Largest |territory's TAM × propensity ÷ the mean over all territories − 1| in the group (fraction)."""
    t = ctx.ds.territories
    t = t.assign(_opportunity=t["tam"].astype("float64") * t["propensity"].astype("float64"))
    fair = fairness_check(t, value="_opportunity", name="territory", tolerance=ctx.threshold("fairness_tolerance"))
    return ctx.agg(t.assign(_spread=fair["deviation"].abs()), "_spread", "max")
