"""Odds learned from this team's own history: win rate by stage and age band, and the slip rate.

Everything here reads only what the dataset knows at its date. On a dataset made with
``Dataset.as_of(date)`` the closed deals are those closed by that date and the history is cut there, so a
backtest never learns from its own future.

**Win rate by stage and age band.** Each closed deal is followed through the (open stage, age band) cells
it passed while open — a deal that sat in Proposal from day 40 to day 75 of its life spent 20 days in
Proposal at 30-59 days and 15 at 60-89. The rate of a cell is the share of the value-days spent in it that
belonged to deals later won: sum of won amount × days over sum of amount × days. Why weight by days: an
open deal seen on a given day is more likely to be one that lingers, and lingering deals lose more often; a
plain count of deals overstates the odds of the pipeline on any given day (the backtests showed it). Why
weight by amount: large deals win less often, and the forecast is of value, not of deal counts. An open deal
in Proposal aged 50 days is then weighted by the rate of "Proposal at 30-59 days". A cell with fewer than
``MIN_DEALS`` deals falls back to the stage's rate over all ages, and a stage with fewer than that to the
stage map's default probability (``basis`` says which was used).

**Slip rate.** Of the deals that, during a past quarter, were open with a close date in it, the share
that ended up dated after it (the latest ``SLIP_QUARTERS`` quarters ended by the dataset's date, leaving
out quarters with fewer than ``MIN_DEALS`` closed deals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...frames import carried_rows, index_in, is_in
from ..history import stage_runs
from .deals import flag

__all__ = ["AGE_BANDS", "AGE_LABELS", "MIN_DEALS", "SLIP_QUARTERS", "age_band", "learned_win_probability",
           "passed_bands", "slip_rate", "stage_age_win_rates"]

#: Lower edges of the deal-age bands, days since the deal was created; the last band is open-ended.
AGE_BANDS = (0, 30, 60, 90, 180)
AGE_LABELS = ["0-29 days", "30-59 days", "60-89 days", "90-179 days", "180+ days"]
#: Fewest closed deals a cell needs before its own win rate is trusted.
MIN_DEALS = 10
#: Past quarters the slip rate is learned from.
SLIP_QUARTERS = 4
_DAY = pd.Timedelta(days=1)


def age_band(days) -> pd.Series:
    """The age-band label of each age in days (ordered categorical; NaN stays NaN)."""
    days = pd.Series(days, dtype="float64")
    codes = np.searchsorted(np.asarray(AGE_BANDS[1:], dtype="float64"), days.to_numpy(), side="right")
    labels = pd.Categorical.from_codes(np.where(days.isna(), -1, codes), categories=AGE_LABELS, ordered=True)
    return pd.Series(labels, index=days.index, name="age_band")


def passed_bands(start_age: pd.Series, end_age: pd.Series) -> pd.DataFrame:
    """For each interval of ages [start, end] in days, every age band it touches and the days it spent there.

    Returns ``row`` (the position of the interval), ``age_band`` and ``days`` (overlap in days, > 0; an
    interval of zero length touches the band it sits in with 0 days), one row per interval and band.
    """
    start = start_age.to_numpy(dtype="float64")
    end = np.maximum(end_age.to_numpy(dtype="float64"), start)
    lows = np.asarray(AGE_BANDS, dtype="float64")
    highs = np.r_[lows[1:], np.inf]
    # an interval touches a band it overlaps for some time; one of zero length, the band it sits in
    inside = (start[:, None] >= lows[None, :]) & (start[:, None] < highs[None, :])
    touches = ((start[:, None] < highs[None, :]) & (end[:, None] > lows[None, :])) | (
        (end == start)[:, None] & inside)
    overlap = np.minimum(end[:, None], highs[None, :]) - np.maximum(start[:, None], lows[None, :])
    rows, bands = np.nonzero(touches)
    return pd.DataFrame({"row": rows, "age_band": pd.Categorical.from_codes(bands, AGE_LABELS, ordered=True),
                         "days": np.clip(overlap[rows, bands], 0.0, None)})


def _closed_stage_bands(ds: Dataset) -> pd.DataFrame:
    """Each closed deal once per (open stage, age band) it passed through: ``deal`` (an integer code),
    ``stage`` (position in the open stages), ``band`` (position in ``AGE_LABELS``), ``days`` spent there,
    ``amount`` and ``won`` (bool). Integer keys and numpy keep this quick: backtests run it once per date."""
    o = ds.opportunities
    closed = o[flag(o, "is_closed")]
    ids = pd.Index(closed["opportunity_id"])
    hist = ds.opportunity_history
    columns = {"deal": "int64", "stage": "int64", "band": "int64", "days": "float64", "amount": "float64",
               "won": "bool"}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    if closed.empty or hist.empty:
        return empty
    runs = stage_runs(hist[np.asarray(is_in(hist["opportunity_id"], ids), dtype=bool)])
    stage = pd.Index(ds.settings.open_stages).get_indexer(runs["stage"]).astype("int64")  # -1: not an open stage
    runs, stage = runs[stage >= 0], stage[stage >= 0]
    if runs.empty:
        return empty
    deal = index_in(runs["opportunity_id"], ids)
    created = pd.to_datetime(closed["created_date"]).to_numpy()[deal]
    close = pd.to_datetime(closed["close_date"]).to_numpy()[deal]
    exited = runs["exited_at"].to_numpy()
    exited = np.where(pd.isna(exited), close, exited)  # history without its closing row ends at the close date
    start_age = pd.Series((runs["entered_at"].to_numpy() - created) / _DAY).clip(lower=0)
    end_age = pd.Series((exited - created) / _DAY).clip(lower=0)
    bands = passed_bands(start_age, end_age)
    rows = bands["row"].to_numpy()
    n_stages, n_bands = len(ds.settings.open_stages), len(AGE_LABELS)
    key = (deal[rows] * n_stages + stage[rows]) * n_bands + bands["age_band"].cat.codes.to_numpy()
    unique, inverse = np.unique(key, return_inverse=True)  # a deal in the same cell twice counts once
    days = np.bincount(inverse, weights=bands["days"].to_numpy(), minlength=len(unique))
    deal_of = unique // (n_stages * n_bands)
    return pd.DataFrame({"deal": deal_of, "stage": (unique // n_bands) % n_stages, "band": unique % n_bands,
                         "days": days, "amount": closed["amount"].astype("float64").fillna(0.0).to_numpy()[deal_of],
                         "won": flag(closed, "is_won").to_numpy()[deal_of]})


def _weighted(frame: pd.DataFrame, key: np.ndarray, size: int) -> pd.DataFrame:
    """Per integer group ``key`` (0..size-1) of the rows of ``frame``: ``deals`` (distinct), ``won`` (distinct
    won deals) and ``rate`` (won value-days over all value-days; NaN without any)."""
    weight = (frame["amount"] * frame["days"]).to_numpy()
    won = frame["won"].to_numpy()
    w = np.bincount(key, weights=weight, minlength=size)
    ww = np.bincount(key, weights=np.where(won, weight, 0.0), minlength=size)
    pairs, first = np.unique(frame["deal"].to_numpy() * size + key, return_index=True)
    group = pairs % size
    deals = np.bincount(group, minlength=size)
    won_deals = np.bincount(group, weights=won[first].astype("float64"), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(w > 0, ww / np.where(w > 0, w, 1.0), np.nan)
    return pd.DataFrame({"deals": deals.astype("int64"), "won": won_deals.astype("int64"), "rate": rate})


def stage_age_win_rates(ds: Dataset, min_deals: int = MIN_DEALS) -> pd.DataFrame:
    """The learned win rate of every open stage × age band (shares 0-1, value- and time-weighted).

    Returns a frame indexed by (``stage``, ``age_band``) with ``deals`` and ``won`` (closed deals that
    passed through the cell, and how many of them were won), ``cell_rate``, ``stage_rate`` (all ages),
    ``default_rate`` (stage map probability / 100), ``rate`` (the one used) and ``basis`` (``stage × age``,
    ``stage`` or ``stage map``).
    """
    seen = _closed_stage_bands(ds)
    stages = ds.settings.open_stages
    n_stages, n_bands = len(stages), len(AGE_LABELS)
    index = pd.MultiIndex.from_product([stages, AGE_LABELS], names=["stage", "age_band"])
    cell_key = (seen["stage"] * n_bands + seen["band"]).to_numpy()
    cells = _weighted(seen, cell_key, n_stages * n_bands)
    per_stage = _weighted(seen, seen["stage"].to_numpy(), n_stages)
    on_stage = np.repeat(np.arange(n_stages), n_bands)
    out = pd.DataFrame({"deals": cells["deals"].to_numpy(), "won": cells["won"].to_numpy(),
                        "cell_rate": cells["rate"].to_numpy(), "stage_rate": per_stage["rate"].to_numpy()[on_stage]},
                       index=index)
    stage_deals = per_stage["deals"].to_numpy()[on_stage]
    default = ds.settings.stage_table()["probability"].astype("float64") / 100
    out["default_rate"] = default.reindex(stages).to_numpy()[on_stage]
    use_cell = (out["deals"] >= min_deals) & out["cell_rate"].notna()
    use_stage = ~use_cell & (stage_deals >= min_deals) & out["stage_rate"].notna()
    out["rate"] = np.where(use_cell, out["cell_rate"], np.where(use_stage, out["stage_rate"], out["default_rate"]))
    out["basis"] = np.where(use_cell, "stage × age", np.where(use_stage, "stage", "stage map"))
    return out


def learned_win_probability(ds: Dataset, deals: pd.DataFrame, rates: pd.DataFrame | None = None) -> pd.Series:
    """Each open deal's learned win rate (0-1) from its stage and its age at the dataset's date.

    A deal without a created date (age unknown) gets the mean of its stage's rates over the age bands. A stage
    the stage map does not know gets the overall win rate of closed deals (0 when none closed).
    Aligned with ``deals``.
    """
    rates = stage_age_win_rates(ds) if rates is None else rates
    order = list(dict.fromkeys(rates.index.get_level_values("stage")))
    table = rates["rate"].to_numpy().reshape(len(order), len(AGE_LABELS))  # stage × age band, as built
    stage = pd.Index(order).get_indexer(deals["stage"].astype("object"))
    age = (ds.reference_date.normalize() - pd.to_datetime(deals["created_date"]).dt.normalize()) / _DAY
    band = np.searchsorted(np.asarray(AGE_BANDS[1:], dtype="float64"), age.clip(lower=0).to_numpy(), side="right")
    rate = np.where(stage >= 0, table[np.maximum(stage, 0), np.minimum(band, len(AGE_LABELS) - 1)], np.nan)
    unknown_age = age.isna().to_numpy()
    if unknown_age.any():  # an open deal kept without a created date: its stage's rate over every age band
        known = ~np.isnan(table)
        stage_rate = np.where(known.any(axis=1), np.where(known, table, 0.0).sum(axis=1)
                              / np.maximum(known.sum(axis=1), 1), np.nan)
        rate = np.where(unknown_age & (stage >= 0), stage_rate[np.maximum(stage, 0)], rate)
    rate = pd.Series(rate, index=deals.index, dtype="float64")
    if rate.isna().any():
        o = ds.opportunities
        closed = o[flag(o, "is_closed")]
        rate = rate.fillna(float(flag(closed, "is_won").mean()) if len(closed) else 0.0)
    return rate.clip(0.0, 1.0).rename("win_probability")


def slip_rate(ds: Dataset, quarters: int = SLIP_QUARTERS, min_closed: int = MIN_DEALS) -> float:
    """Share (0-1) of deals that, during one of the last ``quarters`` quarters ended by the dataset's date,
    were open with a close date in that quarter and are now dated after it. 0 without history.

    A quarter in which fewer than ``min_closed`` deals closed is left out: it predates the data's real use
    (a CRM's first months often show every early deal pushed into the first live quarter)."""
    hist = ds.opportunity_history
    if hist.empty or "close_date" not in hist:
        return 0.0
    ref = ds.reference_date.normalize()
    cal = ds.calendar
    last = cal.shift(cal.period_of(ref), -1)
    periods = [cal.shift(last, -k) for k in range(quarters)]
    h = hist[["opportunity_id", "changed_at", "close_date", "stage"]].sort_values(
        ["opportunity_id", "changed_at"], kind="stable").reset_index(drop=True)
    deal = pd.factorize(h["opportunity_id"])[0]  # integer keys: much quicker to group than deal ids
    # Each deal's rows are consecutive (a missing id's rows too, sorted last): the close date and stage carried
    # forward within the deal and the deal's next change are read at row positions, as grouped ffill and
    # shift(-1) give them, without a groupby per column (backtests ask at every date they replay).
    starts = np.r_[True, deal[1:] != deal[:-1]]
    ends = np.r_[starts[1:], True]
    close = pd.to_datetime(h["close_date"])
    close = pd.Series(close.array.take(carried_rows(close.isna().to_numpy(), starts), allow_fill=True))
    stage = carried_rows(h["stage"].isna().to_numpy(), starts)
    is_open = h["stage"].isin(ds.settings.open_stages).to_numpy()[np.maximum(stage, 0)] & (stage >= 0)
    changed = h["changed_at"].to_numpy()
    following = np.r_[changed[1:], changed[:1]]
    following[ends] = np.datetime64("NaT")
    no_next = np.isnat(following)
    deals = ds.opportunities.set_index("opportunity_id")
    now = pd.to_datetime(deals["close_date"])
    closed_dates = now[flag(deals, "is_closed").to_numpy()]
    now = now.reindex(h["opportunity_id"]).to_numpy()
    expected = slipped = 0
    for p in periods:  # a handful of quarters; each step is vectorised over the history
        if int(p.contains(closed_dates).sum()) < min_closed:
            continue
        in_effect = (changed < p.end.to_datetime64()) & (no_next | (following > p.start.to_datetime64()))
        hit = in_effect & is_open & p.contains(close).to_numpy()
        seen = np.unique(deal[hit])
        first = np.zeros(len(h), dtype=bool)
        first[np.searchsorted(deal, seen)] = True  # one row per deal (deal codes ascend with the sort)
        expected += len(seen)
        slipped += int((first & (now >= np.datetime64(p.end))).sum())
    return slipped / expected if expected else 0.0
