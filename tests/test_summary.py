"""The executive summary (quotabook.summary) on small hand-built districts, not the demo.

The main case: two regions, North (territory N1, rep Ines) and South (S1, Olu), a 200K 2026-Q3 target each,
read while the quarter runs (25 Aug 2026):

- North won 80K; holds a 60K Commit (Proposal, touched 20 Aug) and a 40K Best Case (Negotiation, touched
  21 Aug).
- South won 20K and lost 50K; holds a 30K Commit at Proposal nobody has touched (a weak Commit).

By hand: North 80K closed, 120K gap, 40% attainment, coverage (80 + 60 + 40) / 200 = 0.9×; South 20K closed,
180K gap, 10%, coverage 50 / 200 = 0.25 → 0.3× (half up); the district 100K of 400K, 300K gap, 25%,
230 / 400 = 0.575 → 0.6×.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from quotabook import summary
from quotabook.forecast import study
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.settings import load_settings
from quotabook.testing import inline_dataset
from quotabook.themes.target_achievement import moves

pytestmark = pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")
SETTINGS = load_settings()
STAGES = {stage.name: stage for stage in SETTINGS.stages}
K = 1000.0
RUNNING, ENDED = "2026-08-25", "2026-10-15"  # mid-2026-Q3, and once it is over (2026-Q4 in progress)
OWNERS = {"N1": "Ines", "S1": "Olu"}
TWO = [{"territory": t, "region": {"N1": "North", "S1": "South"}[t], "district": "D", "owner": o}
       for t, o in OWNERS.items()]


def opp(oid, territory, stage, amount, *, close="2026-07-20", category="", created="2026-05-01"):
    s = STAGES[stage]
    default = "Closed" if s.is_won else "Omitted" if s.is_closed else "Pipeline"
    return {"opportunity_id": oid, "name": f"Deal {oid}", "owner": OWNERS[territory], "territory": territory,
            "created_date": created, "close_date": close, "stage": stage,
            "forecast_category": (category or default) if category is not None else None, "amount": float(amount),
            "is_closed": s.is_closed, "is_won": s.is_won}


DEALS = [opp("W1", "N1", "Closed Won", 80 * K), opp("O1", "N1", "Proposal", 60 * K, close="2026-09-20",
                                                    category="Commit"),
         opp("O2", "N1", "Negotiation", 40 * K, close="2026-09-22", category="Best Case"),
         opp("W2", "S1", "Closed Won", 20 * K), opp("L1", "S1", "Closed Lost", 50 * K),
         opp("O3", "S1", "Proposal", 30 * K, close="2026-09-21", category="Commit"),
         # dated in 2026-Q4: what a review of 2026-Q3 looks ahead to
         opp("Q1", "S1", "Proposal", 45 * K, close="2026-11-10", category="Commit")]
TOUCHED = [{"activity_id": "a1", "owner": "Ines", "activity_date": "2026-08-20", "type": "email",
            "opportunity_id": "O1"},
           {"activity_id": "a2", "owner": "Ines", "activity_date": "2026-08-21", "type": "email",
            "opportunity_id": "O2"}]


def make_report(deals=DEALS, *, territories=TWO, target=200 * K, as_of=RUNNING, region=None, activities=TOUCHED):
    targets = None if target is None else [{"period": "2026-Q3", "territory": t["territory"], "target_amount": target}
                                           for t in territories]
    ds = inline_dataset({"opportunities": deals, "territories": territories, "targets": targets,
                         "activities": activities}, as_of=as_of, settings=SETTINGS).for_region(region)
    return Report(ds=ds, period=ds.period("2026-Q3"), region=region, catalog=load_catalog())


def texts(built: summary.ExecutiveSummary, group: str) -> dict[str, str]:
    return {f.column: f.text for f in built.figures if f.group == group}


@pytest.fixture(scope="module")
def running():
    report = make_report()
    return report, summary.build(report)


def test_the_scoreboard_holds_the_hand_worked_figures_groups_first_and_the_scope_last(running):
    _, built = running
    assert built.columns == ["target", "closed", "commit", "best_case", "forecast", "chance", "gap", "attainment",
                             "coverage"]
    assert list(built.table["group"]) == ["North", "South", "The district"]
    assert list(built.table["is_scope"]) == [False, False, True]
    north, south, district = (texts(built, g) for g in ("North", "South", "The district"))
    assert {k: north[k] for k in ("target", "closed", "commit", "best_case", "gap", "attainment", "coverage")} == {
        "target": "$200K", "closed": "$80K", "commit": "$60K", "best_case": "$40K", "gap": "$120K",
        "attainment": "40%", "coverage": "0.9×"}
    assert {k: south[k] for k in ("closed", "commit", "best_case", "gap", "attainment", "coverage")} == {
        "closed": "$20K", "commit": "$30K", "best_case": "$0", "gap": "$180K", "attainment": "10%",
        "coverage": "0.3×"}
    assert {k: district[k] for k in ("target", "closed", "commit", "gap", "attainment", "coverage")} == {
        "target": "$400K", "closed": "$100K", "commit": "$90K", "gap": "$300K", "attainment": "25%",
        "coverage": "0.6×"}


def test_the_forecast_figures_are_the_forecast_pages_own(running):
    report, built = running
    fx = study(report)
    for group, row in fx.by_level.iterrows():
        assert texts(built, str(group))["forecast"] == report.money(row["monte_carlo_p50"])
        assert texts(built, str(group))["chance"] == report.pct(row["target_probability"])
    assert texts(built, "The district")["forecast"] == report.money(fx.totals["monte_carlo_p50"])
    low, high = report.money(fx.totals["monte_carlo_p10"]), report.money(fx.totals["monte_carlo_p90"])
    assert low != high and built.outlook == f"{low}–{high}"  # as the forecast page states it


def test_every_figure_links_to_the_section_that_shows_it(running):
    _, built = running
    by_column = {f.column: f.section.href for f in built.figures}
    assert by_column["closed"] == "00_target_achievement.html#Where-we-stand-against-target"
    assert by_column["coverage"] == "00_target_achievement.html#Attainment-and-coverage"
    assert by_column["forecast"] == "05_forecast.html#The-five-methods-side-by-side"
    page = built.html()
    for f in built.figures:
        assert f'<a class="fig" href="{f.section.href}">{f.text}</a>' in page


def test_the_sentences_state_the_scope_row_of_the_table_beside_them(running):
    _, built = running
    first, second, third = built.sentences
    assert first == ("The district has closed $100K of its $400K 2026-Q3 target (25%); Closed + Commit + Best Case "
                     "covers 0.6× of it.")
    district = texts(built, "The district")
    assert second == (f"The Monte Carlo forecast puts 2026-Q3 at {built.outlook}, a {district['chance']} chance of "
                      "reaching target.")
    groups = built.table[~built.table["is_scope"]]
    assert (groups["forecast"] < groups["target"]).all(), "both regions are far short of 200K on any forecast"
    assert third == "On the Monte Carlo median both regions fall short of target."


def test_the_risks_are_the_groups_under_the_push_line_worst_gap_first_with_the_catalog_severity(running):
    _, built = running
    assert [r.group for r in built.risks] == ["South", "North"]  # 180K gap before 120K; one risk per group
    assert all(r.level == "critical" for r in built.risks)  # coverage under 1×: short whatever closes
    assert built.risks[0].text == ("South: Closed + Commit + Best Case covers 0.3× of target and cannot reach "
                                   "target even if every Commit and Best Case deal closes; $180K is left to win.")
    assert built.risks[0].section.href == "00_target_achievement.html#Attainment-and-coverage"
    assert len(built.risks) <= summary.TOP_RISKS


def test_the_top_moves_are_the_first_rows_of_the_moves_own_lists(running):
    report, built = running
    weak = moves.reclassify(report.ds, report.period)
    listed = [m for m in built.moves if m.move == "reclassify"]
    assert [m.deal for m in listed] == weak["deal"].head(summary.TOP_DEALS).tolist()
    o3 = next(m for m in listed if m.deal == "Deal O3")
    assert (o3.owner, o3.group, o3.amount) == ("Olu", "S1", "$30K")  # compact money, as every table shows it
    assert "no activity recorded" in o3.why
    # push to 1.5× target: South 300K - 50K = 250K before North 300K - 180K = 120K (the list's own order)
    push = [(m.group, m.amount) for m in built.moves if m.move == "push"]
    assert push == [("South", "$250K"), ("North", "$120K")]
    assert built.moves_note == "Moves for 2026-Q3 as of 25 Aug 2026, largest first; each links to its full list."


def test_a_finished_quarter_reads_final_figures_and_looks_ahead_to_the_quarter_in_progress():
    report = make_report(as_of=ENDED)
    built = summary.build(report)
    assert "commit" not in built.columns and "coverage" not in built.columns
    assert built.columns[-1] == "coverage_going_in"
    assert {f.label for f in built.figures if f.column == "forecast"} == {"Mid-quarter forecast (P50)"}
    assert built.sentences[0] == "2026-Q3 is over: the district closed $100K against its $400K target (25%), $300K " \
                                 "short of it."
    assert not any("Monte Carlo forecast puts" in s for s in built.sentences)
    assert built.risks == []
    assert report.moves_period.label == "2026-Q4"
    assert built.moves_note == ("2026-Q3 is over, so these moves are for 2026-Q4, the quarter in progress on "
                                "15 Oct 2026.")
    assert [m.deal for m in built.moves if m.move == "reclassify"] == ["Deal Q1"]  # dated in 2026-Q4
    assert "Top moves for 2026-Q4" in built.html()


def test_without_targets_nothing_is_read_against_one():
    built = summary.build(make_report(target=None))
    assert built.sentences[0] == ("The district has no target for 2026-Q3: it has closed $100K, and attainment, "
                                  "gap and chance of target cannot be read.")
    assert {texts(built, "The district")[k] for k in ("target", "attainment", "chance", "gap")} == {"–"}
    assert built.risks == []


def test_without_open_deals_the_range_is_one_figure_and_no_move_is_listed():
    closed_only = [d for d in DEALS if d["opportunity_id"][0] in "WL"]
    built = summary.build(make_report(closed_only))
    district = texts(built, "The district")
    assert district["commit"] == "$0" and district["forecast"] == "$100K"
    assert built.outlook == "$100K with no spread, as every deal dated in the period is already decided"
    assert [m.move for m in built.moves] == ["push", "push"]  # nothing to reclassify, promote or pull in
    assert "No deal" not in built.html()


def test_without_forecast_categories_commit_best_case_and_coverage_are_not_shown():
    plain = [{**d, "forecast_category": None} for d in DEALS]
    built = summary.build(make_report(plain))
    assert "commit" not in built.columns and "best_case" not in built.columns and "coverage" not in built.columns
    assert not any(m.move in ("reclassify", "promote") for m in built.moves)
    assert not re.search(r"\bnan\b|NaN", " ".join(built.sentences) + built.html())


def test_one_region_and_one_rep():
    one = [{"territory": "N1", "region": "North", "district": "D", "owner": "Ines"}]
    north = [d for d in DEALS if d["territory"] == "N1"]
    district = summary.build(make_report(north, territories=one))
    assert list(district.table["group"]) == ["North", "The district"]
    assert district.sentences[-1].startswith("On the Monte Carlo median its one region ")
    region = summary.build(make_report(north, territories=one, region="North"))
    assert list(region.table["group"]) == ["N1", "North"]
    assert texts(region, "North")["closed"] == texts(region, "N1")["closed"] == "$80K"
    push = [m for m in region.moves if m.move == "push"]
    assert [(m.group, m.owner) for m in push] == [("N1", "Ines")]


def test_names_from_the_data_are_escaped_and_contacts_masked():
    hostile = '<img src=x onerror=alert(1)> ann@example.com'
    deals = [{**d, "name": hostile} if d["opportunity_id"] == "O3" else d for d in DEALS]
    page = summary.build(make_report(deals)).html()
    assert "<img src=x" not in page and "ann@example.com" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; a***@example.com" in page


def test_figures_record_numbers_with_their_unit_for_the_index(running):
    report, built = running
    from quotabook.summary import _record_of

    closed = next(f for f in built.figures if f.group == "The district" and f.column == "closed")
    assert _record_of(closed, report.currency) == {
        "group": "The district", "scope": True, "key": "closed", "label": "Closed", "metric": "closed_amount",
        "value": 100_000.0, "unit": "currency", "currency": "USD",
        "href": "00_target_achievement.html#Where-we-stand-against-target"}
    assert pd.isna(next(f for f in summary.build(make_report(target=None)).figures if f.column == "gap").value)
