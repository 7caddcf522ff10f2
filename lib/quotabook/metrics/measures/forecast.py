"""Measures of theme 6, forecast: the five forecast methods, the backtest forecast and the pipeline flows.

The computations live in :mod:`quotabook.metrics.forecasting`. Each method gives a per-deal forecast frame
whose ``value`` the context sums per group, so a region's forecast is exactly the sum of its territories'.
Monte Carlo percentiles are not additive: one joint simulation is run per compute call and each group's
percentiles are read from it. All amounts are in the reporting currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..compute import Context, measure
from ..forecasting import methods
from ..forecasting.deals import closed_deals, deals_as_of, open_pipeline, week_start
from ..forecasting.learning import learned_win_probability, stage_age_win_rates
from ..forecasting.methods import category
from ..forecasting.monte_carlo import DEFAULT_SEED, landing_odds, simulate, summarise
from ..forecasting.waterfall import period_flows

__all__: list[str] = []


def _shared(ctx: Context, name: str, make, *, per_period: bool = True):
    """``make()`` once per dataset (and period): deal-level frames that do not depend on the grouping, kept
    with the dataset so that the same metrics by territory, region and rep share them."""
    return ctx.per_dataset((name, ctx.period.start, ctx.period.end) if per_period else (name,), make)


def _rates(ctx: Context) -> pd.DataFrame:
    """Learned win rates by stage and age band (historical method and Monte Carlo): they depend on the
    closed deals only, not on the period or the grouping."""
    return _shared(ctx, "stage_age_win_rates", lambda: stage_age_win_rates(ctx.ds), per_period=False)


def _pipe(ctx: Context) -> pd.DataFrame:
    """The period's open pipeline (every method starts from it)."""
    return _shared(ctx, "open_pipeline", lambda: open_pipeline(ctx.ds, ctx.period))


def _win(ctx: Context) -> pd.Series:
    """Each deal of the period's pipeline at its learned win rate: the historical method and Monte Carlo both
    weigh the pipeline by it."""
    return _shared(ctx, "learned_win_probability", lambda: learned_win_probability(ctx.ds, _pipe(ctx), _rates(ctx)))


def _closed(ctx: Context) -> pd.DataFrame:
    """The period's won deals as a forecast frame."""
    return _shared(ctx, "closed_deals", lambda: closed_deals(ctx.ds, ctx.period))


def _frame(ctx: Context, method: str) -> pd.DataFrame:
    if method == "run_rate_forecast":
        return methods.run_rate(ctx.ds, ctx.period, closed=_closed(ctx))
    if method == "historical_win_rate_forecast":
        return methods.historical_win_rate(ctx.ds, ctx.period, _rates(ctx), pipe=_pipe(ctx), closed=_closed(ctx),
                                           win=_win(ctx))
    return methods.METHODS[method](ctx.ds, ctx.period, pipe=_pipe(ctx), closed=_closed(ctx))


@measure("category_forecast")
def category_forecast(ctx: Context) -> pd.Series:
    """Closed + Commit + best_case_share × Best Case."""
    return ctx.sum(_frame(ctx, "category_forecast"), "value")


@measure("weighted_forecast")
def weighted_forecast(ctx: Context) -> pd.Series:
    """Closed + open pipeline × probability."""
    return ctx.sum(_frame(ctx, "weighted_forecast"), "value")


@measure("historical_win_rate_forecast")
def historical_win_rate_forecast(ctx: Context) -> pd.Series:
    """Closed + open pipeline × learned win rate by stage and age band."""
    return ctx.sum(_frame(ctx, "historical_win_rate_forecast"), "value")


@measure("run_rate_forecast")
def run_rate_forecast(ctx: Context) -> pd.Series:
    """Closed + average bookings of the trailing quarters after the same point of the quarter."""
    return ctx.sum(_frame(ctx, "run_rate_forecast"), "value")


# -- Monte Carlo -------------------------------------------------------------------------------------------
def _group_index(ctx: Context, keys: list[pd.Series]) -> pd.Index:
    return pd.MultiIndex.from_arrays(keys) if len(keys) > 1 else pd.Index(keys[0])


