"""Activities: the prospecting flow that sources deals, and the work logged on deals while they are open.

Prospecting follows InsightSquared's chain per rep: dials -> connects (about 12:1) -> meetings booked ->
meetings held -> opportunities. Each rep's ratios come from their prospecting efficiency, so Dial:Opp
on the deals they source themselves (lead source Outbound) spans roughly 100:1 to 350:1, like the
guide's SDR table. Deal work (emails, meetings) runs from creation until the deal closes or goes quiet;
deals that will be lost often go quiet first, which is what makes a stale Commit visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .clock import BusinessClock, format_ids
from .deals import Deals
from .org import Org

__all__ = ["simulate_activities"]

EMAIL_RATE = np.array([0.40, 0.33, 0.28])  # emails per business day on an open deal, by segment
MEETING_RATE = np.array([0.06, 0.07, 0.08])  # follow-up meetings per business day, by segment
PROSPECTING_LOOKBACK_BD = 30  # prospecting that sourced a deal happened within six weeks before it
NO_CONNECT = ("No Answer", "Left Voicemail", "Busy", "Wrong Number")
NO_CONNECT_P = np.array([0.45, 0.42, 0.06, 0.07])
CONNECT_OTHER = ("Follow-up Scheduled", "Not Interested", "Call Back Later")
TYPE_ORDER = {"dial": 0, "connect": 1, "email": 2, "meeting_booked": 3, "meeting_held": 4}


@dataclass
class _Rows:
    """Activity rows under construction: batches of parallel arrays, concatenated at the end.

    ``deal`` is the index of the deal a row is about (-1 for none); ``on_deal`` says whether the row
    carries that deal's opportunity_id (a first meeting booked before the deal exists carries only its
    account).
    """

    batches: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(self, terr, time, kind, outcome, deal=None, on_deal=False, duration=None) -> None:
        n = len(time)
        self.batches.append({
            "terr": np.asarray(terr),
            "time": np.asarray(time, dtype=float),
            "kind": np.full(n, TYPE_ORDER[kind]),
            "deal": np.full(n, -1) if deal is None else np.asarray(deal),
            "on_deal": np.full(n, on_deal),
            "outcome": np.broadcast_to(np.asarray(outcome, dtype=object), (n,)),
            "duration": np.full(n, np.nan) if duration is None else np.asarray(duration, dtype=float),
        })

    def concat(self) -> dict[str, np.ndarray]:
        return {key: np.concatenate([b[key] for b in self.batches]) for key in self.batches[0]}


def simulate_activities(
    rng: np.random.Generator, org: Org, deals: Deals, clock: BusinessClock, window_bd: int, snapshot_bd: int
) -> tuple[pd.DataFrame, pd.Series]:
    """The activities table and each deal's last activity date (aligned with ``deals.opportunities``)."""
    rows = _Rows()
    n = len(deals.terr)
    idx = np.arange(n)
    terr, seg, created = deals.terr, deals.seg, deals.created_bd

    # The first meeting: booked from prospecting or an inbound request, held the day the deal opens.
    rows.add(terr, created - rng.uniform(2, 8, n), "meeting_booked", "Scheduled", idx)
    rows.add(terr, created + rng.uniform(0.05, 0.6, n), "meeting_held", "Opportunity Created", idx, True,
             _meeting_seconds(rng, n))

    # Deal work until the deal closes, goes quiet, or the snapshot.
    start = created + 0.6
    span = np.clip(np.minimum(deals.quiet_bd, snapshot_bd - 0.001) - start, 0.0, None)
    for kind, rate in (("email", EMAIL_RATE), ("meeting_held", MEETING_RATE)):
        count = rng.poisson(rate[seg] * span)
        d = np.repeat(idx, count)
        m = len(d)
        outcome = np.where(rng.random(m) < 0.3, "Replied", "Sent") if kind == "email" else "Completed"
        rows.add(terr[d], start[d] + rng.random(m) * span[d], kind, outcome, d, True,
                 _meeting_seconds(rng, m) if kind == "meeting_held" else None)
    signed = deals.won & (deals.close_bd < snapshot_bd)
    d = idx[signed]
    rows.add(terr[d], np.maximum(start[d], deals.close_bd[d] - rng.uniform(0.05, 1.0, len(d))), "email",
             "Contract Sent", d, True)

    _prospecting(rng, org, deals, rows, window_bd, snapshot_bd)

    a = rows.concat()
    keep = (a["time"] < snapshot_bd) & org.active(a["terr"], a["time"])
    a = {k: v[keep] for k, v in a.items()}
    order = np.lexsort((a["kind"], a["time"]))
    a = {k: v[order] for k, v in a.items()}
    m = len(order)

    opps = deals.opportunities
    opp_ids = np.asarray(opps["opportunity_id"], dtype=object)
    acct_ids = np.asarray(opps["account_id"], dtype=object)
    has_deal = a["deal"] >= 0
    kinds = np.array(list(TYPE_ORDER), dtype=object)
    activities = pd.DataFrame(
        {
            "activity_id": pd.array(format_ids("ACT-", np.arange(1, m + 1), 7), dtype="str"),
            "owner": pd.array(org.owner_at(a["terr"], a["time"]), dtype="str"),
            "activity_date": pd.Series(clock.stamp(a["time"]).astype("datetime64[us]")),
            "type": pd.array(kinds[a["kind"]], dtype="str"),
            "opportunity_id": pd.array(np.where(has_deal & a["on_deal"], opp_ids[a["deal"]], None),
                                       dtype="str"),
            "account_id": pd.array(np.where(has_deal, acct_ids[a["deal"]], None), dtype="str"),
            "outcome": pd.array(a["outcome"], dtype="str"),
            "duration_s": pd.array(a["duration"], dtype="Int64"),  # whole seconds, <NA> when not timed
        }
    )
    last = np.full(n, -np.inf)
    logged = has_deal & a["on_deal"]
    np.maximum.at(last, a["deal"][logged], a["time"][logged])
    seen = np.isfinite(last)
    last_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    last_date[seen] = clock.date(last[seen])
    return activities, pd.Series(last_date.astype("datetime64[us]"))


