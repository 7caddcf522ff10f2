"""Targets and activity goals, set the way a sales-ops team would: from each seat's track record.

A territory's quarterly bookings target is its average quarterly bookings, grown along the district's
trend and skewed by a per-territory planning bias (some quotas stretch, some are soft), then scaled so
the district lands near 95% attainment on the completed quarters. New hires carry the 70% ramp.
Activity goals are the typical quarterly counts of fully staffed reps in the same segment, pro-rated
for partial quarters and ramp.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..fiscal import Period
from .clock import BusinessClock
from .org import RAMP_CAPACITY, Org

__all__ = ["build_activity_goals", "build_targets"]

GOAL_TYPES = ("dial", "connect", "meeting_held")
GOAL_STEP = {"dial": 10, "connect": 1, "meeting_held": 1}


def _seat_share(org: Org, clock: BusinessClock, periods: list[Period]) -> tuple[np.ndarray, np.ndarray]:
    """Share of each quarter (territory x period) worked by the current and by the former AE."""
    starts = np.array([p.start.to_datetime64() for p in periods], dtype="datetime64[D]")
    ends = np.array([p.end.to_datetime64() for p in periods], dtype="datetime64[D]")
    length = (ends - starts).astype(float)

    def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        lo = np.maximum(a[:, None], starts[None, :])
        hi = np.minimum(b[:, None], ends[None, :])
        return np.clip((hi - lo).astype(float), 0, None) / length[None, :]

    far_past, far_future = np.datetime64("1900-01-01", "D"), np.datetime64("2200-01-01", "D")
    ramping = org.former != ""
    hire = np.where(ramping, clock.date(np.where(ramping, org.hire_bd, 0)), far_past)
    leave = np.where(ramping, clock.date(np.where(ramping, org.leave_bd, 0)), far_past)
    current = overlap(hire, np.full(org.n, far_future))
    former = overlap(np.full(org.n, far_past), leave)
    return current, np.where(ramping[:, None], former, 0.0)


def build_targets(
    rng: np.random.Generator, org: Org, opps: pd.DataFrame, labels: pd.Series, periods: list[Period],
    clock: BusinessClock,
) -> pd.DataFrame:
    """Bookings target per territory and fiscal quarter (``labels`` is each deal's close quarter)."""
    names = [p.label for p in periods]
    territories = list(org.territories["territory"])
    won = opps["is_won"].to_numpy()
    booked = (
        pd.DataFrame({"territory": opps["territory"][won], "period": labels[won],
                      "amount": opps["amount"][won]})
        .pivot_table(index="territory", columns="period", values="amount", aggfunc="sum", fill_value=0.0)
        .reindex(index=territories, columns=names, fill_value=0.0)
        .to_numpy()
    )
    done = booked[:, :-1] if len(names) > 1 else booked
    quarter_totals = np.maximum(done.sum(axis=0), 1.0)
    slope = 0.0
    if len(quarter_totals) > 1:  # the district's bookings trend, per quarter (log scale)
        slope = np.polyfit(np.arange(len(quarter_totals)), np.log(quarter_totals), 1)[0]
    growth = np.exp(np.clip(slope, 0.0, 0.06))
    steps = growth ** (np.arange(len(names)) - (len(names) - 1) / 2)
    # Planning bias per territory, > 1 a soft quota, < 1 a stretch: a fixed spread in random order, so
    # territory attainment always spans roughly 70% to 130%.
    bias = rng.permutation(np.exp(np.linspace(-0.33, 0.33, org.n)))
    current, former = _seat_share(org, clock, periods)
    seat = np.where(org.former[:, None] != "", former * 0.95 + current * RAMP_CAPACITY, 1.0)
    plan = done.mean(axis=1)[:, None] * steps[None, :] / bias[:, None] * seat
    plan *= rng.lognormal(0.0, 0.05, plan.shape)
    attainment = rng.uniform(0.92, 1.0)  # district attainment on the completed quarters
    plan *= done.sum() / max(plan[:, : done.shape[1]].sum(), 1.0) / attainment
    target = np.maximum(5000.0, np.round(plan / 5000.0) * 5000.0)
    grid = pd.MultiIndex.from_product([names, territories], names=["period", "territory"])
    return pd.DataFrame(
        {
            "period": pd.array(grid.get_level_values(0), dtype="str"),
            "territory": pd.array(grid.get_level_values(1), dtype="str"),
            "target_amount": target.T.reshape(-1),
        }
    )


def build_activity_goals(
    org: Org, activities: pd.DataFrame, labels: pd.Series, periods: list[Period], clock: BusinessClock
) -> pd.DataFrame:
    """Goals per owner, quarter and activity type (dial, connect, meeting_held).

    ``labels`` is each activity's fiscal quarter. The goal is the median quarterly count of fully
    staffed reps of the same segment over the completed quarters, rounded up a notch, times the share of
    the quarter the owner held the seat and their capacity.
    """
    names = [p.label for p in periods]
    done = names[:-1] if len(names) > 1 else names
    steady = org.former == ""
    counts = (
        activities.assign(period=labels)
        .loc[lambda d: d["type"].isin(GOAL_TYPES) & d["period"].isin(done)]
        .groupby(["owner", "period", "type"]).size()
        .unstack("type", fill_value=0)
        .reindex(columns=list(GOAL_TYPES), fill_value=0)
    )
    owner_seg = dict(zip(org.owner[steady], org.seg[steady], strict=True))
    seg_of = counts.index.get_level_values("owner").map(owner_seg)
    norm = counts[seg_of.notna()].groupby(seg_of[seg_of.notna()].astype(int)).median()
    current, former = _seat_share(org, clock, periods)
    rows = []
    for t in range(org.n):  # one pass per territory (16)
        for owner, share, capacity in ((org.owner[t], current[t], org.capacity[t] if not steady[t] else 1.0),
                                       (org.former[t], former[t], 0.95)):
            for p, label in enumerate(names):
                if owner == "" or share[p] < 0.15:
                    continue
                for kind in GOAL_TYPES:
                    raw = norm.loc[org.seg[t], kind] * 1.05 * share[p] * capacity
                    step = GOAL_STEP[kind]
                    rows.append((label, owner, kind, max(step, round(raw / step) * step)))
    goals = pd.DataFrame(rows, columns=["period", "owner", "type", "goal"])
    goals = goals.sort_values(["period", "owner", "type"], kind="stable").reset_index(drop=True)
    return goals.astype({"period": "str", "owner": "str", "type": "str", "goal": "int64"})
