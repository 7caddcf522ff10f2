"""SQL sources: a DuckDB file (``duckdb:///path.db``) or any SQLAlchemy URL read from the environment (``env:VAR``).

The URL, with its password, lives only in the environment variable: reports, notebooks, manifests and
logs name the source ``env:VAR`` or the URL with the password masked (``postgresql://qb:***@host/db``).

The database holds either the canonical tables (``opportunities``, ``territories``, … as in
:mod:`quotabook.schemas`) or a Salesforce replica (``opportunity``, ``opportunity_history``, ``task``,
``event``, ``user`` with Salesforce field names; see :mod:`.salesforce_replica`), detected from the table
names. Either way the mapping to canonical columns happens in SQL, and a region's filter is part of the
same query, so the database returns only that region's rows (the same slice as
:meth:`quotabook.dataset.Dataset.for_region`: its territories and their targets, the deals in them and
their history, and the activities, leads and goals of their owners).

Every query run is logged at DEBUG level on the ``quotabook.sources.sql`` logger with the number of rows
fetched (never the URL).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..errors import SourceError
from ..privacy import connection_problem, connection_secrets, mask_connection, redact_secrets
from ..schemas import TABLES
from ..validation import file_problem
from .base import RawSource
from .salesforce_replica import MOST_LIKELY, REPLICA_TABLES, is_replica, quote, replica_selects

__all__ = ["MODIFIED_COLUMNS", "duckdb_path", "is_sql_source", "mask_url", "read_sql", "source_label",
           "sql_regions", "table_fingerprints"]

log = logging.getLogger(__name__)
_ENV = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
REGION_PARAM = "region"


def is_sql_source(source) -> bool:
    """True for ``duckdb:///…`` and ``env:VAR`` sources."""
    text = str(source)
    return text.startswith("duckdb://") or text.startswith("env:")


def mask_url(url: str) -> str:
    """The URL (or libpq ``key=value`` string) with every credential hidden, parsed as the driver would parse
    it; one that does not parse unambiguously is not shown (see :func:`quotabook.privacy.mask_connection`)."""
    return mask_connection(url)


def _url_of(source: str) -> tuple[str, str]:
    """(URL, label shown to users). ``env:VAR`` reads the variable; a missing one names only the variable."""
    text = str(source)
    if match := _ENV.match(text):
        var = match.group(1)
        url = os.environ.get(var, "").strip()
        if not url:
            raise SourceError(f"environment variable {var} is not set (or empty): it should hold the database URL, "
                              f"e.g. postgresql://user:password@host/db")
        label = f"{mask_url(url)} (from ${var})"
        if problem := connection_problem(url):  # never connect to a host made of a password's tail
            raise SourceError(f"the database URL in ${var} cannot be used: {problem}; it is shown masked: {label}")
        return url, label
    if text.startswith("env:"):
        raise SourceError(f"{text!r} is not env:VARIABLE_NAME")
    if text.startswith("duckdb://"):
        return text, text
    raise SourceError("SQL sources are duckdb:///path.db or env:VAR (a variable holding the URL); "
                      "a URL given directly is refused so its password cannot land in a report")


