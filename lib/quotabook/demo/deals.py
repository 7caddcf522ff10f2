"""Opportunities and their change history, simulated for every deal at once (vectorised over deals).

Each deal is born in the first open stage, spends a lognormal time in each stage (by segment, seed 001:
SMB 7-30 days per stage, enterprise 30-90+ over the later stages), and is either won after the last open
stage or lost at some stage, sometimes after lingering. Its close date starts optimistic and is pushed
whenever it comes due while the deal is still open; its amount may be re-scoped at Proposal and
discounted in Negotiation. Every change is one history row holding the deal's full state from then on,
and the current row is the last history row, so the two always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schemas import FORECAST_CATEGORIES, OPPORTUNITY_TYPES, SEGMENTS
from .accounts import NEW_BUSINESS, RENEWAL, account_names, link_accounts
from .clock import (
    CALENDAR_TO_BUSINESS,
    BusinessClock,
    format_ids,
    month_end,
    quarter_end,
    quarter_start,
)
from .history import build_history
from .org import Org
from .stages import StageMap

__all__ = ["Deals", "pick", "simulate_deals"]

GROWTH = 0.25  # deal creation grows 25% from the first to the last simulated day
SEG_RATE = np.array([0.45, 0.28, 0.20])  # relative deal creation rate of an SMB / MM / ENT territory
SEG_MIX = np.array([[0.85, 0.15, 0.0], [0.10, 0.80, 0.10], [0.0, 0.20, 0.80]])  # deal segment | territory
TYPE_P = np.array([0.68, 0.20, 0.12])  # New Business, Expansion, Renewal
TYPE_WIN = np.array([0.8, 1.5, 2.0])  # existing customers buy again more often
SEG_WIN = np.array([1.05, 1.0, 0.92])
TYPE_SIZE = np.array([1.0, 0.35, 0.85])
SIZE_WIN_ELASTICITY = 0.25  # win odds fall with deal size relative to the segment's typical deal
SOURCES = ("Outbound", "Inbound", "Event", "Partner", "Referral")
SOURCE_P = np.array([0.35, 0.35, 0.10, 0.12, 0.08])
EXISTING_CUSTOMER = "Existing Customer"
PRODUCTS = ("Core Platform", "Analytics Add-on", "Data Connectors", "Enterprise Suite")
PRODUCT_P = np.array([[0.60, 0.25, 0.15, 0.0], [0.45, 0.25, 0.15, 0.15], [0.30, 0.15, 0.10, 0.45]])
PRODUCT_SIZE = np.array([1.0, 0.6, 0.7, 1.3])
AMOUNT_MEDIAN = np.array([18e3, 60e3, 200e3])  # first amount of a new-business deal, by segment (USD)
AMOUNT_SIGMA = np.array([0.45, 0.35, 0.35])
AMOUNT_STEP = np.array([500.0, 1000.0, 5000.0])  # reps enter round numbers
# Median calendar days in each of five stages, by segment: seed 001's Opp->Proposal (first three stages)
# and Proposal->Won (last two) bands, SMB 10-20 / 7-14 days, enterprise 30-60 / 45-90 days.
STAGE_DAYS = np.array([[6, 7, 8, 9, 7], [9, 13, 16, 22, 16], [10, 14, 18, 28, 22]], dtype=float)
STAGE_SIGMA = 0.55
LOSS_GROWTH = 1.25  # losses per stage grow by this factor: most proposals are lost (seed 001 bands)
ZOMBIE_SHARE = 0.25
LOSS_REASONS = ("Price", "Competitor", "No Decision", "Timing", "Budget", "Lost to Status Quo")
LOSS_P = {  # reason probabilities: lost early, lost late, lost after lingering
    "early": np.array([0.05, 0.10, 0.25, 0.20, 0.20, 0.20]),
    "late": np.array([0.30, 0.35, 0.15, 0.10, 0.05, 0.05]),
    "linger": np.array([0.03, 0.07, 0.45, 0.20, 0.05, 0.20]),
}
# Forecast category (Pipeline, Best Case, Commit) a rep picks on entering each stage (five-stage template).
CATEGORY_P = np.array(
    [[1.0, 0.95, 0.65, 0.10, 0.0], [0.0, 0.05, 0.32, 0.60, 0.20], [0.0, 0.0, 0.03, 0.30, 0.80]]
)
EVIDENCE = ("economic_buyer", "champion", "decision_criteria", "paper_process")
EVIDENCE_P = np.array(
    [[0.10, 0.30, 0.55, 0.75, 0.85], [0.20, 0.45, 0.65, 0.80, 0.88], [0.05, 0.25, 0.50, 0.70, 0.85],
     [0.0, 0.02, 0.10, 0.35, 0.70]]
)
EVIDENCE_WON_P = np.array([0.93, 0.93, 0.92, 0.90])
PUSH_SLOTS = 12
PULL_WINDOW_BD, PULL_SHARE = 20, 0.5  # wins due early in a quarter pulled into the previous quarter's end
NEXT_QUARTER_SHARE = 0.45  # pushes in a quarter's last five weeks that go to the next quarter


@dataclass(frozen=True)
class Deals:
    """The simulated deals: the two canonical tables plus the arrays later steps need, one per row of
    ``opportunities`` (times are business-day floats; ``quiet_bd`` is when work on the deal stops)."""

    opportunities: pd.DataFrame
    history: pd.DataFrame
    terr: np.ndarray
    seg: np.ndarray
    created_bd: np.ndarray
    close_bd: np.ndarray
    quiet_bd: np.ndarray
    won: np.ndarray
    source: np.ndarray


def pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of ``probs`` (rows are probability vectors)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def simulate_deals(
    rng: np.random.Generator,
    org: Org,
    stages: StageMap,
    clock: BusinessClock,
    *,
    start_bd: int,
    window_bd: int,
    snapshot_bd: int,
    expected_in_window: float,
    fiscal_start_month: int,
    currency: str,
) -> Deals:
    """Simulate deals created from ``start_bd`` on; keep those still open at ``window_bd`` or later."""
    terr, created = _draw_created(rng, org, start_bd, window_bd, snapshot_bd, expected_in_window)
    n, k = len(terr), stages.k
    seg = pick(rng, SEG_MIX[org.seg[terr]])
    typ = rng.choice(3, n, p=TYPE_P)
    source = np.where(typ == NEW_BUSINESS, np.array(SOURCES, dtype=object)[rng.choice(5, n, p=SOURCE_P)],
                      EXISTING_CUSTOMER)
    product = pick(rng, PRODUCT_P[seg])
    spread = rng.lognormal(0, AMOUNT_SIGMA[seg])
    size = AMOUNT_MEDIAN[seg] * TYPE_SIZE[typ] * PRODUCT_SIZE[product] * spread
    amount0 = np.maximum(1, np.round(size / AMOUNT_STEP[seg])) * AMOUNT_STEP[seg]

    # Outcome: the rep's skill shaped by deal type, segment and size (big deals win less often: seed 004's
    # win rate by deal value), normalised so skill stays the rep's count win rate.
    lift = TYPE_WIN[typ] * SEG_WIN[seg] * spread**-SIZE_WIN_ELASTICITY
    ramp = (org.former[terr] != "") & (created >= org.hire_bd[terr])
    p_win = np.clip(org.skill[terr] * lift / lift.mean() * np.where(ramp, 0.85, 1.0), 0.03, 0.9)
    won = rng.random(n) < p_win
    loss_w = LOSS_GROWTH ** np.arange(k)
    last = np.where(won, k - 1, rng.choice(k, n, p=loss_w / loss_w.sum()))  # last open stage reached

    days = stages.along(STAGE_DAYS)[seg] * org.speed[terr][:, None] * rng.lognormal(0, STAGE_SIGMA, (n, k))
    dur = np.maximum(days * CALENDAR_TO_BUSINESS, 0.3)
    # Lost deals linger in their last stage; a quarter are zombies nobody closes out for months.
    zombie = rng.random(n) < ZOMBIE_SHARE
    linger = np.where(zombie, rng.lognormal(np.log(3.0), 0.7, n), rng.lognormal(np.log(1.2), 0.5, n))
    linger = np.where(won, 1.0, linger)
    entry = created[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(dur, axis=1)[:, :-1]], axis=1)
    reached = np.arange(k)[None, :] <= last[:, None]
    entry = np.where(reached, entry, np.inf)
    rows = np.arange(n)
    close_bd = entry[rows, last] + dur[rows, last] * linger
    close_bd = _quarter_end_pull(rng, clock, close_bd, won & (close_bd > entry[rows, last] + 0.5),
                                 entry[rows, last] + 0.5, fiscal_start_month)

    account = link_accounts(rng, terr, seg, typ, created, close_bd, won)
    keep = close_bd >= window_bd  # the export holds deals closed in the window or still open
    order = np.flatnonzero(keep)[np.argsort(created[keep], kind="stable")]
    terr, created, seg, typ, source, product, amount0, won, last, linger, account = (
        a[order] for a in (terr, created, seg, typ, source, product, amount0, won, last, linger, account)
    )
    dur, entry, reached, close_bd = dur[order], entry[order], reached[order], close_bd[order]
    n, rows = len(order), np.arange(len(order))
    ids = format_ids("OPP-", rows + 1, 6).astype(object)

    category = np.maximum.accumulate(pick_per_stage(rng, stages, n), axis=1)
    typical = stages.along(STAGE_DAYS)[seg] * org.speed[terr][:, None]  # days per stage the rep expects
    first_close, push_t, push_d = _pushes(rng, org, clock, terr, typical, typ == RENEWAL, entry, created, close_bd,
                                          snapshot_bd, fiscal_start_month)
    amounts = _amount_changes(rng, stages, entry, reached, close_bd, amount0)
    history, state = build_history(stages, clock, ids, snapshot_bd, created, entry, reached, close_bd, won,
                              category, amount0, amounts, first_close, push_t, push_d)

    reason = pick(rng, np.where((linger > 1.8)[:, None], LOSS_P["linger"],
                                np.where((stages.position()[last] < 0.5)[:, None], LOSS_P["early"],
                                         LOSS_P["late"])))
    quiet_share = np.where(np.isin(reason, (2, 3, 5)), 0.85, 0.55)
    goes_dark = ~won & (rng.random(n) < quiet_share)
    last_entry = entry[rows, last]
    quiet_bd = np.where(goes_dark, last_entry + (close_bd - last_entry) * rng.uniform(0.1, 0.6, n), close_bd)

    cur = state["stage_idx"]
    is_lost = cur == stages.lost
    flag_stage = np.where(cur >= stages.k, last, cur)
    p_flag = stages.along(EVIDENCE_P)[:, flag_stage].T * np.where(is_lost, 0.85, 1.0)[:, None]
    p_flag = np.where((cur == stages.won)[:, None], EVIDENCE_WON_P[None, :], p_flag)
    p_flag = p_flag + np.where(cur < stages.k, np.where(won, 0.08, -0.05), 0.0)[:, None]
    flags = rng.random((n, len(EVIDENCE))) < p_flag

    names = account_names(rng, len(np.unique(account)))
    acct_rank = np.unique(account, return_inverse=True)[1]
    first_seen = np.full(acct_rank.max() + 1, n)
    np.minimum.at(first_seen, acct_rank, rows)
    acct_no = np.argsort(np.argsort(first_seen, kind="stable"), kind="stable")[acct_rank]  # by first deal
    account_name = names[acct_no]
    product_name = np.array(PRODUCTS, dtype=object)[product]
    suffix = np.array(["", " Expansion", " Renewal"], dtype=object)[typ]
    stage_names = np.array(stages.names, dtype=object)

    opps = pd.DataFrame(
        {
            "opportunity_id": pd.array(ids, dtype="str"),
            "name": pd.array(account_name + " - " + product_name + suffix, dtype="str"),
            "account_id": pd.array(format_ids("ACC-", acct_no + 1, 5), dtype="str"),
            "account_name": pd.array(account_name, dtype="str"),
            "owner": pd.array(np.where((close_bd < org.leave_bd[terr]) & (org.former[terr] != ""),
                                       org.former[terr], org.owner[terr]), dtype="str"),
            "territory": pd.array(np.asarray(org.territories["territory"], dtype=object)[terr], dtype="str"),
            "created_date": _dates(clock.date(created)),
            "close_date": _dates(state["close"]),
            "stage": pd.array(stage_names[cur], dtype="str"),
            "forecast_category": pd.array(np.array(FORECAST_CATEGORIES, dtype=object)[state["category"]],
                                          dtype="str"),
            "amount": state["amount"],
            "currency": pd.array([currency] * n, dtype="str"),
            "probability": stages.prob[cur],
            "is_closed": stages.closed[cur],
            "is_won": stages.won_flag[cur],
            "type": pd.array(np.array(OPPORTUNITY_TYPES, dtype=object)[typ], dtype="str"),
            "segment": pd.array(np.array(SEGMENTS, dtype=object)[seg], dtype="str"),
            "lead_source": pd.array(source, dtype="str"),
            "product": pd.array(product_name, dtype="str"),
            "loss_reason": pd.array(np.where(is_lost, np.array(LOSS_REASONS, dtype=object)[reason], None),
                                    dtype="str"),
            "last_activity_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]"),
            **{flag: flags[:, i] for i, flag in enumerate(EVIDENCE)},
        }
    )
    return Deals(opps, history, terr, seg, created.astype(float), close_bd, quiet_bd, won, source)


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="datetime64[D]").astype("datetime64[us]"))


def _draw_created(
    rng: np.random.Generator, org: Org, start_bd: int, window_bd: int, snapshot_bd: int, expected: float
) -> tuple[np.ndarray, np.ndarray]:
    """Territory and creation day (business-day int) of each simulated deal.

    Creation follows a linearly growing rate, thinned by the seat's capacity (zero while vacant), and is
    scaled so about ``expected`` deals are created between ``window_bd`` and the snapshot.
    """
    span = snapshot_bd - start_bd
    grid = np.linspace(window_bd, snapshot_bd, 200)
    capacity = org.capacity_at(np.repeat(np.arange(org.n), len(grid)), np.tile(grid, org.n))
    stream = SEG_RATE[org.seg] * org.reach  # relative flow of a fully staffed seat
    weight = stream * capacity.reshape(org.n, -1).mean(axis=1)
    in_window = 1.0 - _linear_cdf((window_bd - start_bd) / span)  # share of a stream inside the window
    counts = rng.poisson(expected * stream / weight.sum() / in_window)
    terr = np.repeat(np.arange(org.n), counts)
    x = start_bd + span * _linear_icdf(rng.random(len(terr)))
    keep = rng.random(len(terr)) < org.capacity_at(terr, x)
    return terr[keep], np.minimum(np.floor(x[keep]), snapshot_bd - 1).astype(np.int64)


def _linear_cdf(u: float | np.ndarray) -> float | np.ndarray:
    return (u + GROWTH * u**2 / 2) / (1 + GROWTH / 2)


def _linear_icdf(r: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_linear_cdf`: samples on [0, 1] with density rising by ``GROWTH``."""
    return (np.sqrt(1 + r * GROWTH * (2 + GROWTH)) - 1) / GROWTH


