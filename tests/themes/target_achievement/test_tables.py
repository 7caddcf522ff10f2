"""The target achievement page's tables (:mod:`quotabook.themes.target_achievement.tables`) on the hand-built district
of :mod:`worked.target_achievement`: a total row for the scope and compact money (figures worked out there)."""

from __future__ import annotations

from quotabook.themes.target_achievement import data as views
from quotabook.themes.target_achievement import tables
from worked.target_achievement import make_report


def test_coverage_table_has_a_total_row_and_compact_money():
    report = make_report()
    table = tables.coverage_table(report, views.coverage_status(report.ds, report.period, by=report.level)).data
    assert table.columns.tolist() == ["Region", "Attainment", "Forecast att.", "Gap", "Coverage",
                                      "Cov. of remaining", "Pipeline coverage", "Status"]
    assert table["Region"].tolist() == ["East", "West", "Total"]
    assert table["Gap"].tolist() == ["$200K", "$1.0M", "$1.2M"]
    assert table["Status"].tolist() == ["Pipeline push", "Short of target", "Pipeline push"]  # district: 1.07×
