"""The velocity page's tables (:mod:`quotabook.themes.velocity.tables` and ``integrity_tables``) on the hand-worked
district of :func:`worked.velocity.district`: the promised columns with the figures worked out there, long cells
that wrap, and a sentence where the data cannot give a table."""

from __future__ import annotations

import pytest

from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.themes.velocity import integrity_tables, tables
from worked.velocity import district


def make_report(ds, period: str = "2026-Q1") -> Report:
    return Report(ds=ds, period=ds.period(period), region=None, catalog=load_catalog())


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report(district())


def test_tables_show_the_promised_columns(report):
    cycle = tables.cycle_table(report, "owner").data
    assert cycle.columns.tolist() == ["Rep", "Won deals", "Mean", "Median", "25th pct", "75th pct"]
    assert cycle.set_index("Rep").loc["Bob", "Median"] == "130.0 days"
    speed = tables.velocity_table(report).data
    assert speed["Region"].tolist() == ["East", "West", "The district"]
    assert speed.iloc[-1]["Sales velocity"] == "$28 per day"
    stale = tables.stale_table(report).data
    assert stale["Deal"].tolist() == ["Echo Platform", "Delta Renewal"] and stale["Days over"].tolist() == ["182",
                                                                                                          "20"]
    slipped = tables.slipped_deals_table(report).data
    assert slipped[["Deal", "Was due", "Now due"]].values.tolist() == [["Delta Renewal", "20 Mar 2026", "15 May 2026"]]
    assert tables.slippage_summary_table(report).data.set_index("Region").loc["West", "Pushed 5+ times"] == "1"
    riskiest = integrity_tables.riskiest_table(report).data
    assert riskiest.columns.tolist() == ["Deal (owner, stage)", "Amount", "Close date", "Red flags", "Why"]
    assert riskiest.iloc[0].tolist() == ["Echo Platform (Bob, Discovery)", "$1K", "30 Jun 2026", "1 of 4",
                                         "no activity for 257 days"]


def test_long_cells_wrap_so_tables_fit_the_page(report):
    html = integrity_tables.riskiest_table(report).to_html()
    assert "td.col0" in html and "white-space: normal" in html


def test_tables_without_data_say_so():
    report = make_report(district(with_history=False))
    assert "needs table opportunity_history" in tables.stale_table(report).data
    calm = make_report(district(as_of="2026-01-11"), period="2026-Q1")
    assert tables.slipped_deals_table(calm).data == "No deal slipped out of 2026-Q1."
