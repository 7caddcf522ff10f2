"""Forecasting that proves itself: backtests, trust in Commit calls, trend, strike zone, the forecast study.

The forecast methods themselves (category, stage-weighted, historical win rate, run rate, Monte Carlo,
pipeline flows) are in :mod:`quotabook.metrics.forecasting`, under the catalog metrics they compute; this
package judges and shows them:

- :mod:`~quotabook.forecast.backtest`: every method rerun on past quarters, week by week, via ``as_of``;
- :mod:`~quotabook.forecast.trust`: how far past Commit calls can be trusted, rep by rep;
- :mod:`~quotabook.forecast.trend`: open pipeline by stage, week by week, against the target;
- :mod:`~quotabook.forecast.strike_zone`: win rate and expected value by deal size × age;
- :mod:`~quotabook.forecast.study`: everything the forecast notebook shows, computed once per report.
"""

from . import backtest, strike_zone, trend, trust
from .study import ForecastStudy, study

__all__ = ["ForecastStudy", "backtest", "strike_zone", "study", "trend", "trust"]
