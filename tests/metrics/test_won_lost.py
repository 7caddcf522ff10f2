"""Theme 7, won / lost: hand-worked counts on the tiny folder and inline frames, customers and run rate,
hypothesis invariants on random datasets and a DuckDB SQL cross-check of win rate per region."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from quotabook.loading import load
from quotabook.metrics import compute

from .test_target_achievement import PROPERTY, build_dataset, deal, random_datasets, wide

WON_LOST = ["won_count", "lost_count", "closed_count", "lost_amount", "closed_amount", "win_rate",
            "average_deal_size"]


def test_won_lost_on_the_tiny_folder(tiny_folder):
    """Q1 2026: B won in T1 (500, Feb 20); D lost in T2 (300, Feb 1, Price). Report date Mar 1."""
    ds = load(tiny_folder)
    got = wide([*WON_LOST, "run_rate_revenue"], ds, "2026-Q1")
    expected = pd.DataFrame({
        "won_count": [1.0, 0.0], "lost_count": [0.0, 1.0], "closed_count": [1.0, 1.0],
        "lost_amount": [0.0, 300.0], "closed_amount": [500.0, 0.0], "win_rate": [1.0, 0.0],
        "average_deal_size": [500.0, np.nan],
        "run_rate_revenue": [2000.0, 0.0],   # Dec 2 - Mar 1 holds B: 500 x 4
    }, index=pd.Index(["T1", "T2"], name="territory"))
    pd.testing.assert_frame_equal(got, expected)
    district = wide(["won_count", "closed_count", "win_rate"], ds, "2026-Q1", by="district")
    assert district.loc["D"].tolist() == [1.0, 2.0, 0.5]
    q2 = wide(["closed_count", "win_rate"], ds, "2026-Q2")   # nothing closes in Q2: the rate is undefined
    assert q2["closed_count"].tolist() == [0.0, 0.0] and q2["win_rate"].isna().all()


def test_a_segment_with_no_wins_has_a_zero_win_rate_not_a_gap(tiny_folder):
    """Grouped by a non-geographic level, every segment on the deals is listed: T2 (Enterprise) only lost."""
    got = wide(["won_count", "closed_count", "win_rate"], load(tiny_folder), "2026-Q1", by="segment")
    assert got.loc["Enterprise"].tolist() == [0.0, 1.0, 0.0]
    assert got.loc["SMB"].tolist() == [1.0, 1.0, 1.0]


def test_customer_counts_need_account_ids(tiny_folder):
    got = compute(["won_count", "customer_count", "new_customer_count"], load(tiny_folder), "2026-Q1")
    assert set(got["metric"]) == {"won_count"}
    assert got.attrs["unavailable"] == {
        "customer_count": "customer_count not available: needs column opportunities.account_id",
        "new_customer_count": "new_customer_count not available: needs column opportunities.account_id"}


CUSTOMERS = [
    deal("C1a", "T1", stage="Closed Won", close="2026-02-10", account_id="ACC1"),
    deal("C1b", "T1", stage="Closed Won", close="2026-05-01", account_id="ACC1"),   # repeat: not new
    deal("C2a", "T1", stage="Closed Won", close="2026-05-10", account_id="ACC2"),   # tie on date: C2a first
    deal("C2b", "T2", stage="Closed Won", close="2026-05-10", account_id="ACC2"),
    deal("C3", "T3", stage="Closed Won", close="2026-08-01", account_id="ACC3"),
    deal("C4", "T1", stage="Closed Lost", close="2026-03-01", account_id="ACC4"),   # never a customer
    deal("C5", "T1", stage="Closed Won", close="2025-11-01", created="2025-10-01", account_id="ACC5"),
    deal("C6", "T2", stage="Negotiation", close="2026-06-01", account_id="ACC6"),   # open: not a customer
]


def test_customer_and_new_customer_counts():
    ds = build_dataset(CUSTOMERS, as_of="2026-12-31")
    q2 = wide(["customer_count", "new_customer_count"], ds, "2026-Q2")
    # by the end of Q2: T1 has ACC1, ACC2, ACC5; T2 has ACC2; ACC3 is won only in Q3
    assert q2["customer_count"].tolist() == [3.0, 1.0, 0.0]
    assert q2["new_customer_count"].tolist() == [1.0, 0.0, 0.0]      # ACC2, in the group of C2a
    east = wide(["customer_count"], ds, "2026-Q2", by="region").loc["East", "customer_count"]
    assert east == 3.0                                                # ACC2 counts once for the region
    new = [wide(["new_customer_count"], ds, f"2026-Q{q}", by="district").loc["D", "new_customer_count"]
           for q in range(1, 5)]
    assert new == [1.0, 1.0, 1.0, 0.0]                                # ACC1, ACC2, ACC3; ACC5 was new in 2025


def test_run_rate_revenue():
    opps = [deal("a", stage="Closed Won", close="2026-05-15", amount=1000),
            deal("b", stage="Closed Won", close="2026-06-30", amount=200),
            deal("c", stage="Closed Won", close="2026-07-10", amount=30),
            deal("d", stage="Closed Won", close="2026-10-01", amount=4),
            deal("e", stage="Closed Lost", close="2026-07-11", amount=50000)]
    done = build_dataset(opps, as_of="2026-12-31")           # Q3 over: its own three months, x 4
    assert wide(["run_rate_revenue"], done, "2026-Q3").loc["T1", "run_rate_revenue"] == 30 * 4
    running = build_dataset(opps, as_of="2026-08-15")        # Q3 running: May 16 - Aug 15
    assert wide(["run_rate_revenue"], running, "2026-Q3").loc["T1", "run_rate_revenue"] == (200 + 30) * 4


# -- properties on random datasets --------------------------------------------------------------------------
@PROPERTY
@given(random_datasets(), st.sampled_from(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]))
def test_win_rate_and_roll_ups_on_random_datasets(ds, period):
    names = ["won_count", "lost_count", "closed_count", "lost_amount", "win_rate", "new_customer_count",
             "customer_count"]
    terr = wide(names, ds, period)
    region = wide(names, ds, period, by="region")
    additive = ["won_count", "lost_count", "closed_count", "lost_amount", "new_customer_count"]
    geo = ds.territories.set_index("territory")["region"]
    pd.testing.assert_frame_equal(terr[additive].groupby(geo).sum(), region[additive], check_names=False)
    by_region = terr["customer_count"].groupby(geo)
    assert (region["customer_count"] <= by_region.sum()).all() and (region["customer_count"] >= by_region.max()).all()
    for frame in (terr, region):
        assert frame["win_rate"].dropna().between(0, 1).all()
        assert frame["win_rate"].isna().equals(frame["closed_count"] == 0)
        assert (frame["closed_count"] == frame["won_count"] + frame["lost_count"]).all()


@PROPERTY
@given(random_datasets())
def test_quarters_add_up_to_the_year(ds):
    o = ds.opportunities
    fy = o["close_date"].between("2026-01-01", "2026-12-31")
    won, closed = o["is_won"].astype(bool), o["is_closed"].astype(bool)
    names = ["won_count", "lost_count", "lost_amount", "new_customer_count"]
    year = pd.concat([wide(names, ds, f"2026-Q{q}", by="district") for q in range(1, 5)]).sum()
    assert year["won_count"] == (fy & won).sum()
    assert year["lost_count"] == (fy & closed & ~won).sum()
    assert year["lost_amount"] == o.loc[fy & closed & ~won, "amount"].sum()
    first_win = o[won].groupby("account_id")["close_date"].min()
    assert year["new_customer_count"] == first_win.between("2026-01-01", "2026-12-31").sum()


# -- independent DuckDB SQL ---------------------------------------------------------------------------------
WIN_RATE_SQL = """
SELECT t.region,
       COUNT(o.opportunity_id) FILTER (WHERE o.is_won) AS won_count,
       COUNT(o.opportunity_id) FILTER (WHERE o.is_closed AND NOT o.is_won) AS lost_count,
       COUNT(o.opportunity_id) FILTER (WHERE o.is_won)
           / NULLIF(COUNT(o.opportunity_id) FILTER (WHERE o.is_closed), 0) AS win_rate
FROM terr t
LEFT JOIN opps o ON o.territory = t.territory AND o.close_date >= $start AND o.close_date < $end
GROUP BY t.region ORDER BY t.region
"""


@PROPERTY
@given(random_datasets(), st.sampled_from(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]))
def test_win_rate_per_region_matches_duckdb(ds, period):
    p = ds.period(period)
    o = ds.opportunities
    con = duckdb.connect()
    con.register("opps", pd.DataFrame({
        "opportunity_id": o["opportunity_id"].astype(object), "territory": o["territory"].astype(object),
        "close_date": o["close_date"], "is_closed": o["is_closed"].astype(bool), "is_won": o["is_won"].astype(bool)}))
    con.register("terr", ds.territories[["territory", "region"]].astype(object))
    sql = con.execute(WIN_RATE_SQL, {"start": p.start.to_pydatetime(), "end": p.end.to_pydatetime()}).df()
    ours = wide(["won_count", "lost_count", "win_rate"], ds, period, by="region")
    pd.testing.assert_frame_equal(ours, sql.set_index("region").astype("float64"), check_names=False,
                                  check_index_type=False)
