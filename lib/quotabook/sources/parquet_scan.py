"""Reading Parquet files in parts: the rows a filter keeps, in batches, each with its row number in the file.

A region's run reads only its rows (``WHERE territory IN ...``: DuckDB skips the row groups and rows it does not
need), and a table too large for memory is read a batch at a time. Either way every row keeps its 1-based row
number in the file, so a problem found in it is reported at the row a user can find.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["LIMIT_ENV", "ROW_IN_FILE", "arrow_reader", "arrow_table", "connect", "in_memory_limit", "parquet_rows",
           "scan", "scan_frame"]

#: Environment variable: the largest activity table (rows) loaded into pandas; larger Parquet tables stay on disk.
LIMIT_ENV = "QUOTABOOK_ACTIVITIES_IN_MEMORY"
_DEFAULT_LIMIT = 2_000_000


def in_memory_limit() -> int:
    """Rows of activities above which a Parquet activity table is kept on disk and queried with DuckDB
    (``$QUOTABOOK_ACTIVITIES_IN_MEMORY``, default 2,000,000: about 250 MB in pandas)."""
    text = os.environ.get(LIMIT_ENV, "").strip().replace("_", "").replace(",", "")
    return int(text) if text.isdigit() else _DEFAULT_LIMIT


#: The most memory one DuckDB query of quotabook's may hold before it spills to disk.
_DUCKDB_MEMORY = "1GB"

#: Column holding each row's 0-based position in its file, as DuckDB numbers it (``file_row_number``).
ROW_IN_FILE = "file_row_number"


def parquet_rows(path: Path) -> int:
    """Rows in a Parquet file, from its footer (nothing else is read)."""
    return pq.ParquetFile(path).metadata.num_rows


def arrow_table(result) -> pa.Table:
    """A DuckDB relation as one Arrow table (DuckDB 2 calls it ``to_arrow_table``, 1.x ``arrow``)."""
    fetch = getattr(result, "to_arrow_table", None) or result.arrow
    return fetch()


def arrow_reader(result, rows: int):
    """A DuckDB relation as Arrow record batches of ``rows`` rows, read as they are consumed."""
    fetch = getattr(result, "to_arrow_reader", None) or result.fetch_arrow_reader
    return fetch(rows)


def connect(tables: Mapping[str, pa.Table] | None = None):
    """An in-memory DuckDB connection with the Arrow ``tables`` registered by name, printing nothing (DuckDB's
    progress bar would land in a notebook's output)."""
    import duckdb  # deferred: only filtered and chunked reads need it

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    # DuckDB would otherwise take up to 80% of the machine's memory for its buffers; past this it spills to
    # the system's temporary folder (a region's filters over a 65-million-row file peaked at 5.4 GB without it).
    con.execute(f"SET memory_limit = '{_DUCKDB_MEMORY}'")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/quotabook-duckdb-{os.getpid()}'")  # one per process
    tables = tables or {}
    for name, table in tables.items():
        con.register(name, table)
    return con


def scan(path: Path, where: str = "TRUE", tables: Mapping[str, pa.Table] | None = None, *,
         batch_rows: int = 1_000_000, columns: list[str] | None = None) -> Iterator[tuple[pa.Table, np.ndarray]]:
    """Batches of the rows of ``path`` that ``where`` (SQL over the file's columns and the Arrow ``tables``
    registered by name) keeps, each as (table with the file's own column types, 0-based row numbers)."""
    schema = pq.read_schema(path)
    wanted = [f.name for f in schema if columns is None or f.name in columns]
    select = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
    literal = str(path).replace("'", "''")
    con = connect(tables)
    try:
        reader = arrow_reader(con.sql(f"SELECT {select}, {ROW_IN_FILE} FROM read_parquet('{literal}', "
                                          f"file_row_number=true) x WHERE {where}"), batch_rows)
        target = pa.schema([schema.field(c) for c in wanted])
        for batch in reader:
            table = pa.Table.from_batches([batch])
            rows = table.column(ROW_IN_FILE).to_numpy().astype("int64")
            yield table.drop_columns([ROW_IN_FILE]).cast(target), rows
    finally:
        con.close()


def scan_frame(path: Path, where: str = "TRUE", tables: Mapping[str, pa.Table] | None = None, *,
               columns: list[str] | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """All rows of ``path`` that ``where`` keeps, as one frame (read as ``pandas.read_parquet`` reads them) with
    their 0-based row numbers in the file."""
    parts = list(scan(path, where, tables, columns=columns))
    if not parts:
        schema = pq.read_schema(path)
        empty = schema.empty_table() if columns is None else schema.empty_table().select(
            [c for c in schema.names if c in columns])
        return empty.to_pandas(), np.empty(0, dtype="int64")
    table = pa.concat_tables([t for t, _ in parts])
    return table.to_pandas(), np.concatenate([r for _, r in parts])
