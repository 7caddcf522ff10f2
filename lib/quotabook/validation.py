"""Read canonical tables, coerce their types and validate them, setting bad rows aside.

Nothing is dropped silently: every problem becomes a reject record (file, row, column, reason, value),
rows that cannot be used are removed from the table they came from, and per table the counts reconcile:
rows read = rows used + rows rejected. A row with several problems is rejected once and listed once per
problem. ``row`` is the 1-based data row in the file (the CSV header is not counted; line = row + 1).

Order of work per table: read (an empty, binary, non-UTF-8 or foreign file is refused from its first
64 KiB; rows with too many fields or cut short are malformed rows) → missing columns or wrong delimiter →
type coercion (bad dates / numbers / booleans, each message saying what the value looks like: an Excel
serial, a day/month date, a currency string) → dates in the future → pandera checks (required values,
ranges, allowed values, stage map, date order) → duplicate keys →
references to other tables (history for unknown deals, unknown territories).

Typed sources (Parquet written by quotabook, typed database columns) take fast paths that give the same
result on millions of rows: columns already of the canonical type are not re-coerced, the pandera schema
runs only when vectorised checks find a row that may break a rule (then it says exactly which), and keys
are checked for duplicates on 64-bit fingerprints before any string is hashed.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import DataValidationError, UnreadableFileError
from .schemas import TABLES, Column, Reason, TableSpec, pandera_schema
from .sources.convert import EXCEL_EPOCH

__all__ = ["DETACHED_COLUMNS", "REJECT_COLUMNS", "TRUE_TEXT", "TableResult", "ValidationReport", "file_problem",
           "read_csv_file", "read_parquet_file", "read_table_file", "shown_delimiter", "validate_table",
           "validate_tables"]

REJECT_COLUMNS = ["table", "file", "row", "column", "reason", "value", "message"]
DETACHED_COLUMNS = ["column", "value", "owner"]
NA_STRINGS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none", "#N/A"]
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
TRUE_TEXT = frozenset(_TRUE)  # text read as true (case-insensitive, stripped)
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
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
        from .rejects import reason_counts  # deferred: only reports need it

        return reason_counts(self.rejects)

    def kept(self) -> list[str]:
        """Rows kept although incomplete, one line each: open deals with blanks, cells a mapping filled,
        activities of rejected deals (see :mod:`quotabook.kept`)."""
        from .kept import kept_lines  # deferred: only reports need it

        return kept_lines(self.tables)

    def rejected_rows(self) -> pd.DataFrame:
        """Every rejected row as it was read, with its reasons (see :func:`quotabook.rejects.rejected_rows`)."""
        from .rejects import rejected_rows  # deferred: only the rejects file needs it

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
            lines.append("")
            lines.append(f"{len(rejects)} problem(s)" + (", root causes first" if follow_on.any() else "") + ":")
            for rec in rejects.head(limit).itertuples(index=False):
                row = f", row {int(rec.row)}" if pd.notna(rec.row) else ""
                col = f", column {rec.column!r}" if isinstance(rec.column, str) and rec.column else ""
                val = f" (value {rec.value!r})" if isinstance(rec.value, str) and rec.value else ""
                lines.append(f"  {rec.file}{row}{col}: {rec.reason} — {rec.message}{val}")
            if len(rejects) > limit:
                lines.append(f"  … and {len(rejects) - limit} more (see the rejects table)")
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


def file_problem(table: str, file: str, reason: str, message: str, column: str | None = None) -> dict:
    """A problem with a whole file (no row): a reject record with ``row`` and ``value`` empty."""
    return {"table": table, "file": file, "row": None, "column": column, "reason": str(reason), "value": None,
            "message": message}


# -- reading -----------------------------------------------------------------------------------------
SNIFF_BYTES = 1 << 16  # how much of a file is looked at before pandas reads it
DELIMITERS = (",", ";", "\t", "|")
_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16",
         b"\xfe\xff": "UTF-16"}
_SPARE = "\x00spare"  # extra columns that catch the fields of rows with too many


def read_table_file(path: Path, known: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[int, str]]:
    """Read one CSV or Parquet file; return the frame and its malformed rows ({0-based position: why}).

    CSV is read as text so coercion can report each bad cell. ``known`` (column names the file may hold,
    those to name in a message first) lets a file whose first line names none of them be refused before it
    is read in full.

    Raises
    ------
    UnreadableFileError
        The file is empty, binary, not UTF-8, or not a readable Parquet file.
    """
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".parquet"):
        return read_parquet_file(path), {}
    return read_csv_file(path, known=known)


def read_parquet_file(path: Path) -> pd.DataFrame:
    """Read a Parquet file; a truncated or foreign file raises UnreadableFileError saying so."""
    if path.stat().st_size == 0:
        raise UnreadableFileError("the file is empty (0 bytes)", Reason.EMPTY_FILE.value)
    try:
        return pd.read_parquet(path).reset_index(drop=True)
    except Exception as exc:  # pyarrow's errors vary by what is broken: all mean the same to a user
        raise UnreadableFileError(f"not a readable Parquet file (truncated, corrupt or another format): "
                                  f"{type(exc).__name__}: {exc}") from None


def read_csv_file(path: Path, *, sep: str = ",", encoding: str = "utf-8", known: Sequence[str] | None = None,
                  setting: str | None = None) -> tuple[pd.DataFrame, dict[int, str]]:
    """Read a delimited text file as text, checking its first bytes before pandas reads the rest.

    A row with more fields than the header (an unquoted delimiter inside a value) is not fatal: it comes
    back emptied and listed in the malformed rows ({0-based position: why}), as does a last row cut short,
    so the rows still reconcile. (pandas alone would drop a trailing extra field silently, or take the first
    column for an index when the first row has one field too many.) ``setting`` names where the user sets
    the encoding (a mapping key) in messages.
    """
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
    text_encoding = "utf-8-sig" if utf8 else encoding
    _sniff(path, _head(path), "utf-8" if utf8 else encoding, sep, known, setting)
    counts = _field_counts(path, sep, text_encoding, utf8, setting)
    fields = counts[0] if counts else 0
    extra = max(counts[1:], default=fields) - fields
    options = dict(sep=sep, dtype=str, keep_default_na=False, na_values=NA_STRINGS, encoding=text_encoding,
                   skipinitialspace=True)
    try:
        if extra > 0:
            header = list(pd.read_csv(path, nrows=0, **options).columns)
            spares = [f"{_SPARE}{i}" for i in range(extra)]
            # header=None + skiprows: given names, the tokenizer takes their count as the field count
            frame = pd.read_csv(path, names=[*header, *spares], header=None, skiprows=1, **options)
        else:
            spares = []
            frame = pd.read_csv(path, **options)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(_not_utf8(path, exc.reason, setting) if utf8 else
                                  f"not {encoding} text ({exc.reason})" + _set_encoding(setting)) from None
    except pd.errors.EmptyDataError:
        raise UnreadableFileError("the file holds no header line (blank)", Reason.EMPTY_FILE.value) from None
    except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
        raise UnreadableFileError(f"cannot read the file as {shown_delimiter(sep)}-separated text: "
                                  f"{type(exc).__name__}: {str(exc).strip()}") from None
    malformed: dict[int, str] = {}
    if spares:
        per_row = np.asarray(counts[1:])
        if len(per_row) != len(frame):  # the two readers disagree on records: trust the cells that spilled over
            per_row = fields + frame[spares].notna().to_numpy().sum(axis=1)
        frame = frame.drop(columns=spares)
        for pos in np.flatnonzero(per_row > fields):
            malformed[int(pos)] = (f"data row {pos + 1} has {per_row[pos]} fields where the header has {fields}: "
                                   f"an unquoted {shown_delimiter(sep)} inside a value (a thousands separator "
                                   "such as 1,234, or a name)? Quote the value")
        frame.iloc[sorted(malformed)] = pd.NA  # its values sit in the wrong columns: none can be trusted
    cut = _cut_short(path, sep, len(frame.columns), utf8 and not "".join(path.suffixes).lower().endswith(".gz"))
    if cut is not None and len(frame):
        malformed[len(frame) - 1] = (f"the last row is cut short: {cut} of {len(frame.columns)} fields and no "
                                     "line break at the end of the file (a truncated download or copy?)")
    return frame, malformed


def _field_counts(path: Path, sep: str, encoding: str, utf8: bool, setting: str | None) -> array:
    """Fields per record (the header first), blank lines skipped as pandas skips them; streamed, so memory
    stays small whatever the file's size."""
    counts = array("l")
    gz = "".join(path.suffixes).lower().endswith(".gz")
    try:
        with (gzip.open(path, "rt", encoding=encoding, newline="") if gz
              else path.open(encoding=encoding, newline="")) as fh:
            reader = csv.reader(fh, delimiter=sep)
            try:
                counts.extend(len(record) for record in reader if record)
            except csv.Error as exc:
                raise UnreadableFileError(f"cannot read line {reader.line_num} as {shown_delimiter(sep)}-separated "
                                          f"text: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(_not_utf8(path, exc.reason, setting) if utf8 else
                                  f"not {encoding} text ({exc.reason})" + _set_encoding(setting)) from None
    except (OSError, EOFError) as exc:
        raise UnreadableFileError(f"cannot read the file: {type(exc).__name__}: {exc}") from None
    return counts


