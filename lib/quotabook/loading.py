"""``quotabook.load``: from a source (a folder, a mapping YAML, a database or the demo) to a validated Dataset.

Reading is :func:`quotabook.sources.read_raw`'s job; this module validates and builds the Dataset.
A folder holds one file per table, named for it: ``opportunities.parquet`` or ``opportunities.csv``
(``.csv.gz`` too); a table in two files is an error naming both. ``opportunities`` and ``territories``
are required; the other tables are optional and metrics that need them say so. Rows kept although
incomplete (open deals with blanks, activities of a rejected deal, cells a mapping filled) are said once
in a data note (:mod:`quotabook.kept`).
"""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .activities import ActivityStore
from .cache import cached
from .dataset import UNASSIGNED_LEADS, Dataset, with_canonical_columns
from .demo_home import DEMO, demo_folder, ensure_demo
from .errors import DataQualityWarning, DataValidationError
from .fiscal import iso_date
from .grammar import count_of
from .kept import kept_notes
from .schemas import ROW, TABLES, Reason
from .settings import Settings, load_settings
from .sources import read_raw
from .sources.folder import find_table_files as _find_table_files
from .validation import REJECT_COLUMNS, ValidationReport, validate_references, validate_tables

__all__ = ["DEMO", "demo_folder", "ensure_demo", "find_table_files", "hand_back_memory", "load", "validate_source",
           "validated_part"]



def find_table_files(folder: Path) -> dict[str, Path]:
    """The file of each canonical table present in ``folder``; SourceError when a table is in two files."""
    return _find_table_files(Path(folder))


def validate_source(source: str | os.PathLike | None = None, *, settings: Settings | None = None,
                    region: str | None = None, keep_raw: bool = False
                    ) -> tuple[ValidationReport, dict[str, pd.DataFrame]]:
    """Read and validate every table of ``source`` (folder, mapping YAML, database or demo) without
    building a Dataset.

    Returns the report and the usable tables. Unreadable files and rows a mapping could not convert
    are reported, not raised. ``region`` reaches SQL sources, which read only that region's rows.
    ``keep_raw`` keeps the rows as read in the report, for its rejects file (``report.rejected_rows()``).
    """
    report, tables, _ = _read_and_validate(source, settings or load_settings(), region, keep_raw)
    return report, tables


def validated_part(source: str | os.PathLike | None, settings: Settings, tables: tuple[str, ...]
                   ) -> ValidationReport:
    """Read and validate only ``tables`` of a folder source, each exactly as :func:`load` validates it when the
    tables it refers to are among them (territories and opportunities: what a source's latest date needs whole,
    see :mod:`quotabook.latest_date`)."""
    report, _tables, _stores = _read_and_validate(source, settings, None, only=tables)
    return report


def _read_and_validate(source, settings: Settings, region: str | None, keep_raw: bool = False,
                       only: tuple[str, ...] | None = None
                       ) -> tuple[ValidationReport, dict[str, pd.DataFrame], dict[str, ActivityStore]]:
    """:func:`validate_source`, and the stores of the tables validated on disk (too large for memory)."""
    raw = read_raw(source, settings, region=region, only=only)
    file_level = [p for p in raw.problems if p.get("row") is None]
    row_level = [p for p in raw.problems if p.get("row") is not None]
    report = validate_tables(raw.tables, settings.stage_names, keep_raw=keep_raw, outside=raw.outside_ids)
    # A mapping that already named a missing export column (or the wrong delimiter) says it better than the
    # canonical column names do: validation's own record of the same trouble goes.
    said = {(p["table"], p["reason"]) for p in file_level}
    said |= {(t, Reason.MISSING_COLUMN.value) for t, r in said if r == Reason.WRONG_DELIMITER.value}
    report.file_problems = [p for p in report.file_problems if (p["table"], p["reason"]) not in said]
    report.file_problems[:0] = file_level
    _reword_whole_file_rejects(report, file_level)
    _set_aside(report, row_level)
    _rows_in_file(raw, report)
    stores = _validate_deferred(raw, report, settings)
    tables = {name: result.data for name, result in report.tables.items()}
    if raw.unplaced_leads is not None and "leads" in tables:
        tables["leads"].attrs[_UNPLACED] = raw.unplaced_leads
    return report, tables, stores


