"""``--resume`` never reuses a stale page (issue 15, item 2): every input a run reads is fingerprinted (a mapping's
export files and ``extends:`` base, a database's tables, the workbook, the currency rates, the notebook, the
quotabook package), a run whose fingerprint changed executes again with the reason said, and a resume without
``--data`` resumes the data of the pack it continues, or refuses.

The data here is small and hand-written (two territories in one region, another CRM's column names for the
mapping), not the demo; the fixture notebooks do not read it, so the packs cost a kernel start per run."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from packtools import NOTEBOOKS, PACK_YAML, write_data
from test_pack_manifest import _finished

from quotabook.cli import main
from quotabook.errors import PackError
from quotabook.pack import build_pack
from quotabook.pack.fingerprint import data_files, run_fingerprint
from quotabook.pack.manifest import describe_inputs, read_manifest, select_runs
from quotabook.pack.plan import make_plan
from quotabook.settings import PACKAGED_WORKBOOK
from quotabook.sources.sql import table_fingerprints

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the SQL test helpers
from sources.sqltools import PgSchema, pg_url, write_duckdb

VAR = "QB_TEST_FINGERPRINT_DB"
TERRITORIES = pd.DataFrame({"territory": ["T1", "T2"], "region": ["North", "North"], "district": "D",
                            "owner": ["Ines", "Jo"]})
DEALS = pd.DataFrame({"opportunity_id": ["D1", "D2"], "owner": ["Ines", "Jo"], "territory": ["T1", "T2"],
                      "created_date": pd.to_datetime(["2025-11-03", "2026-01-12"]),
                      "close_date": pd.to_datetime(["2026-02-27", "2026-03-31"]), "stage": ["Signed", "Demo"],
                      "amount": [40_000.0, 0.0], "is_closed": [True, False], "is_won": [True, False],
                      "last_modified_date": pd.to_datetime(["2026-02-27 10:00", "2026-03-02 09:30"])})


def plan_for(data, tmp_path, **kw):
    return make_plan("2026-Q3", data=data, out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS,
                     notebooks=["00_ok"], formats=["html"], **kw)


def reasons_after(plan, manifest, **changes):
    """Rerun reasons of ``plan``'s runs against ``manifest`` after re-describing the inputs."""
    return select_runs(plan, manifest, describe_inputs(plan, **changes))[2]


# -- mapping YAML: its exports and its base -------------------------------------------------------------------
MAPPING_BASE = """\
folder: exports
tables:
  territories: {file: Regions*.csv, columns: {territory: Terr, region: Reg, district: Dist}}
  opportunities:
    file: Deals*.csv
    columns: {opportunity_id: Ref, owner: Rep, territory: Terr, created_date: Opened, close_date: Closes,
              stage: Phase, amount: Value}
    derive: {is_closed: {stage_flag: is_closed}, is_won: {stage_flag: is_won}}
"""


@pytest.fixture
def mapping(tmp_path) -> Path:
    exports = tmp_path / "crm" / "exports"
    exports.mkdir(parents=True)
    (exports / "Regions-2026.csv").write_text("Terr,Reg,Dist\nT1,North,D\n", encoding="utf-8")
    (exports / "Deals-2026.csv").write_text("Ref,Rep,Terr,Opened,Closes,Phase,Value\n"
                                            "D1,Ines,T1,2025-11-03,2026-02-27,Closed Won,40000\n", encoding="utf-8")
    (exports / "unrelated.txt").write_text("not read by the mapping\n", encoding="utf-8")
    (tmp_path / "crm" / "base.yaml").write_text(MAPPING_BASE, encoding="utf-8")
    path = tmp_path / "crm" / "mapping.yaml"
    path.write_text("extends: base.yaml\nlabel: Our CRM\n", encoding="utf-8")
    return path


def test_a_mapping_is_fingerprinted_with_its_base_and_the_exports_it_reads(mapping, tmp_path):
    plan = plan_for(mapping, tmp_path)
    assert sorted(data_files(plan.data, plan.data_folder)) == ["base.yaml", "exports/Deals-2026.csv",
                                                              "exports/Regions-2026.csv", "mapping.yaml"]
    _, manifest = _finished(plan, failed=())
    assert reasons_after(plan, manifest) == {}  # nothing changed: every run is kept
    (mapping.parent / "exports" / "unrelated.txt").write_text("changed, but not read\n", encoding="utf-8")
    assert reasons_after(plan, manifest) == {}
    deals = mapping.parent / "exports" / "Deals-2026.csv"
    deals.write_text(deals.read_text().replace("40000", "4000"), encoding="utf-8")  # an export edited in place
    assert set(reasons_after(plan, manifest).values()) == {"data changed (exports/Deals-2026.csv)"}
    _, manifest = _finished(plan, failed=())
    base = mapping.parent / "base.yaml"
    base.write_text(base.read_text().replace("amount: Value", "amount: Value, currency: Cur"), encoding="utf-8")
    assert set(reasons_after(plan, manifest).values()) == {"data changed (base.yaml)"}


