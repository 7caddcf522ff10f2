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


# -- the hand-worked district of the velocity page (tests/notebooks/test_velocity.py, tests/themes/velocity) --
AS_OF = "2026-04-15"


def district(with_history: bool = True, as_of: str = AS_OF) -> Dataset:
    """The district (two regions, as of 15 Apr 2026, period 2026-Q1), worked by hand:

    - W1 (East) created 12 Dec, won 10 Feb: 60 days, 1,000. W2 (West) created 1 Nov, won 11 Mar: 130 days, 3,000;
      its close date moved later five times. L1 (East) lost 1 Feb after 31 days in Discovery.
      Sales cycle: mean and median 95 days (over the 90-day goal, within the 120-day alert); West alone 130 (over).
    - Open at the end of Q1: O1 (East, 2,000, in Discovery since 10 Jan: 80 days) and O2 (West, 1,000, in Discovery
      since 1 Aug 2025: 242 days). The won-deal median in Discovery is 95 days, so the aging limit is 142.5: O2 is
      aged, O1 is not (1 of 2 = 50%, over the 20% alert); both are past the 60-day stale limit.
    - Sales velocity: 2 open deals × 2/3 win rate × 2,000 average won deal ÷ 95 days = 28.07 per day.
    - O1 was dated 20 Mar until it was pushed to 15 May on 25 Mar: 2,000 slipped out of Q1.
    - The activities table holds one email (on W1, the day it was won): on 15 Apr nobody has worked O1 (95 days
      since creation) or O2 (257 days): both close within 90 days and carry
      the no-activity flag, worth 3,000; O2 is further past the threshold, so it ranks first.
    """
    opps = [deal("W1", created="2025-12-12", close="2026-02-10", stage="Closed Won", amount=1000, name="Acme"),
            deal("W2", "T2", created="2025-11-01", close="2026-03-11", stage="Closed Won", amount=3000, name="Bolt"),
            deal("L1", created="2026-01-01", close="2026-02-01", stage="Closed Lost", amount=500, name="Cobalt"),
            deal("O1", created="2026-01-10", close="2026-05-15", amount=2000, name="Delta Renewal"),
            deal("O2", "T2", created="2025-08-01", close="2026-06-30", amount=1000, name="Echo Platform")]
    pushes = ["2026-01-05", "2026-01-10", "2026-01-20", "2026-02-01", "2026-02-20", "2026-03-11"]
    hist = (steps("W1", ("2025-12-12", "Discovery"), ("2026-02-10", "Closed Won"), close="2026-02-10", amount=1000)
            + steps("W2", *((f"2025-11-{k + 1:02d}", "Discovery", c) for k, c in enumerate(pushes)),
                    ("2026-03-11", "Closed Won", "2026-03-11"), amount=3000)
            + steps("L1", ("2026-01-01", "Discovery"), ("2026-02-01", "Closed Lost"), close="2026-02-01", amount=500)
            + steps("O1", ("2026-01-10", "Discovery", "2026-03-20"), ("2026-03-25", "Discovery", "2026-05-15"),
                    amount=2000)
            + steps("O2", ("2025-08-01", "Discovery"), close="2026-06-30"))
    worked = [{"activity_id": "1", "owner": "Ann", "activity_date": "2026-02-10", "type": "email",
               "opportunity_id": "W1"}]  # the data records activity, so a deal nobody worked is flagged
    return build(opps, history=hist if with_history else None, activities=worked, as_of=as_of)
