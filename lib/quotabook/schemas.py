"""The canonical tables, declared once: columns, types, required flags and row rules.

Column names follow the CRM objects users export (Salesforce Opportunity, OpportunityHistory, Task/Event;
HubSpot deals) in snake_case. Only ``required`` columns must be present; metrics that need an optional
column say so and are skipped with a visible note when it is absent.

``TABLES`` is the declaration; :func:`pandera_schema` turns a table into a pandera ``DataFrameSchema``
whose check names are :class:`Reason` codes, so validation failures translate straight into the user's
terms (see :mod:`quotabook.validation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "ACTIVITY_TYPES",
    "AMOUNT_MAX",
    "FILLED",
    "FORECAST_CATEGORIES",
    "OPPORTUNITY_TYPES",
    "ROW",
    "SEGMENTS",
    "TABLES",
    "TABLE_EXTENSIONS",
    "Column",
    "Reason",
    "TableSpec",
    "pandera_schema",
]

#: How the file of a canonical table may end (``opportunities.parquet``, ``.csv``, ``.csv.gz``), in order of preference.
TABLE_EXTENSIONS = (".parquet", ".csv", ".csv.gz")
# Columns a reader adds to a raw table beside the canonical ones (readers write them, validation carries them):
ROW = "_row"  # 1-based row of a raw table, kept through validation so loading can set mapped-out rows aside
# Prefix of the column in which a reader records, per row, how it filled a blank cell of a column
# (``filled_amount``: "prices (List price) by Product"); see ``fill`` in :mod:`quotabook.sources.mapping`.
FILLED = "filled_"

FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
OPPORTUNITY_TYPES = ("New Business", "Expansion", "Renewal")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
ACTIVITY_TYPES = ("dial", "connect", "email", "meeting_booked", "meeting_held", "task", "linkedin", "other")
EVIDENCE_FLAGS = ("economic_buyer", "champion", "decision_criteria", "paper_process")


class Reason(StrEnum):
    """Why a row (or a whole file) was set aside. The value is the code shown in reject tables."""

    UNREADABLE_FILE = "unreadable_file"
    AMBIGUOUS_FILE = "ambiguous_file"
    EMPTY_FILE = "empty_file"
    WRONG_DELIMITER = "wrong_delimiter"
    MISSING_COLUMN = "missing_column"
    MALFORMED_ROW = "malformed_row"
    MISSING_VALUE = "missing_value"
    BAD_DATE = "bad_date"
    BAD_NUMBER = "bad_number"
    BAD_BOOLEAN = "bad_boolean"
    FUTURE_DATE = "future_date"
    NEGATIVE_AMOUNT = "negative_amount"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_VALUE = "unknown_value"
    UNKNOWN_STAGE = "unknown_stage"
    BAD_PERIOD = "bad_period"
    DUPLICATE_ID = "duplicate_id"
    CLOSE_BEFORE_CREATE = "close_before_create"
    DATES_OUT_OF_ORDER = "dates_out_of_order"
    WON_BUT_NOT_CLOSED = "won_but_not_closed"
    UNKNOWN_OPPORTUNITY = "unknown_opportunity"
    UNKNOWN_TERRITORY = "unknown_territory"


@dataclass(frozen=True)
class Column:
    """One column: ``kind`` is id | string | date | datetime | number | bool | category."""

    name: str
    kind: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    description: str = ""
    # A required column an open deal may leave blank (real CRMs leave early deals without an amount or close
    # date): the column must be in the file, and a closed deal (``is_closed`` true) still needs a value.
    blank_when_open: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its columns, the key that must be unique, and row-level ordering rules."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    # (earlier, later, reason): rows where ``later < earlier`` break the rule.
    date_order: tuple[tuple[str, str, Reason], ...] = ()
    required_table: bool = False
    description: str = ""
    refs: dict[str, str] = field(default_factory=dict)  # column -> "table.column" it must exist in
    # Dates that record something that already happened (a deal's creation, a logged change): never after today.
    not_in_future: tuple[str, ...] = ()
    # Reference columns (of ``refs``) cleared rather than rejected when the row they point to was rejected:
    # a call logged on a deal with a bad amount still happened, and still counts for its owner.
    detachable: tuple[str, ...] = ()

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def blank_when_open(self) -> list[str]:
        """Required columns an open row may leave blank (see :attr:`Column.blank_when_open`)."""
        return [c.name for c in self.columns if c.blank_when_open]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Above a trillion, an amount is a typo or the wrong units (cents, a pasted id), not a deal.
AMOUNT_MAX = 1e12


def _amount(name: str, required: bool = False, desc: str = "", blank_when_open: bool = False) -> Column:
    return Column(name, "number", required, min=0, max=AMOUNT_MAX, description=desc or "in the deal's currency",
                  blank_when_open=blank_when_open)


def _probability() -> Column:
    return Column("probability", "number", min=0, max=100, description="win probability, 0-100")


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "opportunities",
            (
                Column("opportunity_id", "id", True),
                Column("name", "string"),
                Column("account_id", "string"),
                Column("account_name", "string"),
                Column("owner", "string", True, description="the account executive who owns the deal"),
                Column("territory", "string", True),
                Column("created_date", "date", True, blank_when_open=True),
                Column("close_date", "date", True, description="expected or actual close date", blank_when_open=True),
                Column("stage", "string", True, description="a stage of the workbook stage map"),
                Column("forecast_category", "category", allowed=FORECAST_CATEGORIES),
                _amount("amount", True, blank_when_open=True),
                Column("currency", "string", description="ISO code; absent means the reporting currency"),
                _probability(),
                Column("is_closed", "bool", True),
                Column("is_won", "bool", True),
                Column("type", "category", allowed=OPPORTUNITY_TYPES),
                Column("segment", "category", allowed=SEGMENTS),
                Column("lead_source", "string"),
                Column("product", "string"),
                Column("loss_reason", "string"),
                Column("last_activity_date", "date"),
                *(Column(flag, "bool", description="evidence flag (MEDDPICC check)")
                  for flag in EVIDENCE_FLAGS),
            ),
            key=("opportunity_id",),
            date_order=(("created_date", "close_date", Reason.CLOSE_BEFORE_CREATE),),
            required_table=True,
            description="one row per deal, its current state",
            refs={"territory": "territories.territory"},
            not_in_future=("created_date",),
        ),
        TableSpec(
            "opportunity_history",
            (
                Column("opportunity_id", "id", True),
                Column("changed_at", "datetime", True),
                Column("stage", "string"),
                _amount("amount"),
                Column("close_date", "date"),
                Column("forecast_category", "category", allowed=FORECAST_CATEGORIES),
                _probability(),
            ),
            description="one row per change; each row is the deal's state from changed_at on",
            refs={"opportunity_id": "opportunities.opportunity_id"},
            not_in_future=("changed_at",),
        ),
        TableSpec(
            "activities",
            (
                Column("activity_id", "id", True),
                Column("owner", "string", True),
                Column("activity_date", "datetime", True),
                Column("type", "category", True, allowed=ACTIVITY_TYPES),
                Column("opportunity_id", "string"),
                Column("account_id", "string"),
                Column("outcome", "string"),
                Column("duration_s", "number", min=0, description="seconds"),
            ),
            key=("activity_id",),
            description="one row per dial, connect, email or meeting",
            refs={"opportunity_id": "opportunities.opportunity_id"},
            detachable=("opportunity_id",),
        ),
        TableSpec(
            "leads",
            (
                Column("lead_id", "id", True),
                Column("created_date", "date", True),
                Column("source", "string"),
                Column("owner", "string"),
                Column("segment", "category", allowed=SEGMENTS),
                Column("sal_date", "date"),
                Column("sql_date", "date"),
                Column("converted_date", "date"),
                Column("opportunity_id", "string"),
                Column("disqualified_date", "date"),
            ),
            key=("lead_id",),
            date_order=(
                ("created_date", "sal_date", Reason.DATES_OUT_OF_ORDER),
                ("sal_date", "sql_date", Reason.DATES_OUT_OF_ORDER),
                ("sql_date", "converted_date", Reason.DATES_OUT_OF_ORDER),
            ),
            description="one row per lead, with the date it reached each funnel step",
        ),
        TableSpec(
            "territories",
            (
                Column("territory", "id", True),
                Column("region", "string", True),
                Column("district", "string", True),
                Column("owner", "string"),
                Column("segment", "category", allowed=SEGMENTS),
                Column("tam", "number", min=0, description="total addressable market, reporting currency"),
                Column("propensity", "number", min=0, max=1, description="average propensity score, 0-1"),
                Column("capacity_factor", "number", min=0, max=1, description="ramp / capacity, 0-1"),
            ),
            key=("territory",),
            required_table=True,
            description="territory -> region -> district, with sizing inputs",
        ),
        TableSpec(
            "targets",
            (
                Column("period", "string", True, description="fiscal quarter, e.g. 2026-Q3"),
                Column("territory", "string", True),
                _amount("target_amount", True, "bookings target, reporting currency"),
            ),
            key=("period", "territory"),
            description="bookings target per territory and fiscal quarter",
            refs={"territory": "territories.territory"},
        ),
        TableSpec(
            "activity_goals",
            (
                Column("period", "string", True),
                Column("owner", "string", True),
                Column("type", "category", True, allowed=ACTIVITY_TYPES),
                Column("goal", "number", True, min=0, description="count of activities"),
            ),
            key=("period", "owner", "type"),
            description="optional activity goals per owner, period and activity type",
        ),
    )
}


def pandera_schema(spec: TableSpec, stages: list[str] | None = None) -> pa.DataFrameSchema:
    """A pandera schema for already-coerced data of ``spec``: nullability, ranges, allowed values,
    stage map membership, unique keys and date ordering. Each check's name is a :class:`Reason`.

    pandera is imported here, not with the module: it takes about a second, and a notebook whose dataset
    comes from a pack's cache (or whose tables pass the fast checks of validation) never needs it."""
    import pandera.pandas as pa
    columns = {}
    for col in spec.columns:
        checks = []
        if col.min is not None:
            negative = col.min == 0 and col.max in (None, AMOUNT_MAX)
            reason = Reason.NEGATIVE_AMOUNT if negative else Reason.OUT_OF_RANGE
            checks.append(pa.Check.ge(col.min, error=reason.value, ignore_na=True))
        if col.max is not None:
            checks.append(pa.Check.le(col.max, error=Reason.OUT_OF_RANGE.value, ignore_na=True))
        if col.allowed:
            checks.append(pa.Check.isin(list(col.allowed), error=Reason.UNKNOWN_VALUE.value, ignore_na=True))
        if col.name == "stage" and stages is not None:
            checks.append(pa.Check.isin(list(stages), error=Reason.UNKNOWN_STAGE.value, ignore_na=True))
        if col.name == "period":
            checks.append(pa.Check.str_matches(r"^\d{4}-Q[1-4]$", error=Reason.BAD_PERIOD.value,
                                               ignore_na=True))
        # A value an open deal may leave blank is checked row by row in validation (closed deals need it).
        columns[col.name] = pa.Column(nullable=not col.required or col.blank_when_open, checks=checks,
                                      required=col.required)

    frame_checks = []
    for earlier, later, reason in spec.date_order:
        frame_checks.append(pa.Check(_ordered(earlier, later), name=reason.value, element_wise=False))
    if {"is_closed", "is_won"} <= {c.name for c in spec.columns}:
        frame_checks.append(pa.Check(_won_implies_closed, name=Reason.WON_BUT_NOT_CLOSED.value))
    return pa.DataFrameSchema(columns, checks=frame_checks, name=spec.name, strict=False)


def _ordered(earlier: str, later: str):
    def check(df: pd.DataFrame) -> pd.Series:
        if earlier not in df or later not in df:
            return pd.Series(True, index=df.index)
        bad = df[later].notna() & df[earlier].notna() & (df[later] < df[earlier])
        return ~bad

    return check


def _won_implies_closed(df: pd.DataFrame) -> pd.Series:
    return ~(df["is_won"].fillna(False).astype(bool) & ~df["is_closed"].fillna(False).astype(bool))
