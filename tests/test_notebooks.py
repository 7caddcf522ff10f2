"""The themed notebooks: present, parameterised, stored without outputs, thin, and runnable on the demo data.

"Thin" is checked mechanically: metric logic belongs in the library, so a notebook code cell may not define
functions or classes, loop, or reshape data (groupby, merge, pivot, apply, lambda), and stays short.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from quotabook.pack.plan import PACK_PARAMETERS

# The demo pack these tests read is built once per run (tests/conftest.py), on the worker that opens it in Chromium.
pytestmark = pytest.mark.xdist_group("demo_pack")

ROOT = Path(__file__).resolve().parents[1]
PACK = yaml.safe_load((ROOT / "params" / "packs" / "quarterly.yaml").read_text(encoding="utf-8"))
STEMS = PACK["notebooks"]
EXPECTED = ["summary", "00_target_achievement", "01_activity_ratios", "02_funnel", "03_velocity",
            "04_territory_quota", "05_forecast", "06_won_lost", "07_rep_scorecards"]
MAX_CELL_LINES = 14
FORBIDDEN = {
    r"^\s*def ": "defines a function",
    r"^\s*class ": "defines a class",
    r"^\s*(for|while) ": "loops",
    r"\.groupby\(": "groups data",
    r"\.merge\(|pd\.merge\(": "joins data",
    r"\.pivot(_table)?\(": "reshapes data",
    r"\.apply\(": "applies a function over rows",
    r"\blambda\b": "defines a function",
    r"\.iterrows\(|\.itertuples\(": "loops over rows",
}


def _read(stem: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)


def test_the_pack_lists_the_themes_in_order():
    assert STEMS == EXPECTED


@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_is_valid_and_stored_without_outputs(stem):
    nb = _read(stem)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{stem} cell {i} has stored outputs"
            assert cell.execution_count is None, f"{stem} cell {i} has an execution count"


@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_declares_the_pack_parameters_with_demo_defaults(stem):
    nb = _read(stem)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{stem}: exactly one cell tagged 'parameters'"
    scope: dict = {}
    exec(tagged[0].source, {}, scope)  # plain assignments only
    assert set(PACK_PARAMETERS) <= set(scope)
    assert scope["region"] == "district" and scope["data"] == "demo" and scope["as_of"] is None
    assert scope["period"] is None  # run by hand, a notebook opens on the quarter in progress, as a pack does
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


def test_start_without_a_period_opens_on_the_quarter_holding_the_as_of_date(tmp_path, monkeypatch):
    """A notebook run by hand with its default ``period = None`` reads the quarter in progress at the data's
    as-of date (here a 2015 export: 2015-Q1), the period ``quotabook pack`` builds by default."""
    from quotabook.notebook import start
    from quotabook.testing import crm_export

    folder = crm_export().write(tmp_path / "export")
    monkeypatch.setenv("QUOTABOOK_WORKBOOK", str(folder / "workbook.yaml"))
    report = start("district", None, "2015-02-10", str(folder))
    assert report.period.label == "2015-Q1" and report.state.running
    assert start("district", "2014-Q4", "2015-02-10", str(folder)).state.finished


@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_is_thin(stem):
    problems = []
    for i, cell in enumerate(_read(stem).cells):
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
        if len(lines) > MAX_CELL_LINES:
            problems.append(f"cell {i}: {len(lines)} lines (at most {MAX_CELL_LINES})")
        for pattern, why in FORBIDDEN.items():
            if re.search(pattern, cell.source, flags=re.MULTILINE):
                problems.append(f"cell {i} {why}: move it into quotabook")
    assert not problems, f"{stem}:\n" + "\n".join(problems)


@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_opens_with_findings_records_headlines_and_ends_with_the_glossary(stem):
    code = "\n".join(c.source for c in _read(stem).cells if c.cell_type == "code")
    assert "start(" in code, "loads its data through quotabook.notebook.start"
    assert ".show(" in code or "record(" in code, "records headlines for the pack index"
    last_code = [c for c in _read(stem).cells if c.cell_type == "code"][-1].source
    assert "glossary(" in last_code, "ends with the metric definitions used"


@pytest.mark.slow
@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_runs_top_to_bottom_on_the_demo_for_a_region(stem, demo_pack):
    """Executed by papermill in the demo pack of 2026-Q3 (tests/conftest.py, built once per run and opened in
    Chromium by tests/pack/test_pack_browser.py): West's run of the notebook."""
    run = json.loads((demo_pack / "manifest.json").read_text(encoding="utf-8"))["runs"][f"west/{stem}"]
    assert run["status"] == "ok", run["failure"]
    nb = nbformat.read(demo_pack / "west" / f"{stem}.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["region"] == "West"
    assert nb.metadata.papermill.parameters["period"] == "2026-Q3"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "every code cell ran"
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/svg+xml" in o.get("data", {})]
    assert images or stem == "summary", "charts are shown as SVG (the summary is a scoreboard, moves and risks)"
