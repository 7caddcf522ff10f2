"""The pipeline integrity table (InsightSquared): the riskiest open deals closing soon, with why each is
flagged, from :mod:`quotabook.themes.velocity.integrity_data`; and :func:`wrap`, which lets long text columns of
the velocity tables wrap so they fit the page. The sentences are in :mod:`quotabook.themes.velocity.integrity_text`.
"""

from __future__ import annotations

import pandas as pd

from ...metrics import format as fmt
from ...text import say_date
from .integrity_data import riskiest_deals
from .integrity_text import with_outlook

__all__ = ["WRAP", "WRAP_WIDE", "riskiest_table", "wrap"]


#: Cells that wrap onto several lines (long deal names, reasons), so a table fits the page width.
WRAP = "white-space: normal; min-width: 9em; max-width: 15em; text-align: left;"
WRAP_WIDE = "white-space: normal; min-width: 13em; max-width: 20em; text-align: left;"


def wrap(styler, columns: dict[str, str]):
    """Let each column of ``columns`` (column -> CSS) wrap. The house table style keeps cells on one line
    (``td`` nowrap); a per-column rule (``td.colN``) is more specific, so it wins for those columns only."""
    return styler.set_table_styles({c: [{"selector": "td", "props": css}] for c, css in columns.items()},
                                   overwrite=False)


def riskiest_table(report, n: int = 8):
    """The ``n`` riskiest open deals closing soon, highest risk score first, with why each is flagged.

    Five columns so the reasons fit the page: the deal with its owner and stage, amount, close date, red flags
    (score of 4) and why."""
    deals = riskiest_deals(report.ds, n)
    until = report.as_of + pd.Timedelta(days=report.settings.threshold("integrity_soon_days"))
    if deals.empty:
        return report.markdown(with_outlook(report, f"No open deal closing by {say_date(until)} carries a red flag."))
    frame = pd.DataFrame({
        "Deal (owner, stage)": deals["name"] + " (" + deals["owner"] + ", " + deals["stage"] + ")",
        "Amount": deals["amount"],
        "Close date": fmt.date(deals["close_date"]),  # "5 Nov 2026", as the caption and sentences write a date
        "Red flags": deals["risk_score"].astype(str) + " of 4",
        "Why": deals["why"],
    })
    caption = with_outlook(report, f"Riskiest open deals closing by {say_date(until)} ({len(deals)} of "
                                   f"{deals.attrs['deals']} with a red flag)")
    return wrap(report.table(frame, {"Amount": "currency"}, caption=caption),
                {"Deal (owner, stage)": WRAP_WIDE, "Why": WRAP_WIDE})
