"""Findings of theme 1, activity ratios (InsightSquared, Scott Cowley): how many dials a deal takes, the
weakest link of the activity chain against InsightSquared's example team, the rep whose volume hides poor
efficiency (InsightSquared's Steve Nash and Shawn Marion), reps behind their activity goals, and the team
against Scott Cowley's rules of thumb.

Every number comes from :mod:`quotabook.themes.activity_ratios.data` (catalog metrics); this module only picks
what matters and words it. Missing inputs (no activities table, no goals, no leads) give a sentence saying
what is missing instead of an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...findings import Findings
from ...metrics import format as fmt
from ...text import every, names, plural, possessive, verb
from . import data as views

_DIAL_DEAL = views.CHAIN_COLUMNS["dial_to_deal"]

__all__ = ["activity_ratio_findings", "chain_sentence", "goals_sentence", "rules_sentence", "spotlight_sentence",
           "volume_sentence"]


def _when(report) -> str:
    """"in 2026-Q3", or "so far in 2026-Q4" for a quarter still running."""
    return report.state.in_period()


def _missing(frame: pd.DataFrame, what: str) -> str:
    reasons = list(dict.fromkeys((frame.attrs.get("unavailable") or {}).values()))
    return f"{what} not available: {reasons[0].split(': ', 1)[-1] if reasons else 'no data for the period'}."


# -- sentences --------------------------------------------------------------------------------------------
def volume_sentence(report, counts: pd.DataFrame, reference: pd.DataFrame) -> tuple[str, dict[str, str]]:
    """How many dials a deal takes for the whole scope, against InsightSquared's example team."""
    if counts.empty or "Dials" not in counts:
        return _missing(counts, "Activity counts"), {}
    total = counts.iloc[-1]
    dials, deals = float(total["Dials"]), float(total.get("Deals won", np.nan))
    per_deal = reference.loc["dial_to_deal"] if "dial_to_deal" in reference.index else None
    lead = f"{possessive(report.label)} reps made {plural(dials, 'dial')} {_when(report)}"
    if dials == 0:  # "one deal every 0 dials" would read as a result; it is a gap in what is logged
        won = "" if pd.isna(deals) or deals == 0 else f" while winning {plural(deals, 'deal')}"
        return (f"{possessive(report.label)} reps logged no dials {_when(report)}{won}, so dials per deal cannot be "
                "read."), {}
    if pd.isna(deals) or deals == 0 or per_deal is None or pd.isna(per_deal["Team"]):
        won = "won no deal" if report.state.finished else "have not won a deal from them yet"
        return f"{lead} and {won}.", {"Dials": fmt.count(dials)}
    ratio = fmt.n_to_1(per_deal["Team"])
    ref = per_deal["Example team"]
    versus = "" if pd.isna(ref) else f", where InsightSquared's example SDR team needed {fmt.count(ref)}"
    return (f"{lead} and won {plural(deals, 'deal')}: one deal every {fmt.count(per_deal['Team'])} dials "
            f"(Dial:Deal {ratio}){versus}.", {"Dials per deal": ratio})


def chain_sentence(reference: pd.DataFrame) -> tuple[str | None, dict[str, str]]:
    """The weakest consecutive link of the chain against InsightSquared's example team (highest team / reference)."""
    if reference.empty:
        return None, {}
    # a team ratio of 0 (no dials, connects or opportunities recorded against results) is missing data, not
    # a link that "beats" the example team
    links = reference[reference.index.isin(views.CHAIN_STEPS) & reference["Team ÷ example"].notna()
                      & (reference["Team"] > 0)]
    if links.empty:
        return None, {}
    weakest = links.loc[links["Team ÷ example"].idxmax()]
    team, ref = fmt.n_to_1(weakest["Team"]), fmt.n_to_1(weakest["Example team"])
    headline = {"Weakest link": f"{weakest['Step']} {team}"}
    others = links.drop(index=weakest.name)
    rest = "; ".join(f"{r['Step']} {fmt.n_to_1(r['Team'])} against {fmt.n_to_1(r['Example team'])}"
                     for _, r in others.iterrows())
    rest = f" ({rest})" if rest else ""
    if weakest["Reading"] == "worse":
        return (f"{weakest['Step']} is the weakest link of the activity chain: {team} against {ref} in "
                f"InsightSquared's example team{rest}; coach {weakest['Coach on']}.", headline)
    if weakest["Reading"] == "on a par":
        return (f"{weakest['Step']} is the weakest link of the activity chain: at {team} it only matches the {ref} "
                f"of InsightSquared's example team{rest}; coach {weakest['Coach on']}.", headline)
    referenced = reference[reference.index.isin(views.CHAIN_STEPS) & reference["Example team"].notna()]
    if len(links) == 1 and len(referenced) > 1:  # one link measured: "every link" would speak for the others too
        return (f"{weakest['Step']} is the only link with an InsightSquared reference the data can measure, and it "
                f"beats the example team: {team} against {ref}.", headline)
    every = "Every link with an InsightSquared reference" if len(links) == len(referenced) else (
        f"Each of the {len(links)} links with an InsightSquared reference the data can measure")
    return (f"{every} beats the example team; the closest to it, so the one to watch, is {weakest['Step']} at "
            f"{team} against {ref}{rest}.", headline)


