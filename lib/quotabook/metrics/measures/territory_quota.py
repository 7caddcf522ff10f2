"""Measures of theme 5, territory quota: the inputs of quota calibration. TACoS, propensity and
capacity come from the territories table; expected conversion is each territory's win rate over the last
``conversion_quarters`` quarters (four by default: one quarter is too few deals, and a territory that closed
nothing takes the win rate of everything in view). Weighted opportunity and the calibrated quota are derived
metrics evaluated from the catalog (``quota = tam_amount × propensity × expected_conversion ×
capacity_factor``); the pure formulas, allocation table and fairness check live in :mod:`quotabook.metrics.quota`.

Above the territory level each input is weighted by the product of the ones before it — propensity by TAM,
conversion by TAM × propensity, capacity by TAM × propensity × conversion — so the derived product of a
region is exactly the sum of its territories' weighted opportunity and quota.
"""

from __future__ import annotations

import pandas as pd

from ...activities import activity_spans, first_activity
from ..compute import Context, measure
from ..quota import capacity_adjustment, fairness_check, owner_tenure_months

__all__ = ["territory_capacity", "territory_conversion"]


def _weighted_mean(ctx: Context, frame: pd.DataFrame, value: str, weight: pd.Series) -> pd.Series:
    """Σ weight × value ÷ Σ weight per group, over rows with both; the plain mean where no row has a weight."""
    v = frame[value].astype("float64")
    w = weight.astype("float64").where(v.notna())
    f = frame.assign(_wv=w * v, _w=w)
    den = ctx.sum(f, "_w")
    weighted = ctx.sum(f, "_wv") / den.where(den > 0)
    return weighted.fillna(ctx.agg(frame, value, "mean"))


def territory_capacity(ctx: Context) -> pd.Series:
    """Capacity factor per territory row (0-1): the territories table's value, or else the ramp —
    ``ramp_capacity_factor`` for owners in their first ``ramp_months`` months (tenure inferred from their
    first deal or activity, see :func:`quotabook.metrics.quota.owner_tenure_months`), else 1."""
    ds, t = ctx.ds, ctx.ds.territories
    first = first_activity(activity_spans(ds))  # each owner's first activity, from the counts per owner × type
    tenure = t["owner"].map(owner_tenure_months(ds.opportunities, first, ctx.reference_date))
    return capacity_adjustment(t["capacity_factor"], tenure, ramp_factor=ctx.threshold("ramp_capacity_factor"),
                               ramp_months=ctx.threshold("ramp_months"))


def territory_conversion(ctx: Context) -> pd.Series:
    """Expected conversion per territory row (0-1): won ÷ closed deals with a close date in the period or the
    ``conversion_quarters`` − 1 quarters before it; the rate of all territories in view where a territory
    closed none (NaN when none closed anything)."""
    if "conversion" in ctx._memo:
        return ctx._memo["conversion"]
    ds, t = ctx.ds, ctx.ds.territories
    first = ds.calendar.shift(ctx.period, -(int(ctx.threshold("conversion_quarters")) - 1))
    o = ds.opportunities
    window = (o["close_date"] >= pd.Timestamp(first.start)) & (o["close_date"] < pd.Timestamp(ctx.period.end))
    closed = o[window & o["is_closed"].fillna(False).astype(bool)]
    won = closed["is_won"].fillna(False).astype("float64").groupby(closed["territory"]).sum()
    count = closed.groupby("territory").size().astype("float64")
    scope = won.sum() / count.sum() if count.sum() > 0 else float("nan")
    rate = (won / count.where(count > 0)).reindex(t["territory"].to_numpy()).fillna(scope)
    ctx._memo["conversion"] = pd.Series(rate.to_numpy(), index=t.index, dtype="float64")
    return ctx._memo["conversion"]


@measure("tam_amount")
def tam_amount(ctx: Context) -> pd.Series:
    """TACoS of the territories in view (reporting currency)."""
    return ctx.sum(ctx.ds.territories, "tam")


@measure("propensity")
def propensity(ctx: Context) -> pd.Series:
    """Propensity score, TAM-weighted over the territories in view (0-1)."""
    t = ctx.ds.territories
    return _weighted_mean(ctx, t, "propensity", t["tam"])


@measure("expected_conversion")
def expected_conversion(ctx: Context) -> pd.Series:
    """Trailing win rate per territory, weighted by TAM × propensity above the territory level (0-1)."""
    t = ctx.ds.territories
    t = t.assign(conversion=territory_conversion(ctx))
    return _weighted_mean(ctx, t, "conversion", t["tam"] * t["propensity"])


@measure("capacity_factor")
def capacity_factor(ctx: Context) -> pd.Series:
    """Capacity factor, weighted by TAM × propensity × conversion over the territories in view (0-1)."""
    t = ctx.ds.territories
    t = t.assign(capacity_factor=territory_capacity(ctx))
    conversion = territory_conversion(ctx) if ctx.ds.has("opportunities") else 1.0
    return _weighted_mean(ctx, t, "capacity_factor", t["tam"] * t["propensity"] * conversion)


@measure("fairness_variance")
def fairness_variance(ctx: Context) -> pd.Series:
    """Largest |territory's TAM × propensity ÷ the mean over all territories − 1| in the group (fraction)."""
    t = ctx.ds.territories
    t = t.assign(_opportunity=t["tam"].astype("float64") * t["propensity"].astype("float64"))
    fair = fairness_check(t, value="_opportunity", name="territory", tolerance=ctx.threshold("fairness_tolerance"))
    return ctx.agg(t.assign(_spread=fair["deviation"].abs()), "_spread", "max")
