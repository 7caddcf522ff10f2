"""A small CRM export from years ago (2014-2015), built by hand for the as-of and period tests.

Not the demo: two regions of one territory each, a lost deal recorded at amount 0, open deals whose expected
close dates lie far beyond anything that happened, one activity, one history change and two leads. The
latest dated events, table by table (hand-checked):

- opportunities created: O5, 1 Oct 2014 (East)
- close date of a closed deal: O3 won 10 Feb 2015 (West); East's last closed deal is O2, 5 Dec 2014
- opportunity_history: O5 to Proposal on 15 Jan 2015 (East)
- activities: Ann's dial on O5, 20 Jan 2015 (East)
- leads: L2 converted 25 Feb 2015 (West's Bob) -- the latest event of the whole source
- open deals' expected close dates (never events): O4 30 Sep 2015, O5 30 Jun 2015

So the source is as of 25 Feb 2015, for the district and for each region alike, although East's own
latest event is 20 Jan 2015 and its latest *created* date (the old rule) 1 Oct 2014.

Fiscal calendar: the workbook's (January start). Targets are set per quarter: 2014-Q4 and 2015-Q1 for each
territory, so a half or a year sums them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from quotabook.dataset import Dataset, canonical_table
from quotabook.schemas import TABLES
from quotabook.settings import load_settings

SOURCE_DATE = pd.Timestamp("2015-02-25")

TERRITORIES = [
    {"territory": "T1", "region": "East", "district": "D", "owner": "Ann", "segment": "SMB"},
    {"territory": "T2", "region": "West", "district": "D", "owner": "Bob", "segment": "SMB"},
]


def _deal(oid, territory, owner, created, close, stage, amount, category, closed, won):
    return {"opportunity_id": oid, "owner": owner, "territory": territory, "created_date": created,
            "close_date": close, "stage": stage, "forecast_category": category, "amount": amount,
            "is_closed": closed, "is_won": won, "account_id": f"A{oid}", "type": "New Business"}


OPPORTUNITIES = [
    _deal("O1", "T1", "Ann", "2014-03-10", "2014-11-20", "Closed Won", 1000.0, "Closed", True, True),
    _deal("O2", "T1", "Ann", "2014-05-01", "2014-12-05", "Closed Lost", 0.0, "Omitted", True, False),
    _deal("O3", "T2", "Bob", "2014-06-01", "2015-02-10", "Closed Won", 3000.0, "Closed", True, True),
    _deal("O4", "T2", "Bob", "2014-09-01", "2015-09-30", "Discovery", 500.0, "Pipeline", False, False),
    _deal("O5", "T1", "Ann", "2014-10-01", "2015-06-30", "Proposal", 800.0, "Best Case", False, False),
]
HISTORY = [
    {"opportunity_id": "O1", "changed_at": "2014-03-10", "stage": "Qualification", "amount": 1000.0,
     "close_date": "2014-12-15", "forecast_category": "Pipeline"},
    {"opportunity_id": "O1", "changed_at": "2014-11-20", "stage": "Closed Won", "amount": 1000.0,
     "close_date": "2014-11-20", "forecast_category": "Closed"},
    {"opportunity_id": "O5", "changed_at": "2014-10-01", "stage": "Discovery", "amount": 800.0,
     "close_date": "2015-06-30", "forecast_category": "Pipeline"},
    {"opportunity_id": "O5", "changed_at": "2015-01-15", "stage": "Proposal", "amount": 800.0,
     "close_date": "2015-06-30", "forecast_category": "Best Case"},
]
ACTIVITIES = [
    {"activity_id": "X1", "owner": "Ann", "activity_date": "2015-01-20", "type": "dial", "opportunity_id": "O5"},
]
LEADS = [
    {"lead_id": "L1", "created_date": "2014-02-01", "source": "Web", "owner": "Ann",
     "converted_date": "2014-03-10", "opportunity_id": "O1"},
    {"lead_id": "L2", "created_date": "2014-12-01", "source": "Event", "owner": "Bob",
     "converted_date": "2015-02-25"},
]
TARGETS = [
    {"territory": t, "period": p, "target_amount": amount}
    for t in ("T1", "T2") for p, amount in (("2014-Q4", 2000.0), ("2015-Q1", 2500.0))
]

ROWS = {"opportunities": OPPORTUNITIES, "opportunity_history": HISTORY, "activities": ACTIVITIES, "leads": LEADS,
        "territories": TERRITORIES, "targets": TARGETS}


def build(settings=None, **tables) -> Dataset:
    """The export as a Dataset built in memory; keyword arguments replace (or, as None, drop) tables."""
    rows = {**ROWS, **tables}
    frames = {name: canonical_table(name, rows.get(name)) for name in TABLES}
    present = frozenset(n for n, r in rows.items() if r is not None)
    return Dataset(**frames, settings=settings or load_settings(), present=present, source="old-crm")


def write(folder: Path, **tables) -> Path:
    """The export as a folder of CSV files (as a user would hand it to ``quotabook.load``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in {**ROWS, **tables}.items():
        if rows is not None:
            pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)
    return folder
