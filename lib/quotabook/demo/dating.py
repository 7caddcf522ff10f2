"""Close dates: the rep's first guess, every push while the deal stays open, and the quarter-end pull.

Reps date a deal by the typical time its remaining stages take, scaled by their own optimism; when the
date comes due with the deal still open they move it out again (many dates snap to month or quarter end,
and late in a quarter many go to the next quarter). Deals stuck late in the funnel so collect five or
more pushes, InsightSquared's slippage red flag. Separately, some wins due early in a quarter are pulled into
the last days of the quarter before: the quarter-end push that shapes every bookings curve.
"""

from __future__ import annotations

import numpy as np

from .clock import BusinessClock, month_end, quarter_end, quarter_start
from .org import Org

__all__ = ["close_date_pushes", "quarter_end_pull"]

PUSH_SLOTS = 12  # at most this many pushes are simulated per deal
NEXT_QUARTER_SHARE = 0.45  # pushes in a quarter's last five weeks that go to the next quarter
PULL_WINDOW_BD, PULL_SHARE = 20, 0.5  # wins due in a quarter's first 4 weeks pulled into the one before
RENEWAL_LEAD_DAYS = (75, 130)  # a renewal is opened this many days before the contract ends


def quarter_end_pull(
    rng: np.random.Generator,
    clock: BusinessClock,
    close_bd: np.ndarray,
    eligible: np.ndarray,
    earliest: np.ndarray,
    fiscal_start_month: int,
) -> np.ndarray:
    """Pull some wins due early in a quarter into the last days of the quarter before (the quarter-end
    push every sales team knows), when the deal was already in its last stage by then."""
    qstart = clock.bd(quarter_start(clock.date(close_bd), fiscal_start_month))
    pulled = qstart - rng.uniform(0.05, 8.0, len(close_bd))
    move = eligible & (close_bd - qstart < PULL_WINDOW_BD) & (rng.random(len(close_bd)) < PULL_SHARE)
    move &= pulled > earliest
    return np.where(move, pulled, close_bd)


def close_date_pushes(
    rng: np.random.Generator,
    org: Org,
    clock: BusinessClock,
    terr: np.ndarray,
    typical: np.ndarray,
    renewal: np.ndarray,
    entry: np.ndarray,
    created: np.ndarray,
    close_bd: np.ndarray,
    snapshot_bd: int,
    fiscal_start_month: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First close date and the pushes: (first date, push times (n, slots), pushed-to dates).

    ``typical`` holds the days the rep expects each open stage to take; ``entry`` the business-day time
    each stage was entered (``inf`` when never reached); ``close_bd`` when the deal actually closes. A
    push is recorded only while the deal is open and before the snapshot (push time ``nan`` otherwise).
    """
    n = len(terr)
    optimism = org.optimism[terr]
    remaining = np.cumsum(typical[:, ::-1], axis=1)[:, ::-1]  # typical days from entering each stage
    first = _snap(rng, clock.date(created) + _days(remaining[:, 0] * optimism * rng.lognormal(0, 0.3, n)),
                  fiscal_start_month)
    # A renewal is opened ahead of the contract end and dated on it.
    lead = rng.integers(*RENEWAL_LEAD_DAYS, n).astype("timedelta64[D]")
    first = np.where(renewal, clock.date(created) + lead, first)
    push_t = np.full((n, PUSH_SLOTS), np.nan)
    push_d = np.zeros((n, PUSH_SLOTS), dtype="datetime64[D]")
    due, last_t, alive = first, created + 0.02, np.ones(n, dtype=bool)
    rows = np.arange(n)
    for j in range(PUSH_SLOTS):  # a small fixed number of push slots, vectorised over deals
        t = np.maximum(clock.bd(due) - rng.uniform(0.05, 5.0, n), last_t + 0.02)
        ok = alive & (t < close_bd) & (t < snapshot_bd)
        today = clock.date(t)
        stage = np.maximum((entry <= t[:, None]).sum(axis=1) - 1, 0)
        left = (remaining[rows, stage] - 0.5 * typical[rows, stage]) * optimism * rng.lognormal(0, 0.3, n)
        step = org.push_days[terr] * rng.lognormal(0.0, 0.5, n)
        base = np.maximum(due, today)
        new = _snap(rng, np.maximum(base + _days(step), today + _days(left)), fiscal_start_month)
        # Late in a quarter many reps give up on it and date the deal into the next quarter.
        q_end = quarter_end(today, fiscal_start_month)
        next_q = quarter_end(q_end + 1, fiscal_start_month) - rng.integers(0, 45, n).astype("timedelta64[D]")
        late = (q_end - today < np.timedelta64(35, "D")) & (rng.random(n) < NEXT_QUARTER_SHARE)
        new = np.where(late, np.maximum(next_q, new), new)
        push_t[ok, j], push_d[ok, j] = t[ok], new[ok]
        due, last_t, alive = np.where(ok, new, due), np.where(ok, t, last_t), ok
    # A deal still open at the snapshot after every slot keeps its last date, moved past the snapshot.
    snapshot = clock.date(np.array([snapshot_bd]))[0]
    stuck = alive & (due <= snapshot)
    push_d[stuck, PUSH_SLOTS - 1] = snapshot + np.timedelta64(30, "D")
    return first, push_t, push_d


def _days(days: np.ndarray) -> np.ndarray:
    """Whole calendar days, at least five, as ``timedelta64[D]``."""
    return np.maximum(5, np.round(days)).astype("timedelta64[D]")


def _snap(rng: np.random.Generator, dates: np.ndarray, fiscal_start_month: int) -> np.ndarray:
    """Move a quarter of the dates to month end and a fifth to fiscal quarter end, as reps do."""
    u = rng.random(len(dates))
    out = np.where(u < 0.25, month_end(dates), dates)
    return np.where(u > 0.8, quarter_end(dates, fiscal_start_month), out)
