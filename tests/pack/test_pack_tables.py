"""Tables out: every table a page shows, as CSV (one per table) and XLSX (one workbook per region).

The fast tests write hand-made table outputs (another currency, a missing value, a date, a failed run); the slow
one builds a real one-region pack and checks that the CSV and XLSX hold the numbers the HTML tables print.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest

from quotabook.metrics import format as fmt
from quotabook.pack import build_pack
from quotabook.pack.render import notebook_html
from quotabook.pack.tables import TABLE_MIME, extract_tables, write_region_tables

#: Excel number format → the catalog unit it stands for (the inverse of quotabook.pack.tables' mapping).
UNIT_OF_FORMAT = {"#,##0": "count", "0%": "percent", '0.0"×"': "ratio", '#,##0":1"': "n_to_1",
                  '0.0" days"': "days", '"$"#,##0': "currency", '"$"#,##0" per day"': "currency_per_day"}


def _table_output(title: str, frame: pd.DataFrame, units: dict, currency: str = "USD") -> dict:
    payload = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    payload.update(title=title, units=units, currency=currency)
    return nbformat.v4.new_output("display_data", data={TABLE_MIME: payload, "text/plain": title})


def _notebook(path, *outputs) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Page"), nbformat.v4.new_code_cell("x", outputs=list(outputs))]
    nbformat.write(nb, path)


def test_each_table_becomes_a_csv_and_a_sheet_with_real_number_formats(tmp_path):
    pipeline = pd.DataFrame({"Rep": ["Åsa", "Bo"], "Closed": [1_234_567.5, None], "Win rate": [0.25, 1.0],
                             "Close date": ["2026-09-30", None]})
    chain = pd.DataFrame({"Rep": ["Åsa"], "Dial:Connect": [11.5], "Velocity": [42_377.0]})
    _notebook(tmp_path / "00_a.ipynb",
              _table_output("Pipeline, 2026-Q3", pipeline, {"Closed": "currency", "Win rate": "percent"}, "EUR"),
              _table_output("Chain / per rep", chain, {"Dial:Connect": "n_to_1", "Velocity": "currency_per_day"},
                            "SEK"))
    region = tmp_path / "east"
    written = write_region_tables([("00_a", tmp_path / "00_a.ipynb"), ("01_failed", tmp_path / "missing.ipynb")],
                                  region, region / "2026-Q3-east-tables.xlsx")

    assert written == {"csv": ["tables/00_a-01-pipeline-2026-q3.csv", "tables/00_a-02-chain-per-rep.csv"],
                       "xlsx": ["2026-Q3-east-tables.xlsx"]}
    first = pd.read_csv(region / written["csv"][0])
    assert first["Closed"].tolist()[0] == 1_234_567.5 and pd.isna(first["Closed"].tolist()[1])  # unrounded
    assert first["Rep"].tolist() == ["Åsa", "Bo"] and first["Close date"].tolist()[0] == "2026-09-30"

    from openpyxl import load_workbook

    book = load_workbook(region / written["xlsx"][0])
    assert book.sheetnames == ["00_a-01", "00_a-02"]
    sheet = book["00_a-01"]
    assert sheet["A1"].value == "Pipeline, 2026-Q3" and [c.value for c in sheet[3]] == list(pipeline.columns)
    assert sheet["B4"].value == 1_234_567.5 and sheet["B4"].number_format == '"€"#,##0'
    assert sheet["C4"].number_format == "0%" and sheet["A4"].number_format == "General"
    other = book["00_a-02"]
    assert other["B4"].number_format == '#,##0":1"' and other["C4"].number_format == '#,##0" per day"'  # SEK: no symbol
    again = pd.read_excel(region / written["xlsx"][0], sheet_name=None, skiprows=2)
    pd.testing.assert_frame_equal(again["00_a-02"], chain, check_dtype=False)


def test_rebuilding_removes_tables_a_page_no_longer_has_and_the_pages_never_show_the_data(tmp_path):
    frame = pd.DataFrame({"Rep": ["Ann"], "Won": [2]})
    _notebook(tmp_path / "a.ipynb", _table_output("One", frame, {}), _table_output("Two", frame, {}))
    region = tmp_path / "r"
    assert len(write_region_tables([("a", tmp_path / "a.ipynb")], region, None)["csv"]) == 2
    _notebook(tmp_path / "a.ipynb", _table_output("One", frame, {}))
    assert write_region_tables([("a", tmp_path / "a.ipynb")], region, None) == {"csv": ["tables/a-01-one.csv"],
                                                                               "xlsx": []}
    assert sorted(p.name for p in (region / "tables").iterdir()) == ["a-01-one.csv"]
    nb = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    assert len(extract_tables(nb)) == 1
    assert TABLE_MIME not in notebook_html(nb)


# -- one real pack -------------------------------------------------------------------------------------------
class _Tables(HTMLParser):
    """The caption and the cell texts of every <table> of a page."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._where = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th", "caption") and self.tables:
            self._cell, self._where = [], tag

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption") and self._cell is not None:
            text = "".join(self._cell).strip()
            if tag == "caption":
                self.tables[-1]["caption"] = text
            else:
                self.tables[-1]["rows"][-1].append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """One region, one notebook with tables of money, shares and multiples: HTML, CSV and XLSX."""
    out = tmp_path_factory.mktemp("tables_pack")
    result = build_pack("2026-Q3", regions=["East"], notebooks=["00_target_achievement"], data="demo",
                        formats=("csv", "xlsx", "html"), out=out, workers=1, progress=False)
    assert result.ok, result.failures
    return result.out_dir


@pytest.mark.slow
def test_csv_and_xlsx_hold_the_numbers_the_html_tables_print(pack):
    manifest = json.loads((pack / "manifest.json").read_text())
    (east,) = manifest["regions"]
    written = east["tables"]
    assert len(written["csv"]) >= 2 and written["xlsx"] == ["2026-Q3-east-tables.xlsx"]
    page = _Tables()
    page.feed((pack / "east" / "00_target_achievement.html").read_text(encoding="utf-8"))
    assert TABLE_MIME not in (pack / "east" / "00_target_achievement.html").read_text(encoding="utf-8")
    sheets = pd.read_excel(pack / "east" / written["xlsx"][0], sheet_name=None, skiprows=2)

    from openpyxl import load_workbook

    book = load_workbook(pack / "east" / written["xlsx"][0])
    tables = extract_tables(nbformat.read(pack / "east" / "00_target_achievement.ipynb", as_version=4))
    assert len(tables) == len(written["csv"]) == len(sheets)
    checked = 0
    for number, (file, table) in enumerate(zip(written["csv"], tables, strict=True), start=1):
        data = pd.read_csv(pack / "east" / file)
        sheet_name = f"00_target_achievement-{number:02d}"
        pd.testing.assert_frame_equal(sheets[sheet_name], data, check_dtype=False)
        shown = next(t for t in page.tables if t["caption"].startswith(table["title"]))
        header, *rows = shown["rows"]
        assert header == list(data.columns)
        sheet = book[sheet_name]
        for position, column in enumerate(data.columns):
            unit = UNIT_OF_FORMAT.get(sheet.cell(row=4, column=position + 1).number_format)
            printed = [row[position] for row in rows]
            if unit is None:  # words, or a column the page formats itself: the same text
                assert [fmt.MISSING if pd.isna(v) else str(v) for v in data[column]] == printed, column
            else:  # a number: the page prints the exported value in its unit's one format
                assert fmt.by_unit(data[column], unit, "USD").tolist() == printed, column
                checked += 1
    assert checked >= 5  # money, shares and multiples were compared, not just names
