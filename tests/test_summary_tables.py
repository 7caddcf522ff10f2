"""The executive summary's tables (scoreboard, top moves) go through Report.table like every page's, so the pack
exports them (``--formats csv,xlsx``) with the numbers the summary prints.

A hand-built district (quotabook.testing's territories: T1, T2 in East, T3 in West), a 100K 2026-Q3 target each,
read on 19 Aug 2026: T1 won 80K and holds a 60K Commit at Negotiation; T2 won 20K, lost 50K and holds a 30K Commit
at Solution (a stage before Proposal: a weak Commit, the top move); T3 won 10K. By hand: East closed 100K of 200K
(50%), coverage (100 + 60 + 30) / 200 = 0.95×; West 10K of 100K (10%), 0.1×; the district 110K of 300K (36.7%),
200 / 300 = 0.67×.

The test runs the real path: Report.table → quotabook.headlines.record_table (an IPython display, captured
here) → the notebook's outputs → quotabook.pack.tables.write_region_tables → a CSV read by pandas.
"""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest
from test_pack_tables import _Tables  # the caption and cell texts of every <table>

from quotabook import summary
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.pack.tables import write_region_tables
from quotabook.testing import build_dataset, deal, targets
from quotabook.text import figure

pytestmark = pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")
K = 1000.0


def make_report() -> Report:
    deals = [deal("W1", "T1", close="2026-07-20", stage="Closed Won", amount=80 * K),
             deal("C1", "T1", close="2026-09-20", category="Commit", amount=60 * K, name="Birch - Core"),
             deal("W2", "T2", close="2026-07-21", stage="Closed Won", amount=20 * K),
             deal("L2", "T2", close="2026-07-22", stage="Closed Lost", amount=50 * K),
             deal("C2", "T2", close="2026-09-21", stage="Solution", category="Commit", amount=30 * K,
                  name="Cedar - Suite"),
             deal("W3", "T3", close="2026-08-01", stage="Closed Won", amount=10 * K)]
    ds = build_dataset(deals, targets=targets("2026-Q3", T1=100 * K, T2=100 * K, T3=100 * K), as_of="2026-08-19")
    return Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())


@pytest.fixture
def exported(monkeypatch, tmp_path):
    """The summary's HTML tables and the CSV files the pack writes from what the summary recorded."""
    outputs = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())  # record_table hands tables out only in a kernel
    monkeypatch.setattr("IPython.display.display",
                        lambda data, raw=False, metadata=None: outputs.append(
                            nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})))
    report = make_report()
    built = summary.build(report)
    page = built.html()  # renders the scoreboard and the moves through Report.table, recording each once
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("executive.show()", outputs=outputs)]
    nbformat.write(nb, tmp_path / "summary.ipynb")
    written = write_region_tables([("summary", tmp_path / "summary.ipynb")], tmp_path / "district", None)
    parser = _Tables()
    parser.feed(page)
    return report, built, parser.tables, [pd.read_csv(tmp_path / "district" / f) for f in written["csv"]], written


def test_the_scoreboard_and_the_top_moves_are_exported_as_csv(exported):
    _rep, _built, _html, csvs, written = exported
    assert written["csv"] == ["tables/summary-01-2026-q3-scoreboard-regions-then-the-dist.csv",
                              "tables/summary-02-top-moves-for-2026-q3.csv"]
    board, moves = csvs
    assert board.columns.tolist() == ["Region", "Target", "Closed", "Commit", "Best Case", "Forecast (P50)",
                                      "Chance of target", "Gap", "Attainment", "Coverage"]
    assert board["Region"].tolist() == ["East", "West", "The district"]
    # raw numbers, not the page's "$100K": hand-worked in the module docstring
    assert board["Closed"].tolist() == [100_000.0, 10_000.0, 110_000.0]
    assert board["Target"].tolist() == [200_000.0, 100_000.0, 300_000.0]
    assert board["Attainment"].round(4).tolist() == [0.5, 0.1, 0.3667]
    assert board["Coverage"].round(4).tolist() == [0.95, 0.1, 0.6667]
    assert moves["Deal or region"].tolist()[0] == "Cedar - Suite" and moves["Amount"].tolist()[0] == 30_000.0


def test_every_exported_number_prints_as_the_summary_shows_it(exported):
    report, built, html_tables, csvs, _ = exported
    units = {summary.column_label(report, k): summary.COLUMNS[k].unit for k in built.columns}
    units["Amount"] = "currency"
    assert len(html_tables) == len(csvs) == 2
    compared = 0
    for shown, data in zip(html_tables, csvs, strict=True):
        header, *rows = shown["rows"]
        assert header == data.columns.tolist()
        for position, column in enumerate(data.columns):
            printed = [row[position] for row in rows]
            if column in units:  # a number: the page prints the exported value in its unit's one format
                assert [figure(v, units[column], report.currency) for v in data[column]] == printed, column
                compared += len(printed)
            else:
                assert data[column].fillna("").astype(str).tolist() == printed, column
    assert compared >= 3 * 9  # every figure of the scoreboard, and the moves' amounts


def test_the_scope_row_is_marked_and_every_figure_still_links_to_its_section(exported):
    _rep, built, _html, _csvs, _ = exported
    page = built.html()
    assert page.count(" scope") >= len(built.columns) + 1  # each cell of the scope's row carries the class
    for f in built.figures:
        assert f'<a class="fig" href="{f.section.href}">{f.text}</a>' in page


def test_a_move_links_to_its_list_and_only_the_deal_and_amount_are_figures(exported):
    """The pack checks every ``fig`` link's text reads the same in its section: the move's name ("Reclassify to
    Best Case") leads to its list without being repeated there, so it is a plain link."""
    _rep, built, _html, _csvs, _ = exported
    page = built.html()
    href = summary.MOVE_SECTIONS["reclassify"].href
    assert f'<a href="{href}">Reclassify to Best Case</a>' in page
    assert f'<a class="fig" href="{href}">Cedar - Suite</a>' in page
    assert f'<a class="fig" href="{href}">$30K</a>' in page
