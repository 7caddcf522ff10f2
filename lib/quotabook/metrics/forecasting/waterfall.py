"""Pipeline inflow / outflow between two dates: why the period's pipeline changed (InsightSquared).

The pipeline is the period's open pipeline: open deals with a close date in the period, forecast category
Omitted left out. The dataset is rebuilt at both dates with ``Dataset.as_of`` and each deal is compared:

    start + created + pulled in + increased − decreased − won − lost − slipped out = end

- **created**: a deal created after the start date that entered the pipeline (counted at its end amount);
- **pulled in**: a deal that existed at the start but outside the pipeline (dated in another period,
  Omitted, or closed and reopened) and entered it (counted at its start amount);
- **increased / decreased**: the change of amount of each deal between entering (or the start) and the end;
- **won / lost**: a deal that left the pipeline by being won or lost (counted at its end amount), including
  deals that entered and closed between the two dates (created and won inside the window shows in both);
- **slipped out**: a deal that left the pipeline still open (close date moved out of the period, or Omitted).

Every deal's change is split this way, so the steps reconcile exactly, deal by deal. Only the two snapshots
are compared: a deal that entered and slipped back out between them does not show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from .deals import deals_as_of, flag, without_activity

__all__ = ["FLOW_COLUMNS", "INFLOWS", "OUTFLOWS", "STEPS", "flows", "period_flows", "waterfall_steps"]

INFLOWS = ["created", "pulled_in", "increased"]
OUTFLOWS = ["decreased", "won", "lost", "slipped_out"]
FLOW_COLUMNS = ["start", *INFLOWS, *OUTFLOWS, "end"]
STEPS = {"start": "Start", "created": "Created", "pulled_in": "Pulled in", "increased": "Increased",
         "decreased": "Decreased", "won": "Won", "lost": "Lost", "slipped_out": "Slipped out", "end": "End"}


def _state(ds: Dataset, period: Period) -> pd.DataFrame:
    o = ds.opportunities
    closed, won = flag(o, "is_closed"), flag(o, "is_won")
    in_pipe = period.contains(o["close_date"]) & ~closed & o["forecast_category"].ne("Omitted")
    return pd.DataFrame({"amount": o["amount"].astype("float64").fillna(0.0).to_numpy(), "in_pipe": in_pipe.to_numpy(),
                         "closed": closed.to_numpy(), "won": won.to_numpy(),
                         "in_period": period.contains(o["close_date"]).to_numpy()},
                        index=pd.Index(o["opportunity_id"], name="opportunity_id"))


def flows(ds: Dataset, period: Period, start, end) -> pd.DataFrame:
    """Per deal, how it moved the period's pipeline between the end of ``start`` and the end of ``end``.

    Returns one row per deal that was in the pipeline at either date or closed between them dated in the
    period: ``opportunity_id``, ``territory``, ``owner`` and the amounts (reporting currency, all ≥ 0)
    ``start``, ``created``, ``pulled_in``, ``increased``, ``decreased``, ``won``, ``lost``,
    ``slipped_out``, ``end``, plus ``inflow`` and ``outflow`` (their sums).
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    # The dataset at the end date is shared with the aged and stale deals of a period ending that day.
    after, before = deals_as_of(ds, end), without_activity(ds).as_of(min(start, end))
    s0, s1 = _state(before, period), _state(after, period)
    ids = s1.index
    s0 = s0.reindex(ids)
    existed = s0["amount"].notna().to_numpy()
    in0 = s0["in_pipe"].fillna(False).astype(bool).to_numpy()
    in1 = s1["in_pipe"].to_numpy()
    closed_now = s1["closed"].to_numpy() & ~s0["closed"].fillna(False).astype(bool).to_numpy()
    through = ~in0 & ~in1 & closed_now & s1["in_period"].to_numpy()  # entered and closed inside the window
    exits = ~in1 & (in0 | through)
    entries = ~in0 & (in1 | through)
    a0 = s0["amount"].fillna(0.0).to_numpy()
    a1 = s1["amount"].to_numpy()
    entry_amount = np.where(existed, a0, a1)
    base = np.where(in0, a0, np.where(entries, entry_amount, 0.0))
    moved = in0 | entries
    delta = np.where(moved, a1 - base, 0.0)
    won, lost = exits & s1["won"].to_numpy(), exits & s1["closed"].to_numpy() & ~s1["won"].to_numpy()
    out = pd.DataFrame({
        "start": np.where(in0, a0, 0.0),
        "created": np.where(entries & ~existed, entry_amount, 0.0),
        "pulled_in": np.where(entries & existed, entry_amount, 0.0),
        "increased": np.clip(delta, 0.0, None),
        "decreased": np.clip(-delta, 0.0, None),
        "won": np.where(won, a1, 0.0),
        "lost": np.where(lost, a1, 0.0),
        "slipped_out": np.where(exits & ~won & ~lost, a1, 0.0),
        "end": np.where(in1, a1, 0.0),
    }, index=ids)
    out = out[moved]
    out["inflow"] = out[INFLOWS].sum(axis=1)
    out["outflow"] = out[OUTFLOWS].sum(axis=1)
    geo = after.opportunities.set_index("opportunity_id")[["territory", "owner"]].reindex(out.index)
    return pd.concat([geo, out], axis=1).reset_index()


def period_flows(ds: Dataset, period: Period) -> pd.DataFrame:
    """:func:`flows` from the day before the period starts to the report date (or the period's last day,
    whichever is earlier); no rows before the period starts."""
    first = pd.Timestamp(period.start) - pd.Timedelta(days=1)
    last = min(ds.reference_date.normalize(), period.last_day)
    if last <= first:
        return flows(ds, period, first, first).iloc[0:0]
    return flows(ds, period, first, last)


def waterfall_steps(per_deal: pd.DataFrame) -> pd.DataFrame:
    """The waterfall as ordered steps: ``step`` (label), ``key``, ``amount`` (signed: outflows negative;
    start and end as levels) and ``bottom`` / ``top`` of each bar. Start + the signed steps = End exactly."""
    totals = per_deal[FLOW_COLUMNS].sum() if len(per_deal) else pd.Series(0.0, index=FLOW_COLUMNS)
    signed = [totals["start"], *totals[INFLOWS], *(-totals[OUTFLOWS])]
    level = np.cumsum(signed)
    bottoms = np.r_[0.0, level[:-1]]
    rows = pd.DataFrame({"key": FLOW_COLUMNS[:-1], "amount": signed, "bottom": np.minimum(bottoms, level),
                         "top": np.maximum(bottoms, level)})
    rows.loc[0, ["bottom", "top"]] = [0.0, totals["start"]]
    end = pd.DataFrame({"key": ["end"], "amount": [totals["end"]], "bottom": [0.0], "top": [totals["end"]]})
    out = pd.concat([rows, end], ignore_index=True)
    out.insert(0, "step", out["key"].map(STEPS))
    return out
