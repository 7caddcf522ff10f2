"""as_of reconstruction on hand-built histories (see conftest: deal A pushed twice, B won, C created
mid-February, D lost) and region slicing."""

import pandas as pd
import pytest

from quotabook import ConfigError, DataQualityWarning, MetricUnavailable, load
from quotabook.metrics import compute_wide
from quotabook.testing.tiny import HISTORY, OPPORTUNITIES, TERRITORIES, write_folder

T = pd.Timestamp


def _deal(ds, deal_id):
    rows = ds.opportunities.set_index("opportunity_id")
    return rows.loc[deal_id]


def test_deal_pushed_twice_shows_each_close_date_in_turn(tiny_folder):
    ds = load(tiny_folder)
    expected = {  # date -> (stage, amount, close date, forecast category, probability)
        "2026-01-31": ("Qualification", 1000, T("2026-02-15"), "Pipeline", 10),
        "2026-02-10": ("Proposal", 1000, T("2026-03-15"), "Best Case", 60),  # blank amount carried forward
        "2026-03-15": ("Proposal", 1200, T("2026-03-30"), "Commit", 60),
    }
    for day, state in expected.items():
        a = _deal(ds.as_of(day), "A")
        assert (a.stage, a.amount, a.close_date, a.forecast_category, a.probability) == state, day


def test_stage_entered_at_is_the_start_of_the_current_stage_run(tiny_folder):
    a = _deal(load(tiny_folder).as_of("2026-03-15"), "A")
    assert a.stage_entered_at == T("2026-02-10 11:30")


def test_deal_won_is_open_before_and_closed_won_after(tiny_folder):
    ds = load(tiny_folder)
    before, after = _deal(ds.as_of("2026-02-19"), "B"), _deal(ds.as_of("2026-02-20"), "B")
    assert (before.stage, before.is_closed, before.is_won) == ("Discovery", False, False)
    assert (after.stage, after.is_closed, after.is_won, after.forecast_category) == ("Closed Won", True, True,
                                                                                     "Closed")


def test_deal_not_yet_created_is_excluded(tiny_folder):
    ds = load(tiny_folder)
    assert "C" not in set(ds.as_of("2026-02-14").opportunities["opportunity_id"])
    assert "C" in set(ds.as_of("2026-02-15").opportunities["opportunity_id"])


def test_lost_reason_only_once_lost(tiny_folder):
    ds = load(tiny_folder)
    assert pd.isna(_deal(ds.as_of("2026-01-15"), "D").loss_reason)
    assert _deal(ds.as_of("2026-02-01"), "D").loss_reason == "Price"


def test_history_and_activities_after_the_date_are_cut(tiny_folder):
    past = load(tiny_folder).as_of("2026-02-10")
    assert past.opportunity_history["changed_at"].max() < T("2026-02-11")
    assert past.activities["activity_date"].max() < T("2026-02-11")
    assert past.reference_date == T("2026-02-10")
    assert _deal(past, "A").last_activity_date == T("2026-01-06")  # the Feb 25 email is in the future


def test_as_of_today_matches_the_current_state(tiny_folder):
    ds = load(tiny_folder)
    now = ds.as_of(ds.reference_date)
    cols = ["opportunity_id", "stage", "amount", "close_date", "forecast_category", "is_closed", "is_won"]
    pd.testing.assert_frame_equal(
        now.opportunities[cols].sort_values("opportunity_id").reset_index(drop=True),
        ds.opportunities[cols].sort_values("opportunity_id").reset_index(drop=True), check_dtype=False)


def test_deal_closed_later_without_history_is_shown_open_with_a_warning(tmp_path):
    folder = write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=OPPORTUNITIES,
                          opportunity_history="\n".join(HISTORY.splitlines()[:4]) + "\n")  # only deal A
    with pytest.warns(DataQualityWarning, match="closed after 15 Jan 2026 have no history"):
        past = load(folder).as_of("2026-01-15")
    b = _deal(past, "B")
    assert (b.stage, b.is_closed) == ("Qualification", False)


def test_region_slice_keeps_its_own_deals_history_and_activities(tiny_folder):
    east = load(tiny_folder, region="East")
    assert set(east.opportunities["opportunity_id"]) == {"A", "B"}
    assert set(east.opportunity_history["opportunity_id"]) == {"A", "B"}
    assert set(east.activities["activity_id"]) == {"1", "2", "3"}  # 3 is Ann's prospecting dial
    assert east.targets["territory"].tolist() == ["T1"]
    with pytest.raises(ConfigError, match="regions in the data: 'East', 'West'"):
        load(tiny_folder, region="North")


def test_missing_optional_table_makes_metrics_unavailable_not_broken(tiny_folder):
    ds = load(tiny_folder)
    assert not ds.has("leads")
    with pytest.raises(MetricUnavailable, match="lead_to_sal not available: needs table leads"):
        ds.require("lead_to_sal", "leads", "sal_date")
    with pytest.raises(MetricUnavailable, match=r"needs column opportunities\.segment"):
        ds.require("cycle_by_segment", "opportunities", "segment")


