"""Measure functions, one module per theme. Importing this package registers every measure."""

from . import (
    activity_ratios,
    forecast,
    funnel,
    integrity,
    reps,
    target_achievement,
    territory_quota,
    velocity,
    won_lost,
)

__all__ = ["activity_ratios", "forecast", "funnel", "integrity", "reps", "target_achievement", "territory_quota",
           "velocity", "won_lost"]
