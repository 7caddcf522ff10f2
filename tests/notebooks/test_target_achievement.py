"""Notebook 00 (target achievement): its findings, views, charts and next moves on the hand-built district of
:mod:`worked.target_achievement` (its answers worked by hand there). The moves' own lists are tested in
tests/themes/target_achievement/test_moves.py (here, what the notebook shows of them), the coverage table in
tests/themes/target_achievement/test_tables.py.
"""

from __future__ import annotations

import dataclasses
import io
import warnings

import matplotlib.colors as mcolors
import pandas as pd
import pytest

from quotabook.charts import category_color
from quotabook.errors import DataQualityWarning
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal, targets
from quotabook.themes.target_achievement import data as views
from quotabook.themes.target_achievement import moves, tables
from quotabook.themes.target_achievement import text as say
from quotabook.themes.target_achievement.charts import OK_COLOR, WARN_COLOR, coverage_bars, no_data, stack_vs_target
from worked.target_achievement import K, dataset, make_report


# -- findings --------------------------------------------------------------------------------------------------
def test_findings_say_where_the_district_stands_what_is_short_and_what_it_takes():
    f = say.target_achievement_findings(make_report())
    assert f.sentences == [
        "The district has closed $1.8M of its $3.0M 2026-Q3 target (60%) with 6 weeks left; Closed + Commit "
        "reaches 78% of target and Closed + Commit + Best Case 107% (coverage 1.1×).",
        "West cannot reach target even if every Commit and Best Case deal closes; East is under the 1.5× coverage "
        "line that calls for a pipeline push; open pipeline in West has covered less than 2.5× of the remaining "
        "target for 2 weeks, which should alert leadership.",
        "At the period's 67% win rate, winning the remaining $1.2M takes $1.8M of pipeline; $1.4M is open, and "
        "lifting the stack to 1.5× target needs $1.3M more.",
        "Commit is 39% of the open forecast; $550K of the $550K Commit (100%) lacks recent proof and should be "
        "reclassified, while $700K of Best Case is ready to promote.",
        "4 deals carry Commit + Best Case (average $350K); the largest, $700K, is 50% of it; concentration is "
        "highest in East, where the largest of its 2 deals is 67% of its Commit + Best Case.",
    ]
    assert f.headlines == {"Attainment": "60%", "Forecast attainment": "78%", "Coverage": "1.1×",
                           "Pipeline coverage": "1.2×"}
    # levels: the catalog's severity (coverage under 1× is short whatever closes: critical); each alert names
    # the section explaining it, for the index's link
    where = {"anchor": "Attainment-and-coverage"}
    assert f.alerts == [
        {"message": "East: coverage 1.43× is under the 1.5× pipeline-push line", "level": "warning", **where},
        {"message": "West: coverage 0.35× is under the 1.5× pipeline-push line", "level": "critical", **where},
        {"message": "West: pipeline coverage 0.35× under 2.5× for 2 weeks", "level": "warning", **where},
    ]


def test_findings_for_a_region_name_its_territories_under_the_bars():
    f = say.target_achievement_findings(make_report("East"))
    assert f.sentences[0].startswith("East has closed $1.8M of its $2.0M 2026-Q3 target (90%) with 6 weeks left")
    assert f.sentences[1] == "T1 is under the 3× pipeline coverage wanted early in a quarter."
    assert f.alerts == []  # alerts are per territory: T1 (1.65×, pipeline 2.6×) and T2 (at target) fire none


def test_findings_once_the_period_is_over_read_the_result_and_volume_versus_conversion():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # deals without history, closed after the start
        f = say.target_achievement_findings(make_report(as_of="2026-10-15"))
    assert f.sentences[:3] == [
        "The district closed 2026-Q3 at $1.8M against a $3.0M target (60%), $1.2M short of it.",
        "0 of 2 regions reached target; East led at 90% and West ended at 0%.",
        "Of the misses, East and West went in with under 3× pipeline coverage (a volume problem).",
    ]
    assert f.sentences[3].startswith("It won 67% of the deals it closed (2 won); nothing more can close in 2026-Q3")
    assert f.headlines == {"Attainment": "60%", "Closed": "$1.8M", "Win rate": "67%"}
    assert f.alerts == []


def test_findings_without_forecast_categories_say_what_is_missing():
    ds = dataset()
    ds = dataclasses.replace(ds, opportunities=ds.opportunities.assign(forecast_category=pd.NA))
    report = Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())
    f = say.target_achievement_findings(report)
    assert f.sentences[-1].startswith("Not available for this data: ")
    assert "opportunities.forecast_category" in f.sentences[-1]
    assert 3 <= len(f.sentences) <= 5


