"""``quotabook.load``: from a folder of canonical CSV/Parquet files (or the demo) to a validated Dataset.

A folder holds one file per table, named for it: ``opportunities.parquet`` or ``opportunities.csv``
(``.csv.gz`` too); Parquet wins when both exist. ``opportunities`` and ``territories`` are required;
the other tables are optional and metrics that need them say so.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd

from .dataset import Dataset, empty_table
from .errors import DataQualityWarning, DataValidationError, SourceError
from .schemas import TABLES, Reason
from .settings import Settings, load_settings
from .validation import ValidationReport, file_problem, read_table_file, validate_tables

__all__ = ["DEMO", "demo_folder", "find_table_files", "load", "validate_source"]

DEMO = "demo"
_EXTENSIONS = (".parquet", ".csv", ".csv.gz")


def demo_folder() -> Path:
    """Where the demo district lives: ``$QUOTABOOK_DEMO_DIR``, else ``data/demo`` in the project (the
    folder holding ``params/workbook.yaml``), else ``~/.cache/quotabook/demo``."""
    if env := os.environ.get("QUOTABOOK_DEMO_DIR"):
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "params" / "workbook.yaml").is_file():
            return folder / "data" / "demo"
    return Path.home() / ".cache" / "quotabook" / "demo"


def ensure_demo(folder: Path | None = None, settings: Settings | None = None) -> Path:
    """Generate the demo district into ``folder`` unless it is already there (deterministic, seed 7)."""
    folder = Path(folder or demo_folder())
    if not (folder / "opportunities.parquet").is_file():
        from . import demo  # deferred: only needed the first time

        demo.write(demo.generate(settings=settings), folder)
    return folder


def find_table_files(folder: Path) -> dict[str, Path]:
    """The file for each canonical table present in ``folder`` (Parquet preferred over CSV)."""
    found: dict[str, Path] = {}
    for name in TABLES:
        for ext in _EXTENSIONS:
            path = folder / f"{name}{ext}"
            if path.is_file():
                found[name] = path
                break
    return found


def _resolve(source: str | os.PathLike | None, settings: Settings) -> Path:
    if source is None or str(source) == DEMO:
        return ensure_demo(settings=settings)
    text = str(source)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise SourceError(f"unsupported source scheme {scheme!r}: give a folder of CSV/Parquet files or 'demo'")
    folder = Path(text).expanduser()
    if not folder.exists():
        raise SourceError(f"data folder not found: {folder}")
    if not folder.is_dir():
        raise SourceError(f"expected a folder of table files, got a file: {folder}")
    return folder


def validate_source(source: str | os.PathLike | None = None, *,
                    settings: Settings | None = None) -> tuple[ValidationReport, dict[str, pd.DataFrame]]:
    """Read and validate every table file of ``source`` without building a Dataset.

    Returns the report and the usable tables. Unreadable files are reported, not raised.
    """
    settings = settings or load_settings()
    folder = _resolve(source, settings)
    files = find_table_files(folder)
    report_problems: list[dict] = []
    raw: dict[str, tuple[pd.DataFrame, str]] = {}
    for name, path in files.items():
        try:
            raw[name] = (read_table_file(path), str(path))
        except Exception as exc:  # any reader failure becomes a named, file-level problem
            report_problems.append(file_problem(name, str(path), Reason.UNREADABLE_FILE.value,
                                                f"cannot read the file: {type(exc).__name__}: {exc}"))
    for name, spec in TABLES.items():
        if spec.required_table and name not in files:
            report_problems.append(file_problem(name, str(folder / f"{name}.parquet|.csv"), "missing_table",
                                                f"required table {name!r} not found in {folder}"))
    report = validate_tables(raw, settings.stage_names)
    report.file_problems[:0] = report_problems
    tables = {name: result.data for name, result in report.tables.items()}
    return report, tables


def load(source: str | os.PathLike | None = None, *, region: str | None = None, as_of=None,
         settings: Settings | None = None, strict: bool = False) -> Dataset:
    """Load, validate and return the dataset.

    Parameters
    ----------
    source : folder path, or ``"demo"`` / None for the built-in demo district (generated on first use).
    region : a region name, or None / ``"ALL"`` for the whole district.
    as_of : a date; the dataset as it stood at the end of that day (see :meth:`Dataset.as_of`).
    settings : workbook settings; by default ``params/workbook.yaml`` (see :mod:`quotabook.settings`).
    strict : raise instead of warning when any row was rejected.

    Raises
    ------
    SourceError
        The source cannot be found or read.
    DataValidationError
        A required table is missing or unusable, or (``strict``) any row was rejected.
    """
    settings = settings or load_settings()
    report, tables = validate_source(source, settings=settings)
    report.raise_if_unusable()
    if not report.ok:
        counts = report.counts().set_index("table").to_dict("index")
        if strict:
            raise DataValidationError(f"rejected rows:\n{report.summary()}", report.rejects.to_dict("records"),
                                      counts)
        n = len(report.rejects)
        warnings.warn(f"{n} problem(s) in {source or DEMO}; affected rows are set aside in dataset.rejects",
                      DataQualityWarning, stacklevel=2)
    frames = {}
    for name in TABLES:
        base = empty_table(name)
        frame = tables.get(name)
        if frame is None:
            frames[name] = base
            continue
        for col in base.columns.difference(frame.columns):
            frame[col] = pd.Series(index=frame.index, dtype=base[col].dtype)
        frames[name] = frame
    present = frozenset(n for n, t in tables.items() if t is not None)
    label = DEMO if source is None or str(source) == DEMO else str(source)
    ds = Dataset(**frames, settings=settings, report=report, present=present, source=label)
    if region is not None:
        ds = ds.for_region(region)
    if as_of is not None:
        ds = ds.as_of(as_of)
    return ds
