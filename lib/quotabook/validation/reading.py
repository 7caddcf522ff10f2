"""Reading a table file: CSV sniffed from its first 64 KiB (empty, binary, non-UTF-8 or foreign files are
refused before pandas reads them), rows with too many fields or cut short set aside as malformed; Parquet."""

from __future__ import annotations

import codecs
import csv
import gzip
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UnreadableFileError
from ..schemas import Reason

__all__ = ["DELIMITERS", "NA_STRINGS", "SNIFF_BYTES", "read_csv_file", "read_parquet_file", "read_table_file",
           "shown_delimiter"]

NA_STRINGS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none", "#N/A"]
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
