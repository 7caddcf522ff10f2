"""Territories, deals and leads with owners placed, unplaced and blank, each count worked by hand."""

from __future__ import annotations

# Two regions of one district. Zed owns no territory but owns deal E in T2 (a former AE): his leads are placed
# in T2 (West), the territory of his latest deal. "Marketing Queue" owns neither: its leads are unplaced.
TERRITORIES = """\
territory,region,district,owner,segment
T1,East,D,Ann,SMB
T2,West,D,Bob,Enterprise
"""


# Deals of another CRM's stage names are not needed here: only is_won matters to Lead→Won. A, D, E, F, G won;
# B lost; C open. D sits in T1 (East) although its lead L5 has no owner. Deal lead sources: A, D, F Web; B and
# G blank (G's is whitespace); C, E Partner.
OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,amount,is_closed,is_won,lead_source
A,Ann,T1,2026-01-25,2026-03-01,Closed Won,1000,true,true,Web
B,Ann,T1,2026-02-10,2026-03-15,Closed Lost,0,true,false,
C,Bob,T2,2026-02-20,2026-06-30,Discovery,500,false,false,Partner
D,Ann,T1,2026-02-01,2026-03-20,Closed Won,700,true,true,Web
E,Zed,T2,2026-01-15,2026-03-05,Closed Won,900,true,true,Partner
F,Ann,T1,2019-02-20,2019-05-01,Closed Won,300,true,true,Web
G,Bob,T2,2026-04-20,2026-05-30,Closed Won,400,true,true,"  "
"""


# 2026-Q1 cohort: L1-L8 (8 leads). Converted (converted_date or opportunity_id): L1, L2 (opportunity_id
# only), L4, L5, L8 = 5. Won (linked deal is_won): L1 (A), L5 (D), L8 (E) = 3; L2 -> B lost, L4 -> C open.
# Placed: Ann (T1, East) L1-L3; Bob (T2, West) L4; Zed (T2 via deal E) L8. Unplaced: L5, L6 (no owner), L7
# (a queue) -> Unassigned: 3 leads, 1 converted (L5), 1 won (L5).
# Sources: Web L1, L3, L5; blank L2 (empty) and L6 (missing); Partner L4, L8; Event L7.
# Years ago (2019-Q1): L9 (Ann, converted to F, won) and L10 (no owner). 2026-Q2: L11 (Bob -> G, won).
# No SAL or SQL dates anywhere: the export has none.
LEADS = """\
lead_id,created_date,source,owner,converted_date,opportunity_id
L1,2026-01-05,Web,Ann,2026-01-25,A
L2,2026-01-06,,Ann,,B
L3,2026-02-01,Web,Ann,,
L4,2026-02-15,Partner,Bob,2026-02-20,C
L5,2026-01-20,Web,,2026-02-01,D
L6,2026-03-01,,,,
L7,2026-03-10,Event,Marketing Queue,,
L8,2026-01-10,Partner,Zed,2026-01-15,E
L9,2019-02-10,Web,Ann,2019-02-20,F
L10,2019-03-01,Referral,,,
L11,2026-04-10,Partner,Bob,2026-04-20,G
"""
