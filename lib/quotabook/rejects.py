"""The rejects of a validation, for the people who fix the data: counted by reason, table and column, and
written as an error file like Salesforce Data Loader's (every rejected row as read, with its reasons).

``quotabook validate`` prints the counts before the first problems and writes the file with ``--rejects``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .schemas import ROW

if TYPE_CHECKING:
    from .validation import ValidationReport

__all__ = ["ERROR_COLUMNS", "reason_counts", "rejected_rows"]

# The leading columns of the rejects file; the row's own columns follow.
ERROR_COLUMNS = ["table", "file", "row", "column", "reason", "message"]


def reason_counts(rejects: pd.DataFrame) -> pd.DataFrame:
    """Reject records per ``reason``, ``table`` and ``column`` (``count``), the most frequent first."""
    if rejects.empty:
        return pd.DataFrame(columns=["reason", "table", "column", "count"])
    keys = rejects[["reason", "table", "column"]].astype(object).fillna("")
    counts = keys.value_counts(sort=False).rename("count").reset_index()
    return counts.sort_values(["count", "reason", "table", "column"], ascending=[False, True, True, True],
                              kind="stable").reset_index(drop=True)


def rejected_rows(report: ValidationReport) -> pd.DataFrame:
    """Every rejected row as it was read, one line per row with all its problems: ``table``, ``file``,
    ``row``, ``column``, ``reason``, ``message`` (a row's several problems joined by "; "), then the row's own
    cells as read (a column of the row named like one of those gets " (own)"). Tables come in the report's
    order, rows in file order; whole-file problems (no row) come first in their table, without cells.

    The cells need the rows as read: validate with ``keep_raw=True`` (``quotabook validate --rejects``);
    without them only the problem columns are filled.
    """
    rejects = report.rejects
    if rejects.empty:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    text = rejects[ERROR_COLUMNS].astype(object).fillna("").astype(str)
    text["row"] = rejects["row"]
    grouped = text.groupby(["table", "file", "row"], sort=False, dropna=False).agg(
        {c: lambda v: "; ".join(dict.fromkeys(x for x in v if x)) for c in ("column", "reason", "message")})
    grouped = grouped.reset_index()
    order = pd.factorize(grouped["table"])[0]
    grouped = grouped.assign(_table=order).sort_values(["_table", "file", "row"], kind="stable",
                                                        na_position="first").drop(columns="_table")
    grouped = grouped.reset_index(drop=True)
    frames = []
    for (table, file), part in grouped.groupby(["table", "file"], sort=False, dropna=False):
        result = report.tables.get(table)
        raw = result.raw if result is not None and result.file == file else None
        if raw is not None and part["row"].notna().any():
            positions = part["row"].fillna(0).astype(int).to_numpy() - 1  # row is 1-based, positions 0-based
            inside = (positions >= 0) & (positions < len(raw))
            own = raw.iloc[positions[inside]].drop(columns=[ROW], errors="ignore")
            own = own.reset_index(drop=True).set_axis(part.index[inside])
            part = part.join(own.rename(columns=lambda c: f"{c} (own)" if c in ERROR_COLUMNS else c))
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["row"] = out["row"].astype("Int64")
    return out
