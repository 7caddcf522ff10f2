"""Odds learned from history: win rate by stage × age band (value- and time-weighted) and the slip rate.

Closed deals, all created 1 Jan 2026 (report date 1 Aug 2026), worked by hand:

- A won 100: Proposal from day 0 to day 40 -> Proposal 0-29 for 30 days, 30-59 for 10 days.
- B lost 300: Proposal from day 0 to day 20 -> Proposal 0-29 for 20 days.
- C won 200: Discovery day 0-10, then Proposal day 10-60 -> Discovery 0-29 for 10 days; Proposal 0-29 for
  20 days and 30-59 for 30 days (closing on day 60 does not reach the 60-89 band).

Proposal 0-29: won value-days 100×30 + 200×20 = 7,000 of 7,000 + 300×20 = 13,000 -> 53.8% (3 deals, 2 won).
Proposal 30-59: A and C, both won -> 100%. Proposal over all ages: 14,000 of 20,000 = 70%. Discovery: 100% (1).
"""

from __future__ import annotations

import pandas as pd
import pytest

from quotabook.metrics.forecasting.learning import (
    age_band,
    learned_win_probability,
    passed_bands,
    slip_rate,
    stage_age_win_rates,
)
from quotabook.testing import build_dataset, deal

CREATED = "2026-01-01"


def _history():
    rows = [("A", "2026-01-01", "Proposal"), ("A", "2026-02-10", "Closed Won"),
            ("B", "2026-01-01", "Proposal"), ("B", "2026-01-21", "Closed Lost"),
            ("C", "2026-01-01", "Discovery"), ("C", "2026-01-11", "Proposal"), ("C", "2026-03-02", "Closed Won")]
    return [{"opportunity_id": i, "changed_at": t, "stage": s} for i, t, s in rows]


def _ds(extra=()):
    opps = [deal("A", stage="Closed Won", amount=100, created=CREATED, close="2026-02-10"),
            deal("B", stage="Closed Lost", amount=300, created=CREATED, close="2026-01-21"),
            deal("C", stage="Closed Won", amount=200, created=CREATED, close="2026-03-02"),
            deal("D", stage="Proposal", amount=1000, created="2026-07-10", close="2026-09-10"),
            deal("E", stage="Discovery", amount=1000, created="2026-07-10", close="2026-09-10"), *extra]
    return build_dataset(opps, history=_history(), as_of="2026-08-01")


def test_age_bands_and_the_bands_an_interval_passes_through():
    assert age_band([0, 29.9, 30, 89, 90, 400]).astype(str).tolist() == [
        "0-29 days", "0-29 days", "30-59 days", "60-89 days", "90-179 days", "180+ days"]
    got = passed_bands(pd.Series([0.0, 10.0, 60.0]), pd.Series([40.0, 60.0, 60.0]))
    assert list(zip(got["row"], got["age_band"].astype(str), got["days"], strict=True)) == [
        (0, "0-29 days", 30.0), (0, "30-59 days", 10.0), (1, "0-29 days", 20.0), (1, "30-59 days", 30.0),
        (2, "60-89 days", 0.0)]   # a zero-length interval sits in its band for 0 days


def test_win_rates_are_value_and_time_weighted_per_stage_and_age_band():
    rates = stage_age_win_rates(_ds(), min_deals=1)
    proposal_young = rates.loc[("Proposal", "0-29 days")]
    assert (proposal_young["deals"], proposal_young["won"]) == (3, 2)
    assert proposal_young["cell_rate"] == pytest.approx(7000 / 13000)
    assert rates.loc[("Proposal", "30-59 days"), "cell_rate"] == 1.0
    assert rates.loc[("Proposal", "60-89 days"), "deals"] == 0
    assert rates.loc[("Proposal", "0-29 days"), "stage_rate"] == pytest.approx(0.7)
    assert rates.loc[("Discovery", "0-29 days"), ["deals", "cell_rate"]].tolist() == [1, 1.0]


def test_thin_cells_fall_back_to_the_stage_then_to_the_stage_map():
    rates = stage_age_win_rates(_ds(), min_deals=3)
    assert rates.loc[("Proposal", "0-29 days"), ["basis", "rate"]].tolist() == ["stage × age", pytest.approx(7 / 13)]
    assert rates.loc[("Proposal", "30-59 days"), ["basis", "rate"]].tolist() == ["stage", pytest.approx(0.7)]
    assert rates.loc[("Discovery", "0-29 days"), ["basis", "rate"]].tolist() == ["stage map", 0.2]
    assert rates.loc[("Negotiation", "0-29 days"), ["basis", "rate"]].tolist() == ["stage map", 0.8]


def test_open_deals_take_the_rate_of_their_stage_and_current_age():
    """D (Proposal) and E (Discovery) are 22 days old on 1 Aug: the 0-29 day cells."""
    ds = _ds()
    deals = ds.opportunities[ds.opportunities["opportunity_id"].isin(["D", "E"])]
    got = learned_win_probability(ds, deals, stage_age_win_rates(ds, min_deals=1))
    assert got.tolist() == pytest.approx([7000 / 13000, 1.0])


def test_deals_closed_after_the_date_are_not_learned_from():
    """As of 15 Jan nothing has closed: every cell falls back to the stage map."""
    ds = _ds().as_of("2026-01-15")
    assert set(stage_age_win_rates(ds, min_deals=1)["basis"]) == {"stage map"}


