"""Canary secrets never reach an output. A password and tokens are planted in the connection string of a
``--data env:VAR`` source and in other environment variables the kernels inherit; packs are built (one that
succeeds, one whose notebook logs every query at DEBUG and then fails, one whose database cannot be opened) and
every file they wrote (executed notebooks, HTML pages, PDF text, manifest, index, kernel logs) and the console
are searched for the canaries.

Extends ``test_pack_sql.py`` (which checks a real PostgreSQL URL when a server is at hand) to sources any
machine has: a DuckDB file whose URL carries credentials in its query string.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from packtools import CHROMIUM, FIXTURES, PACK_YAML, leaks, output_texts

from quotabook.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the SQL test helpers
from quotabook.sources.salesforce_replica import to_replica
from sources.sqltools import demo_tables, write_duckdb

VAR = "QB_TEST_SECRET_DB"
STEM = "00_target_achievement"
BROKEN = "00_sql_broken"
PASSWORD = f"Canary-Pw-{secrets.token_hex(6)}"
TOKEN = f"canary-tok-{secrets.token_hex(6)}"
#: Other variables a kernel inherits, each holding a canary (what a CI runner or a laptop typically has).
OTHER_ENV = {"QB_TEST_API_TOKEN": f"{TOKEN}-api", "AWS_SECRET_ACCESS_KEY": f"{TOKEN}-aws",
             "DATABASE_URL": f"postgresql://crm:{PASSWORD}-db@db.internal:5432/crm",
             "SALESFORCE_PASSWORD": f"{PASSWORD}-sf"}
CANARIES = [PASSWORD, TOKEN]  # every planted value contains one of these


def plant(monkeypatch, db_url: str) -> str:
    """The source URL with credentials in its query string, in ``VAR``; canaries in the other variables."""
    monkeypatch.setenv(VAR, f"{db_url}?access_token={TOKEN}&password={PASSWORD}")
    for name, value in OTHER_ENV.items():
        monkeypatch.setenv(name, value)
    return f"env:{VAR}"


def pack(data: str, out: Path, formats: str, *extra: str) -> int:
    return main(["pack", "--period", "2026-Q3", "--data", data, "--out", str(out), "--regions", "East",
                 "--notebooks", STEM, "--workers", "1", "--quiet", "--formats", formats, *extra])


def test_a_database_that_cannot_be_opened_names_the_variable_not_the_secret(tmp_path, monkeypatch, capfd):
    data = plant(monkeypatch, f"duckdb:///{tmp_path / 'missing.db'}")
    assert pack(data, tmp_path / "reports", "html") == 2
    captured = capfd.readouterr()
    console = captured.out + captured.err
    assert "missing.db" in console  # the message still says what is wrong
    texts = output_texts(tmp_path / "reports") | {"<console>": console}
    assert leaks(texts, CANARIES) == {}


#: Connection strings users really write, each holding a canary password: reserved characters left unencoded in a
#: URL (drivers disagree on where such a password ends), a libpq key=value DSN, a password in a query string.
HOSTILE_URLS = {
    "unencoded": f"postgresql+psycopg://alice:p@ss/w0rd#{PASSWORD}@127.0.0.1:1/crm",
    "dsn": f"host=127.0.0.1 port=1 dbname=crm user=alice password={PASSWORD}",
    "quoted dsn": f"host=127.0.0.1 port=1 user=alice password='{PASSWORD} x' sslmode=disable",
    "query": f"postgresql+psycopg://alice@127.0.0.1:1/crm?sslpassword={PASSWORD}&token={TOKEN}",
    "encoded": f"postgresql+psycopg://alice:p%40ss%2Fw0rd%23{PASSWORD}@127.0.0.1:1/crm",
}


@pytest.mark.parametrize("form", sorted(HOSTILE_URLS))
def test_a_hostile_connection_string_is_never_echoed(form, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv(VAR, HOSTILE_URLS[form])
    assert pack(f"env:{VAR}", tmp_path / "reports", "html") == 2
    captured = capfd.readouterr()
    console = captured.out + captured.err
    texts = output_texts(tmp_path / "reports") | {"<console>": console}
    assert leaks(texts, [PASSWORD, TOKEN, "w0rd"]) == {}
    assert f"${VAR}" in console and "***" in console  # says which variable, masked
    assert "postgresql" in console or form.endswith("dsn")  # no blanket replace of a short secret ("p")
    if form in ("unencoded", "dsn", "quoted dsn"):  # refused before connecting, with the way out
        assert "percent-encode" in console or "not a URL" in console


@pytest.mark.slow
def test_no_output_of_a_pack_holds_a_canary_secret(tmp_path, monkeypatch, capfd):
    db = write_duckdb(tmp_path / "crm.db", to_replica(demo_tables()))
    data = plant(monkeypatch, db)
    formats = "html,pdf" if CHROMIUM.is_file() else "html"
    assert pack(data, tmp_path / "reports", formats) == 0
    # A notebook that reads the source with DEBUG logging on, prints where it came from, then fails.
    assert pack(data, tmp_path / "failing", "html", "--notebooks", BROKEN, "--notebooks-dir",
                str(FIXTURES / "sql_notebooks"), "--pack", str(PACK_YAML)) == 1
    captured = capfd.readouterr()
    texts = output_texts(tmp_path / "reports") | output_texts(tmp_path / "failing")
    kinds = {Path(name).suffix for name in texts}
    assert {".ipynb", ".html", ".json", ".log"} <= kinds and (".pdf" in kinds or not CHROMIUM.is_file())
    texts["<console>"] = captured.out + captured.err
    # The outputs name the source as the variable, so the reader knows where the data came from.
    assert f"env:{VAR}" in texts[str(tmp_path / "reports" / "2026-Q3" / "manifest.json")]
    assert leaks(texts, OTHER_ENV.values()) == {}  # nothing of the environment reaches an output
    # The failing notebook prints ds.source and logs every query: the DuckDB URL's query string (a MotherDuck
    # token) is masked there too.
    assert leaks(texts, CANARIES) == {}
