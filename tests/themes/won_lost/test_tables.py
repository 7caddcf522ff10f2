"""The won / lost page's goals table (:mod:`quotabook.themes.won_lost.tables`) on the hand-built district of
:mod:`worked.won_lost`: reps ranked by attainment, the gap and the deals still short (worked there)."""

from __future__ import annotations

from quotabook.themes.won_lost import data as views
from quotabook.themes.won_lost import tables
from worked.won_lost import make_report


def test_goals_table_ranks_reps_and_counts_the_deals_short():
    report = make_report()
    table = tables.goals_table(report, views.closed_vs_goals(report.ds, report.period)).data
    assert table.columns.tolist() == ["Rep", "Won deals", "Bookings", "Goal", "Attainment", "Gap", "Deals short"]
    assert table["Rep"].tolist() == ["Ann", "Bob", "Cy"]
    assert table["Attainment"].tolist() == ["120%", "20%", "0%"]
    assert table["Gap"].tolist() == ["$0", "$400K", "$1.0M"]
    assert table["Deals short"].tolist() == ["0", "4", "3"]  # Cy: 1,000 over the 433 all-rep average
