"""A folder of canonical table files (``opportunities.parquet`` or ``.csv``, ...), read as they are."""

from __future__ import annotations

from pathlib import Path

from ..schemas import TABLES, Reason
from ..validation import file_problem, read_table_file
from .base import RawSource

__all__ = ["EXTENSIONS", "find_table_files", "read_folder"]

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


def read_folder(folder: Path, label: str | None = None) -> RawSource:
    """Read every table file of ``folder``; unreadable files and missing required tables are problems."""
    files = find_table_files(folder)
    raw = RawSource(label=label or str(folder))
    for name, path in files.items():
        try:
            raw.tables[name] = (read_table_file(path), str(path))
        except Exception as exc:  # any reader failure becomes a named, file-level problem
            raw.problems.append(file_problem(name, str(path), Reason.UNREADABLE_FILE.value,
                                             f"cannot read the file: {type(exc).__name__}: {exc}"))
    for name, spec in TABLES.items():
        if spec.required_table and name not in files:
            raw.problems.append(file_problem(name, str(folder / f"{name}.parquet|.csv"), "missing_table",
                                             f"required table {name!r} not found in {folder}"))
    return raw
