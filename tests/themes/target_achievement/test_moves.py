"""The four next moves as ranked, explained lists: one hand-built deal per reason, the ranking, the
explanations, the forecast impact of moves 1 and 2, and the formatted tables a notebook shows."""

from __future__ import annotations

import pandas as pd
import pytest

from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import EVIDENCE_OK, build_dataset, deal, targets, wide
from quotabook.themes.target_achievement import moves

Q3 = "2026-Q3"


def commit_dataset():
    """Report date Aug 1 2026. T1: W0 sound, W1 idle 20 days, W2 close date pushed, W3 too early a stage,
    W4 no champion, W5 idle and pushed (two reasons). T2: one sound Commit."""
    opps = [
        deal("W0", amount=100, category="Commit", last_activity_date="2026-07-29", **EVIDENCE_OK),
        deal("W1", amount=200, category="Commit", last_activity_date="2026-07-12", **EVIDENCE_OK),
        deal("W2", amount=400, category="Commit", last_activity_date="2026-07-30", **EVIDENCE_OK),
        deal("W3", amount=800, category="Commit", stage="Discovery", last_activity_date="2026-07-30", **EVIDENCE_OK),
        deal("W4", amount=1600, category="Commit", last_activity_date="2026-07-30",
             **{**EVIDENCE_OK, "champion": False}),
        deal("W5", amount=400, category="Commit", last_activity_date="2026-07-01", **EVIDENCE_OK),
        deal("X0", "T2", amount=5000, category="Commit", last_activity_date="2026-07-30", **EVIDENCE_OK),
        deal("C1", amount=3000, stage="Closed Won", close="2026-07-20"),
    ]
    history = [{"opportunity_id": d, "changed_at": c, "close_date": v} for d, c, v in [
        ("W2", "2026-05-01", "2026-07-15"), ("W2", "2026-06-01", "2026-08-15"),
        ("W5", "2026-05-01", "2026-07-15"), ("W5", "2026-06-01", "2026-08-15")]]
    return build_dataset(opps, history=history, targets=targets(Q3, T1=4000, T2=6000, T3=1000), as_of="2026-08-01")


def test_reclassify_lists_each_weak_commit_with_its_reasons_largest_first():
    got = moves.reclassify(commit_dataset(), Q3)
    assert got["opportunity_id"].tolist() == ["W4", "W3", "W5", "W2", "W1"]   # amount, then number of reasons
    why = got.set_index("opportunity_id")["why"].to_dict()
    assert why["W1"] == "no activity for 20 days (over 14)"
    assert why["W2"] == "close date pushed later"
    assert why["W3"] == "stage Discovery is before Proposal"
    assert why["W4"] == "missing champion"
    assert why["W5"] == "no activity for 31 days (over 14); close date pushed later"
    assert got.set_index("opportunity_id")["reason_count"].to_dict() == {"W4": 1, "W3": 1, "W5": 2, "W2": 1, "W1": 1}
    assert set(got["region"]) == {"East"} and set(got["owner"]) == {"Ann"}
    # the list and the catalog's weak Commit amount agree
    assert got["amount"].sum() == wide(["weak_commit_amount"], commit_dataset(), Q3).loc["T1", "weak_commit_amount"]


def test_reclassify_says_when_no_activity_is_known():
    ds = build_dataset([deal("A", amount=100, category="Commit", **EVIDENCE_OK),
                        deal("B", amount=50, category="Commit", last_activity_date="2026-07-30", **EVIDENCE_OK)],
                       as_of="2026-08-01")
    assert moves.reclassify(ds, Q3)["why"].tolist() == ["no activity recorded"]


def promote_dataset():
    """History (closed Q1, 1000 each): SMB won 3 of 4, Enterprise 0 of 3. Best Case: P0 passes every test,
    P1 too early, P2 idle, P3 no paper process, P4 Enterprise (weak win rate), P5 early and idle."""
    hist = [deal(f"H{i}", stage="Closed Won" if i < 3 else "Closed Lost", close="2026-02-10",
                 segment="SMB" if i < 4 else "Enterprise") for i in range(7)]
    recent = {"last_activity_date": "2026-07-30"}
    best = [
        deal("P0", amount=1000, category="Best Case", segment="SMB", close="2026-09-20", **recent, **EVIDENCE_OK),
        deal("P1", amount=900, category="Best Case", segment="SMB", stage="Discovery", **recent, **EVIDENCE_OK),
        deal("P2", amount=800, category="Best Case", segment="SMB", last_activity_date="2026-07-01", **EVIDENCE_OK),
        deal("P3", amount=700, category="Best Case", segment="SMB", **recent,
             **{**EVIDENCE_OK, "paper_process": False}),
        deal("P4", amount=600, category="Best Case", segment="Enterprise", **recent, **EVIDENCE_OK),
        deal("P5", amount=500, category="Best Case", segment="SMB", stage="Discovery",
             last_activity_date="2026-07-01", **EVIDENCE_OK),
    ]
    return build_dataset(hist + best, targets=targets(Q3, T1=5000), as_of="2026-08-01")


