"""Rep scorecards: everything a quarterly business review asks of each rep, in one frame.

Per owner in scope: bookings against their own target (through their territories), pipeline coverage,
activity against goals, win rate, cycle, deal size and tenure (all catalog metrics, by owner), their Commit
accuracy and bias over the last four quarters (:mod:`quotabook.forecast.trust`), and the quarter's largest
win and largest loss with its reason. The team table ranks reps by attainment (bookings where no target).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..fiscal import Period
from ..forecast import trust
from ..metrics import compute
from ..metrics.forecasting.deals import deals_as_of, without_activity

__all__ = ["SCORECARD_METRICS", "Scorecards", "quarters_by_owner", "scorecards", "top_deals"]

#: Catalog metrics of a scorecard, by owner, in the order shown.
SCORECARD_METRICS = ("closed_amount", "target_amount", "attainment", "pipeline_coverage", "win_rate",
                     "sales_cycle_days", "average_deal_size", "activity_goal_attainment", "rep_tenure_days")
TRUST_QUARTERS = 4
HISTORY_QUARTERS = 4


@dataclass
class Scorecards:
    """The scorecards of one scope and period.

    ``team``: one row per owner (index ``owner``), a column per :data:`SCORECARD_METRICS` metric shown, plus
    ``commit_accuracy``, ``commit_bias``, ``commit_band`` and ``rank`` (1 = best). ``wins`` / ``losses``: the
    largest won and lost deal of the period per owner (``owner``, ``deal``, ``amount``, ``close_date``,
    ``loss_reason``). ``history``: bookings and target per owner for the last quarters (``period``, ``owner``,
    ``closed_amount``, ``target_amount``). ``calls``: Commit call and win per owner and past quarter at week 6.
    ``unavailable``: what could not be shown, and why. ``coverage_at_start``: pipeline coverage was read as
    the quarter began (a finished quarter), not on the report date.
    """

    team: pd.DataFrame
    wins: pd.DataFrame
    losses: pd.DataFrame
    history: pd.DataFrame
    calls: pd.DataFrame
    unavailable: dict[str, str] = field(default_factory=dict)
    coverage_at_start: bool = False


def top_deals(ds: Dataset, period: Period, *, won: bool) -> pd.DataFrame:
    """The largest deal each owner won (``won=True``) or lost in ``period``; ties go to the later close.

    A lost deal recorded without an amount (or at 0) still counts as the owner's loss when it is their only
    one: its amount shows as missing rather than as a $0 deal.
    """
    o = ds.opportunities
    closed = o["is_closed"].fillna(False).astype(bool) & period.contains(o["close_date"])
    picked = o[closed & (o["is_won"].fillna(False).astype(bool) == won)]
    cols = ["owner", "deal", "amount", "close_date", "loss_reason"]
    if picked.empty:
        return pd.DataFrame(columns=cols)
    name = picked["name"] if "name" in picked else pd.Series(pd.NA, index=picked.index)
    out = pd.DataFrame({"owner": picked["owner"], "deal": name.fillna(picked["opportunity_id"]).astype("str"),
                        "amount": picked["amount"].astype("float64").where(picked["amount"] > 0),
                        "close_date": picked["close_date"],
                        "loss_reason": picked.get("loss_reason", pd.NA)})
    out = out.sort_values(["owner", "amount", "close_date"], ascending=[True, False, False], na_position="last",
                          kind="stable")
    return out.groupby("owner", sort=True).head(1).reset_index(drop=True)[cols]


def _wide(ds: Dataset, period: Period, names) -> tuple[pd.DataFrame, dict]:
    long = compute(list(names), ds, period, by="owner")
    wide = long.set_index(["owner", "metric"])["value"].unstack("metric")
    shown = [n for n in names if n in wide.columns]
    return wide.reindex(columns=shown).astype("float64"), dict(long.attrs.get("unavailable", {}))


def quarters_by_owner(ds: Dataset, period: Period, quarters: int = HISTORY_QUARTERS) -> pd.DataFrame:
    """Bookings and target per owner for the ``quarters`` quarters ending with ``period`` (tidy rows)."""
    frames = []
    names = ["closed_amount", "target_amount"] if ds.has("targets") else ["closed_amount"]
    for k in range(quarters - 1, -1, -1):
        q = ds.calendar.shift(period, -k)
        if q.start > ds.reference_date:
            continue
        wide, _ = _wide(ds, q, names)
        frames.append(wide.reset_index().assign(period=q.label))
    cols = ["period", "owner", "closed_amount", "target_amount"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out.reindex(columns=cols)


def scorecards(ds: Dataset, period: str | Period) -> Scorecards:
    """The scorecards of every owner in ``ds`` (already sliced to the scope) for ``period``: the territory owners,
    then the reps who own no territory but worked in the period (the findings say where their figures count)."""
    period = ds.period(period)
    names = [m for m in SCORECARD_METRICS if m != "pipeline_coverage"]
    team, unavailable = _wide(ds, period, names)
    # Coverage of a quarter that is over says nothing (its open pipeline is gone): read it as the quarter began.
    finished = period.last_day < ds.reference_date.normalize()
    start = period.start - pd.Timedelta(days=1)
    if not finished or start >= ds.opportunities["created_date"].min():
        # coverage reads deals and targets only: the deals-only travel of that day, shared with other views
        at = deals_as_of(ds, start, always=False) if finished else without_activity(ds)
        coverage, why_not = _wide(at, period, ["pipeline_coverage"])
        unavailable.update(why_not)
        if "pipeline_coverage" in coverage:
            position = team.columns.get_loc("attainment") + 1 if "attainment" in team else len(team.columns)
            value = coverage["pipeline_coverage"].reindex(team.index) + 0.0
            # past target there is no gap to cover: a negative "coverage" would read as a shortfall
            team.insert(position, "pipeline_coverage", value.where(value >= 0))
    why = trust.calls_unavailable(ds)
    calls = pd.DataFrame(columns=["period", "week", "owner", "call", "won"])
    if why:
        unavailable["commit_accuracy"] = why
        team[["commit_accuracy", "commit_bias"]] = np.nan
        team["commit_band"] = ""
    else:
        history = trust.commit_history(ds, quarters=TRUST_QUARTERS, by="owner")
        acc = trust.commit_accuracy(history, "owner")
        team["commit_accuracy"] = acc["accuracy"].reindex(team.index).astype("float64")
        team["commit_bias"] = acc["bias"].reindex(team.index).astype("float64")
        team["commit_band"] = acc["band"].reindex(team.index).fillna("")
        calls = history[history["week"] == 6].reset_index(drop=True)
    score = team["attainment"] if "attainment" in team else team["closed_amount"]
    order = pd.DataFrame({"score": score.fillna(-np.inf), "closed": team["closed_amount"].fillna(0)})
    ranked = order.sort_values(["score", "closed"], ascending=False, kind="stable").index
    team = team.loc[ranked]
    team["rank"] = np.arange(1, len(team) + 1)
    team.index.name = "owner"
    return Scorecards(team=team, wins=top_deals(ds, period, won=True), losses=top_deals(ds, period, won=False),
                      history=quarters_by_owner(ds, period), calls=calls, unavailable=unavailable,
                      coverage_at_start=finished)
