"""The ranked team table of the rep-scorecards notebook, whole or in two parts that each fit a printed page.

Every figure comes from :func:`quotabook.rep_scorecards.data.scorecards`, shown as the cards show it; the
sentences and the cards are in :mod:`quotabook.rep_scorecards.text`.
"""

from __future__ import annotations

import pandas as pd

from .data import Scorecards
from .text import _columns, _running, _value

__all__ = ["PARTS", "team_table"]


#: The team table in two parts that each fit a printed page: the quarter's results, then how each rep works
#: and calls (activity, tenure, Commit calls).
PARTS = {"results": ("closed_amount", "target_amount", "attainment", "pipeline_coverage", "win_rate",
                     "sales_cycle_days", "average_deal_size"),
         "habits": ("activity_goal_attainment", "rep_tenure_days", "commit_accuracy", "commit_bias")}


def team_table(report, cards: Scorecards, part: str | None = None):
    """The reps ranked (attainment, else bookings), one row each: every scorecard metric, or one of
    :data:`PARTS` (``"results"`` or ``"habits"``, the latter with the Commit band)."""
    columns = _columns(report, cards)
    if part is not None:
        columns = {m: label for m, label in columns.items() if m in PARTS[part]}
    frame = cards.team.reset_index()
    shown = pd.DataFrame({"Rank": frame["rank"], "Rep": frame["owner"].astype("str")})
    for metric, label in columns.items():
        shown[label] = [_value(report, metric, v) for v in frame[metric]]  # the figures the cards show
    if part in (None, "habits"):
        shown["Commit band"] = frame["commit_band"].to_numpy()
    what = {None: "", "results": ": results", "habits": ": activity, tenure and Commit calls"}[part]
    caption = f"The team in {report.period.label}{' so far' if _running(report) else ''}, ranked{what}"
    if "pipeline_coverage" in columns:
        caption += " (coverage –: target already met, or no target)"
    styler = report.table(shown, {"Rank": "count"}, caption=caption)
    return styler.set_properties(subset=[c for c in shown.columns if c not in ("Rep", "Commit band")],
                                 **{"text-align": "right"})
