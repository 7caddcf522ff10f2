"""How a forecast is made, deal by deal: the computations behind the catalog's forecast metrics.

- :mod:`~quotabook.metrics.forecasting.deals`: the forecast frame of open and won deals, and the deal flags;
- :mod:`~quotabook.metrics.forecasting.methods`: category, stage-weighted, historical win rate and run-rate
  forecasts;
- :mod:`~quotabook.metrics.forecasting.learning`: win rates by stage and age band, and the slip rate, from history;
- :mod:`~quotabook.metrics.forecasting.monte_carlo`: simulated quarters → P10 / P50 / P90 and the chance of target;
- :mod:`~quotabook.metrics.forecasting.waterfall`: pipeline inflow / outflow between two dates, reconciling exactly.

The measures in :mod:`quotabook.metrics.measures.forecast` sum these per-deal frames per group, so a region's
forecast is the sum of its territories'. They build on the dataset and the history helpers only, never on
the metric registry: :mod:`quotabook.forecast` (backtests, trust, the strike zone and the forecast page's
study) builds on both.
"""

from . import deals, learning, methods, monte_carlo, waterfall

__all__ = ["deals", "learning", "methods", "monte_carlo", "waterfall"]
