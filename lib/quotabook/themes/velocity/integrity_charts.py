"""Pipeline integrity chart (InsightSquared, "Pipeline Integrity"): which red flags the deals closing soon carry.

:func:`red_flag_counts` draws :func:`quotabook.themes.velocity.integrity_data.flag_summary` on an Axes;
:func:`red_flag_bars` is the report figure, titled with the finding. Neither computes anything itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...charts.base import currency_text, ensure_axes, figure, show_literally
from ...text import part_of, plural, say_date, verb
from .charts import WARN_COLOR, no_data, plain

__all__ = ["red_flag_bars", "red_flag_counts"]


def red_flag_counts(data: pd.DataFrame, *, currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Open deals closing soon per red flag (``flag``, ``label``, ``deals``, ``amount``) as horizontal bars,
    each labelled with its deals and value; a flag listed in ``data.attrs["unavailable"]`` reads "not
    available" rather than a zero. ``kwargs`` go to the bars."""
    ax = ensure_axes(ax, len(data) + 1)
    y = np.arange(len(data))
    ax.barh(y, data["deals"], **{"color": WARN_COLOR, "height": 0.6, **kwargs})
    pad = max(float(data["deals"].max()), 1.0) * 0.015
    missing = set(data.attrs.get("unavailable") or {})  # flags the data cannot raise: said so, not drawn as zero
    for yy, (flag, deals, amount) in enumerate(zip(data["flag"], data["deals"], data["amount"], strict=True)):
        text = "not available" if flag in missing else f"{plural(deals, 'deal')} · {currency_text(amount, currency)}"
        ax.text(deals + pad, yy, plain(text), va="center", fontsize=8.5)
    ax.set_yticks(y, data["label"])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(0, max(float(data["deals"].max()), 1.0) * 1.45)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("Open deals closing soon (count)")
    return show_literally(ax)


def red_flag_bars(summary: pd.DataFrame, *, currency: str) -> Figure:
    """Open deals closing soon that carry each red flag (count), labelled with their value.

    A deal with several flags counts under each flag; the title gives the deals with any flag and their value.
    ``summary.attrs`` carries ``soon_until``, ``closing_soon``, ``at_risk`` and ``at_risk_amount``.
    """
    a = summary.attrs
    until = say_date(a["soon_until"])
    if not a.get("closing_soon"):
        return no_data(f"No open deal closes by {until}", "Nothing to review for risk.")
    title = (f"{part_of(a['at_risk'], a['closing_soon'], 'open deal')} closing by {until} "
             f"{verb('carries', a['at_risk'])} a red flag, worth "
             f"{currency_text(a['at_risk_amount'], currency)}")
    if not a["at_risk"]:
        title = (f"The one open deal closing by {until} carries no red flag" if a["closing_soon"] == 1 else
                 f"None of the {a['closing_soon']} open deals closing by {until} carries a red flag")
    return figure(red_flag_counts, summary, title=plain(title), n_rows=len(summary) + 1, currency=currency,
                  subtitle="Deals closing soon with each red flag (a deal can carry several)")
