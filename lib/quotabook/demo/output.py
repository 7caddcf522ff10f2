"""Write the demo tables to disk as Parquet or CSV, byte-for-byte reproducible.

One format per folder: a folder holding ``opportunities.csv`` and ``opportunities.parquet`` is refused
when loaded (which one is current cannot be told), so writing a table removes its file in the other format.

Parquet is written with pyarrow from a table without the pandas index; no timestamps or host details
enter the file, so the same tables always give the same bytes. CSV uses ISO dates (``YYYY-MM-DD``),
ISO timestamps (``YYYY-MM-DDTHH:MM:SS``), ``true``/``false`` and empty cells for missing values, the
shapes the CSV source adapter reads back.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..grammar import noun
from ..schemas import TABLE_EXTENSIONS, TABLES

__all__ = ["FORMATS", "write"]

FORMATS = ("parquet", "csv")


def write(
    tables: Mapping[str, pd.DataFrame], folder: str | os.PathLike, formats: Iterable[str] = ("parquet",)
) -> list[Path]:
    """Write each table as ``<folder>/<table>.parquet`` or, with ``formats=("csv",)``, ``<table>.csv``.

    Files are written to a temporary name and renamed, so a reader never sees half a file. The table's file
    in another format (``.parquet``, ``.csv``, ``.csv.gz``), if the folder holds one, is removed: the folder
    keeps one file per table.

    Returns
    -------
    list[pathlib.Path]
        The files written, table by table in the order given.

    Raises
    ------
    ValueError
        A format other than ``parquet`` or ``csv`` was asked for, or both at once (write each format to
        its own folder).
    """
    formats = tuple(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown {noun('format', len(unknown))} {', '.join(unknown)}; "
                         f"choose from {', '.join(FORMATS)}")
    if len(set(formats)) != 1:
        raise ValueError(f"write one format per folder, got {', '.join(formats) or 'none'}: a folder holding a "
                         "table as both CSV and Parquet is refused when loaded")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in tables.items():
        for fmt in FORMATS:
            if fmt not in formats:
                continue
            path = out / f"{name}.{fmt}"
            tmp = path.with_name(f".{path.name}.tmp")
            if fmt == "parquet":
                pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp, compression="zstd")
            else:
                _csv_frame(name, df).to_csv(tmp, index=False, lineterminator="\n", float_format="%.15g")
            tmp.replace(path)
            written.append(path)
            for ext in TABLE_EXTENSIONS:
                other = out / f"{name}{ext}"
                if other != path and other.is_file():
                    other.unlink()
    return written


def _csv_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """The table with dates, timestamps and booleans rendered as the CSV text described above."""
    kinds = {c.name: c.kind for c in TABLES[name].columns} if name in TABLES else {}
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            values = s.to_numpy().astype("datetime64[s]")
            whole_days = kinds.get(col) == "date" or (
                kinds.get(col) is None and bool((values[~np.isnat(values)].astype("datetime64[D]")
                                                 == values[~np.isnat(values)]).all())
            )
            text = np.datetime_as_string(values, unit="D" if whole_days else "s")
            out[col] = pd.array(np.where(np.isnat(values), None, text), dtype="str")
        elif pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: "true", False: "false"}).astype("str")
    return out
