"""A folder of canonical table files (``opportunities.parquet`` or ``.csv``, ...), read as they are."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UnreadableFileError
from ..schemas import TABLES, Reason
from ..validation import file_problem, read_table_file
from .base import RawSource
from .convert import ROW

__all__ = ["EXTENSIONS", "find_table_files", "malformed_problems", "read_folder"]

EXTENSIONS = (".parquet", ".csv", ".csv.gz")


def find_table_files(folder: Path) -> dict[str, Path]:
    """The file for each canonical table present in ``folder`` (Parquet preferred over CSV)."""
    found: dict[str, Path] = {}
    for name in TABLES:
        for ext in EXTENSIONS:
            path = folder / f"{name}{ext}"
            if path.is_file():
                found[name] = path
                break
    return found


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


def read_folder(folder: Path, label: str | None = None) -> RawSource:
    """Read every table file of ``folder``; unreadable files and missing required tables are problems."""
    files = find_table_files(folder)
    raw = RawSource(label=label or str(folder))
    for name, path in files.items():
        spec = TABLES[name]
        known = [*spec.required_columns, *(c.name for c in spec.columns if not c.required)]
        try:
            frame, malformed = read_table_file(path, known)
        except UnreadableFileError as exc:
            raw.problems.append(file_problem(name, str(path), exc.reason, str(exc)))
            continue
        except Exception as exc:  # any other reader failure becomes a named, file-level problem
            raw.problems.append(file_problem(name, str(path), Reason.UNREADABLE_FILE.value,
                                             f"cannot read the file: {type(exc).__name__}: {exc}"))
            continue
        raw.problems += malformed_problems(name, str(path), frame, malformed)
        raw.tables[name] = (frame, str(path))
    for name, table in TABLES.items():
        if table.required_table and name not in files:
            raw.problems.append(file_problem(name, str(folder / f"{name}.parquet|.csv"), "missing_table",
                                             f"required table {name!r} not found in {folder}"))
    return raw
