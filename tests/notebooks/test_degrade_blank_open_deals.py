"""Open deals with a blank amount or close date (issue 14): every themed notebook still runs to the end.

Real CRMs leave both blank on early-stage deals, and loading keeps such deals (counted, and named in a data
note) rather than rejecting them, so every view, chart and finding must take a NaN amount or a missing close
date on an open deal in its stride, above all in the quarter under way. The export of
:func:`quotabook.testing.crm_export` gets a blank amount on every fourth open deal and a blank close date on
every fifth, and every themed notebook's code runs in this process on that dataset (no kernel: fast, and a
failure shows its own traceback). Every value a cell shows is rendered as the page would render it (a chart
drawn to SVG, a table to HTML, Markdown as text) and checked like the pages of the degrade matrix: no nan, no
inf, no degenerate range, no negative zero.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import quotabook.notebook
from notebooks.test_degrade_matrix import NOTEBOOKS, REGION, bad_text
from quotabook.dataset import Dataset, canonical_table
from quotabook.schemas import TABLES
from quotabook.scope import WHOLE
from quotabook.settings import load_settings
from quotabook.testing import crm_export

pytestmark = pytest.mark.slow

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
#: The quarter under way when the export was pulled (20 Dec 2016): where open deals, and their blanks, count most.
LIVE_PERIOD = "2016-Q4"


@pytest.fixture(scope="module")
def blank_dataset(tmp_path_factory) -> Dataset:
    """The export as loading will keep it: some open deals without amount, some without close date."""
    export = crm_export()
    folder = export.write(tmp_path_factory.mktemp("blank"))
    settings = load_settings(folder / "workbook.yaml")
    deals = export.tables["opportunities"].copy()
    open_rows = np.flatnonzero(~deals["is_closed"].to_numpy())
    deals.loc[deals.index[open_rows[::4]], "amount"] = np.nan
    deals.loc[deals.index[open_rows[1::5]], "close_date"] = pd.NaT
    tables = {**export.tables, "opportunities": deals}
    frames = {name: canonical_table(name, tables.get(name)) for name in TABLES}
    ds = Dataset(**frames, settings=settings, present=frozenset(tables), source="blank open deals")
    still_open = ~ds.opportunities["is_closed"].astype(bool)
    assert ds.opportunities.loc[still_open, "amount"].isna().sum() > 5
    assert ds.opportunities.loc[still_open, "close_date"].isna().sum() > 5
    return ds


def shown(value) -> str:
    """What a cell's value puts on the page, as text (a chart is drawn, so drawing errors surface here)."""
    if isinstance(value, Figure):
        buffer = io.StringIO()
        value.savefig(buffer, format="svg")
        return " ".join(t.get_text() for t in value.findobj(lambda a: hasattr(a, "get_text")))
    if hasattr(value, "to_html"):  # a pandas Styler
        return value.to_html()
    if hasattr(value, "data"):  # an IPython Markdown display object
        return str(value.data)
    return "" if value is None else repr(value)


def run_cells(stem: str, region: str, ds: Dataset, monkeypatch) -> list[str]:
    """Run the notebook's code cells here on ``ds``; return the text each cell's last value shows."""
    monkeypatch.setattr(quotabook.notebook, "load", lambda *a, region=None, **k: ds.for_region(region)
                        if region is not None else ds)
    nb = nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)
    namespace = {"region": region, "period": LIVE_PERIOD, "as_of": None, "data": "inline"}
    texts = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"{stem} cell {index}", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"{stem} cell {index}", "eval"), namespace)
            texts.append(f"[cell {index}] " + shown(value))
    return texts


@pytest.mark.parametrize("region", [WHOLE, REGION])
@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_open_deals_without_amount_or_close_date_do_not_break_a_page(stem, region, blank_dataset, monkeypatch):
    problems = [p for text in run_cells(stem, region, blank_dataset, monkeypatch) for p in bad_text(text)]
    assert not problems, "\n".join(problems)
