"""Where data comes from: one entry point, :func:`read_raw`, for every kind of source.

A source is named by one string:

- ``None`` or ``"demo"``: the built-in demo district (generated on first use);
- a folder of canonical files (``opportunities.csv`` / ``.parquet``, ...);
- a mapping YAML (``params/sources/salesforce.yaml``): CRM exports mapped onto the canonical tables;
- ``duckdb:///path.db`` or ``env:VARNAME`` (a SQLAlchemy URL held in an environment variable): a database.

Every reader returns a :class:`~quotabook.sources.base.RawSource` for :mod:`quotabook.validation`.
Amounts with a currency column are converted to the reporting currency here (``params/currency_rates.yaml``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..demo_home import DEMO, ensure_demo
from ..errors import SourceError
from ..settings import Settings
from .base import RawSource
from .currency import convert_tables, load_rates, rates_label
from .exports import read_mapping
from .folder import read_folder

__all__ = ["RawSource", "is_mapping", "is_sql", "read_raw", "source_folder", "source_regions"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


def is_sql(source) -> bool:
    """True for the database kinds: ``duckdb://...`` and ``env:VARNAME``."""
    text = str(source)
    return text.startswith("duckdb://") or text.startswith("env:")


def is_mapping(source) -> bool:
    """True for a mapping YAML path."""
    return str(source).lower().endswith((".yaml", ".yml"))


def source_folder(source, settings: Settings) -> Path:
    """The folder of a folder source (the demo's, generated on first use); SourceError when there is none."""
    if source is None or str(source) == DEMO:
        return ensure_demo(settings=settings)
    folder = Path(str(source)).expanduser()
    if not folder.exists():
        raise SourceError(f"data folder not found: {folder}")
    if not folder.is_dir():
        raise SourceError(f"expected a folder of table files or a mapping .yaml, got a file: {folder}")
    return folder


def _find_mapping(path: Path) -> Path | None:
    """The mapping file at ``path``; a relative path is also tried from each parent folder, so
    ``params/sources/x.yaml`` works from ``notebooks/`` as it does from the project root."""
    if path.is_file():
        return path
    if not path.is_absolute():
        here = Path.cwd().resolve()
        for folder in here.parents:
            if (folder / path).is_file():
                return folder / path
    return None


def read_raw(source: str | os.PathLike | None, settings: Settings, region: str | None = None,
             only: tuple[str, ...] | None = None) -> RawSource:
    """Read ``source`` into raw canonical tables (not yet validated).

    ``only`` (a folder source) reads just those tables, as they are read with the others.

    ``region`` is pushed down by SQL sources and by folders of Parquet files (only that region's rows are
    read); CSV files and mapped exports are read whole and the dataset is sliced after validation.

    Raises
    ------
    SourceError
        The source cannot be found or is of an unknown kind (a connection string passed directly).
    ConfigError
        A mapping file is malformed (the message names its file and key).
    """
    text = None if source is None else str(source)
    if text is not None and is_sql(text):
        from .sql import read_sql  # deferred: database drivers load only when used

        raw = read_sql(text, settings, region)
        _convert_currency(raw, settings)
        return raw
    if text is not None and (match := _SCHEME.match(text)):
        raise SourceError(f"unsupported source {match.group(1)!r}://: put a database connection string in an "
                          "environment variable and pass it as env:VARNAME (or use duckdb:///path.db)")
    if text is not None and is_mapping(text):
        path = _find_mapping(Path(text).expanduser())
        if path is None:
            raise SourceError(f"mapping file not found: {text}")
        return read_mapping(path, settings)
    folder = source_folder(source, settings)
    raw = read_folder(folder, label=DEMO if text in (None, DEMO) else str(folder), region=region, only=only)
    _convert_currency(raw, settings)
    return raw


def _convert_currency(raw: RawSource, settings: Settings) -> None:
    opps = raw.tables.get("opportunities")
    if opps is None or "currency" not in opps[0]:
        return
    rates = load_rates(None, settings)
    raw.problems += convert_tables(raw.tables, settings, rates, rates_label(settings))


def source_regions(source: str | os.PathLike | None, settings: Settings) -> list[str]:
    """The regions a source holds (sorted), read from its territories table."""
    if source is not None and is_sql(source):
        from .sql import sql_regions

        return sql_regions(str(source), settings)
    if source is None or not is_mapping(source):  # a folder: its territories file alone, not every table
        from .folder import read_folder

        folder = source_folder(source, settings)
        raw = read_folder(folder, only=("territories",))
    else:
        raw = read_raw(source, settings)
    territories = raw.tables.get("territories")
    if territories is None or "region" not in territories[0]:
        return []
    return sorted(str(r) for r in territories[0]["region"].dropna().unique() if str(r).strip())
