"""Pipeline integrity flags of the forecast theme (InsightSquared): one hand-built deal on each side of each red
flag (5 pushes, 6× the average stage age, 3× the average deal size, 21 days without activity), the
at-risk count of soon-to-close deals, per-deal and per-group values, thresholds from the workbook, and
the same flags as of past dates."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from quotabook.metrics import compute, compute_wide, load_catalog
from quotabook.metrics.measures.integrity import average_won_deal_size, deal_flags
from worked.integrity import integrity_dataset
from worked.velocity import SETTINGS

INTEGRITY = ["stage_age_multiple", "deal_size_multiple", "days_since_activity", "at_risk_deal_count"]


@pytest.fixture(scope="module")
def flags() -> pd.DataFrame:
    return deal_flags(integrity_dataset()).set_index("opportunity_id")


def test_each_red_flag_fires_at_its_threshold_and_not_below(flags):
    assert (flags.loc["push5", "pushes"], flags.loc["push4", "pushes"]) == (5, 4)
    assert flags.loc["age60", "stage_age_multiple"] == 6.0 and flags.loc["age59", "stage_age_multiple"] == 5.9
    assert flags.loc["big", "deal_size_multiple"] == 3.0 and flags.loc["big_not", "deal_size_multiple"] == 2.9995
    assert (flags.loc["idle21", "days_since_activity"], flags.loc["idle20", "days_since_activity"]) == (21, 20)
    raised = {flag: sorted(flags.index[flags[flag]]) for flag in
              ("flag_pushes", "flag_stage_age", "flag_deal_size", "flag_no_activity")}
    assert raised == {"flag_pushes": ["late", "push5"], "flag_stage_age": ["age60"], "flag_deal_size": ["big"],
                      "flag_no_activity": ["idle21"]}
    assert flags["risk_flags"].to_dict() == {"push5": 1, "push4": 0, "age60": 1, "age59": 0, "big": 1,
                                             "big_not": 0, "idle21": 1, "idle20": 0, "late": 1}
    assert set(flags.index) == {"push5", "push4", "age60", "age59", "big", "big_not", "idle21", "idle20", "late"}


def test_averages_behind_the_flags(flags):
    ds = integrity_dataset()
    assert average_won_deal_size(ds) == 2000.0            # the 100,000 win is older than twelve months
    assert (flags["stage_average_days"] == 10.0).all()    # Discovery: W1 and W2 stayed 10 days each


def test_at_risk_deals_are_soon_to_close_deals_with_a_flag():
    ds = integrity_dataset()
    got = compute_wide(["at_risk_deal_count"], ds, "2026-Q2")
    assert got["at_risk_deal_count"].tolist() == [3.0, 1.0]    # T1: push5, age60, idle21; T2: big ("late" is out)
    assert compute_wide(["at_risk_deal_count"], ds, "2026-Q2", by="district").iloc[0, 0] == 4


def test_per_deal_values_and_the_worst_deal_per_group():
    ds = integrity_dataset()
    per_deal = compute_wide(INTEGRITY[:3], ds, "2026-Q2", by="opportunity_id")
    assert "late" not in per_deal.index                      # closes in Q3: not in Q2's pipeline
    assert per_deal.loc["age60", "stage_age_multiple"] == 6.0
    per_territory = compute_wide(INTEGRITY[:3], ds, "2026-Q2")
    assert per_territory.loc["T1"].tolist() == [6.0, 0.5, 21.0]
    assert per_territory.loc["T2"].tolist() == [1.0, 3.0, 6.0]
    catalog = load_catalog()
    fired = {m: [catalog.get(m).alert.fires(v, SETTINGS) for v in per_territory[m]] for m in INTEGRITY[:3]}
    assert fired == {"stage_age_multiple": [True, False], "deal_size_multiple": [False, True],
                     "days_since_activity": [True, False]}


def test_thresholds_come_from_the_workbook():
    keys = {k: SETTINGS.threshold(k) for k in ("slippage_red_flag_pushes", "integrity_stage_age_multiple",
                                               "integrity_deal_size_multiple", "integrity_no_activity_days")}
    assert keys == {"slippage_red_flag_pushes": 5, "integrity_stage_age_multiple": 6,
                    "integrity_deal_size_multiple": 3, "integrity_no_activity_days": 21}
    looser = replace(SETTINGS, thresholds={**SETTINGS.thresholds, "slippage_red_flag_pushes": 4,
                                           "integrity_no_activity_days": 30})
    f = deal_flags(integrity_dataset(workbook=looser)).set_index("opportunity_id")
    assert sorted(f.index[f["flag_pushes"]]) == ["late", "push4", "push5"]
    assert not f["flag_no_activity"].any()


def test_flags_as_of_past_dates():
    """Pushes come on Mar 22, 23, ...: by the end of Mar 25 push5 (and late) had four; age60 had spent 54
    days in Discovery (5.4×); idle21 had been idle 15 days. Only the size flag (dates do not move it) is
    up. A day later push5 and late reach five pushes."""
    past = deal_flags(integrity_dataset(as_of="2026-03-25")).set_index("opportunity_id")
    assert (past.loc["push5", "pushes"], past.loc["late", "pushes"]) == (4, 4)
    assert past.loc["age60", "stage_age_multiple"] == 5.4
    assert past.loc["idle21", "days_since_activity"] == 15
    assert past.index[past["risk_flags"] > 0].tolist() == ["big"]
    later = deal_flags(integrity_dataset(as_of="2026-03-26")).set_index("opportunity_id")
    assert sorted(later.index[later["flag_pushes"]]) == ["late", "push5"]
    got = compute(INTEGRITY, integrity_dataset(as_of="2026-03-25"), "2026-Q2", by="district")
    assert got.set_index("metric")["value"].to_dict() == {"stage_age_multiple": 5.4, "deal_size_multiple": 3.0,
                                                          "days_since_activity": 15.0, "at_risk_deal_count": 1.0}
