"""Forecasting that proves itself: five methods, Monte Carlo, backtests, pipeline flows, trend, strike zone.

- :mod:`~quotabook.forecast.methods`: category, stage-weighted, historical win rate and run-rate forecasts;
- :mod:`~quotabook.forecast.monte_carlo`: simulated quarters → P10 / P50 / P90 and the chance of target;
- :mod:`~quotabook.forecast.learning`: win rates by stage and age band, and the slip rate, from history;
- :mod:`~quotabook.forecast.backtest`: every method rerun on past quarters, week by week, via ``as_of``;
- :mod:`~quotabook.forecast.waterfall`: pipeline inflow / outflow between two dates, reconciling exactly;
- :mod:`~quotabook.forecast.trend`: open pipeline by stage, week by week, against the target;
- :mod:`~quotabook.forecast.strike_zone`: win rate and expected value by deal size × age;
- :mod:`~quotabook.forecast.study`: everything the forecast notebook shows, computed once per report.

The catalog metrics (``category_forecast`` … ``pipeline_outflow_amount``) are computed from these modules by
the measures in :mod:`quotabook.metrics.measures.forecast`.
"""

from . import backtest, deals, learning, methods, monte_carlo, strike_zone, trend, waterfall
from .study import ForecastStudy, study

__all__ = ["ForecastStudy", "backtest", "deals", "learning", "methods", "monte_carlo", "strike_zone", "study",
           "trend", "waterfall"]
