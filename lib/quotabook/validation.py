"""Read canonical tables, coerce their types and validate them, setting bad rows aside.

Nothing is dropped silently: every problem becomes a reject record (file, row, column, reason, value),
rows that cannot be used are removed from the table they came from, and per table the counts reconcile:
rows read = rows used + rows rejected. A row with several problems is rejected once and listed once per
problem. ``row`` is the 1-based data row in the file (the CSV header is not counted; line = row + 1).

Order of work per table: read → missing columns → type coercion (bad dates / numbers / booleans) →
pandera checks (required values, ranges, allowed values, stage map, date order) → duplicate keys →
references to other tables (history for unknown deals, unknown territories).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors as pa_errors

from .errors import DataValidationError
from .schemas import TABLES, Column, Reason, TableSpec, pandera_schema

__all__ = ["REJECT_COLUMNS", "TableResult", "ValidationReport", "file_problem", "read_table_file", "validate_table",
           "validate_tables"]

REJECT_COLUMNS = ["table", "file", "row", "column", "reason", "value", "message"]
NA_STRINGS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none", "#N/A"]
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_MESSAGES = {
    Reason.MISSING_VALUE: "a required value is empty",
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
    def ok(self) -> bool:
        return not self.file_problems and all(r.rejected_rows == 0 for r in self.tables.values())

    def summary(self, limit: int = 50) -> str:
        """A plain-text report: counts per table, then each problem as file:row column — reason."""
        lines = ["table                 read    used  rejected  file"]
        for r in self.tables.values():
            lines.append(f"{r.name:<20} {r.read:>6} {r.used:>7} {r.rejected_rows:>9}  {r.file}")
        rejects = self.rejects
        if len(rejects):
            lines.append("")
            lines.append(f"{len(rejects)} problem(s):")
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
def read_table_file(path: Path) -> pd.DataFrame:
    """Read one CSV or Parquet file. CSV is read as text so coercion can report each bad cell."""
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".parquet"):
        return pd.read_parquet(path).reset_index(drop=True)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=NA_STRINGS,
                       encoding="utf-8-sig", skipinitialspace=True)


# -- coercion ----------------------------------------------------------------------------------------
def _coerce(series: pd.Series, col: Column) -> tuple[pd.Series, pd.Series, Reason | None]:
    """Return (coerced, failed mask, reason). ``failed`` marks non-empty values that did not parse."""
    present = series.notna()
    if col.kind in ("date", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(series):
            out = series
        else:
            out = pd.to_datetime(series.astype("string").str.strip(), errors="coerce", format="ISO8601")
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
        else:
            out = pd.to_numeric(series.astype("string").str.strip(), errors="coerce").astype("float64")
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
             values: pd.Series | None, message: str | None = None) -> pd.DataFrame:
    """Reject records for the rows (positions) given."""
    n = len(rows)
    vals = values.astype("string").to_numpy() if values is not None else [None] * n
    return pd.DataFrame({
        "table": spec.name, "file": file, "row": rows.to_numpy() + 1, "column": column,
        "reason": reason.value, "value": vals, "message": message or _MESSAGES.get(reason, reason.value),
    }, columns=REJECT_COLUMNS)


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
        problem = file_problem(spec.name, file, Reason.MISSING_COLUMN.value,
                               f"required column(s) missing: {', '.join(missing)} "
                               f"(found: {', '.join(map(str, raw.columns)) or 'none'})", ", ".join(missing))
        rejects = _records(spec, file, pd.Series(range(read)), ", ".join(missing), Reason.MISSING_COLUMN,
                           None, problem["message"])
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
            found.append(_records(spec, file, pos, col.name, reason, raw.loc[failed, col.name]))
    extra = [c for c in raw.columns if c not in data.columns]
    for c in extra:  # columns outside the canonical schema travel along untouched
        data[c] = raw[c]

    found.extend(_pandera_failures(spec, data, file, stages))
    found.extend(_duplicate_keys(spec, data, file))
    rejects = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=REJECT_COLUMNS)
    # A value that failed to parse is reported as such, not again as "missing".
    unparsed = rejects["reason"].isin([Reason.BAD_DATE, Reason.BAD_NUMBER, Reason.BAD_BOOLEAN])
    seen = set(zip(rejects.loc[unparsed, "row"], rejects.loc[unparsed, "column"], strict=True))
    echo = rejects["reason"].eq(Reason.MISSING_VALUE) & pd.Series(
        [(r, c) in seen for r, c in zip(rejects["row"], rejects["column"], strict=True)], index=rejects.index)
    rejects = rejects[~echo].reset_index(drop=True)
    bad_rows = set(rejects["row"].dropna().astype(int) - 1)
    keep = ~data.index.isin(list(bad_rows))
    return TableResult(spec.name, file, data[keep], rejects, read, len(bad_rows)), []


def _pandera_failures(spec: TableSpec, data: pd.DataFrame, file: str, stages) -> list[pd.DataFrame]:
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
        out.append(_records(spec, file, rows, column, Reason(reason), data.loc[rows, column]))
    return out


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


# -- cross-table references ---------------------------------------------------------------------------
def validate_references(results: dict[str, TableResult]) -> None:
    """Reject rows that refer to ids absent from the table they point to (after that table's own
    validation, so a deal rejected for a bad date also takes its history rows with it)."""
    for name, result in results.items():
        spec = TABLES[name]
        for column, target in spec.refs.items():
            t_table, t_col = target.split(".")
            if t_table not in results or column not in result.data:
                continue
            known = results[t_table].data[t_col]
            values = result.data[column]
            bad = values.notna() & ~values.isin(known)
            if not bad.any():
                continue
            reason = Reason.UNKNOWN_TERRITORY if t_table == "territories" else Reason.UNKNOWN_OPPORTUNITY
            rows = pd.Series(result.data.index[bad])
            recs = _records(spec, result.file, rows, column, reason, values[bad])
            result.rejects = pd.concat([result.rejects, recs], ignore_index=True)
            result.data = result.data[~bad]
            result.rejected_rows += int(bad.sum())


def validate_tables(raw_tables: dict[str, tuple[pd.DataFrame, str]], stages: list[str]) -> ValidationReport:
    """Validate every table given as ``{name: (raw frame, file label)}``, then cross-table references."""
    report = ValidationReport()
    for name, (raw, file) in raw_tables.items():
        result, problems = validate_table(TABLES[name], raw, file, stages)
        report.file_problems.extend(problems)
        if result is not None:
            report.tables[name] = result
    validate_references(report.tables)
    for result in report.tables.values():
        result.data = result.data.reset_index(drop=True)
    return report
