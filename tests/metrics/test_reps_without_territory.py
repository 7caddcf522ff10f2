"""Reps who own no territory (a former AE, an overlay) never vanish from per-rep figures (issue 16).

A hand-built district for 2026-Q1, worked by hand:

- territories: T1 (East, Ann), T2 (West, Bob), T3 (West, Cy);
- Kim owns no territory (a former AE): K1 in T1 (won in Q1), K2 in T2 (lost in Q1, created later, so his
  activities count in T2), and 3 dials in Q1, one of them on K1 (an East deal: it still counts in West, with him);
- Lou (an overlay) owns no territory: L1 in T3 and L2 in T1, both created on Jan 10 (a tie, broken by deal id:
  L2, so T1), and 2 connects;
- Max owns neither territory nor deal: 1 dial, in the Unassigned group;
- Pat owns no territory and logged nothing: one open deal P1 in T3 (listed, 0 activities, counted as a rep);
- Quinn left in 2025: a deal closed then and a dial then (not in Q1's tables at all).

Activities in Q1: Ann 2, Bob 1, Kim 3, Lou 2, Max 1 = 9 (Quinn's is 2025).
"""

from __future__ import annotations

import warnings

import pytest

from quotabook.errors import DataQualityWarning
from quotabook.metrics import compute_wide
from quotabook.metrics.compute import UNASSIGNED
from quotabook.testing import build_dataset
from quotabook.themes.activity_ratios.data import activity_counts

TERRITORIES = """\
territory,region,district,owner
T1,East,D,Ann
T2,West,D,Bob
T3,West,D,Cy
"""

OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,amount,is_closed,is_won
A1,Ann,T1,2026-01-05,2026-02-10,Closed Won,1000,true,true
B1,Bob,T2,2026-01-06,2026-03-20,Proposal,500,false,false
K1,Kim,T1,2025-11-01,2026-01-20,Closed Won,300,true,true
K2,Kim,T2,2025-12-01,2026-02-15,Closed Lost,200,true,false
L1,Lou,T3,2026-01-10,2026-03-25,Proposal,400,false,false
L2,Lou,T1,2026-01-10,2026-03-26,Proposal,100,false,false
P1,Pat,T3,2026-02-01,2026-03-30,Discovery,50,false,false
Q1,Quinn,T2,2025-01-01,2025-06-01,Closed Lost,80,true,false
"""

ACTIVITIES = """\
activity_id,owner,activity_date,type,opportunity_id
a1,Ann,2026-01-07T10:00:00,dial,A1
a2,Ann,2026-01-08T10:00:00,dial,
b1,Bob,2026-02-01T10:00:00,email,B1
k1,Kim,2026-01-09T10:00:00,dial,K1
k2,Kim,2026-01-10T10:00:00,dial,K2
k3,Kim,2026-01-11T10:00:00,dial,
l1,Lou,2026-01-12T10:00:00,connect,L1
l2,Lou,2026-01-13T10:00:00,connect,
m1,Max,2026-01-14T10:00:00,dial,
q1,Quinn,2025-05-01T10:00:00,dial,Q1
"""

GOALS = """\
period,owner,type,goal
2026-Q1,Ann,dial,4
2026-Q1,Kim,dial,6
2026-Q1,Max,dial,2
"""

Q1 = "2026-Q1"


@pytest.fixture(scope="module")
def ds():
    return build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, activities=ACTIVITIES,
                         activity_goals=GOALS, as_of="2026-03-31")


def column(ds, metric, by, period=Q1):
    return compute_wide([metric], ds, period, by=by)[metric]


def test_owner_level_lists_territory_owners_then_every_rep_found_in_the_period(ds):
    acts = column(ds, "activity_count", "owner")
    assert acts.index.tolist() == ["Ann", "Bob", "Cy", "Kim", "Lou", "Max", "Pat"]  # Quinn: nothing in Q1
    assert acts.tolist() == [2, 1, 0, 3, 2, 1, 0]
    assert column(ds, "rep_count", "owner").tolist() == [1] * 7
    won = compute_wide(["closed_amount", "won_count", "win_rate"], ds, Q1, by="owner")
    assert won.loc["Kim"].tolist() == [300, 1, 0.5]  # K1 won, K2 lost, both closed in Q1
    assert won.loc["Ann"].tolist() == [1000, 1, 1.0]
    assert won.loc[["Lou", "Pat", "Max"], "won_count"].tolist() == [0, 0, 0]


def test_activities_of_reps_without_territory_count_where_their_latest_deal_is(ds):
    by_t = column(ds, "activity_count", "territory")
    # T1: Ann 2 + Lou 2 (L2 wins the Jan 10 tie by id); T2: Bob 1 + Kim 3 (K2 is his latest); Max: Unassigned.
    assert by_t.to_dict() == {"T1": 4, "T2": 4, "T3": 0, UNASSIGNED: 1}
    assert column(ds, "activity_count", "region").to_dict() == {"East": 4, "West": 4, UNASSIGNED: 1}
    assert column(ds, "activity_count", "district").to_dict() == {"D": 9} == {"D": by_t.sum()}
    # Deals stay in their own territory: Kim's won K1 is East's.
    assert column(ds, "closed_amount", "region").to_dict() == {"East": 1300, "West": 0}


def test_rep_count_counts_reps_without_territory_where_they_worked(ds):
    # T1: Ann, Kim (K1 active), Lou (activities, L2); T2: Bob, Kim (K2, activities); T3: Cy, Lou (L1), Pat (P1).
    assert column(ds, "rep_count", "territory").to_dict() == {"T1": 3, "T2": 2, "T3": 3, UNASSIGNED: 1}
    assert column(ds, "rep_count", "region").to_dict() == {"East": 3, "West": 5, UNASSIGNED: 1}
    assert column(ds, "rep_count", "district").to_dict() == {"D": 7}  # a distinct count: Kim and Lou once
    per_rep = compute_wide(["activity_count", "rep_months"], ds, Q1, by="district")
    assert per_rep.loc["D"].tolist() == [9, 21]  # 7 reps x 3 months of a complete quarter


def test_goals_of_reps_without_territory_are_placed_like_their_activities(ds):
    goals = column(ds, "activity_goal", "territory")
    assert goals.to_dict() == {"T1": 4, "T2": 6, "T3": 0, UNASSIGNED: 2}
    by_type = compute_wide(["activity_count", "activity_goal", "activity_goal_attainment"], ds, Q1,
                           by=("owner", "type"))
    assert by_type.loc[("Kim", "dial")].tolist() == [3, 6, 0.5]
    assert by_type.loc[("Max", "dial")].tolist() == [1, 2, 0.5]


def test_a_rep_without_deals_or_territory_only_reaches_the_district():
    lone = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES.splitlines()[0] + "\n",
                         activities="activity_id,owner,activity_date,type\nm1,Max,2026-01-14T10:00:00,dial\n")
    assert column(lone, "activity_count", "owner").to_dict() == {"Ann": 0, "Bob": 0, "Cy": 0, "Max": 1}
    assert column(lone, "activity_count", "region").to_dict() == {"East": 0, "West": 0, UNASSIGNED: 1}
    assert column(lone, "activity_count", "district").to_dict() == {"D": 1}


@pytest.mark.parametrize("region", ["East", "West"])
def test_a_region_slice_is_its_row_of_the_district_by_region(ds, region):
    names = ["activity_count", "rep_count", "closed_amount", "activity_goal"]
    district = compute_wide(names, ds, Q1, by="region").loc[region]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", DataQualityWarning)
        part = ds.for_region(region)
    notes = [str(w.message) for w in seen if issubclass(w.category, DataQualityWarning)]
    # Kim's dial on K1 (East's deal) counts in West and Lou's connect on L1 (West's) in East, with them; each
    # page says so.
    assert notes == [f"1 activity on {region}'s deals was logged by reps counted in another region: they count "
                     f"there, with their rep, not in {region}"]
    assert compute_wide(names, part, Q1, by="region").loc[region].tolist() == district.tolist()
    owners = column(part, "activity_count", "owner")
    expected = {"East": {"Ann": 2, "Kim": 0, "Lou": 2}, "West": {"Bob": 1, "Cy": 0, "Kim": 3, "Lou": 0, "Pat": 0}}
    assert owners.to_dict() == expected[region]


def test_the_activity_table_per_rep_lists_them_and_its_total_is_the_districts(ds):
    table = activity_counts(ds, Q1).set_index("Rep")
    assert table.index.tolist() == ["Ann", "Bob", "Cy", "Kim", "Lou", "Max", "Pat", "Total: 7"]
    assert table["Dials"].tolist() == [2, 0, 0, 3, 0, 1, 0, 6]
    assert table.loc["Total: 7", ["Dials", "Connects", "Emails"]].sum() == 9


def test_pages_listing_them_say_where_their_figures_count(ds):
    from quotabook.notes import reps_without_territory

    assert reps_without_territory(ds, Q1) == (
        "4 reps own no territory (former or overlay reps: Kim, Lou, Max and 1 more): their deals are counted in "
        "the deals' territories, their activities in the territory of their latest deal, or Unassigned for a rep "
        "with no deal.")
    assert reps_without_territory(ds, "2024-Q4") is None  # no deal or activity of theirs yet
    # Lou's and Pat's deals are still open a year later: they are still listed (and counted), with no activity.
    assert reps_without_territory(ds, "2027-Q1").startswith("2 reps own no territory (former or overlay reps: "
                                                            "Lou and Pat): ")
    with pytest.warns(DataQualityWarning, match=r"^4 reps own no territory"):
        activity_counts(ds, Q1)


def test_week_by_week_with_days_past_the_last_whole_week(ds):
    """Activities are grouped with their unplaced rows kept (Unassigned); a week number is not a place: the days
    after the quarter's last whole week (Mar 25-31 here: 90 days = 12 weeks + 6) are left out, not a "(blank)"
    week. Max's dial on Mar 30 is such a day; Ann's on Jan 7 is week 1."""
    from quotabook.themes.activity_ratios.data import weekly_activity

    late = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, as_of="2026-04-15",
                         activities="activity_id,owner,activity_date,type\na1,Ann,2026-01-07T10:00:00,dial\n"
                                    "m1,Max,2026-03-30T10:00:00,dial\n")
    weekly = weekly_activity(late, Q1)
    assert weekly["week"].tolist() == list(range(1, 13))
    assert weekly["dial_count"].tolist() == [1] + [0] * 11