def spotlight_sentence(chain: pd.DataFrame, counts: pd.DataFrame, weakest: pd.DataFrame, report=None) -> str | None:
    """InsightSquared's lesson: the busiest rep against the most efficient one, then the rep furthest off the team
    on one link and what to coach. A result still missing is "yet" only while ``report``'s period runs; once it
    is over the sentence says what the period held ("produced no deal in 2016-Q3")."""
    finished = report is not None and report.state.finished
    yet = "" if finished else " yet"
    reps = counts[~counts["Rep"].astype("str").str.startswith("Total")] if "Rep" in counts else counts.iloc[0:0]
    if reps.empty or "Dials" not in reps or _DIAL_DEAL not in chain:
        return None
    data = reps[["Rep", "Dials"]].merge(chain[["Rep", _DIAL_DEAL]], on="Rep", how="left")
    parts = []
    if len(data) > 1 and data[_DIAL_DEAL].notna().any():
        busy, best = data.loc[data["Dials"].idxmax()], data.loc[data[_DIAL_DEAL].idxmin()]
        # a tie for the most dials or the fewest dials per deal names no single rep
        unique = ((data["Dials"] == busy["Dials"]).sum() == 1
                  and (data[_DIAL_DEAL].map(fmt.count) == fmt.count(best[_DIAL_DEAL])).sum() == 1)
        if unique and busy["Rep"] != best["Rep"]:
            cost = (f"has no deal to show for them{yet}" if pd.isna(busy[_DIAL_DEAL])
                    else f"needs {fmt.count(busy[_DIAL_DEAL])} dials per deal")
            parts.append(f"{busy['Rep']} dials the most ({fmt.count(busy['Dials'])}) but {cost}, while {best['Rep']} "
                         f"wins one every {fmt.count(best[_DIAL_DEAL])} dials")
    if len(weakest) and weakest["Rep ÷ team"].iloc[0] > 1:
        w = weakest.iloc[0]
        result = str(w["Step"]).rpartition(":")[2].lower() or "result"  # "Connect:Meeting" gives a meeting
        done = f"produced no {result} in {report.period.label}" if finished else f"has produced no {result} yet"
        rep, team = fmt.n_to_1(w["Rep ratio"]), fmt.n_to_1(w["Team ratio"])
        if rep == team:  # "2:1, 1.3× the team's 2:1" contradicts itself: one decimal shows the difference
            rep, team = (f"{fmt.count(w[c], 1)}:1" for c in ("Rep ratio", "Team ratio"))
        how = (done if np.isinf(w["Rep ÷ team"]) else
               f"runs at {rep}, {fmt.multiple(w['Rep ÷ team'])} the team's {team}")
        parts.append(f"{possessive(w['Rep'])} weakest link is {w['Step']}, which {how}: coach {w['Coach on']}")
    if not parts:
        return None
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def goals_sentence(report, goals: pd.DataFrame) -> tuple[str, dict[str, str], list[dict]]:
    """Reps behind their activity goals (behind pace in a quarter still running), worst gap first."""
    if goals.empty:
        return _missing(goals, "Activity goals"), {}, []
    progress = report.period_progress
    gaps = views.goal_gaps(goals, progress)
    n_reps = goals["owner"].nunique()
    behind = list(dict.fromkeys(gaps["Rep"]))
    headline = {"Reps behind an activity goal": f"{len(behind)} of {n_reps}"}
    noun = report.period.noun
    if not behind:
        pace = report.state.so_far(f" for {fmt.percent(progress)} of the {noun} gone")
        if report.state.future:
            pace = f" (the {noun} has not started)"
        return f"All {n_reps} reps are on pace with every activity goal{pace}.", headline, []
    details = []
    for name in behind[:3]:
        rows = gaps[gaps["Rep"] == name]
        shares = ", ".join(f"{a.lower()} {fmt.percent(v)}" for a, v in zip(rows["Activity"], rows["Attainment"],
                                                                          strict=True))
        details.append(f"{name} ({shares})")
    pace = "share of the goal done" if report.state.finished else (
        f"share of the {possessive(noun)} goal done, with {fmt.percent(progress)} of the {noun} gone")
    if len(behind) > len(details):
        details.append(f"{len(behind) - len(details)} more")
    who = every(n_reps, "rep") if len(behind) == n_reps else f"{len(behind)} of {n_reps} reps"  # never "1 of 1 reps"
    sentence = f"{who} {verb('is', len(behind))} behind an activity goal ({pace}): {names(details, limit=4)}."
    alert = {"message": f"{report.label}: {who[:1].lower() + who[1:]} behind an activity goal ({names(behind)})",
             "level": "warning"}
    return sentence, headline, [alert]


