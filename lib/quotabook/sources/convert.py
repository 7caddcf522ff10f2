"""Cell converters for CRM exports: currency strings, locale and Excel dates, value maps.

Each converter returns ``(converted, failed)``: ``failed`` marks non-empty cells that could not be read,
which stay as they were so the reject shows the original text.
"""

from __future__ import annotations

import re

import pandas as pd

from ..schemas import ROW
from ..validation.coercion import EXCEL_EPOCH

__all__ = ["ROW", "SYMBOLS", "parse_amounts", "parse_dates"]

# Currency symbols an export may glue to an amount, and the ISO code each stands for.
SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "CHF": "CHF", "A$": "AUD", "C$": "CAD"}
_CODE = re.compile(r"^(?P<pre>[A-Z]{3}|US\$|A\$|C\$|[$€£¥])?\s*(?P<num>[-+(]?[\d.,\s'’]*\d[\d.,\s'’]*\)?)\s*"
                   r"(?P<post>[A-Z]{3}|[$€£¥])?$")


def _number(text: str, decimal: str | None) -> float | None:
    negative = (text.startswith("(") and text.endswith(")")) or text.startswith("-")
    digits = text.strip("()+-").replace(" ", "").replace("\u00a0", "").replace("'", "").replace("’", "")
    if decimal is None:
        last_dot, last_comma = digits.rfind("."), digits.rfind(",")
        if last_dot >= 0 and last_comma >= 0:
            decimal = "." if last_dot > last_comma else ","
        elif last_comma >= 0:
            # "1,234" and "1,234,567" are thousands; "1234,5" and "12,50" are decimals.
            groups = digits.split(",")
            decimal = "," if len(groups) == 2 and len(groups[1]) != 3 else "."
        else:
            decimal = "."
    thousands = "," if decimal == "." else "."
    digits = digits.replace(thousands, "")
    if decimal == ",":
        digits = digits.replace(",", ".")
    try:
        value = float(digits)
    except ValueError:
        return None
    return -value if negative else value


def parse_amounts(series: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Read amounts written as "$1,234.50", "1.234,50 €", "EUR 1 234,50" or plain numbers.

    Returns (amounts as float, failed mask, ISO currency code found in the text or NA). ``decimal``
    forces the decimal separator ("." or ","); by default it is inferred per cell.
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64"), pd.Series(False, index=series.index), pd.Series(pd.NA, index=series.index,
                                                                                          dtype="string")
    values, codes, failed = [], [], []
    for cell in series:
        if cell is None or (not isinstance(cell, str) and pd.isna(cell)) or str(cell).strip() == "":
            values.append(float("nan"))
            codes.append(pd.NA)
            failed.append(False)
            continue
        match = _CODE.match(str(cell).strip().replace("\u00a0", " "))
        number = _number(match["num"].strip(), decimal) if match else None
        if number is None:
            values.append(float("nan"))
            codes.append(pd.NA)
            failed.append(True)
            continue
        mark = (match["pre"] or match["post"] or "").strip()
        values.append(number)
        codes.append(SYMBOLS.get(mark, mark) if mark else pd.NA)
        failed.append(False)
    idx = series.index
    return (pd.Series(values, index=idx, dtype="float64"), pd.Series(failed, index=idx, dtype=bool),
            pd.Series(codes, index=idx, dtype="string"))


def parse_dates(series: pd.Series, fmt: str | None = None, *, keep_time: bool = False) -> tuple[pd.Series, pd.Series]:
    """Read dates in ``fmt`` (strftime codes, e.g. "%m/%d/%Y"), ISO 8601, or as Excel serial numbers
    (days since 1899-12-30, e.g. 45292 = 2024-01-01). Returns (ISO text, failed mask)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series, pd.Series(False, index=series.index)
    text = series.astype("string").str.strip()
    present = text.notna() & text.ne("")
    # Everything is read as UTC (naive times taken as UTC), as validation does with offsets.
    # Microseconds, not nanoseconds: years up to 9999 fit, so a far-off date reaches validation as a date
    # and is rejected there for its year, not lost to an overflow here.
    unit = "datetime64[us, UTC]"
    out = pd.Series(pd.NaT, index=series.index, dtype=unit)
    if fmt:
        out = pd.to_datetime(text, format=fmt, errors="coerce", utc=True).astype(unit)
    iso = pd.to_datetime(text.where(out.isna()), format="ISO8601", errors="coerce", utc=True).astype(unit)
    out = out.fillna(iso)
    # Plain float64: a masked (nullable) array would hand its hidden values to to_timedelta, which overflows.
    serial = pd.to_numeric(text.where(out.isna()), errors="coerce").astype("float64")
    serial = serial.where((serial >= 1) & (serial < 2958466))  # Excel's range: 1900-01-01 to 9999-12-31
    days = pd.to_timedelta(serial, unit="D").astype("timedelta64[us]")
    out = out.fillna((EXCEL_EPOCH.as_unit("us") + days).dt.tz_localize("UTC").astype(unit))
    out = out.dt.tz_localize(None)
    failed = (present & out.isna()).fillna(False).astype(bool)
    shown = out.dt.strftime("%Y-%m-%dT%H:%M:%S" if keep_time else "%Y-%m-%d")
    result = shown.astype(object).where(out.notna(), series.astype(object))
    return result, failed
