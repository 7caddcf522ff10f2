"""Realistic CRM exports that are not the demo: small tables for tests, built in a blink.

The demo district is tuned to the workbook (its stage names, recent dates, every optional table filled). A
real export is not: its stages are another CRM's, it was pulled years ago, lost deals often carry amount 0,
some leads have no owner or source, and the optional tables may be missing altogether. :func:`crm_export`
builds such an export (a Pipedrive-style stage list mapped through the workbook stage map, three years of
2014-2016 deals in a few regions), and :class:`Export` drops tables or columns from it and writes it as a
folder of CSV files with the workbook that maps its stages.

The export is deterministic for a given ``random_state``, so a test can drop one table and know everything
else stayed the same.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import yaml_files
from ..settings import PACKAGED_WORKBOOK

__all__ = ["OPTIONAL_TABLES", "STAGES", "Export", "crm_export"]

#: Tables a folder may leave out (only opportunities and territories are required).
OPTIONAL_TABLES = ("targets", "activity_goals", "activities", "opportunity_history", "leads")

#: The CRM's own stages (Pipedrive's default pipeline), as the workbook stage map declares them.
STAGES: tuple[dict, ...] = (
    {"name": "Lead In", "order": 1, "funnel_step": "Opportunity", "probability": 10, "is_closed": False,
     "is_won": False},
    {"name": "Contact Made", "order": 2, "funnel_step": "Opportunity", "probability": 20, "is_closed": False,
     "is_won": False},
    {"name": "Demo Scheduled", "order": 3, "funnel_step": "Opportunity", "probability": 40, "is_closed": False,
     "is_won": False},
    {"name": "Proposal Made", "order": 4, "funnel_step": "Proposal", "probability": 60, "is_closed": False,
     "is_won": False},
    {"name": "Negotiations Started", "order": 5, "funnel_step": "Proposal", "probability": 80, "is_closed": False,
     "is_won": False},
    {"name": "Won", "order": 6, "funnel_step": "Won", "probability": 100, "is_closed": True, "is_won": True},
    {"name": "Lost", "order": 6, "funnel_step": "Lost", "probability": 0, "is_closed": True, "is_won": False},
)
_OPEN = [s["name"] for s in STAGES if not s["is_closed"]]  # by order: index + 1 is the stage order

# territory, region, owner, segment, TAM, propensity, capacity factor, share of the deals
_TERRITORIES = (
    ("NO-Oslo", "Nordics", "Ingrid Dahl", "SMB", 4.0e6, 0.30, 1.0, 0.22),
    ("SE-Stockholm", "Nordics", "Lars Berg", "Mid-Market", 9.0e6, 0.25, 1.0, 0.20),
    ("NL-Amsterdam", "Benelux", "Sanne de Vries", "Enterprise", 2.5e7, 0.20, 1.0, 0.24),
    ("BE-Brussels", "Benelux", "Pieter Claes", "SMB", 3.0e6, 0.35, 0.7, 0.14),
    ("ES-Madrid", "Iberia", "Lucía Gómez", "Mid-Market", 7.0e6, 0.28, 1.0, 0.20),
)
#: A second rep sells in Amsterdam (a shared territory), so owners are not one per territory.
_SECOND_REP = ("NL-Amsterdam", "Joost Bakker")
_DISTRICT = "Europe"

_SIZE = {"SMB": 9_000.0, "Mid-Market": 32_000.0, "Enterprise": 110_000.0}  # median deal, reporting currency
_CYCLE = {"SMB": 35.0, "Mid-Market": 70.0, "Enterprise": 120.0}  # mean days from creation to close
_SOURCES = ("Web", "Referral", "Partner", "Trade show", "Outbound")
_REASONS = ("Price", "No decision", "Competitor", "Timing")


@dataclass(frozen=True)
class Export:
    """One CRM export: canonical tables by name, the stage map that reads its stages, and the day it was pulled.

    Immutable: :meth:`without` and :meth:`without_columns` return a new export."""

    tables: Mapping[str, pd.DataFrame]
    exported_on: pd.Timestamp
    stages: tuple[dict, ...] = STAGES
    notes: tuple[str, ...] = field(default=())

    @property
    def regions(self) -> list[str]:
        return sorted(self.tables["territories"]["region"].unique())

    def without(self, *tables: str) -> Export:
        """The export with whole tables left out (a source that never had them)."""
        unknown = set(tables) - set(self.tables)
        if unknown:
            raise KeyError(f"no table {sorted(unknown)} in this export (it has {sorted(self.tables)})")
        kept = {name: frame for name, frame in self.tables.items() if name not in tables}
        return replace(self, tables=kept, notes=(*self.notes, f"no {', '.join(tables)}"))

    def without_columns(self, table: str, *columns: str) -> Export:
        """The export with ``columns`` of ``table`` left out (a CRM that does not export them)."""
        frame = self.tables[table]
        missing = set(columns) - set(frame.columns)
        if missing:
            raise KeyError(f"table {table} has no column {sorted(missing)}")
        tables = {**self.tables, table: frame.drop(columns=list(columns))}
        return replace(self, tables=tables, notes=(*self.notes, f"no {table}.{', '.join(columns)}"))

    def workbook(self) -> dict:
        """The packaged workbook settings with this CRM's stage map in place of the default one."""
        settings = yaml_files.safe_load(PACKAGED_WORKBOOK.read_text(encoding="utf-8"), file=PACKAGED_WORKBOOK)
        settings["stages"] = [dict(stage) for stage in self.stages]
        return settings

    def write(self, folder: str | os.PathLike) -> Path:
        """Write every table as ``<name>.csv`` (ISO dates, booleans as true/false, blanks as empty cells) and
        the workbook as ``workbook.yaml`` (point ``$QUOTABOOK_WORKBOOK`` at it) into ``folder``; return it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            _as_text(frame).to_csv(folder / f"{name}.csv", index=False)
        with open(folder / "workbook.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(self.workbook(), fh, sort_keys=False, allow_unicode=True)
        return folder


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a CRM writes it: dates as ``2015-03-01``, times as ``2015-03-01T09:30:00``, true/false."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            timed = (values.dropna() != values.dropna().dt.normalize()).any()
            out[col] = values.dt.strftime("%Y-%m-%dT%H:%M:%S" if timed else "%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(values):
            out[col] = values.map({True: "true", False: "false"})
    return out


def crm_export(*, deals: int = 420, leads: int = 500, start: str = "2014-01-01", exported_on: str = "2016-12-20",
               lost_at_zero: float = 0.5, random_state: int = 7) -> Export:
    """A realistic export of a five-territory, three-region district selling from ``start`` to ``exported_on``.

    Parameters
    ----------
    deals, leads : rows of opportunities and of leads.
    start, exported_on : first creation date, and the day the export was pulled (no event after it).
    lost_at_zero : share of lost deals whose amount the CRM zeroed when they were lost (0-1).
    random_state : the generator's start state; the same value gives the same export.

    What is in it (every optional table, with the blanks real exports have):

    - ``opportunities``: Pipedrive stage names; closed deals about a third won; part of the lost deals at
      amount 0; open deals (some with a close date already past); blank lead sources and loss reasons.
    - ``opportunity_history``: one row per stage reached, close dates pushed on some deals, the loss that
      zeroed an amount.
    - ``activities``: calls, emails and meetings on deals, and dials not linked to any deal.
    - ``leads``: converted leads linked to their deal, others not; some without owner or source.
    - ``targets`` per territory and quarter, ``activity_goals`` per rep and quarter.
    """
    rng = np.random.default_rng(random_state)
    first, last = pd.Timestamp(start), pd.Timestamp(exported_on)
    territories = _territories()
    opportunities = _opportunities(rng, deals, first, last, lost_at_zero)
    history = _history(rng, opportunities, last)
    activities = _activities(rng, opportunities, last)
    touched = activities.dropna(subset=["opportunity_id"]).groupby("opportunity_id")["activity_date"].max()
    opportunities["last_activity_date"] = opportunities["opportunity_id"].map(touched).dt.normalize()
    tables = {
        "territories": territories,
        "opportunities": opportunities,
        "opportunity_history": history,
        "activities": activities,
        "leads": _leads(rng, leads, opportunities, first, last),
        "targets": _targets(opportunities, first, last),
        "activity_goals": _activity_goals(first, last),
    }
    return Export(tables=tables, exported_on=last)


def _territories() -> pd.DataFrame:
    rows = pd.DataFrame(list(_TERRITORIES), columns=["territory", "region", "owner", "segment", "tam", "propensity",
                                                     "capacity_factor", "share"])
    return rows.drop(columns="share").assign(district=_DISTRICT)[
        ["territory", "region", "district", "owner", "segment", "tam", "propensity", "capacity_factor"]]


def _days(values) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype="float64").round(), unit="D")


def _opportunities(rng: np.random.Generator, n: int, first: pd.Timestamp, last: pd.Timestamp,
                   lost_at_zero: float) -> pd.DataFrame:
    terr = pd.DataFrame(list(_TERRITORIES), columns=["territory", "region", "owner", "segment", "tam", "propensity",
                                                     "capacity", "share"])
    pick = rng.choice(len(terr), size=n, p=terr["share"] / terr["share"].sum())
    chosen = terr.iloc[pick].reset_index(drop=True)
    owner = chosen["owner"].to_numpy(dtype=object)
    shared = (chosen["territory"] == _SECOND_REP[0]).to_numpy() & (rng.random(n) < 0.4)
    owner[shared] = _SECOND_REP[1]
    # A deal's segment is its territory's, with a few deals of another size.
    segment = chosen["segment"].to_numpy(dtype=object)
    other = rng.random(n) < 0.15
    segment[other] = rng.choice(list(_SIZE), size=int(other.sum()))
    size = pd.Series(segment).map(_SIZE).to_numpy()
    cycle = pd.Series(segment).map(_CYCLE).to_numpy()

    span = (last - pd.Timedelta(days=3) - first).days
    created = first + _days(np.sort(rng.uniform(0, span, n)))
    days = rng.gamma(2.0, cycle / 2.0).clip(7, 400)
    due = created + _days(days)
    closed = (due <= last) & (rng.random(n) > 0.06)  # a few deals left open long after their date passed
    # Reps win differently: between about a fifth and two fifths of what they close.
    rate = pd.Series(owner).map(dict(zip(sorted(set(owner)), np.linspace(0.2, 0.42, len(set(owner))), strict=True)))
    won = closed & (rng.random(n) < rate.to_numpy())
    lost = closed & ~won
    amount = (rng.lognormal(np.log(size), 0.6) / 100).round() * 100
    amount[lost & (rng.random(n) < lost_at_zero)] = 0.0

    open_stage = rng.integers(1, len(_OPEN) + 1, n)  # the order of the stage an open deal is in
    stage = np.where(won, "Won", np.where(lost, "Lost", np.array(_OPEN, dtype=object)[open_stage - 1]))
    category = np.select([won, lost, open_stage >= 5, open_stage >= 3], ["Closed", "Omitted", "Commit", "Best Case"],
                         "Pipeline")
    probability = pd.Series(stage).map({s["name"]: s["probability"] for s in STAGES}).to_numpy()
    source = rng.choice(_SOURCES, size=n).astype(object)
    source[rng.random(n) < 0.1] = None
    reason = rng.choice(_REASONS, size=n).astype(object)
    reason[~lost | (rng.random(n) < 0.15)] = None
    account = rng.integers(1, max(n // 3, 2), n)
    kind = rng.choice(["New Business", "Expansion", "Renewal"], size=n, p=[0.6, 0.25, 0.15])
    names = pd.Series(account).map("Kunde {:03d}".format)
    return pd.DataFrame({
        "opportunity_id": [f"PD-{i:05d}" for i in range(10001, 10001 + n)],
        "name": names + " – " + kind,
        "account_id": pd.Series(account).map("ORG-{:04d}".format),
        "account_name": names,
        "owner": owner,
        "territory": chosen["territory"],
        "created_date": created,
        "close_date": due,
        "stage": stage,
        "forecast_category": category,
        "amount": amount,
        "probability": probability,
        "is_closed": closed,
        "is_won": won,
        "type": kind,
        "segment": segment,
        "lead_source": source,
        "loss_reason": reason,
    })


def _history(rng: np.random.Generator, opps: pd.DataFrame, last: pd.Timestamp) -> pd.DataFrame:
    """One row per open stage each deal went through, then its close; some close dates pushed on the way."""
    order = {s["name"]: s["order"] for s in STAGES}
    closed = opps["is_closed"].to_numpy()
    reached = np.where(closed, rng.integers(1, len(_OPEN) + 1, len(opps)), opps["stage"].map(order).fillna(1))
    reached = np.where(opps["is_won"], len(_OPEN), reached).astype(int)
    steps = reached + closed.astype(int)
    deal = np.repeat(np.arange(len(opps)), steps)
    step = np.arange(len(deal)) - np.repeat(np.cumsum(steps) - steps, steps)  # 0, 1, ... within each deal
    rows = opps.iloc[deal].reset_index(drop=True)
    created, close = rows["created_date"], rows["close_date"]
    end = close.where(rows["is_closed"], np.minimum(close, last))
    span = (end - created).dt.days.clip(lower=0)
    is_close_row = rows["is_closed"] & (step == np.repeat(steps, steps) - 1)
    frac = step / np.repeat(np.maximum(steps - closed, 1), steps)
    day = created + _days(np.where(is_close_row, span, np.floor(span * frac)))
    changed_at = day + pd.to_timedelta(rng.integers(8 * 60, 18 * 60, len(rows)), unit="min")
    open_name = np.array(_OPEN, dtype=object)[np.minimum(step, len(_OPEN) - 1)]
    stage = np.where(is_close_row, rows["stage"], open_name)
    # Early rows expected an earlier close (the date was pushed since) on about a third of the deals.
    pushed = np.repeat(rng.random(len(opps)) < 0.35, steps) & ~is_close_row & (step < np.repeat(reached, steps) - 1)
    close_then = close - _days(np.where(pushed, 21, 0))
    first_amount = rows["amount"].where(rows["amount"] > 0, opps["amount"].iloc[deal].to_numpy())
    amount = np.where(is_close_row, rows["amount"], first_amount)
    probs = {s["name"]: s["probability"] for s in STAGES}
    category = np.select([pd.Series(stage) == "Won", pd.Series(stage) == "Lost", pd.Series(stage).map(order) >= 5,
                          pd.Series(stage).map(order) >= 3], ["Closed", "Omitted", "Commit", "Best Case"], "Pipeline")
    history = pd.DataFrame({"opportunity_id": rows["opportunity_id"], "changed_at": changed_at, "stage": stage,
                            "amount": amount, "close_date": close_then.where(~is_close_row, close),
                            "forecast_category": category, "probability": pd.Series(stage).map(probs)})
    # The changes follow each other in time: a row never predates the one before it of the same deal.
    history["changed_at"] = history.groupby("opportunity_id")["changed_at"].cummax()
    return history[history["changed_at"] <= last + pd.Timedelta(days=1)].reset_index(drop=True)


def _activities(rng: np.random.Generator, opps: pd.DataFrame, last: pd.Timestamp) -> pd.DataFrame:
    """Calls, emails and meetings on each deal while it was open, plus dials to prospects not yet deals."""
    per_deal = rng.poisson(4, len(opps)) + 1
    deal = np.repeat(np.arange(len(opps)), per_deal)
    rows = opps.iloc[deal].reset_index(drop=True)
    end = np.minimum(rows["close_date"], last)
    span = (end - rows["created_date"]).dt.days.clip(lower=0).to_numpy()
    on_deal = pd.DataFrame({
        "owner": rows["owner"],
        "activity_date": rows["created_date"] + _days(np.floor(rng.random(len(rows)) * span)),
        "type": rng.choice(["dial", "connect", "email", "meeting_booked", "meeting_held"], size=len(rows),
                           p=[0.35, 0.15, 0.25, 0.1, 0.15]),
        "opportunity_id": rows["opportunity_id"],
    })
    owners = sorted(opps["owner"].unique())
    n_free = len(opps) * 2
    first = opps["created_date"].min()
    free = pd.DataFrame({
        "owner": rng.choice(owners, size=n_free),
        "activity_date": first + _days(np.floor(rng.uniform(0, (last - first).days, n_free))),
        "type": rng.choice(["dial", "connect", "email"], size=n_free, p=[0.7, 0.2, 0.1]),
        "opportunity_id": None,
    })
    out = pd.concat([on_deal, free], ignore_index=True)
    out["activity_date"] += pd.to_timedelta(rng.integers(8 * 60, 18 * 60, len(out)), unit="min")
    out = out.sort_values("activity_date", kind="stable").reset_index(drop=True)
    out.insert(0, "activity_id", [f"ACT-{i:06d}" for i in range(1, len(out) + 1)])
    out["duration_s"] = np.where(out["type"].isin(["connect", "meeting_held"]), rng.integers(60, 3600, len(out)),
                                 np.nan)
    return out


def _leads(rng: np.random.Generator, n: int, opps: pd.DataFrame, first: pd.Timestamp,
           last: pd.Timestamp) -> pd.DataFrame:
    """Leads: about a third converted into a deal of the export (linked by id, dated on the deal's creation);
    the rest qualified or not; some without an owner or a source."""
    converted = opps[opps["created_date"] > first + pd.Timedelta(days=30)].sample(
        n=min(n // 3, len(opps)), random_state=int(rng.integers(1 << 31)))
    k = len(converted)
    span = (last - first).days
    created_other = first + _days(np.floor(rng.uniform(0, span - 2, n - k)))
    lead_days = _days(rng.integers(5, 30, k))
    created = pd.concat([pd.Series(converted["created_date"].to_numpy() - lead_days), pd.Series(created_other)],
                        ignore_index=True)
    opportunity = pd.concat([converted["opportunity_id"], pd.Series([None] * (n - k), dtype=object)],
                            ignore_index=True)
    converted_date = pd.concat([converted["created_date"], pd.Series(pd.NaT, index=range(n - k))],
                               ignore_index=True)
    owner = pd.concat([converted["owner"], pd.Series(rng.choice(sorted(opps["owner"].unique()), n - k))],
                      ignore_index=True).astype(object)
    owner[rng.random(n) < 0.15] = None
    source = pd.concat([converted["lead_source"], pd.Series(rng.choice(_SOURCES, n - k))], ignore_index=True)
    source[rng.random(n) < 0.1] = None
    # Qualification dates: every converted lead, and some others, passed SAL then SQL before converting.
    gap = (converted_date - created).dt.days.fillna(pd.Series(rng.integers(10, 40, n), dtype=float))
    sal = created + _days(np.floor(gap / 3))
    sql = created + _days(np.floor(gap * 2 / 3))
    reached_sal = converted_date.notna() | (rng.random(n) < 0.35)
    reached_sql = converted_date.notna() | (reached_sal & (rng.random(n) < 0.5))
    sal, sql = sal.where(reached_sal & (sal <= last)), sql.where(reached_sql & (sql <= last))
    dropped = converted_date.isna() & (rng.random(n) < 0.4)
    disqualified = (created + _days(rng.integers(3, 60, n))).where(dropped)
    out = pd.DataFrame({
        "lead_id": [f"L-{i:05d}" for i in range(1, n + 1)],
        "created_date": created,
        "source": source,
        "owner": owner,
        "segment": rng.choice(list(_SIZE), size=n),
        "sal_date": sal,
        "sql_date": sql,
        "converted_date": converted_date,
        "opportunity_id": opportunity,
        "disqualified_date": disqualified.where(disqualified <= last),
    })
    return out.sort_values("created_date", kind="stable").reset_index(drop=True)


def _quarters(first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
    """Calendar quarters from ``first`` to one after ``last``, as ``2015-Q3`` (fiscal year = calendar year)."""
    quarters = pd.period_range(first, last + pd.offsets.QuarterEnd(1), freq="Q")
    return [f"{q.year}-Q{q.quarter}" for q in quarters]


def _targets(opps: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """A target per territory and quarter: its average quarterly bookings, lifted 20%, in round thousands."""
    quarters = _quarters(first, last)
    won = opps[opps["is_won"]]
    per_quarter = won.groupby("territory")["amount"].sum() / len(quarters)
    goal = (per_quarter.reindex([t[0] for t in _TERRITORIES]).fillna(0) * 1.2 / 1000).round().clip(lower=5) * 1000
    grid = pd.MultiIndex.from_product([quarters, goal.index], names=["period", "territory"]).to_frame(index=False)
    return grid.assign(target_amount=grid["territory"].map(goal).to_numpy())


def _activity_goals(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Quarterly goals per rep: 150 dials, 60 emails and 20 meetings held."""
    owners = sorted({t[2] for t in _TERRITORIES} | {_SECOND_REP[1]})
    goals = pd.DataFrame({"type": ["dial", "email", "meeting_held"], "goal": [150, 60, 20]})
    grid = pd.MultiIndex.from_product([_quarters(first, last), owners], names=["period", "owner"]).to_frame(index=False)
    return grid.merge(goals, how="cross")