# -- views ------------------------------------------------------------------------------------------------------
def test_coverage_status_reads_each_territory_against_the_bars():
    ds = dataset()
    cov = views.coverage_status(ds, "2026-Q3", by="territory").set_index("territory")
    assert cov["status"].to_dict() == {"T1": "Watch < 3×", "T2": "Target reached", "T3": "Short of target"}
    assert cov.loc["T1", "pipeline_coverage"] == pytest.approx(1050 / 400)
    assert cov["alert"].to_dict() == {"T1": False, "T2": False, "T3": True}
    assert cov.attrs["ended"] is False


def test_coverage_status_once_over_reads_the_pipeline_going_in():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        cov = views.coverage_status(dataset("2026-10-15"), "2026-Q3", by="region").set_index("region")
    # East at the start: W1 600 + L1 500 + C1 350 + B1 700 + W2 1,200 open against a 2,000 target.
    assert cov.loc["East", "start_pipeline_coverage"] == pytest.approx(3350 / 2000)
    assert cov["status"].to_dict() == {"East": "Missed: volume", "West": "Missed: volume"}


def test_the_pipeline_going_in_is_one_travel_shared_by_every_level_and_equal_to_a_full_travel(monkeypatch):
    """The day before the quarter is travelled once for the regions and the territories alike (deals only, kept
    with the dataset), and each level's coverage equals the one read on the whole data travelled afresh."""
    from quotabook.dataset import Dataset
    from quotabook.metrics import compute_wide

    ds = dataset("2026-10-15")
    travel = Dataset.as_of
    days = []

    def counted(self, date):
        days.append(pd.Timestamp(date))
        return travel(self, date)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        before = travel(dataset("2026-10-15"), "2026-06-30")  # activities and leads too, nothing kept
        monkeypatch.setattr(Dataset, "as_of", counted)
        for level in ("region", "territory"):
            got = views.coverage_status(ds, "2026-Q3", by=level).set_index(level)["start_pipeline_coverage"]
            fresh = compute_wide(["pipeline_coverage"], before, "2026-Q3", by=level)["pipeline_coverage"]
            pd.testing.assert_series_equal(got, fresh.reindex(got.index), check_names=False)
    assert days == [pd.Timestamp("2026-06-30")]


def test_number_stack_names_the_categories_for_the_house_colours():
    stack = views.number_stack(dataset(), "2026-Q3", by="region").set_index("region")
    assert stack.loc["East", ["Closed", "Commit", "Best Case", "Pipeline", "Target", "Total"]].tolist() == [
        1800 * K, 350 * K, 700 * K, 0.0, 2000 * K, 2850 * K]


def test_pipeline_needs_show_no_required_pipeline_once_target_is_reached():
    needs = views.pipeline_needs(dataset(), "2026-Q3", by="territory").set_index("territory")
    assert needs.loc["T2", "required_new_pipeline"] == 0.0
    assert needs.loc["T1", "required_new_pipeline"] == pytest.approx(400 * K / 0.5)  # T1 won 1 of 2


def _review(as_of: str = "2026-10-15") -> Report:
    """The district's 2026-Q3, over on ``as_of``, with 2026-Q4 under way: T1 holds a 300K Commit at Solution
    (too early a stage: weak) closing 20 Nov, and T2 a 100K Best Case at Discovery closing 2 Dec."""
    q4 = [deal("Q4C", "T1", close="2026-11-20", stage="Solution", category="Commit", amount=300 * K,
               created="2026-09-01", name="Quartz Ltd - Suite"),
          deal("Q4B", "T2", close="2026-12-02", stage="Discovery", category="Best Case", amount=100 * K,
               created="2026-09-01")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        ds = dataset(as_of)
        ds = build_dataset([*ds.opportunities.to_dict("records"), *q4], history=ds.opportunity_history,
                           targets=ds.targets, as_of=as_of)
    return Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())


def test_a_finished_quarters_moves_are_the_quarter_in_progress_captioned_with_it():
    over = _review()
    assert over.state.finished and over.moves_period.label == "2026-Q4"
    frame = moves.frame_for(over, "reclassify")
    # Q3's C1 and C3 are still open past their dates but Q3 is over: only Q4's weak Commit is listed
    assert frame["opportunity_id"].tolist() == ["Q4C"]
    weak = moves.table(over, "reclassify")
    assert weak.caption == "1. Weak Commits to reclassify as Best Case — 2026-Q4 as of 15 Oct 2026"
    assert weak.data["Deal"].tolist() == ["Quartz Ltd - Suite"]
    assert weak.data["Why"].tolist() == ["stage Solution is before Proposal"]
    # an empty list names the quarter it is about, and never asks anyone to run anything
    promote = moves.table(over, "promote", near=True).data
    assert promote == "*No Best Case deal passes, or misses by a single test, the tests for Commit in 2026-Q4.*"
    said = " ".join(t.data for t in (moves.table(over, m) for m in [*moves.MOVES, "impact"]) if isinstance(t.data, str))
    assert "run" not in said.lower() and "2026-Q3" not in said


@pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")  # Q3 deals without history
def test_a_finished_quarters_page_says_once_whose_moves_they_are():
    over = _review()
    rules = say.move_rules(over).data
    assert rules.count("### Outlook: 2026-Q4 as of 15 Oct 2026 — next moves") == 1
    assert "the moves below are for 2026-Q4, the quarter in progress" in rules
    assert "open deals at Proposal or later dated 2027-Q1" in rules  # the plays of the quarter after Q4
    note = tables.needs_table(over, views.pipeline_needs(over.ds, over.period, by=over.level)).data
    assert note == ("*2026-Q3 is over and nothing more can close in it: no gap left to fill with pipeline. The "
                    "outlook for 2026-Q4 as of 15 Oct 2026 is under Next moves.*")
    # moves 1 and 2 on Q4: Closed + Commit 300K (Q4C), minus the weak Q4C
    assert say.impact_note(over).data == ("Reclassifying \\$300K of weak Commit takes the district's Closed + "
                                          "Commit from \\$300K to \\$0.")
    findings = say.target_achievement_findings(over).sentences
    assert findings[-1].endswith("so the next moves at the end of this page are for 2026-Q4 as of 15 Oct 2026.")
    # the same page for the quarter in progress says nothing of an outlook: its moves are its own
    live = Report(ds=over.ds, period=over.ds.period("2026-Q4"), region=None, catalog=load_catalog())
    assert live.moves_period == live.period and "Outlook" not in say.move_rules(live).data
    assert moves.table(live, "reclassify").caption == "1. Weak Commits to reclassify as Best Case"


def test_on_a_quarters_last_day_its_review_looks_to_the_next_quarter():
    over = _review("2026-09-30")  # the data is as of the end of 30 Sep: 2026-Q3 is over
    assert over.state.finished and over.moves_period.label == "2026-Q4"
    assert moves.table(over, "reclassify").caption.endswith("— 2026-Q4 as of 30 Sep 2026")


def test_rules_note_uses_the_workbook_thresholds():
    text = say.coverage_rules(make_report()).data
    assert "under 1.5×" in text and "3× early in a quarter" in text
    assert "under 2.5× at 2 readings in a row, a week apart" in text
    rules = say.move_rules(make_report()).data
    assert "no activity in the last 14 days" in rules and "a stage before Proposal" in rules
    assert "open deals at Proposal or later dated 2026-Q4" in rules
    assert "Closed + Commit + Best Case under 1.5× target" in rules


# -- next moves -------------------------------------------------------------------------------------------------
def test_next_moves_tables_show_the_district_its_weak_commits_and_promotable_best_case():
    report = make_report()
    weak = moves.table(report, "reclassify", limit=8)
    assert weak.data.columns.tolist() == ["Region", "Territory", "Deal", "Stage", "Close date", "Amount", "Why"]
    assert weak.data["Deal"].tolist() == ["Cobalt Inc. - Core Platform", "Cedar Co - Suite"]  # C1, C3: largest first
    assert weak.data["Region"].tolist() == ["East", "West"]
    assert weak.data["Why"].tolist() == ["close date pushed later", "stage Solution is before Proposal"]
    promo = moves.table(report, "promote", limit=8, near=True)  # B3 misses two tests (stage, similar win rate)
    assert promo.data["Deal"].tolist() == ["Birch Ltd - Analytics"]
    assert promo.caption == "2. Best Case to promote to Commit: 1 ready"


def test_impact_note_says_how_moves_one_and_two_move_the_committed_forecast():
    # district: Closed + Commit 2,350 (78%); minus weak C1 + C3 (550), plus B1 (700): 2,500 (83%)
    assert say.impact_note(make_report()).data == (
        "Reclassifying \\$550K of weak Commit and promoting \\$700K of Best Case takes the district's Closed + "
        "Commit from \\$2.4M to \\$2.5M (78% of target to 83%).")
    # West: T3's only Commit, C3, is weak; nothing to promote
    assert say.impact_note(make_report("West")).data == (
        "Reclassifying \\$200K of weak Commit takes West's Closed + Commit from \\$200K to \\$0 (20% of target to 0%).")


def test_impact_note_names_who_reaches_target_only_on_commit_without_proof():
    opps = [deal("W1", "T1", close="2026-07-20", stage="Closed Won", amount=800 * K),
            deal("C1", "T1", close="2026-09-15", stage="Solution", category="Commit", amount=300 * K),
            deal("W2", "T2", close="2026-07-20", stage="Closed Won", amount=1200 * K)]
    ds = build_dataset(opps, targets=targets("2026-Q3", T1=1000 * K, T2=1000 * K), as_of="2026-08-19")
    report = Report(ds=ds.for_region("East"), period=ds.period("2026-Q3"), region="East", catalog=load_catalog())
    assert say.impact_note(report).data.endswith(
        "(115% of target to 100%). T1 reaches target on the current Commit but not on proof alone: get that "
        "proof before the forecast call.")


