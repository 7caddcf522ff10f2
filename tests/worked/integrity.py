"""A dataset of red-flag deals (pushed close dates, outsized amounts, no activity) worked by hand."""

from __future__ import annotations

import pandas as pd

from worked.velocity import SETTINGS, T, build, deal, steps

REF = T("2026-03-31")


def _pushes(oid: str, n: int, close: str = "2026-05-10") -> list[dict]:
    """Created Dec 1 in Qualification, Discovery since Mar 21, then ``n`` one-day pushes on Mar 22, 23, ..."""
    rows = steps(oid, ("2025-12-01", "Qualification", close), ("2026-03-21", "Discovery", close))
    base = T(close)
    rows += steps(oid, *((T("2026-03-22") + pd.Timedelta(days=k), "Discovery", base + pd.Timedelta(days=k + 1))
                         for k in range(n)))
    return rows


def integrity_dataset(as_of=REF, workbook=SETTINGS):
    """Average won deal 2,000 (1,000 and 3,000 won in the last twelve months; an old 100,000 win is out);
    average Discovery stay 10 days (the two won deals). Each open deal trips at most one flag."""
    opps = [deal("W1", created="2025-10-01", close="2025-10-21", stage="Closed Won", amount=1000),
            deal("W2", "T2", created="2026-01-01", close="2026-01-21", stage="Closed Won", amount=3000),
            deal("Wold", created="2024-12-01", close="2025-01-05", stage="Closed Won", amount=100000)]
    hist = (steps("W1", ("2025-10-01", "Qualification"), ("2025-10-11", "Discovery"), ("2025-10-21", "Closed Won"),
                  close="2025-10-21", amount=1000)
            + steps("W2", ("2026-01-01", "Qualification"), ("2026-01-11", "Discovery"), ("2026-01-21", "Closed Won"),
                    close="2026-01-21", amount=3000)
            + steps("Wold", ("2024-12-01", "Solution"), ("2025-01-05", "Closed Won"), close="2025-01-05",
                    amount=100000))
    cases = {  # deal -> (pushes, days in Discovery at Mar 31, amount, days since last activity, close date)
        "push5": (5, 10, 1000, 6, "2026-05-10"), "push4": (4, 10, 1000, 6, "2026-05-10"),
        "age60": (0, 60, 1000, 6, "2026-05-10"), "age59": (0, 59, 1000, 6, "2026-05-10"),
        "big": (0, 10, 6000, 6, "2026-05-10"), "big_not": (0, 10, 5999, 6, "2026-05-10"),
        "idle21": (0, 10, 1000, 21, "2026-05-10"), "idle20": (0, 10, 1000, 20, "2026-05-10"),
        "late": (6, 10, 1000, 6, "2026-08-31"),   # red flag, but closes 153 days out: not soon
    }
    acts = []
    for oid, (n, days, amount, idle, close) in cases.items():
        final = str((T(close) + pd.Timedelta(days=n)).date())
        opps.append(deal(oid, "T2" if oid.startswith("big") else "T1", created="2025-12-01", close=final,
                         amount=amount))
        if days == 10:
            hist += [{**row, "amount": amount} for row in _pushes(oid, n, close)]
        else:
            hist += steps(oid, ("2025-12-01", "Qualification"), (REF - pd.Timedelta(days=days), "Discovery"),
                          close=close, amount=amount)
        acts.append({"activity_id": f"a-{oid}", "owner": "Ann", "type": "email", "opportunity_id": oid,
                     "activity_date": REF - pd.Timedelta(days=idle) + pd.Timedelta(hours=10)})
    return build(opps, history=hist, activities=acts, as_of=as_of, workbook=workbook)
