"""Pipeline integrity chart (InsightSquared, "Pipeline Integrity"): which red flags the deals closing soon carry.

Takes :func:`quotabook.views.integrity.flag_summary` and returns the Figure; it computes nothing itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .base import currency_text, finish, new_figure
from .velocity import WARN_COLOR, no_data, plain

__all__ = ["red_flag_bars"]


def _date(day: pd.Timestamp) -> str:
    return f"{day.day} {day:%b %Y}"


def red_flag_bars(summary: pd.DataFrame, *, currency: str) -> Figure:
    """Open deals closing soon that carry each red flag (count), labelled with their value.

    A deal with several flags counts under each flag; the title gives the deals with any flag and their value.
    ``summary.attrs`` carries ``soon_until``, ``closing_soon``, ``at_risk`` and ``at_risk_amount``.
    """
    a = summary.attrs
    until = _date(pd.Timestamp(a["soon_until"]))
    if not a.get("closing_soon"):
        return no_data(f"No open deal closes by {until}", "Nothing to review for risk.")
    fig, ax = new_figure(len(summary) + 1)
    y = np.arange(len(summary))
    ax.barh(y, summary["deals"], color=WARN_COLOR, height=0.6)
    pad = max(float(summary["deals"].max()), 1.0) * 0.015
    missing = set(a.get("unavailable") or {})  # flags the data cannot raise: said so, not drawn as zero
    for yy, (flag, deals, amount) in enumerate(zip(summary["flag"], summary["deals"], summary["amount"],
                                                   strict=True)):
        text = "not available" if flag in missing else f"{deals} deals · {currency_text(amount, currency)}"
        ax.text(deals + pad, yy, plain(text), va="center", fontsize=8.5)
    ax.set_yticks(y, summary["label"])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(float(summary["deals"].max()), 1.0) * 1.45)
    ax.xaxis.get_major_locator().set_params(integer=True)
    title = (f"{a['at_risk']} of {a['closing_soon']} open deals closing by {until} carry a red flag, worth "
             f"{currency_text(a['at_risk_amount'], currency)}")
    if not a["at_risk"]:
        title = f"None of the {a['closing_soon']} open deals closing by {until} carries a red flag"
    return finish(fig, ax, plain(title), subtitle="Deals closing soon with each red flag (a deal can carry several)",
                  xlabel="Open deals closing soon (count)")
