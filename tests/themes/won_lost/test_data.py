"""Won / lost views: hand-worked tables on the tiny folder (tests/conftest.py) and on a small inline district,
and agreement between the windowed views and the per-quarter catalog metrics (nothing counted twice)."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quotabook.loading import load
from quotabook.metrics import MEASURES, compute_wide
from quotabook.themes.won_lost.data import (
    NO_REASON,
    bookings_trend,
    closed_vs_goals,
    customers_over_time,
    lost_by_reason,
    quarter_in_progress,
    sales_cycle_by_rep,
    size_band_edges,
    trailing_window,
    win_rate_by_deal_size,
    win_rate_over_time,
)

# A second small district: T1/T2 in East, T3 in West; deals closing over Q1-Q3 2026.
TERRITORIES = """\
territory,region,district,owner
T1,East,D,Ann
T2,East,D,Bob
T3,West,D,Cy
"""
OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won,loss_reason
w1,Ann,T1,2026-01-01,2026-01-31,Closed Won,Closed,100,true,true,
w2,Ann,T1,2026-01-01,2026-04-10,Closed Won,Closed,2000,true,true,
w3,Bob,T2,2026-02-01,2026-05-01,Closed Won,Closed,30000,true,true,
w4,Cy,T3,2026-03-01,2026-08-01,Closed Won,Closed,400,true,true,
l1,Ann,T1,2026-01-01,2026-02-01,Closed Lost,Omitted,100,true,false,Price
l2,Bob,T2,2026-01-01,2026-04-01,Closed Lost,Omitted,200,true,false,Price
l3,Cy,T3,2026-01-01,2026-05-01,Closed Lost,Omitted,300,true,false,Price
l4,Cy,T3,2026-01-01,2026-06-01,Closed Lost,Omitted,5000,true,false,Timing
l5,Bob,T2,2026-01-01,2026-06-15,Closed Lost,Omitted,400,true,false,
l6,Ann,T1,2026-01-01,2026-09-01,Closed Lost,Omitted,50000,true,false,Budget
o1,Bob,T2,2026-01-01,2026-09-20,Negotiation,Commit,7000,false,false,
"""
TARGETS = """\
period,territory,target_amount
2026-Q2,T1,4000
2026-Q2,T2,10000
2026-Q2,T3,1000
"""


@pytest.fixture
def district(tmp_path: Path):
    folder = tmp_path / "district"
    folder.mkdir()
    for name, text in {"territories": TERRITORIES, "opportunities": OPPORTUNITIES, "targets": TARGETS}.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text), encoding="utf-8")
    return load(folder)


# -- tiny folder: B won in T1 (500, Jan 10 -> Feb 20), D lost in T2 (300, Feb 1, Price), C open in Q2 --------------
def test_win_rate_over_time_on_the_tiny_folder(tiny_folder):
    got = win_rate_over_time(load(tiny_folder), "2026-Q1", "2026-Q2")
    expected = pd.DataFrame({"period": ["2026-Q1", "2026-Q2"], "district": ["D", "D"],
                             "won_count": [1.0, 0.0], "lost_count": [1.0, 0.0], "closed_count": [2.0, 0.0],
                             "win_rate": [0.5, np.nan], "closed_amount": [500.0, 0.0], "lost_amount": [300.0, 0.0]})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got.attrs == {"unavailable": {}, "period": "2026-Q1..2026-Q2"}


def test_bookings_trend_on_the_tiny_folder(tiny_folder):
    got = bookings_trend(load(tiny_folder), "2026-Q1", "2026-Q2", by="territory")
    assert got.columns.tolist() == ["period", "territory", "won_count", "closed_amount", "average_deal_size"]
    q1 = got[got["period"] == "2026-Q1"].set_index("territory")
    assert q1.loc["T1", ["won_count", "closed_amount", "average_deal_size"]].tolist() == [1.0, 500.0, 500.0]
    assert q1.loc["T2", "won_count"] == 0.0 and np.isnan(q1.loc["T2", "average_deal_size"])
    assert (got.loc[got["period"] == "2026-Q2", "won_count"] == 0).all()


def test_lost_by_reason_on_the_tiny_folder(tiny_folder):
    got = lost_by_reason(load(tiny_folder), "2026-Q1")
    assert got.to_dict("records") == [{"loss_reason": "Price", "lost_count": 1.0, "lost_amount": 300.0,
                                       "count_share": 1.0, "amount_share": 1.0}]


@pytest.mark.skipif("sales_cycle_days" not in MEASURES, reason="velocity measures not registered")
def test_sales_cycle_by_rep_on_the_tiny_folder(tiny_folder):
    got = sales_cycle_by_rep(load(tiny_folder), "2026-Q1").set_index("owner")
    assert got.loc["Ann"].tolist() == [1.0, 41.0, 41.0]      # Jan 10 -> Feb 20
    assert got.loc["Bob", "won_count"] == 0.0 and got.loc["Bob"].iloc[1:].isna().all()


