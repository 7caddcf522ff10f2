"""The latest dated event of a whole source without validating every row: a pack's one "today".

:meth:`quotabook.Dataset.latest_event` is the latest day among the events of the *validated* tables (deals created,
closed deals' close dates, history changes, activities, lead milestones). Loading a million-deal organisation to
learn it validates 65 million activities and 18 million leads (minutes, gigabytes); this module finds the same
day while validating only the rows that can decide it.

How, for a folder of table files (the demo, CSV or Parquet):

1. The two required tables (territories, opportunities) are read and validated whole with the loading code
   (:func:`quotabook.loading.validated_part`): they decide whether the source loads at all, and their validated
   rows are what history and activities refer to.
2. For each other dated table (history, leads, activities), only its date columns are read and coerced exactly as
   validation coerces them; a row's *bound* is the latest of its dates. Validation can reject a row but never
   moves a date, so a row contributes at most its bound.
3. Rows are validated from the latest bound down, a few days at a time (1, 2, 4, ... days per step), with the real
   validation code (:func:`quotabook.validation.validate_table` and its references to the validated
   opportunities). A row's verdict depends on the row itself, on the rows sharing its key (duplicate ids) and on
   the tables it refers to, so each step validates its rows together with every row sharing their key, in file
   order. The search stops when no row left unvalidated has a bound later than the latest day found.
4. The answer is :meth:`Dataset.latest_event` of a dataset of the whole validated opportunities and the surviving
   rows: the same code, on every row that could be the latest.

Whatever it cannot settle this way it leaves to the full load (:func:`quotabook.load`), which is exact by
definition: SQL sources and mapped CRM exports, amounts converted between currencies (a history row's amount
then depends on its deal's currency), CSV rows that could not be split, column names that collide once trimmed,
an on-disk table whose ids are not plain printable ASCII (its duplicate check is made in batches), and a search
that would validate more than :data:`MAX_ROWS` rows (most of the latest rows rejected).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .dataset import Dataset, with_canonical_columns
from .frames import is_in
from .schemas import TABLES
from .settings import Settings, load_settings

__all__ = ["DATED", "MAX_ROWS", "latest_event_date"]

#: The date columns of each table that :meth:`Dataset.latest_event` reads, besides the opportunities (read whole).
DATED = {"opportunity_history": ("changed_at",),
         "leads": ("created_date", "sal_date", "sql_date", "converted_date", "disqualified_date"),
         "activities": ("activity_date",)}
#: Past this many rows validated in the search, the whole source is loaded instead (same answer, one load).
MAX_ROWS = 2_000_000
_NO_DAY = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9


class _FullLoad(Exception):
    """The search cannot settle the date exactly: the full load decides (the message says why)."""


def latest_event_date(source, settings: Settings | None = None) -> pd.Timestamp | None:
    """The day :func:`quotabook.load(source) <quotabook.load>`\\ ``.source_date`` gives (the latest dated event of
    the whole source, None without any), validating only the rows that can decide it (see the module docstring).

    Raises what loading raises (SourceError, DataValidationError, ConfigError) when the source cannot be loaded.
    """
    settings = settings or load_settings()
    try:
        return _search(source, settings)
    except _FullLoad:
        return _full_load(source, settings)


def _full_load(source, settings: Settings) -> pd.Timestamp | None:
    from .loading import load

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rejected rows are each notebook's data note
        return load(source, settings=settings).source_date


def _search(source, settings: Settings) -> pd.Timestamp | None:
    from .loading import validated_part
    from .sources import is_mapping, is_sql

    if source is not None and (is_sql(source) or is_mapping(source)):
        raise _FullLoad("SQL sources and mapped exports are loaded whole")
    from .sources import source_folder
    from .sources.folder import table_files

    folder = source_folder(source, settings)
    report = validated_part(source, settings, ("territories", "opportunities"))
    report.raise_if_unusable()
    opportunities = report.tables["opportunities"]
    if "original_currency" in opportunities.data:
        raise _FullLoad("amounts converted between currencies (history amounts follow their deal's currency)")
    tables = []
    for name, paths in table_files(folder).items():
        if name in DATED and len(paths) == 1:  # a table in two files is not read at all (a file problem)
            table = _DatedTable.open(name, paths[0], settings, opportunities)
            if table is not None:
                tables.append(table)
    base = opportunities.data
    best = _latest(base, settings, tables)
    step, validated = 1, 0
    while True:
        pending = [(t, t.days_after(best)[:step]) for t in tables]
        pending = [(t, days) for t, days in pending if len(days)]
        if not pending:
            return None if best is None else pd.Timestamp(best)
        for table, days in pending:
            validated += table.validate_days(days)
            if validated > MAX_ROWS:
                raise _FullLoad(f"more than {MAX_ROWS:,} rows validated before the latest day was settled")
        best = _latest(base, settings, tables)
        step *= 2


def _latest(opportunities: pd.DataFrame, settings: Settings, tables: list[_DatedTable]) -> pd.Timestamp | None:
    """:meth:`Dataset.latest_event` of the whole validated opportunities and the surviving rows found so far."""
    given = {"opportunities": opportunities}
    given |= {t.name: pd.concat(t.kept, ignore_index=True) for t in tables if t.kept}
    frames = {name: with_canonical_columns(name, None if name not in given else given[name].copy(deep=False))
              for name in TABLES}
    return Dataset(**frames, settings=settings).latest_event()


@dataclass
class _DatedTable:
    """One dated table of a folder: each row's bound (its latest date, as validation coerces it, in days since
    1970; :data:`_NO_DAY` for none), the days not yet validated (latest first), and the surviving rows."""

    name: str
    reader: _Rows
    label: str
    stages: list[str]
    opportunities: object
    bounds: np.ndarray
    days: np.ndarray
    keys: pd.Series | None
    kept: list[pd.DataFrame] = field(default_factory=list)

    @classmethod
    def open(cls, name: str, path: Path, settings: Settings, opportunities) -> _DatedTable | None:
        """The table at ``path`` ready for the search, or None when it cannot hold a surviving row (no data rows,
        or a required column missing: validation rejects every row)."""
        from .validation.coercion import coerce_column

        spec = TABLES[name]
        reader = _Rows.open(name, path)
        columns = reader.columns
        if not columns or any(c not in columns for c in spec.required_columns) or reader.rows == 0:
            return None
        bounds = np.full(reader.rows, _NO_DAY, dtype="int64")
        dated = [c for c in DATED[name] if c in columns]
        for column in dated:  # one column at a time: 18 million leads' five dates are not held together
            for rows, frame in reader.read_columns([column]):
                coerced, _failed, _reason = coerce_column(frame[column].reset_index(drop=True), spec.column(column))
                ticks = coerced.to_numpy(dtype="datetime64[ns]").view("int64")
                days = np.where(coerced.isna().to_numpy(), _NO_DAY, np.floor_divide(ticks, _DAY_NS))
                bounds[rows] = np.maximum(bounds[rows], days)
        days = np.unique(bounds[bounds != _NO_DAY])[::-1]
        keys = reader.canonical_keys(spec) if spec.key else None
        return cls(name, reader, str(path), settings.stage_names, opportunities, bounds, days, keys)

    def days_after(self, best: pd.Timestamp | None) -> np.ndarray:
        """The days not yet validated that are later than ``best`` (all of them without one), latest first."""
        if best is None:
            return self.days
        return self.days[self.days > best.value // _DAY_NS]

    def validate_days(self, days: np.ndarray) -> int:
        """Validate the rows whose bound is one of ``days`` (with every row sharing their key), keep the
        survivors among them, and return how many rows were validated."""
        from .validation import validate_references, validate_table

        picked = np.flatnonzero(np.isin(self.bounds, days))
        self.days = self.days[~np.isin(self.days, days)]
        rows = picked
        if self.keys is not None:
            rows = self.reader.key_mates(self.keys, picked)
        frame = self.reader.read_rows(rows)
        result, _problems = validate_table(TABLES[self.name], frame, self.label, self.stages)
        if result is None:
            return len(rows)
        references = {"opportunities": self.opportunities} if TABLES[self.name].refs else {}
        if references:
            validate_references({**references, self.name: result})
        survivors = result.data[np.isin(rows[result.data.index.to_numpy()], picked)]
        self.kept.append(survivors.drop(columns="_row", errors="ignore").reset_index(drop=True))
        return len(rows)


def _header(name) -> str:
    """A column name as validation reads it (trimmed, without a byte-order mark)."""
    return str(name).strip().lstrip("\ufeff")


class _Rows:
    """The rows of one table file, read as the folder reader reads them (:func:`quotabook.sources.read_folder`):
    a CSV file or small Parquet file as pandas reads it whole, a large activity table as the batches of its
    on-disk validation (:mod:`quotabook.chunked`)."""

    name: str
    path: Path
    rows: int
    columns: dict[str, str]  # column as validation names it -> column in the file

    @staticmethod
    def open(name: str, path: Path) -> _Rows:
        from .sources.folder import ON_DISK, kept_on_disk

        if path.name.lower().endswith(".parquet"):
            if name in ON_DISK and kept_on_disk(path):
                return _OnDisk(name, path)
            return _Parquet(name, path)
        return _Csv(name, path)

    def _map_columns(self, names: list) -> dict[str, str]:
        mapped = {}
        for raw in names:
            if _header(raw) in mapped:
                raise _FullLoad(f"{self.path}: two columns named {_header(raw)!r} once trimmed")
            mapped[_header(raw)] = raw
        return mapped

    def read_columns(self, columns: list[str]):
        """(0-based rows, frame of ``columns`` for those rows) for every part of the file."""
        raise NotImplementedError

    def read_rows(self, rows: np.ndarray) -> pd.DataFrame:
        """The rows at the 0-based positions ``rows`` (ascending), every column, as the reader gives them."""
        raise NotImplementedError

    def canonical_keys(self, spec) -> pd.Series | None:
        """Each row's key as validation compares it (coerced, Unicode NFC)."""
        from .validation.coercion import coerce_column, to_nfc

        (key,) = spec.key
        ((_rows, frame),) = self.read_columns([key])  # a file read whole: one part, every row in order
        values = frame[key].reset_index(drop=True)
        coerced, _failed, _reason = coerce_column(values, spec.column(key))
        frame = pd.DataFrame({key: coerced})
        to_nfc(frame, key, str(self.path))
        return frame[key]

    def key_mates(self, keys: pd.Series, picked: np.ndarray) -> np.ndarray:
        """``picked`` and every row whose key equals the key of one of them, in file order."""
        wanted = keys.iloc[picked].dropna()
        if not len(wanted):
            return picked
        mates = np.flatnonzero(np.asarray(is_in(keys, set(wanted)), dtype=bool))
        return np.union1d(picked, mates)


