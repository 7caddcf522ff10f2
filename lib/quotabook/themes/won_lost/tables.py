"""Tables of the won/lost notebook (06): closed against goal per rep, from
:func:`quotabook.themes.won_lost.data.closed_vs_goals`. The sentences are in :mod:`quotabook.themes.won_lost.text`.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["goals_table"]


def goals_table(report, goals: pd.DataFrame):
    """Each rep's bookings against goal as a formatted table, with the deals still needed (or short)."""
    needed = "Deals short" if report.state.finished else "Deals still needed"
    cols = {"owner": "Rep", "won_count": "Won deals", "closed_amount": "Bookings", "target_amount": "Goal",
            "attainment": "Attainment", "gap": "Gap", "deals_needed": needed}
    table = goals.reindex(columns=list(cols)).rename(columns=cols)  # no targets: goal columns stay empty
    table = table.sort_values(["Attainment", "Bookings"], ascending=False, na_position="last", kind="stable")
    table["Gap"] = table["Gap"].clip(lower=0)
    units = {"Won deals": "count", "Bookings": "currency", "Goal": "currency", "Attainment": "percent",
             "Gap": "currency", needed: "count"}
    caption = f"Closed vs goals per rep, {report.period.label}"
    if "rule_of_thumb_low" in goals and len(goals):
        low, high = goals["rule_of_thumb_low"].iloc[0], goals["rule_of_thumb_high"].iloc[0]
        caption += f" (rule of thumb: {low:.0f}–{high:.0f} won deals per rep a quarter, Scott Cowley, as cited)"
    return report.table(table, units, caption=caption)
