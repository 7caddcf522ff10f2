"""The tiny folder: five canonical tables as CSV text, small enough that every answer is worked out by hand.

Two territories (T1 East, Ann; T2 West, Bob), four deals in 2026-Q1 (A open in Commit and pushed twice, B won,
C dated Q2, D lost on price), their history, four activities and Q1 targets of 1000 and 2000.
:func:`write_folder` writes them (or any CSV text) as a folder ``quotabook.load`` reads.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

__all__ = ["ACTIVITIES", "HISTORY", "OPPORTUNITIES", "TARGETS", "TERRITORIES", "write_folder", "write_tiny_folder"]

TERRITORIES = """\
territory,region,district,owner,segment
T1,East,D,Ann,SMB
T2,West,D,Bob,Enterprise
"""

OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won,loss_reason
A,Ann,T1,2026-01-05,2026-03-30,Proposal,Commit,1200,false,false,
B,Ann,T1,2026-01-10,2026-02-20,Closed Won,Closed,500,true,true,
C,Bob,T2,2026-02-15,2026-04-30,Discovery,Pipeline,900,false,false,
D,Bob,T2,2026-01-02,2026-02-01,Closed Lost,Omitted,300,true,false,Price
"""

# Deal A: created Jan 5 closing Feb 15, pushed to Mar 15 on Feb 10 (and reached Proposal), pushed
# again to Mar 30 on Mar 1 with a new amount. Deal B: won on Feb 20. Deal C: created Feb 15.
HISTORY = """\
opportunity_id,changed_at,stage,amount,close_date,forecast_category,probability
A,2026-01-05T09:00:00,Qualification,1000,2026-02-15,Pipeline,10
A,2026-02-10T11:30:00,Proposal,,2026-03-15,Best Case,
A,2026-03-01T16:00:00,Proposal,1200,2026-03-30,Commit,60
B,2026-01-10T08:00:00,Discovery,500,2026-02-28,Pipeline,20
B,2026-02-20T15:00:00,Closed Won,500,2026-02-20,Closed,100
C,2026-02-15T10:00:00,Discovery,900,2026-04-30,Pipeline,20
D,2026-01-02T10:00:00,Qualification,300,2026-02-01,Pipeline,10
D,2026-02-01T10:00:00,Closed Lost,300,2026-02-01,Omitted,0
"""

ACTIVITIES = """\
activity_id,owner,activity_date,type,opportunity_id
1,Ann,2026-01-06T10:00:00,meeting_held,A
2,Ann,2026-02-25T10:00:00,email,A
3,Ann,2026-01-07T10:00:00,dial,
4,Bob,2026-02-16T10:00:00,dial,C
"""

TARGETS = """\
period,territory,target_amount
2026-Q1,T1,1000
2026-Q1,T2,2000
"""


def write_folder(folder: Path, **tables: str) -> Path:
    """Write each ``name=csv_text`` as ``folder/name.csv`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def write_tiny_folder(folder: Path) -> Path:
    """The five tables above written into ``folder``."""
    return write_folder(folder, territories=TERRITORIES, opportunities=OPPORTUNITIES, opportunity_history=HISTORY,
                        activities=ACTIVITIES, targets=TARGETS)