def pick_per_stage(rng: np.random.Generator, stages: StageMap, n: int) -> np.ndarray:
    """Forecast category (0 Pipeline, 1 Best Case, 2 Commit) a rep picks on entering each open stage."""
    probs = stages.along(CATEGORY_P).T  # (k, 3)
    return np.stack([pick(rng, np.broadcast_to(p, (n, 3))) for p in probs], axis=1)


def _amount_changes(
    rng: np.random.Generator,
    stages: StageMap,
    entry: np.ndarray,
    reached: np.ndarray,
    close_bd: np.ndarray,
    amount0: np.ndarray,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Amount events as (mask, time, new amount): a re-scope at Proposal, a discount in Negotiation."""
    n, k = entry.shape
    exit_ = np.minimum(np.concatenate([entry[:, 1:], np.full((n, 1), np.inf)], axis=1), close_bd[:, None])
    events, amount = [], amount0
    for stage, share, factor in (
        (stages.proposal, 0.40, rng.lognormal(0.0, 0.2, n)),
        (k - 1, 0.50, rng.uniform(0.85, 0.97, n)),
    ):
        mask = reached[:, stage] & (rng.random(n) < share)
        start = np.where(reached[:, stage], entry[:, stage], 0.0)
        inside = start + rng.uniform(0.1, 0.9, n) * (exit_[:, stage] - start)
        time = np.where(reached[:, stage], inside, np.inf)
        amount = np.where(mask, np.maximum(100.0, np.round(amount * factor, -2)), amount)
        events.append((mask & np.isfinite(time), time, amount))
    return events