def shown_delimiter(sep: str) -> str:
    """A delimiter as it is written in a YAML mapping: "\\t" for a tab, ';' for a semicolon."""
    return '"\\t"' if sep == "\t" else repr(sep)


def _set_encoding(setting: str | None) -> str:
    return f"; set {setting}" if setting else ""


def _head(path: Path) -> bytes:
    opener = gzip.open if "".join(path.suffixes).lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return fh.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise UnreadableFileError(f"cannot open the file: {type(exc).__name__}: {exc}") from None


def _sniff(path: Path, head: bytes, encoding: str, sep: str, known: Sequence[str] | None,
           setting: str | None) -> None:
    """Refuse what is plainly not a table from the first 64 KiB, so a huge junk file is never read whole."""
    if not head:
        raise UnreadableFileError("the file is empty (0 bytes)", Reason.EMPTY_FILE.value)
    if encoding != "utf-8":
        return
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            hint = f"set {setting} to {name.lower()}" if setting else "save it as CSV UTF-8"
            raise UnreadableFileError(f"{name} text (byte-order mark {bom.hex(' ').upper()}), not UTF-8: {hint}")
    if b"\x00" in head:
        at = head.index(b"\x00")
        raise UnreadableFileError(f"binary data, not CSV text (a NUL byte at byte {at}): is it a spreadsheet, "
                                  "an archive or another format saved under a .csv name?")
    text = head.decode("utf-8", errors="strict") if _utf8_prefix_ok(head) else None
    if text is None:
        raise UnreadableFileError(_not_utf8(path, "invalid byte", setting))
    text = text.lstrip("\ufeff")
    if "\n" not in text and len(head) == SNIFF_BYTES:
        raise UnreadableFileError(f"not a table: no line break in the first {SNIFF_BYTES // 1024} KiB")
    if known:
        first = text.split("\n", 1)[0].rstrip("\r")
        names = {n.strip().strip('"').strip() for d in (sep, *DELIMITERS) for n in first.split(d)}
        if not names & set(known):
            shown = first if len(first) <= 80 else first[:80] + "…"
            raise UnreadableFileError(f"not a table: its first line names none of the expected columns "
                                      f"({', '.join(list(known)[:6])}{', …' if len(known) > 6 else ''}); "
                                      f"it reads {shown!r}")


