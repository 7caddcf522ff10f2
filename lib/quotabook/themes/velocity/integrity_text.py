"""Pipeline integrity in words and one table (InsightSquared): how many open deals closing soon carry red flags, what
they are worth, and the riskiest of them with the reasons.

Everything here looks forward from the report date (``report.as_of``), whatever the period: the deals to raise in
the next pipeline review. On a finished period's page these deals lie after it, so the sentence and the table say
they are the outlook as of that date (:func:`outlook`). The numbers come from
:mod:`quotabook.themes.velocity.integrity_data`.
"""

from __future__ import annotations

import pandas as pd

from ...errors import unavailable_sentence
from ...text import say_date
from .integrity_data import flag_summary, riskiest_deals

__all__ = ["integrity_note", "integrity_sentence", "md_text", "outlook", "red_flag_alert", "riskiest_table",
           "wrap"]

#: Cells that wrap onto several lines (long deal names, reasons), so a table fits the page width.
WRAP = "white-space: normal; min-width: 9em; max-width: 15em; text-align: left;"
WRAP_WIDE = "white-space: normal; min-width: 13em; max-width: 20em; text-align: left;"


def wrap(styler, columns: dict[str, str]):
    """Let each column of ``columns`` (column -> CSS) wrap. The house table style keeps cells on one line
    (``td`` nowrap); a per-column rule (``td.colN``) is more specific, so it wins for those columns only."""
    return styler.set_table_styles({c: [{"selector": "td", "props": css}] for c, css in columns.items()},
                                   overwrite=False)


def md_text(text: str) -> str:
    """``text`` safe to show as Markdown: dollar signs escaped, so "$46K ... $2.4M" is never read as maths."""
    return text.replace("\\$", "$").replace("$", "\\$")


def outlook(report) -> str:
    """What opens a look-ahead sentence on a finished period's page, "Outlook as of 15 Nov 2026, after 2026-Q3: ",
    so deals closing after the period are never read as the period's own; "" while it runs or lies ahead."""
    return f"Outlook as of {say_date(report.as_of)}, after {report.period.label}: " if report.state.finished else ""


def _lead(report, sentence: str) -> str:
    """``sentence`` opened by :func:`outlook` (its first letter lowered after it)."""
    lead = outlook(report)
    return lead + sentence[0].lower() + sentence[1:] if lead and not sentence[:2].isupper() else lead + sentence


def integrity_sentence(report, summary: pd.DataFrame | None = None, riskiest: pd.DataFrame | None = None) -> str:
    """One sentence: red-flag deals among the open deals closing soon, their value, and the riskiest one (on a
    finished period's page, labelled as the outlook after it)."""
    summary = flag_summary(report.ds) if summary is None else summary
    a = summary.attrs
    until = say_date(a["soon_until"])
    if not a["closing_soon"]:
        return _lead(report, f"No open deal is dated to close by {until}, so there is no near-term pipeline to check "
                          "for red flags.")
    # "closing by" a date counts the deals already past their close date too: said, so none reads as upcoming
    overdue = a.get("overdue", 0)
    which = ("it is" if a["closing_soon"] == 1 else "all are" if overdue == a["closing_soon"]
             else f"{overdue} {'is' if overdue == 1 else 'are'}")
    past = f" ({which} already past the close date)" if overdue else ""
    if not a["at_risk"]:
        if a["closing_soon"] == 1:
            return _lead(report, f"The 1 open deal closing by {until}{past} carries no red flag.")
        return _lead(report, f"None of the {a['closing_soon']} open deals closing by {until}{past} carries a red flag.")
    riskiest = riskiest_deals(report.ds, 1) if riskiest is None else riskiest
    top = riskiest.iloc[0]
    verb = "carries" if a["at_risk"] == 1 else "carry"
    return outlook(report) + (
        f"{a['at_risk']} of the {a['closing_soon']} open deals closing by {until}{past} {verb} at least one red flag, "
        f"worth {report.money(a['at_risk_amount'])}; the riskiest is {top['name']} ({top['owner']}, "
        f"{report.money(top['amount'])}): {top['why']}.")


def red_flag_alert(report, summary: pd.DataFrame) -> dict | None:
    """The pack-index alert for red-flag deals closing soon (None when there are none)."""
    a = summary.attrs
    if not a["at_risk"]:
        return None
    deals = f"{a['at_risk']} red-flag deal{'' if a['at_risk'] == 1 else 's'}"
    return {
        "message": f"{report.label}: {deals} worth {report.money(a['at_risk_amount'])} open on "
        f"{say_date(report.as_of)} and dated to close by {say_date(a['soon_until'])}",
        "level": "warning",
    }


def integrity_note(report):
    """Markdown naming the flags the data cannot raise (no change history), or None when all four work."""
    notes = flag_summary(report.ds).attrs.get("unavailable", {})
    if not notes:
        return None
    return report.markdown(". ".join(dict.fromkeys(unavailable_sentence(n) for n in notes.values())) + ".")


def riskiest_table(report, n: int = 8):
    """The ``n`` riskiest open deals closing soon, highest risk score first, with why each is flagged.

    Five columns so the reasons fit the page: the deal with its owner and stage, amount, close date, red flags
    (score of 4) and why."""
    deals = riskiest_deals(report.ds, n)
    until = report.as_of + pd.Timedelta(days=report.settings.threshold("integrity_soon_days"))
    if deals.empty:
        return report.markdown(_lead(report, f"No open deal closing by {say_date(until)} carries a red flag."))
    frame = pd.DataFrame({
        "Deal (owner, stage)": deals["name"] + " (" + deals["owner"] + ", " + deals["stage"] + ")",
        "Amount": deals["amount"],
        "Close date": pd.to_datetime(deals["close_date"]).dt.strftime("%Y-%m-%d"),
        "Red flags": deals["risk_score"].astype(str) + " of 4",
        "Why": deals["why"],
    })
    caption = _lead(report, f"Riskiest open deals closing by {say_date(until)} ({len(deals)} of {deals.attrs['deals']} "
                         "with a red flag)")
    return wrap(report.table(frame, {"Amount": "currency"}, caption=caption),
                {"Deal (owner, stage)": WRAP_WIDE, "Why": WRAP_WIDE})
