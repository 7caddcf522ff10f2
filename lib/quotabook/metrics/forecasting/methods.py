"""Four deterministic forecast methods of the period's bookings, each as a forecast frame (see ``deals``).

1. **Category** (the forecast call): closed + Commit + ``best_case_share`` × Best Case.
2. **Stage-weighted**: closed + each open deal × its CRM probability (the stage map's default without one).
3. **Historical win rate**: closed + each open deal × the win rate this team had for deals at the same stage
   and age band (:mod:`quotabook.metrics.forecasting.learning`, learned only from deals closed by the dataset's date).
4. **Run-rate**: closed + what the previous ``RUN_RATE_QUARTERS`` quarters booked, on average, *after the same
   point of the quarter*. Bookings bunch up at quarter end, so the week of the quarter matters: at week 10 a
   plain daily rate × days left would miss the hockey stick that history shows still to come.

The fifth method, Monte Carlo, is in :mod:`quotabook.metrics.forecasting.monte_carlo`. ``METHODS`` maps the catalog
metric of each method to its function; the catalog measures sum the frames' ``value`` per group.
"""

from __future__ import annotations

import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from .deals import closed_deals, contributions, deal_table, elapsed_days, flag, open_pipeline, period_days
from .learning import learned_win_probability

__all__ = ["METHODS", "METHOD_LABELS", "RUN_RATE_QUARTERS", "category", "historical_win_rate", "run_rate",
           "trailing_quarters", "weighted"]

RUN_RATE_QUARTERS = 4


def category(ds: Dataset, period: Period, best_case_share: float | None = None, *,
             pipe: pd.DataFrame | None = None, closed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Closed + Commit + a share of Best Case (``best_case_share`` from the workbook by default).

    ``pipe`` / ``closed``: :func:`~quotabook.metrics.forecasting.deals.open_pipeline` and ``closed_deals`` when the
    caller has them already (every method starts from the same two; the measures compute them once).
    """
    share = ds.settings.threshold("best_case_share") if best_case_share is None else best_case_share
    pipe = open_pipeline(ds, period) if pipe is None else pipe
    commit = contributions(pipe[pipe["forecast_category"] == "Commit"], "commit", 1.0)
    best = contributions(pipe[pipe["forecast_category"] == "Best Case"], "best case", share)
    return _stack(_closed(ds, period, closed), commit, best)


def weighted(ds: Dataset, period: Period, *, pipe: pd.DataFrame | None = None,
             closed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Closed + open pipeline × probability / 100 (CRM probability, else the stage map's default)."""
    pipe = open_pipeline(ds, period) if pipe is None else pipe
    return _stack(_closed(ds, period, closed), contributions(pipe, "pipeline", pipe["probability"] / 100))


def historical_win_rate(ds: Dataset, period: Period, rates: pd.DataFrame | None = None, *,
                        pipe: pd.DataFrame | None = None, closed: pd.DataFrame | None = None,
                        win: pd.Series | None = None) -> pd.DataFrame:
    """Closed + open pipeline × the learned win rate of its stage and age band (``rates``: from
    :func:`~quotabook.metrics.forecasting.learning.stage_age_win_rates` when the caller has them; ``win``: each
    deal of ``pipe``'s :func:`~quotabook.metrics.forecasting.learning.learned_win_probability`, when it has that)."""
    pipe = open_pipeline(ds, period) if pipe is None else pipe
    rate = learned_win_probability(ds, pipe, rates) if win is None else win
    return _stack(_closed(ds, period, closed), contributions(pipe, "pipeline", rate))


def trailing_quarters(ds: Dataset, period: Period, quarters: int = RUN_RATE_QUARTERS) -> list[Period]:
    """The ``quarters`` fiscal quarters before ``period`` (before the report date's quarter when ``period``
    has not started yet, so only finished quarters are averaged)."""
    cal = ds.calendar
    ref = ds.reference_date.normalize()
    anchor = period if period.start <= ref else cal.period_of(ref)
    return [cal.shift(anchor, -k) for k in range(quarters, 0, -1)]


def run_rate(ds: Dataset, period: Period, quarters: int = RUN_RATE_QUARTERS, *,
             closed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Closed + the average, over the trailing quarters, of what they booked after the same share of the
    quarter had gone by as has gone by now (component ``trailing``: each such won deal at weight 1/quarters)."""
    share = elapsed_days(period, ds.reference_date) / period_days(period)
    o = deal_table(ds)
    won = o[flag(o, "is_won")]
    later = pd.Series(False, index=won.index)
    for q in trailing_quarters(ds, period, quarters):  # a few quarters; each selection is vectorised
        cut = q.start + pd.Timedelta(days=round(share * period_days(q)))
        later |= (won["close_date"] >= cut) & (won["close_date"] < q.end)
    return _stack(_closed(ds, period, closed), contributions(won[later], "trailing", 1.0 / quarters))


def _closed(ds: Dataset, period: Period, closed: pd.DataFrame | None) -> pd.DataFrame:
    return closed_deals(ds, period) if closed is None else closed


def _stack(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([f for f in frames if len(f)] or [frames[0]], ignore_index=True)


#: catalog metric -> method function (ds, period) -> forecast frame
METHODS = {
    "category_forecast": category,
    "weighted_forecast": weighted,
    "historical_win_rate_forecast": historical_win_rate,
    "run_rate_forecast": run_rate,
}
#: catalog metric -> short name for charts and tables (the five methods, Monte Carlo by its median)
METHOD_LABELS = {
    "category_forecast": "Category",
    "weighted_forecast": "Stage-weighted",
    "historical_win_rate_forecast": "Historical win rate",
    "run_rate_forecast": "Run-rate",
    "monte_carlo_p50": "Monte Carlo median",
}
