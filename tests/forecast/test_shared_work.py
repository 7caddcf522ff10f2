"""Work the forecast page shares between past dates gives what computing it afresh gives.

The backtests, the range calibration and the Commit-call history travel to many past dates. They share one lean
copy of the deals, the days the backtest and the calibration both read (week ``backtest_week``, kept by the
backtest), and, between the datasets that differ in settings only (a Commit call replayed at each call week), the
groups of a grouping and where each rep's rows belong. Each test compares the shared result with one computed
on a dataset built afresh.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import pandas as pd
import pytest

from quotabook.errors import DataQualityWarning
from quotabook.forecast import backtest as bt
from quotabook.forecast import trust
from quotabook.metrics import compute_wide
from quotabook.testing import inline_dataset

from .test_trust import HISTORY as CALLS_HISTORY
from .test_trust import OPPORTUNITIES as CALLS
from .test_trust import SETTINGS, _change, _deal
from .test_trust import TERRITORIES as CALL_TERRITORIES

# test_trust's calls (Ann: A1 won 100, A2 lost; Bob: B1 won 80, C1 created in April), a third territory, and a rep
# who owns none: Zed's Z1 in T3 puts him in the owner groups, after the territory owners.
TERRITORIES = [*CALL_TERRITORIES, {"territory": "T3", "region": "West", "district": "D", "owner": "Cy"}]
MOVED = [*CALL_TERRITORIES, {"territory": "T3", "region": "West", "district": "D", "owner": "Zed"}]
# 2025-Q1 runs 1 Jan – 31 Mar; week 7 (the workbook's backtest_week) starts on 12 Feb.
OPPORTUNITIES = [
    *CALLS,
    _deal("Z1", "Zed", "T3", "Closed Won", "Closed", 70, "2024-12-03", "2025-03-01"),
    # No history at all, won after 12 Feb: shown open on that day, with a data-quality warning.
    _deal("B9", "Bob", "T2", "Closed Won", "Closed", 60, "2024-12-10", "2025-03-25"),
]
HISTORY = [
    *CALLS_HISTORY,
    _change("Z1", "2024-12-03", "Solution", "Best Case", 70, "2025-03-01"),
    _change("Z1", "2025-02-01", "Negotiation", "Commit"),
    _change("Z1", "2025-03-01", "Closed Won", "Closed"),
]


def build(territories=TERRITORIES):
    given = {"opportunities": OPPORTUNITIES, "territories": territories, "opportunity_history": HISTORY}
    return inline_dataset(given, as_of="2025-04-10", settings=SETTINGS)


def _call_week(ds, week: int):
    return ds.with_settings(replace(ds.settings, thresholds={**ds.settings.thresholds, "commit_call_week": week}))


@pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")  # B9 shown open: tested below
def test_datasets_differing_in_settings_share_the_groups_and_compute_what_a_fresh_dataset_does():
    ds = build()
    calls = {week: compute_wide(["commit_call_amount"], _call_week(ds, week), "2025-Q1", by="owner")
             for week in (2, 6, 10)}
    # Zed owns no territory and won Z1 in the quarter: listed after the three territory owners.
    assert list(calls[2].index) == ["Ann", "Bob", "Cy", "Zed"]
    # Week 2 (8 Jan): Ann's A1 + A2 in Commit, Bob's B1 and Zed's Z1 Best Case, B9 open in Pipeline. Week 10
    # (5 Mar): A2 lost, B1 in Commit at 50, Z1 won at 70.
    assert calls[2]["commit_call_amount"].to_dict() == {"Ann": 200.0, "Bob": 0.0, "Cy": 0.0, "Zed": 0.0}
    assert calls[10]["commit_call_amount"].to_dict() == {"Ann": 100.0, "Bob": 50.0, "Cy": 0.0, "Zed": 70.0}
    variant = _call_week(ds, 6)
    assert variant.tables_derived is ds.tables_derived and variant.derived is not ds.derived
    kept = [key for key in ds.tables_derived if key[0] == "groups"]
    assert kept == [("groups", ("owner",), pd.Timestamp("2025-01-01"), pd.Timestamp("2025-04-01"))]
    for week, got in calls.items():
        fresh = compute_wide(["commit_call_amount"], _call_week(build(), week), "2025-Q1", by="owner")
        pd.testing.assert_frame_equal(got, fresh, check_exact=True)


def test_a_swapped_territory_table_is_not_read_through_the_groups_kept_for_the_old_one():
    ds = build()
    before = compute_wide(["closed_amount"], ds, "2025-Q1", by="owner")
    assert before["closed_amount"].to_dict() == {"Ann": 100.0, "Bob": 140.0, "Cy": 0.0, "Zed": 70.0}
    ds.territories = build(MOVED).territories  # Zed takes T3 over from Cy
    after = compute_wide(["closed_amount"], ds, "2025-Q1", by="owner")
    pd.testing.assert_frame_equal(after, compute_wide(["closed_amount"], build(MOVED), "2025-Q1", by="owner"),
                                  check_exact=True)
    # Cy owns nothing any more and has no deal: no group of his.
    assert after["closed_amount"].to_dict() == {"Ann": 100.0, "Bob": 140.0, "Zed": 70.0}


def test_a_kept_time_travel_is_the_fresh_one_and_warns_at_every_read():
    ds = build()
    lean = bt._lean(ds, 100)
    assert bt._lean(ds, 100) is lean and lean.tables_derived is bt._lean(ds, None).tables_derived
    day, other = pd.Timestamp("2025-02-12"), pd.Timestamp("2025-02-19")
    reads = []
    for keep in (True, True, False):  # kept by the first read; a reader that keeps nothing still reads it
        with pytest.warns(DataQualityWarning, match="1 deal closed after"):
            reads.append(bt._travel(lean, day, keep=keep))
    assert reads[0] is reads[1] is reads[2]
    with pytest.warns(DataQualityWarning):
        unkept = bt._travel(lean, other, keep=False)
    assert ("forecast_as_of", other) not in lean.derived and bt._travel(lean, other, keep=False) is not unkept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        fresh = bt._lean(build(), 100).as_of(day)
    for table in ("opportunities", "opportunity_history"):
        pd.testing.assert_frame_equal(getattr(reads[0], table), getattr(fresh, table), check_exact=True)
    assert reads[0].settings == fresh.settings


def _replayed(first: str):
    """Backtest and range calibration of one dataset, run in the order ``first`` says, with the backtest's
    warnings."""
    ds = build()
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        order = ["calibration", "backtest"] if first == "calibration" else ["backtest", "calibration"]
        for name in order:
            if name == "backtest":
                seen = len(caught)
                out[name] = bt.backtest(ds, quarters=1, weeks=(1, 7, 10), simulations=200)
                out["warned"] = sorted(str(w.message) for w in caught[seen:])
            else:
                out[name] = trust.range_calibration(ds, quarters=1, simulations=200)
    return out


def test_backtest_and_calibration_give_the_same_whichever_reads_a_shared_day_first():
    one, two = _replayed("backtest"), _replayed("calibration")
    for name in ("backtest", "calibration"):
        pd.testing.assert_frame_equal(one[name], two[name], check_exact=True)
    assert one["warned"] == two["warned"] and len(one["warned"]) == 1  # one note for the run, whoever travelled
    assert set(one["backtest"]["week"]) == {1, 7, 10} and len(one["calibration"]) > 0
