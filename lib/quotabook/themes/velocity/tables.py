"""Tables of the velocity notebook (03): the sales cycle, the sales velocity factors, stale deals and
slippage, from the views of :mod:`quotabook.themes.velocity.data`; a sentence instead of a table when the data
cannot support one (no change history) or nothing qualifies. The sentences are in
:mod:`quotabook.themes.velocity.text`.
"""

from __future__ import annotations

import pandas as pd

from ...metrics import format as fmt
from . import data as views
from .integrity_tables import WRAP, wrap
from .text import unavailable_note, when_open

__all__ = ["cycle_table", "slippage_summary_table", "slipped_deals_table", "stale_table", "velocity_table"]


def _level_name(report, by: str) -> str:
    return {"owner": "Rep"}.get(by, by.replace("_", " ").capitalize())


def cycle_table(report, by: str = "segment"):
    """Won deals and their sales cycle (mean, median, 25th and 75th percentile, days) per ``by``."""
    stats = views.sales_cycle_stats(report.ds, report.period, by=by)
    cols = {by: _level_name(report, by), "won_deals": "Won deals", "sales_cycle_days": "Mean",
            "median_sales_cycle_days": "Median", "q1_days": "25th pct", "q3_days": "75th pct"}
    frame = stats[list(cols)].rename(columns=cols)
    units = {"Won deals": "count", "Mean": "days", "Median": "days", "25th pct": "days", "75th pct": "days"}
    return report.table(frame, units, caption=f"Sales cycle of deals won in {report.period.label} by "
                     f"{_level_name(report, by).lower()} (days from creation to win)")


def velocity_table(report):
    """The four factors and the sales velocity per group, with the scope's total row last."""
    groups = views.sales_velocity_table(report.ds, report.period, by=report.level).rename(
        columns={report.level: "name"}
    )
    total = views.sales_velocity_table(report.ds, report.period, by=report.scope_level)
    total = total.rename(columns={report.scope_level: "name"}).assign(name=report.label)
    frame = pd.concat([groups, total], ignore_index=True)
    metrics = ["open_deal_count", "win_rate", "average_deal_size", "sales_cycle_days", "sales_velocity"]
    return report.table(frame[["name", *metrics]].rename(columns={"name": _level_name(report, report.level)}), metrics,
                     caption=f"Sales velocity in {report.period.label}: open deals × win rate × average deal ÷ cycle")


def stale_table(report, n: int = 10):
    """The ``n`` most overdue stale deals open at the period end (now, for the current period)."""
    stale = views.stale_deals(report.ds, report.period)
    if stale.attrs["unavailable"]:
        return unavailable_note(report, stale)
    cols = {"name": "Deal", "owner": "Owner", "stage": "Stage", "amount": "Amount", "days_in_stage": "Days in stage",
            "stale_limit_days": "Limit", "days_over": "Days over"}
    if stale.empty:
        return report.markdown(f"No deal open {when_open(report)} was stale.")
    frame = stale.head(n)[list(cols)].rename(columns=cols)
    caption = f"Stale deals open {when_open(report)}: {len(stale)} in all" + (
        f", the {n} most overdue" if len(stale) > n else ""
    )
    units = {"Amount": "currency", "Days in stage": "count", "Limit": "count", "Days over": "count"}
    return wrap(report.table(frame, units, caption=caption), {"Deal": WRAP})


def slippage_summary_table(report):
    """Per group: deals dated in the period, their close-date pushes, red-flag pushers, and slipped value."""
    table = views.slippage_table(report.ds, report.period, by=report.level)
    red = report.settings.threshold("slippage_red_flag_pushes")
    cols = {report.level: _level_name(report, report.level), "deals": "Deals dated in period",
            "close_date_push_count": "Close-date pushes", "deals_pushed": "Deals pushed",
            "red_flag_deals": f"Pushed {red:g}+ times", "slipped_deals": "Slipped out",
            "slipped_amount": "Slipped value"}
    frame = table.reindex(columns=list(cols)).rename(columns=cols)
    units = {c: "count" for c in list(cols.values())[1:-1]} | {"Slipped value": "currency"}
    return report.table(frame, units, caption=f"Slippage in {report.period.label}")


def slipped_deals_table(report, n: int = 8):
    """The ``n`` largest deals that slipped out of the period: where each was expected and where it is now."""
    deals = views.slipped_deals(report.ds, report.period)
    if deals.attrs["unavailable"]:
        return unavailable_note(report, deals)
    if deals.empty:
        return report.markdown(f"No deal slipped out of {report.period.label}.")
    cols = {"name": "Deal", "owner": "Owner", "stage": "Stage now", "slipped_amount": "Slipped value",
            "expected_close_date": "Was due", "close_date": "Now due", "pushes": "Pushes"}
    frame = deals.head(n)[list(cols)].rename(columns=cols)
    for col in ("Was due", "Now due"):
        frame[col] = fmt.date(frame[col])  # "5 Nov 2026", as the page's sentences write a date
    caption = f"Largest deals that slipped out of {report.period.label} ({min(n, len(deals))} of {len(deals)})"
    return wrap(report.table(frame, {"Slipped value": "currency", "Pushes": "count"}, caption=caption), {"Deal": WRAP})