class _Csv(_Rows):
    def __init__(self, name: str, path: Path) -> None:
        from .validation import read_table_file

        spec = TABLES[name]
        known = [*spec.required_columns, *(c.name for c in spec.columns if not c.required)]
        try:
            self.frame, malformed = read_table_file(path, known)
        except Exception as exc:  # an unreadable file: the full load says what is wrong with it
            raise _FullLoad(f"{path}: {exc}") from None
        if malformed:
            raise _FullLoad(f"{path}: rows that could not be split into fields")
        self.name, self.path, self.rows = name, path, len(self.frame)
        self.columns = self._map_columns(list(self.frame.columns))

    def read_columns(self, columns: list[str]):
        yield np.arange(self.rows), pd.DataFrame({c: self.frame[self.columns[c]] for c in columns})

    def read_rows(self, rows: np.ndarray) -> pd.DataFrame:
        return self.frame.iloc[rows].reset_index(drop=True)


class _Parquet(_Rows):
    """A Parquet file read whole by the folder reader (``pandas.read_parquet``)."""

    def __init__(self, name: str, path: Path) -> None:
        try:
            self.file = pq.ParquetFile(path)
        except Exception as exc:
            raise _FullLoad(f"{path}: {exc}") from None
        self.name, self.path, self.rows = name, path, self.file.metadata.num_rows
        self.columns = self._map_columns(self.file.schema_arrow.names)

    def read_columns(self, columns: list[str]):
        frame = pd.read_parquet(self.path, columns=[self.columns[c] for c in columns])
        yield np.arange(self.rows), frame.rename(columns={self.columns[c]: c for c in columns})

    def read_rows(self, rows: np.ndarray) -> pd.DataFrame:
        """The rows read from the row groups holding them, then converted by ``pandas.read_parquet`` itself
        (written back to an in-memory Parquet file with the file's own schema), so each value is what reading
        the whole file gives."""
        meta = self.file.metadata
        ends = np.cumsum([meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
        groups = np.unique(np.searchsorted(ends, rows, side="right"))
        starts = np.concatenate([[0], ends[:-1]])
        table = self.file.read_row_groups(groups.tolist()) if len(groups) else self.file.schema_arrow.empty_table()
        offset = np.concatenate([[0], np.cumsum(ends[groups] - starts[groups])[:-1]]) if len(groups) else []
        local = np.concatenate([rows[(rows >= starts[g]) & (rows < ends[g])] - starts[g] + off
                                for g, off in zip(groups, offset, strict=True)]) if len(groups) else rows
        buffer = io.BytesIO()
        pq.write_table(table.take(pa.array(local, pa.int64())), buffer)
        buffer.seek(0)
        return pd.read_parquet(buffer).reset_index(drop=True)


class _OnDisk(_Rows):
    """A large activity table the folder reader leaves on disk: read in DuckDB batches
    (:func:`quotabook.sources.parquet_scan.scan`) as its on-disk validation reads it."""

    def __init__(self, name: str, path: Path) -> None:
        self.name, self.path, self.rows = name, path, pq.ParquetFile(path).metadata.num_rows
        self.columns = self._map_columns(pq.read_schema(path).names)

    def read_columns(self, columns: list[str]):
        from .sources.parquet_scan import scan

        for table, rows in scan(self.path, columns=[self.columns[c] for c in columns]):
            yield rows, table.to_pandas().rename(columns={self.columns[c]: c for c in columns})

    def read_rows(self, rows: np.ndarray) -> pd.DataFrame:
        from .sources.parquet_scan import ROW_IN_FILE, scan

        picked = pa.table({"r": pa.array(rows, pa.int64())})
        parts = list(scan(self.path, f"{ROW_IN_FILE} IN (SELECT r FROM picked)", {"picked": picked}))
        if not parts:
            return pq.read_schema(self.path).empty_table().to_pandas()
        order = np.argsort(np.concatenate([r for _, r in parts]), kind="stable")
        return pa.concat_tables([t for t, _ in parts]).take(pa.array(order)).to_pandas()

    def canonical_keys(self, spec) -> pd.Series | None:
        """Nothing to hold when ids compare as plain text: every id printable ASCII without spaces, so trimming,
        Unicode forms and the batches of the on-disk validation (ids repeated across batches are checked
        together) change nothing. Other ids are left to the full load."""
        from .sources.parquet_scan import connect

        column = self._key_column(spec)
        con = connect()
        try:
            odd = con.sql(f"SELECT count(*) FROM {self._file()} WHERE {column} IS NOT NULL AND NOT "
                          f"regexp_full_match(CAST({column} AS VARCHAR), '[!-~]+')").fetchall()[0][0]
        finally:
            con.close()
        if odd:
            raise _FullLoad(f"{self.path}: {odd:,} ids that are not plain printable ASCII")
        return pd.Series([], dtype="str")

    def _file(self) -> str:
        return "read_parquet('" + str(self.path).replace("'", "''") + "', file_row_number=true)"

    def _key_column(self, spec) -> str:
        (key,) = spec.key
        return "CAST(" + '"' + self.columns[key].replace('"', '""') + '"' + " AS VARCHAR)"

    def key_mates(self, keys: pd.Series, picked: np.ndarray) -> np.ndarray:
        """``picked`` and every row sharing an id with one of them (ids compare as plain text here)."""
        from .sources.parquet_scan import ROW_IN_FILE, connect

        if not len(picked):
            return picked
        column = self._key_column(TABLES[self.name])
        con = connect({"picked": pa.table({"r": pa.array(picked, pa.int64())})})
        try:
            sql = (f"WITH mine AS (SELECT {column} AS k FROM {self._file()} WHERE {ROW_IN_FILE} IN "
                   f"(SELECT r FROM picked) AND {column} IS NOT NULL) SELECT {ROW_IN_FILE} FROM {self._file()} "
                   f"WHERE {column} IN (SELECT k FROM mine)")
            mates = con.sql(sql).fetchnumpy()[ROW_IN_FILE].astype("int64")
        finally:
            con.close()
        return np.union1d(picked, mates)
