"""Sentences and one card per rep for the rep-scorecards notebook (the ranked team table is in
:mod:`quotabook.rep_scorecards.tables`).

Every figure comes from :func:`quotabook.rep_scorecards.data.scorecards`; labels and units come from the
metric catalog. A finished quarter is described as finished ("booked"), a running one as "so far".
"""

from __future__ import annotations

import pandas as pd

from ..errors import unavailable_sentence
from ..findings import Findings
from ..notes import reps_without_territory
from ..text import extremes, mid, names, part_of, possessive, verb
from .data import SCORECARD_METRICS, Scorecards

__all__ = ["SHOWN_METRICS", "card_columns", "card_value", "deals_line", "is_running", "scorecard_findings"]

#: Catalog metrics the notebook shows (its glossary).
SHOWN_METRICS = [*SCORECARD_METRICS, "commit_accuracy", "commit_bias", "commit_call_amount"]
#: A rep within this many days of their first activity is read as ramping.
RAMP_DAYS = 365


def is_running(report) -> bool:
    """Whether the period is under way at the report date (:class:`quotabook.fiscal.PeriodState`): only then
    do figures read "so far"; a finished or not yet started period never does."""
    return report.state.running


def card_value(report, metric: str, value) -> str:
    """One figure as the page shows it: compact money ($980K), whole days of tenure, else by catalog unit."""
    if pd.isna(value):
        return "–"
    if metric == "rep_tenure_days":
        return f"{int(value):,} days"
    return report.figure(value, report.catalog.get(metric).unit)


def scorecard_findings(report, cards: Scorecards) -> Findings:
    """Three to five sentences on the team, with headlines and alerts for the pack index."""
    team = cards.team
    so_far = report.state.so_far()
    sentences = []
    if team.empty:
        return Findings(sentences=[f"No rep owns a territory in {report.label}."])
    if "attainment" in team and team["attainment"].notna().any():
        at = team["attainment"].dropna()
        reached = int((at >= 1).sum())
        ex = extremes(at, report.pct)  # compared as printed: two reps at "80%" are level, neither leads
        if len(at) == 1:  # one rep: no "0 of 1 reps", no "all at"
            did = ("has reached" if is_running(report) else "reached") if reached else (
                "has not reached" if is_running(report) else "did not reach")
            sentences.append(f"{at.index[0]}, the one rep with a target, {did} it{so_far} in "
                             f"{report.period.label}: {ex.high_text}.")
        else:
            lead = (f"{'both' if len(at) == 2 else 'all'} at {ex.high_text}" if ex.tied else
                    f"{names(ex.high, limit=None)} {verb('leads', len(ex.high))} at {ex.high_text}")
            has = verb("has", reached) if is_running(report) else ""
            sentences.append(f"{part_of(reached, len(at), 'rep')} with a target {has} reached it{so_far} in "
                             f"{report.period.label}; {lead}.".replace("  ", " "))
        low = at[at < 0.5]
        if len(low):
            named = names((f"{n} ({report.pct(v)})" for n, v in low.items()), limit=None)
            sentences.append(f"Under half of target{so_far}: {named}.")
    else:
        total = report.money(team["closed_amount"].sum())
        sentences.append(f"No targets in the data: reps are ranked by bookings ({total} in {report.period.label}"
                         f"{so_far}).")
    if without := reps_without_territory(report.ds, report.period):  # listed after the territory owners
        sentences.append(without)
    unlisted = _unlisted_sentence(report, team)
    if unlisted:
        sentences.append(unlisted)
    over = team[(team["commit_band"] != "") & (team["commit_bias"] > 0.15)]
    if len(over):
        named = names((f"{n} ({report.pct(r['commit_accuracy'])} of the call won)" for n, r in over.iterrows()),
                      limit=None)
        sentences.append(f"Commit over-called over the last four quarters: {named}. Haircut their calls and ask "
                         "for the evidence behind each Commit.")
    elif "commit_accuracy" in cards.unavailable:
        sentences.append(f"{unavailable_sentence(cards.unavailable['commit_accuracy'])}.")
    if "rep_tenure_days" in team:
        new = team[team["rep_tenure_days"] < RAMP_DAYS]
        if len(new):
            sentences.append("Ramping (under a year since their first activity): "
                             + names((f"{n} ({int(r['rep_tenure_days'])} days)" for n, r in new.iterrows()), limit=None)
                             + "; read their figures against a ramp, not the team.")
    if "activity_goal_attainment" in team:
        short = team[team["activity_goal_attainment"] < 0.8]
        if len(short):
            sentences.append("Activity under 80% of goal: "
                             + names((f"{n} ({report.pct(v)})" for n, v in short["activity_goal_attainment"].items()),
                                   limit=None)
                             + ".")
    headlines = {"Reps": str(len(team))}
    if "attainment" in team and team["attainment"].notna().any():
        at = team["attainment"]
        headlines["Reps at target"] = f"{int((at >= 1).sum())} of {int(at.notna().sum())}"
    alerts = [{"message": f"{n} over-calls Commit: {report.pct(r['commit_accuracy'])} of the call won over four "
                          "quarters", "level": "warning"} for n, r in over.iterrows()]
    return Findings(sentences=sentences[:5], headlines=headlines, alerts=alerts)


def _unlisted_sentence(report, team: pd.DataFrame) -> str:
    """The period's bookings won by deal owners without a scorecard (deals without an owner: every rep found in
    the period has one, territory or not), so the team's total is short of the scope's Closed: said, with who,
    rather than left to read as the scope's bookings ("" when the team holds them all)."""
    scope = report.metrics(["closed_amount"], by=report.scope_level)
    whole = float(scope["closed_amount"].iloc[0]) if len(scope) else 0.0
    rest = whole - float(team["closed_amount"].fillna(0).sum())
    if not rest >= 0.5:  # amounts are currency units: half a unit is rounding, not a missing rep
        return ""
    o = report.ds.opportunities
    won = o.loc[o["is_won"].fillna(False).astype(bool) & report.period.contains(o["close_date"])
                & ~o["owner"].isin(team.index), "owner"]
    who = sorted(won.dropna().astype(str).unique())
    whom = (f"{names(who, limit=None)}, who {verb('has', len(who))} no scorecard" if who
            else "deals without an owner")
    return f"{report.money(rest)} of {possessive(mid(report.label))} {report.money(whole)} was won by {whom}."


def card_columns(report, cards: Scorecards) -> dict[str, str]:
    """Team-table column per metric (catalog label; coverage says when it was read)."""
    out = {}
    for metric in [*SCORECARD_METRICS, "commit_accuracy", "commit_bias"]:
        if metric in cards.team:
            label = report.catalog.get(metric).label
            if metric == "pipeline_coverage" and cards.coverage_at_start:
                label += " (quarter start)"
            out[metric] = label
    return out


def deals_line(report, owner, wins: pd.DataFrame, losses: pd.DataFrame) -> str:
    parts = []
    if owner in wins.index:
        w = wins.loc[owner]
        parts.append(f"Largest win: {w['deal']} ({report.money(w['amount'])}).")
    else:
        parts.append(f"No win in {report.period.label}{' yet' if is_running(report) else ''}.")
    if owner in losses.index:
        lost = losses.loc[owner]
        amount = report.money(lost["amount"]) if pd.notna(lost["amount"]) else "no amount recorded"
        reason = lost["loss_reason"] if pd.notna(lost["loss_reason"]) else "no reason recorded"
        parts.append(f"Largest loss: {lost['deal']} ({amount}; {reason}).")
    return " ".join(parts)