class _Database:
    """One open connection, DuckDB (native) or SQLAlchemy, with the password scrubbed from every error."""

    def __init__(self, url: str, label: str):
        self.url, self.label = url, label
        self._secrets = connection_secrets(url)
        if url.startswith("duckdb:"):
            import duckdb

            path = duckdb_path(url)
            try:
                self._duck = duckdb.connect(str(path), read_only=True)
            except Exception as exc:
                raise SourceError(f"cannot open DuckDB database {path}: {exc}") from None
            self._conn = None
        else:
            self._duck = None
            self._conn = self._connect()

    def _connect(self):
        try:
            import sqlalchemy as sa
        except ImportError:  # pragma: no cover - a declared dependency
            raise SourceError("SQL sources other than DuckDB need SQLAlchemy (pip install sqlalchemy)") from None
        try:
            engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            return engine.connect()
        except Exception as exc:
            raise SourceError(f"cannot connect to {self.label}: {self._scrub(exc)}") from None

    def _scrub(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}".splitlines()[0]
        text = text.replace(self.url, mask_url(self.url))
        return redact_secrets(text, self._secrets)

    def close(self) -> None:
        if self._duck is not None:
            self._duck.close()
        if self._conn is not None:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def tables(self) -> dict[str, dict[str, str]]:
        """{lower-cased table: {lower-cased column: actual column, "__table__": actual table name}}."""
        sql = ("SELECT table_name, column_name FROM information_schema.columns "
               "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
        found: dict[str, dict[str, str]] = {}
        for table, column in self.query(sql, {}, what="the table list").itertuples(index=False):
            entry = found.setdefault(str(table).lower(), {"__table__": str(table)})
            entry.setdefault(str(column).lower(), str(column))
        return found

    def query(self, sql: str, params: Mapping[str, object], *, what: str) -> pd.DataFrame:
        try:
            if self._duck is not None:
                frame = self._duck.execute(sql.replace(f":{REGION_PARAM}", f"${REGION_PARAM}"), dict(params)).df()
            else:
                import sqlalchemy as sa

                frame = pd.read_sql_query(sa.text(sql), self._conn, params=dict(params))
        except Exception as exc:
            raise SourceError(f"query for {what} failed in {self.label}: {self._scrub(exc)}") from None
        log.debug("read %d rows of %s from %s with params %s: %s", len(frame), what, self.label, dict(params), sql)
        return _plain(frame)


def duckdb_path(url: str) -> Path:
    """``duckdb:///rel.db`` is relative, ``duckdb:////abs.db`` absolute (SQLAlchemy's convention); a relative
    path that does not exist but exists from ``/`` is taken as absolute (``duckdb:///tmp/x.db``)."""
    rest = url.split("://", 1)[1]
    rest = rest[1:] if rest.startswith("/") else rest
    rest = rest.split("?", 1)[0]
    path = Path(rest).expanduser()
    if not path.is_absolute() and not path.exists() and Path("/" + rest).exists():
        path = Path("/" + rest)
    if not path.is_file():
        raise SourceError(f"DuckDB database not found: {path}")
    return path


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Decimals as floats and time zones as naive UTC, so validation sees what a Parquet file would give."""
    for col in frame.columns:
        series = frame[col]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            frame[col] = series.dt.tz_convert("UTC").dt.tz_localize(None)
        elif series.dtype == object and isinstance(series.get(series.first_valid_index()), Decimal):
            frame[col] = pd.to_numeric(series.map(lambda v: float(v) if isinstance(v, Decimal) else v))
    return frame


# -- the SQL ---------------------------------------------------------------------------------------------
def _canonical_select(name: str, columns: Mapping[str, str]) -> str:
    """``SELECT "Col" AS col, …`` for the schema's columns that the table has (others stay absent)."""
    known = [c.name for c in TABLES[name].columns]
    picked = [f"{quote(columns[c])} AS {c}" for c in known if c in columns]
    return f"SELECT {', '.join(picked) or '*'} FROM {quote(columns['__table__'])}"


def _selects(db_tables: Mapping[str, Mapping[str, str]], most_likely: str) -> tuple[dict[str, str], str]:
    """One SELECT per canonical table present, in canonical columns, and the shape found."""
    if is_replica(db_tables):
        missing = [t for t in REPLICA_TABLES if t not in db_tables]
        if missing:
            raise SourceError(f"a Salesforce replica needs the tables {', '.join(REPLICA_TABLES)}; "
                              f"missing: {', '.join(missing)}")
        selects = replica_selects(db_tables, most_likely)
        shape = "salesforce replica"
    else:
        selects, shape = {}, "canonical"
    for name in TABLES:
        if name not in selects and name in db_tables:
            selects[name] = _canonical_select(name, db_tables[name])
    return selects, shape


def _region_filtered(selects: Mapping[str, str]) -> dict[str, str]:
    """Wrap each SELECT so only the region's rows come back (``:region`` is the bound parameter).

    The rules are those of ``Dataset.for_region``, written as SQL so the database applies them."""
    wrap = region_conditions(selects)
    return {name: f"SELECT * FROM ({sql}) x WHERE {wrap[name]}" for name, sql in selects.items()}


def region_conditions(selects: Mapping[str, str]) -> dict[str, str]:
    """Per canonical table, the SQL condition on its row ``x`` that keeps the region's rows (``:region`` is the
    region), the tables being read by ``selects``: the rules of ``Dataset.for_region``, as SQL, for a database
    and for a folder of Parquet files read with DuckDB alike."""
    terr = f"(SELECT territory FROM ({selects['territories']}) rt WHERE rt.region = :{REGION_PARAM})"
    opps = f"(SELECT * FROM ({selects['opportunities']}) ro WHERE ro.territory IN {terr})"
    ids = f"(SELECT opportunity_id FROM {opps} ri)"
    # Leads, activities and activity goals (keyed by rep) follow Dataset.for_region (dataset.lead_owner_territory):
    # an owner's first territory by name, or for an owner of no territory the territory of their latest deal;
    # rows no owner places are in no region.
    first = (f"(SELECT owner, MIN(territory) AS territory FROM ({selects['territories']}) rt3 "
             f"WHERE rt3.owner IS NOT NULL AND rt3.territory IS NOT NULL GROUP BY owner)")
    latest = (f"(SELECT lo.owner, lo.territory FROM (SELECT ro3.owner, ro3.territory, ROW_NUMBER() OVER ("
              f"PARTITION BY ro3.owner ORDER BY ro3.created_date DESC NULLS LAST, ro3.opportunity_id DESC) AS rn "
              f"FROM ({selects['opportunities']}) ro3 WHERE ro3.owner IS NOT NULL AND ro3.territory IS NOT NULL "
              f"AND ro3.owner NOT IN (SELECT owner FROM {first} f0)) lo WHERE lo.rn = 1)")
    lead_owners = (f"(SELECT f1.owner FROM {first} f1 WHERE f1.territory IN {terr} "
                   f"UNION SELECT l1.owner FROM {latest} l1 WHERE l1.territory IN {terr})")
    wrap = {
        "territories": f"x.region = :{REGION_PARAM}",
        "opportunities": f"x.territory IN {terr}",
        "opportunity_history": f"x.opportunity_id IN {ids}",
        "activities": f"x.owner IN {lead_owners}",
        "leads": f"x.owner IN {lead_owners}",
        "targets": f"x.territory IN {terr}",
        "activity_goals": f"x.owner IN {lead_owners}",
    }
    return wrap


def outside_deals_sql(selects: Mapping[str, str]) -> str | None:
    """A query of the deals outside the region (``:region``) that the region's activities are on, by id.

    An activity counts with its rep (``Dataset.for_region``), so a region read in part can hold activities on
    other regions' deals; validation must know those deals exist (``RawSource.outside_ids``) to keep such an
    activity as the whole source sliced keeps it. None without an activities table."""
    if "activities" not in selects or "opportunities" not in selects:
        return None
    wrap = region_conditions(selects)
    terr = f"(SELECT territory FROM ({selects['territories']}) ot WHERE ot.region = :{REGION_PARAM})"
    return (f"SELECT DISTINCT x.opportunity_id FROM ({selects['activities']}) x WHERE {wrap['activities']} AND "
            f"x.opportunity_id IN (SELECT od.opportunity_id FROM ({selects['opportunities']}) od WHERE "
            f"od.opportunity_id IS NOT NULL AND (od.territory IS NULL OR od.territory NOT IN {terr}))")


def _check_filterable(db_tables: Mapping[str, Mapping[str, str]], selects: Mapping[str, str]) -> None:
    terr = db_tables.get("territories", {})
    lacking = [c for c in ("territory", "region") if c not in terr]
    if "territories" not in selects or lacking:
        raise SourceError("cannot filter by region: the database needs a territories table with territory and "
                          "region columns" + (f" (missing: {', '.join(lacking)})" if lacking and terr else ""))
    if "opportunities" not in selects:
        raise SourceError("cannot filter by region: no opportunities (or Salesforce opportunity) table")


# -- the public API ----------------------------------------------------------------------------------------
def read_sql(source: str, settings=None, region: str | None = None, *, most_likely: str = MOST_LIKELY) -> RawSource:
    """Read the canonical tables of a SQL source, only ``region``'s rows when a region is given.

    Parameters
    ----------
    source : ``duckdb:///path.db`` or ``env:VAR`` (the SQLAlchemy URL is in ``os.environ[VAR]``).
    settings : workbook settings (unused for now; the signature every reader shares).
    region : a region name (exactly as in the data), or None for the whole district. Applied in the query.
    most_likely : where a replica's ``MostLikely`` forecast category lands ("Best Case" or "Commit").

    Returns
    -------
    RawSource
        Raw tables with canonical column names, each with its origin ``table X in <masked URL>``;
        a missing required table is a file-level problem, as for a folder.

    Raises
    ------
    SourceError
        Unset variable, unknown database file, failed connection or query (password never shown).
    """
    url, label = _url_of(source)
    raw = RawSource(label=label)
    with _Database(url, label) as db:
        db_tables = db.tables()
        selects, shape = _selects(db_tables, most_likely)
        params: dict[str, object] = {}
        outside = None
        if region is not None:
            _check_filterable(db_tables, selects)
            params = {REGION_PARAM: str(region)}
            outside = outside_deals_sql(selects)
            selects = _region_filtered(selects)
        for name, sql in selects.items():
            table = _origin_table(name, shape)
            frame = db.query(sql, params, what=f"{name} ({shape})")
            raw.tables[name] = (frame, f"table {table} in {label}")
        if outside is not None:
            ids = db.query(outside, params, what="deals of other regions that the region's activities are on")
            raw.outside_ids = {"opportunities": frozenset(ids["opportunity_id"].astype(str).str.strip())}
    for name, spec in TABLES.items():
        if spec.required_table and name not in raw.tables:
            raw.problems.append(file_problem(name, label, "missing_table",
                                             f"required table {name!r} not found in {label}"))
    return raw


def _origin_table(name: str, shape: str) -> str:
    if shape == "canonical":
        return name
    return {"opportunities": "opportunity", "activities": "task+event"}.get(name, name)


def sql_regions(source: str, settings=None) -> list[str]:
    """The region names in the source's ``territories`` table, sorted (a small query for pack planning)."""
    url, label = _url_of(source)
    with _Database(url, label) as db:
        terr = db.tables().get("territories")
        if not terr or "region" not in terr:
            raise SourceError(f"no territories table with a region column in {label}: cannot list its regions")
        frame = db.query(f"SELECT DISTINCT {quote(terr['region'])} AS region FROM {quote(terr['__table__'])}", {},
                         what="regions")
    return sorted({str(r).strip() for r in frame["region"].dropna() if str(r).strip()})


#: Columns that say when a row last changed (lower-cased): their maximum joins a table's fingerprint.
MODIFIED_COLUMNS = ("lastmodifieddate", "systemmodstamp", "last_modified_date", "last_modified", "modified_at",
                    "updated_at", "modified", "changed_at", "_fivetran_synced", "_airbyte_extracted_at")


def source_label(source: str) -> str:
    """How a SQL source is named to users: its URL with every credential masked, and the variable it came from."""
    return _url_of(source)[1]


def table_fingerprints(source: str) -> dict[str, dict]:
    """What a pack's ``--resume`` compares for a database: per table the source reads (canonical or Salesforce
    replica names), its row count, the latest value of each "last modified" column it has
    (:data:`MODIFIED_COLUMNS`) and, on DuckDB and PostgreSQL, an order-independent checksum of every row's
    content, so an amount edited in place is seen even without a modified column. Other databases get counts
    and modified times only (``"checksum": None``); a user-declared snapshot id covers what they miss.

    The URL is not part of the answer (it holds the password); :func:`source_label` names the database.
    """
    url, label = _url_of(source)
    wanted = set(TABLES) | set(REPLICA_TABLES)
    found: dict[str, dict] = {}
    with _Database(url, label) as db:
        dialect = "duckdb" if db._duck is not None else db._conn.dialect.name
        for key, columns in sorted(db.tables().items()):
            if key not in wanted:
                continue
            table = quote(columns["__table__"])
            modified = [columns[c] for c in MODIFIED_COLUMNS if c in columns]
            # Plain COUNT and MAX: every SQL dialect has them (the value is turned into text here, not in SQL).
            parts = ["COUNT(*) AS n"] + [f"MAX({quote(c)}) AS m{i}" for i, c in enumerate(modified)]
            if checksum := _ROW_CHECKSUM.get(dialect):
                parts.append(f"CAST({checksum} AS VARCHAR(64)) AS checksum")
            row = db.query(f"SELECT {', '.join(parts)} FROM {table} AS qb_row", {}, what=f"the fingerprint of {key}")
            values = row.iloc[0].to_dict()
            found[key] = {"rows": int(values["n"]),
                          "modified": {c: _text(values[f"m{i}"]) for i, c in enumerate(modified)},
                          "checksum": _text(values.get("checksum")) if checksum else None}
    return found


# An order-independent checksum of every row's content (the sum of a 60-bit hash of each row), per dialect.
_ROW_CHECKSUM = {
    "duckdb": "SUM(HASH(qb_row))",
    "postgresql": "SUM(('x' || SUBSTR(MD5(CAST(qb_row AS TEXT)), 1, 15))::BIT(60)::BIGINT)",
}


def _text(value) -> str | None:
    """A fetched value as text for the fingerprint (None for a missing one; timestamps in ISO form)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else str(value)
