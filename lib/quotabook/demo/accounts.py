"""Accounts behind the demo deals: who buys again, who expands, and what the companies are called.

New-business deals open a new account, except a share that re-engages an account lost earlier.
Expansions and renewals attach to an account won earlier in the same territory and segment (renewals
at least about nine months after the win); when the export holds no such win, the account is a customer
from before the data window.
"""

from __future__ import annotations

import numpy as np

__all__ = ["account_names", "link_accounts"]

NEW_BUSINESS, EXPANSION, RENEWAL = 0, 1, 2
REENGAGE_SHARE = 0.12  # new-business deals that reopen an account lost earlier
EXPANSION_LAG_BD = 10  # an expansion opens at least two weeks after the win
RENEWAL_LAG_BD = 190  # a renewal opens about nine months after the win

_PREFIXES = (
    "Northwind", "Bluepeak", "Crestline", "Summit", "Ironwood", "Harbor", "Silverline", "Redwood",
    "Lakeshore", "Brightwater", "Granite", "Evergreen", "Pinnacle", "Riverbend", "Oakridge", "Keystone",
    "Stonebridge", "Clearwater", "Highland", "Maple", "Falcon", "Beacon", "Cobalt", "Meridian", "Horizon",
    "Vantage", "Juniper", "Cedar", "Atlas", "Sterling", "Copperleaf", "Westbrook", "Eastgate", "Northstar",
    "Prairie", "Coastal", "Aspen", "Willow", "Bridgeport", "Fairview", "Lighthouse", "Quarry", "Trailhead",
    "Canyon", "Glacier", "Orchard", "Sandstone", "Tidewater", "Bluebird", "Foxglove", "Kingsley",
    "Hawthorne", "Larkspur", "Mariner", "Ridgeway", "Sagebrush", "Thornbury", "Union", "Vista", "Wexford",
)
_INDUSTRIES = (
    "Logistics", "Health", "Foods", "Systems", "Manufacturing", "Energy", "Financial", "Retail", "Labs",
    "Software", "Media", "Freight", "Dental", "Realty", "Insurance", "Analytics", "Biotech", "Construction",
    "Hospitality", "Motors", "Pharma", "Telecom", "Capital", "Outdoor", "Apparel", "Robotics", "Marine",
    "Aerospace", "Education", "Security", "Design", "Packaging", "Utilities", "Partners", "Holdings",
    "Brewing", "Clinics", "Metals", "Networks", "Textiles",
)
_LEGAL = ("Inc.", "LLC", "Group", "Corp.")


def link_accounts(
    rng: np.random.Generator,
    terr: np.ndarray,
    seg: np.ndarray,
    typ: np.ndarray,
    created: np.ndarray,
    closed: np.ndarray,
    won: np.ndarray,
) -> np.ndarray:
    """An account key per deal (int64): deals sharing a key share an account.

    Keys ``0..n-1`` are accounts first opened by that deal; keys ``>= n`` are customers from before
    the data window. ``created`` and ``closed`` are business-day times.
    """
    n = len(terr)
    parent = np.arange(n)
    legacy = np.zeros(n, dtype=bool)
    nb = typ == NEW_BUSINESS
    reengage = nb & (rng.random(n) < REENGAGE_SHARE)
    lag = np.where(typ == RENEWAL, RENEWAL_LAG_BD, EXPANSION_LAG_BD)
    u = rng.random(n)
    group = terr * 3 + seg
    for g in np.unique(group):  # one pass per territory x segment (at most 48)
        members = np.flatnonzero(group == g)
        for pool_mask, ask_mask, delay in (
            (nb & won, ~nb, lag),  # expansions and renewals buy again from a won account
            (nb & ~won, reengage, np.zeros(n)),  # re-engaged new business reopens a lost account
        ):
            pool = members[pool_mask[members]]
            pool = pool[np.argsort(closed[pool], kind="stable")]
            asking = members[ask_mask[members]]
            k = np.searchsorted(closed[pool], created[asking] - delay[asking], side="left")
            found = k > 0
            pick = np.minimum((u[asking] * k).astype(np.int64), np.maximum(k - 1, 0))
            parent[asking[found]] = pool[pick[found]]
            legacy[asking[~found & ~nb[asking]]] = True
    # Follow parent pointers to the deal that first opened each account (chains are short).
    for _ in range(32):
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            break
        parent = nxt
    return np.where(legacy, n + np.arange(n), parent)


def account_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct, plausible company names (object array)."""
    p, i, s = len(_PREFIXES), len(_INDUSTRIES), len(_LEGAL)
    if count > p * i * s:
        raise ValueError(f"at most {p * i * s} distinct account names, asked for {count}")
    code = rng.permutation(p * i * s)[:count]
    prefix = np.array(_PREFIXES, dtype=object)[code % p]
    industry = np.array(_INDUSTRIES, dtype=object)[(code // p) % i]
    legal = np.array(_LEGAL, dtype=object)[code // (p * i)]
    return prefix + " " + industry + " " + legal