def _utf8_prefix_ok(head: bytes) -> bool:
    """True when ``head`` is UTF-8, allowing a character cut at the end of the sniffed block."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _not_utf8(path: Path, reason: str, setting: str | None) -> str:
    """Where the first non-UTF-8 byte is (line and column), streaming the file in 1 MiB blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    opener = gzip.open if "".join(path.suffixes).lower().endswith(".gz") else open
    line, offset = 1, 0
    with opener(path, "rb") as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as exc:
                before = block[:exc.start]
                line += before.count(b"\n")
                column = exc.start - (before.rfind(b"\n") + 1) + 1
                byte = block[exc.start]
                guess = block[max(0, exc.start - 20):exc.start + 20].decode("cp1252", errors="replace")
                hint = f"set {setting} (e.g. latin-1 or cp1252)" if setting else "save it as CSV UTF-8"
                return (f"not UTF-8 text: byte 0x{byte:02x} on line {line}, column {column} (byte {offset + exc.start}"
                        f"; as Latin-1 it reads {guess.strip()!r}): {hint}")
            line += block.count(b"\n")
            offset += len(block)
    return f"not UTF-8 text ({reason})" + _set_encoding(setting)


def _cut_short(path: Path, sep: str, fields: int, check: bool) -> int | None:
    """The field count of the last line when the file ends mid-row (no final line break, too few fields)."""
    if not check or fields < 2:
        return None
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - SNIFF_BYTES))
        tail = fh.read()
    if not tail or tail.endswith(b"\n") or b"\n" not in tail:
        return None
    last = tail.rsplit(b"\n", 1)[1].decode("utf-8", errors="replace")
    count = len(next(csv.reader([last], delimiter=sep), []))
    return count if 0 < count < fields else None


# -- coercion ----------------------------------------------------------------------------------------
_STR = pd.Series([], dtype="str").dtype  # the canonical text dtype (Arrow-backed, NaN for missing)
_YEARS = (pd.Timestamp("1900-01-01"), pd.Timestamp("2201-01-01"))  # dates outside are typos, not dates
_DAY_NS = 86_400 * 10**9


