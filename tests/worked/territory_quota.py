"""The territory quota page's worked example: five AEs with the same win rate and target, their addressable market
(TACoS) apart, so the calibrated quota and the fair split of the target are worked out by hand (shared by the
notebook's tests and the tables' tests)."""

from __future__ import annotations

from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal, targets

M = 1_000_000
Q3 = "2026-Q3"
SEED_TERRITORIES = [
    {"territory": f"AE{i}", "region": "East", "district": "D", "owner": f"rep{i}", "tam": tam * M, "propensity": 0.8,
     "capacity_factor": 0.8} for i, tam in enumerate([12, 10, 9, 10, 9], start=1)
]


def seed_report(*, territories=SEED_TERRITORIES, open_deals=True, as_of: str = "2026-08-01") -> Report:
    """The worked example's five AEs, each with one won and three lost deals in Q1 2026 (win rate 25%), a $100K
    Q3 target each; AE1 has a $60K Commit and a $40K Best Case open in Q3 (report date Aug 1)."""
    opps = [deal(f"H{t}{i}", t, stage="Closed Won" if i == 0 else "Closed Lost", close="2026-02-10", amount=10_000)
            for t in ("AE1", "AE2", "AE3", "AE4", "AE5") for i in range(4)]
    if open_deals:
        opps += [deal("C1", "AE1", amount=60_000, category="Commit"), deal("B1", "AE1", amount=40_000,
                                                                          category="Best Case")]
    ds = build_dataset(opps, territories=territories, as_of=as_of,
                       targets=targets(Q3, **dict.fromkeys(["AE1", "AE2", "AE3", "AE4", "AE5"], 100_000)))
    return Report(ds=ds, period=ds.period(Q3), region="East", catalog=load_catalog())
