"""Leads through Lead -> SAL -> SQL -> Opportunity, consistent with the deals they became.

Every inbound new-business deal (lead source Inbound, Event, Partner or Referral) is a converted lead
whose converted date is the deal's created date. The leads that fell out are worked back from the
conversions with conversion rates by segment set at the middle of the published bands the metric catalog
cites (lead_to_sal, sal_to_sql, sql_to_opportunity), and dated within its days-per-step bands (the demo is a
simulated company: its rates are its own, and tests/test_demo.py checks they sit in the catalog's bands).
Steps not reached by the snapshot stay empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schemas import SEGMENTS
from .clock import BusinessClock, format_ids
from .deals import Deals
from .org import Org

__all__ = ["simulate_leads"]

# Conversion rate and days in step (low, high) by segment (SMB, Mid-Market, Enterprise) x lead step (Lead->SAL,
# SAL->SQL, SQL->Opportunity). Mid-Market days, for which no band is published, are the mean of SMB and Enterprise.
RATE = np.array([[0.20, 0.60, 0.375], [0.16, 0.55, 0.325], [0.115, 0.40, 0.20]])
DAYS = np.array(
    [[[3, 7], [5, 10], [7, 14]], [[6.5, 13.5], [9.5, 20], [13.5, 29.5]], [[10, 20], [14, 30], [20, 45]]]
)
INBOUND = ("Inbound", "Event", "Partner", "Referral")


def simulate_leads(
    rng: np.random.Generator, org: Org, deals: Deals, clock: BusinessClock, snapshot_bd: int
) -> pd.DataFrame:
    """The leads table: converted leads behind inbound deals plus those that dropped out or are open."""
    rate, days = RATE, DAYS
    opps = deals.opportunities
    conv = np.flatnonzero(np.isin(deals.source, INBOUND))
    seg = deals.seg[conv]

    def step_days(s: np.ndarray, j: int) -> np.ndarray:
        lo, hi = days[s, j, 0], days[s, j, 1]
        return np.floor(rng.uniform(lo, hi + 1)).astype("timedelta64[D]")  # whole days in [lo, hi]

    converted = opps["created_date"].to_numpy()[conv].astype("datetime64[D]")
    sql = converted - step_days(seg, 2)
    sal = sql - step_days(seg, 1)
    created = sal - step_days(seg, 0)

    # Drop-outs, spawned level by level around the converted leads (each inherits territory and source).
    level_src = np.arange(len(conv))  # index into conv of each spawned lead's source deal
    base = created
    spawned = []
    for level in (2, 1, 0):  # SQL not converted (step 2 failed), SAL not qualified (1), lead not accepted (0)
        k = rng.poisson(1 / rate[deals.seg[conv[level_src]], level] - 1)
        src = np.repeat(level_src, k)
        when = np.repeat(base, k) + np.round(rng.normal(0, 20, len(src))).astype("timedelta64[D]")
        spawned.append((level, src, when))
        level_src, base = np.r_[level_src, src], np.r_[base, when]

    snapshot = clock.date(np.array([snapshot_bd]))[0]
    nat = np.datetime64("NaT", "D")
    parts = {"src": [np.arange(len(conv))], "created": [created], "sal": [sal], "sql": [sql],
             "converted": [converted], "disq": [np.full(len(conv), nat)],
             "is_conv": [np.ones(len(conv), bool)]}
    for level, src, when in spawned:
        s = deals.seg[conv[src]]
        m = len(src)
        lead_sal = np.where(level >= 1, when + step_days(s, 0), nat)
        lead_sql = np.where(level >= 2, lead_sal + step_days(s, 1), nat)
        stop = {2: (lead_sql, 5, 40), 1: (lead_sal, 3, 30), 0: (when, 2, 30)}[level]
        disq = stop[0] + np.round(rng.uniform(stop[1], stop[2], m)).astype("timedelta64[D]")
        if level == 0:  # some unaccepted leads are parked in nurture rather than disqualified
            disq = np.where(rng.random(m) < 0.55, disq, nat)
        for key, val in (("src", src), ("created", when), ("sal", lead_sal), ("sql", lead_sql),
                         ("converted", np.full(m, nat)), ("disq", disq), ("is_conv", np.zeros(m, bool))):
            parts[key].append(val)
    lead = {k: np.concatenate(v) for k, v in parts.items()}

    # Censor at the snapshot: nothing dated on or after it; a step not reached empties the next ones.
    keep = lead["created"] < snapshot
    lead = {k: v[keep] for k, v in lead.items()}
    lead["sal"] = np.where(lead["sal"] < snapshot, lead["sal"], nat)
    lead["sql"] = np.where((lead["sql"] < snapshot) & ~np.isnat(lead["sal"]), lead["sql"], nat)
    reached = np.where(~np.isnat(lead["sql"]), lead["sql"], np.where(~np.isnat(lead["sal"]), lead["sal"],
                                                                       lead["created"]))
    lead["disq"] = np.where((lead["disq"] < snapshot) & (lead["disq"] > reached), lead["disq"], nat)

    order = np.lexsort((lead["src"], lead["created"]))
    lead = {k: v[order] for k, v in lead.items()}
    deal = conv[lead["src"]]
    terr = deals.terr[deal]
    owner_now = org.owner_at(terr, clock.bd(lead["created"]).astype(float))
    owner = np.where(lead["is_conv"], np.asarray(opps["owner"], dtype=object)[deal], owner_now)
    n = len(deal)
    opp_ids = np.asarray(opps["opportunity_id"], dtype=object)
    return pd.DataFrame(
        {
            "lead_id": pd.array(format_ids("LEAD-", np.arange(1, n + 1), 6), dtype="str"),
            "created_date": _dates(lead["created"]),
            "source": pd.array(deals.source[deal], dtype="str"),
            "owner": pd.array(owner, dtype="str"),
            "segment": pd.array(np.array(SEGMENTS, dtype=object)[deals.seg[deal]], dtype="str"),
            "sal_date": _dates(lead["sal"]),
            "sql_date": _dates(lead["sql"]),
            "converted_date": _dates(lead["converted"]),
            "opportunity_id": pd.array(np.where(lead["is_conv"], opp_ids[deal], None), dtype="str"),
            "disqualified_date": _dates(lead["disq"]),
        }
    )


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="datetime64[D]").astype("datetime64[us]"))
