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


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="datetime64[D]").astype("datetime64[us]"))


def build_history(
    stages: StageMap,
    clock: BusinessClock,
    ids: np.ndarray,
    snapshot_bd: int,
    created: np.ndarray,
    entry: np.ndarray,
    reached: np.ndarray,
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

    Events carry only what changed; a forward fill within each deal (the creation row is complete and
    comes first) gives every row the full state.
    """
    n, k = entry.shape
    rows = np.arange(n)
    nan = np.full(n, np.nan)
    day = first_close.astype(np.int64).astype(float)
    closed_now = close_bd < snapshot_bd
    parts = [(np.ones(n, bool), created.astype(float), 0, np.zeros(n), amount0, day, category[:, 0])]
    for s in range(1, k):
        parts.append((reached[:, s] & (entry[:, s] < np.minimum(close_bd, snapshot_bd)), entry[:, s], 1,
                      np.full(n, s), nan, nan, category[:, s]))
    for j in range(push_t.shape[1]):
        parts.append((~np.isnan(push_t[:, j]), push_t[:, j], 2, nan, nan,
                      push_d[:, j].astype(np.int64).astype(float), nan))
    for mask, time, value in amounts:
        parts.append((mask & (time < snapshot_bd), time, 3, nan, value, nan, nan))
    parts.append((closed_now, close_bd, 4, np.where(won, stages.won, stages.lost), nan,
                  clock.date(close_bd).astype(np.int64).astype(float), np.where(won, CLOSED, OMITTED)))

    cols = [np.concatenate([np.broadcast_to(np.asarray(p[i], dtype=float), (n,))[p[0]] for p in parts])
            for i in (1, 3, 4, 5, 6)]
    deal = np.concatenate([rows[p[0]] for p in parts])
    kind = np.concatenate([np.full(p[0].sum(), p[2]) for p in parts])
    order = np.lexsort((kind, cols[0], deal))
    deal, kind = deal[order], kind[order]
    filled = pd.DataFrame({c: v[order] for c, v in zip(("stage", "amount", "close", "category"), cols[1:],
                                                       strict=True)}).ffill().to_numpy()
    time = cols[0][order]
    stage_idx, amount = filled[:, 0].astype(np.int64), filled[:, 1]
    close, cat = filled[:, 2].astype(np.int64).astype("datetime64[D]"), filled[:, 3].astype(np.int64)

    stamp = np.where(kind == 0, clock.date(time).astype("datetime64[s]"), clock.stamp(time)).astype(np.int64)
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
