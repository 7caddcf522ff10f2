"""The rep scorecards' team table (:mod:`quotabook.rep_scorecards.tables`) on the quarter of
:mod:`worked.rep_scorecards`: whole, or in two parts that each fit a printed page."""

from __future__ import annotations

from quotabook.rep_scorecards import tables
from quotabook.rep_scorecards.data import scorecards
from worked.rep_scorecards import build, report_for


def test_the_team_table_splits_into_two_parts_that_hold_every_column_once():
    report = report_for(build())
    cards = scorecards(build(), "2025-Q1")
    whole = list(tables.team_table(report, cards).data.columns)
    results = list(tables.team_table(report, cards, part="results").data.columns)
    habits = list(tables.team_table(report, cards, part="habits").data.columns)
    assert results[:2] == habits[:2] == ["Rank", "Rep"]  # each part says whose row it is
    assert sorted(results + habits[2:]) == sorted(whole)
    assert len(results) <= 9 and len(habits) <= 9  # each fits a printed A4 page
