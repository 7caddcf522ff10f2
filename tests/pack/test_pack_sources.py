"""A pack builds from each file source kind: a folder of CSV files, a Salesforce export and a HubSpot export read
through the shipped mappings (the DuckDB and PostgreSQL packs are in test_pack_sql.py). The demo district is
written out in each shape; the same region's report must carry the same headline figures as the one built from
the Parquet demo, since the mappings lose nothing the report uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from quotabook.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the source test helpers
from sources.exporttools import write_hubspot_export, write_salesforce_export
from sources.sqltools import demo_tables

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pack_sources")]  # module fixtures built once, on one worker
STEM = "00_target_achievement"
THEMED = ["00_target_achievement", "01_activity_ratios", "02_funnel", "03_velocity", "04_territory_quota",
          "05_forecast", "06_won_lost", "07_rep_scorecards"]


def build(data: Path | str, out: Path, notebooks: list[str]) -> dict:
    """Build East's pages for ``notebooks`` (HTML only) and return the manifest's runs."""
    code = main(["pack", "--period", "2026-Q3", "--data", str(data), "--out", str(out), "--regions", "East",
                 "--notebooks", ",".join(notebooks), "--workers", "2", "--quiet", "--formats", "html"])
    runs = json.loads((out / "2026-Q3" / "manifest.json").read_text(encoding="utf-8"))["runs"]
    failed = {key: run.get("error") for key, run in runs.items() if run["status"] != "ok"}
    assert code == 0 and not failed, failed
    return runs


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory) -> dict:
    return build("demo", tmp_path_factory.mktemp("demo-pack"), [STEM])


def csv_folder(folder: Path) -> Path:
    folder.mkdir()
    for name, frame in demo_tables().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.mark.parametrize("kind, writer", [
    ("csv folder", csv_folder),
    ("Salesforce export", lambda folder: write_salesforce_export(demo_tables(), folder)),
    ("HubSpot export", lambda folder: write_hubspot_export(demo_tables(), folder)),
])
def test_a_region_pack_from_each_file_source_kind_matches_the_parquet_demo(kind, writer, tmp_path, demo_runs):
    data = writer(tmp_path / "source")
    runs = build(data, tmp_path / "reports", [STEM])
    got, want = runs[f"east/{STEM}"], demo_runs[f"east/{STEM}"]
    assert got["headlines"] == want["headlines"] and got["headlines"], kind
    assert got["alerts"] == want["alerts"], kind
    page = (tmp_path / "reports" / "2026-Q3" / "east" / f"{STEM}.html").read_text(encoding="utf-8")
    assert "East" in page and "Traceback" not in page


def test_every_themed_notebook_runs_on_a_deals_only_hubspot_export(tmp_path):
    """HubSpot exports no stage history and no activities: every notebook still runs, and the pages say which
    figures need those tables instead of failing."""
    runs = build(write_hubspot_export(demo_tables(), tmp_path / "hubspot"), tmp_path / "reports", THEMED)
    assert sorted(runs) == sorted(f"east/{stem}" for stem in THEMED)
    pages = {stem: (tmp_path / "reports" / "2026-Q3" / "east" / f"{stem}.html").read_text(encoding="utf-8")
             for stem in THEMED}
    chart_text = (tmp_path / "reports" / "2026-Q3" / "east" / "01_activity_ratios.ipynb").read_text(encoding="utf-8")
    assert "Not available: needs table activities." in chart_text  # the SVG chart keeps its text as text
    assert "needs table activities" in pages["01_activity_ratios"]
    assert "needs table opportunity_history" in pages["03_velocity"]
    warned = {stem for stem, page in pages.items() if "Warning:" in page or "Traceback" in page}
    assert not warned, f"warnings or tracebacks printed into {sorted(warned)}"
