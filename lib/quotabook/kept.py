"""Rows kept although incomplete, counted and named in one data note each.

Three kinds: open deals with blank values, activities of a rejected deal (kept without their deal), and
cells a column mapping filled (``fill`` in :mod:`quotabook.sources.mapping`): a value the CRM did not hold.

**Open deals with blanks.**
Real CRMs leave early-stage deals without an amount, an expected close date or (in some exports) a created
date. Such a deal can still be placed (it has an id, an owner and a territory), so validation keeps it; a
closed deal still needs all three (see :data:`quotabook.schemas.TABLES`). The metrics treat the blanks
this way, each catalog definition saying so where it matters:

- counts of deals (open deals, aged and stale deals, sales velocity's deal count) include them;
- a blank amount adds nothing to a value (pipeline, Commit, coverage, the forecast): the value is unknown,
  not $0, which is why the note says how many deals it leaves out;
- a blank close date puts the deal in no period's pipeline (it is expected to close, but not when);
- a blank created date keeps the deal out of created-date cohorts and cycle times; at any date it counts
  as already created (it is in the pipeline now, since when is unknown).

**Activities of a rejected deal.** A call logged on a deal with a bad amount still happened: validation
keeps the activity with its deal cleared (see ``TableSpec.detachable``), so it counts for its owner's
activity ratios and for no deal. The deal's history rows go with the deal: a history row is the deal's
state at a moment, which cannot be placed without the deal; the note counts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .grammar import count_of, pronoun, verb
from .schemas import FILLED
from .scope import ALL_REGIONS

if TYPE_CHECKING:
    from .dataset import Dataset
    from .validation import TableResult

__all__ = ["BLANK_COLUMNS", "FILLED", "blank_open_counts", "blank_open_note", "detached_note", "filled_counts",
           "filled_note", "kept_lines", "kept_notes"]

# The opportunity columns an open deal may leave blank, with the words a note uses for each blank.
BLANK_COLUMNS = {"amount": "without an amount", "close_date": "without a close date",
                 "created_date": "without a created date"}
_EXAMPLES = 3


def _blank_open(opportunities: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per :data:`BLANK_COLUMNS` entry present: open deals whose value is blank."""
    if "is_closed" not in opportunities or opportunities.empty:
        return pd.DataFrame(index=opportunities.index)
    is_open = ~opportunities["is_closed"].fillna(False).astype(bool)
    return pd.DataFrame({col: is_open & opportunities[col].isna()
                         for col in BLANK_COLUMNS if col in opportunities}, index=opportunities.index)


def blank_open_counts(opportunities: pd.DataFrame) -> pd.Series:
    """Open deals (``is_closed`` false) with a blank amount, close date or created date, per column
    (count, indexed by column name; every column of :data:`BLANK_COLUMNS` present is listed, 0 included)."""
    return _blank_open(opportunities).sum().astype(int)


def blank_open_note(opportunities: pd.DataFrame) -> str | None:
    """The data note about open deals kept with blanks, or None when there are none.

    One sentence for all the blanks, so a page says it once: how many deals, how many of each blank, a few
    of their ids, and how the metrics treat them.
    """
    blank = _blank_open(opportunities)
    if blank.empty or not blank.to_numpy().any():
        return None
    any_blank = blank.any(axis=1)
    counts = blank.sum()
    parts = [f"{int(n):,} {BLANK_COLUMNS[col]}" for col, n in counts.items() if n]
    ids = opportunities.loc[any_blank, "opportunity_id"].astype(str).head(_EXAMPLES).tolist()
    more = ", …" if int(any_blank.sum()) > len(ids) else ""
    treat = []
    if counts.get("amount", 0):
        treat.append("a blank amount adds nothing to pipeline value, coverage or the forecast (its value is "
                     "unknown, not zero)")
    if counts.get("close_date", 0):
        treat.append("a deal without a close date is in no period's pipeline")
    if counts.get("created_date", 0):
        treat.append("a deal without a created date is in no created-date cohort or cycle time")
    n = int(any_blank.sum())
    counts_as = f"{pronoun(n, start=True)} {verb('counts', n)} as {'an open deal' if n == 1 else 'open deals'}"
    return (f"{count_of(n, 'open deal')} {verb('is', n)} kept with blanks their CRM left empty: "
            f"{', '.join(parts)} (e.g. {', '.join(ids)}{more}). {counts_as} (deal counts, aging, velocity); "
            f"{'; '.join(treat)}.")


