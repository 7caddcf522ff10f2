"""Vectorised helpers over ``opportunity_history`` shared by the velocity and integrity measures and views.

Each history row is a deal's state from ``changed_at`` on; fields a row leaves empty carry forward from the
deal's earlier rows (as :meth:`quotabook.dataset.Dataset.as_of` reads them). Everything here works on whole
frames with ``groupby`` / ``shift`` / ``cumsum``; nothing loops over rows.

Units: durations between two history timestamps (stage runs) are fractional days; ages measured up to the
report date ("days in current stage") are whole calendar days between the two dates, never negative.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..dataset import is_in
from ..frames import arrow_text, carried_rows

__all__ = [
    "close_date_pushes",
    "current_stage_start",
    "cutoff",
    "dataset_stage_runs",
    "days_between",
    "days_in_current_stage",
    "lookup",
    "ordered_history",
    "push_events",
    "slipped_out",
    "stage_days",
    "stage_entered_at",
    "stage_runs",
    "won_stage_median_days",
]

_DAY = pd.Timedelta(days=1)


def cutoff(as_of) -> pd.Timestamp:
    """The first instant after the day ``as_of`` (changes made during that day count, as in ``Dataset.as_of``)."""
    return pd.Timestamp(as_of).normalize() + _DAY


def ordered_history(history: pd.DataFrame, columns: Iterable[str], as_of=None,
             deals: Iterable | None = None) -> pd.DataFrame:
    """``columns`` of the history (with ``opportunity_id`` and ``changed_at``) sorted by deal and time (stable),
    cut at the end of ``as_of`` and restricted to ``deals`` when given, index reset. ``_g`` numbers the deals
    0, 1, ... in order, a cheap integer key for the groupbys that follow."""
    keep = ["opportunity_id", "changed_at", *(c for c in columns if c in history)]
    h = history[keep]
    if as_of is not None:
        h = h[h["changed_at"] < cutoff(as_of)]
    if deals is not None:
        h = h[is_in(h["opportunity_id"], list(deals))]
    if not _is_ordered(h):
        h = h.sort_values(["opportunity_id", "changed_at"], kind="stable")
    h = h.reset_index(drop=True)
    if len(h) < 2:
        return h.assign(_g=np.ones(len(h), dtype="int64"))
    earlier, later = _neighbours(h["opportunity_id"])
    return h.assign(_g=np.cumsum(np.r_[True, _compare(later, earlier, "not_equal")]))


def _neighbours(ids: pd.Series) -> tuple:
    """Each row's id but the last, and each row's id but the first: as Arrow arrays for Arrow text (compared
    in Arrow, never turned into a million Python strings), else as numpy arrays."""
    text = arrow_text(ids)
    if text is not None:
        return text.slice(0, len(text) - 1), text.slice(1)
    values = ids.to_numpy()
    return values[:-1], values[1:]


def _compare(left, right, how: str) -> np.ndarray:
    """``left <how> right`` element-wise (``not_equal`` or ``greater_equal``) as a numpy bool array; a missing
    id differs from every id, itself included (as NaN does)."""
    if isinstance(left, pa.ChunkedArray):
        result = getattr(pc, how)(left, right).fill_null(how == "not_equal")
        return result.to_numpy(zero_copy_only=False).astype(bool)
    return getattr(np, how)(left, right)


def _is_ordered(h: pd.DataFrame) -> bool:
    """Whether ``h`` is already sorted by deal, then time (exported histories usually are)."""
    if len(h) < 2:
        return True
    if h["opportunity_id"].isna().any():
        return False
    earlier, later = _neighbours(h["opportunity_id"])
    at = h["changed_at"].to_numpy()
    same = ~_compare(later, earlier, "not_equal")
    return bool(_compare(later, earlier, "greater_equal").all() and (~same | (at[1:] >= at[:-1])).all())


def _carried(h: pd.DataFrame, column: str) -> pd.Series:
    """``column`` with blanks filled from the deal's earlier rows (``h`` from :func:`ordered_history`)."""
    return h[column].groupby(h["_g"].to_numpy()).ffill()


def days_between(start: pd.Series, end) -> pd.Series:
    """Whole calendar days from each ``start`` to ``end`` (a date or a Series), clipped at 0; NaN where unknown."""
    start = pd.to_datetime(start)
    end = pd.to_datetime(end)
    end = end.dt.normalize() if isinstance(end, pd.Series) else pd.Timestamp(end).normalize()
    return (end - start.dt.normalize()).dt.days.astype("float64").clip(lower=0)


def lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table``'s value for each key (NaN / NaT where absent), aligned with ``keys``; like ``keys.map(table)``
    but keeping ``table``'s dtype even when it is empty (``map`` of an empty datetime Series fails)."""
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index, name=table.name)


