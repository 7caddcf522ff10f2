"""Two territories, eleven leads, seven deals and their stage history, each count worked by hand in the comments."""

from __future__ import annotations

TERRITORIES = """\
territory,region,district,owner,segment
T1,East,D,Ann,SMB
T2,West,D,Bob,Enterprise
"""


# Leads created in 2026-Q1 (L1-L10) and one in Q2 (L11, outside the cohort). Steps are cumulative:
# L5 has a sql_date but no sal_date (counted as accepted too), L6 only an opportunity_id (converted, so
# also SQL and SAL). Q1 cohort: Leads 10; SAL L1-L6 = 6; SQL L1, L2, L5, L6 = 4; converted L1, L6 = 2.
LEADS = """\
lead_id,created_date,owner,segment,sal_date,sql_date,converted_date,opportunity_id,disqualified_date
L1,2026-01-05,Ann,SMB,2026-01-08,2026-01-15,2026-01-25,A,
L2,2026-01-06,Ann,SMB,2026-01-09,2026-01-20,,,
L3,2026-02-01,Ann,SMB,2026-02-04,,,,
L4,2026-02-02,Ann,SMB,2026-02-10,,,,2026-03-01
L5,2026-03-03,Ann,SMB,,2026-03-10,,,
L6,2026-01-10,Bob,Enterprise,,,,C,
L7,2026-01-11,Bob,Enterprise,,,,,2026-01-20
L8,2026-02-12,Bob,Enterprise,,,,,
L9,2026-03-13,Bob,Enterprise,,,,,
L10,2026-03-14,Bob,Enterprise,,,,,
L11,2026-04-02,Bob,Enterprise,2026-04-03,2026-04-04,2026-04-05,G,
"""


# Deals. Q1 creation cohort: A, B, C, D, E (5). Reached Proposal or later: A (Proposal now), B (won, Won
# step), C (Negotiation, a stage of funnel step Proposal), E (Proposal in its history, lost since) = 4.
# Won from the cohort: B = 1. F was created in 2025
# and won in Q1; G was created and won in Q2.
# Closed in Q1 (close-date cohort): B won, F won, D lost, E lost -> win rate 2/4; A is open (excluded)
# although its close date is in Q1. Per territory: T1 = B, F won / none lost -> 1.0; T2 = D, E lost -> 0.0.
OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,amount,is_closed,is_won,segment
A,Ann,T1,2026-01-05,2026-03-30,Proposal,1200,false,false,SMB
B,Ann,T1,2026-01-10,2026-02-20,Closed Won,500,true,true,SMB
C,Bob,T2,2026-02-15,2026-04-30,Negotiation,900,false,false,Enterprise
D,Bob,T2,2026-01-02,2026-02-01,Closed Lost,300,true,false,Enterprise
E,Bob,T2,2026-01-20,2026-03-10,Closed Lost,700,true,false,Enterprise
F,Ann,T1,2025-11-01,2026-01-15,Closed Won,800,true,true,SMB
G,Bob,T2,2026-04-02,2026-05-10,Closed Won,400,true,true,Enterprise
"""


# Spells (entered -> left): A Qualification Jan 5 -> Feb 10 (36 d), B Discovery Jan 10 -> Feb 20 (41 d),
# C Discovery Feb 15 -> Mar 1 (14 d), D Qualification Jan 2 -> Feb 1 (30 d), E Qualification Jan 20 ->
# Feb 5 (16 d), E Proposal Feb 5 -> Mar 10 (33 d), F Solution Nov 1 -> Jan 15 (75 d, ends in Q1).
# Stage advances in Q1 by deals open at Q1 start (created before Jan 1 and not closed before): only F,
# whose move to Closed Won (order 6 > 3) on Jan 15 is an advance -> 1 of 1.
HISTORY = """\
opportunity_id,changed_at,stage
A,2026-01-05,Qualification
A,2026-02-10,Proposal
B,2026-01-10,Discovery
B,2026-02-20,Closed Won
C,2026-02-15,Discovery
C,2026-03-01,Negotiation
D,2026-01-02,Qualification
D,2026-02-01,Closed Lost
E,2026-01-20,Qualification
E,2026-02-05,Proposal
E,2026-03-10,Closed Lost
F,2025-11-01,Solution
F,2026-01-15,Closed Won
G,2026-04-02,Discovery
G,2026-05-10,Closed Won
"""