def _prospecting(
    rng: np.random.Generator, org: Org, deals: Deals, rows: _Rows, window_bd: int, snapshot_bd: int
) -> None:
    """Dials, connects and first meetings that did not (yet) become deals, per rep.

    Counts are worked back from the deals each rep sourced (lead source Outbound, created in the
    window) through the rep's own ratios; times spread over the window, growing like deal creation.
    """
    e = org.efficiency
    dial_connect = 11.0 + 2.5 * e + rng.normal(0, 0.3, org.n)
    connect_meeting = 4.5 + 2.0 * e
    show_rate = 0.88 - 0.12 * e
    meeting_opp = 1.8 + 1.2 * e
    sourced = (deals.source == "Outbound") & (deals.created_bd >= window_bd)
    opps = np.bincount(deals.terr[sourced], minlength=org.n)
    held = opps + rng.poisson(opps * (meeting_opp - 1))
    booked = held + rng.poisson(held * (1 / show_rate - 1))
    connects = rng.poisson(booked * connect_meeting)
    dials = connects + rng.poisson(connects * (dial_connect - 1))

    def when(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        terr = np.repeat(np.arange(org.n), counts)
        return terr, window_bd + (snapshot_bd - window_bd) * _rising(rng.random(len(terr)))

    terr, t = when(connects)
    book_share = (booked / np.maximum(connects, 1))[terr]
    rows.add(terr, t, "dial", "Connected")
    other = np.array(CONNECT_OTHER, dtype=object)[rng.choice(3, len(t), p=[0.5, 0.3, 0.2])]
    rows.add(terr, t, "connect", np.where(rng.random(len(t)) < book_share, "Meeting Booked", other),
             duration=np.clip(np.round(rng.lognormal(np.log(210), 0.6, len(t))), 30, 1800))
    terr, t = when(dials - connects)
    rows.add(terr, t, "dial", np.array(NO_CONNECT, dtype=object)[rng.choice(4, len(t), p=NO_CONNECT_P)])
    # First meetings that did not source a deal: booked, then held a few days later (or a no-show).
    terr, t = when(booked - opps)
    rows.add(terr, t, "meeting_booked", "Scheduled")
    shows = rng.random(len(t)) < ((held - opps) / np.maximum(booked - opps, 1))[terr]
    later = t[shows] + rng.uniform(1, 8, shows.sum())
    rows.add(terr[shows], later, "meeting_held",
             np.where(rng.random(len(later)) < 0.6, "Not Qualified", "Nurture"),
             duration=_meeting_seconds(rng, len(later)))


def _rising(u: np.ndarray, growth: float = 0.15) -> np.ndarray:
    """Samples on [0, 1] with a density rising linearly by ``growth`` (activity grows with the team)."""
    return (np.sqrt(1 + u * growth * (2 + growth)) - 1) / growth


def _meeting_seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    """Meeting lengths: mostly 30, 45 or 60 minutes, as held (seconds)."""
    booked = rng.choice([1800, 2700, 3600], n, p=[0.5, 0.2, 0.3])
    return np.round(booked * rng.uniform(0.8, 1.05, n))
