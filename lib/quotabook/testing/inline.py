"""Datasets written inline in a test, for hand-worked examples: rows as dicts, DataFrames or CSV text.

- :func:`build_dataset` — a Dataset from the tables given (rows, a DataFrame or CSV text each); a table not
  given is absent from the source, except ``territories``, which defaults to :data:`TERRITORIES`;
- :func:`deal` — one opportunity row whose closed / won flags and forecast category follow the stage map;
- :func:`targets` — target rows of one period, one per territory;
- :func:`frame` — one canonical table from CSV text, with the canonical dtypes;
- :func:`wide` — catalog metrics per territory (the grain hand-worked examples are written at);
- :func:`stage_map` — the workbook's stages by name;
- :func:`inline_dataset` — the same as :func:`build_dataset` for a mapping of tables.

None of them validates: the rows are right by hand, and the answers a test expects are worked out from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import StringIO

import pandas as pd

from ..dataset import Dataset, canonical_table
from ..metrics import compute_wide
from ..schemas import TABLES
from ..settings import Settings, Stage, load_settings

__all__ = ["EVIDENCE_OK", "OWNERS", "TERRITORIES", "build_dataset", "deal", "frame", "inline_dataset", "stage_map",
           "targets", "wide"]

#: Three territories in two regions of one district, one owner each: the territories of a dataset built
#: without any.
TERRITORIES = [
    {"territory": "T1", "region": "East", "district": "D", "owner": "Ann"},
    {"territory": "T2", "region": "East", "district": "D", "owner": "Bob"},
    {"territory": "T3", "region": "West", "district": "D", "owner": "Cy"},
]
#: The owner of each of :data:`TERRITORIES` (a deal elsewhere belongs to "Zed").
OWNERS = {t["territory"]: t["owner"] for t in TERRITORIES}
#: Every evidence flag of a deal set (``deal(..., **EVIDENCE_OK)``): a Commit deal nothing marks as weak.
EVIDENCE_OK = {"economic_buyer": True, "champion": True, "decision_criteria": True, "paper_process": True}


def stage_map(settings: Settings | None = None) -> dict[str, Stage]:
    """The stages of ``settings`` (default: the workbook found from the working directory) by name, in order."""
    return {s.name: s for s in (settings or load_settings()).stages}


def frame(csv: str, table: str) -> pd.DataFrame:
    """The canonical table ``table`` from CSV text (a header line, then rows; an empty cell is missing), each
    column with its canonical dtype: dates and datetimes parsed, ``true`` / ``false`` as booleans, numbers
    as floats. Only the columns the text has; :func:`build_dataset` adds the others, empty."""
    raw = pd.read_csv(StringIO(csv), dtype=str, keep_default_na=False, na_values=[""])
    base = canonical_table(table)
    out = {}
    for col in raw.columns:
        kind = TABLES[table].column(col).kind
        if kind in ("date", "datetime"):
            out[col] = pd.to_datetime(raw[col])
        elif kind == "bool":
            out[col] = raw[col].map({"true": True, "false": False}).astype("boolean")
        elif kind == "number":
            out[col] = pd.to_numeric(raw[col]).astype("float64")
        else:
            out[col] = raw[col].astype(base[col].dtype)
    return pd.DataFrame(out)


def inline_dataset(tables: Mapping[str, object], *, as_of: str | None = None,
                   settings: Settings | None = None) -> Dataset:
    """The canonical tables from ``tables`` (name → rows as dicts, a DataFrame or CSV text; None: the source
    lacks it), taken as they stand on ``as_of`` (the report date). Not validated: for examples whose rows are
    right by hand."""
    given = {name: frame(rows, name) if isinstance(rows, str) else rows for name, rows in tables.items()}
    frames = {name: canonical_table(name, given.get(name)) for name in TABLES}
    return Dataset(**frames, settings=settings or load_settings(),
                   present=frozenset(n for n, rows in given.items() if rows is not None), source="inline",
                   as_of_date=pd.Timestamp(as_of) if as_of else None)


def build_dataset(opportunities: object = None, *, territories: object = TERRITORIES, history: object = None,
                  as_of: str | None = None, settings: Settings | None = None, **tables: object) -> Dataset:
    """A Dataset from inline tables: ``opportunities``, ``territories`` (default :data:`TERRITORIES`),
    ``history`` (``opportunity_history``) and any other canonical table by its name (``targets=``,
    ``activities=``, ``leads=`` …), each as rows, a DataFrame or CSV text. A table left None is absent from
    the source, as a metric needing it then says. ``as_of`` fixes the report date; ``settings`` default to
    the workbook found from the working directory."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise TypeError(f"build_dataset: no canonical table {', '.join(sorted(unknown))}; tables are "
                        f"{', '.join(TABLES)}")
    given = {"opportunities": opportunities, "territories": territories, "opportunity_history": history, **tables}
    return inline_dataset(given, as_of=as_of, settings=settings)


def deal(opportunity_id: str, territory: str = "T1", *, close: str = "2026-08-15", stage: str = "Negotiation",
         category: str | None = None, amount: float = 1000.0, created: str = "2026-01-02",
         settings: Settings | None = None, **extra) -> dict:
    """One opportunity row of ``territory`` (its owner from :data:`OWNERS`); the closed / won flags follow the
    workbook's stage map, the forecast category defaults to Closed (won), Omitted (lost) or Pipeline (open).
    ``extra`` sets any other column (``account_id=``, ``type=`` …)."""
    stages = stage_map(settings)
    if stage not in stages:
        raise ValueError(f"deal {opportunity_id}: stage {stage!r} is not in the stage map ({', '.join(stages)})")
    s = stages[stage]
    default = "Closed" if s.is_won else "Omitted" if s.is_closed else "Pipeline"
    return {"opportunity_id": opportunity_id, "owner": OWNERS.get(territory, "Zed"), "territory": territory,
            "created_date": created, "close_date": close, "stage": stage, "forecast_category": category or default,
            "amount": float(amount), "is_closed": s.is_closed, "is_won": s.is_won, **extra}


def targets(period: str, **amounts: float) -> list[dict]:
    """Target rows of ``period``, one per territory: ``targets("2026-Q3", T1=1000, T2=2000)``."""
    return [{"period": period, "territory": t, "target_amount": float(a)} for t, a in amounts.items()]


def wide(names, ds: Dataset, period: str, by: str | list[str] | None = "territory") -> pd.DataFrame:
    """:func:`quotabook.metrics.compute_wide` per territory unless ``by`` says otherwise."""
    return compute_wide(names, ds, period, by=by)
