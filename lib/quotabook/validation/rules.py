"""The row rules of a canonical table: required columns, dates not in the future, the pandera schema
(required values, ranges, allowed values, stage map, date order) and the values a closed deal needs.

The pandera schema is slow on millions of rows: :func:`_rules_hold` restates its rules as vectorised checks at
least as strict, so clean tables skip it; any row they doubt sends the table through pandera, which says
exactly what is wrong."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames import arrow_text
from ..grammar import noun
from ..schemas import Column, Reason, TableSpec, pandera_schema
from .reading import DELIMITERS, shown_delimiter
from .results import _MESSAGES, _records, file_problem


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
                        f"required {noun('column', len(missing))} missing: {', '.join(missing)} "
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

    :func:`quotabook.validation.validate_table` runs it only when :func:`_rules_hold` cannot vouch for the
    table: on clean data (the usual case, and every large table) the vectorised checks there decide alone,
    much faster; any row they doubt sends the table through pandera, which then says exactly what is wrong.
    """
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
    data = arrow_text(values)
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
