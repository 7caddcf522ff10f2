"""Funnel views on the hand-built tables of tests/metrics/test_funnel.py (answers worked out there and below):
cohort conversion by creation month, drop-off, where lost deals dropped out, time in stage, step days and
conversions against the workbook's bands by segment, and pipeline by rep by stage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.metrics import compute, load_catalog
from quotabook.metrics.catalog import CATALOG_FILE
from quotabook.notebook import Report
from quotabook.testing import build_dataset
from quotabook.themes.funnel.data import (
    COHORT_UNITS,
    band_text,
    benchmarks_by_segment,
    cohort_conversion,
    cohort_table,
    drop_off,
    drop_off_table,
    leaks,
    lost_from_stage,
    pipeline_by_rep_stage,
    pipeline_table,
    pipeline_units,
    segment_table,
    step_days_by_segment,
    step_days_table,
    time_in_stage,
    win_rate_by,
)
from worked.funnel import HISTORY, LEADS, OPPORTUNITIES, TERRITORIES


@pytest.fixture(scope="module")
def ds():
    return build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, opportunity_history=HISTORY,
                         leads=LEADS)


def cells(frame, keys, columns):
    return frame.set_index(keys)[columns]


def test_cohort_conversion_by_creation_month(ds):
    out = cohort_conversion(ds, "2026-Q1")
    c = cells(out, ["cohort", "step"], ["entered", "converted", "conversion"])
    # January leads L1, L2, L6, L7: SAL L1, L2, L6; SQL the same three; converted L1, L6.
    assert c.loc[("2026-01", "Lead→SAL")].tolist() == [4, 3, 0.75]
    assert c.loc[("2026-01", "SQL→Opportunity")].tolist() == pytest.approx([3, 2, 2 / 3])
    # February leads L3, L4, L8: 2 accepted, none qualified (0%, not a gap); no SQL, so no SQL→Opportunity rate.
    assert c.loc[("2026-02", "SAL→SQL")].tolist() == [2, 0, 0.0]
    assert c.loc[("2026-02", "SQL→Opportunity"), "entered"] == 0
    assert np.isnan(c.loc[("2026-02", "SQL→Opportunity"), "conversion"])
    # January deals A, B, D, E: 3 reached Proposal (A, B won, E), 1 won; February: C (Negotiation).
    assert c.loc[("2026-01", "Opportunity→Proposal")].tolist() == [4, 3, 0.75]
    assert c.loc[("2026-01", "Proposal→Won")].tolist() == pytest.approx([3, 1, 1 / 3])
    assert c.loc[("2026-02", "Opportunity→Proposal")].tolist() == [1, 1, 1.0]
    assert out["step"].unique().tolist() == ["Lead→SAL", "SAL→SQL", "SQL→Opportunity", "Opportunity→Proposal",
                                             "Proposal→Won"]
    assert out.attrs["period"] == "2026-Q1"


def test_cohorts_add_up_to_the_quarter(ds):
    months = cohort_conversion(ds, "2026-Q1").groupby("metric")[["entered", "converted"]].sum()
    quarter = compute(list(months.index), ds, "2026-Q1", by="district").set_index("metric")
    assert months["entered"].to_dict() == quarter["denominator"].to_dict()
    assert months["converted"].to_dict() == quarter["numerator"].to_dict()


def test_drop_off(ds):
    out = drop_off(ds, "2026-Q1").set_index("step")
    assert out.loc["Lead→SAL", ["entered", "converted", "dropped", "drop_off"]].tolist() == [10, 6, 4, 0.4]
    assert out.loc["Opportunity→Proposal", ["entered", "converted"]].tolist() == [5, 4]
    assert out.loc["Proposal→Won", "drop_off"] == 0.75
    assert out["largest_drop"].tolist() == [False, False, False, False, True]
    assert out.loc["Lead→SAL", "status"] == "above"  # 60% against the catalog's 8-25%
    assert (out["conversion"] + out["drop_off"]).tolist() == pytest.approx([1.0] * 5)
    by_t = drop_off(ds, "2026-Q1", by="territory")
    assert set(by_t["territory"]) == {"T1", "T2"} and by_t.groupby("territory").size().tolist() == [5, 5]


def test_lost_from_stage(ds):
    out = lost_from_stage(ds, "2026-Q1")  # D lost from Qualification, E from Proposal
    assert out[["stage", "deals", "amount", "share"]].to_numpy().tolist() == [["Qualification", 1, 300, 0.5],
                                                                              ["Proposal", 1, 700, 0.5]]
    no_history = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES)
    unknown = lost_from_stage(no_history, "2026-Q1")  # not every lost deal under "(no history)": said instead
    assert unknown.empty and unknown.attrs["unavailable"] == {
        "stage at loss": "the stage lost deals left not available: needs table opportunity_history"}


def test_time_in_stage_median_and_mean(ds):
    out = time_in_stage(ds, "2026-Q1")
    c = cells(out, ["stage", "outcome"], ["spells", "median_days", "mean_days"])
    # Qualification: A 36 (open), D 30 and E 16 (lost).
    assert c.loc[("Qualification", "lost")].tolist() == [2, 23, 23]
    assert c.loc[("Qualification", "all")].tolist() == pytest.approx([3, 30, 82 / 3])
    assert c.loc[("Solution", "won")].tolist() == [1, 75, 75]  # F, Nov 1 -> Jan 15
    assert out["stage"].unique().tolist() == ["Qualification", "Discovery", "Solution", "Proposal"]
    bare = time_in_stage(build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES), "2026-Q1")
    assert bare.empty and "opportunity_history" in bare.attrs["unavailable"]["time_in_stage_days"]


def test_step_days_by_segment(ds):
    out = cells(step_days_by_segment(ds, "2026-Q1"), ["segment", "step"], ["items", "median_days", "low", "high",
                                                                          "status"])
    # SMB leads: SAL after 3, 3, 3, 8 days (median 3), SQL after 7 and 11 (9), converted after 10.
    assert out.loc[("SMB", "Lead→SAL")].tolist() == [4, 3, 3, 7, "within"]
    assert out.loc[("SMB", "SAL→SQL")].tolist() == [2, 9, 5, 10, "within"]
    assert out.loc[("SMB", "SQL→Opportunity")].tolist() == [1, 10, 7, 14, "within"]
    # SMB deals: A reached Proposal 36 days after creation (B went straight to won: left out).
    assert out.loc[("SMB", "Opportunity→Proposal")].tolist() == [1, 36, 10, 20, "above"]
    assert out.loc[("SMB", "Proposal→Won"), "status"] == "no data"
    # Enterprise deals: C 14 days, E 16 days -> median 15, under the 30-60 band.
    assert out.loc[("Enterprise", "Opportunity→Proposal")].tolist() == [2, 15, 30, 60, "below"]


def test_step_days_select_each_steps_rows_once(ds, monkeypatch):
    """The view's medians and the counts beside them read the same rows, selected once in one context: the
    three lead cohorts and the one opportunity cohort (with when each deal entered Proposal) each once, where
    the counts used to select all five again."""
    from quotabook.metrics.measures import funnel as measures

    calls = {"cohort": 0, "proposal": 0}
    created, entered = measures._created_in_period, measures.proposal_entered_at

    def count(key, fn):
        def counted(*args, **kwargs):
            calls[key] += 1
            return fn(*args, **kwargs)
        return counted

    monkeypatch.setattr(measures, "_created_in_period", count("cohort", created))
    monkeypatch.setattr(measures, "proposal_entered_at", count("proposal", entered))
    out = step_days_by_segment(ds, "2026-Q1").set_index(["segment", "step"])
    assert calls == {"cohort": 4, "proposal": 1}
    assert out.loc[("SMB", "Lead→SAL"), ["items", "median_days"]].tolist() == [4, 3]
    assert out.loc[("Enterprise", "Opportunity→Proposal"), ["items", "median_days"]].tolist() == [2, 15]

def test_benchmarks_by_segment(ds):
    out = benchmarks_by_segment(ds, "2026-Q1")
    assert out["segment"].unique().tolist() == ["SMB", "Mid-Market", "Enterprise"]
    c = cells(out, ["segment", "step"], ["entered", "converted", "conversion", "low", "high", "status"])
    assert c.loc[("SMB", "Lead→SAL")].tolist() == [5, 5, 1.0, 0.15, 0.25, "above"]
    assert c.loc[("Enterprise", "Lead→SAL")].tolist() == [5, 1, 0.2, 0.08, 0.15, "above"]
    assert c.loc[("Enterprise", "Opportunity→Proposal")].tolist() == pytest.approx([3, 2, 2 / 3, 0.4, 0.6, "above"])
    assert c.loc[("Mid-Market", "Proposal→Won"), "status"] == "no data"
    assert out.set_index(["segment", "step"]).loc[("SMB", "SQL→Opportunity"), "source"].startswith("TOPO 2023")



def test_segment_bands_are_a_catalog_only_edit(ds, tmp_path):
    """Both segment views read their bands from the catalog: a changed SMB band in a temporary catalog is
    the band (and the status) the views show, with nothing else edited."""
    text = CATALOG_FILE.read_text(encoding="utf-8")
    old_rate, old_days = "SMB: {band: [0.15, 0.25], source:", "SMB: {band: [3, 7]}"
    assert text.count(old_rate) == 1 and text.count(old_days) == 1
    edited = tmp_path / "catalog.yaml"
    edited.write_text(text.replace(old_rate, "SMB: {band: [0.95, 1.0], source:")
                      .replace(old_days, "SMB: {band: [1, 2]}"), encoding="utf-8")
    catalog = load_catalog(edited)
    rate = benchmarks_by_segment(ds, "2026-Q1", catalog=catalog).set_index(["segment", "step"])
    assert rate.loc[("SMB", "Lead→SAL"), ["low", "high", "status"]].tolist() == [0.95, 1.0, "within"]
    days = step_days_by_segment(ds, "2026-Q1", catalog=catalog).set_index(["segment", "step"])
    assert days.loc[("SMB", "Lead→SAL"), ["median_days", "low", "high", "status"]].tolist() == [3, 1, 2, "above"]


def test_step_days_are_catalog_metrics_that_roll_up_by_any_level(ds):
    """The days-per-step metrics compute by segment like the view, and by territory too (a median per group)."""
    by_segment = compute(["lead_to_sal_days", "sal_to_sql_days"], ds, "2026-Q1", by="segment")
    got = by_segment.set_index(["segment", "metric"])["value"]
    assert got[("SMB", "lead_to_sal_days")] == 3 and got[("SMB", "sal_to_sql_days")] == 9
    by_territory = compute(["opportunity_to_proposal_days"], ds, "2026-Q1", by="territory")
    assert by_territory["value"].notna().any()
    bare = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES)
    out = step_days_by_segment(bare, "2026-Q1")
    assert out["median_days"].isna().all() and (out["items"] == 0).all()
    assert out.attrs["unavailable"] == {"lead steps": "lead steps not available: needs table leads",
                                        "opportunity steps": "opportunity steps not available: needs table "
                                                             "opportunity_history"}

def test_pipeline_by_rep_stage(ds):
    out = pipeline_by_rep_stage(ds)
    assert len(out) == 2 * 5  # Ann, Bob x the five open stages, zeros included
    c = cells(out, ["owner", "stage"], ["deals", "amount"])
    assert c.loc[("Ann", "Proposal")].tolist() == [1, 1200] and c.loc[("Bob", "Negotiation")].tolist() == [1, 900]
    assert c["deals"].sum() == 2
    wide = pipeline_by_rep_stage(ds, wide=True)
    assert list(wide.columns) == ["Qualification", "Discovery", "Solution", "Proposal", "Negotiation", "Total"]
    assert wide.loc["Total", "Total"] == 2100
    in_q1 = pipeline_by_rep_stage(ds, "2026-Q1")  # only A closes in Q1
    assert in_q1["amount"].sum() == 1200 and in_q1.attrs["period"] == "2026-Q1"


# -- the tables of notebook 02 ------------------------------------------------------------------------------
def test_band_text():
    assert band_text([0.22, np.nan], [0.35, 0.4]).tolist() == ["22–35%", "–"]
    assert band_text([10.0], [20.0], "days").tolist() == ["10–20 days"]


def test_drop_off_and_segment_tables(ds):
    table = drop_off_table(drop_off(ds, "2026-Q1")).set_index("Step")
    assert table.loc["Proposal→Won", ["Entered", "Went on", "Dropped", "Benchmark", "Status"]].tolist() == \
        [4, 1, 3, "15–40%", "within"]
    seg = segment_table(benchmarks_by_segment(ds, "2026-Q1"))
    assert "Mid\u2011Market" in set(seg["Segment"])  # a non-breaking hyphen: one line in a narrow table
    seg = seg.set_index(["Segment", "Step"])
    assert seg.loc[("Enterprise", "Proposal→Won"), ["Entered", "Converted", "Benchmark", "Status"]].tolist() == \
        [2, 0, "15–30%", "below"]


def test_leaks_rank_the_shortfall_against_the_band_floor_and_put_thin_steps_last():
    bench = pd.DataFrame({
        "segment": ["SMB", "Enterprise", "Mid-Market", "SMB"],
        "step": ["Proposal→Won", "Lead→SAL", "SAL→SQL", "Lead→SAL"],
        "entered": [20.0, 40.0, 3.0, 50.0], "converted": [2.0, 2.0, 0.0, 10.0],
        "conversion": [0.10, 0.05, 0.0, 0.20], "low": [0.25, 0.08, 0.45, 0.15], "high": [0.40, 0.15, 0.65, 0.25],
    })
    ranked = leaks(bench, min_entered=10)
    # 15 points under a 25% floor (60% of it) ranks before 3 points under 8% (37.5%); the 0-of-3 step is thin.
    assert ranked["step"].tolist() == ["Proposal→Won", "Lead→SAL", "Lead→SAL", "SAL→SQL"]
    assert ranked["relative"].iloc[:2].tolist() == pytest.approx([0.6, 0.375])
    assert ranked["enough"].tolist() == [True, True, True, False]
    assert ranked["shortfall"].iloc[2] == pytest.approx(-0.05)  # SMB Lead→SAL at 20% is inside its band


def test_cohort_table_one_row_per_month(ds):
    table = cohort_table(cohort_conversion(ds, "2026-Q1")).set_index("Cohort")
    assert list(table.columns) == ["Leads", "Lead→SAL", "SAL→SQL", "SQL→Opp", "Opps", "Opp→Proposal", "Proposal→Won"]
    assert table.loc["2026\u201101", ["Leads", "Lead→SAL", "Opps", "Opp→Proposal"]].tolist() == [4, 0.75, 4, 0.75]
    assert table.index.str.replace("\u2011", "-").tolist() == ["2026-01", "2026-02", "2026-03"]  # with anything


def test_cohort_table_reads_its_conversions_from_the_catalog(ds):
    """The step columns keep their short headers; their unit (percent) and glossary entries are the catalog's
    conversions, the leads and opportunities entering them are counts."""
    report = Report(ds=ds, period=ds.period("2026-Q1"), region=None, catalog=load_catalog())
    shown = report.table(cohort_table(cohort_conversion(ds, "2026-Q1")), COHORT_UNITS).data.set_index("Cohort")
    assert list(shown.columns) == ["Leads", "Lead→SAL", "SAL→SQL", "SQL→Opp", "Opps", "Opp→Proposal", "Proposal→Won"]
    assert shown.loc["2026\u201101", ["Leads", "Lead→SAL", "Opps", "Opp→Proposal"]].tolist() == ["4", "75%", "4", "75%"]
    assert report.shown_metrics == ["lead_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_proposal",
                                    "proposal_to_won"]

def test_step_days_table_leaves_out_steps_nothing_went_through(ds):
    table = step_days_table(step_days_by_segment(ds, "2026-Q1")).set_index(["Segment", "Step"])
    assert table.loc[("SMB", "Opportunity→Proposal"), ["Items", "Median days", "Benchmark", "Status"]].tolist() == \
        [1, 36, "10–20 days", "above"]
    assert ("SMB", "Proposal→Won") not in table.index


def test_win_rate_by_group_and_total_against_the_band(ds):
    rates = win_rate_by(ds, "2026-Q1", by="region").set_index("group")
    # Closed in Q1: East B and F won; West D and E lost. A (open, closing in Q1) is left out.
    assert rates[["won_count", "closed_count", "win_rate", "status"]].to_numpy().tolist() == [
        [2, 2, 1.0, "above"], [0, 2, 0.0, "below"], [2, 4, 0.5, "above"]]
    assert rates.index.tolist() == ["East", "West", "Total"]
    assert rates["low"].iloc[0] == 0.22 and rates.attrs["source"].startswith("CSO Insights 2024")


def test_pipeline_table_largest_first_in_thousands(ds):
    table = pipeline_table(pipeline_by_rep_stage(ds), scale=1000).set_index("Rep")
    assert table.index.tolist() == ["Ann", "Bob", "Total"]
    assert table.loc["Ann", "Proposal"] == 1.2 and table.loc["Total", "Total"] == pytest.approx(2.1)
    assert pipeline_units(table.reset_index()) == {c: "count" for c in table.columns}