def _monte_carlo(ctx: Context) -> pd.DataFrame:
    """P10 / P50 / P90 / mean / target_probability per group, from one simulation per compute call."""
    if "_monte_carlo" in ctx.cache:
        return ctx.cache["_monte_carlo"]
    closed = ctx.metric("closed_amount")
    deals = _shared(ctx, "landing_odds", lambda: landing_odds(ctx.ds, ctx.period, _rates(ctx), pipe=_pipe(ctx),
                                                              win=_win(ctx)))
    codes = closed.index.get_indexer(_group_index(ctx, ctx.keys(deals)))
    known = codes >= 0
    sims = int(ctx.ds.settings.thresholds.get("monte_carlo_simulations", 10_000))
    simulated = simulate(deals.loc[known, "amount"], deals.loc[known, "p_land"], codes[known], len(closed),
                         simulations=sims, seed=DEFAULT_SEED)
    target = ctx.metric("target_amount").reindex(closed.index) if ctx.ds.has("targets") else None
    result = summarise(simulated, closed.to_numpy(), None if target is None else target.to_numpy(), closed.index)
    ctx.cache["_monte_carlo"] = result
    return result


@measure("monte_carlo_p10")
def monte_carlo_p10(ctx: Context) -> pd.Series:
    """10th percentile of simulated bookings."""
    return _monte_carlo(ctx)["p10"]


@measure("monte_carlo_p50")
def monte_carlo_p50(ctx: Context) -> pd.Series:
    """Median of simulated bookings."""
    return _monte_carlo(ctx)["p50"]


@measure("monte_carlo_p90")
def monte_carlo_p90(ctx: Context) -> pd.Series:
    """90th percentile of simulated bookings."""
    return _monte_carlo(ctx)["p90"]


@measure("target_probability")
def target_probability(ctx: Context) -> pd.Series:
    """Share of simulated quarters reaching the target (0-1)."""
    return _monte_carlo(ctx)["target_probability"]


# -- backtest ----------------------------------------------------------------------------------------------
@measure("backtest_forecast")
def backtest_forecast(ctx: Context) -> pd.Series:
    """The historical win-rate forecast of the period as it stood at the start of week ``backtest_week``,
    rebuilt with ``Dataset.as_of``; NaN until the period has ended (there is nothing to judge it against)."""
    groups = ctx.metric("closed_amount").index
    if ctx.period.last_day > ctx.reference_date.normalize():
        return pd.Series(np.nan, index=groups)
    date = week_start(ctx.period, int(ctx.threshold("backtest_week")))
    # The forecast reads deals and their history only: leaving activities and leads out of the time
    # travel saves copying the biggest tables (the same answer, a fraction of the time and memory). The
    # travel is kept with the dataset (deals_as_of), so every level of the period shares it and its rates.
    past = Context(deals_as_of(ctx.ds, date, always=False), ctx.period, ctx.by, ctx.catalog)
    return past.metric("historical_win_rate_forecast").reindex(groups)


# -- forecast trust: the Commit call ------------------------------------------------------------------------
@measure("commit_call_amount")
def commit_call_amount(ctx: Context) -> pd.Series:
    """Closed + Commit of the period as it stood at the start of week ``commit_call_week``: the call the team
    made that week, rebuilt with ``Dataset.as_of``. Zero for a group that had neither; NaN while that day is
    still ahead of the report date (no call made yet)."""
    ctx.ds.require("commit_call_amount", "opportunity_history")
    ctx.ds.require("commit_call_amount", "opportunities", "forecast_category")
    groups = ctx.metric("closed_amount").index
    date = week_start(ctx.period, int(ctx.threshold("commit_call_week")))
    if date > ctx.reference_date.normalize():
        return pd.Series(np.nan, index=groups)
    past = deals_as_of(ctx.ds, date, always=False)  # shared by every level of the period, like the backtest's
    # Summed per group found, then read in today's groups: the past dataset's own list of groups is not needed.
    call = Context(past, ctx.period, ctx.by, ctx.catalog).found_sum(category(past, ctx.period, best_case_share=0.0),
                                                                    "value")
    return call.reindex(groups).fillna(0.0)


# -- pipeline flows ----------------------------------------------------------------------------------------
def _flows(ctx: Context) -> pd.DataFrame:
    return _shared(ctx, "period_flows", lambda: period_flows(ctx.ds, ctx.period))


@measure("pipeline_inflow_amount")
def pipeline_inflow_amount(ctx: Context) -> pd.Series:
    """Created + pulled in + increased since the period began (up to the report date)."""
    return ctx.sum(_flows(ctx), "inflow")


@measure("pipeline_outflow_amount")
def pipeline_outflow_amount(ctx: Context) -> pd.Series:
    """Decreased + won + lost + slipped out since the period began (up to the report date)."""
    return ctx.sum(_flows(ctx), "outflow")
