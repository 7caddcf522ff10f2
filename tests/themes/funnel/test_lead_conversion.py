"""The funnel page on leads that real exports have (issue 14): no SAL or SQL dates, leads without owners or
owned by a queue. Lead conversion still shows (Lead→Opportunity, Lead→Won), the Unassigned group is named, and
a region page says how many leads no region holds. Hand-built tables of tests/metrics/test_lead_conversion.py
(answers worked out there: 2026-Q1 has 8 leads, 5 converted, 3 won; T1 3 / 2 / 1, T2 2 / 2 / 1, Unassigned
3 / 1 / 1).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from quotabook.dataset import UNASSIGNED_LEADS
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset
from quotabook.themes.funnel import data as views
from quotabook.themes.funnel import text as say
from worked.lead_conversion import LEADS, OPPORTUNITIES, TERRITORIES


@pytest.fixture(scope="module")
def ds():
    return build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, leads=LEADS)


def make_report(ds, region: str | None = None) -> Report:
    return Report(ds=ds, period=ds.period("2026-Q1"), region=region, catalog=load_catalog())


def test_lead_conversion_lists_the_unassigned_group_and_a_total(ds):
    table = views.lead_conversion(ds, "2026-Q1", by="territory")
    assert table["territory"].tolist() == ["T1", "T2", "Unassigned", "Total"]
    assert table[["Leads", "Converted", "Won"]].to_numpy().tolist() == [[3, 2, 1], [2, 2, 1], [3, 1, 1], [8, 5, 3]]
    np.testing.assert_allclose(table["Lead→Opp"], [2 / 3, 1, 1 / 3, 5 / 8])
    np.testing.assert_allclose(table["Lead→Won"], [1 / 3, 1 / 2, 1 / 3, 3 / 8])
    # Rows read = rows counted: the groups add up to the Total.
    assert table.iloc[:-1][["Leads", "Converted", "Won"]].sum().tolist() == [8, 5, 3]
    total = views.lead_conversion(ds, "2026-Q1")
    assert total[["Leads", "Converted", "Won"]].iloc[0].tolist() == [8, 5, 3]
    assert set(views.LEAD_UNITS) == set(total.columns)


def test_lead_conversion_by_source_over_a_window_of_years(ds):
    table = views.lead_conversion(ds, "2019-Q1", "2026-Q2", by="lead_source").set_index("lead_source")
    # All 11 leads: Web L1, L3, L5, L9; Partner L4, L8, L11; (blank) L2, L6; Event L7; Referral L10.
    assert table["Leads"].to_dict() == {"(blank)": 2, "Event": 1, "Partner": 3, "Referral": 1, "Web": 4, "Total": 11}
    assert table.loc["Partner", ["Converted", "Won"]].tolist() == [3, 2]  # L4 -> C open, L8 -> E, L11 -> G won


def test_without_a_leads_table_the_view_is_empty_and_says_why():
    bare = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES)
    table = views.lead_conversion(bare, "2026-Q1", by="territory")
    assert table.empty
    assert table.attrs["unavailable"]["lead_count"] == "lead_count not available: needs table leads"
    assert say.lead_sentence(make_report(bare), table, 0, quarters=1) is None


def test_unassigned_leads_on_the_district_and_on_a_region(ds):
    assert views.unassigned_leads(ds, "2026-Q1") == 3  # L5, L6 (no owner), L7 (a queue)
    assert views.unassigned_leads(ds, "2019-Q1", "2026-Q1") == 4  # and L10, from 2019
    east = ds.for_region("East")
    assert views.unassigned_leads(east, "2026-Q1") == 3
    assert views.unassigned_leads(east, "2026-Q2") == 0
    # A region read from a database holds only its rows: the count is not known, and no sentence guesses it.
    unknown = east.leads.copy()
    unknown.attrs.pop(UNASSIGNED_LEADS)
    assert views.unassigned_leads(replace(east, leads=unknown), "2026-Q1") is None


def test_drop_off_uses_lead_to_opportunity_without_sal_or_sql_dates(ds):
    drop = views.drop_off(ds, "2026-Q1")
    assert drop["step"].tolist() == ["Lead→Opportunity", "Opportunity→Proposal", "Proposal→Won"]
    lead = drop.iloc[0]
    assert lead[["entered", "converted", "dropped"]].tolist() == [8, 5, 3]
    assert lead["conversion"] == pytest.approx(5 / 8)
    assert lead["status"] == "no benchmark"  # the workbook gives bands for the finer steps only
    # The notes still say what the finer steps need.
    assert drop.attrs["unavailable"]["lead_to_sal"] == "lead_to_sal not available: needs column leads.sal_date"
    table = views.drop_off_table(drop)
    assert table["Step"].tolist()[0] == "Lead→Opportunity"


def test_drop_off_keeps_the_fine_lead_steps_when_the_dates_exist(ds):
    leads = ds.leads.assign(sal_date=ds.leads["created_date"], sql_date=ds.leads["created_date"])
    fine = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, leads=leads)
    steps = views.drop_off(fine, "2026-Q1")["step"].tolist()
    assert steps[:3] == ["Lead→SAL", "SAL→SQL", "SQL→Opportunity"] and "Lead→Opportunity" not in steps


def test_cohort_table_shows_lead_to_opportunity_per_month(ds):
    table = views.cohort_table(views.cohort_conversion(ds, "2026-Q1"))
    assert table.columns.tolist() == ["Cohort", "Leads", "Lead→Opp", "Opps", "Opp→Proposal", "Proposal→Won"]
    # January: L1, L2, L5, L8, all converted; February: L3, L4 (L4 converted); March: L6, L7, none.
    assert table["Leads"].tolist() == [4, 2, 2]
    np.testing.assert_allclose(table["Lead→Opp"], [1.0, 0.5, 0.0])


def test_segment_benchmarks_show_the_coarse_step_without_a_band(ds):
    bench = views.benchmarks_by_segment(ds, "2026-Q1")
    coarse = bench[bench["metric"] == "lead_to_opportunity"]
    # By segment, leads take their owner's territory segment: SMB (T1) 3 leads, Enterprise (T2) 2; the three
    # unplaced leads have no segment: "(blank)", still counted.
    assert coarse.set_index("segment")["entered"].to_dict() == {"SMB": 3, "Enterprise": 2, "(blank)": 3}
    assert (coarse["status"] == "no benchmark").all()
    assert views.leaks(bench)["metric"].ne("lead_to_opportunity").all()


def test_findings_name_the_conversion_and_the_unassigned_leads(ds):
    found = say.funnel_findings(make_report(ds), quarters=1)
    expected = ("Of the 8 leads created 2026-Q1, 63% (5) became an opportunity and 38% (3) a won deal; recent leads "
                "are still converting. 3 of them have no owner with a territory: they count in the district's "
                "figures, in the group Unassigned.")
    assert expected in found.sentences
    assert len(found.sentences) <= 5


def test_a_region_page_says_how_many_leads_no_region_holds(ds):
    east = ds.for_region("East")
    report = make_report(east, "East")
    text = say.lead_sentence(report, views.lead_conversion(east, "2026-Q1"), views.unassigned_leads(east, "2026-Q1"),
                             quarters=1)
    assert text == ("Of the 3 leads created 2026-Q1, 67% (2) became an opportunity and 33% (1) a won deal; recent "
                    "leads are still converting. Another 3 leads created 2026-Q1 have no owner with a territory, so "
                    "they belong to no region: they count on the district's pages only, in the group Unassigned.")


def test_lead_sentence_on_degenerate_cohorts(ds):
    report = make_report(ds)
    none = pd.DataFrame([{"Leads": 0.0, "Converted": 0.0, "Won": 0.0, "Lead→Opp": np.nan, "Lead→Won": np.nan}])
    assert say.lead_sentence(report, none, 0, quarters=1) == "No lead was created 2026-Q1."
    cold = pd.DataFrame([{"Leads": 40.0, "Converted": 0.0, "Won": 0.0, "Lead→Opp": 0.0, "Lead→Won": 0.0}])
    assert say.lead_sentence(report, cold, 1, quarters=1) == (
        "None of the 40 leads created 2026-Q1 has become an opportunity yet. 1 of them has no owner with a "
        "territory: it counts in the district's figures, in the group Unassigned.")
    small = pd.DataFrame([{"Leads": 1000.0, "Converted": 25.0, "Won": 0.0, "Lead→Opp": 0.025, "Lead→Won": 0.0}])
    assert say.lead_sentence(report, small, 0, quarters=1) == (
        "Of the 1,000 leads created 2026-Q1, 2.5% (25) became an opportunity, none of them a won deal yet; recent "
        "leads are still converting.")


def test_funnel_chart_shows_the_lead_panel_without_sal_or_sql_dates(ds):
    from quotabook.themes.funnel.charts import funnel

    fig = funnel(views.drop_off(ds, "2026-Q1"), window="2026-Q1")
    leads, opps = fig.axes
    assert [p.get_width() for p in leads.patches] == [8, 5]  # leads, converted
    assert [t.get_text() for t in leads.get_yticklabels()] == ["Lead", "Converted"]
    # Deals created in Q1: A-E; won A, D, E (Won is past Proposal), B lost and C in Discovery never got there.
    assert [p.get_width() for p in opps.patches] == [5, 3, 3]


def test_lead_sentences_when_no_lead_has_an_owner():
    ownerless = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES,
                              leads=LEADS.replace(",Ann,", ",,").replace(",Bob,", ",,").replace(",Zed,", ",,"))
    district = say.lead_sentence(make_report(ownerless), views.lead_conversion(ownerless, "2026-Q1"),
                                 views.unassigned_leads(ownerless, "2026-Q1"), quarters=1)
    assert district.endswith("None of them has an owner with a territory: they count in the district's figures, "
                             "in the group Unassigned.")
    # A region holds none of them: its page still says where they are.
    east = ownerless.for_region("East")
    conversion = views.lead_conversion(east, "2026-Q1")
    assert conversion.empty  # the region has no lead at all
    assert say.lead_sentence(make_report(east, "East"), conversion, views.unassigned_leads(east, "2026-Q1"),
                             quarters=1) == (
        "East holds no lead of its own; 8 leads created 2026-Q1 have no owner with a territory, so they belong to "
        "no region: they count on the district's pages only, in the group Unassigned.")
