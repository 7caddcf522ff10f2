"""Tables out: every table a page shows, as data an analyst can open (CSV per table, one XLSX per region).

:meth:`quotabook.notebook.Report.table` calls :func:`quotabook.headlines.record_table` for each table it
formats: the kernel
displays one output of the MIME type ``application/vnd.quotabook.table+json`` holding the table's raw values
(not the page's "$1.2M" text), its headers as the page prints them and each column's catalog unit. The
renderer removes those outputs from the HTML and PDF (:func:`quotabook.pack.render.strip_records`); the pack
reads them back from the executed notebooks (:func:`extract_tables`) and, with ``--formats csv`` / ``xlsx``,
writes them with :func:`write_region_tables`:

- ``<region>/tables/<notebook>-<NN>-<title>.csv``: one file per table, UTF-8, the numbers unrounded;
- ``<region>/<period>-<region>-tables.xlsx``: one workbook per region, one sheet per table (named after
  the notebook and the table's number, the title in the sheet's first row), with real Excel number formats
  (currency, percent, N:1, multiples, days), so the cells stay numbers that sum and chart.

The workbook is written with openpyxl: the one Excel engine pandas also *reads* with (``pd.read_excel``), so
one dependency serves the export and the test that opens it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from ..headlines import TABLE_MIME

__all__ = ["TABLE_MIME", "extract_tables", "write_region_tables"]

#: Excel number formats per catalog unit (the currency symbol is put in at writing time).
_EXCEL = {"count": "#,##0", "percent": "0%", "ratio": '0.0"×"', "n_to_1": '#,##0":1"', "days": '0.0" days"',
          "currency": "{symbol}#,##0", "currency_per_day": '{symbol}#,##0" per day"'}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def extract_tables(nb) -> list[dict]:
    """The tables a notebook recorded, in page order: ``{"title", "columns", "data", "units", "currency"}``."""
    return [output["data"][TABLE_MIME] for cell in nb.cells for output in cell.get("outputs", ())
            if isinstance(output.get("data", {}).get(TABLE_MIME), dict)]


def _frame(table: Mapping):
    import pandas as pd

    return pd.DataFrame(table.get("data") or [], columns=table.get("columns") or [])


def _slug(text: str, limit: int = 40) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].rstrip("-") or "table"


def write_region_tables(notebooks: list[tuple[str, Path]], folder: Path, workbook: Path | None,
                        csv: bool = True) -> dict[str, list[str]]:
    """Write the tables of one region's executed notebooks (``[(stem, ipynb path)]``, in pack order).

    Parameters
    ----------
    notebooks : (stem, executed notebook) pairs; a missing notebook (a failed run) is skipped.
    folder : the region's folder; CSV files go to ``folder/tables/``.
    workbook : the region's XLSX path, or None for no workbook.
    csv : whether to write the CSV files.

    Returns
    -------
    dict
        ``{"csv": [paths relative to folder], "xlsx": [path relative to folder]}``.
    """
    import nbformat

    written: dict[str, list[str]] = {"csv": [], "xlsx": []}
    sheets = []
    for stem, path in notebooks:
        if not Path(path).is_file():
            continue
        for number, table in enumerate(extract_tables(nbformat.read(path, as_version=4)), start=1):
            sheets.append((stem, number, table))
    if csv:
        out = folder / "tables"
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.csv"):  # a rebuilt page may have fewer tables than before
            old.unlink()
        for stem, number, table in sheets:
            file = out / f"{stem}-{number:02d}-{_slug(table.get('title', ''))}.csv"
            _frame(table).to_csv(file, index=False, encoding="utf-8")
            written["csv"].append(file.relative_to(folder).as_posix())
    if workbook is not None and sheets:
        _write_workbook(sheets, workbook)
        written["xlsx"].append(workbook.relative_to(folder).as_posix())
    return written


def _write_workbook(sheets: list[tuple[str, int, dict]], path: Path) -> None:
    """One sheet per table: the title in row 1, headers in row 3, the values below with Excel number formats."""
    import pandas as pd
    from openpyxl.styles import Font

    from ..metrics.format import SYMBOLS

    tmp = path.with_name(path.name + ".tmp")
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for stem, number, table in sheets:
            name = _SHEET_BAD.sub(" ", f"{stem[:26]}-{number:02d}")[:31]
            frame = _frame(table)
            frame.to_excel(writer, sheet_name=name, index=False, startrow=2)
            sheet = writer.sheets[name]
            sheet["A1"] = table.get("title", "")
            sheet["A1"].font = Font(bold=True)
            symbol = SYMBOLS.get(table.get("currency", ""), "")
            for position, column in enumerate(frame.columns, start=1):
                unit = (table.get("units") or {}).get(column)
                letter = sheet.cell(row=3, column=position).column_letter
                sheet.column_dimensions[letter].width = min(max(len(str(column)), 10) + 2, 40)
                if unit not in _EXCEL:
                    continue
                number_format = _EXCEL[unit].format(symbol=f'"{symbol}"' if symbol else "")
                for row in range(4, len(frame) + 4):
                    sheet.cell(row=row, column=position).number_format = number_format
    tmp.replace(path)
