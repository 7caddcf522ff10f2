"""Opportunities and their change history, simulated for every deal at once (vectorised over deals).

Each deal is born in the first open stage, spends a lognormal time in each stage (by segment:
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
from .clock import CALENDAR_TO_BUSINESS, BusinessClock, format_ids
from .dating import close_date_pushes, quarter_end_pull
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
# Median calendar days in each of five stages, by segment: the benchmark Opp->Proposal (first three stages)
# and Proposal->Won (last two) bands, SMB 10-20 / 7-14 days, enterprise 30-60 / 45-90 days.
STAGE_DAYS = np.array([[6, 7, 8, 9, 7], [9, 13, 16, 22, 16], [10, 14, 18, 28, 22]], dtype=float)
STAGE_SIGMA = 0.55
LOSS_GROWTH = 1.25  # losses per stage grow by this factor: most proposals are lost (benchmark bands)
ZOMBIE_SHARE = 0.25  # lost deals nobody closes out for months
RAMP_WIN = 0.85  # a new hire wins less often while ramping
QUIET_REASONS = (2, 3, 5)  # No Decision, Timing, Lost to Status Quo: the buyer simply went quiet
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
    """Simulate deals created from ``start_bd`` on; keep those closed in the window or still open.

    ``window_bd`` is the first day of the first reported quarter: deals closed before it are not in
    the export, as with a CRM report filtered on close date.
    """
    terr, created = _draw_created(rng, org, start_bd, window_bd, snapshot_bd, expected_in_window)
    d = _draw_deals(rng, org, terr)
    d["created"] = created
    d.update(_draw_outcomes(rng, org, stages, d))
    in_last_stage = d["last_entry"] + 0.5  # a pulled-in win must already be in its last stage by then
    d["close_bd"] = quarter_end_pull(rng, clock, d["close_bd"], d["won"] & (d["close_bd"] > in_last_stage),
                                     in_last_stage, fiscal_start_month)
    d["account"] = link_accounts(rng, terr, d["seg"], d["typ"], created, d["close_bd"], d["won"])
    keep = d["close_bd"] >= window_bd
    order = np.flatnonzero(keep)[np.argsort(created[keep], kind="stable")]  # ids follow creation
    d = {key: value[order] for key, value in d.items()}
    n = len(order)
    ids = format_ids("OPP-", np.arange(1, n + 1), 6).astype(object)

    category = np.maximum.accumulate(_categories(rng, stages, n), axis=1)  # never steps back
    typical = stages.along(STAGE_DAYS)[d["seg"]] * org.speed[d["terr"]][:, None]
    first_close, push_t, push_d = close_date_pushes(
        rng, org, clock, d["terr"], typical, d["typ"] == RENEWAL, d["entry"], d["created"], d["close_bd"],
        snapshot_bd, fiscal_start_month,
    )
    amounts = _amount_changes(rng, stages, d["entry"], d["close_bd"], d["amount0"])
    history, state = build_history(stages, clock, ids, snapshot_bd, d["created"], d["entry"], d["close_bd"],
                                   d["won"], category, d["amount0"], amounts, first_close, push_t, push_d)

    reason = _loss_reasons(rng, stages, d["last"], d["linger"])
    # Many deals heading for a loss go quiet before anyone closes them: no activity after ``quiet_bd``.
    goes_quiet = ~d["won"] & (rng.random(n) < np.where(np.isin(reason, QUIET_REASONS), 0.85, 0.55))
    fade = d["last_entry"] + (d["close_bd"] - d["last_entry"]) * rng.uniform(0.1, 0.6, n)
    quiet_bd = np.where(goes_quiet, fade, d["close_bd"])
    flags = _evidence(rng, stages, state["stage_idx"], d["last"], d["won"])
    opps = _opportunities(rng, org, stages, clock, d, ids, state, reason, flags, currency)
    return Deals(opps, history, d["terr"], d["seg"], d["created"].astype(float), d["close_bd"], quiet_bd,
                 d["won"], d["source"])


def _draw_deals(rng: np.random.Generator, org: Org, terr: np.ndarray) -> dict[str, np.ndarray]:
    """What each deal is: segment, type, lead source, product and first amount (whole USD)."""
    n = len(terr)
    seg = pick(rng, SEG_MIX[org.seg[terr]])
    typ = rng.choice(3, n, p=TYPE_P)
    sources = np.array(SOURCES, dtype=object)[rng.choice(len(SOURCES), n, p=SOURCE_P)]
    product = pick(rng, PRODUCT_P[seg])
    spread = rng.lognormal(0, AMOUNT_SIGMA[seg])  # size relative to the segment's typical deal
    size = AMOUNT_MEDIAN[seg] * TYPE_SIZE[typ] * PRODUCT_SIZE[product] * spread
    return {
        "terr": terr,
        "seg": seg,
        "typ": typ,
        "source": np.where(typ == NEW_BUSINESS, sources, EXISTING_CUSTOMER),
        "product": product,
        "spread": spread,
        "amount0": np.maximum(1, np.round(size / AMOUNT_STEP[seg])) * AMOUNT_STEP[seg],
    }


def _draw_outcomes(
    rng: np.random.Generator, org: Org, stages: StageMap, d: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Won or lost, the last open stage reached, when each stage is entered and when the deal closes.

    Win odds are the rep's skill shaped by deal type, segment and size (big deals win less often,
    InsightSquared's win rate by deal value), normalised so skill stays the rep's count win rate. Losses grow
    toward the later stages, as the benchmark bands imply (most proposals are lost). Lost deals linger in
    their last stage; zombies linger for months.
    """
    terr, seg, created = d["terr"], d["seg"], d["created"]
    n, k = len(terr), stages.k
    lift = TYPE_WIN[d["typ"]] * SEG_WIN[seg] * d["spread"] ** -SIZE_WIN_ELASTICITY
    ramping = (org.former[terr] != "") & (created >= org.hire_bd[terr])
    p_win = np.clip(org.skill[terr] * lift / lift.mean() * np.where(ramping, RAMP_WIN, 1.0), 0.03, 0.9)
    won = rng.random(n) < p_win
    loss_w = LOSS_GROWTH ** np.arange(k)
    last = np.where(won, k - 1, rng.choice(k, n, p=loss_w / loss_w.sum()))

    days = stages.along(STAGE_DAYS)[seg] * org.speed[terr][:, None] * rng.lognormal(0, STAGE_SIGMA, (n, k))
    dur = np.maximum(days * CALENDAR_TO_BUSINESS, 0.3)
    zombie = rng.random(n) < ZOMBIE_SHARE
    linger = np.where(zombie, rng.lognormal(np.log(3.0), 0.7, n), rng.lognormal(np.log(1.2), 0.5, n))
    linger = np.where(won, 1.0, linger)
    entry = created[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(dur, axis=1)[:, :-1]], axis=1)
    entry = np.where(np.arange(k)[None, :] <= last[:, None], entry, np.inf)
    rows = np.arange(n)
    last_entry = entry[rows, last]
    return {"won": won, "last": last, "linger": linger, "entry": entry, "last_entry": last_entry,
            "close_bd": last_entry + dur[rows, last] * linger}


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


