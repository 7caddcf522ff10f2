"""Builders of small velocity datasets (one deal at a time, stage steps) and the aging and stale cases."""

from __future__ import annotations

import pandas as pd

from quotabook.dataset import Dataset
from quotabook.settings import load_settings
from quotabook.testing import build_dataset

SETTINGS = load_settings()

STAGES = {s.name: s for s in SETTINGS.stages}

GEO = [{"territory": "T1", "region": "East", "district": "D", "owner": "Ann", "segment": "SMB"},
       {"territory": "T2", "region": "West", "district": "D", "owner": "Bob", "segment": "Enterprise"}]
OWNERS = {g["territory"]: g["owner"] for g in GEO}

T = pd.Timestamp


# -- building datasets inline (shared by the metric, view and notebook tests) ----------------------------
def build(opportunities, *, history=None, activities=None, leads=None, territories=None, as_of=None,
          workbook=SETTINGS) -> Dataset:
    """A Dataset from inline rows (:func:`quotabook.testing.build_dataset` on the two territories of ``GEO``),
    rebuilt ``as_of`` a date when given (tables left None are absent)."""
    ds = build_dataset(opportunities, territories=GEO if territories is None else territories, history=history,
                       activities=activities, leads=leads, settings=workbook)
    return ds.as_of(as_of) if as_of is not None else ds


def deal(oid: str, territory: str = "T1", *, created: str = "2026-01-05", close: str = "2026-03-20",
         stage: str = "Discovery", amount: float = 1000.0, **extra) -> dict:
    """One opportunity; closed / won flags follow the stage map."""
    s = STAGES[stage]
    return {"opportunity_id": oid, "owner": OWNERS.get(territory, "Zed"), "territory": territory,
            "created_date": created, "close_date": close, "stage": stage, "amount": float(amount),
            "is_closed": s.is_closed, "is_won": s.is_won, **extra}


def steps(oid: str, *changes, close: str = "2026-03-20", amount: float = 1000.0) -> list[dict]:
    """History rows of one deal: each change is ``(changed_at, stage)`` or ``(changed_at, stage, close)``."""
    rows = []
    for change in changes:
        at, stage, *rest = change
        rows.append({"opportunity_id": oid, "changed_at": at, "stage": stage,
                     "close_date": rest[0] if rest else close, "amount": amount})
    return rows


# -- pipeline aging ------------------------------------------------------------------------------------------
REF = T("2026-03-31")


def aging_dataset(aged_days: list[int], fresh_days: list[int], workbook=SETTINGS) -> Dataset:
    """Won deals spent 20, 30 and 40 days in Qualification (median 30, so the limit is 1.5 × 30 = 45 days);
    open deals sit in Qualification for the given days at the report date (Mar 31, 2026)."""
    won, hist = [], []
    for i, q in enumerate((20, 30, 40)):
        start = T("2025-09-01")
        won.append(deal(f"W{i}", created="2025-09-01", close="2025-12-01", stage="Closed Won"))
        hist += steps(f"W{i}", (start, "Qualification"), (start + pd.Timedelta(days=q), "Discovery"),
                      (T("2025-12-01"), "Closed Won"), close="2025-12-01")
    days = pd.Series([*aged_days, *fresh_days])
    entered = REF - pd.to_timedelta(days, unit="D")
    ids = "O" + days.index.astype(str)
    opps = pd.DataFrame({"opportunity_id": ids, "owner": "Ann", "territory": "T1", "created_date": entered,
                         "close_date": T("2026-06-30"), "stage": "Qualification", "amount": 1000.0,
                         "is_closed": False, "is_won": False})
    open_hist = pd.DataFrame({"opportunity_id": ids, "changed_at": entered, "stage": "Qualification",
                              "close_date": T("2026-06-30"), "amount": 1000.0})
    return build(pd.concat([pd.DataFrame(won), opps]), history=pd.concat([pd.DataFrame(hist), open_hist]),
                 as_of=REF, workbook=workbook)


# -- stale deals -----------------------------------------------------------------------------------------------
def stale_dataset(workbook=SETTINGS, as_of=REF) -> Dataset:
    """Open deals whose current stage began the given number of days before Mar 31, 2026."""
    cases = {"disc61": ("Discovery", 61), "disc60": ("Discovery", 60), "prop46": ("Proposal", 46),
             "prop45": ("Proposal", 45), "nego46": ("Negotiation", 46), "sol100": ("Solution", 100)}
    opps, hist = [], []
    for oid, (stage, days) in cases.items():
        entered = REF - pd.Timedelta(days=days)
        opps.append(deal(oid, created="2025-06-01", close="2026-06-30", stage=stage))
        hist += steps(oid, (T("2025-06-01"), "Qualification"), (entered + pd.Timedelta(hours=15), stage),
                      close="2026-06-30")
    opps.append(deal("won", created="2025-06-01", close="2025-07-01", stage="Closed Won"))   # closed: never stale
    hist += steps("won", (T("2025-06-01"), "Qualification"), (T("2025-07-01"), "Closed Won"), close="2025-07-01")
    return build(opps, history=hist, as_of=as_of, workbook=workbook)