# -- close-date pushes ---------------------------------------------------------------------------------
def push_events(history: pd.DataFrame, as_of=None, deals: Iterable | None = None) -> pd.DataFrame:
    """Every close-date push: a history row whose close date is later than the deal's previous one.

    Parameters
    ----------
    history : opportunity_history (``opportunity_id``, ``changed_at``, ``close_date``).
    as_of : date, optional
        Only changes made up to the end of this day count.
    deals : opportunity ids, optional
        Only these deals.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``changed_at``, ``previous_close_date``, ``close_date`` and ``days_moved`` (whole
        days the close date moved later, > 0), one row per push, ordered by deal and time.
    """
    h = ordered_history(history, ["close_date"], as_of, deals)
    close = pd.to_datetime(_carried(h, "close_date"))
    previous = close.groupby(h["_g"].to_numpy()).shift()
    pushed = close > previous  # False where either side is unknown
    out = pd.DataFrame({"opportunity_id": h["opportunity_id"], "changed_at": h["changed_at"],
                        "previous_close_date": previous, "close_date": close})[pushed]
    out["days_moved"] = (out["close_date"] - out["previous_close_date"]).dt.days.astype("int64")
    return out.reset_index(drop=True)


def close_date_pushes(history: pd.DataFrame, as_of=None, deals: Iterable | None = None) -> pd.Series:
    """Close-date pushes per deal up to the end of ``as_of`` (count, int64, never negative).

    A push is a change that moves the deal's close date later than the close date of its previous history
    row (moves earlier and unchanged dates are not pushes). Indexed by ``opportunity_id``: every deal of the
    history (0 when never pushed), or exactly ``deals`` when given (0 for deals without history).
    """
    deals = None if deals is None else list(deals)
    events = push_events(history, as_of, deals)
    counts = events.groupby("opportunity_id").size()
    index = pd.Index(pd.unique(history["opportunity_id"]) if deals is None else deals, name="opportunity_id")
    return counts.reindex(index, fill_value=0).astype("int64").rename("pushes")


