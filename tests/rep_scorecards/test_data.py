"""Rep scorecards on a hand-built quarter: ranking, tenure, the largest win and loss, coverage past target, the
over-caller flagged, and no targets at all (exact figures worked out in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from quotabook import load_settings
from quotabook.dataset import Dataset
from quotabook.errors import DataQualityWarning
from quotabook.metrics import compute_wide, load_catalog
from quotabook.notebook import Report
from quotabook.rep_scorecards import tables, text
from quotabook.rep_scorecards.data import scorecards, top_deals
from quotabook.testing import inline_dataset

SETTINGS = load_settings()
TERRITORIES = [{"territory": "T1", "region": "East", "district": "D", "owner": "Ann"},
               {"territory": "T2", "region": "East", "district": "D", "owner": "Bob"}]
TARGETS = [{"period": "2025-Q1", "territory": "T1", "target_amount": 200.0},
           {"period": "2025-Q1", "territory": "T2", "target_amount": 50.0}]


def _deal(oid, owner, territory, stage, amount, created, close, reason=None):
    won, closed = stage == "Closed Won", stage.startswith("Closed")
    return {"opportunity_id": oid, "name": f"Deal {oid}", "owner": owner, "territory": territory,
            "created_date": created, "close_date": close, "stage": stage, "amount": amount, "is_closed": closed,
            "is_won": won, "loss_reason": reason,
            "forecast_category": "Closed" if won else "Omitted" if closed else "Pipeline"}


def _change(oid, when, stage, category, amount=None, close=None):
    return {"opportunity_id": oid, "changed_at": when, "stage": stage, "forecast_category": category,
            "amount": amount, "close_date": close}


# 2025-Q1. Ann: A1 won 100 (Commit from the start), A2 lost at amount 0 on 20 Feb (Commit until then, "Price").
#          Attainment 100 / 200 = 50%; calls at weeks 2, 6, 10: 100 (A2 had no amount), 100, 100 → won 100: 100%.
# Bob: B1 won 80 (Best Case until 1 Mar, then Commit at 50), B2 lost 50 (no reason).
#          Attainment 80 / 50 = 160%: rank 1; call at week 10: 50 → 80 / 50 = 160%, a sandbag.
DEALS = [_deal("A1", "Ann", "T1", "Closed Won", 100.0, "2024-12-01", "2025-03-15"),
         _deal("A2", "Ann", "T1", "Closed Lost", 0.0, "2024-12-01", "2025-02-20", "Price"),
         _deal("A3", "Ann", "T1", "Closed Lost", 30.0, "2024-12-01", "2025-02-21", "Timing"),
         _deal("B1", "Bob", "T2", "Closed Won", 80.0, "2024-12-05", "2025-03-20"),
         _deal("B2", "Bob", "T2", "Closed Lost", 50.0, "2024-12-06", "2025-03-25")]
HISTORY = [_change("A1", "2024-12-01", "Proposal", "Commit", 100.0, "2025-03-15"),
           _change("A1", "2025-03-15", "Closed Won", "Closed"),
           _change("A2", "2024-12-01", "Proposal", "Commit", 0.0, "2025-03-20"),
           _change("A2", "2025-02-20", "Closed Lost", "Omitted", close="2025-02-20"),
           _change("A3", "2024-12-01", "Discovery", "Pipeline", 30.0, "2025-03-20"),
           _change("A3", "2025-02-21", "Closed Lost", "Omitted", close="2025-02-21"),
           _change("B1", "2024-12-05", "Solution", "Best Case", 50.0, "2025-03-20"),
           _change("B1", "2025-03-01", "Negotiation", "Commit"),
           _change("B1", "2025-03-20", "Closed Won", "Closed", 80.0),
           _change("B2", "2024-12-06", "Discovery", "Pipeline", 50.0, "2025-03-25"),
           _change("B2", "2025-03-25", "Closed Lost", "Omitted")]
# Ann's first activity: 1 Dec 2024 → 130 days to 10 Apr; Bob logged none: his first deal, 5 Dec → 126 days.
ACTIVITIES = [{"activity_id": "X1", "owner": "Ann", "activity_date": "2024-12-01", "type": "dial"},
              {"activity_id": "X2", "owner": "Ann", "activity_date": "2025-03-01", "type": "email"}]


def build(deals=DEALS, targets=TARGETS, activities=ACTIVITIES, history=HISTORY, as_of="2025-04-10") -> Dataset:
    given = {"opportunities": deals, "territories": TERRITORIES, "targets": targets, "activities": activities,
             "opportunity_history": history}
    return inline_dataset(given, as_of=as_of, settings=SETTINGS)


def report_for(ds: Dataset) -> Report:
    return Report(ds=ds, period=ds.period("2025-Q1"), region=None, catalog=load_catalog())


def test_tenure_counts_from_the_first_activity_else_the_first_deal():
    tenure = compute_wide(["rep_tenure_days"], build(), "2025-Q1", by="owner")["rep_tenure_days"]
    assert tenure.to_dict() == {"Ann": 130.0, "Bob": 126.0}


def test_reps_are_ranked_by_attainment_with_their_figures():
    cards = scorecards(build(), "2025-Q1")
    team = cards.team
    assert list(team.index) == ["Bob", "Ann"] and team["rank"].tolist() == [1, 2]
    assert team.loc["Ann", ["closed_amount", "target_amount", "attainment"]].tolist() == [100.0, 200.0, 0.5]
    assert team.loc["Bob", "attainment"] == pytest.approx(1.6)
    assert team.loc["Ann", "win_rate"] == pytest.approx(1 / 3) and team.loc["Bob", "win_rate"] == 0.5
    assert team.loc["Ann", "commit_accuracy"] == 1.0 and team.loc["Ann", "commit_band"] == "green"
    assert team.loc["Bob", "commit_accuracy"] == pytest.approx(1.6) and team.loc["Bob", "commit_band"] == "red"
    assert cards.coverage_at_start  # a finished quarter: coverage read the day before it began


def test_the_largest_win_and_loss_per_rep_and_a_loss_without_amount():
    q1 = build().period("2025-Q1")
    wins = top_deals(build(), q1, won=True).set_index("owner")
    assert wins["deal"].to_dict() == {"Ann": "Deal A1", "Bob": "Deal B1"}
    losses = top_deals(build(), q1, won=False).set_index("owner")
    assert losses.loc["Ann", "deal"] == "Deal A3" and losses.loc["Ann", "loss_reason"] == "Timing"  # 30 beats 0
    only_zero = [d for d in DEALS if d["opportunity_id"] != "A3"]
    lost = top_deals(build(only_zero), q1, won=False).set_index("owner")
    assert np.isnan(lost.loc["Ann", "amount"])  # recorded at 0: shown as no amount, not as a $0 deal
    line = text._deals_line(report_for(build(only_zero)), "Ann", top_deals(build(only_zero), q1, won=True)
                            .set_index("owner"), lost)
    assert line == "Largest win: Deal A1 ($100). Largest loss: Deal A2 (no amount recorded; Price)."


def test_an_over_caller_is_flagged_and_the_findings_match_the_table():
    over = [_change("A1", "2025-01-02", "Proposal", "Commit", 400.0)]  # Ann calls 400 from 2 Jan, wins 100
    ds = build(history=HISTORY + over)
    report = report_for(ds)
    cards = scorecards(ds, "2025-Q1")
    ann = cards.team.loc["Ann"]
    assert ann["commit_band"] == "red" and ann["commit_bias"] > 0.15
    findings = text.scorecard_findings(report, cards)
    assert findings.sentences[0] == "1 of 2 reps with a target reached it in 2025-Q1; Bob leads at 160%."
    assert f"Ann ({report.pct(ann['commit_accuracy'])} of the call won)" in findings.sentences[1]
    assert findings.headlines == {"Reps": "2", "Reps at target": "1 of 2"}
    assert [a["message"].split(" over-calls")[0] for a in findings.alerts] == ["Ann"]
    table = tables.team_table(report, cards).data.set_index("Rep")
    assert table.loc["Ann", "Attainment"] == "50%" and table.loc["Bob", "Attainment"] == "160%"
    assert table.loc["Ann", "Commit accuracy"] == report.pct(ann["commit_accuracy"])


def test_without_targets_reps_rank_by_bookings_and_the_page_says_so():
    ds = build(targets=None)
    cards = scorecards(ds, "2025-Q1")
    assert list(cards.team.index) == ["Ann", "Bob"]  # 100 booked against 80
    assert "attainment" not in cards.team and "attainment" in cards.unavailable
    sentence = text.scorecard_findings(report_for(ds), cards).sentences[0]
    assert sentence == "No targets in the data: reps are ranked by bookings ($180 in 2025-Q1)."


def test_without_history_commit_accuracy_says_what_is_missing():
    ds = build(history=None)
    with pytest.warns(DataQualityWarning, match="no history"):  # coverage at the quarter's start is a guess
        cards = scorecards(ds, "2025-Q1")
    assert cards.team["commit_accuracy"].isna().all() and "opportunity_history" in cards.unavailable["commit_accuracy"]
    assert any("cannot be judged" in s for s in text.scorecard_findings(report_for(ds), cards).sentences)


def test_the_team_table_splits_into_two_parts_that_hold_every_column_once():
    report = report_for(build())
    cards = scorecards(build(), "2025-Q1")
    whole = list(tables.team_table(report, cards).data.columns)
    results = list(tables.team_table(report, cards, part="results").data.columns)
    habits = list(tables.team_table(report, cards, part="habits").data.columns)
    assert results[:2] == habits[:2] == ["Rank", "Rep"]  # each part says whose row it is
    assert sorted(results + habits[2:]) == sorted(whole)
    assert len(results) <= 9 and len(habits) <= 9  # each fits a printed A4 page


def test_each_card_is_four_outputs_its_table_marked_for_the_two_to_a_line_print_layout(monkeypatch):
    """The pack's CSS sets the cards two to a line by counting four outputs a card and finding the cell by its
    card tables' class (``quotabook.pack.render.PRINT_CSS``): heading, table, deals line, chart, every rep."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    import quotabook.pack.render as render

    shown = []
    # raw bundles are the pack's hidden records (tables for the exports), removed before a page is rendered
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False, **_: None if raw else shown.append(obj))
    ds = build(history=None)
    with pytest.warns(DataQualityWarning):
        cards = scorecards(ds, "2025-Q1")
    text.show_cards(report_for(ds), cards)
    assert len(shown) == 4 * len(cards.team) == 8
    for owner, card in zip(cards.team.index, [shown[:4], shown[4:]], strict=True):
        heading, table, deals, chart = card
        assert heading.data.endswith(f". {owner}") and deals.data.startswith("Largest win")
        assert f'class="{text.CARD_CLASS}"' in table.to_html()
        assert isinstance(chart, Figure) and "No Commit call to" in " ".join(t.get_text() for t in chart.texts
                                                                              + chart.axes[1].texts)
        plt.close(chart)
    assert f"table.{text.CARD_CLASS}" in render.PRINT_CSS and ":nth-child(8n+5)" in render.PRINT_CSS
