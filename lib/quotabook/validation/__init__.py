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

One module per job; this one runs them in order (:func:`validate_table`, :func:`validate_tables`):
:mod:`.reading` (sniffing and reading files), :mod:`.coercion` (types, and why a value did not parse),
:mod:`.rules` (row rules: the pandera schema and the vectorised fast path restating it), :mod:`.keys`
(duplicate keys), :mod:`.references` (references between tables) and :mod:`.results` (reject records, the
per-table result and the whole report).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..schemas import TABLES, Reason, TableSpec
from .coercion import _TEXT_KINDS, TRUE_TEXT, _explain, coerce_column, to_nfc
from .coercion import _clean_text as _clean_text  # reached by the fast-path tests
from .keys import _REFERENCED, _duplicate_keys, _keys_read
from .keys import _all_distinct as _all_distinct  # reached by the fast-path tests
from .reading import read_csv_file, read_parquet_file, read_table_file, shown_delimiter
from .references import validate_references
from .results import DETACHED_COLUMNS, REJECT_COLUMNS, TableResult, ValidationReport, _records, file_problem
from .rules import _closed_needs, _future_dates, _missing_columns, _pandera_failures, _rules_hold

__all__ = ["DETACHED_COLUMNS", "REJECT_COLUMNS", "TRUE_TEXT", "TableResult", "ValidationReport", "file_problem",
           "read_csv_file", "read_parquet_file", "read_table_file", "shown_delimiter", "validate_table",
           "validate_tables"]


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
        data[col.name], failed, reason = coerce_column(raw[col.name], col)
        if reason is not None and failed.any():
            pos = pd.Series(raw.index[failed])
            values = raw.loc[failed, col.name]
            found.append(_records(spec, file, pos, col.name, reason, values, _explain(reason, values)))
    notes = tuple(filter(None, (to_nfc(data, col.name, file) for col in known if col.kind in _TEXT_KINDS)))
    found.extend(_future_dates(spec, data, file))
    extra = [c for c in raw.columns if c not in data.columns]
    for c in extra:  # columns outside the canonical schema travel along untouched
        data[c] = raw[c]

    if not _rules_hold(spec, data, stages):  # the fast path vouches for clean tables; pandera decides the rest
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


def validate_tables(raw_tables: dict[str, tuple[pd.DataFrame, str]], stages: list[str], *,
                    keep_raw: bool = False, outside: Mapping[str, frozenset] | None = None) -> ValidationReport:
    """Validate every table given as ``{name: (raw frame, file label)}``, then cross-table references.

    ``keep_raw`` keeps each table's rows as read (``TableResult.raw``), for :meth:`ValidationReport.rejected_rows`.
    ``outside`` (a region read in part): per table, ids of its rows outside the region that are referred to
    (``RawSource.outside_ids``), references to them being kept.
    """
    report = ValidationReport()
    for name, (raw, file) in raw_tables.items():
        result, problems = validate_table(TABLES[name], raw, file, stages)
        report.file_problems.extend(problems)
        if result is not None:
            result.raw = raw.reset_index(drop=True) if keep_raw else None
            result.outside = frozenset((outside or {}).get(name, ()))
            report.tables[name] = result
    validate_references(report.tables)
    for result in report.tables.values():
        result.data = result.data.reset_index(drop=True)
    return report