# -- slippage --------------------------------------------------------------------------------------------
def slipped_out(history: pd.DataFrame, opportunities: pd.DataFrame, start, end) -> pd.DataFrame:
    """Deals that slipped out of the period ``[start, end)``.

    A deal slipped out when at some time from the period's start up to its end (or the end of the history,
    for a period still running) its close date fell inside the period, and its close date now — in
    ``opportunities``, the dataset's state at its report date — falls on or after ``end``. Deals created
    during the period and pushed out count too.

    Returns
    -------
    DataFrame
        One row per slipped deal: ``opportunity_id``, ``expected_close_date`` and ``expected_amount`` (the
        last in-period state, amount in the reporting currency), ``close_date`` (now), ``days_slipped``
        (whole days from the expected to the current close date) and ``slipped_amount`` (the expected
        amount, or the current amount where history has none).
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    h = ordered_history(history, ["close_date", "amount"])
    close = pd.to_datetime(_carried(h, "close_date"))
    amount = _carried(h, "amount") if "amount" in h else pd.Series(np.nan, index=h.index)
    following = h["changed_at"].groupby(h["_g"].to_numpy()).shift(-1)
    in_effect = (h["changed_at"] < end) & (following.isna() | (following > start))
    expected_in = in_effect & (close >= start) & (close < end)
    last = pd.DataFrame({"opportunity_id": h["opportunity_id"], "expected_close_date": close,
                         "expected_amount": amount.astype("float64")})[expected_in]
    last = last.groupby("opportunity_id", sort=True).tail(1).set_index("opportunity_id")
    now = opportunities.drop_duplicates("opportunity_id").set_index("opportunity_id")
    last["close_date"] = pd.to_datetime(now["close_date"]).reindex(last.index)
    current_amount = now["amount"].astype("float64").reindex(last.index)
    out = last[last["close_date"] >= end].copy()
    out["days_slipped"] = (out["close_date"] - out["expected_close_date"]).dt.days.astype("int64")
    out["slipped_amount"] = out["expected_amount"].fillna(current_amount)
    return out.reset_index()


# -- stages ----------------------------------------------------------------------------------------------
def stage_runs(history: pd.DataFrame, reference_date=None) -> pd.DataFrame:
    """Each stretch a deal spent in one stage: consecutive history rows of the same stage form one run.

    Parameters
    ----------
    history : opportunity_history (``opportunity_id``, ``changed_at``, ``stage``).
    reference_date : date, optional
        'Today': the current (last) run of each deal is measured up to it.

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``stage``, ``entered_at``, ``exited_at`` (NaT for the run the deal is still in),
        ``days`` (fractional days from entering to leaving; for the current run, days up to the reference
        date, or NaN without one) and ``is_current``.
    """
    h = ordered_history(history, ["stage"])
    if "stage" not in h:
        h = h.assign(stage=pd.Series(pd.NA, index=h.index, dtype="object"))
    # In numpy over row positions (``_g`` numbers the deals in order): the stage carried forward is that of the
    # latest row with one (``carried_rows``), and a run starts on each row whose carried stage differs from
    # the row before it in the deal; rows before a deal's first stage belong to no run.
    g = h["_g"].to_numpy()
    starts = np.r_[True, g[1:] != g[:-1]][:len(g)]
    codes = pd.factorize(h["stage"])[0]
    carried = carried_rows(codes < 0, starts)
    stage = np.where(carried >= 0, codes[np.maximum(carried, 0)], -1)
    first = np.flatnonzero((stage >= 0) & (starts | np.r_[True, stage[1:] != stage[:-1]][:len(g)]))
    entered = h["changed_at"].iloc[first].reset_index(drop=True)
    runs = pd.DataFrame({"opportunity_id": h["opportunity_id"].iloc[first].reset_index(drop=True),
                         "stage": pd.Series(h["stage"].array.take(carried[first]),
                                            dtype=h["stage"].dtype),
                         "entered_at": entered})
    deal = g[first]
    runs["exited_at"] = entered.shift(-1).where(np.r_[deal[1:] == deal[:-1], False][:len(first)])
    runs["is_current"] = runs["exited_at"].isna()
    runs["days"] = (runs["exited_at"] - runs["entered_at"]) / _DAY
    if reference_date is not None:
        so_far = ((pd.Timestamp(reference_date) - runs["entered_at"]) / _DAY).clip(lower=0)
        runs["days"] = runs["days"].where(~runs["is_current"], so_far)
    return runs


def stage_days(runs: pd.DataFrame, deals: Iterable | None = None, how: str = "mean",
               stages: Iterable[str] | None = None) -> pd.Series:
    """Typical days deals spend in each stage, from completed runs (deals that left the stage).

    Days of a deal that entered the same stage more than once are added up first, so each deal counts once
    per stage; then ``how`` ("mean", "median", ...) aggregates over deals.

    Parameters
    ----------
    runs : output of :func:`stage_runs`.
    deals : opportunity ids to use (e.g. won deals); all deals by default.
    stages : stages to keep (e.g. the open stages of the stage map); all by default.

    Returns
    -------
    Series
        Days (float) indexed by stage.
    """
    done = runs[~runs["is_current"]]
    if deals is not None:
        done = done[is_in(done["opportunity_id"], list(deals))]
    if stages is not None:
        done = done[done["stage"].isin(list(stages))]
    per_deal = done.groupby(["stage", "opportunity_id"])["days"].sum()
    return per_deal.groupby(level="stage").agg(how).astype("float64").rename(f"{how}_days")


def won_stage_median_days(history: pd.DataFrame, opportunities: pd.DataFrame,
                          stages: Iterable[str] | None = None) -> pd.Series:
    """Median days won deals spent in each stage (fractional days, indexed by stage).

    Won deals are those won in ``opportunities`` (the dataset's state at its report date); only their
    completed runs count, in ``stages`` when given (pass the open stages to leave out Closed Won itself).
    """
    won = opportunities.loc[opportunities["is_won"].astype(bool), "opportunity_id"]
    return stage_days(stage_runs(history), won, "median", stages).rename("won_median_days")


def current_stage_start(history: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per deal, its latest stage in the history and when the deal entered it (start of the final run).

    Returns a frame indexed by ``opportunity_id`` with ``stage`` and ``entered_at``. ``runs``: the history's
    :func:`stage_runs` when the caller has them.
    """
    runs = stage_runs(history) if runs is None else runs
    last = runs[runs["is_current"]].set_index("opportunity_id")
    return last[["stage", "entered_at"]]


def stage_entered_at(opportunities: pd.DataFrame, history: pd.DataFrame,
                     runs: pd.DataFrame | None = None) -> pd.Series:
    """When each deal entered the stage it is in (aligned with ``opportunities``).

    A dataset made with ``as_of`` carries ``stage_entered_at`` already and it is used as is. Otherwise the
    start of the deal's final stage run in the history is used when that run's stage is the deal's current
    stage; the creation date when the deal has no history or its current stage is not in it.
    """
    created = pd.to_datetime(opportunities["created_date"])
    if "stage_entered_at" in opportunities and opportunities["stage_entered_at"].notna().any():
        return pd.to_datetime(opportunities["stage_entered_at"]).fillna(created).rename("stage_entered_at")
    last = current_stage_start(history, runs)
    ids = opportunities["opportunity_id"]
    same = lookup(ids, last["stage"]).eq(opportunities["stage"]).fillna(False).astype(bool)
    entered = pd.to_datetime(lookup(ids, last["entered_at"]))
    return entered.where(same, created).rename("stage_entered_at")


def days_in_current_stage(opportunities: pd.DataFrame, history: pd.DataFrame, reference_date,
                          runs: pd.DataFrame | None = None) -> pd.Series:
    """Whole calendar days each deal has been in its current stage at ``reference_date`` (>= 0); ``runs``: the
    history's :func:`stage_runs` when the caller has them."""
    return days_between(stage_entered_at(opportunities, history, runs), reference_date).rename("days_in_stage")


def dataset_stage_runs(ds) -> pd.DataFrame:
    """:func:`stage_runs` of the dataset's whole history, once per dataset (kept in ``ds.derived``): the
    integrity flags, the stage spells and the days in stage read the same runs, unless the history is too large
    to keep a second copy of (:meth:`quotabook.Dataset.keeps_large`). Read-only for callers."""
    return ds.derive(("stage_runs",), lambda: stage_runs(ds.opportunity_history), large=True)
