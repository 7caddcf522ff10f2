"""Activity measures and table formatting (InsightSquared, Scott Cowley): InsightSquared's SDR ratios from a
hand-built
team with its exact counts, the N:1 rounding rule that reproduces every cell, counts by type and goals, per rep
per month rules of thumb, and "not available" when activities or goals are missing."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quotabook.metrics import compute, compute_wide
from quotabook.metrics import format as fmt
from quotabook.metrics.catalog import format_value
from quotabook.testing import build_dataset
from worked.activity_ratios import (
    ACTIVITIES,
    GOALS,
    LEADS,
    OPPORTUNITIES,
    TERRITORIES,
    sdr_dataset,
    seed_counts,
    seed_table,
)


@pytest.fixture(scope="module")
def sdr():
    return sdr_dataset()


SDR_METRICS = ["dial_count", "connect_count", "opportunity_count", "won_count", "dial_to_connect",
               "dial_to_opportunity", "opportunity_to_deal", "dial_to_deal"]


def test_insightsquared_counts_and_exact_ratios_per_rep(sdr):
    wide = compute_wide(SDR_METRICS, sdr, "2026-Q1", by="owner")
    counts = seed_counts()
    got = wide.loc[counts.index, ["dial_count", "connect_count", "opportunity_count", "won_count"]]
    assert got.to_numpy().tolist() == counts.to_numpy().tolist()
    assert wide.loc["Steve Nash", "dial_to_connect"] == 3844 / 333  # 11.54..., shown 12:1
    assert wide.loc["Jeff Hornacek", "dial_to_deal"] == 4285 / 2  # 2,142.5, shown 2,143:1
    assert wide.loc["Jared Dudley", "opportunity_to_deal"] == 20 / 6


def test_insightsquared_ratios_roll_up_to_ratios_of_sums(sdr):
    # The whole team (by district, through each rep's territory) is sums over sums, never an average of rows.
    team = compute(SDR_METRICS, sdr, "2026-Q1", by="district").set_index("metric")
    assert team.loc["dial_count", "value"] == 15013  # 3,844 + 4,285 + 2,911 + 3,973
    assert team.loc["won_count", "value"] == 13  # 1 + 2 + 4 + 6
    assert team.loc["dial_to_deal", ["numerator", "denominator"]].tolist() == [15013, 13]
    assert team.loc["dial_to_connect", "value"] == 15013 / 1265


def test_the_n_to_1_rounding_rule_reproduces_every_seed_cell():
    """InsightSquared rounds the exact ratio *half up* to a whole number. Every per-rep cell follows from its row:
    Steve Nash 3,844/333 = 11.54 -> 12:1, 3,844/11 = 349.45 -> 349:1, 11/1 -> 11:1, 3,844/1 -> 3,844:1; Jeff
    Hornacek 4,285/339 = 12.64 -> 13:1, 4,285/15 = 285.67 -> 286:1, 15/2 = 7.5 -> 8:1, 4,285/2 = 2,142.5 ->
    2,143:1; Shawn 2,911/251 = 11.60 -> 12:1, 2,911/27 = 107.81 -> 108:1, 27/4 = 6.75 -> 7:1, 2,911/4 = 727.75
    -> 728:1; Jared Dudley 3,973/342 = 11.62 -> 12:1, 3,973/20 = 198.65 -> 199:1, 20/6 = 3.33 -> 3:1, 3,973/6 =
    662.17 -> 662:1. Round-half-to-even (Python's round) would print Jeff's Dial:Deal as 2,142:1, ceiling
    Steve's Dial:Opp as 350:1, truncation Steve's Dial:Connect as 11:1: only half up reproduces them all."""
    seed, counts = seed_table(), seed_counts()
    d, c, o, w = (counts[k].astype(float) for k in ("Dials", "Connects", "Opps", "Deals"))
    ratios = {"Dial : Connect": d / c, "Dial : Opp": d / o, "Opp : Deal": o / w, "Dial : Deal": d / w}
    for column, exact in ratios.items():
        assert fmt.n_to_1(exact).tolist() == seed.loc[counts.index, column].tolist(), column
    jeff = 4285 / 2
    assert f"{round(jeff):,}:1" != seed.loc["Jeff Hornacek", "Dial : Deal"]  # half to even: 2,142:1
    assert f"{math.ceil(3844 / 11)}:1" != seed.loc["Steve Nash", "Dial : Opp"]  # ceiling: 350:1
    assert f"{math.floor(3844 / 333)}:1" != seed.loc["Steve Nash", "Dial : Connect"]  # truncation: 11:1


def test_insightsquared_total_row_ratio_cells_come_from_the_true_sums_and_two_count_cells_are_wrong():
    """The guide's Total row is inconsistent with its own rows: it prints 15,018 dials and 18 deals, but the rows
    sum to 3,844 + 4,285 + 2,911 + 3,973 = 15,013 dials and 1 + 2 + 4 + 6 = 13 deals (connects 1,265 and opps 73
    do add up). Its ratio cells were computed from the true sums: 15,013/1,265 = 11.87 -> 12:1, 15,013/73 =
    205.66 -> 206:1, 73/13 = 5.62 -> 6:1 and 15,013/13 = 1,154.85 -> 1155:1. From the printed 15,018 and 18
    they would read 206:1 but 73/18 = 4.06 -> 4:1 and 15,018/18 = 834.33 -> 834:1. The Dial:Deal cell also
    drops the thousands separator the rows use (3,844:1)."""
    seed, counts = seed_table(), seed_counts()
    total = seed.loc["Total: 4"]
    sums = counts.sum()
    assert (sums["Dials"], sums["Connects"], sums["Opps"], sums["Deals"]) == (15013, 1265, 73, 13)
    assert (total["Dials"], total["Deals"]) == ("15,018", "18")  # the guide's typos
    from_sums = [fmt.n_to_1(15013 / 1265), fmt.n_to_1(15013 / 73), fmt.n_to_1(73 / 13),
                 fmt.n_to_1(15013 / 13, thousands=False)]
    assert from_sums == total[["Dial : Connect", "Dial : Opp", "Opp : Deal", "Dial : Deal"]].tolist()
    assert [fmt.n_to_1(73 / 18), fmt.n_to_1(15018 / 18)] == ["4:1", "834:1"]  # what the printed totals give
    assert fmt.n_to_1(15013 / 13) == "1,155:1"


def test_insightsquared_text_figures():
    # "Steve Nash is making about 25% more calls than Shawn Marion": 3,844 / 2,911 = 1.32, 32% more (Shawn makes
    # 24% fewer, as the catalog words it); "5 times more productive at generating deals": 3,844:1 / 728:1 = 5.3.
    counts = seed_counts()
    steve, shawn = counts.loc["Steve Nash"], counts.loc["Shawn Marlon"]
    assert steve["Dials"] / shawn["Dials"] == pytest.approx(1.32, abs=0.01)
    assert 1 - shawn["Dials"] / steve["Dials"] == pytest.approx(0.243, abs=0.001)
    dial_to_deal = counts["Dials"] / counts["Deals"]
    assert dial_to_deal["Steve Nash"] / dial_to_deal["Shawn Marlon"] == pytest.approx(5.28, abs=0.01)


@pytest.fixture(scope="module")
def team():
    return build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, activities=ACTIVITIES,
                         activity_goals=GOALS, leads=LEADS)


def test_activity_counts_by_type_are_in_period_and_grouped_through_the_reps_territory(team):
    wide = compute_wide(["activity_count", "dial_count", "connect_count", "email_count", "meeting_booked_count",
                         "meeting_held_count"], team, "2026-Q1", by="region")
    # East = Ann (T1); West = Bob (T2) and T3 (no owner). Bob's April dial is Q2; Zed owns neither territory
    # nor deal: his dial is in the Unassigned group, so the regions add up to the district's 7.
    assert wide.loc["East"].tolist() == [5, 2, 1, 0, 1, 1]
    assert wide.loc["West"].tolist() == [1, 0, 0, 1, 0, 0]
    assert wide.loc["Unassigned"].tolist() == [1, 1, 0, 0, 0, 0]
    district = compute_wide(["activity_count"], team, "2026-Q1", by="district")["activity_count"]
    assert district.to_dict() == {"D": 7} == {"D": wide["activity_count"].sum()}


def test_results_against_goals_by_owner_and_type(team):
    wide = compute_wide(["activity_count", "activity_goal", "activity_goal_attainment"], team, "2026-Q1",
                        by=("owner", "type"))
    assert wide.loc[("Ann", "dial")].tolist() == [2, 4, 0.5]
    assert wide.loc[("Ann", "meeting_held")].tolist() == [1, 1, 1.0]
    assert wide.loc[("Bob", "dial")].tolist() == [0, 10, 0.0]  # a goal and no activity: 0%, not a gap
    assert wide.loc[("Ann", "connect"), "activity_count"] == 1 and np.isnan(wide.loc[("Ann", "connect"),
                                                                                   "activity_goal_attainment"])
    assert set(wide.index.get_level_values("type")) >= {"dial", "connect", "email", "linkedin", "other"}


def test_rep_count_falls_back_to_deal_owners_for_territories_without_one(team):
    reps = compute_wide(["rep_count"], team, "2026-Q1", by="territory")["rep_count"]
    # T3 names nobody; Cat, who owns no territory, owns its deal D (active in Q1) and counts there; Zed owns
    # neither territory nor deal but dialled in Q1: he counts in Unassigned, where his dial is.
    assert reps.to_dict() == {"T1": 1, "T2": 1, "T3": 1, "Unassigned": 1}
    assert compute_wide(["rep_count"], team, "2026-Q1", by="district").loc["D", "rep_count"] == 4


def test_per_rep_rules_of_thumb_are_per_month(team):
    # Report date: the latest date in the data (Bob's dial on Apr 2), so Q1 is complete: 3 months per rep.
    wide = compute_wide(["rep_months", "leads_per_rep", "opportunities_per_rep", "deals_won_per_rep",
                         "final_stage_deals_per_rep", "rep_weeks", "meetings_booked_per_rep"], team, "2026-Q1",
                        by="owner")
    assert wide.loc["Ann"].tolist() == pytest.approx([3, 3 / 3, 2 / 3, 1 / 3, 1.0, 90 / 7, 1 / (90 / 7)])
    assert wide.loc["Bob", "leads_per_rep"] == pytest.approx(2 / 3)
    # Half-way through: as of Feb 14 (45 of 90 days), Ann has 3 leads in 1.5 rep-months -> 2 per month.
    mid = build_dataset(as_of="2026-02-14", territories=TERRITORIES, opportunities=OPPORTUNITIES, leads=LEADS)
    wide = compute_wide(["rep_months", "leads_per_rep"], mid, "2026-Q1", by="owner")
    assert wide.loc["Ann"].tolist() == pytest.approx([1.5, 2.0])


def test_unavailable_without_activities_or_goals():
    bare = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES)
    long = compute(["dial_to_connect", "activity_count", "activity_goal_attainment", "opportunity_to_deal"], bare,
                   "2026-Q1")
    unavailable = long.attrs["unavailable"]
    assert unavailable["dial_to_connect"] == "dial_to_connect not available: needs table activities"
    assert unavailable["activity_count"] == "activity_count not available: needs table activities"
    assert unavailable["activity_goal_attainment"].startswith("activity_goal_attainment not available: needs table")
    assert set(long["metric"]) == {"opportunity_to_deal"}
    no_goals = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, activities=ACTIVITIES)
    long = compute(["activity_goal_attainment"], no_goals, "2026-Q1")
    assert long.attrs["unavailable"] == {
        "activity_goal_attainment": "activity_goal_attainment not available: needs table activity_goals"}


# -- formatting ----------------------------------------------------------------------------------------------
def test_n_to_1_rule_edges():
    s = pd.Series([0.4, 0.96, 0.0, np.nan, 7.5, 2142.5, 1154.85], index=list("abcdefg"))
    assert fmt.n_to_1(s).tolist() == ["0.4:1", "1:1", "0:1", "–", "8:1", "2,143:1", "1,155:1"]
    assert fmt.n_to_1(s).index.tolist() == list("abcdefg")
    assert fmt.n_to_1(12.3) == "12:1" and isinstance(fmt.n_to_1(12.3), str)


def test_other_formats_and_their_agreement_with_the_glossary():
    assert fmt.percent(pd.Series([0.2222, 0.285, 1.0, np.nan])).tolist() == ["22%", "29%", "100%", "–"]
    assert fmt.percent(0.2222, decimals=1) == "22.2%"
    assert fmt.multiple(3) == "3.0×" and fmt.multiple(2.95) == "3.0×"
    # one compact money format for tables, sentences, charts and the glossary
    assert fmt.currency(1234567.8, "USD") == "$1.2M" == format_value(1234567.8, "currency", "USD")
    assert fmt.currency(pd.Series([1_234_567.0, 350_000.0, 2.5e9, -1500.0, 420.0])).tolist() == [
        "1.2M", "350K", "2.5B", "-2K", "420"]
    assert fmt.currency(1_200_000, "SEK") == "1.2M SEK" and fmt.currency(-0.4, "USD") == "$0"
    assert fmt.days(15.94) == "15.9 days" and fmt.count(15013) == "15,013"
    assert fmt.by_unit(42_377, "currency_per_day", "USD") == "$42K per day"
    assert fmt.round_half_up(pd.Series([0.5, 1.5, 2.5, -0.5])).tolist() == [1, 2, 3, -1]
    with pytest.raises(ValueError, match="unknown unit"):
        fmt.by_unit(1, "furlongs")
    table = fmt.format_frame(pd.DataFrame({"Dials": [3844.0], "Dial:Deal": [3844.0], "Rep": ["Steve"]}),
                             {"Dials": "count", "Dial:Deal": "n_to_1"})
    assert table.iloc[0].tolist() == ["3,844", "3,844:1", "Steve"]
