"""What every source reader returns: raw tables under their canonical names, ready for validation.

A reader (a folder, a mapped CRM export, a SQL database) does not validate: it renames, maps and converts
what it can, and hands :func:`quotabook.validation.validate_tables` one raw frame per canonical table with a
human-readable origin (a file path, or ``table opportunity in postgresql://…`` with the password masked), so
every reject names where the row came from. File-level problems (unreadable file, missing required table)
are returned as records built with :func:`quotabook.validation.file_problem`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..schemas import FILLED

__all__ = ["FILLED", "RawSource"]



@dataclass
class RawSource:
    """Raw canonical tables of one source.

    tables : canonical table name -> (frame with canonical column names, origin shown in messages).
    problems : file-level problem records (``validation.file_problem``) found while reading.
    label : how reports name the source (never holds a password or token).
    """

    tables: dict[str, tuple[pd.DataFrame, str]] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    label: str = ""
    #: Tables left on disk to be validated in batches (too large for memory): name -> (Parquet file, origin).
    deferred: dict[str, tuple[Path, str]] = field(default_factory=dict)
    #: For tables read in part (a region's rows): each row's 0-based row number in its file, so a reject
    #: names the row a user finds in the file.
    file_rows: dict[str, object] = field(default_factory=dict)
    #: For a region read in part: the SQL condition (on row ``x``) keeping each table's rows of the region.
    where: dict[str, str] = field(default_factory=dict)
    #: For a region read in part: the source's leads no owner places, per created day (see ``UNASSIGNED_LEADS``).
    unplaced_leads: tuple | None = None
    #: For a region read in part: per table, the ids of its rows outside the region that the region's rows refer
    #: to (the deals of other regions its activities are on: an activity counts with its rep), so validation
    #: keeps those references as it does reading the whole source.
    outside_ids: dict[str, frozenset] = field(default_factory=dict)