# -- workbook, currency rates, quotabook, notebook ---------------------------------------------------------------
def test_the_workbook_rates_package_and_notebook_are_part_of_the_fingerprint(tmp_path, monkeypatch):
    data = write_data(tmp_path / "data")
    workbook = tmp_path / "params" / "workbook.yaml"
    workbook.parent.mkdir()
    shutil.copy(PACKAGED_WORKBOOK, workbook)
    rates = workbook.with_name("currency_rates.yaml")
    rates.write_text("base: USD\nrates: {USD: 1.0, EUR: 0.9}\n", encoding="utf-8")
    monkeypatch.setenv("QUOTABOOK_WORKBOOK", str(workbook))
    plan = plan_for(data, tmp_path)
    inputs, manifest = _finished(plan, failed=())
    assert inputs["workbook"]["file"] == str(workbook) and inputs["currency_rates"]["file"] == str(rates)
    assert reasons_after(plan, manifest) == {}

    rates.write_text("base: USD\nrates: {USD: 1.0, EUR: 0.8}\n", encoding="utf-8")
    assert set(reasons_after(plan, manifest).values()) == {f"the currency rates changed ({rates})"}
    workbook.write_text(workbook.read_text() + "\n# the currency is about to change\n", encoding="utf-8")
    assert reasons_after(plan, manifest)["east/00_ok"].startswith(f"the workbook changed ({workbook})")

    _, manifest = _finished(plan, failed=())
    import quotabook.version

    monkeypatch.setattr(quotabook.version, "__version__", "9.9.9")
    assert set(reasons_after(plan, manifest).values()) == {"quotabook changed (0.1.0 → 9.9.9)"}
    monkeypatch.undo()
    monkeypatch.setenv("QUOTABOOK_WORKBOOK", str(workbook))
    notebooks = shutil.copytree(NOTEBOOKS, tmp_path / "notebooks")
    plan = make_plan("2026-Q3", data=data, out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=notebooks,
                     notebooks=["00_ok"], formats=["html"])
    _, manifest = _finished(plan, failed=())
    with open(notebooks / "00_ok.ipynb", "a", encoding="utf-8") as fh:
        fh.write("\n")
    assert set(reasons_after(plan, manifest).values()) == {"the notebook changed"}
    del manifest["runs"]["east/00_ok"]["fingerprint"]  # a manifest written before fingerprints: never kept
    assert "recorded no fingerprint" in reasons_after(plan, manifest)["east/00_ok"]


# -- databases ----------------------------------------------------------------------------------------------
def test_a_duckdb_database_behind_env_is_fingerprinted_by_its_tables(tmp_path, monkeypatch):
    import duckdb

    db = write_duckdb(tmp_path / "crm.db", {"territories": TERRITORIES, "opportunities": DEALS})
    monkeypatch.setenv(VAR, db)
    plan = plan_for(f"env:{VAR}", tmp_path, regions=["North"])
    first = table_fingerprints(f"env:{VAR}")
    assert first["opportunities"]["rows"] == 2 and first["opportunities"]["checksum"]
    assert first["opportunities"]["modified"] == {"last_modified_date": "2026-03-02 09:30:00"}
    inputs, manifest = _finished(plan, failed=())
    assert inputs["data_files"] == {} and inputs["data_tables"]["territories"]["rows"] == 2
    assert reasons_after(plan, manifest) == {}

    con = duckdb.connect(str(tmp_path / "crm.db"))
    # Same rows, no modified time touched: only the content checksum sees it.
    con.execute("UPDATE opportunities SET amount = 1 WHERE opportunity_id = 'D1'")
    con.close()
    assert table_fingerprints(f"env:{VAR}")["opportunities"]["rows"] == 2
    assert set(reasons_after(plan, manifest).values()) == {"data changed (table opportunities)"}
    # A declared snapshot id stands for the tables (not queried), and a new id means new data.
    inputs41 = describe_inputs(plan, snapshot="batch-41")
    assert inputs41["data_tables"] is None and inputs41["data_snapshot"] == "batch-41"
    manifest["inputs"] = inputs41
    for entry in manifest["runs"].values():
        entry["fingerprint"] = run_fingerprint(inputs41, entry["notebook"])
    assert reasons_after(plan, manifest, snapshot="batch-41") == {}
    assert set(reasons_after(plan, manifest, snapshot="batch-42").values()) == {
        "data changed (snapshot batch-41 → batch-42)"}
    other = write_duckdb(tmp_path / "other.db", {"territories": TERRITORIES, "opportunities": DEALS})
    monkeypatch.setenv(VAR, other)  # the variable now points at another database, same snapshot id
    assert set(reasons_after(plan, manifest, snapshot="batch-41").values()) == {
        f"the database changed ({db} (from ${VAR}) → {other} (from ${VAR}))"}