# -- charts -----------------------------------------------------------------------------------------------------
def _same(a, b) -> bool:
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def test_stack_chart_uses_the_house_colours_and_states_who_falls_short():
    report = make_report()
    stack = views.number_stack(report.ds, report.period, by=report.level)
    fig = stack_vs_target(stack, label=report.level, currency=report.currency, scope=report.label)
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == "Closed + Commit + Best Case falls short of target in 1 of 2 regions: West"
    colours = {c.get_label(): c.patches[0].get_facecolor() for c in ax.containers}
    assert set(colours) == {"Closed", "Commit", "Best Case"}  # no Pipeline amount: no empty series
    assert all(_same(colour, category_color(name)) for name, colour in colours.items())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["East", "West"]


def test_coverage_chart_marks_bars_under_their_line():
    report = make_report()
    cov = views.coverage_status(report.ds, report.period, by=report.level)
    fig = coverage_bars(cov, label=report.level, scope=report.label, thresholds=report.settings.thresholds)
    left, right = fig.axes[:2]
    assert fig._suptitle.get_text() == "East and West need a pipeline push: stack under 1.5× target"
    assert [round(p.get_width(), 3) for p in left.patches] == [1.425, 0.35]
    assert [_same(p.get_facecolor(), WARN_COLOR) for p in left.patches] == [True, True]
    assert [_same(p.get_facecolor(), OK_COLOR) for p in right.patches] == [True, False]  # 5.25× and 0.35×
    assert {line.get_label() for line in right.get_lines()} == {"Alert 2.5×", "Target 3× (early)", "4× (mature)"}


def test_coverage_chart_without_targets_says_so():
    cov = views.coverage_status(dataset(), "2026-Q4", by="territory")
    fig = coverage_bars(cov, label="territory", scope="East", thresholds=make_report().settings.thresholds)
    assert fig._suptitle.get_text() == "East has no target for 2026-Q4"
    assert no_data("t", "m")._suptitle.get_text() == "t"


def test_without_targets_or_categories_every_part_still_renders_with_a_note():
    opps = [deal("W1", close="2026-07-20", stage="Closed Won", amount=600 * K, created="2026-05-01"),
            deal("O1", close="2026-09-20", stage="Proposal", amount=700 * K, created="2026-05-01")]
    for row in opps:
        row.pop("forecast_category")
    ds = build_dataset(opps, as_of="2026-08-19")
    report = Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())
    f = say.target_achievement_findings(report)
    assert f.sentences == [
        "The district has closed $600K in 2026-Q3 but has no target for it: attainment and coverage cannot be read.",
        "So far it has won 1 deal (no lost deal is recorded, so its 100% win rate says little).",
        "Not available for this data: Commit, Best Case, Total (Closed + Commit + Best Case) and 11 more (needs "
        "column opportunities.forecast_category); Target, Attainment, Gap to target and 2 more (needs table "
        "targets).",
    ]
    stack = views.number_stack(ds, report.period, by=report.level)
    fig = stack_vs_target(stack, label=report.level, currency="USD", scope=report.label)
    assert fig._suptitle.get_text() == (
        "The district has no target for 2026-Q3: the bars show the forecast categories only")
    fig.savefig(io.BytesIO(), format="svg")  # no tick to draw: drawing raised matplotlib's ConversionError (issue 14)
    assert not [c for c in fig.axes[0].collections if c.get_label() == "Target"]
    cov = views.coverage_status(ds, report.period, by=report.level)
    assert cov["status"].tolist() == ["No target", "No target"]
    # no forecast categories means no Commit to test, not "every Commit has proof"
    assert moves.table(report, "reclassify").data == (
        "*The data has no forecast categories (column opportunities.forecast_category): no Commit to test for proof.*")
    assert moves.table(report, "push").data.startswith("*No region has a target for 2026-Q3")


def test_a_quarter_that_has_not_started_fires_no_alert():
    """As of 15 April, before any deal was created and before 2026-Q3 begins: every coverage is 0×, but
    nothing can be late yet (issue 15)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        report = make_report(as_of="2026-04-15")
        assert report.period.start > report.ds.reference_date
        f = say.target_achievement_findings(report)
        cov = views.coverage_status(report.ds, report.period, by="territory")
    assert f.alerts == [] and not cov["alert"].any()
    assert not any("should alert leadership" in s for s in f.sentences)