def rules_sentence(rules: pd.DataFrame) -> str | None:
    """The team (all reps) against Scott Cowley's rules of thumb, per rep per month."""
    team = rules[rules["owner"].astype("str").str.startswith("All reps") & (rules["status"] != "not available")]
    team = team.drop_duplicates("rule")
    if team.empty:
        return None
    words = {"leads": "leads", "deals_created": "deals created", "deals_won": "deals won"}
    monthly, held = [], ""
    for _, r in team.iterrows():
        band = fmt.count(r["low"]) if r["low"] == r["high"] else f"{fmt.count(r['low'])}–{fmt.count(r['high'])}"
        where = f"{r['status']} {band}"
        if r["rule"] == "final_stage_deals_open":
            held = f", and holds {fmt.count(r['actual'], 1)} final-stage deals open ({where})"
        else:
            monthly.append(f"{fmt.count(r['actual'], 1)} {words.get(r['rule'], r['rule'])} ({where})")
    if not monthly:
        return f"Against Scott Cowley's bare-minimum rules of thumb, each rep{held[5:]}." if held else None
    return ("Against Scott Cowley's bare-minimum rules of thumb, each rep averages per month "
            + names(monthly, limit=4) + held + ".")


# -- the notebook's opening ---------------------------------------------------------------------------------
def activity_ratio_findings(report) -> Findings:
    """The opening findings of 01_activity_ratios for ``report`` (a :class:`quotabook.notebook.Report`).

    Sentences, most important first: dials per deal against InsightSquared's example team; the weakest link of the
    chain against that team; the busiest rep against the most efficient one and the rep furthest off the team
    on one link; reps behind their activity goals; the team against Scott Cowley's rules of thumb. Headlines:
    dials per deal, the weakest link, reps behind a goal. Alert: reps behind an activity goal.
    """
    ds, period = report.ds, report.period
    counts = views.activity_counts(ds, period)
    chain = views.activity_chain(ds, period)
    reference = views.chain_vs_reference(ds, period)
    sentences, headlines, alerts = [], {}, []
    text, heads = volume_sentence(report, counts, reference)
    sentences.append(text)
    headlines.update(heads)
    text, heads = chain_sentence(reference)
    sentences.append(text)
    headlines.update(heads)
    sentences.append(spotlight_sentence(chain, counts, views.weakest_steps(ds, period), report))
    text, heads, fired = goals_sentence(report, views.goals_vs_results(ds, period))
    sentences.append(text)
    headlines.update(heads)
    alerts.extend(fired)
    sentences.append(rules_sentence(views.rules_of_thumb(ds, period)))
    return Findings([s for s in sentences if s][:5], headlines, alerts)
