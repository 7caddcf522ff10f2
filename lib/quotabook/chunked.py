"""Validating a table too large for memory a batch at a time, into a Parquet file of its usable rows.

Each batch goes through the same checks as a table read whole (:func:`quotabook.validation.validate_table`,
then its references to the opportunities), and every problem is reported at its row in the file. Ids that
repeat in the file are found first with DuckDB and their rows checked together at the end, so a duplicate
split across two batches is caught as it would be in one table. The usable rows are written to a Parquet file
that :class:`quotabook.activities.ActivityStore` queries: the table is never held in pandas whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .activities import ActivityStore, store_folder
from .dataset import empty_table, is_in
from .schemas import TABLES
from .sources.parquet_scan import arrow_table, connect, scan
from .validation import DETACHED_COLUMNS, REJECT_COLUMNS, TableResult, validate_references, validate_table

__all__ = ["OnDiskResult", "validate_on_disk"]

@dataclass
class OnDiskResult(TableResult):
    """A table validated into a file: ``data`` is empty, ``kept`` counts the usable rows written."""

    kept: int = 0

    @property
    def used(self) -> int:
        return self.kept


_KINDS = {"date": pa.timestamp("ns"), "datetime": pa.timestamp("ns"), "number": pa.float64(), "bool": pa.bool_()}


def _duplicated(path: Path, key: str, where: str, tables: dict) -> pa.Array:
    """The values of ``key`` that may be on more than one row of the file (among the rows ``where`` keeps).

    Rows are grouped by a 128-bit hash of the key (MD5; DuckDB's own 64-bit ``hash`` gave 11.0 million values
    for 12.3 million distinct ids like ACT-0000001), not by the text (a hash table of millions of strings: a
    gigabyte at 12 million activities); the ids of the hashes seen twice are returned, a few rows.
    A hash shared by two different ids only sends their rows to be checked together, where they pass.
    """
    con = connect(tables)
    try:
        literal = str(path).replace("'", "''")
        value = "trim(CAST(" + '"' + key.replace('"', '""') + '"' + " AS VARCHAR))"
        rows = f"SELECT {value} AS v FROM read_parquet('{literal}') x WHERE {where} AND {value} IS NOT NULL"
        sql = (f"SELECT DISTINCT v FROM ({rows}) WHERE md5_number(v) IN (SELECT md5_number(v) AS h FROM ({rows}) "
               f"GROUP BY h HAVING count(*) > 1)")
        return arrow_table(con.sql(sql)).column("v").combine_chunks()
    finally:
        con.close()


class _Writer:
    """Usable rows of each batch appended to one Parquet file, in one schema."""

    def __init__(self, path: Path, name: str) -> None:
        self.path, self.name, self.writer, self.schema, self.rows = path, name, None, None, 0
        self.dtypes: dict[str, str] = {}

    def write(self, data: pd.DataFrame) -> None:
        if self.schema is None:
            kinds = {c.name: c.kind for c in TABLES[self.name].columns}
            fields = [pa.field(c, _KINDS.get(kinds[c], pa.large_string()) if c in kinds else
                               pa.Table.from_pandas(data[[c]], preserve_index=False).schema.field(c).type)
                      for c in data.columns]
            self.schema = pa.schema(fields)
            self.dtypes = {c: str(data[c].dtype) for c in data.columns}
            self.writer = pq.ParquetWriter(self.path, self.schema)
        frame = data.reindex(columns=self.schema.names)
        for col in frame.columns:
            if pa.types.is_timestamp(self.schema.field(col).type):
                frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        self.writer.write_table(pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False))
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is None:  # no usable row at all: an empty file of the canonical columns
            self.write(empty_table(self.name).astype({"activity_date": "datetime64[ns]"}, errors="ignore"))
        self.writer.close()


def validate_on_disk(name: str, path: Path, label: str, references: dict[str, TableResult], stages: list[str],
                     *, where: str = "TRUE", tables: dict | None = None, batch_rows: int = 1_000_000
                     ) -> tuple[TableResult, ActivityStore, list[dict]]:
    """Validate the rows of the Parquet file ``path`` that ``where`` keeps (all by default) in batches.

    Returns the table's result (its ``data`` empty: the usable rows are in the store's file; counts,
    rejects with their rows in the file, and detached references as for a table read whole), the
    :class:`ActivityStore` over the usable rows, and file-level problems (each once).
    """
    spec = TABLES[name]
    tables = tables or {}
    key = spec.key[0] if len(spec.key) == 1 else None
    repeated = _duplicated(path, key, where, tables) if key else pa.array([], pa.string())
    writer = _Writer(store_folder() / f"{name}.parquet", name)
    results: list[TableResult] = []
    problems: dict[str, dict] = {}
    held: list[tuple[pd.DataFrame, np.ndarray]] = []

    def check(frame: pd.DataFrame, rows: np.ndarray) -> None:
        result, found = validate_table(spec, frame, label, stages)
        for problem in found:
            problems.setdefault(problem["message"], problem)
        if result is None:
            return
        validate_references({**references, name: result})
        if len(result.rejects):  # positions in the batch -> rows in the file (1-based)
            at = result.rejects["row"].to_numpy(dtype="int64") - 1
            result.rejects["row"] = rows[at] + 1
        writer.write(result.data.reset_index(drop=True))
        # Not ``data.iloc[:0]``: an empty slice of Arrow text keeps the whole batch's buffers alive, and kept
        # once per batch that held every batch in memory (a million-deal organisation grew past 14 GB).
        result.data = empty_table(name)
        results.append(result)

    for table, rows in scan(path, where, tables, batch_rows=batch_rows):
        frame = table.to_pandas()
        if key and len(repeated) and key in frame:
            again = np.asarray(is_in(frame[key].astype("str").str.strip(), repeated.to_pylist()), dtype=bool)
            if again.any():
                held.append((frame[again], rows[again]))
                frame, rows = frame[~again].reset_index(drop=True), rows[~again]
        if len(frame):
            check(frame, rows)
    if held:  # the rows of repeated ids, together and in file order, as one table would have them
        frame = pd.concat([f for f, _ in held], ignore_index=True)
        rows = np.concatenate([r for _, r in held])
        order = np.argsort(rows, kind="stable")
        check(frame.iloc[order].reset_index(drop=True), rows[order])
    writer.close()
    rejects = [r.rejects for r in results if len(r.rejects)]
    detached = [r.detached for r in results if len(r.detached)]
    merged = OnDiskResult(
        name, label, empty_table(name),
        pd.concat(rejects, ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
        if rejects else pd.DataFrame(columns=REJECT_COLUMNS),
        read=sum(r.read for r in results), rejected_rows=sum(r.rejected_rows for r in results),
        detached=pd.concat(detached, ignore_index=True) if detached else pd.DataFrame(columns=DETACHED_COLUMNS),
        notes=tuple(dict.fromkeys(n for r in results for n in r.notes)), kept=writer.rows)
    columns = tuple(writer.schema.names)
    store = ActivityStore(writer.path, columns, tuple((c, writer.dtypes.get(c, "str")) for c in columns))
    return merged, store, list(problems.values())
