"""Integrity views: per-open-deal red flags with a combined risk score and a reason per flag, the at-risk
list matching at_risk_deal_count, the per-territory summary with alerts, and all of it as of past dates."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from quotabook.loading import load
from quotabook.metrics import compute_wide
from quotabook.themes.velocity.integrity_data import (
    at_risk_deals,
    flag_summary,
    integrity_summary,
    risk_flags,
    riskiest_deals,
    short_reasons,
)
from worked.integrity import integrity_dataset
from worked.velocity import SETTINGS, build, deal


def test_each_flag_explained_and_deals_ranked_by_risk():
    flags = risk_flags(integrity_dataset())
    reasons = flags.set_index("opportunity_id")["reasons"].to_dict()
    assert reasons["push5"] == "close date pushed 5 times (red flag at 5)"
    assert reasons["age60"] == "in Discovery for 60 days, 6× the average 10 days (red flag at 6×)"
    assert reasons["big"] == "amount 3× the average won deal of 2000 USD (red flag at 3×)"
    assert reasons["idle21"] == "no activity for 21 days (red flag at 21)"
    assert reasons["late"] == "close date pushed 6 times (red flag at 5)"
    assert {reasons[d] for d in ("push4", "age59", "big_not", "idle20")} == {""}
    assert flags["risk_score"].tolist() == [1] * 5 + [0] * 4            # highest risk first
    assert flags["opportunity_id"].iloc[0] == "late"                     # 6 / 5 pushes: the most severe
    assert set(flags["opportunity_id"].iloc[5:]) == {"push4", "age59", "big_not", "idle20"}


def test_several_flags_add_up_in_the_score_and_the_reasons():
    looser = replace(SETTINGS, thresholds={**SETTINGS.thresholds, "integrity_no_activity_days": 6})
    flags = risk_flags(integrity_dataset(workbook=looser), flagged_only=True).set_index("opportunity_id")
    assert flags.loc["push5", "risk_score"] == 2
    assert flags.loc["push5", "reasons"] == ("close date pushed 5 times (red flag at 5); "
                                             "no activity for 6 days (red flag at 6)")
    assert flags.loc["idle21", "severity"] == 21 / 6
    assert (flags["risk_score"] > 0).all()


def test_at_risk_list_matches_the_catalog_count():
    ds = integrity_dataset()
    at_risk = at_risk_deals(ds)
    assert sorted(at_risk["opportunity_id"]) == ["age60", "big", "idle21", "push5"]   # "late" closes in 153 days
    assert len(at_risk) == compute_wide(["at_risk_deal_count"], ds, "2026-Q2", by="district").iloc[0, 0]


def test_integrity_summary_alerts_per_territory():
    got = integrity_summary(integrity_dataset(), "2026-Q2").set_index("territory")
    assert got.loc["T1", ["at_risk_deal_count", "stage_age_multiple", "days_since_activity"]].tolist() == [3, 6, 21]
    assert got.loc["T1", ["stage_age_multiple_alert", "deal_size_multiple_alert", "days_since_activity_alert"]
                   ].tolist() == [True, False, True]
    assert got.loc["T2", ["stage_age_multiple_alert", "deal_size_multiple_alert", "days_since_activity_alert"]
                   ].tolist() == [False, True, False]
    assert got.loc["T1", "close_date_push_count"] == 9                  # push5 + push4


def test_flags_as_of_past_dates(tiny_folder):
    past = risk_flags(integrity_dataset(as_of="2026-03-25"), flagged_only=True)
    assert past["opportunity_id"].tolist() == ["big"]
    tiny = load(tiny_folder)
    feb = risk_flags(tiny.as_of("2026-02-10")).set_index("opportunity_id")
    assert feb["reasons"].to_dict() == {"A": "no activity for 35 days (red flag at 21)",   # last touched Jan 6
                                        "B": "no activity for 31 days (red flag at 21)"}   # never, created Jan 10
    assert feb.loc["A", "pushes"] == 1 and feb.attrs["period"] == "2026-02-10"
    mar = risk_flags(tiny.as_of("2026-03-15")).set_index("opportunity_id")
    assert mar.loc["A", "pushes"] == 2 and mar.loc["A", "risk_score"] == 0           # activity on Feb 25
    assert sorted(mar.index) == ["A", "C"]                                          # B won, D lost


WORKED_B = [{"activity_id": "1", "owner": "Ann", "activity_date": "2026-01-20", "type": "email", "opportunity_id": "b"}]


def test_without_history_the_history_flags_are_noted_not_raised():
    ds = build([deal("a"), deal("b", stage="Closed Won", close="2026-02-01")], activities=WORKED_B,
               as_of="2026-03-01")
    flags = risk_flags(ds)
    assert flags["opportunity_id"].tolist() == ["a"] and flags["pushes"].tolist() == [0]
    assert set(flags.attrs["unavailable"]) == {"flag_pushes", "flag_stage_age"}
    assert flags["reasons"].tolist() == ["no activity for 55 days (red flag at 21)"]   # never worked, created Jan 5


def test_without_any_activity_data_no_deal_is_flagged_for_inactivity():
    # No activities table and no last_activity_date: days since activity are unknown, not days since creation
    # (a page once said "no activity for 377 days" of an export that records no activity at all).
    ds = build([deal("a"), deal("b", stage="Closed Won", close="2026-02-01")], as_of="2026-03-01")
    flags = risk_flags(ds)
    assert flags["days_since_activity"].isna().all() and not flags["flag_no_activity"].any()
    assert flags["reasons"].tolist() == [""]
    assert "needs table activities" in flags.attrs["unavailable"]["flag_no_activity"]


def test_flag_summary_counts_each_flag_among_deals_closing_soon():
    summary = flag_summary(integrity_dataset())
    assert summary["label"].tolist() == ["Close date pushed 5+ times", "In stage 6× the average or longer",
                                         "3× the average deal or larger", "No activity for 21+ days"]
    assert summary["deals"].tolist() == [1, 1, 1, 1]                  # "late" is pushed 6 times but not soon
    assert summary["amount"].tolist() == [1000, 1000, 6000, 1000]
    a = summary.attrs
    assert (a["closing_soon"], a["at_risk"], a["at_risk_amount"]) == (8, 4, 9000)
    assert a["soon_until"] == pd.Timestamp("2026-06-29")             # Mar 31 + 90 days


def test_riskiest_deals_explain_each_flag_in_a_few_words():
    looser = replace(SETTINGS, thresholds={**SETTINGS.thresholds, "integrity_no_activity_days": 6})
    top = riskiest_deals(integrity_dataset(workbook=looser), 2)
    assert top.columns.tolist() == ["name", "owner", "territory", "stage", "amount", "close_date", "risk_score", "why"]
    # big, age60 and push5 each carry two flags just at their thresholds (severity 2); the largest ranks first
    assert top.iloc[0][["name", "risk_score", "why"]].tolist() == ["big", 2, "3× avg deal; no activity for 6 days"]
    assert top.attrs["deals"] == 8 and len(top) == 2                 # eight soon deals idle 6+ days; two shown
    reasons = short_reasons(risk_flags(integrity_dataset()).set_index("opportunity_id"))
    assert reasons[["push5", "big", "idle21", "push4"]].tolist() == ["pushed 5×", "3× avg deal",
                                                                     "no activity for 21 days", ""]
