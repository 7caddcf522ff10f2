"""The rep scorecards' hand-built quarter (2025-Q1, two reps; exact figures worked out in the comments), shared by
the scorecard tests and the team table's tests."""

from __future__ import annotations

from quotabook import load_settings
from quotabook.dataset import Dataset
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import inline_dataset

SETTINGS = load_settings()
TERRITORIES = [{"territory": "T1", "region": "East", "district": "D", "owner": "Ann"},
               {"territory": "T2", "region": "East", "district": "D", "owner": "Bob"}]
TARGETS = [{"period": "2025-Q1", "territory": "T1", "target_amount": 200.0},
           {"period": "2025-Q1", "territory": "T2", "target_amount": 50.0}]


def deal(oid, owner, territory, stage, amount, created, close, reason=None) -> dict:
    """One opportunity row; closed / won and the forecast category follow the stage."""
    won, closed = stage == "Closed Won", stage.startswith("Closed")
    return {"opportunity_id": oid, "name": f"Deal {oid}", "owner": owner, "territory": territory,
            "created_date": created, "close_date": close, "stage": stage, "amount": amount, "is_closed": closed,
            "is_won": won, "loss_reason": reason,
            "forecast_category": "Closed" if won else "Omitted" if closed else "Pipeline"}


def change(oid, when, stage, category, amount=None, close=None) -> dict:
    """One history row (amount and close date None: unchanged)."""
    return {"opportunity_id": oid, "changed_at": when, "stage": stage, "forecast_category": category,
            "amount": amount, "close_date": close}


# 2025-Q1. Ann: A1 won 100 (Commit from the start), A2 lost at amount 0 on 20 Feb (Commit until then, "Price").
#          Attainment 100 / 200 = 50%; calls at weeks 2, 6, 10: 100 (A2 had no amount), 100, 100 → won 100: 100%.
# Bob: B1 won 80 (Best Case until 1 Mar, then Commit at 50), B2 lost 50 (no reason).
#          Attainment 80 / 50 = 160%: rank 1; call at week 10: 50 → 80 / 50 = 160%, a sandbag.
DEALS = [deal("A1", "Ann", "T1", "Closed Won", 100.0, "2024-12-01", "2025-03-15"),
         deal("A2", "Ann", "T1", "Closed Lost", 0.0, "2024-12-01", "2025-02-20", "Price"),
         deal("A3", "Ann", "T1", "Closed Lost", 30.0, "2024-12-01", "2025-02-21", "Timing"),
         deal("B1", "Bob", "T2", "Closed Won", 80.0, "2024-12-05", "2025-03-20"),
         deal("B2", "Bob", "T2", "Closed Lost", 50.0, "2024-12-06", "2025-03-25")]
HISTORY = [change("A1", "2024-12-01", "Proposal", "Commit", 100.0, "2025-03-15"),
           change("A1", "2025-03-15", "Closed Won", "Closed"),
           change("A2", "2024-12-01", "Proposal", "Commit", 0.0, "2025-03-20"),
           change("A2", "2025-02-20", "Closed Lost", "Omitted", close="2025-02-20"),
           change("A3", "2024-12-01", "Discovery", "Pipeline", 30.0, "2025-03-20"),
           change("A3", "2025-02-21", "Closed Lost", "Omitted", close="2025-02-21"),
           change("B1", "2024-12-05", "Solution", "Best Case", 50.0, "2025-03-20"),
           change("B1", "2025-03-01", "Negotiation", "Commit"),
           change("B1", "2025-03-20", "Closed Won", "Closed", 80.0),
           change("B2", "2024-12-06", "Discovery", "Pipeline", 50.0, "2025-03-25"),
           change("B2", "2025-03-25", "Closed Lost", "Omitted")]
# Ann's first activity: 1 Dec 2024 → 130 days to 10 Apr; Bob logged none: his first deal, 5 Dec → 126 days.
ACTIVITIES = [{"activity_id": "X1", "owner": "Ann", "activity_date": "2024-12-01", "type": "dial"},
              {"activity_id": "X2", "owner": "Ann", "activity_date": "2025-03-01", "type": "email"}]


def build(deals=DEALS, targets=TARGETS, activities=ACTIVITIES, history=HISTORY, as_of="2025-04-10") -> Dataset:
    """The quarter above as of ``as_of``, any table replaced (None: absent)."""
    given = {"opportunities": deals, "territories": TERRITORIES, "targets": targets, "activities": activities,
             "opportunity_history": history}
    return inline_dataset(given, as_of=as_of, settings=SETTINGS)


def report_for(ds: Dataset) -> Report:
    """The district's 2025-Q1 page of ``ds``."""
    return Report(ds=ds, period=ds.period("2025-Q1"), region=None, catalog=load_catalog())