def test_slip_rate_is_the_share_of_deals_dated_in_a_past_quarter_that_ended_up_after_it():
    """2026-Q2: S1 was dated 15 May and is now dated 20 Aug (slipped); S2 won and S3 lost in the quarter; S4
    was dated in September all along. One of three slipped."""
    opps = [deal("S1", stage="Proposal", close="2026-08-20", created="2026-03-01"),
            deal("S2", stage="Closed Won", close="2026-06-01", created="2026-03-01"),
            deal("S3", stage="Closed Lost", close="2026-06-20", created="2026-03-01"),
            deal("S4", stage="Proposal", close="2026-09-01", created="2026-03-01")]
    history = [{"opportunity_id": "S1", "changed_at": "2026-04-01", "stage": "Proposal", "close_date": "2026-05-15"},
               {"opportunity_id": "S1", "changed_at": "2026-06-10", "stage": "Proposal", "close_date": "2026-08-20"},
               {"opportunity_id": "S2", "changed_at": "2026-04-01", "stage": "Proposal", "close_date": "2026-06-01"},
               {"opportunity_id": "S2", "changed_at": "2026-06-01", "stage": "Closed Won", "close_date": "2026-06-01"},
               {"opportunity_id": "S3", "changed_at": "2026-04-01", "stage": "Solution", "close_date": "2026-06-20"},
               {"opportunity_id": "S3", "changed_at": "2026-06-20", "stage": "Closed Lost", "close_date": "2026-06-20"},
               {"opportunity_id": "S4", "changed_at": "2026-04-01", "stage": "Proposal", "close_date": "2026-09-01"}]
    ds = build_dataset(opps, history=history, as_of="2026-08-01")
    assert slip_rate(ds, min_closed=1) == pytest.approx(1 / 3)
    assert slip_rate(ds) == 0.0   # two deals closed in 2026-Q2, under MIN_DEALS: the quarter predates real use
    assert slip_rate(build_dataset(opps, as_of="2026-08-01"), min_closed=1) == 0.0   # no history


def _slip_rate_grouped(ds, quarters=4, min_closed=1):
    """The slip rate by its definition in pandas groupby terms (each deal's close date and stage carried forward
    over its history, its next change): what :func:`slip_rate` reads at row positions instead."""
    import numpy as np

    hist = ds.opportunity_history
    cal = ds.calendar
    last = cal.shift(cal.period_of(ds.reference_date.normalize()), -1)
    periods = [cal.shift(last, -k) for k in range(quarters)]
    h = hist[["opportunity_id", "changed_at", "close_date", "stage"]].sort_values(
        ["opportunity_id", "changed_at"], kind="stable").reset_index(drop=True)
    deal_code = pd.factorize(h["opportunity_id"])[0]
    close = pd.to_datetime(h["close_date"]).groupby(deal_code).ffill()
    is_open = h["stage"].groupby(deal_code).ffill().isin(ds.settings.open_stages).to_numpy()
    following = h["changed_at"].groupby(deal_code).shift(-1)
    deals = ds.opportunities.set_index("opportunity_id")
    now = pd.to_datetime(deals["close_date"])
    closed_dates = now[deals["is_closed"].fillna(False).astype(bool).to_numpy()]
    now = now.reindex(h["opportunity_id"]).to_numpy()
    expected = slipped = 0
    for p in periods:
        if int(p.contains(closed_dates).sum()) < min_closed:
            continue
        in_effect = ((h["changed_at"] < p.end) & (following.isna() | (following > p.start))).to_numpy()
        seen = np.unique(deal_code[in_effect & is_open & p.contains(close).to_numpy()])
        first = np.zeros(len(h), dtype=bool)
        first[np.searchsorted(deal_code, seen)] = True
        expected += len(seen)
        slipped += int((first & (now >= np.datetime64(p.end))).sum())
    return slipped / expected if expected else 0.0


@pytest.mark.parametrize("seed", range(12))
def test_slip_rate_reads_at_row_positions_what_grouped_forward_fills_give(seed):
    """Random histories out of order, with blank stages and close dates, changes at the same moment and rows of
    a deal no longer in the opportunities: the slip rate equals its grouped definition exactly."""
    import numpy as np

    rng = np.random.default_rng(seed)
    stages = ["Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
    day = pd.Timestamp("2025-01-01")
    opps, rows = [], []
    for i in range(40):
        created = day + pd.Timedelta(days=int(rng.integers(0, 400)))
        close = created + pd.Timedelta(days=int(rng.integers(5, 200)))
        final = stages[int(rng.integers(0, 5))]
        opps.append(deal(f"D{i:02d}", ["T1", "T2", "T3"][i % 3], stage=final, created=str(created.date()),
                         close=str(close.date())))
        for _ in range(int(rng.integers(0, 5))):
            at = created + pd.Timedelta(days=int(rng.integers(0, 250)), hours=int(rng.integers(0, 2)) * 9)
            moved = created + pd.Timedelta(days=int(rng.integers(5, 300)))
            rows.append({"opportunity_id": f"D{i:02d}" if rng.random() > 0.05 else "GONE", "changed_at": at,
                         "stage": stages[int(rng.integers(0, 5))] if rng.random() > 0.2 else None,
                         "close_date": moved if rng.random() > 0.3 else None})
    order = rng.permutation(len(rows))
    history = pd.DataFrame([rows[k] for k in order])
    ds = build_dataset(opps, history=history, as_of="2026-05-20")
    assert slip_rate(ds, min_closed=1) == _slip_rate_grouped(ds)
    assert 0 < _slip_rate_grouped(ds) < 1 or seed  # the first draw slips some deals, not all
