"""Formatting metric values for tables, vectorised over pandas Series (a scalar in gives a string out).

The catalog's :func:`~quotabook.metrics.catalog.format_value` writes single values for the glossary
(benchmark bands, alert thresholds: "22%", "3×", "12:1" with up to four significant digits). Tables need
fixed rounding instead, so every cell of a column reads alike: these helpers share its unit names and
suffixes (``percent`` → "22%", ``ratio`` → "3.0×", ``n_to_1`` → "12:1", ``currency`` → "$1.2M",
``days`` → "15.9 days") and round half up to a fixed number of decimals.

Rounding is *half up* (away from zero at exactly .5), after dropping floating-point noise below 1e-9, never
Python's round-half-to-even: InsightSquared's SDR table shows 4,285 dials for 2 deals (2,142.5) as "2,143:1",
which round-half-to-even would print as 2,142:1. Missing values (a ratio with a zero denominator) show
as "–".

A single number takes a scalar path (:func:`_fixed_one`): the same NumPy operations on one ``float64``, so
the same text, without building pandas Series. Charts format every tick label and bar label one value at a
time (a page's charts ask for over a thousand), and the Series path cost milliseconds per value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..grammar import day as say_day

__all__ = ["MISSING", "SYMBOLS", "UNITS", "band", "by_unit", "count", "currency", "date", "days", "format_frame",
           "literal_style", "multiple", "n_to_1", "percent", "round_half_up"]

MISSING = "–"
#: The catalog's units (``unit`` of a metric), each with one format: see :func:`by_unit`.
UNITS = frozenset({"count", "currency", "currency_per_day", "percent", "ratio", "n_to_1", "days"})
_THOUSANDS = r"\B(?=(\d{3})+(?!\d))"


def _series(value: Any) -> tuple[pd.Series, bool]:
    """(values as a float Series, whether a scalar was given)."""
    if isinstance(value, pd.Series):
        return pd.to_numeric(value, errors="coerce").astype("float64"), False
    if np.ndim(value) == 0:
        return pd.Series([value], dtype="float64"), True
    return pd.Series(np.asarray(value, dtype="float64")), False


#: Magnitudes the scalar path handles: below 2**53 every whole number is exact and fits ``int64``, as the
#: Series path's ``astype("int64")`` needs; larger ones (and anything that is not a plain number) take it.
_SCALAR_LIMIT = 2.0 ** 53


def _one(value: Any) -> np.float64 | None:
    """``value`` as one ``float64`` when the scalar path can format it exactly as the Series path would (a
    Python or NumPy number, not a bool, finite or not, below :data:`_SCALAR_LIMIT` in size); else None."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    try:
        x = np.float64(value)
    except OverflowError:  # an int too large for a float: the Series path says what it makes of it
        return None
    return x if not np.isfinite(x) or np.abs(x) * 1e4 < _SCALAR_LIMIT else None


