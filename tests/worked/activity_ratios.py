"""InsightSquared's example SDR team as a dataset, and a small team with activities, goals, deals and leads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quotabook.testing import build_dataset

T = pd.Timestamp

# InsightSquared, "Sales Activity Efficiency Ratios" (verbatim, tab-separated). The rep names are as the table prints
# them (the text around it spells the third one "Shawn Marion").
INSIGHTSQUARED_TABLE = """\
SDRs\tDials\tConnects\tOpps\tDeals\tDial : Connect\tDial : Opp\tOpp : Deal\tDial : Deal
Steve Nash\t3,844\t333\t11\t1\t12:1\t349:1\t11:1\t3,844:1
Jeff Hornacek\t4,285\t339\t15\t2\t13:1\t286:1\t8:1\t2,143:1
Shawn Marlon\t2,911\t251\t27\t4\t12:1\t108:1\t7:1\t728:1
Jared Dudley\t3,973\t342\t20\t6\t12:1\t199:1\t3:1\t662:1
Total: 4\t15,018\t1,265\t73\t18\t12:1\t206:1\t6:1\t1155:1
"""


def seed_table() -> pd.DataFrame:
    """The guide's table as text cells, indexed by the first column."""
    rows = [line.split("\t") for line in INSIGHTSQUARED_TABLE.splitlines()]
    return pd.DataFrame(rows[1:], columns=rows[0]).set_index("SDRs")


def seed_counts() -> pd.DataFrame:
    """The four reps' inputs (Dials, Connects, Opps, Deals) as numbers."""
    reps = seed_table().drop(index="Total: 4")
    return reps[["Dials", "Connects", "Opps", "Deals"]].replace(",", "", regex=True).astype(int)


def sdr_dataset():
    """A team whose 2026-Q1 activities and deals are exactly InsightSquared's counts: one territory per rep, each
    dial and connect an activity row (a connect is also logged as a dial, so connects never exceed dials),
    Opps = opportunities created in the quarter, Deals = those of them won in the quarter. A few rows outside
    the quarter (a Q2 dial, a deal created in Q2) check nothing leaks in."""
    counts = seed_counts()
    reps = counts.index.to_numpy()
    territories = pd.DataFrame({"territory": [f"T{i}" for i in range(1, 5)], "region": ["East", "East", "West",
                                "West"], "district": "D", "owner": reps})
    kinds = np.concatenate([np.repeat("dial", counts["Dials"].sum()), np.repeat("connect", counts["Connects"].sum())])
    owners = np.concatenate([np.repeat(reps, counts["Dials"]), np.repeat(reps, counts["Connects"])])
    when = T("2026-01-05") + pd.to_timedelta(np.arange(len(kinds)) % 80, unit="D")
    activities = pd.DataFrame({"activity_id": [f"a{i}" for i in range(len(kinds))], "owner": owners,
                               "activity_date": when, "type": kinds})
    activities = pd.concat([activities, pd.DataFrame({"activity_id": ["q2"], "owner": [reps[0]],
                                                      "activity_date": [T("2026-04-02")], "type": ["dial"]})])
    owner = np.repeat(reps, counts["Opps"])
    rank = pd.Series(owner).groupby(owner).cumcount().to_numpy()
    won = rank < counts["Deals"].reindex(owner).to_numpy()
    n = len(owner)
    opps = pd.DataFrame({
        "opportunity_id": [f"O{i}" for i in range(n)], "owner": owner,
        "territory": pd.Series(owner).map(territories.set_index("owner")["territory"]).to_numpy(),
        "created_date": T("2026-02-01"), "close_date": np.where(won, T("2026-03-01"), T("2026-05-15")),
        "stage": np.where(won, "Closed Won", "Discovery"), "amount": 1000.0,
        "is_closed": pd.array(won, dtype="boolean"), "is_won": pd.array(won, dtype="boolean"),
    })
    late = opps.iloc[[0]].assign(opportunity_id="Q2", created_date=T("2026-04-10"), close_date=T("2026-06-01"),
                                 stage="Discovery", is_closed=False, is_won=False)
    return build_dataset(territories=territories, opportunities=pd.concat([opps, late]), activities=activities)


# -- counts by type, goals, reps -----------------------------------------------------------------------------
TERRITORIES = """\
territory,region,district,owner
T1,East,D,Ann
T2,West,D,Bob
T3,West,D,
"""


ACTIVITIES = """\
activity_id,owner,activity_date,type
1,Ann,2026-01-06T10:00:00,dial
2,Ann,2026-01-06T10:05:00,dial
3,Ann,2026-01-06T10:05:00,connect
4,Ann,2026-02-01T09:00:00,meeting_booked
5,Ann,2026-02-08T09:00:00,meeting_held
6,Bob,2026-03-02T09:00:00,email
7,Bob,2026-04-02T09:00:00,dial
8,Zed,2026-01-09T09:00:00,dial
"""


GOALS = """\
period,owner,type,goal
2026-Q1,Ann,dial,4
2026-Q1,Ann,meeting_held,1
2026-Q1,Bob,dial,10
2026-Q2,Bob,dial,99
"""


OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,amount,is_closed,is_won
A,Ann,T1,2026-01-05,2026-03-30,Negotiation,1200,false,false
B,Ann,T1,2026-01-10,2026-02-20,Closed Won,500,true,true
C,Bob,T2,2026-02-15,2026-04-30,Negotiation,900,false,false
D,Cat,T3,2026-01-02,2026-02-01,Closed Lost,300,true,false
"""


LEADS = """\
lead_id,created_date,owner
L1,2026-01-05,Ann
L2,2026-01-06,Ann
L3,2026-02-07,Ann
L4,2026-03-08,Bob
L5,2026-03-09,Bob
L6,2026-04-10,Bob
"""
