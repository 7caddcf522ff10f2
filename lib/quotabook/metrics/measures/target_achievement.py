"""Measures of theme 1, target achievement (seeds 000 and 001): the number stack per territory.

Open amounts count deals whose close date falls in the period; closed amounts count deals won with a
close date in the period. The forecast category of a closed-won deal is Closed whatever the CRM says.
"""

from __future__ import annotations

import pandas as pd

from ..compute import Context, measure


def _open_in_category(ctx: Context, category: str) -> pd.Series:
    o = ctx.closing_in_period()
    return ctx.sum(o[~o["is_closed"] & (o["forecast_category"] == category)], "amount")


@measure("closed_amount")
def closed_amount(ctx: Context) -> pd.Series:
    o = ctx.closing_in_period()
    return ctx.sum(o[o["is_won"]], "amount")


@measure("commit_amount")
def commit_amount(ctx: Context) -> pd.Series:
    return _open_in_category(ctx, "Commit")


@measure("best_case_amount")
def best_case_amount(ctx: Context) -> pd.Series:
    return _open_in_category(ctx, "Best Case")


@measure("pipeline_amount")
def pipeline_amount(ctx: Context) -> pd.Series:
    return _open_in_category(ctx, "Pipeline")


@measure("target_amount")
def target_amount(ctx: Context) -> pd.Series:
    t = ctx.ds.targets
    return ctx.sum(t[t["period"] == ctx.period.label], "target_amount")
