"""The target achievement page's hand-built district (shared by the notebook's tests and the tables' tests).

The district (territories T1, T2 in East and T3 in West; each with a 1.0M target for 2026-Q3), as of Wednesday
19 Aug 2026 (42 days, 6 full weeks, left), worked by hand (amounts in thousands):

- T1: won 600 (W1), lost 500 (L1); Commit C1 350 at Negotiation whose close date was pushed from 31 Aug to
  15 Sep; Best Case B1 700 at Proposal. Total 1,650: coverage 1.65×; gap 400; open pipeline 1,050, so pipeline
  coverage 2.6× (under the 3× wanted early: "Watch < 3×").
- T2: won 1,200 (W2): target reached, 200 over.
- T3 (West): Commit C3 200 at Solution (too early a stage for Commit), Best Case B3 150 at Discovery. Total 350:
  coverage 0.35×, short of target, and pipeline coverage 0.35× at this and last week's reading: the alert.
- East: closed 1,800 of 2,000; total 2,850 → coverage 1.425×, under the 1.5× push line.
- District: closed 1,800 of 3,000 (60%); Closed + Commit 2,350 (78%); total 3,200 (1.1×); gap 1,200; open
  pipeline 1,400 (1.2×). Won 2 of 3 closed deals (67%), so the gap takes 1,800 of pipeline; the push to 1.5×
  target is 4,500 − 3,200 = 1,300. Weak Commit: C1 (pushed) and C3 (early) = 550 of 550. B1 is promotable:
  its similar deals (closed above the 600 median: W2) were all won, against 67% overall. Four deals carry
  Commit + Best Case (1,400, ASP 350); the largest, B1, is 50% of it; in East it is 700 of 1,050 (67%).
"""

from __future__ import annotations

from quotabook.dataset import Dataset
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal, targets

K = 1000.0


def dataset(as_of: str = "2026-08-19", **extra) -> Dataset:
    """The target achievement page's district as of ``as_of`` (``extra``: more tables for
    :func:`quotabook.testing.build_dataset`), worked by hand in the module docstring."""
    opps = [
        deal("W1", "T1", close="2026-07-20", stage="Closed Won", amount=600 * K, created="2026-05-01"),
        deal("L1", "T1", close="2026-07-10", stage="Closed Lost", amount=500 * K, created="2026-05-01"),
        deal("C1", "T1", close="2026-09-15", stage="Negotiation", category="Commit", amount=350 * K,
             created="2026-05-01", name="Cobalt Inc. - Core Platform"),
        deal("B1", "T1", close="2026-09-20", stage="Proposal", category="Best Case", amount=700 * K,
             created="2026-05-01", name="Birch Ltd - Analytics"),
        deal("W2", "T2", close="2026-08-01", stage="Closed Won", amount=1200 * K, created="2026-05-01"),
        deal("C3", "T3", close="2026-09-10", stage="Solution", category="Commit", amount=200 * K,
             created="2026-05-01", name="Cedar Co - Suite"),
        deal("B3", "T3", close="2026-09-30", stage="Discovery", category="Best Case", amount=150 * K,
             created="2026-05-01"),
    ]
    history = [
        {"opportunity_id": "C1", "changed_at": "2026-07-01", "stage": "Negotiation", "amount": 350 * K,
         "close_date": "2026-08-31", "forecast_category": "Commit", "probability": 80},
        {"opportunity_id": "C1", "changed_at": "2026-08-05", "stage": "Negotiation", "amount": 350 * K,
         "close_date": "2026-09-15", "forecast_category": "Commit", "probability": 80},
    ]
    goals = targets("2026-Q3", T1=1000 * K, T2=1000 * K, T3=1000 * K)
    return build_dataset(opps, targets=goals, history=history, as_of=as_of, **extra)


def make_report(region: str | None = None, as_of: str = "2026-08-19") -> Report:
    ds = dataset(as_of)
    ds = ds if region is None else ds.for_region(region)
    return Report(ds=ds, period=ds.period("2026-Q3"), region=region, catalog=load_catalog())
