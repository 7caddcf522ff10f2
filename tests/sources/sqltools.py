"""Shared helpers of the SQL-source tests: write frames into DuckDB or PostgreSQL, the demo's tables, and the
region report compared across sources. (Not a conftest.py, so ``tests/conftest.py`` stays the only one.)"""

from __future__ import annotations

import functools
import os
import secrets

import duckdb
import pandas as pd

from quotabook.loading import validate_source
from quotabook.metrics import compute_wide
from quotabook.settings import load_settings

PG_VAR = "QUOTABOOK_TEST_PG_URL"
#: Target-achievement and win-rate metrics of the region report compared across sources.
REPORT_METRICS = ["closed_amount", "commit_amount", "best_case_amount", "pipeline_amount", "target_amount",
                  "attainment", "forecast_attainment", "gap", "coverage", "commit_share", "pipeline_coverage",
                  "deal_count", "average_selling_price", "win_rate"]


def write_duckdb(path, frames: dict[str, pd.DataFrame]) -> str:
    """Each frame as a table of a new DuckDB file; returns its ``duckdb:///`` source string."""
    con = duckdb.connect(str(path))
    for name, frame in frames.items():
        con.register("frame", frame)
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
        con.unregister("frame")
    con.close()
    return f"duckdb:///{path}"


@functools.cache
def demo_tables() -> dict[str, pd.DataFrame]:
    """The demo district's validated tables (the Parquet files)."""
    _, tables = validate_source("demo", settings=load_settings())
    return tables


def report(ds, period: str = "2026-Q3", by: str = "territory") -> pd.DataFrame:
    return compute_wide(REPORT_METRICS, ds, period, by=by)


def pg_url() -> str | None:
    """The test server's URL, or None when there is none or it does not answer (tests then skip)."""
    url = os.environ.get(PG_VAR)
    if not url:
        return None
    try:
        import sqlalchemy as sa

        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return None
    return url


class PgSchema:
    """A fresh schema in the test database (tests may run in parallel), dropped on close. ``url`` points at it
    through ``search_path``, the way a user's URL may select a schema."""

    def __init__(self, base_url: str):
        import sqlalchemy as sa

        self.name = f"qb_{secrets.token_hex(4)}"
        self.engine = sa.create_engine(base_url, poolclass=sa.pool.NullPool)
        with self.engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in base_url else "?"
        self.url = f"{base_url}{sep}options=-csearch_path%3D{self.name}"

    def write(self, frames: dict[str, pd.DataFrame]) -> None:
        with self.engine.begin() as conn:
            for name, frame in frames.items():
                frame.to_sql(name, conn, schema=self.name, index=False, chunksize=50_000, method=_copy)

    def close(self) -> None:
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.engine.dispose()


def _copy(table, conn, keys, rows) -> None:
    """``DataFrame.to_sql`` through PostgreSQL's COPY (seconds instead of minutes for the demo's activities)."""
    columns = ", ".join(f'"{k}"' for k in keys)
    sql = f'COPY "{table.schema}"."{table.name}" ({columns}) FROM STDIN'
    with conn.connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