# Where a region read in part keeps the whole source's unplaced leads until the region slice is made.
_UNPLACED = "source_unplaced_leads"


def _rows_in_file(raw, report: ValidationReport) -> None:
    """For tables read in part (a region's rows), each reject's row as numbered in its file."""
    for name, rows in raw.file_rows.items():
        result = report.tables.get(name)
        if result is not None and len(result.rejects):
            at = result.rejects["row"].to_numpy(dtype="float64")
            known = ~np.isnan(at)
            fixed = at.copy()
            fixed[known] = rows[at[known].astype("int64") - 1] + 1
            result.rejects["row"] = pd.Series(fixed, index=result.rejects.index).astype(result.rejects["row"].dtype)


def _validate_deferred(raw, report: ValidationReport, settings: Settings) -> dict[str, ActivityStore]:
    """Validate the tables the reader left on disk, in batches, once the tables they refer to are validated."""
    from .chunked import validate_on_disk  # deferred: only large tables need DuckDB

    stores = {}
    for name, (path, label) in raw.deferred.items():
        targets = {t.split(".")[0] for t in TABLES[name].refs.values()}
        references = {t: report.tables[t] for t in targets if t in report.tables}
        result, stores[name], problems = validate_on_disk(name, path, label, references, settings.stage_names,
                                                          where=raw.where.get(name, "TRUE"))
        report.tables[name] = result
        report.file_problems.extend(problems)
    report.tables = {n: report.tables[n] for n in [*TABLES, *report.tables] if n in report.tables}
    return stores


def _reword_whole_file_rejects(report: ValidationReport, file_level: list[dict]) -> None:
    """When a reader said why a whole file is unusable (wrong delimiter, a missing export column), every
    row rejected for it carries the reader's reason and message rather than the canonical column names."""
    whole = (Reason.WRONG_DELIMITER.value, Reason.MISSING_COLUMN.value)
    for problem in file_level:
        result = report.tables.get(problem["table"])
        if result is None or problem["reason"] not in whole or result.used or result.rejects.empty:
            continue
        mask = result.rejects["reason"].isin(whole)
        result.rejects.loc[mask, "reason"] = problem["reason"]
        result.rejects.loc[mask, "message"] = problem["message"]
        result.rejects.loc[mask, "column"] = problem["column"]


def _set_aside(report: ValidationReport, problems: list[dict]) -> None:
    """Set aside the rows a source reader could not convert (unknown stage, bad amount, unknown currency).

    Their reject replaces validation's own record for the same cell (it names the mapping), and rows
    referring to a deal set aside here go too, so rows read = rows used + rows rejected still holds.
    """
    for name, result in report.tables.items():
        mine = [p for p in problems if p["table"] == name]
        if mine and ROW in result.data:
            ours = pd.DataFrame(mine, columns=REJECT_COLUMNS)
            cells = set(zip(ours["row"], ours["column"], strict=True))
            # A row the reader could not split at all (column None) has no other problem worth listing.
            whole = set(ours.loc[ours["column"].isna(), "row"])
            echo = [(r, c) in cells or r in whole
                    for r, c in zip(result.rejects["row"], result.rejects["column"], strict=True)]
            kept = result.rejects[[not e for e in echo]]
            result.rejects = pd.concat([f for f in (kept, ours) if len(f)], ignore_index=True) \
                .sort_values("row", kind="stable").reset_index(drop=True)
            result.data = result.data[~result.data[ROW].isin(ours["row"])]
            result.rejected_rows = result.read - len(result.data)
    if problems:
        validate_references(report.tables)
    for result in report.tables.values():
        result.data = result.data.drop(columns=[ROW], errors="ignore").reset_index(drop=True)


