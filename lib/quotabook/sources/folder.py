"""A folder of canonical table files (``opportunities.parquet`` or ``.csv``, ...), read as they are.

One file per table: a folder holding both ``opportunities.csv`` and ``opportunities.parquet`` is an error
naming both, never a silent choice (an edit to the file not chosen would be ignored)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import SourceError, UnreadableFileError
from ..schemas import TABLE_EXTENSIONS as EXTENSIONS
from ..schemas import TABLES, Reason
from ..validation import file_problem, read_table_file
from .base import RawSource
from .convert import ROW
from .parquet_scan import scan_frame

__all__ = ["EXTENSIONS", "find_table_files", "kept_on_disk", "malformed_problems", "read_folder", "table_files",
           "two_files_message"]



def table_files(folder: Path) -> dict[str, list[Path]]:
    """Every file of each canonical table present in ``folder`` (``opportunities.parquet``, ``.csv``,
    ``.csv.gz``), in the order of :data:`EXTENSIONS`; more than one is an error for the caller to report."""
    found: dict[str, list[Path]] = {}
    for name in TABLES:
        paths = [folder / f"{name}{ext}" for ext in EXTENSIONS if (folder / f"{name}{ext}").is_file()]
        if paths:
            found[name] = paths
    return found


def two_files_message(name: str, paths: list[Path]) -> str:
    """Why a table given by several files is not read: which one is current cannot be told."""
    shown = " and ".join(p.name for p in paths)
    return (f"table {name!r} is in {len(paths)} files, {shown}: quotabook cannot tell which one is current "
            "(an edit to one would be ignored); keep one of them in the folder")


def find_table_files(folder: Path) -> dict[str, Path]:
    """The file of each canonical table present in ``folder``.

    Raises
    ------
    SourceError
        A table is in more than one file (``opportunities.csv`` and ``opportunities.parquet``); the message
        names both.
    """
    found = table_files(folder)
    for name, paths in found.items():
        if len(paths) > 1:
            raise SourceError(f"{folder}: {two_files_message(name, paths)}")
    return {name: paths[0] for name, paths in found.items()}


def malformed_problems(table: str, file: str, frame: pd.DataFrame, malformed: dict[int, str], *,
                       mark: bool = True) -> list[dict]:
    """Row problems for the rows a reader could not split into fields; ``mark`` numbers ``frame``'s rows
    (the ``_row`` column) so loading can set exactly those rows aside (mapped exports number theirs later)."""
    if not malformed:
        return []
    if mark and ROW not in frame:
        frame[ROW] = range(1, len(frame) + 1)
    return [{"table": table, "file": file, "row": pos + 1, "column": None, "reason": Reason.MALFORMED_ROW.value,
             "value": None, "message": why} for pos, why in sorted(malformed.items())]


#: Tables that can stay on disk when too large for memory (see :mod:`quotabook.activities`).
ON_DISK = ("activities",)


def kept_on_disk(path: Path) -> bool:
    """A Parquet file of more rows than :func:`quotabook.activities.in_memory_limit` (a CSV is read whole)."""
    from .parquet_scan import in_memory_limit, parquet_rows

    if not path.name.lower().endswith(".parquet"):
        return False
    try:
        return parquet_rows(path) > in_memory_limit()
    except Exception:  # an unreadable footer: the ordinary reader says what is wrong with the file
        return False


def _region_pushdown(files: dict[str, list[Path]], region: str | None) -> dict[str, str]:
    """The condition keeping each table's rows of ``region`` (:func:`quotabook.sources.sql.region_conditions`
    over the Parquet files), when every table is one Parquet file; else {} (CSV files are read whole and
    the dataset is sliced after validation)."""
    if region is None or "territories" not in files or "opportunities" not in files:
        return {}
    if any(len(p) != 1 or not p[0].name.lower().endswith(".parquet") for p in files.values()):
        return {}
    from .sql import REGION_PARAM, region_conditions

    selects = {name: "SELECT * FROM read_parquet('" + str(paths[0]).replace("'", "''") + "')"
               for name, paths in files.items()}
    literal = "'" + str(region).replace("'", "''") + "'"
    return {name: cond.replace(f":{REGION_PARAM}", literal) for name, cond in region_conditions(selects).items()}


def _outside_deals(files: dict[str, list[Path]], region: str) -> frozenset:
    """The ids of the deals outside ``region`` that its activities are on (:func:`quotabook.sources.sql.
    outside_deals_sql` over the Parquet files), for validation of a region read in part."""
    from .parquet_scan import connect
    from .sql import REGION_PARAM, outside_deals_sql

    selects = {name: "SELECT * FROM read_parquet('" + str(paths[0]).replace("'", "''") + "')"
               for name, paths in files.items()}
    sql = outside_deals_sql(selects)
    if sql is None:
        return frozenset()
    con = connect()
    try:
        rows = con.execute(sql.replace(f":{REGION_PARAM}", f"${REGION_PARAM}"), {REGION_PARAM: str(region)}).fetchall()
    finally:
        con.close()
    return frozenset(str(v).strip() for (v,) in rows)


def _unplaced_leads(files: dict[str, list[Path]]) -> tuple[tuple[int, int], ...]:
    """The leads of the whole folder no owner places in a territory, per created day (days since 1970-01-01,
    count), as :data:`quotabook.dataset.UNASSIGNED_LEADS` keeps them: a region read in part still says how many
    leads no region holds."""
    from .parquet_scan import connect

    def parquet(name: str) -> str:
        return "read_parquet('" + str(files[name][0]).replace("'", "''") + "')"

    sql = (f"SELECT CAST(TRY_CAST(created_date AS DATE) - DATE '1970-01-01' AS BIGINT) AS d, count(*) AS n "
           f"FROM {parquet('leads')} WHERE TRY_CAST(created_date AS DATE) IS NOT NULL AND (owner IS NULL OR owner "
           f"NOT IN (SELECT owner FROM {parquet('territories')} WHERE owner IS NOT NULL AND territory IS NOT NULL "
           f"UNION SELECT owner FROM {parquet('opportunities')} WHERE owner IS NOT NULL AND territory IS NOT NULL))"
           f" GROUP BY 1 ORDER BY 1")
    con = connect()
    try:
        return tuple((int(d), int(n)) for d, n in con.sql(sql).fetchall())
    finally:
        con.close()


def read_folder(folder: Path, label: str | None = None, region: str | None = None,
                only: tuple[str, ...] | None = None) -> RawSource:
    """Read every table file of ``folder``; unreadable files and missing required tables are problems.

    With ``region``, a folder of Parquet files is read in part: only the region's rows of each table (the
    rules of :meth:`quotabook.Dataset.for_region`, applied by DuckDB as a database applies them), each table's
    origin saying so, so its counts are those of the region's rows. As for a database, the rules see the rows
    before validation: the activities and leads of a rep who owns no territory go with their latest deal even
    when validation rejects that deal (read whole, with their latest valid deal). ``only`` reads just those
    tables (the regions of a folder are in its territories file: a million deals need not be read to list
    them)."""
    files = {n: p for n, p in table_files(folder).items() if only is None or n in only}
    raw = RawSource(label=label or str(folder))
    raw.where = _region_pushdown(files, region)
    if raw.where and "leads" in files:
        raw.unplaced_leads = _unplaced_leads(files)
    if raw.where:
        raw.outside_ids = {"opportunities": _outside_deals(files, region)}
    for name, paths in files.items():
        if len(paths) > 1:
            hint = " (the demo: run `quotabook demo` to write it afresh)" if label == "demo" else ""
            raw.problems.append(file_problem(name, " and ".join(str(p) for p in paths), Reason.AMBIGUOUS_FILE.value,
                                             two_files_message(name, paths) + hint))
            continue
        path = paths[0]
        origin = str(path) if name not in raw.where else f"{path} (the rows of region {region})"
        if name in ON_DISK and kept_on_disk(path):
            raw.deferred[name] = (path, origin)
            continue
        spec = TABLES[name]
        known = [*spec.required_columns, *(c.name for c in spec.columns if not c.required)]
        try:
            if name in raw.where:
                if path.stat().st_size == 0:
                    raise UnreadableFileError("the file is empty (0 bytes)", Reason.EMPTY_FILE.value)
                frame, raw.file_rows[name] = scan_frame(path, raw.where[name])
                malformed = {}
            else:
                frame, malformed = read_table_file(path, known)
        except UnreadableFileError as exc:
            raw.problems.append(file_problem(name, str(path), exc.reason, str(exc)))
            continue
        except Exception as exc:  # any other reader failure becomes a named, file-level problem
            raw.problems.append(file_problem(name, str(path), Reason.UNREADABLE_FILE.value,
                                             f"cannot read the file: {type(exc).__name__}: {exc}"))
            continue
        raw.problems += malformed_problems(name, str(path), frame, malformed)
        raw.tables[name] = (frame, origin)
    for name, table in TABLES.items():
        if table.required_table and name not in files and (only is None or name in only):
            raw.problems.append(file_problem(name, str(folder / f"{name}.parquet|.csv"), "missing_table",
                                             f"required table {name!r} not found in {folder}"))
    return raw