def _amount_changes(
    rng: np.random.Generator,
    stages: StageMap,
    entry: np.ndarray,
    close_bd: np.ndarray,
    amount0: np.ndarray,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Amount events as (mask, time, new amount): a re-scope at Proposal, a discount in Negotiation.

    Amounts are rounded to hundreds; each event's amount builds on the one before.
    """
    n, k = entry.shape
    reached = np.isfinite(entry)
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


def _categories(rng: np.random.Generator, stages: StageMap, n: int) -> np.ndarray:
    """Forecast category (0 Pipeline, 1 Best Case, 2 Commit) a rep picks on entering each open stage."""
    probs = stages.along(CATEGORY_P).T  # (k, 3)
    return np.stack([pick(rng, np.broadcast_to(p, (n, 3))) for p in probs], axis=1)


def _loss_reasons(
    rng: np.random.Generator, stages: StageMap, last: np.ndarray, linger: np.ndarray
) -> np.ndarray:
    """Loss reason index per deal: price and competitors late, budget and timing early, no decision
    and the status quo for deals that lingered."""
    early = (stages.position()[last] < 0.5)[:, None]
    by_stage = np.where(early, LOSS_P["early"], LOSS_P["late"])
    probs = np.where((linger > 1.8)[:, None], LOSS_P["linger"], by_stage)
    return pick(rng, probs)


def _evidence(
    rng: np.random.Generator, stages: StageMap, cur: np.ndarray, last: np.ndarray, won: np.ndarray
) -> np.ndarray:
    """Evidence flags (n, 4): likelier in later stages, on won deals, and on open deals that will win."""
    is_lost = cur == stages.lost
    at = np.where(cur >= stages.k, last, cur)  # a closed deal keeps the evidence of its last open stage
    p = stages.along(EVIDENCE_P)[:, at].T * np.where(is_lost, 0.85, 1.0)[:, None]
    p = np.where((cur == stages.won)[:, None], EVIDENCE_WON_P[None, :], p)
    p = p + np.where(cur < stages.k, np.where(won, 0.08, -0.05), 0.0)[:, None]
    return rng.random((len(cur), len(EVIDENCE))) < p


def _opportunities(
    rng: np.random.Generator,
    org: Org,
    stages: StageMap,
    clock: BusinessClock,
    d: dict[str, np.ndarray],
    ids: np.ndarray,
    state: dict[str, np.ndarray],
    reason: np.ndarray,
    flags: np.ndarray,
    currency: str,
) -> pd.DataFrame:
    """The opportunities table: the deal's attributes plus its state at the snapshot (from history).

    Account ids number accounts by their first deal; a deal closed before its former AE left stays
    theirs, every other deal belongs to the territory's current AE (open deals were reassigned).
    """
    n, terr, cur = len(ids), d["terr"], state["stage_idx"]
    account = np.unique(d["account"], return_inverse=True)[1]
    first_seen = np.full(account.max() + 1, n)
    np.minimum.at(first_seen, account, np.arange(n))
    acct_no = np.argsort(np.argsort(first_seen, kind="stable"), kind="stable")[account]
    account_name = account_names(rng, len(first_seen))[acct_no]
    product = np.array(PRODUCTS, dtype=object)[d["product"]]
    suffix = np.array(["", " Expansion", " Renewal"], dtype=object)[d["typ"]]
    former = (d["close_bd"] < org.leave_bd[terr]) & (org.former[terr] != "")
    is_lost = cur == stages.lost

    def text(values) -> pd.arrays.ArrowStringArray:
        return pd.array(np.asarray(values, dtype=object), dtype="str")

    return pd.DataFrame(
        {
            "opportunity_id": text(ids),
            "name": text(account_name + " - " + product + suffix),
            "account_id": text(format_ids("ACC-", acct_no + 1, 5)),
            "account_name": text(account_name),
            "owner": text(np.where(former, org.former[terr], org.owner[terr])),
            "territory": text(np.asarray(org.territories["territory"], dtype=object)[terr]),
            "created_date": _dates(clock.date(d["created"])),
            "close_date": _dates(state["close"]),
            "stage": text(np.array(stages.names, dtype=object)[cur]),
            "forecast_category": text(np.array(FORECAST_CATEGORIES, dtype=object)[state["category"]]),
            "amount": state["amount"],
            "currency": text([currency] * n),
            "probability": stages.prob[cur],
            "is_closed": stages.closed[cur],
            "is_won": stages.won_flag[cur],
            "type": text(np.array(OPPORTUNITY_TYPES, dtype=object)[d["typ"]]),
            "segment": text(np.array(SEGMENTS, dtype=object)[d["seg"]]),
            "lead_source": text(d["source"]),
            "product": text(product),
            "loss_reason": text(np.where(is_lost, np.array(LOSS_REASONS, dtype=object)[reason], None)),
            "last_activity_date": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]"),
            **{flag: flags[:, i] for i, flag in enumerate(EVIDENCE)},
        }
    )


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(days, dtype="datetime64[D]").astype("datetime64[us]"))
