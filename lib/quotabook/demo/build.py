"""Assemble the demo district: one seeded run of every simulation step, in dependency order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..fiscal import FiscalCalendar
from ..schemas import TABLES
from ..settings import Settings, load_settings
from .activities import simulate_activities
from .clock import BusinessClock
from .deals import simulate_deals
from .leads import simulate_leads
from .org import build_org
from .plans import build_activity_goals, build_targets
from .stages import StageMap

__all__ = ["DEALS_PER_QUARTER", "generate"]

DEALS_PER_QUARTER = 375  # ~3,000 opportunities created over eight quarters
WARMUP_QUARTERS = 2  # deals created this long before the first quarter make up its opening pipeline
TABLE_ORDER = ("opportunities", "opportunity_history", "activities", "leads", "territories", "targets",
               "activity_goals")


def generate(
    seed: int = 7,
    snapshot: str | pd.Timestamp = "2026-11-16",
    quarters: int = 8,
    settings: Settings | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a realistic synthetic sales district in the canonical tables.

    Parameters
    ----------
    seed
        Seeds every random draw: the same seed gives identical tables (and byte-identical files).
    snapshot
        The export date. Nothing happens on or after it: the data ends the working day before, as an
        export taken first thing that morning would.
    quarters
        Fiscal quarters covered, the last one being the quarter holding ``snapshot`` (in progress).
    settings
        Workbook settings (stage map, fiscal calendar, currency); read with
        :func:`quotabook.settings.load_settings` when omitted.

    Returns
    -------
    dict[str, pandas.DataFrame]
        ``opportunities``, ``opportunity_history``, ``activities``, ``leads``, ``territories``,
        ``targets`` and ``activity_goals``, with exactly the columns of :data:`quotabook.schemas.TABLES`.
    """
    if quarters < 1:
        raise ValueError(f"quarters must be at least 1, got {quarters}")
    settings = settings or load_settings()
    calendar = FiscalCalendar.from_settings(settings)
    snap = pd.Timestamp(snapshot).normalize()
    current = calendar.period_of(snap)
    periods = calendar.range(calendar.shift(current, -(quarters - 1)), current)
    clock = BusinessClock()

    def bd(ts: pd.Timestamp) -> int:
        return int(clock.bd(np.array([ts.to_datetime64()]))[0])

    snapshot_bd, window_bd = bd(snap), bd(periods[0].start)
    start_bd = bd(calendar.shift(periods[0], -WARMUP_QUARTERS).start)
    rng_org, rng_deals, rng_acts, rng_leads, rng_plans = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    org = build_org(rng_org, snapshot_bd)
    deals = simulate_deals(
        rng_deals, org, StageMap.from_settings(settings), clock,
        start_bd=start_bd, window_bd=window_bd, snapshot_bd=snapshot_bd,
        expected_in_window=DEALS_PER_QUARTER * quarters * (snapshot_bd - window_bd)
        / max(bd(periods[-1].end) - window_bd, 1),
        fiscal_start_month=settings.fiscal_start_month, currency=settings.currency,
    )
    activities, last_activity = simulate_activities(rng_acts, org, deals, clock, window_bd, snapshot_bd)
    opportunities = deals.opportunities.assign(last_activity_date=last_activity)
    tables = {
        "opportunities": opportunities,
        "opportunity_history": deals.history,
        "activities": activities,
        "leads": simulate_leads(rng_leads, org, deals, clock, snapshot_bd),
        "territories": org.territories,
        "targets": build_targets(rng_plans, org, opportunities, calendar.labels(opportunities["close_date"]),
                                 periods, clock),
        "activity_goals": build_activity_goals(org, activities, calendar.labels(activities["activity_date"]),
                                               periods, clock),
    }
    return {name: tables[name][[c.name for c in TABLES[name].columns]].reset_index(drop=True)
            for name in TABLE_ORDER}