def test_as_of_a_date_before_any_activity(tiny_folder):
    """Activities are linked to deals but none had happened yet: last activity is simply unknown."""
    ds = load(tiny_folder).as_of("2026-01-04")   # D exists (created Jan 2); the first activity is Jan 6
    assert ds.opportunities["opportunity_id"].tolist() == ["D"]
    assert ds.opportunities["last_activity_date"].isna().all()
    assert len(ds.activities) == 0


# -- activities of a rep with territories in two regions (issue 15), of reps who own none (issue 16) -------------
def test_each_activity_counts_in_one_region_with_its_rep_as_compute_groups_it(tmp_path):
    """Ann owns T1 (East) and T2 (West): all her activities count in T1, her first territory by name, even a1 on
    her West deal W1 (a data note on West's page says so); Dan owns no territory, only a West deal (T3): he
    counts in T3; Eve owns nothing at all: the district's Unassigned group, in no region. Each region's slice
    counts what the district's "by region" table gives it, and the regions plus Unassigned make the district."""
    folder = write_folder(
        tmp_path / "two",
        territories="territory,region,district,owner,segment\nT1,East,D,Ann,SMB\nT2,West,D,Ann,SMB\n"
                    "T3,West,D,Bob,SMB\nT4,East,D,Cy,SMB\n",
        opportunities="opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,"
                      "is_closed,is_won\nW1,Ann,T2,2026-01-05,2026-03-30,Proposal,Commit,100,false,false\n"
                      "W2,Dan,T3,2026-01-05,2026-03-30,Proposal,Commit,100,false,false\n",
        activities="activity_id,owner,activity_date,type,opportunity_id\n"
                   "a1,Ann,2026-01-06T10:00:00,dial,W1\na2,Ann,2026-01-07T10:00:00,dial,\n"
                   "a3,Bob,2026-01-07T10:00:00,dial,\na4,Cy,2026-01-07T10:00:00,dial,\n"
                   "a5,Dan,2026-01-07T10:00:00,dial,\na6,Eve,2026-01-07T10:00:00,dial,\n")
    ds = load(folder)
    with pytest.warns(DataQualityWarning, match=r"1 rep owns territories in more than one region \(Ann\)"):
        east = ds.for_region("East")
    assert sorted(east.activities["activity_id"]) == ["a1", "a2", "a4"]
    with pytest.warns(DataQualityWarning, match="1 activity on West's deals was logged by reps counted in another"):
        west = ds.for_region("West")
    assert sorted(west.activities["activity_id"]) == ["a3", "a5"]
    by_region = compute_wide(["activity_count"], ds, "2026-Q1", by="region")["activity_count"]
    assert by_region.to_dict() == {"East": 3, "West": 2, "Unassigned": 1}
    assert compute_wide(["activity_count"], ds, "2026-Q1", by="district")["activity_count"].to_dict() == {"D": 6}
    for name, part in (("East", east), ("West", west)):
        sliced = compute_wide(["activity_count"], part, "2026-Q1", by="region")["activity_count"]
        assert sliced.to_dict() == {name: by_region[name]}


def test_the_glossary_says_how_activities_are_attributed_to_regions():
    from quotabook.metrics import load_catalog

    activity = load_catalog().to_markdown(used=["dial_count"])
    assert "Activities count with the rep who logged them: in the region of the rep's territory" in activity
    assert "Activities count" not in load_catalog().to_markdown(used=["win_rate"])


def test_a_deal_whose_history_starts_later_takes_its_first_recorded_state_beside_deals_known_by_then():
    """B's history begins on 1 March: on 15 February it shows that first state (entered 1 March, as recorded);
    A's state is known by then. Without B, every deal is known by the date and the result is A's alone, the
    same."""
    from quotabook.testing import build_dataset, deal

    opps = [deal("A", stage="Negotiation", created="2026-01-05"), deal("B", stage="Proposal", created="2026-01-20")]
    history = [{"opportunity_id": "A", "changed_at": "2026-01-05", "stage": "Discovery"},
               {"opportunity_id": "A", "changed_at": "2026-02-10", "stage": "Negotiation"},
               {"opportunity_id": "B", "changed_at": "2026-03-01", "stage": "Qualification"},
               {"opportunity_id": "B", "changed_at": "2026-03-20", "stage": "Proposal"}]
    both = build_dataset(opps, history=history, as_of="2026-04-01").as_of("2026-02-15")
    a, b = _deal(both, "A"), _deal(both, "B")
    assert (a.stage, a.stage_entered_at) == ("Negotiation", T("2026-02-10"))
    assert (b.stage, b.stage_entered_at) == ("Qualification", T("2026-03-01"))
    alone = build_dataset(opps[:1], history=history[:2], as_of="2026-04-01").as_of("2026-02-15")
    pd.testing.assert_series_equal(_deal(alone, "A"), a, check_exact=True)