def test_a_duckdb_file_is_fingerprinted_with_its_write_ahead_log(tmp_path):
    db = write_duckdb(tmp_path / "crm.db", {"territories": TERRITORIES, "opportunities": DEALS})
    plan = plan_for(db, tmp_path, regions=["North"])
    (tmp_path / "crm.db.wal").write_bytes(b"uncheckpointed writes")
    assert sorted(data_files(plan.data, plan.data_folder)) == ["crm.db", "crm.db.wal"]


def test_a_postgres_database_is_fingerprinted_by_its_tables(tmp_path, monkeypatch):
    url = pg_url()
    if url is None:
        pytest.skip("no PostgreSQL server: set QUOTABOOK_TEST_PG_URL (.ci/run starts one)")
    import sqlalchemy as sa

    schema = PgSchema(url)
    try:
        schema.write({"territories": TERRITORIES, "opportunities": DEALS})
        monkeypatch.setenv(VAR, schema.url)
        plan = plan_for(f"env:{VAR}", tmp_path, regions=["North"])
        inputs, manifest = _finished(plan, failed=())
        assert inputs["data_tables"]["opportunities"]["rows"] == 2
        assert ":***@127.0.0.1" in inputs["data_database"] and f"${VAR}" in inputs["data_database"]
        assert make_password_free(inputs, url)
        assert reasons_after(plan, manifest) == {}
        with schema.engine.begin() as conn:
            conn.execute(sa.text(f'UPDATE "{schema.name}".opportunities SET amount = 1 '
                                 "WHERE opportunity_id = 'D1'"))
        assert set(reasons_after(plan, manifest).values()) == {"data changed (table opportunities)"}
        with schema.engine.begin() as conn:
            conn.execute(sa.text(f'UPDATE "{schema.name}".opportunities SET last_modified_date = now()'))
        assert set(reasons_after(plan, manifest).values()) == {"data changed (table opportunities)"}
    finally:
        schema.close()


def make_password_free(inputs: dict, url: str) -> bool:
    from sqlalchemy.engine import make_url

    return make_url(url).password not in json.dumps(inputs)


# -- the CLI: resume on the data of the pack resumed, and say why runs executed again -----------------------------
def test_resume_without_data_and_without_a_pack_to_resume_refuses(tmp_path, capsys):
    with pytest.raises(PackError, match="no pack to resume"):
        build_pack("2026-Q3", resume=True, out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS)
    assert main(["pack", "--period", "2026-Q3", "--resume", "--out", str(tmp_path / "reports"), "--quiet"]) == 2
    assert "pass --data" in capsys.readouterr().err


@pytest.mark.slow
def test_resume_uses_the_data_of_the_pack_it_resumes_and_says_why_it_reruns(tmp_path, monkeypatch, capsys):
    mine = write_data(tmp_path / "mine", territories="territory,region,district,owner\nT1,Nord,D,Ines\n")
    argv = ["pack", "--period", "2026-Q3", "--out", str(tmp_path / "reports"), "--pack", str(PACK_YAML),
            "--notebooks-dir", str(NOTEBOOKS), "--notebooks", "00_ok", "--formats", "html", "--workers", "1",
            "--quiet", "--regions", "Nord"]
    assert main([*argv, "--data", str(mine)]) == 0
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0  # the README's literal resume: no --data
    out = capsys.readouterr().out
    assert f"resumed the pack built on {mine}" in out and "(0 notebooks run, 1 kept" in out
    manifest = read_manifest(tmp_path / "reports" / "2026-Q3")
    assert manifest["inputs"]["data"] == str(mine) and manifest["runs"]["nord/00_ok"]["reused"]

    with open(mine / "opportunities.csv", "a", encoding="utf-8") as fh:
        fh.write("C,Ines,T1,2026-07-01,2026-08-20,Closed Won,Closed,9,true,true\n")
    assert main([*argv, "--resume"]) == 0
    out = capsys.readouterr().out
    assert "rerun 1: data changed (opportunities.csv): nord/00_ok" in out and "(1 notebook run" in out
    entry = read_manifest(tmp_path / "reports" / "2026-Q3")["runs"]["nord/00_ok"]
    assert entry["rerun_reason"] == "data changed (opportunities.csv)" and not entry["reused"]
    assert entry["fingerprint"]["data"] == read_manifest(tmp_path / "reports" / "2026-Q3")["inputs"]["data_sha256"]
    # A declared snapshot id is part of the data's fingerprint: a new one reruns, the same one keeps.
    assert main([*argv, "--resume", "--data-snapshot", "crm-batch-7"]) == 0
    assert "rerun 1: data changed (snapshot None → crm-batch-7): nord/00_ok" in capsys.readouterr().out
    assert main([*argv, "--resume", "--data-snapshot", "crm-batch-7"]) == 0
    assert "(0 notebooks run, 1 kept" in capsys.readouterr().out