def load(source: str | os.PathLike | None = None, *, region: str | None = None, as_of=None,
         settings: Settings | None = None, strict: bool = False) -> Dataset:
    """Load, validate and return the dataset.

    Parameters
    ----------
    source : folder path, mapping YAML (``params/sources/salesforce.yaml``), ``duckdb:///file.db`` or
        ``env:VARNAME``, or ``"demo"`` / None for the built-in demo district (generated on first use).
    region : a region name exactly as in the data, or None (:data:`quotabook.ALL_REGIONS`) for the whole district.
    as_of : a date (or ISO text, ``2026-09-15``); the dataset as it stood at the end of that day (see
        :meth:`Dataset.as_of`). None: the data as it stands, as of its latest dated event.
    settings : workbook settings; by default ``params/workbook.yaml`` (see :mod:`quotabook.settings`).
    strict : raise instead of warning when any row was rejected.

    Raises
    ------
    SourceError
        The source cannot be found or read.
    DataValidationError
        A required table is missing or unusable, or (``strict``) any row was rejected.
    ConfigError
        ``as_of`` is not a date or ISO date text (``01/02/2026`` is refused: January or February?).
    """
    day = None if as_of is None else iso_date(as_of)  # before any reading: a bad date fails at once
    settings = settings or load_settings()
    # In a pack, each region's validated slice is built once and shared by its notebooks (quotabook.cache).
    ds = cached(source, region, settings, lambda: _validated(source, region, settings))
    report = ds.report
    if not report.ok:
        counts = report.counts().set_index("table").to_dict("index")
        if strict:
            raise DataValidationError(f"rejected rows:\n{report.summary()}", report.rejects.to_dict("records"),
                                      counts)
        n = len(report.rejects)
        warnings.warn(f"{count_of(n, 'problem')} in {source or DEMO}; affected rows are set aside in dataset.rejects",
                      DataQualityWarning, stacklevel=2)
    for note in report.notes:  # e.g. two Unicode spellings of one region, read as one
        warnings.warn(note, DataQualityWarning, stacklevel=2)
    if day is not None:
        ds = ds.as_of(day)
    for note in kept_notes(ds):  # rows kept although incomplete: said once, in the reader's words
        warnings.warn(note, DataQualityWarning, stacklevel=2)
    return ds


def _validated(source: str | os.PathLike | None, region: str | None, settings: Settings) -> Dataset:
    """Read and validate ``source`` (raising when a required table is unusable) and slice ``region``."""
    report, tables, stores = _read_and_validate(source, settings, region)
    report.raise_if_unusable()
    frames = {name: with_canonical_columns(name, tables.get(name)) for name in TABLES}
    present = frozenset(n for n, t in tables.items() if t is not None)
    label = DEMO if source is None or str(source) == DEMO else str(source)
    present |= frozenset(stores)
    ds = Dataset(**frames, settings=settings, report=report, present=present, source=label,
                 activity_store=stores.get("activities"))
    ds = ds.for_region(region) if region is not None else ds
    if _UNPLACED in frames["leads"].attrs and region is not None:  # the district's count, not the slice's
        ds.leads.attrs[UNASSIGNED_LEADS] = frames["leads"].attrs[_UNPLACED]
    # Reading and validating leave freed Arrow buffers (raw columns, trimmed text) in Arrow's allocator,
    # which keeps them for reuse: hundreds of MB on a big organisation. Hand them back to the system.
    pa.default_memory_pool().release_unused()
    return ds


def hand_back_memory() -> None:
    """Hand the memory Arrow's allocator keeps for reuse back to the system: after a big dataset is dropped
    (a pack's planning reads the whole source only for its latest date), its text buffers would otherwise stay
    with the process, and with every worker forked from it (3.7 GB at a million deals)."""
    gc.collect()
    pa.default_memory_pool().release_unused()

