"""Packs from SQL sources: a themed notebook built from DuckDB and from PostgreSQL (``--data env:VAR``), and no
output file (notebook, page, PDF text, manifest, index, log) nor console line holds the URL or its password."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from packtools import CHROMIUM, FIXTURES, PACK_YAML, output_texts

from quotabook.cli import main
from quotabook.pack.plan import make_plan, resolve_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the SQL test helpers
from quotabook.errors import PackError, SourceError
from quotabook.sources.salesforce_replica import to_replica
from sources.sqltools import PgSchema, demo_tables, pg_url, write_duckdb

VAR = "QB_TEST_PACK_DB"
STEM = "00_target_achievement"
BROKEN = "00_sql_broken"


def build(data: str, out: Path, formats: str, *extra: str) -> int:
    return main(["pack", "--period", "2026-Q3", "--data", data, "--out", str(out), "--regions", "East",
                 "--notebooks", STEM, "--workers", "1", "--quiet", "--formats", formats, *extra])


def test_plan_accepts_sql_sources_and_refuses_raw_urls(tmp_path, monkeypatch):
    db = write_duckdb(tmp_path / "x.db", {"territories": demo_tables()["territories"]})
    assert resolve_data(db) == (f"duckdb:///{tmp_path / 'x.db'}", tmp_path / "x.db")
    monkeypatch.setenv(VAR, db)
    assert resolve_data(f"env:{VAR}") == (f"env:{VAR}", None)
    plan = make_plan("2026-Q3", data=f"env:{VAR}", regions=["East"], notebooks=[STEM], out=tmp_path / "r")
    assert [r.parameters["data"] for r in plan.runs] == [f"env:{VAR}"]
    with pytest.raises(PackError, match="env:VARNAME"):
        resolve_data("postgresql://u:hunter2@db/crm")
    monkeypatch.delenv(VAR)
    with pytest.raises(SourceError, match=f"environment variable {VAR} is not set"):
        resolve_data(f"env:{VAR}")


def test_an_unreachable_database_stops_the_pack_without_showing_the_password(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv(VAR, "postgresql+psycopg://qb:Canary-Pw-5150@127.0.0.1:9/crm")
    assert build(f"env:{VAR}", tmp_path / "reports", "html") == 2
    captured = capfd.readouterr()
    assert "Canary-Pw-5150" not in captured.out + captured.err
    assert "qb:***@127.0.0.1:9/crm" in captured.err


@pytest.mark.slow
def test_a_pack_builds_from_duckdb(tmp_path):
    db = write_duckdb(tmp_path / "crm.db", to_replica(demo_tables()))
    assert build(db, tmp_path / "reports", "html") == 0
    manifest = json.loads((tmp_path / "reports" / "2026-Q3" / "manifest.json").read_text())
    assert manifest["runs"][f"east/{STEM}"]["status"] == "ok"
    assert manifest["inputs"]["data_files"] == {"crm.db": manifest["inputs"]["data_files"]["crm.db"]}


@pytest.mark.slow
def test_a_pack_from_postgres_leaks_neither_url_nor_password(tmp_path, monkeypatch, capfd):
    url = pg_url()
    if url is None:
        pytest.skip("no PostgreSQL server: set QUOTABOOK_TEST_PG_URL (.ci/run starts one)")
    from sqlalchemy.engine import make_url

    schema = PgSchema(url)
    try:
        schema.write(to_replica(demo_tables()))
        monkeypatch.setenv(VAR, schema.url)
        formats = "html,pdf" if CHROMIUM.is_file() else "html"
        assert build(f"env:{VAR}", tmp_path / "reports", formats) == 0
        # A notebook that reads the database with DEBUG logging on, then fails: its log and traceback are kept.
        assert build(f"env:{VAR}", tmp_path / "failing", "html", "--notebooks", BROKEN, "--notebooks-dir",
                     str(FIXTURES / "sql_notebooks"), "--pack", str(PACK_YAML)) == 1
    finally:
        schema.close()
    pack = tmp_path / "reports" / "2026-Q3"
    password = make_url(url).password
    assert password and len(password) >= 8
    texts = output_texts(pack) | output_texts(tmp_path / "failing")
    kinds = {Path(p).suffix for p in texts}
    assert {".ipynb", ".html", ".json", ".log"} <= kinds and (".pdf" in kinds or not CHROMIUM.is_file())
    captured = capfd.readouterr()
    texts["<console>"] = captured.out + captured.err
    for secret in (password, schema.url, url.split("@", 1)[0]):
        leaks = [name for name, text in texts.items() if secret in text]
        assert not leaks, f"secret found in {leaks}"
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["runs"][f"east/{STEM}"]["status"] == "ok"
    assert manifest["runs"][f"east/{STEM}"]["parameters"]["data"] == f"env:{VAR}"
    assert manifest["inputs"]["data_folder"] is None
    page = (pack / "east" / f"{STEM}.html").read_text(encoding="utf-8")
    assert "East" in page
    assert any(name.endswith(f"{BROKEN}.log") for name in texts)  # a failed run's kernel log is kept
    executed = texts[str(tmp_path / "failing" / "2026-Q3" / "east" / f"{BROKEN}.ipynb")]
    # The DEBUG log of every query reached the notebook's output, with the URL masked; then the planned error.
    east = demo_tables()["territories"].query("region == 'East'")["territory"]
    deals = int(demo_tables()["opportunities"]["territory"].isin(east).sum())
    assert f"read {deals} rows of opportunities" in executed and ":***@127.0.0.1" in executed
    assert f"stop after {deals} deals from env:{VAR}" in executed