def _fixed_one(x: np.float64, decimals: int, thousands: bool = True) -> str:
    """:func:`_fixed` of one number (the same operations on a ``float64``, so the same text)."""
    if not np.isfinite(x):
        return MISSING
    scale = 10 ** decimals
    units = np.floor(np.round(np.abs(x) * scale, 9) + 0.5)
    whole = int(units // scale)
    text = f"{whole:,}" if thousands else str(whole)
    if decimals > 0:
        text += "." + str(int(units % scale)).zfill(decimals)
    return ("-" if x < 0 and units > 0 else "") + text


def _suffixed(text: str, suffix: str) -> str:
    return text if text == MISSING else text + suffix


def _out(text: pd.Series, scalar: bool) -> pd.Series | str:
    return str(text.iloc[0]) if scalar else text.astype("str")


def date(value: Any) -> pd.Series | str:
    """Dates as every page writes them, in sentences and tables alike: "5 Nov 2026" (the day, the month's
    abbreviation, the year; no time of day), so a pack never mixes "Nov 05, 2026", "Sep 15" and "2026-11-05".
    A blank (NaT) is :data:`MISSING`. A scalar (a Timestamp, a date or an ISO string) gives a string, a Series a
    Series on the same index."""
    if not isinstance(value, pd.Series) and np.ndim(value) == 0:  # one day: grammar's, without a Series
        when = pd.to_datetime(value, errors="coerce")
        return MISSING if pd.isna(when) else say_day(when)
    days = pd.to_datetime(pd.Series(value), errors="coerce")
    text = days.dt.day.astype("Int64").astype("str") + days.dt.strftime(" %b %Y")  # grammar.day, column-wise
    return text.where(days.notna(), MISSING)


def band(low: Any, high: Any, unit: str = "percent") -> pd.Series:
    """Benchmark bands as text: "22–35%" (shares 0–1) or "10–20 days"; "–" where there is no band. One form for
    every page, so the funnel's and the won/lost page's win-rate band read alike (never "22%–35%")."""
    low, high = pd.Series(low, dtype="float64"), pd.Series(high, dtype="float64")
    if unit == "percent":
        text = count(low * 100) + "–" + count(high * 100) + "%"
    else:
        text = count(low) + "–" + count(high) + " days"
    return text.where(low.notna() & high.notna(), MISSING)


def round_half_up(value: Any, decimals: int = 0) -> pd.Series | float:
    """Round half away from zero to ``decimals`` places (2,142.5 → 2,143; 7.5 → 8; -0.5 → -1).

    Parameters
    ----------
    value : scalar or pandas.Series
        Numbers, in any unit.
    decimals : int
        Places after the decimal point to keep.

    Returns
    -------
    pandas.Series or float
        Rounded values (same index), NaN where the input is missing.
    """
    if (one := _one(value)) is not None:
        scale = 10.0 ** decimals
        return float(np.sign(one) * np.floor(np.round(np.abs(one) * scale, 9) + 0.5) / scale)
    x, scalar = _series(value)
    scale = 10.0 ** decimals
    out = np.sign(x) * np.floor(np.round(np.abs(x) * scale, 9) + 0.5) / scale
    return float(out.iloc[0]) if scalar else out


def _fixed(x: pd.Series, decimals: int, thousands: bool = True) -> pd.Series:
    """Numbers as text with ``decimals`` places, rounded half up, with thousands separators; "–" if missing."""
    ok = np.isfinite(x)
    scale = 10 ** decimals
    units = np.floor(np.round(np.abs(x.where(ok, 0.0)) * scale, 9) + 0.5)
    whole = (units // scale).astype("int64").astype("str")
    if thousands:
        whole = whole.str.replace(_THOUSANDS, ",", regex=True)
    if decimals > 0:
        whole = whole + "." + (units % scale).astype("int64").astype("str").str.zfill(decimals)
    sign = pd.Series(np.where((x < 0) & (units > 0), "-", ""), index=x.index)
    return (sign + whole).where(ok, MISSING)


def n_to_1(value: Any, *, thousands: bool = True) -> pd.Series | str:
    """Activities per one result as "N:1" (InsightSquared's SDR table: 3,844 dials / 333 connects → "12:1").

    Rule: the exact ratio is rounded half up to a whole number (349.45 → "349:1", 7.5 → "8:1",
    2,142.5 → "2,143:1"), with a thousands separator. A positive ratio that would round to zero keeps one
    decimal ("0.4:1") so it never reads as 0:1; a missing ratio (zero denominator) is "–".

    Parameters
    ----------
    value : scalar or pandas.Series
        Ratios (activities per result, a plain number such as 11.54).
    thousands : bool
        Group thousands with a comma ("3,844:1"); InsightSquared's Total row prints "1155:1" without one.
    """
    if (one := _one(value)) is not None:
        small = one > 0 and round_half_up(one) < 1
        return _suffixed(_fixed_one(one, 1 if small else 0, thousands), ":1")
    x, scalar = _series(value)
    small = (x > 0) & (round_half_up(x) < 1)
    text = _fixed(x, 0, thousands).where(~small, _fixed(x, 1, thousands))
    return _out(text.where(text == MISSING, text + ":1"), scalar)


def count(value: Any, decimals: int = 0) -> pd.Series | str:
    """Counts with thousands separators ("15,013")."""
    if (one := _one(value)) is not None:
        return _fixed_one(one, decimals)
    x, scalar = _series(value)
    return _out(_fixed(x, decimals), scalar)


#: Currency symbols written before a compact amount ("$1.2M"); other codes follow it ("1.2M SEK").
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}


def currency(value: Any, code: str = "", *, decimals: int | None = None) -> pd.Series | str:
    """Amounts in the reporting currency, compact, as every page, table, chart and the index write them:
    "$1.2M", "$850K", "$420", "€3.4B", "1.2M SEK" (one decimal for millions and billions, none below;
    ``decimals`` overrides). The symbol of :data:`SYMBOLS` goes before the number, any other code after it;
    no code gives the bare number ("1.2M"). A sign shows only where the printed figure is not zero ("$0",
    never "-$0"). Exact amounts are what the CSV and XLSX exports of a pack hold.

    Parameters
    ----------
    value : scalar or pandas.Series
        Amounts in the reporting currency.
    code : str
        Currency code ("USD").
    decimals : int, optional
        Places after the decimal point at every scale.
    """
    if (one := _one(value)) is not None:
        return _currency_one(one, code, decimals)
    x, scalar = _series(value)
    size = np.abs(x)
    scales = [(1e9, "B", 1), (1e6, "M", 1), (1e3, "K", 0)]
    text = _fixed(size, decimals or 0)
    for bound, suffix, places in reversed(scales):  # largest scale last, so it wins
        text = text.where(~(size >= bound), _fixed(size / bound, places if decimals is None else decimals) + suffix)
    shown = text.str.contains(r"[1-9]", regex=True)
    sign = pd.Series(np.where((x < 0) & shown, "-", ""), index=x.index)
    symbol = SYMBOLS.get(code)
    text = sign + (symbol + text if symbol else text + (" " + code if code else ""))
    return _out(text.where(np.isfinite(x), MISSING), scalar)


def _currency_one(x: np.float64, code: str, decimals: int | None) -> str:
    """:func:`currency` of one number (the same rules, one ``float64``)."""
    if not np.isfinite(x):
        return MISSING
    size = np.abs(x)
    text = _fixed_one(size, decimals or 0)
    for bound, suffix, places in ((1e9, "B", 1), (1e6, "M", 1), (1e3, "K", 0)):  # the largest scale reached
        if size >= bound:
            text = _fixed_one(size / bound, places if decimals is None else decimals) + suffix
            break
    sign = "-" if x < 0 and any(c in "123456789" for c in text) else ""
    symbol = SYMBOLS.get(code)
    return sign + (symbol + text if symbol else text + (" " + code if code else ""))


def percent(value: Any, decimals: int = 0) -> pd.Series | str:
    """Shares stored 0–1 as percentages ("0.2222" → "22%"; with ``decimals=1`` "22.2%")."""
    if (one := _one(value)) is not None:
        return _suffixed(_fixed_one(one * 100, decimals), "%")
    x, scalar = _series(value)
    text = _fixed(x * 100, decimals)
    return _out(text.where(text == MISSING, text + "%"), scalar)


def multiple(value: Any, decimals: int = 1) -> pd.Series | str:
    """Multiples (unit ``ratio``) as "3.0×"."""
    if (one := _one(value)) is not None:
        return _suffixed(_fixed_one(one, decimals), "×")
    x, scalar = _series(value)
    text = _fixed(x, decimals)
    return _out(text.where(text == MISSING, text + "×"), scalar)


def days(value: Any, decimals: int = 1) -> pd.Series | str:
    """Durations in days as "15.9 days"."""
    if (one := _one(value)) is not None:
        return _suffixed(_fixed_one(one, decimals), " days")
    x, scalar = _series(value)
    text = _fixed(x, decimals)
    return _out(text.where(text == MISSING, text + " days"), scalar)


def by_unit(value: Any, unit: str, currency_code: str = "") -> pd.Series | str:
    """Format ``value`` for a table by a catalog unit (count, currency, currency_per_day, percent, ratio,
    n_to_1, days), each with its default decimals.

    Raises
    ------
    ValueError
        ``unit`` is not a catalog unit.
    """
    if unit == "n_to_1":
        return n_to_1(value)
    if unit == "percent":
        return percent(value)
    if unit == "ratio":
        return multiple(value)
    if unit == "days":
        return days(value)
    if unit == "count":
        return count(value)
    if unit in ("currency", "currency_per_day"):
        text = currency(value, currency_code)
        if unit == "currency":
            return text
        if isinstance(text, str):
            return text if text == MISSING else text + " per day"
        return text.where(text == MISSING, text + " per day")
    raise ValueError(f"unknown unit {unit!r}")


def format_frame(frame: pd.DataFrame, units: Mapping[str, str], currency_code: str = "") -> pd.DataFrame:
    """A copy of ``frame`` with each column named in ``units`` formatted by :func:`by_unit`; other columns
    are left as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        Numbers to show.
    units : mapping of column → catalog unit
        How to show each column (e.g. ``{"Dials": "count", "Dial:Connect": "n_to_1"}``).
    currency_code : str
        Currency code for currency columns.
    """
    out = frame.copy()
    for column, unit in units.items():
        if column in out:
            out[column] = by_unit(out[column], unit, currency_code)
    return out


def literal_style(frame: pd.DataFrame, formats: Mapping[str, str] | None = None, *, na_rep: str | None = None):
    """A pandas Styler of ``frame`` whose cells, row and column labels and index names are HTML-escaped, so
    text from the data (deal, account, rep, territory names) shows as typed and never acts as HTML.

    ``formats`` (column -> format string) go in the same ``format`` call: a second ``format`` call would
    reset the escaping of every column it does not name.
    """
    styler = frame.style.format(formats, escape="html", na_rep=na_rep)
    for axis in (0, 1):
        styler = styler.format_index(escape="html", axis=axis).format_index_names(escape="html", axis=axis)
    return styler
