"""A real PostgreSQL (started by .ci/run; skipped without ``QUOTABOOK_TEST_PG_URL``): the demo district as a
Salesforce replica gives the same region report as the Parquet demo, reading only the region's rows."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest

import quotabook
from quotabook.errors import SourceError
from quotabook.settings import load_settings
from quotabook.sources.salesforce_replica import to_replica
from quotabook.sources.sql import read_sql, sql_regions

from .sqltools import PgSchema, demo_tables, pg_url, report

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sql_postgres")]  # module fixtures built once, on one worker
VAR = "QB_TEST_PG_REPLICA"


@pytest.fixture(scope="module")
def replica():
    """The demo district loaded into Salesforce-replica tables of a fresh schema; yields (URL, seconds to load)."""
    url = pg_url()
    if url is None:
        pytest.skip("no PostgreSQL server: set QUOTABOOK_TEST_PG_URL (.ci/run starts one)")
    schema = PgSchema(url)
    started = time.perf_counter()
    try:
        schema.write(to_replica(demo_tables()))
        yield schema.url, time.perf_counter() - started
    finally:
        schema.close()


@pytest.fixture
def source(replica, monkeypatch):
    monkeypatch.setenv(VAR, replica[0])
    return f"env:{VAR}"


def test_a_region_report_from_the_postgres_replica_equals_the_parquet_demo_exactly(source, caplog):
    with caplog.at_level(logging.DEBUG, logger="quotabook.sources.sql"):
        from_pg = quotabook.load(source, region="East", strict=True)
    parquet = quotabook.load("demo", region="East")
    pd.testing.assert_frame_equal(report(from_pg), report(parquet))
    pd.testing.assert_frame_equal(report(from_pg, by="region"), report(parquet, by="region"))
    # What a notebook's start() works from: every table of the region, row for row.
    for name in ("opportunities", "opportunity_history", "activities", "leads", "territories", "targets",
                 "activity_goals"):
        got, want = getattr(from_pg, name), getattr(parquet, name)
        key = list(want.columns[:2])
        got = got[want.columns].sort_values(key).reset_index(drop=True)
        want = want.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=name)
    assert from_pg.source == source  # the label is the variable's name, never the URL


def test_only_the_regions_rows_leave_the_database(source, caplog):
    with caplog.at_level(logging.DEBUG, logger="quotabook.sources.sql"):
        raw = read_sql(source, load_settings(), "East")
    fetched = {name: len(frame) for name, (frame, _) in raw.tables.items()}
    demo = demo_tables()
    east = quotabook.load("demo", region="East")
    assert fetched == {name: len(getattr(east, name)) for name in fetched}
    assert sum(fetched.values()) < sum(len(t) for t in demo.values()) / 2
    queries = [r.getMessage() for r in caplog.records if "'region': 'East'" in r.getMessage()]
    # one per table (deals, history, activities, goals, targets, leads, territories) and one for the deals of
    # other regions that the region's activities are on (RawSource.outside_ids)
    assert len(queries) == 8 and all("WHERE" in q for q in queries)
    assert all("***@" in r.getMessage() and ":***@" in r.getMessage() for r in caplog.records)


def test_regions_and_origins_show_the_url_with_its_password_masked(source, replica):
    from sqlalchemy.engine import make_url

    password = make_url(replica[0]).password
    assert sql_regions(source, load_settings()) == ["Central", "East", "South", "West"]
    raw = read_sql(source, load_settings(), "West")
    origins = [origin for _, origin in raw.tables.values()]
    assert all(":***@127.0.0.1" in o and password not in o for o in origins)
    assert origins[0].startswith("table opportunity in postgresql+psycopg://")


def test_a_wrong_password_fails_without_showing_it(replica, monkeypatch):
    from sqlalchemy.engine import make_url

    bad = make_url(replica[0]).set(password="Wrong-Canary-77")
    monkeypatch.setenv(VAR, bad.render_as_string(hide_password=False))
    with pytest.raises(SourceError) as err:
        read_sql(f"env:{VAR}", load_settings(), None)
    assert "Wrong-Canary-77" not in str(err.value) and "password authentication failed" in str(err.value)



@pytest.mark.parametrize("password", ["p", "Wr@ng/Pw#Canary-78"])
def test_a_wrong_password_with_reserved_characters_or_one_letter_is_never_shown(password, replica, monkeypatch):
    """Encoded as it should be, the password reaches the server; the error keeps the server's words intact
    (a 1-letter password does not turn every "p" of the message into ***) and never shows the password."""
    from sqlalchemy.engine import make_url

    bad = make_url(replica[0]).set(password=password)
    monkeypatch.setenv(VAR, bad.render_as_string(hide_password=False))
    with pytest.raises(SourceError) as err:
        read_sql(f"env:{VAR}", load_settings(), None)
    message = str(err.value)
    assert "password authentication failed" in message and ":***@127.0.0.1" in message
    assert len(password) == 1 or (password not in message and "Canary-78" not in message)
