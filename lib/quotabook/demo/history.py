"""The opportunity history: one row per change, each holding the deal's full state from then on.

Simulated events carry only what changed (a stage move, a close-date push, an amount change, the
close); sorting them per deal and forward-filling from the complete creation row gives every row the
full state, and the deal's current row is simply its last history row, so the two always agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schemas import FORECAST_CATEGORIES
from .clock import BusinessClock
from .stages import StageMap

__all__ = ["build_history"]

CLOSED, OMITTED = FORECAST_CATEGORIES.index("Closed"), FORECAST_CATEGORIES.index("Omitted")
# Event kinds, in the order that breaks ties at the same instant.
CREATED, STAGE_MOVE, PUSH, AMOUNT, CLOSE = range(5)


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="datetime64[D]").astype("datetime64[us]"))


def build_history(
    stages: StageMap,
    clock: BusinessClock,
    ids: np.ndarray,
    snapshot_bd: int,
    created: np.ndarray,
    entry: np.ndarray,
    close_bd: np.ndarray,
    won: np.ndarray,
    category: np.ndarray,
    amount0: np.ndarray,
    amounts: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    first_close: np.ndarray,
    push_t: np.ndarray,
    push_d: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """One row per change before the snapshot, each holding the full state; and the state at the end.

    Times are business-day floats on ``clock``; ``category`` is the (n, open stages) forecast category
    picked on entering each stage; ``amounts`` are (mask, time, amount) events; ``push_t``/``push_d``
    the close-date pushes. The creation row is stamped at midnight of the created date, every other
    change inside working hours. Events carry only what changed; sorted per deal, a forward fill from
    the complete creation row gives every row the full state.
    """
    n, k = entry.shape
    reached = np.isfinite(entry)
    fields = ("time", "stage", "amount", "close", "category")
    events: dict[str, list[np.ndarray]] = {f: [] for f in (*fields, "deal", "kind")}

    def add(mask: np.ndarray, kind: int, time, stage=np.nan, amount=np.nan, close=np.nan, category=np.nan):
        for f, value in zip(fields, (time, stage, amount, close, category), strict=True):
            events[f].append(np.broadcast_to(np.asarray(value, dtype=float), (n,))[mask])
        events["deal"].append(np.flatnonzero(mask))
        events["kind"].append(np.full(mask.sum(), kind))

    def days(dates: np.ndarray) -> np.ndarray:
        return dates.astype("datetime64[D]").astype(np.int64).astype(float)

    add(np.ones(n, bool), CREATED, created, 0, amount0, days(first_close), category[:, 0])
    for s in range(1, k):
        add(reached[:, s] & (entry[:, s] < np.minimum(close_bd, snapshot_bd)), STAGE_MOVE, entry[:, s],
            stage=s, category=category[:, s])
    for j in range(push_t.shape[1]):
        add(~np.isnan(push_t[:, j]), PUSH, push_t[:, j], close=days(push_d[:, j]))
    for mask, time, value in amounts:
        add(mask & (time < snapshot_bd), AMOUNT, time, amount=value)
    add(close_bd < snapshot_bd, CLOSE, close_bd, stage=np.where(won, stages.won, stages.lost),
        close=days(clock.date(close_bd)), category=np.where(won, CLOSED, OMITTED))

    ev = {f: np.concatenate(v) for f, v in events.items()}
    order = np.lexsort((ev["kind"], ev["time"], ev["deal"]))
    ev = {f: v[order] for f, v in ev.items()}
    deal, kind, time = ev["deal"], ev["kind"], ev["time"]
    filled = pd.DataFrame({f: ev[f] for f in fields[1:]}).ffill().to_numpy()  # full state on every row
    stage_idx, amount = filled[:, 0].astype(np.int64), filled[:, 1]
    close, cat = filled[:, 2].astype(np.int64).astype("datetime64[D]"), filled[:, 3].astype(np.int64)

    midnight = clock.date(time).astype("datetime64[s]")
    stamp = np.where(kind == CREATED, midnight, clock.stamp(time)).astype(np.int64)
    # Keep timestamps strictly increasing within a deal even when two events share a second.
    pos = np.arange(len(deal)) - np.searchsorted(deal, deal)
    key = np.maximum.accumulate(deal * 10**11 + stamp - pos) - deal * 10**11 + pos
    history = pd.DataFrame(
        {
            "opportunity_id": pd.array(ids[deal], dtype="str"),
            "changed_at": pd.Series(key.astype("datetime64[s]").astype("datetime64[us]")),
            "stage": pd.array(np.array(stages.names, dtype=object)[stage_idx], dtype="str"),
            "amount": amount,
            "close_date": _dates(close),
            "forecast_category": pd.array(np.array(FORECAST_CATEGORIES, dtype=object)[cat], dtype="str"),
            "probability": stages.prob[stage_idx],
        }
    )
    last = np.r_[np.flatnonzero(np.diff(deal)), len(deal) - 1]
    state = {"stage_idx": stage_idx[last], "amount": amount[last], "close": close[last],
             "category": cat[last]}
    return history, state
