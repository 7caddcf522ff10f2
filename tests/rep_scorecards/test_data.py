"""Rep scorecards on a hand-built quarter: ranking, tenure, the largest win and loss, coverage past target, the
over-caller flagged, and no targets at all, on the quarter of :mod:`worked.rep_scorecards` (exact figures
worked out there). The team table's parts are tested in tests/rep_scorecards/test_tables.py."""

from __future__ import annotations

import numpy as np
import pytest

from quotabook.errors import DataQualityWarning
from quotabook.metrics import compute_wide
from quotabook.rep_scorecards import tables, text
from quotabook.rep_scorecards.data import scorecards, top_deals
from worked.rep_scorecards import DEALS, HISTORY, build, change, report_for


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
    line = text.deals_line(report_for(build(only_zero)), "Ann", top_deals(build(only_zero), q1, won=True)
                            .set_index("owner"), lost)
    assert line == "Largest win: Deal A1 ($100). Largest loss: Deal A2 (no amount recorded; Price)."


def test_an_over_caller_is_flagged_and_the_findings_match_the_table():
    over = [change("A1", "2025-01-02", "Proposal", "Commit", 400.0)]  # Ann calls 400 from 2 Jan, wins 100
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
    assert "Commit accuracy not available: needs table opportunity_history." in text.scorecard_findings(
        report_for(ds), cards).sentences


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
    tables.show_cards(report_for(ds), cards)
    assert len(shown) == 4 * len(cards.team) == 8
    for owner, card in zip(cards.team.index, [shown[:4], shown[4:]], strict=True):
        heading, table, deals, chart = card
        assert heading.data.endswith(f". {owner}") and deals.data.startswith("Largest win")
        assert f'class="{tables.CARD_CLASS}"' in table.to_html()
        assert isinstance(chart, Figure) and "No Commit call to" in " ".join(t.get_text() for t in chart.texts
                                                                              + chart.axes[1].texts)
        plt.close(chart)
    assert f"table.{tables.CARD_CLASS}" in render.PRINT_CSS and ":nth-child(8n+5)" in render.PRINT_CSS


def test_coverage_going_in_is_read_on_the_deals_as_they_stood_and_kept_for_that_day():
    """A finished quarter's coverage per rep comes from the deals-only travel of the day before it began (kept
    with the dataset for the other views of that day) and equals coverage on the whole data travelled afresh."""
    from dataclasses import replace

    import pandas as pd

    ds = build()
    team = scorecards(ds, "2025-Q1").team
    day = ds.period("2025-Q1").start - pd.Timedelta(days=1)
    assert ("deals_as_of", day) in ds.derived
    fresh = compute_wide(["pipeline_coverage"], replace(ds).as_of(day), "2025-Q1", by="owner")["pipeline_coverage"]
    expected = fresh.reindex(team.index) + 0.0
    pd.testing.assert_series_equal(team["pipeline_coverage"], expected.where(expected >= 0), check_names=False)
