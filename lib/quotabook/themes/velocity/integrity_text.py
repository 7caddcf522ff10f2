"""Pipeline integrity in words (InsightSquared): how many open deals closing soon carry red flags, what they are
worth, and the riskiest of them with the reasons.

Everything here looks forward from the report date (``report.as_of``), whatever the period: the deals to raise in
the next pipeline review. On a finished period's page these deals lie after it, so the sentence and the table
(:mod:`quotabook.themes.velocity.integrity_tables`) say they are the outlook as of that date (:func:`outlook`). The
numbers come from :mod:`quotabook.themes.velocity.integrity_data`.
"""

from __future__ import annotations

import pandas as pd

from ...errors import unavailable_sentence
from ...text import plural, say_date, verb
from .integrity_data import flag_summary, riskiest_deals

__all__ = ["integrity_note", "integrity_sentence", "md_text", "outlook", "red_flag_alert", "with_outlook"]


def md_text(text: str) -> str:
    """``text`` safe to show as Markdown: dollar signs escaped, so "$46K ... $2.4M" is never read as maths."""
    return text.replace("\\$", "$").replace("$", "\\$")


def outlook(report) -> str:
    """What opens a look-ahead sentence on a finished period's page, "Outlook as of 15 Nov 2026, after 2026-Q3: ",
    so deals closing after the period are never read as the period's own; "" while it runs or lies ahead."""
    return f"Outlook as of {say_date(report.as_of)}, after {report.period.label}: " if report.state.finished else ""


def with_outlook(report, sentence: str) -> str:
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
        return with_outlook(report, f"No open deal is dated to close by {until}, so there is no near-term pipeline "
                                    "to check for red flags.")
    # "closing by" a date counts the deals already past their close date too: said, so none reads as upcoming
    overdue = a.get("overdue", 0)
    which = ("it is" if a["closing_soon"] == 1 else "all are" if overdue == a["closing_soon"]
             else f"{overdue} {verb('is', overdue)}")
    past = f" ({which} already past the close date)" if overdue else ""
    if not a["at_risk"]:
        if a["closing_soon"] == 1:
            return with_outlook(report, f"The 1 open deal closing by {until}{past} carries no red flag.")
        return with_outlook(report, f"None of the {a['closing_soon']} open deals closing by {until}{past} carries "
                                    "a red flag.")
    riskiest = riskiest_deals(report.ds, 1) if riskiest is None else riskiest
    top = riskiest.iloc[0]
    carry = verb("carries", a["at_risk"])
    return outlook(report) + (
        f"{a['at_risk']} of the {a['closing_soon']} open deals closing by {until}{past} {carry} at least one red flag, "
        f"worth {report.money(a['at_risk_amount'])}; the riskiest is {top['name']} ({top['owner']}, "
        f"{report.money(top['amount'])}): {top['why']}.")


def red_flag_alert(report, summary: pd.DataFrame) -> dict | None:
    """The pack-index alert for red-flag deals closing soon (None when there are none)."""
    a = summary.attrs
    if not a["at_risk"]:
        return None
    deals = plural(a["at_risk"], "red-flag deal")
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
