"""Velocity views: sales cycle quartiles by rep and segment, time in stage for won vs lost deals (InsightSquared's
3.6 vs 15.9 days), the aging and stale lists agreeing with their catalog counts (the worked example's 15% of 200),
cohort velocity by creation month, and the slippage table, also as of past dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.loading import load
from quotabook.metrics import compute_wide
from quotabook.themes.velocity.data import (
    VELOCITY_FACTORS,
    aging_summary,
    at_period_end,
    cohort_velocity,
    pipeline_aging,
    sales_cycle_stats,
    sales_velocity_table,
    slippage_table,
    slipped_deals,
    stale_deals,
    time_in_stage_won_vs_lost,
)
from worked.velocity import REF, T, aging_dataset, build, deal, stale_dataset, steps


def test_sales_cycle_quartiles_by_rep_and_segment():
    cycles = {"a": 10, "b": 20, "c": 30, "d": 40}          # Ann's wins, days from creation to the win
    opps = [deal(k, created=str((T("2026-05-01") - pd.Timedelta(days=d)).date()), close="2026-05-01",
                 stage="Closed Won", segment="SMB" if d < 35 else "Enterprise") for k, d in cycles.items()]
    opps += [deal("e", "T2", created="2026-01-01", close="2026-02-01", stage="Closed Won", segment="SMB"),  # Q1
             deal("lost", created="2026-01-01", close="2026-05-01", stage="Closed Lost", segment="SMB")]
    ds = build(opps)
    by_rep = sales_cycle_stats(ds, "2026-Q2").set_index("owner")
    assert by_rep.loc["Ann"].to_dict() == {"won_deals": 4, "sales_cycle_days": 25.0, "median_sales_cycle_days": 25.0,
                                           "q1_days": 17.5, "q3_days": 32.5, "min_days": 10.0, "max_days": 40.0}
    assert by_rep.loc["Bob", "won_deals"] == 0 and np.isnan(by_rep.loc["Bob", "sales_cycle_days"])
    assert by_rep.attrs["period"] == "2026-Q2"
    window = sales_cycle_stats(ds, "2026-Q1", "2026-Q2", by="segment").set_index("segment")
    assert window["won_deals"].to_dict() == {"Enterprise": 1, "SMB": 4}
    assert window.loc["SMB", "sales_cycle_days"] == (10 + 20 + 30 + 31) / 4
    catalog = compute_wide(["sales_cycle_days"], ds, "2026-Q2", by="owner")["sales_cycle_days"]
    assert by_rep["sales_cycle_days"].equals(catalog.reindex(by_rep.index))


def test_time_in_stage_won_vs_lost_reproduces_insightsquareds_example():
    """ "Lost Deals spend almost 5 times as long in the Qualifying Stage as Won Deals (15.9 days vs. 3.6)." """
    start = T("2026-01-05")
    won_q, lost_q = pd.Timedelta(days=3.6), pd.Timedelta(days=15.9)
    opps = [deal("won", close="2026-02-01", stage="Closed Won"), deal("lost", close="2026-02-01", stage="Closed Lost"),
            deal("open", close="2026-06-01")]
    hist = (steps("won", (start, "Qualification"), (start + won_q, "Discovery"), ("2026-02-01", "Closed Won"),
                  close="2026-02-01")
            + steps("lost", (start, "Qualification"), (start + lost_q, "Closed Lost"), close="2026-02-01")
            + steps("open", (start, "Qualification"), (start + pd.Timedelta(days=50), "Discovery"),
                    close="2026-06-01"))
    got = time_in_stage_won_vs_lost(build(opps, history=hist, as_of="2026-03-31"), "2026-Q1").set_index("stage")
    assert got.index.tolist() == ["Qualification", "Discovery", "Solution", "Proposal", "Negotiation"]
    qual = got.loc["Qualification"]
    assert qual["won_mean_days"] == pytest.approx(3.6) and qual["lost_mean_days"] == pytest.approx(15.9)
    assert (qual["won_stays"], qual["lost_stays"]) == (1, 1)
    assert qual["lost_to_won"] == pytest.approx(15.9 / 3.6)
    assert got.loc["Discovery", "won_mean_days"] == pytest.approx((T("2026-02-01") - start - won_q) / pd.Timedelta(
        days=1))
    assert got.loc["Solution"].isna()[["won_mean_days", "lost_mean_days"]].all()


def test_aging_list_and_summary_agree_with_the_catalog_counts():
    ds = aging_dataset(aged_days=list(range(46, 76)), fresh_days=[45] * 100 + [10] * 70)
    full = pipeline_aging(ds)
    assert len(full) == 200 and full["aged"].sum() == 30
    assert full["aged"].iloc[:30].all() and full["days_in_stage"].iloc[0] == 75      # most overdue first
    assert full.attrs["aged_share"] == 0.15 and not full.attrs["alert"]
    aged = pipeline_aging(ds, aged_only=True)
    assert len(aged) == 30 and (aged["aging_limit_days"] == 45).all()
    summary = aging_summary(ds, "2026-Q1", by="district").set_index("district")
    assert summary.loc["D", ["aged_deal_count", "open_deal_count", "pipeline_aging_share"]].tolist() == [30, 200, 0.15]
    assert not summary.loc["D", "aging_alert"]
    hot = aging_summary(aging_dataset([50, 60], [10]), "2026-Q1", by="district")
    assert hot["aging_alert"].tolist() == [True]                                       # 2 of 3 aged > 20%


def test_stale_list_agrees_with_the_catalog_count():
    ds = stale_dataset()
    s = stale_deals(ds)
    assert s["opportunity_id"].tolist() == ["sol100", "disc61", "prop46", "nego46"]     # longest overdue first
    assert s.set_index("opportunity_id")["days_over"].to_dict() == {"sol100": 40, "prop46": 1, "nego46": 1,
                                                                    "disc61": 1}
    assert len(s) == compute_wide(["stale_deal_count"], ds, "2026-Q1", by="district").iloc[0, 0]
    assert stale_deals(stale_dataset(as_of="2026-02-15")).empty


def test_cohort_velocity_by_creation_month():
    opps = [deal("j1", created="2026-01-02", close="2026-02-01", stage="Closed Won"),     # 30 days
            deal("j2", created="2026-01-10", close="2026-03-01", stage="Closed Won"),     # 50 days
            deal("j3", created="2026-01-20", close="2026-03-01", stage="Closed Lost"),
            deal("f1", created="2026-02-01", close="2026-05-12", stage="Closed Won"),     # 100 days
            deal("f2", created="2026-02-03", close="2026-06-30")]                         # open
    got = cohort_velocity(build(opps)).set_index("cohort")
    assert got.index.tolist() == ["2026-01", "2026-02"]
    assert got.loc["2026-01", ["created", "won", "lost", "open"]].tolist() == [3, 2, 1, 0]
    assert got.loc["2026-01", "win_rate"] == pytest.approx(2 / 3)
    assert got["mean_cycle_days"].tolist() == [40.0, 100.0]
    assert got.attrs["baseline_cycle_days"] == 60.0
    assert got["vs_baseline"].tolist() == pytest.approx([-1 / 3, 2 / 3])
    assert got["slow"].tolist() == [False, True]                  # more than 20% slower than the baseline
    only_feb = cohort_velocity(build(opps), "2026-Q1")             # creation window: Q1 holds all of them
    assert only_feb["created"].sum() == 5


def test_slippage_table_and_slipped_deals(tiny_folder):
    tiny = load(tiny_folder)
    table = slippage_table(tiny.as_of("2026-03-15"), "2026-Q1").set_index("territory")
    assert table.loc["T1"].to_dict() == {"deals": 2, "close_date_push_count": 2.0, "deals_pushed": 1,
                                         "red_flag_deals": 0, "slipped_deals": 0, "slipped_amount": 0.0}
    assert table.loc["T2", "deals"] == 1                          # D, lost in Q1
    close = ["2026-03-10", "2026-03-20", "2026-03-25", "2026-03-28", "2026-03-30", "2026-04-15"]
    hist = steps("X", *(((T("2026-01-05") + pd.Timedelta(days=7 * k)), "Discovery", c) for k, c in enumerate(close)),
                 amount=800)
    opps = [deal("X", close="2026-04-15", amount=800), deal("Y", "T2", close="2026-03-01", stage="Closed Won")]
    ds = build(opps, history=hist + steps("Y", ("2026-01-05", "Closed Won", "2026-03-01")), as_of=REF)
    table = slippage_table(ds, "2026-Q1").set_index("territory")
    assert table.loc["T1", ["deals", "red_flag_deals", "slipped_deals", "slipped_amount"]].tolist() == [0, 0, 1, 800]
    q2 = slippage_table(ds, "2026-Q2").set_index("territory")
    assert q2.loc["T1", ["deals", "close_date_push_count", "red_flag_deals"]].tolist() == [1, 5, 1]
    deals = slipped_deals(ds, "2026-Q1")
    cols = ["opportunity_id", "expected_close_date", "days_slipped", "slipped_amount", "pushes"]
    assert deals[cols].values.tolist() == [["X", T("2026-03-30"), 16, 800.0, 5]]
    before = build(opps, history=hist + steps("Y", ("2026-01-05", "Closed Won", "2026-03-01")), as_of="2026-02-01")
    assert slipped_deals(before, "2026-Q1").empty


def _progressed_after_the_quarter():
    """S sat in Discovery from Jan 5 and moved to Solution on Apr 10; W won after 20 days in Discovery (median
    20, aging limit 30). At the end of Q1 S is aged and stale (85 days); on Apr 20 it is neither."""
    opps = [deal("S", created="2026-01-05", close="2026-06-30", stage="Solution"),
            deal("W", created="2026-01-05", close="2026-01-25", stage="Closed Won")]
    hist = (steps("S", ("2026-01-05", "Discovery"), ("2026-04-10", "Solution"), close="2026-06-30")
            + steps("W", ("2026-01-05", "Discovery"), ("2026-01-25", "Closed Won"), close="2026-01-25"))
    return build(opps, history=hist, as_of="2026-04-20")


def test_lists_for_a_past_period_are_the_deals_its_counts_count():
    ds = _progressed_after_the_quarter()
    counts = compute_wide(["stale_deal_count", "aged_deal_count"], ds, "2026-Q1", by="district").iloc[0]
    stale_then = stale_deals(ds, "2026-Q1")
    assert stale_then["opportunity_id"].tolist() == ["S"] and len(stale_then) == counts["stale_deal_count"]
    assert stale_then["days_in_stage"].tolist() == [85] and stale_then.attrs["period"] == "2026-03-31"
    assert stale_then["name"].tolist() == ["S"]                                   # no name: the id stands in
    aged_then = pipeline_aging(ds, aged_only=True, period="2026-Q1")
    assert len(aged_then) == counts["aged_deal_count"] == 1 and aged_then.attrs["aged_share"] == 1.0
    assert stale_deals(ds).empty and pipeline_aging(ds, aged_only=True).empty    # today S has moved on
    assert at_period_end(ds, "2026-Q2") is ds and at_period_end(ds, None) is ds   # current period: today


def test_sales_velocity_table_shows_the_factors_that_make_it():
    opps = [deal("w1", created="2026-01-01", close="2026-01-31", stage="Closed Won", amount=3000),   # 30 days
            deal("w2", created="2026-01-01", close="2026-03-02", stage="Closed Won", amount=1000),   # 60 days
            deal("l1", close="2026-02-01", stage="Closed Lost"), deal("l2", close="2026-02-01", stage="Closed Lost"),
            deal("o1", close="2026-06-30"), deal("o2", close="2026-06-30"), deal("o3", "T2", close="2026-06-30")]
    got = sales_velocity_table(build(opps, as_of="2026-04-15"), "2026-Q1", by="territory").set_index("territory")
    t1 = got.loc["T1"]
    assert t1[VELOCITY_FACTORS].tolist() == [2, 0.5, 2000, 45]
    assert t1["sales_velocity"] == pytest.approx(2 * 0.5 * 2000 / 45)            # 44.4 per day
    assert np.isnan(got.loc["T2", "sales_velocity"])                               # T2 won nothing
    assert got.attrs["period"] == "2026-Q1"
