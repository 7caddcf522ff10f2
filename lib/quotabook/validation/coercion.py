"""Coercing raw text (or typed columns) to each canonical column's type, saying why a value did not parse
(an Excel serial, a day/month date, a currency string), and putting text in Unicode NFC."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames import arrow_text, text_buffers
from ..schemas import Column, Reason
from .results import _MESSAGES

__all__ = ["EXCEL_EPOCH", "TRUE_TEXT", "coerce_column", "to_nfc"]

EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (it counts the phantom 1900-02-29)
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
TRUE_TEXT = frozenset(_TRUE)  # text read as true (case-insensitive, stripped)
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_STR = pd.Series([], dtype="str").dtype  # the canonical text dtype (Arrow-backed, NaN for missing)
_YEARS = (pd.Timestamp("1900-01-01"), pd.Timestamp("2201-01-01"))  # dates outside are typos, not dates
_DAY_NS = 86_400 * 10**9


def _clean_text(series: pd.Series) -> bool:
    """True when ``series`` already is canonical text: the ``str`` dtype, no value with surrounding
    whitespace, no empty value. Such a column (Parquet written by quotabook or any typed source) is used
    as it is: stripping and re-encoding millions of strings would change nothing.

    Only values whose first or last byte could belong to whitespace (a control or space byte, or any byte
    of a non-ASCII character) are trimmed to see whether trimming changes them; the rest cannot change.
    """
    data = arrow_text(series) if series.dtype == _STR else None
    if data is None or len(data) == 0 or data.null_count == len(data):
        return False
    for chunk in data.chunks:
        offsets, values, valid = text_buffers(chunk)
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


def _coerce_typed_dates(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, Reason]:
    """:func:`coerce_column` for a column that already holds naive datetimes: only the year range, the unit and
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


def coerce_column(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, Reason | None]:
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


_TEXT_KINDS = ("id", "string", "category")


def to_nfc(data: pd.DataFrame, column: str, file: str) -> str | None:
    """Put the text of ``data[column]`` in Unicode NFC, so that "Zürich" typed as one character or as "u" plus
    a combining diaeresis is one region, not two with the same heading; return a note naming the values
    that were written in more than one form (None when none was). Only distinct non-ASCII values are
    looked at (ASCII is always NFC): an all-ASCII column costs one vectorised test."""
    values = data[column]
    arrow = arrow_text(values)
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