def test_closed_vs_goals_on_the_tiny_folder(tiny_folder):
    got = closed_vs_goals(load(tiny_folder), "2026-Q1").set_index("owner")
    cols = ["won_count", "closed_amount", "target_amount", "gap", "attainment", "average_deal_size", "deals_needed",
            "rule_of_thumb_low", "rule_of_thumb_high"]
    assert got.columns.tolist() == cols
    assert got.loc["Ann"].tolist() == [1.0, 500.0, 1000.0, 500.0, 0.5, 500.0, 1.0, 18.0, 24.0]
    bob = got.loc["Bob"]
    # Bob has won nothing: the deals he needs use the team's average deal size (500): 2000 / 500
    assert bob[["won_count", "gap", "attainment", "deals_needed"]].tolist() == [0.0, 2000.0, 0.0, 4.0]
    assert np.isnan(bob["average_deal_size"])


# -- the inline district ---------------------------------------------------------------------------------
def test_lost_by_reason_over_a_range(district):
    got = lost_by_reason(district, "2026-Q1", "2026-Q3")
    assert got["loss_reason"].tolist() == ["Price", "Budget", "Timing", NO_REASON]   # by count, then value
    assert got["lost_count"].tolist() == [3.0, 1.0, 1.0, 1.0]
    assert got["lost_amount"].tolist() == [600.0, 50000.0, 5000.0, 400.0]
    assert got["count_share"].tolist() == [0.5, 1 / 6, 1 / 6, 1 / 6]
    assert got["amount_share"].tolist() == pytest.approx([600 / 56000, 50000 / 56000, 5000 / 56000, 400 / 56000])
    assert got.attrs["period"] == "2026-Q1..2026-Q3"
    q2 = lost_by_reason(district, "2026-Q2", by="region")
    assert q2[["region", "loss_reason", "lost_count", "count_share"]].values.tolist() == [
        ["East", NO_REASON, 1.0, 0.5], ["East", "Price", 1.0, 0.5],     # equal counts: larger value first
        ["West", "Timing", 1.0, 0.5], ["West", "Price", 1.0, 0.5]]


def test_lost_by_reason_without_reasons_is_unavailable(district):
    blank = replace(district, opportunities=district.opportunities.assign(loss_reason=pd.NA))
    got = lost_by_reason(blank, "2026-Q2")
    assert got.empty
    assert got.attrs["unavailable"] == {"lost_by_reason": "lost_by_reason not available: needs column "
                                                          "opportunities.loss_reason"}


def test_win_rate_by_fixed_deal_size_bands(district):
    got = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3", edges=[0, 1000, 10_000, np.inf])
    assert got["deal_size_band"].astype(str).tolist() == ["$0–$1K", "$1K–$10K", "$10K+"]
    assert got["won_count"].tolist() == [2.0, 1.0, 1.0]        # w1 w4 | w2 | w3
    assert got["lost_count"].tolist() == [4.0, 1.0, 1.0]       # l1 l2 l3 l5 | l4 | l6
    assert got["closed_count"].tolist() == [6.0, 2.0, 2.0]
    assert got["win_rate"].tolist() == [2 / 6, 0.5, 0.5]
    assert got["closed_amount"].tolist() == [500.0, 2000.0, 30000.0]
    # a band where every deal was won still gets its rate (all groups are listed, zeros included)
    q2 = win_rate_by_deal_size(district, "2026-Q2", edges=[0, 1000, np.inf], by="region")
    assert q2[["region", "won_count", "lost_count", "win_rate"]].values.tolist()[2:] == [
        ["East", 2.0, 0.0, 1.0], ["West", 0.0, 1.0, 0.0]]


def test_win_rate_by_quantile_bands_covers_every_closed_deal(district):
    got = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3", quantiles=3)
    edges = size_band_edges(pd.Series([100, 2000, 30000, 400, 100, 200, 300, 5000, 400, 50000.0]), 3)
    assert got["band_low"].tolist() == edges[:-1].tolist() and got["band_high"].tolist() == edges[1:].tolist()
    assert got["closed_count"].sum() == 10.0 and got["won_count"].sum() == 4.0
    assert got["deal_size_band"].cat.ordered


def test_windowed_views_agree_with_quarterly_metrics(district):
    """Over a range the views count each deal once: their totals are the sums of the quarterly metrics."""
    quarters = pd.concat([compute_wide(["won_count", "lost_count", "lost_amount"], district, f"2026-Q{q}",
                                       by="district") for q in (1, 2, 3)])
    trend = win_rate_over_time(district, "2026-Q1", "2026-Q3")
    assert trend["won_count"].tolist() == quarters["won_count"].tolist() == [1.0, 2.0, 1.0]
    assert trend["win_rate"].tolist() == [0.5, 2 / 6, 0.5]
    reasons = lost_by_reason(district, "2026-Q1", "2026-Q3")
    assert reasons["lost_count"].sum() == quarters["lost_count"].sum()
    assert reasons["lost_amount"].sum() == quarters["lost_amount"].sum()
    bands = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3")
    assert bands["won_count"].sum() == quarters["won_count"].sum()