def test_promote_lists_only_deals_passing_every_test_with_the_evidence():
    got = moves.promote(promote_dataset(), Q3)
    assert got["opportunity_id"].tolist() == ["P0"]
    row = got.iloc[0]
    assert row["status"] == "promote" and row["similar_win_rate"] == pytest.approx(0.75)
    assert row["expected_amount"] == pytest.approx(750.0)
    assert row["why"] == "at Negotiation; last activity 2 days ago; closes 20 Sep 2026; similar deals won 75%"


def test_promote_near_names_the_one_test_each_deal_misses():
    got = moves.promote(promote_dataset(), Q3, near=True).set_index("opportunity_id")
    assert list(got.index) == ["P0", "P1", "P2", "P3", "P4"]          # P5 fails two tests: not near
    assert got.loc["P0", "status"] == "promote"
    assert (got.loc[["P1", "P2", "P3", "P4"], "status"] == "one test short").all()
    assert got.loc["P1", "why"].startswith("short: stage too early; at Discovery")
    assert got.loc["P2", "why"].startswith("short: no recent activity")
    assert got.loc["P3", "why"].startswith("short: evidence incomplete")
    assert got.loc["P4", "why"].startswith("short: similar deals win less often than average")


def test_pull_in_ranks_late_stage_deals_of_next_quarter_by_stage_then_amount():
    opps = [deal("N0", stage="Proposal", close="2026-10-10", amount=900, last_activity_date="2026-07-28"),
            deal("N1", stage="Negotiation", close="2026-12-31", amount=200),
            deal("N2", stage="Discovery", close="2026-11-01", amount=400),      # too early a stage
            deal("N3", stage="Negotiation", close="2027-01-05", amount=800),    # two quarters out
            deal("N4", stage="Proposal", close="2026-11-15", amount=100)]
    got = moves.pull_in(build_dataset(opps, as_of="2026-08-01"), Q3)
    assert got["opportunity_id"].tolist() == ["N1", "N0", "N4"]
    assert got.set_index("opportunity_id").loc["N0", "why"] == \
        "at Proposal, dated 10 Oct 2026 (next quarter); last activity 4 days ago"
    assert got["amount"].sum() == 1200.0


def test_expand_lists_recent_customers_without_an_open_expansion_deal():
    nb = {"type": "New Business"}
    opps = [deal("1", stage="Closed Won", close="2026-07-10", account_id="ACC1", account_name="Acme", amount=300,
                 **nb),
            deal("1b", stage="Closed Won", close="2026-02-10", account_id="ACC1", account_name="Acme", amount=200,
                 **nb),
            deal("2", stage="Closed Won", close="2026-08-01", account_id="ACC2", account_name="Bolt", amount=900,
                 **nb),
            deal("2x", close="2027-02-01", account_id="ACC2", type="Expansion"),        # open expansion: not listed
            deal("3", stage="Closed Won", close="2025-06-30", account_id="ACC3", amount=5000, **nb),  # too old
            deal("4", "T3", stage="Closed Won", close="2026-03-01", account_id="ACC4", amount=100, **nb)]
    ds = build_dataset(opps, as_of="2026-12-31")
    got = moves.expand(ds, Q3)
    assert got["account_id"].tolist() == ["ACC1", "ACC4"]
    acme = got.iloc[0]
    assert acme["account"] == "Acme" and acme["won_amount"] == 500.0 and acme["won_deals"] == 2
    assert acme["why"] == "2 won deals in four quarters, latest 10 Jul 2026; no open expansion deal"
    assert got.iloc[1]["region"] == "West"
    counts = wide(["expansion_candidate_count"], ds, Q3)["expansion_candidate_count"]
    assert got.groupby("territory").size().to_dict() == {t: n for t, n in counts.items() if n}


