"""What validation finds: a table's usable rows, its reject records (file, row, column, reason, value,
message) and the counts that reconcile, per table and for a whole source."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataValidationError
from ..grammar import count_of
from ..kept import kept_lines
from ..rejects import reason_counts, rejected_rows
from ..schemas import TABLES, Reason, TableSpec

__all__ = ["DETACHED_COLUMNS", "REJECT_COLUMNS", "TableResult", "ValidationReport", "file_problem"]

REJECT_COLUMNS = ["table", "file", "row", "column", "reason", "value", "message"]
DETACHED_COLUMNS = ["column", "value", "owner"]
_MESSAGES = {
    Reason.MISSING_VALUE: "a required value is empty",
    Reason.MALFORMED_ROW: "the row does not split into the header's fields",
    Reason.FUTURE_DATE: "is in the future",
    Reason.BAD_DATE: "not a date (expected ISO format YYYY-MM-DD, years 1900-2200)",
    Reason.BAD_NUMBER: "not a number",
    Reason.BAD_BOOLEAN: "not a boolean (expected true/false)",
    Reason.NEGATIVE_AMOUNT: "amount is negative",
    Reason.OUT_OF_RANGE: "value out of the allowed range",
    Reason.UNKNOWN_VALUE: "value not among the allowed values",
    Reason.UNKNOWN_STAGE: "stage is not in the workbook stage map (params/workbook.yaml)",
    Reason.BAD_PERIOD: "period is not a fiscal quarter like 2026-Q3",
    Reason.DUPLICATE_ID: "the same id appears on several rows with different values",
    Reason.CLOSE_BEFORE_CREATE: "close date is before the created date",
    Reason.DATES_OUT_OF_ORDER: "funnel dates out of order",
    Reason.WON_BUT_NOT_CLOSED: "is_won is true but is_closed is false",
    Reason.UNKNOWN_OPPORTUNITY: "refers to an opportunity that is not in opportunities (or was rejected)",
    Reason.UNKNOWN_TERRITORY: "refers to a territory that is not in territories (or was rejected)",
}


@dataclass
class TableResult:
    """One table after validation: the usable rows, its rejects and the reconciling counts."""

    name: str
    file: str
    data: pd.DataFrame
    rejects: pd.DataFrame
    read: int
    rejected_rows: int
    # Every key value the file held, rejected rows included: tells "refers to a rejected row" from "unknown".
    # Kept only for the tables other tables refer to (opportunities, territories): a set of millions of
    # activity ids would cost seconds and a gigabyte for nothing.
    keys_read: frozenset = frozenset()
    # Rows kept with a reference cleared because the row it pointed to was rejected (activities of a rejected
    # deal): one record per row, with the reference column, the id it held and the row's owner.
    detached: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DETACHED_COLUMNS))
    # The rows as read (only when validation is asked to keep them, for a rejects file).
    raw: pd.DataFrame | None = None
    #: What the reader should know although no row was rejected (e.g. two Unicode spellings read as one).
    notes: tuple[str, ...] = ()
    #: Keys of this table's rows outside a region read in part that the region's rows may refer to (other
    #: regions' deals its activities are on): known, so such a reference is kept as reading the whole keeps it.
    outside: frozenset = frozenset()

    @property
    def used(self) -> int:
        return len(self.data)


@dataclass
class ValidationReport:
    """Validation of a whole folder: per-table results plus file-level problems."""

    tables: dict[str, TableResult] = field(default_factory=dict)
    file_problems: list[dict] = field(default_factory=list)

    @property
    def rejects(self) -> pd.DataFrame:
        frames = [r.rejects for r in self.tables.values() if len(r.rejects)]
        frames.append(pd.DataFrame(self.file_problems, columns=REJECT_COLUMNS))
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        return pd.concat(frames, ignore_index=True)[REJECT_COLUMNS]

    def counts(self) -> pd.DataFrame:
        """Rows read / used / rejected per table; ``read == used + rejected`` on every row."""
        rows = [{"table": r.name, "file": r.file, "read": r.read, "used": r.used, "rejected": r.rejected_rows}
                for r in self.tables.values()]
        return pd.DataFrame(rows, columns=["table", "file", "read", "used", "rejected"])

    @property
    def notes(self) -> list[str]:
        """Data notes of every table (see :attr:`TableResult.notes`)."""
        return [note for r in self.tables.values() for note in r.notes]

    @property
    def ok(self) -> bool:
        return not self.file_problems and all(r.rejected_rows == 0 for r in self.tables.values())

    def reason_counts(self) -> pd.DataFrame:
        """Problems per reason, table and column (``count``), the most frequent first: what to fix first."""
        return reason_counts(self.rejects)

    def kept(self) -> list[str]:
        """Rows kept although incomplete, one line each: open deals with blanks, cells a mapping filled,
        activities of rejected deals (see :mod:`quotabook.kept`)."""
        return kept_lines(self.tables)

    def rejected_rows(self) -> pd.DataFrame:
        """Every rejected row as it was read, with its reasons (see :func:`quotabook.rejects.rejected_rows`)."""
        return rejected_rows(self)

    def summary(self, limit: int = 50) -> str:
        """A plain-text report: counts per table, rows kept incomplete, problems per reason, table and column,
        then the first ``limit`` problems as file:row column — reason."""
        lines = ["table                 read    used  rejected  file"]
        for r in self.tables.values():
            lines.append(f"{r.name:<20} {r.read:>6} {r.used:>7} {r.rejected_rows:>9}  {r.file}")
        kept = self.kept()
        if kept:
            lines.append("")
            lines.append("kept although incomplete (not problems):")
            lines += [f"  {line}" for line in kept]
        rejects = self.rejects
        if len(rejects):  # root causes first: a rejected territory row before the deals it orphans
            follow_on = rejects["reason"].isin([Reason.UNKNOWN_TERRITORY.value, Reason.UNKNOWN_OPPORTUNITY.value])
            rejects = rejects.iloc[follow_on.to_numpy().argsort(kind="stable")]
            lines.append("")
            lines.append("problems by reason:")
            counts = self.reason_counts()
            widths = [max(len(h), *(len(str(v)) for v in counts[h])) for h in ("reason", "table", "column")]
            lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(("reason", "table", "column"), widths,
                                                                        strict=True)) + "  count")
            for rec in counts.itertuples(index=False):
                cells = [str(rec.reason), str(rec.table), str(rec.column) or "-"]
                lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
                             + f"  {rec.count:>5}")
            listed, rows_of = _listed_once(rejects)
            lines.append("")
            lines.append(count_of(len(rejects), "problem") + (", root causes first" if follow_on.any() else "") + ":")
            for rec, rows in zip(listed.head(limit).itertuples(index=False), rows_of[:limit], strict=False):
                row = f", row {int(rec.row)}" if pd.notna(rec.row) else ""
                col = f", column {rec.column!r}" if isinstance(rec.column, str) and rec.column else ""
                val = f" (value {rec.value!r})" if isinstance(rec.value, str) and rec.value else ""
                also = f"; {count_of(rows, 'row')} rejected for it" if rows else ""
                lines.append(f"  {rec.file}{row}{col}: {rec.reason} — {rec.message}{val}{also}")
            if len(listed) > limit:
                lines.append(f"  … and {len(listed) - limit:,} more (see the rejects table)")
        else:
            lines.append("")
            lines.append("no problems found")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def raise_if_unusable(self) -> None:
        """Raise when a required table is missing or entirely unusable."""
        fatal = [p for p in self.file_problems if TABLES.get(p["table"], None) and TABLES[p["table"]].required_table]
        fatal += [file_problem(r.name, r.file, "no_usable_rows", "every row was rejected")
                  for r in self.tables.values() if TABLES[r.name].required_table and r.used == 0 and r.read > 0]
        if fatal:
            detail = "; ".join(f"{p['file']}: {p['message']}" for p in fatal)
            raise DataValidationError(
                f"cannot build a dataset: {detail}",
                problems=self.rejects.to_dict("records"),
                counts=self.counts().set_index("table").to_dict("index"),
            )


def _listed_once(rejects: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """The problems as :meth:`ValidationReport.summary` lists them, and per listed problem how many rows it
    rejected: a problem of a whole file (no row, e.g. a required column missing) comes first and stands for
    the rows it rejected with the same column and reason, which would otherwise repeat it once per row (420
    identical lines for a file of 420 deals without its stage column). The rejects table still holds every
    row."""
    whole = rejects["row"].isna().to_numpy()
    key = ["file", "column", "reason"]
    files = rejects.loc[whole, key].astype(str).drop_duplicates()
    keys = rejects[key].astype(str)
    covered = ~whole & pd.MultiIndex.from_frame(keys).isin(pd.MultiIndex.from_frame(files))
    per_file = keys[covered].value_counts()
    listed = pd.concat([rejects[whole], rejects[~whole & ~covered]])
    rows = per_file.reindex(pd.MultiIndex.from_frame(listed[key].astype(str)), fill_value=0)
    return listed, rows.astype(int).tolist()


def file_problem(table: str, file: str, reason: str, message: str, column: str | None = None) -> dict:
    """A problem with a whole file (no row): a reject record with ``row`` and ``value`` empty."""
    return {"table": table, "file": file, "row": None, "column": column, "reason": str(reason), "value": None,
            "message": message}



def _records(spec: TableSpec, file: str, rows: pd.Series, column: str | None, reason: Reason,
             values: pd.Series | None, message: str | pd.Series | None = None) -> pd.DataFrame:
    """Reject records for the rows (positions) given; ``message`` may be one per row."""
    n = len(rows)
    vals = values.astype("string").to_numpy() if values is not None else [None] * n
    if message is None:
        message = _MESSAGES.get(reason, reason.value)
    elif isinstance(message, pd.Series):
        message = message.to_numpy()
    return pd.DataFrame({
        "table": spec.name, "file": file, "row": rows.to_numpy() + 1, "column": column,
        "reason": reason.value, "value": vals, "message": message,
    }, columns=REJECT_COLUMNS)