def detached_note(ds: Dataset) -> str | None:
    """The data note about activities kept without their rejected deal (those of the owners in ``ds``, so a
    region's page counts its own), with the rejected deals' history rows set aside; None when there are none."""
    result = ds.report.tables.get("activities")
    if result is None or result.detached.empty:
        return None
    detached = result.detached
    if ds.region is not ALL_REGIONS:
        # The owners of the slice's activities, wherever they are held (pandas, or counted on disk by DuckDB).
        acts = ds.activities if ds.activity_store is None else ds.activity_store.counts()
        detached = detached[detached["owner"].isin(set(acts["owner"].dropna()))]
    if detached.empty:
        return None
    deals = pd.unique(detached["value"])
    history = ds.report.tables.get("opportunity_history")
    set_aside = 0
    if history is not None and len(history.rejects):
        rej = history.rejects
        set_aside = int((rej["reason"].eq("unknown_opportunity") & rej["value"].isin(deals)).sum())
    shown = ", ".join(map(str, deals[:_EXAMPLES])) + (", …" if len(deals) > _EXAMPLES else "")
    history_text = (f" Their {count_of(set_aside, 'history row')} {verb('is', set_aside)} set aside "
                    "with them: a deal's history cannot be "
                    "placed without the deal." if set_aside else "")
    return (f"{count_of(len(detached), 'activity')} logged on {count_of(len(deals), 'rejected deal')} ({shown}) "
            f"{verb('is', len(detached))} kept without their deal: "
            f"{pronoun(len(detached))} {verb('counts', len(detached))} for their owner's activity ratios, "
            f"not for any deal.{history_text}")


def filled_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells a mapping filled in ``frame``: one row per column and way of filling (``column``, ``how``,
    ``count``), from the ``filled_<column>`` records the mapping left."""
    rows = [{"column": col.removeprefix(FILLED), "how": how, "count": int(n)}
            for col in frame.columns if str(col).startswith(FILLED)
            for how, n in frame[col].dropna().astype(str).value_counts(sort=False).items()]
    return pd.DataFrame(rows, columns=["column", "how", "count"])


def filled_note(ds: Dataset) -> str | None:
    """The data note naming the values a column mapping filled (deals' amounts from a price list, ...), which
    the figures then include as if the CRM held them; None when nothing was filled."""
    nouns = {"opportunities": "deal", "activities": "activity", "leads": "lead",
             "opportunity_history": "history row", "territories": "territory", "targets": "target"}
    parts = [f"the {row.column.replace('_', ' ')} of {count_of(row.count, word)} from {row.how}"
             for name, word in nouns.items()
             for row in filled_counts(getattr(ds, name)).itertuples(index=False)]
    if not parts:
        return None
    return (f"The source mapping filled blank cells, and the figures include these values as if the CRM held "
            f"them: {'; '.join(parts)}.")


def kept_notes(ds: Dataset) -> list[str]:
    """The data notes about rows kept although incomplete in ``ds`` (none to three)."""
    return [n for n in (blank_open_note(ds.opportunities), detached_note(ds), filled_note(ds)) if n]


def kept_lines(tables: dict[str, TableResult]) -> list[str]:
    """One line per kind of row kept although incomplete in validated ``tables`` (for ``quotabook validate``):
    open deals with each blank, cells a mapping filled, rows kept without their rejected deal."""
    lines = []
    opps = tables.get("opportunities")
    if opps is not None:
        lines += [f"opportunities: {count_of(n, 'open deal')} {BLANK_COLUMNS[col]}"
                  for col, n in blank_open_counts(opps.data).items() if n]
    for r in tables.values():
        lines += [f"{r.name}: {count_of(row.count, f'blank {row.column} cell')} filled from {row.how} by the "
                  "mapping"
                  for row in filled_counts(r.data).itertuples(index=False)]
        if len(r.detached):
            deals = r.detached["value"].nunique()
            lines.append(f"{r.name}: {count_of(len(r.detached), 'row')} of {count_of(deals, 'rejected deal')} kept "
                         "without their deal")
    return lines