def test_push_lists_stacks_under_the_bar_that_still_have_a_gap():
    """T1: stack 1000 (won 400 + commit 600) vs target 1000: 1.0×, push 500. T2: 3000 vs 1000: fine.
    T3: won 1200 vs target 1000 but 1.2×: target already won, no push. Win rate T1: 400 won of 800 closed."""
    opps = [deal("A", amount=400, stage="Closed Won", close="2026-07-10"),
            deal("B", amount=400, stage="Closed Lost", close="2026-07-11"),
            deal("C", amount=600, category="Commit"),
            deal("D", "T2", amount=3000, category="Best Case"),
            deal("E", "T3", amount=1200, stage="Closed Won", close="2026-07-12")]
    ds = build_dataset(opps, targets=targets(Q3, T1=1000, T2=1000, T3=1000), as_of="2026-08-01")
    got = moves.push(ds, Q3)
    assert got["territory"].tolist() == ["T1"]
    row = got.iloc[0]
    assert row["coverage"] == 1.0 and row["pipeline_push_amount"] == 500.0
    assert row["gap"] == 600.0 and row["win_rate"] == 0.5 and row["required_new_pipeline"] == 1200.0
    assert row["why"] == ("stack $1K is 1.0× target $1K (bar 1.5×): add $500 of pipeline; closing the $600 gap "
                          "at the 50% win rate takes $1K of new pipeline")
    # a region's push is judged on the region's own stack: East (T1 + T2) is 4000 against 2000, 2.0×
    assert moves.push(ds, Q3, by="region").empty


def test_impact_moves_closed_plus_commit_by_moves_one_and_two():
    ds = commit_dataset()
    got = moves.impact(ds, Q3).set_index("territory")
    weak = 200 + 400 + 800 + 1600 + 400
    assert got.loc["T1", "forecast"] == 3000 + 100 + weak
    assert got.loc["T1", "reclassified"] == -weak and got.loc["T1", "promoted"] == 0.0
    assert got.loc["T1", "forecast_after"] == 3100.0 and got.loc["T1", "change"] == -weak
    assert got.loc["T1", "forecast_attainment"] == pytest.approx((3100 + weak) / 4000)
    assert got.loc["T1", "attainment_after"] == pytest.approx(3100 / 4000)
    assert got.loc["T2", "change"] == 0.0 and str(got.loc["T2", "reclassified"]) == "0.0"   # never "-0"
    region = moves.impact(ds, Q3, by="region").set_index("region")
    assert region.loc["East", "forecast_after"] == got.loc[["T1", "T2"], "forecast_after"].sum()
    promoted = moves.impact(promote_dataset(), Q3).set_index("territory")
    assert promoted.loc["T1", "promoted"] == 1000.0 and promoted.loc["T1", "forecast_after"] == 1000.0
    assert promoted.loc["T1", "attainment_after"] == pytest.approx(1000 / 5000)


def _report(ds, region="East") -> Report:
    return Report(ds=ds, period=ds.period(Q3), region=region, catalog=load_catalog())


def test_table_formats_a_move_for_a_notebook_and_says_when_there_is_nothing_to_do():
    report = _report(commit_dataset())
    styler = moves.table(report, "reclassify", limit=3)
    shown = styler.data
    assert list(shown.columns) == ["Territory", "Deal", "Stage", "Close date", "Amount", "Why"]
    assert shown["Amount"].tolist() == ["$2K", "$800", "$400"]
    assert shown["Close date"].iloc[0] == "15 Aug 2026"
    assert "5 in all" in styler.caption
    empty = moves.table(report, "pull_in")
    assert "No late-stage deal is dated 2026-Q4, the quarter after 2026-Q3." in empty.data
    district = moves.table(_report(commit_dataset(), None), "impact")
    assert district.data.columns[0] == "Region"
    assert set(moves.tables(report)) == {*moves.MOVES, "impact"}
    with pytest.raises(ValueError, match="unknown move"):
        moves.table(report, "nope")


def test_summary_shows_the_size_of_each_move_per_territory():
    shown = moves.summary(_report(commit_dataset())).data
    assert shown.columns[0] == "Territory"
    assert shown.set_index("Territory").loc["T1", "Weak Commit"] == "$3K"


def test_next_moves_bundles_every_list():
    got = moves.next_moves(commit_dataset(), Q3)
    assert len(got.reclassify) == 5 and got.promote.empty and isinstance(got.impact, pd.DataFrame)