def _arrow(series: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow data behind an Arrow-backed text column (no copy), else None."""
    if getattr(series.dtype, "storage", None) != "pyarrow" or not pd.api.types.is_string_dtype(series.dtype):
        return None
    data = pa.array(series.array)
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def _clean_text(series: pd.Series) -> bool:
    """True when ``series`` already is canonical text: the ``str`` dtype, no value with surrounding
    whitespace, no empty value. Such a column (Parquet written by quotabook or any typed source) is used
    as it is: stripping and re-encoding millions of strings would change nothing.

    Only values whose first or last byte could belong to whitespace (a control or space byte, or any byte
    of a non-ASCII character) are trimmed to see whether trimming changes them; the rest cannot change.
    """
    data = _arrow(series) if series.dtype == _STR else None
    if data is None or len(data) == 0 or data.null_count == len(data):
        return False
    for chunk in data.chunks:
        offsets, values, valid = _buffers(chunk)
        lengths = np.diff(offsets)
        if valid is not None:
            lengths = lengths[valid]
            offsets_start, offsets_end = offsets[:-1][valid], offsets[1:][valid]
        else:
            offsets_start, offsets_end = offsets[:-1], offsets[1:]
        if len(lengths) == 0:
            continue
        if lengths.min() <= 0:  # an empty value
            return False
        first, last = values[offsets_start], values[offsets_end - 1]
        doubtful = (first <= 0x20) | (first >= 0x80) | (last <= 0x20) | (last >= 0x80)
        if doubtful.any():
            picked = pa.array(np.flatnonzero(doubtful)) if valid is None else \
                pa.array(np.flatnonzero(valid)[doubtful])
            suspects = chunk.take(picked)
            if pc.sum(pc.binary_length(pc.utf8_trim_whitespace(suspects))).as_py() \
                    != pc.sum(pc.binary_length(suspects)).as_py():
                return False
    return True


def _buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The offsets (int64, one more than values), the bytes and the validity (None when nothing is missing)
    of an Arrow text array, as numpy views where possible."""
    if pa.types.is_string(chunk.type):
        chunk = chunk.cast(pa.large_string())
    n = len(chunk)
    _, offsets_buf, values_buf = chunk.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[chunk.offset:chunk.offset + n + 1]
    values = np.frombuffer(values_buf, dtype=np.uint8) if values_buf is not None else np.zeros(0, dtype=np.uint8)
    valid = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else None
    return offsets, values, valid


def _coerce_typed_dates(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, Reason]:
    """:func:`_coerce` for a column that already holds naive datetimes: only the year range, the unit and
    (for dates) the time of day are seen to, and nothing is copied that needs no change."""
    in_range = (series >= _YEARS[0]) & (series < _YEARS[1])
    failed = series.notna() & ~in_range
    out = series.where(in_range) if failed.any() else series
    out = out.astype("datetime64[ns]")
    if col.kind == "date":
        ticks = out.to_numpy().view("i8")
        if ((ticks % _DAY_NS != 0) & out.notna().to_numpy()).any():
            out = out.dt.normalize()
    return out, failed, Reason.BAD_DATE


def _coerce(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, Reason | None]:
    """Return (coerced, failed mask, reason). ``failed`` marks non-empty values that did not parse.

    Columns that already have the canonical type (Parquet from quotabook, typed database columns) take a
    fast path with the same result: text that needs no stripping is kept as it is, datetimes are only
    range-checked, finite floats are kept.
    """
    if col.kind in ("date", "datetime") and pd.api.types.is_datetime64_dtype(series):
        return _coerce_typed_dates(series, col)
    if col.kind not in ("date", "datetime", "number", "bool") and _clean_text(series):
        return series, pd.Series(False, index=series.index), None
    present = series.notna()
    if col.kind in ("date", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(series):
            out = series
        else:
            # utc=True: a column mixing offsets (…+0000) with naive stamps is read, naive ones as UTC.
            out = pd.to_datetime(series.astype("string").str.strip(), errors="coerce", format="ISO8601", utc=True)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        # Years outside 1900-2200 are typos or serial numbers, not dates (and would overflow ns).
        out = out.where((out.dt.year >= 1900) & (out.dt.year <= 2200)).astype("datetime64[ns]")
        if col.kind == "date":
            out = out.dt.normalize()
        return out, present & out.isna(), Reason.BAD_DATE
    if col.kind == "number":
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out = series.astype("float64")
            if not np.isinf(out.to_numpy()).any():  # typed and finite: nothing to set aside
                return out, present & out.isna(), Reason.BAD_NUMBER
        else:
            out = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").astype("float64")
        out = out.where(np.isfinite(out))  # inf and -inf are not amounts
        return out, present & out.isna(), Reason.BAD_NUMBER
    if col.kind == "bool":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("boolean"), pd.Series(False, index=series.index), None
        text = series.astype("string").str.strip().str.lower()
        out = pd.Series(pd.NA, index=series.index, dtype="boolean")
        out[text.isin(_TRUE).fillna(False)] = True
        out[text.isin(_FALSE).fillna(False)] = False
        return out, present & out.isna(), Reason.BAD_BOOLEAN
    text = series.astype("string").str.strip()
    return text.mask(text == "").astype("str"), pd.Series(False, index=series.index), None


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


_SERIAL = re.compile(r"^\d{1,7}(\.\d+)?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_MONEY_MARK = re.compile(r"[$€£¥]|\b[A-Z]{3}\b|^\(.*\)$")
_THOUSANDS = re.compile(r"^-?\d{1,3}([,.' ]\d{3})+([.,]\d+)?$")


def _explain(reason: Reason, values: pd.Series) -> pd.Series | None:
    """Why each unparsed value failed, when its shape says more than "not a date" or "not a number"."""
    text = values.astype("string").str.strip()
    if reason is Reason.BAD_DATE:
        serial = pd.to_numeric(text.where(text.str.fullmatch(_SERIAL)), errors="coerce")
        days = pd.to_timedelta(serial.astype("float64").where(serial.between(1, 2958465)), unit="D")
        day = (EXCEL_EPOCH.as_unit("us") + days.astype("timedelta64[us]")).dt.strftime("%Y-%m-%d")
        parts = text.str.extract(_DAY_MONTH)
        ambiguous = parts[0].astype("float").le(12) & parts[1].astype("float").le(12)
        message = pd.Series(_MESSAGES[reason], index=values.index, dtype=object)
        message[parts[0].notna()] = "not ISO YYYY-MM-DD: a day/month date (write it as YYYY-MM-DD)"
        message[ambiguous.fillna(False)] = ("not ISO YYYY-MM-DD, and its day/month order is ambiguous "
                                            "(3/4 could be 3 April or 4 March): write it as YYYY-MM-DD")
        serial_msg = ("an Excel serial day number (" + text + " = " + day + "), not a date: format the column as "
                      "a date (YYYY-MM-DD) before saving the CSV")
        return message.where(day.isna(), serial_msg)
    if reason is Reason.BAD_NUMBER:
        message = pd.Series(_MESSAGES[reason], index=values.index, dtype=object)
        numeric = pd.to_numeric(text, errors="coerce")
        message[numeric.notna()] = "not a finite number"
        message[text.str.fullmatch(_THOUSANDS).fillna(False)] = (
            "a number with a thousands separator, not a plain number: write 1234.50, not 1,234.50")
        message[text.str.contains(_MONEY_MARK).fillna(False)] = (
            "a currency string, not a plain number: canonical tables hold plain numbers like 1234.50 "
            "(CRM exports with currency strings are read through a mapping, params/sources/)")
        return message
    return None


def validate_table(spec: TableSpec, raw: pd.DataFrame, file: str,
                   stages: list[str] | None = None) -> tuple[TableResult | None, list[dict]]:
    """Coerce and validate one table. Returns (result, file-level problems).

    A missing required column makes the whole file unusable: every row is rejected with reason
    ``missing_column`` (so counts still reconcile) and the problem is reported once at file level.
    """
    raw = raw.reset_index(drop=True)
    raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    read = len(raw)
    missing = [c for c in spec.required_columns if c not in raw.columns]
    if missing:
        problem = _missing_columns(spec, file, raw, missing)
        reason = Reason(problem["reason"])
        rejects = _records(spec, file, pd.Series(range(read)), problem["column"], reason, None, problem["message"])
        empty = pd.DataFrame(columns=[c.name for c in spec.columns if c.name in raw.columns])
        return TableResult(spec.name, file, empty, rejects, read, read), [problem]
    if read == 0:
        problem = file_problem(spec.name, file, Reason.EMPTY_FILE.value, "the file has no data rows")
        return TableResult(spec.name, file, raw, pd.DataFrame(columns=REJECT_COLUMNS), 0, 0), [problem]

    known = [c for c in spec.columns if c.name in raw.columns]
    data = pd.DataFrame(index=raw.index)
    found: list[pd.DataFrame] = []
    for col in known:
        data[col.name], failed, reason = _coerce(raw[col.name], col)
        if reason is not None and failed.any():
            pos = pd.Series(raw.index[failed])
            values = raw.loc[failed, col.name]
            found.append(_records(spec, file, pos, col.name, reason, values, _explain(reason, values)))
    notes = tuple(filter(None, (_nfc(data, col.name, file) for col in known if col.kind in _TEXT_KINDS)))
    found.extend(_future_dates(spec, data, file))
    extra = [c for c in raw.columns if c not in data.columns]
    for c in extra:  # columns outside the canonical schema travel along untouched
        data[c] = raw[c]

    found.extend(_pandera_failures(spec, data, file, stages))
    found.extend(_closed_needs(spec, data, file))
    found.extend(_duplicate_keys(spec, data, file))
    rejects = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=REJECT_COLUMNS)
    # A value that failed to parse is reported as such, not again as "missing".
    unparsed = rejects["reason"].isin([Reason.BAD_DATE, Reason.BAD_NUMBER, Reason.BAD_BOOLEAN])
    seen = set(zip(rejects.loc[unparsed, "row"], rejects.loc[unparsed, "column"], strict=True))
    echo = rejects["reason"].eq(Reason.MISSING_VALUE) & pd.Series(
        [(r, c) in seen for r, c in zip(rejects["row"], rejects["column"], strict=True)], index=rejects.index)
    rejects = rejects[~echo].reset_index(drop=True)
    bad_rows = set(rejects["row"].dropna().astype(int) - 1)
    if bad_rows:
        data = data[~data.index.isin(list(bad_rows))]
    keys = _keys_read(raw[spec.key[0]]) if len(spec.key) == 1 and spec.name in _REFERENCED else frozenset()
    return TableResult(spec.name, file, data, rejects, read, len(bad_rows), keys, notes=notes), []


_TEXT_KINDS = ("id", "string", "category")


def _nfc(data: pd.DataFrame, column: str, file: str) -> str | None:
    """Put the text of ``data[column]`` in Unicode NFC, so that "Zürich" typed as one character or as "u" plus
    a combining diaeresis is one region, not two with the same heading; return a note naming the values
    that were written in more than one form (None when none was). Only distinct non-ASCII values are
    looked at (ASCII is always NFC): an all-ASCII column costs one vectorised test."""
    values = data[column]
    arrow = _arrow(values)
    if arrow is not None:
        if pc.all(pc.string_is_ascii(arrow)).as_py() is not False:
            return None
    elif not pd.api.types.is_object_dtype(values) and not pd.api.types.is_string_dtype(values):
        return None
    distinct = pd.Series(pd.unique(values.dropna()), dtype="object")
    distinct = distinct[distinct.map(type).eq(str)]
    wide = distinct[~distinct.str.isascii()]
    normal = wide.str.normalize("NFC")
    changed = normal.ne(wide)
    if not changed.any():
        return None
    data[column] = values.replace(dict(zip(wide[changed], normal[changed], strict=True)))
    forms = pd.concat([distinct[distinct.str.isascii()], wide]).groupby(
        pd.concat([distinct[distinct.str.isascii()], normal])).nunique()
    merged = sorted(forms[forms > 1].index)
    if not merged:
        return None
    shown = ", ".join(repr(m) for m in merged[:5]) + (f" and {len(merged) - 5} more" if len(merged) > 5 else "")
    return (f"{file}, column {column!r}: {shown} written in more than one Unicode form (e.g. an accent as a "
            "separate character); each is read as one value")


# Tables that other tables refer to: only their keys are needed to explain a reference to a rejected row.
_REFERENCED = frozenset(target.split(".")[0] for spec in TABLES.values() for target in spec.refs.values())


def _keys_read(keys: pd.Series) -> frozenset:
    """Every key value of a raw column (stripped text, missing values left out), each distinct value once."""
    data = _arrow(keys)
    if data is None:
        return frozenset(keys.dropna().astype(str).str.strip())
    return frozenset(pc.unique(pc.utf8_trim_whitespace(data)).drop_null().to_pylist())


def _missing_columns(spec: TableSpec, file: str, raw: pd.DataFrame, missing: list[str]) -> dict:
    """The file problem for absent required columns, or for a header that split on the wrong delimiter."""
    if len(raw.columns) == 1:
        header = str(raw.columns[0])
        other = next((d for d in DELIMITERS if d != "," and d in header), None)
        if other:
            return file_problem(spec.name, file, Reason.WRONG_DELIMITER.value,
                                f"the header splits on {shown_delimiter(other)}, not ',': canonical CSV files are "
                                "comma-separated (save it as CSV with commas, or read it through a mapping with "
                                f"delimiter: {shown_delimiter(other)})")
    return file_problem(spec.name, file, Reason.MISSING_COLUMN.value,
                        f"required column(s) missing: {', '.join(missing)} "
                        f"(found: {', '.join(map(str, raw.columns)) or 'none'})", ", ".join(missing))


def _future_dates(spec: TableSpec, data: pd.DataFrame, file: str) -> list[pd.DataFrame]:
    """Rows whose record-of-the-past dates lie after today (a day's grace for time zones)."""
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    out = []
    for column in spec.not_in_future:
        if column not in data:
            continue
        late = data[column].notna() & (data[column] >= today + pd.Timedelta(days=2))
        if late.any():
            rows = pd.Series(data.index[late])
            out.append(_records(spec, file, rows, column, Reason.FUTURE_DATE, data.loc[late, column],
                                f"is in the future (after today, {today:%Y-%m-%d}): a {column} records "
                                "something that already happened"))
    return out


def _pandera_failures(spec: TableSpec, data: pd.DataFrame, file: str, stages) -> list[pd.DataFrame]:
    """Reject records for the rows breaking the table's row rules (the pandera schema of ``spec``).

    The schema is only run when :func:`_rules_hold` cannot vouch for the table: on clean data (the
    usual case, and every large table) the vectorised checks there decide alone, much faster; any row
    they doubt sends the table through pandera, which then says exactly what is wrong, as always.
    """
    if _rules_hold(spec, data, stages):
        return []
    import pandera.errors as pa_errors  # deferred: ~1 s to import, and clean data never needs it

    schema = pandera_schema(spec, stages)
    try:
        schema.validate(data, lazy=True)
        return []
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()].copy()
    cases["reason"] = cases["check"].map(_reason_of)
    frame_level = cases["schema_context"].eq("DataFrameSchema")
    out = []
    # A dataframe-wide rule (close before create, won but not closed) fails once per row, not per column.
    for reason, group in cases[frame_level].groupby("reason", sort=False):
        rows = pd.Series(group["index"].astype(int).unique())
        reason = Reason(reason)
        out.append(_records(spec, file, rows, _frame_check_columns(spec, reason), reason, None))
    for (column, reason), group in cases[~frame_level].groupby(["column", "reason"], sort=False):
        rows = pd.Series(group["index"].astype(int).unique())
        reason = Reason(reason)
        message = _range_message(spec.column(column)) if reason is Reason.OUT_OF_RANGE else None
        out.append(_records(spec, file, rows, column, reason, data.loc[rows, column], message))
    return out


_PERIOD = r"\d{4}-Q[1-4]"


def _rules_hold(spec: TableSpec, data: pd.DataFrame, stages) -> bool:
    """True only when no row of ``data`` can break a rule of :func:`pandera_schema`: required values present,
    ranges, allowed values, stage map, period format, date order, won implies closed (and the values a closed
    deal needs, checked by :func:`_closed_needs`).

    Each check is at least as strict as pandera's own, so True is never wrong; False (or a check that
    cannot run on what it is given) just means pandera decides. Allowed values are checked on the distinct
    values only, a few per column even on millions of rows.
    """
    if not data.columns.is_unique:
        return False
    try:
        for col in spec.columns:
            if col.name not in data:
                continue
            values = data[col.name]
            if col.required and not col.blank_when_open and values.isna().any():
                return False
            if col.min is not None and (values < col.min).any():
                return False
            if col.max is not None and (values > col.max).any():
                return False
            allowed = [list(col.allowed)] if col.allowed else []
            if col.name == "stage" and stages is not None:
                allowed.append(list(stages))
            if allowed:
                distinct = set(_distinct(values))
                if any(not distinct <= set(pool) for pool in allowed):
                    return False
            if col.name == "period" and not values.dropna().astype(str).str.fullmatch(_PERIOD).all():
                return False
        for earlier, later, _ in spec.date_order:
            if earlier in data and later in data and (
                    data[later].notna() & data[earlier].notna() & (data[later] < data[earlier])).any():
                return False
        blank_when_open = [c for c in spec.blank_when_open if c in data]
        if blank_when_open and "is_closed" in data:  # a closed row needs them (see _closed_needs)
            closed = data["is_closed"].fillna(False).astype(bool)
            if (data[blank_when_open].isna().any(axis=1) & closed).any():
                return False
        if {"is_won", "is_closed"} <= {c.name for c in spec.columns}:
            won = data["is_won"].fillna(False).astype(bool)
            if (won & ~data["is_closed"].fillna(False).astype(bool)).any():
                return False
    except (TypeError, ValueError, KeyError, pa.ArrowException):
        return False
    return True


# Why a closed deal cannot do without a value an open deal may leave blank.
_CLOSED_NEEDS = {
    "amount": "a closed deal needs its amount: it is the value won or lost that bookings, win value and deal "
              "size count (only an open deal may leave it blank)",
    "close_date": "a closed deal needs its close date: it places the win or loss in a period (only an open deal "
                  "may leave it blank)",
    "created_date": "a closed deal needs its created date: it gives the deal's sales cycle (only an open deal may "
                    "leave it blank)",
}


def _closed_needs(spec: TableSpec, data: pd.DataFrame, file: str) -> list[pd.DataFrame]:
    """Reject records for closed rows (``is_closed`` true) that leave blank a value only an open row may
    leave blank (see :attr:`quotabook.schemas.Column.blank_when_open`)."""
    columns = [c for c in spec.blank_when_open if c in data]
    if not columns or "is_closed" not in data:
        return []
    closed = data["is_closed"].fillna(False).astype(bool)
    out = []
    for column in columns:
        blank = closed & data[column].isna()
        if blank.any():
            rows = pd.Series(data.index[blank])
            message = _CLOSED_NEEDS.get(column, _MESSAGES[Reason.MISSING_VALUE])
            out.append(_records(spec, file, rows, column, Reason.MISSING_VALUE, None, message))
    return out


def _distinct(values: pd.Series) -> list:
    """The distinct non-missing values of a column (Arrow's hash for Arrow text, pandas' otherwise)."""
    data = _arrow(values)
    if data is not None:
        return pc.unique(data).drop_null().to_pylist()
    return values.dropna().unique().tolist()


def _range_message(col: Column) -> str:
    def shown(v: float | None) -> str:
        return "any" if v is None else f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"

    return f"value out of the allowed range: {shown(col.min)} to {shown(col.max)}"


def _reason_of(check: str) -> Reason:
    text = str(check)
    if "not_nullable" in text:
        return Reason.MISSING_VALUE
    try:
        return Reason(text)
    except ValueError:
        return Reason.UNKNOWN_VALUE


def _frame_check_columns(spec: TableSpec, reason: Reason) -> str:
    if reason is Reason.WON_BUT_NOT_CLOSED:
        return "is_won, is_closed"
    pairs = [f"{a}, {b}" for a, b, r in spec.date_order if r is reason]
    return "; ".join(pairs)


def _duplicate_keys(spec: TableSpec, data: pd.DataFrame, file: str) -> list[pd.DataFrame]:
    """Exact duplicate rows keep their first copy; ids repeated with different values are all rejected,
    because there is no telling which copy is right."""
    key = [k for k in spec.key if k in data]
    if not key:
        return []
    canonical = [c.name for c in spec.columns if c.name in data]
    if len(key) == 1 and _all_distinct(data[key[0]]):
        return []
    dup_key = data.duplicated(key, keep=False)
    if not dup_key.any():
        return []
    exact_repeat = data.duplicated(canonical, keep="first")
    conflicting_keys = data[dup_key & ~data.duplicated(canonical, keep=False)][key].drop_duplicates()
    conflict = data[key].merge(conflicting_keys.assign(_c=True), on=key, how="left")["_c"].fillna(False)
    conflict = conflict.to_numpy(dtype=bool) & dup_key.to_numpy()
    out = []
    label = ", ".join(key)
    if conflict.any():
        rows = pd.Series(data.index[conflict])
        out.append(_records(spec, file, rows, label, Reason.DUPLICATE_ID, data.loc[rows, key[0]]))
    repeat = exact_repeat.to_numpy() & ~conflict
    if repeat.any():
        rows = pd.Series(data.index[repeat])
        out.append(_records(spec, file, rows, label, Reason.DUPLICATE_ID, data.loc[rows, key[0]],
                            "an exact copy of an earlier row (the first copy is kept)"))
    return out


def _all_distinct(keys: pd.Series) -> bool:
    """True only when no two values of ``keys`` are equal (two missing values count as equal, as in
    ``duplicated``); False means "maybe not", and the caller looks at the values themselves.

    Arrow text is decided on a 64-bit fingerprint per value: no two fingerprints equal means no two values
    equal, and sorting numbers is several times cheaper than hashing millions of Arrow strings.
    """
    data = _arrow(keys)
    if data is None:
        return bool(keys.is_unique)
    prints = _fingerprints(data)
    if prints is None:
        return False
    prints.sort()
    return not (prints[1:] == prints[:-1]).any()


_WEIGHTS = np.random.default_rng(20261123).integers(1, 2**63, size=64, dtype=np.uint64) | np.uint64(1)
_LENGTH_WEIGHT = np.uint64(0x9E3779B97F4A7C15)


def _fingerprints(data: pa.ChunkedArray) -> np.ndarray | None:
    """A 64-bit number per string, equal for equal strings (missing values all map to 0, as does "").

    The string's bytes, read as little-endian 64-bit words (zero-padded), are multiplied by random odd
    weights for their place and summed (modulo 2**64), plus a multiple of the length. A chunk whose
    strings all have one length (ids, as a rule) is done word-wise in one pass; others byte by byte.
    Strings longer than 64 bytes (not ids) give None.
    """
    out = []
    for chunk in data.chunks:
        n = len(chunk)
        if n == 0:
            continue
        offsets, values, valid = _buffers(chunk)
        lengths = np.diff(offsets)
        start, stop = int(offsets[0]), int(offsets[-1])
        if n and (lengths.max() > len(_WEIGHTS) or lengths.min() < 0):
            return None
        raw = values[start:stop]
        width = int(lengths[0])
        if width and (lengths == width).all():
            words = -(-width // 8)
            block = np.zeros((n, words * 8), dtype=np.uint8)
            block[:, :width] = raw.reshape(n, width)
            prints = block.view("<u8") @ _WEIGHTS[:words] if words > 1 else block.view("<u8")[:, 0] * _WEIGHTS[0]
        else:
            words = (lengths + 7) // 8
            block = np.zeros(int(words.sum()) * 8, dtype=np.uint8)
            where = np.repeat(np.cumsum(words) * 8 - words * 8, lengths) + \
                np.arange(stop - start, dtype=np.int64) - np.repeat(offsets[:-1] - start, lengths)
            block[where] = raw
            word_values = block.view("<u8")
            place = np.arange(len(word_values), dtype=np.int64) - np.repeat(np.cumsum(words) - words, words)
            products = word_values * _WEIGHTS[place]
            prints = np.zeros(n, dtype=np.uint64)
            nonempty = words > 0
            if len(products):
                prints[nonempty] = np.add.reduceat(products, (np.cumsum(words) - words)[nonempty])
        prints = np.asarray(prints, dtype=np.uint64) + lengths.astype(np.uint64) * _LENGTH_WEIGHT
        if valid is not None:
            prints[~valid] = np.uint64(0)
        out.append(prints)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


# -- cross-table references ---------------------------------------------------------------------------
def validate_references(results: dict[str, TableResult]) -> None:
    """Reject rows that refer to ids absent from the table they point to (after that table's own
    validation, so a deal rejected for a bad date also takes its history rows with it: a history row is the
    deal's state, which cannot be placed without the deal).

    A reference column a table declares ``detachable`` (an activity's deal) is cleared instead when the row
    it points to was rejected: the activity is kept, unlinked, and recorded in ``TableResult.detached``.
    """
    from .dataset import is_in  # deferred: dataset imports this module
    for name, result in results.items():
        spec = TABLES[name]
        for column, target in spec.refs.items():
            t_table, t_col = target.split(".")
            if t_table not in results or column not in result.data:
                continue
            # A target table rejected whole (wrong delimiter, missing column) may lack the column entirely.
            known = results[t_table].data.get(t_col, pd.Series(dtype=object))
            values = result.data[column]
            bad = values.notna() & ~is_in(values, known)
            if not bad.any():
                continue
            reason = Reason.UNKNOWN_TERRITORY if t_table == "territories" else Reason.UNKNOWN_OPPORTUNITY
            noun = t_table.removesuffix("ies") + "y" if t_table.endswith("ies") else t_table.removesuffix("s")
            rejected = values[bad].astype(str).str.strip().isin(results[t_table].keys_read)
            if column in spec.detachable and rejected.any():
                _detach(result, column, rejected.index[rejected.to_numpy()])
                bad = bad & ~bad.index.isin(rejected.index[rejected.to_numpy()])
                if not bad.any():
                    continue
                rejected = rejected[~rejected]
                values = result.data[column]
            rows = pd.Series(result.data.index[bad])
            message = pd.Series(f"refers to {'an' if noun[0] in 'aeiou' else 'a'} {noun} that is not in {t_table}",
                                index=rejected.index, dtype=object)
            target = results[t_table]
            message[rejected] = (f"refers to {'an' if noun[0] in 'aeiou' else 'a'} {noun} that was rejected "
                                 f"(see that row's own problem in {Path(target.file).name})"
                                 + (": a deal's history cannot be placed without the deal"
                                    if name == "opportunity_history" else ""))
            if target.read and not target.used:
                message[:] = (f"refers to {'an' if noun[0] in 'aeiou' else 'a'} {noun}, but every row of "
                              f"{Path(target.file).name} was rejected (see its own problem)")
            recs = _records(spec, result.file, rows, column, reason, values[bad], message)
            result.rejects = pd.concat([result.rejects, recs], ignore_index=True)
            result.data = result.data[~bad]
            result.rejected_rows += int(bad.sum())


def _detach(result: TableResult, column: str, index: pd.Index) -> None:
    """Keep the rows at ``index`` of ``result`` with ``column`` cleared, recording what it held."""
    owner = result.data.loc[index, "owner"] if "owner" in result.data else pd.Series(None, index=index)
    record = pd.DataFrame({"column": column, "value": result.data.loc[index, column].astype(str).to_numpy(),
                           "owner": owner.to_numpy()}, columns=DETACHED_COLUMNS)
    result.detached = pd.concat([f for f in (result.detached, record) if len(f)], ignore_index=True)
    result.data[column] = result.data[column].mask(result.data.index.isin(index))


def validate_tables(raw_tables: dict[str, tuple[pd.DataFrame, str]], stages: list[str], *,
                    keep_raw: bool = False) -> ValidationReport:
    """Validate every table given as ``{name: (raw frame, file label)}``, then cross-table references.

    ``keep_raw`` keeps each table's rows as read (``TableResult.raw``), for :meth:`ValidationReport.rejected_rows`.
    """
    report = ValidationReport()
    for name, (raw, file) in raw_tables.items():
        result, problems = validate_table(TABLES[name], raw, file, stages)
        report.file_problems.extend(problems)
        if result is not None:
            result.raw = raw.reset_index(drop=True) if keep_raw else None
            report.tables[name] = result
    validate_references(report.tables)
    for result in report.tables.values():
        result.data = result.data.reset_index(drop=True)
    return report