def test_closed_vs_goals_per_rep(district):
    got = closed_vs_goals(district, "2026-Q2").set_index("owner")
    # Q2: Ann won w2 (2000) against 4000; Bob won w3 (30000) against 10000; Cy won nothing against 1000
    assert got["closed_amount"].tolist() == [2000.0, 30000.0, 0.0]
    assert got["attainment"].tolist() == [0.5, 3.0, 0.0]
    assert got["gap"].tolist() == [2000.0, -20000.0, 1000.0]
    # deals still needed: Ann 2000 / 2000 = 1; Bob none; Cy 1000 / team average 16000 -> 1
    assert got["deals_needed"].tolist() == [1.0, 0.0, 1.0]
    by_territory = closed_vs_goals(district, "2026-Q2", by="territory")
    assert by_territory["territory"].tolist() == ["T1", "T2", "T3"]


# -- windows and customers ----------------------------------------------------------------------------------------
def test_trailing_window_never_opens_before_the_first_close(district):
    # The first deal closes on 31 Jan 2026: a window of eight quarters ending 2026-Q3 starts at 2026-Q1.
    assert trailing_window(district, "2026-Q3", 8) == ("2026-Q1", "2026-Q3")
    assert trailing_window(district, "2026-Q3", 2) == ("2026-Q2", "2026-Q3")
    assert trailing_window(district, "2026-Q1") == ("2026-Q1", "2026-Q1")


def test_quarter_in_progress_only_while_it_runs(district):
    running = replace(district, as_of_date=pd.Timestamp("2026-08-15"))
    assert quarter_in_progress(running, "2026-Q3") == "2026-Q3"
    assert quarter_in_progress(running, "2026-Q2") is None
    assert quarter_in_progress(replace(district, as_of_date=pd.Timestamp("2026-09-30")), "2026-Q3") is None


def test_customers_over_time_counts_accounts_and_the_run_rate(district):
    o = district.opportunities
    with_accounts = replace(district, opportunities=o.assign(account_id=o["opportunity_id"].str[:1] + "-acct"),
                            as_of_date=pd.Timestamp("2026-12-31"))  # every quarter of the window is over
    got = customers_over_time(with_accounts, "2026-Q1", "2026-Q3")
    # Won deals w1 (Q1), w2 (Q2), w3 (Q2), w4 (Q3) belong to one account "w-acct": first won in Q1.
    assert got["customer_count"].tolist() == [1.0, 1.0, 1.0]
    assert got["new_customer_count"].tolist() == [1.0, 0.0, 0.0]
    # Run rate: the quarter's won amount x 4 (Q2: 2,000 + 30,000).
    assert got["run_rate_revenue"].tolist() == [400.0, 128000.0, 1600.0]
    bare = customers_over_time(district, "2026-Q1", "2026-Q3")
    assert set(bare.attrs["unavailable"]) == {"customer_count", "new_customer_count"}
    assert bare.columns.tolist() == ["period", "district", "run_rate_revenue"]


def test_deal_size_bands_asked_again_equal_a_fresh_reading_and_other_bands_are_their_own(district, monkeypatch):
    """The bands are kept with the dataset for the second caller (the findings, then the chart): a second call
    computes nothing and equals the first and a fresh dataset's, a caller's edits do not reach the next caller,
    and other edges, band counts, windows or levels are computed for themselves, not read from the kept result."""
    from quotabook.themes.won_lost import data

    computed = []
    monkeypatch.setattr(data, "compute_wide", lambda *a, **k: computed.append(a[2]) or compute_wide(*a, **k))
    first = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3", quantiles=3)
    bands = len(computed)
    first.loc[:, "won_count"] = -1.0  # a caller's edit stays its own
    again = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3", quantiles=3)
    assert bands == len(first) and len(computed) == bands  # one compute per band, none the second time
    fresh = win_rate_by_deal_size(replace(district), "2026-Q1", "2026-Q3", quantiles=3)
    pd.testing.assert_frame_equal(again, fresh)
    assert again.attrs == fresh.attrs and again.attrs["unplaced"] == {"won": 0, "lost": 0}
    assert again["won_count"].sum() == 4.0
    fixed = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3", edges=[0, 1000, 10_000, np.inf])
    assert fixed["won_count"].tolist() == [2.0, 1.0, 1.0]
    by_region = win_rate_by_deal_size(district, "2026-Q1", "2026-Q3", quantiles=3, by="region")
    assert "region" in by_region and len(by_region) == 2 * len(fresh)
    assert win_rate_by_deal_size(district, "2026-Q2", quantiles=3)["closed_count"].sum() == 6.0  # w2 w3 l2-l5
