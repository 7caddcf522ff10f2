"""One "as of" per source (issue 14, item 4): the latest dated event of any table, never an open deal's
expected close date, the same for the district and every region slice, overridable, ISO only; and the
words that depend on it ("so far", "to date", "has not started", weeks left) follow the period's state."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import old_crm
import quotabook as qb
from quotabook.errors import ConfigError, DataQualityWarning
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.themes.target_achievement import text as target_achievement
from quotabook.themes.velocity import text as velocity
from quotabook.themes.won_lost import text as won_lost

T = pd.Timestamp


def _load(folder, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the hand-built export is clean: any rejected row is a fixture bug
        return qb.load(folder, **kw)


# -- which events count ---------------------------------------------------------------------------------------
def test_the_source_is_as_of_its_latest_event_a_lead_conversion():
    ds = old_crm.build()
    assert ds.latest_event() == ds.reference_date == old_crm.SOURCE_DATE


def _only_until_2014(**changes):
    """The export with every event after 2014 taken out (lead L2 unconverted, O3 closing in 2014, ...),
    then ``changes`` (table -> rows) applied."""
    opps = [dict(o) for o in old_crm.OPPORTUNITIES]
    opps[2]["close_date"] = "2014-12-10"  # O3 won earlier
    tables = {"opportunities": opps, "opportunity_history": old_crm.HISTORY[:3], "activities": None,
              "leads": [old_crm.LEADS[0]]}
    return old_crm.build(**{**tables, **changes})


def test_without_the_later_events_the_latest_is_o3s_close_in_2014():
    assert _only_until_2014().reference_date == T("2014-12-10")


@pytest.mark.parametrize(("table", "rows", "expected"), [
    ("opportunities", [*old_crm.OPPORTUNITIES[:2], {**old_crm.OPPORTUNITIES[2], "close_date": "2014-12-10"},
                       *old_crm.OPPORTUNITIES[3:], {**old_crm.OPPORTUNITIES[3], "opportunity_id": "O6",
                                                    "created_date": "2015-03-03"}], "2015-03-03"),
    ("opportunities", [*old_crm.OPPORTUNITIES[:2], {**old_crm.OPPORTUNITIES[2], "close_date": "2015-03-04"},
                       *old_crm.OPPORTUNITIES[3:]], "2015-03-04"),
    ("opportunity_history", [*old_crm.HISTORY, {"opportunity_id": "O4", "changed_at": "2015-03-05",
                                                "stage": "Solution"}], "2015-03-05"),
    ("activities", [{"activity_id": "X9", "owner": "Bob", "activity_date": "2015-03-06", "type": "email"}],
     "2015-03-06"),
    ("leads", [old_crm.LEADS[0], {"lead_id": "L3", "created_date": "2015-03-07", "owner": "Bob"}], "2015-03-07"),
    ("leads", [old_crm.LEADS[0], {"lead_id": "L3", "created_date": "2014-11-01", "owner": "Bob",
                                  "sal_date": "2014-12-01", "sql_date": "2015-03-08"}], "2015-03-08"),
    ("leads", [old_crm.LEADS[0], {"lead_id": "L3", "created_date": "2014-11-01", "owner": "Bob",
                                  "disqualified_date": "2015-03-09"}], "2015-03-09"),
])
def test_each_kind_of_table_can_hold_the_latest_event(table, rows, expected):
    assert _only_until_2014(**{table: rows}).reference_date == T(expected)


def test_an_open_deals_expected_close_date_is_never_today():
    # O4 and O5 are open and dated 2015-06/09: a later expected close date changes nothing.
    opps = [dict(o) for o in old_crm.OPPORTUNITIES]
    opps[3]["close_date"] = "2019-01-01"
    assert old_crm.build(opportunities=opps).reference_date == old_crm.SOURCE_DATE
    # ... and a lost deal's actual close date counts like a won one's.
    opps[1]["close_date"] = "2015-04-01"
    assert old_crm.build(opportunities=opps).reference_date == T("2015-04-01")


def test_data_with_no_date_at_all_falls_back_to_the_calendar():
    ds = old_crm.build(opportunities=[{**o, "created_date": None, "close_date": None}
                                      for o in old_crm.OPPORTUNITIES],
                       opportunity_history=None, activities=None, leads=None)
    assert ds.latest_event() is None and ds.source_date is None
    assert ds.reference_date == pd.Timestamp.today().normalize()


# -- one date for the district and its regions ----------------------------------------------------------------
def test_a_region_slice_is_as_of_the_whole_sources_date(tmp_path):
    folder = old_crm.write(tmp_path / "crm")
    district, east = _load(folder), _load(folder, region="East")
    # East's own events stop at 20 Jan 2015 (Ann's dial); its page is as of the district's day all the same.
    assert east.latest_event() == T("2015-01-20")
    assert east.reference_date == district.reference_date == old_crm.SOURCE_DATE
    assert district.for_region("West").reference_date == old_crm.SOURCE_DATE


def test_as_of_overrides_and_a_region_keeps_it(tmp_path):
    folder = old_crm.write(tmp_path / "crm")
    east = _load(folder, region="East", as_of="2014-12-31")
    assert east.reference_date == T("2014-12-31") and east.source_date == old_crm.SOURCE_DATE
    assert set(east.opportunities["opportunity_id"]) == {"O1", "O2", "O5"}
    with pytest.warns(DataQualityWarning, match="1 deal"):  # O3, won 10 Feb 2015 with no history: open then
        assert qb.load(folder, as_of=pd.Timestamp("2015-01-01 17:30")).reference_date == T("2015-01-01")


@pytest.mark.parametrize("bad", ["01/02/2026", "2026-09-15T99", "2026-09-15; rm -rf /", "15 Sep 2026",
                                 "2026-02-30", "9999-01-01", "0001-01-01", "2263-01-01", "20260915"])
def test_as_of_is_iso_only_in_load_and_in_time_travel(tmp_path, bad):
    folder = old_crm.write(tmp_path / "crm")
    with pytest.raises(ConfigError, match="as_of"):
        qb.load(folder, as_of=bad)
    with pytest.raises(ConfigError, match="as_of"):
        old_crm.build().as_of(bad)


def test_time_travel_keeps_a_deal_without_a_created_date():
    opps = [dict(o) for o in old_crm.OPPORTUNITIES]
    opps[3]["created_date"] = None  # an open deal the CRM left undated
    past = old_crm.build(opportunities=opps).as_of("2014-12-31")
    assert "O4" in set(past.opportunities["opportunity_id"])


# -- the words follow the period's state ------------------------------------------------------------------------
def _report(ds, period, region=qb.ALL_REGIONS):
    return Report(ds=ds.for_region(region), period=ds.period(period), region=region, catalog=load_catalog())


_RUNNING_WORDS = ("so far", "to date", "has not started", "weeks left", "week left", "has gone", "weeks to run")


def _page_text(report) -> str:
    """The findings and notes the themed pages open with, for ``report``."""
    parts = [report.as_of_statement(), target_achievement.period_note(report).data,
             *target_achievement.target_achievement_findings(report).sentences,
             *won_lost.won_lost_findings(report).sentences, *velocity.velocity_findings(report).sentences]
    return "\n".join(parts)


@pytest.mark.parametrize("region", [qb.ALL_REGIONS, "East"])
def test_a_finished_quarter_never_reads_so_far(region):
    report = _report(old_crm.build(), "2014-Q4", region)
    assert report.state.kind == "finished" and report.period_progress == 1 and report.weeks_left == 0
    text = _page_text(report)
    assert not [w for w in _RUNNING_WORDS if w in text], text
    assert "Figures as of 25 Feb 2015**, the latest dated event in the data" in text
    assert "2014-Q4 (1 Oct 2014 – 31 Dec 2014) is over: its figures are final." in text


def test_the_running_quarter_reads_so_far_with_the_weeks_left():
    report = _report(old_crm.build(), "2015-Q1")
    # 25 Feb is day 56 of the 90 days of 2015-Q1: 62% gone; 34 days unseen from 26 Feb: 4 full weeks.
    assert report.state.kind == "running" and round(report.period_progress, 3) == round(56 / 90, 3)
    assert report.weeks_left == 4
    statement = report.as_of_statement()
    assert statement.endswith("2015-Q1 (1 Jan 2015 – 31 Mar 2015): 62% of the quarter has gone, 4 full weeks left.")
    assert "so far" in " ".join(won_lost.won_lost_findings(report).sentences)


def test_a_quarter_not_started_says_so_once_and_never_so_far():
    report = _report(old_crm.build(), "2015-Q3")
    assert report.state.kind == "future" and report.period_progress == 0
    # 13 full weeks in the quarter, all still to come (not 31 "weeks to run" counted from the report date).
    assert report.weeks_left == 13 and report.state.weeks_to_start == 18
    assert "has not started yet: it begins in 18 weeks" in report.as_of_statement()
    sentences = " ".join(won_lost.won_lost_findings(report).sentences + velocity.velocity_findings(report).sentences)
    assert "so far" not in sentences and "to date" not in sentences


def test_run_rate_is_not_zero_beside_booked_money():
    # The old rule put "today" at the latest created date (1 Oct 2014): 2015-Q1's run rate came out $0
    # next to O3's $3,000 booked on 10 Feb 2015.
    wide = qb.compute_wide(["closed_amount", "run_rate_revenue"], old_crm.build(), "2015-Q1", by="district")
    assert wide.loc["D", "closed_amount"] == 3000
    assert wide.loc["D", "run_rate_revenue"] == 3000 * 4  # the three months to 25 Feb: O3 only


# -- a pack of a past quarter: one date on every page ----------------------------------------------------------
#: Words a finished quarter's review never holds (issue 16): a DSM cannot run a notebook, and the quarter is over.
_REVIEW_BANNED = ("run it for", "run this", "live list", "live view", "this week", "weekly", "today",
                  "due to close by", "work those first")


@pytest.mark.slow
def test_a_pack_of_a_past_quarter_states_one_as_of_on_every_page(tmp_path):
    import html
    import re

    from quotabook.pack import build_pack

    folder = old_crm.write(tmp_path / "crm")
    result = build_pack("2014-Q4", regions=["East", "district"], notebooks=["00_target_achievement", "06_won_lost"],
                        data=str(folder), formats=("html",), workers=2, progress=False, out=tmp_path / "reports")
    assert result.ok, result.failures
    pages = sorted((tmp_path / "reports" / "2014-Q4").glob("*/*.html"))
    assert len(pages) == 4
    for page in pages:
        text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))))
        # East's own latest event is 20 Jan 2015: its pages are as of the district's day all the same.
        assert text.count("Figures as of") == 1 and "Figures as of 25 Feb 2015" in text, page
        assert "2014-Q4 (1 Oct 2014 – 31 Dec 2014) is over: its figures are final." in text, page
        assert not [w for w in _RUNNING_WORDS if w in text], page
        # a review in the past tense: nothing to run, no "this week"; its next moves are the quarter in progress's
        assert not [w for w in _REVIEW_BANNED if w in text.lower()], page
        if page.stem == "00_target_achievement":
            assert text.count("Outlook: 2015-Q1 as of 25 Feb 2015 — next moves") == 1, page


def test_a_date_given_is_stated_beside_the_datas_own():
    past = _report(old_crm.build().as_of("2014-12-31"), "2014-Q4")
    assert past.as_of_statement() == (
        "**Figures as of 31 Dec 2014** (the latest dated event in the data is 25 Feb 2015). "
        "2014-Q4 (1 Oct 2014 – 31 Dec 2014) is over: its figures are final.")


@pytest.mark.parametrize(("regions", "read", "covers"), [
    (["East"], ["East"], "Covers region East only"),
    (["East", "district"], [None], "Covers the whole district."),
])
def test_planning_finds_the_date_without_loading_and_the_overview_covers_the_pack(tmp_path, monkeypatch, regions,
                                                                                  read, covers):
    from pathlib import Path

    from quotabook import cache, loading
    from quotabook.pack.build import write_overview
    from quotabook.pack.plan import make_plan

    fixtures = Path(__file__).parent / "pack" / "fixtures"
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    loads = []
    validated = loading._validated

    def recorded(source, region, settings):
        loads.append(region)
        return validated(source, region, settings)

    monkeypatch.setattr(loading, "_validated", recorded)
    plan = make_plan("2014-Q4", data=str(old_crm.write(tmp_path / "crm")), out=tmp_path / "r", regions=regions,
                     pack=fixtures / "pack.yaml", notebooks_dir=fixtures / "notebooks")
    assert plan.as_of == "2015-02-25" and {r.parameters["as_of"] for r in plan.runs} == {"2015-02-25"}
    # The date is found without loading the source (quotabook.latest_date): nothing loaded, nothing cached.
    assert loads == [] and not list((tmp_path / "cache").glob("*.pickle"))
    plan.out_dir.mkdir(parents=True)
    assert write_overview(plan) == ("overview.html", None)
    # A region's pack reads its region only (as its notebooks do, through the build's cache); a district's, all.
    assert loads == read
    page = (plan.out_dir / "overview.html").read_text(encoding="utf-8")
    assert covers in page and "as of 25 Feb 2015" in page
