"""The won / lost page's hand-built district (shared by the notebook's tests and the tables' tests).

Territories T1 (Ann) and T2 (Bob) in East, T3 (Cy) in West; 2026-Q3 targets 1,000K, 500K and 1,000K; as of
15 Oct 2026 (the quarter is over). Worked by hand (amounts in thousands, cycles in days):

- 2026-Q3: Ann won A1 600 (created 1 Jun, won 31 Jul: 60 days) and A2 600 (1 Jul → 20 Aug: 50 days); Bob won
  B1 100 (3 May → 31 Jul: 89 days) and lost BL1 200 and BL2 50 to Price; Cy lost CL1 300 to Timing.
  Bookings 1,300 from 3 won deals (average 433), 52% of 2,500; Ann reached 120%, Bob 20%, Cy 0%: 1 of 3 reps.
  Win rate 3 of 6 = 50%, above the 22–35% band.
- 2026-Q2: Ann won A0 100 (15 Apr → 15 May: 30 days); Bob lost BL0 100 and Cy lost CL0 100 to Budget: 33%.
- Over 2026-Q2..Q3 (the data starts in Q2): Price 2 of 5 lost deals (40%, 250), Budget 2 (200), Timing 1.
  Sales cycle: (30 + 60 + 50 + 89) / 4 = 57 days; Ann 47 on average, Bob 89.
"""

from __future__ import annotations

from quotabook.dataset import Dataset
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal, targets

K = 1000.0


def dataset(*, slow_bob: bool = False, accounts: bool = True, as_of: str = "2026-10-15") -> Dataset:
    """The won / lost page's district (``slow_bob``: B1 created in January, a slow won deal; ``accounts``: deals
    carry an account id), worked by hand in the module docstring."""
    rows = [
        ("A0", "T1", "2026-04-15", "2026-05-15", "Closed Won", 100, None),
        ("BL0", "T2", "2026-04-01", "2026-06-01", "Closed Lost", 100, "Budget"),
        ("CL0", "T3", "2026-04-01", "2026-06-10", "Closed Lost", 100, "Budget"),
        ("A1", "T1", "2026-06-01", "2026-07-31", "Closed Won", 600, None),
        ("A2", "T1", "2026-07-01", "2026-08-20", "Closed Won", 600, None),
        ("B1", "T2", "2026-01-02" if slow_bob else "2026-05-03", "2026-07-31", "Closed Won", 100, None),
        ("BL1", "T2", "2026-06-01", "2026-08-10", "Closed Lost", 200, "Price"),
        ("BL2", "T2", "2026-06-01", "2026-09-01", "Closed Lost", 50, "Price"),
        ("CL1", "T3", "2026-06-01", "2026-09-15", "Closed Lost", 300, "Timing"),
    ]
    opps = [deal(i, t, created=c, close=d, stage=s, amount=a * K, loss_reason=r,
                 **({"account_id": f"acct-{i}"} if accounts else {})) for i, t, c, d, s, a, r in rows]
    goals = targets("2026-Q3", T1=1000 * K, T2=500 * K, T3=1000 * K)
    return build_dataset(opps, targets=goals, as_of=as_of)


def make_report(**kwargs) -> Report:
    ds = dataset(**kwargs)
    return Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())
