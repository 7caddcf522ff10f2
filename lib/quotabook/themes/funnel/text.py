"""Findings of theme 3, the funnel: win rate against its band, where the funnel leaks
most against the benchmark bands by segment, the biggest drop-off, the slowest stage, and who holds the open
pipeline.

Conversion is counted on creation cohorts over a window of quarters ending with the report's quarter
(:func:`funnel_window`, four by default) so each segment has enough deals for a rate to mean something; win
rate is the report's quarter alone, cohorted by close date (final once the quarter ends). Every number comes
from :mod:`quotabook.themes.funnel.data` (catalog metrics); this module picks what matters and words it.
"""

from __future__ import annotations

import pandas as pd

from ...findings import Findings
from ...fiscal import Period
from ...metrics import format as fmt
from ...text import NO_LOST, extremes, names, one_sided, plural, pronoun, say_date, spread, verb
from . import data as views

__all__ = ["FUNNEL_QUARTERS", "MIN_ENTERED", "drop_sentence", "funnel_findings", "funnel_window", "lead_sentence",
           "leak_sentence", "pipeline_sentence", "pipeline_snapshot", "slowest_sentence", "win_rate_sentence",
           "window_label"]

#: Quarters of creation cohorts behind the conversion rates (the report's quarter and the three before it).
FUNNEL_QUARTERS = 4
#: Fewer leads or deals than this entering a step, and its rate is too noisy to call a leak (ranked last).
MIN_ENTERED = 10


def funnel_window(report, quarters: int = FUNNEL_QUARTERS) -> tuple[Period, Period]:
    """First and last quarter of the creation cohorts: the ``quarters`` quarters ending with the report's."""
    return report.ds.calendar.shift(report.period, -(quarters - 1)), report.period


def window_label(report, quarters: int = FUNNEL_QUARTERS) -> str:
    """"2025-Q4 to 2026-Q3"."""
    first, last = funnel_window(report, quarters)
    return first.label if first == last else f"{first.label} to {last.label}"


def pipeline_snapshot(report) -> tuple[pd.DataFrame, str]:
    """Open pipeline by rep and stage when the report's quarter ended (or now, if it is still running), and
    that date as text ("30 Sep 2026")."""
    day = min(pd.Timestamp(report.period.last_day), report.as_of)
    ds = report.ds.as_of(day) if day < report.as_of else report.ds
    return views.pipeline_by_rep_stage(ds), say_date(day)


def _band(low: float, high: float, unit: str = "percent") -> str:
    return str(views.band_text(pd.Series([low]), pd.Series([high]), unit).iloc[0])


def _missing(frame: pd.DataFrame, what: str) -> str:
    reasons = list(dict.fromkeys((frame.attrs.get("unavailable") or {}).values()))
    return f"{what} not available: {reasons[0].split(': ', 1)[-1] if reasons else 'no data in the window'}."


# -- sentences --------------------------------------------------------------------------------------------
def win_rate_sentence(report, rates: pd.DataFrame, source: str = "") -> tuple[str, dict[str, str], list[dict]]:
    """The scope's win rate (closed-date cohort) against the band, and the group lowest and highest."""
    total = rates.iloc[-1] if len(rates) else None
    when = report.state.in_period()
    if total is None or pd.isna(total["win_rate"]):
        return f"{report.label} has closed no deal {when}, so there is no win rate yet.", {}, []
    band = _band(total["low"], total["high"])
    cite = f" ({source})" if source else ""
    missing = one_sided(total["won_count"], total["closed_count"]) == NO_LOST and NO_LOST
    counts = f"{fmt.count(total['won_count'])} of {fmt.count(total['closed_count'])}"
    if missing:  # 100% with no loss recorded: say what is missing, do not compare
        text = (f"{report.label} won {fmt.percent(total['win_rate'])} of the deals it closed {when} ({counts}), but "
                f"{missing}, so the win rate is not set against the {band} benchmark{cite}")
    else:
        text = (f"{report.label} won {fmt.percent(total['win_rate'])} of the deals it closed {when} ({counts}), "
                f"{total['status']} the {band} benchmark{cite}")
    groups = rates.iloc[:-1].dropna(subset=["win_rate"]).set_index("group")
    ex = extremes(groups["win_rate"], fmt.percent)
    if ex is not None and ex.count > 1 and not ex.tied and len(ex.low) == len(ex.high) == 1:
        low = groups.loc[ex.low[0]]
        text += (f"; {ex.low[0]} is lowest at {ex.low_text} "
                 f"({fmt.count(low['won_count'])} of {fmt.count(low['closed_count'])}), "
                 f"{ex.high[0]} highest at {ex.high_text}")
    elif ex is not None and ex.count > 1:  # ties: named as ties, never as both extremes
        text += f"; {spread(groups['win_rate'], fmt.percent, report.level)}"
    alerts = []
    if total["status"] == "below" and not missing:
        alerts.append({"message": f"{report.label}: win rate {fmt.percent(total['win_rate'])} is below the {band} "
                                  "benchmark", "level": "warning"})
    return text + ".", {report.catalog.get("win_rate").label: fmt.percent(total["win_rate"])}, alerts


def leak_sentence(report, ranked: pd.DataFrame, quarters: int = FUNNEL_QUARTERS) -> tuple[str, dict[str, str],
                                                                                      list[dict]]:
    """The segment step furthest below (or closest to) the low end of the benchmark band for its segment, from
    :func:`quotabook.themes.funnel.data.leaks` (worst first)."""
    if ranked.empty:
        return _missing(ranked, "Conversion by segment"), {}, []
    w = ranked.iloc[0]
    band = _band(w["low"], w["high"])
    counts = f"{fmt.count(w['converted'])} of {fmt.count(w['entered'])}"
    step = f"{w['segment']} {w['step']} {fmt.percent(w['conversion'])}"
    headline = {"Biggest leak" if w["shortfall"] > 0 else "Step to watch": step}
    window = window_label(report, quarters)
    if w["shortfall"] > 0:
        thin = "" if w["enough"] else f", on only {fmt.count(w['entered'])}: too few to be sure"
        below = ranked[(ranked["shortfall"] > 0) & ranked["enough"]]
        others = len(below) - (1 if w["enough"] else 0)
        more = ("" if others < 1 else " 1 other segment step is below its band too." if others == 1
                else f" {others} other segment steps are below their band too.")
        text = (f"The funnel leaks most at {w['segment']} {w['step']}: {fmt.percent(w['conversion'])} ({counts}) "
                f"against the {band} benchmark for {w['segment']}, over the cohorts created {window}{thin}.{more}")
        alerts = [{"message": f"{report.label}: {w['segment']} {w['step']} conversion {fmt.percent(w['conversion'])} "
                              f"is below the {band} benchmark", "level": "warning"}] if w["enough"] else []
        return text, headline, alerts
    return (f"No step falls below the benchmark band for its segment over the cohorts created {window}; the closest "
            f"to its floor, so the one to watch, is {w['segment']} {w['step']} at {fmt.percent(w['conversion'])} "
            f"({counts}) against {band}.", headline, [])


def drop_sentence(drop: pd.DataFrame) -> str | None:
    """Where most leads and deals drop out, in the whole funnel and once an opportunity exists; that
    nothing drops when every step keeps all it got (never "the largest share drops ...: 0%")."""
    known = drop[drop["drop_off"].notna() & (drop["entered"] > 0)]
    if known.empty:
        return None
    worst = known.loc[known["drop_off"].idxmax()]
    if fmt.percent(worst["drop_off"]) == fmt.percent(0.0):
        steps = names(known["step"].astype(str).tolist(), limit=4)
        return f"Nothing drops out of the funnel in this window: every item that reached {steps} went on."
    tied = known[known["drop_off"].map(fmt.percent) == fmt.percent(worst["drop_off"])]
    if len(tied) == 1:
        text = (f"The largest share drops at {worst['step']}: {fmt.percent(worst['drop_off'])} of "
                f"{_entered(worst['from_step'], worst['entered'])} "
                f"{verb('does', worst['entered'])} not go on")
    else:  # a tie: every step losing that share is named, none is "the" largest
        where = names([f"{r['step']} (of {_entered(r['from_step'], r['entered'])})" for _, r in tied.iterrows()])
        text = f"The largest share, {fmt.percent(worst['drop_off'])}, drops at {where} alike"
    deals = known[known["from_step"].isin(["Opportunity", "Proposal"]) & ~known.index.isin(tied.index)]
    deals = deals[deals["drop_off"] > 0]
    if len(deals) and not tied["from_step"].isin(["Opportunity", "Proposal"]).any():
        d = deals.loc[deals["drop_off"].idxmax()]
        text += (f"; once an opportunity exists, {d['step']} loses the most ({fmt.percent(d['drop_off'])} of "
                 f"{_entered(d['from_step'], d['entered'])})")
    return text + "."


def _share(value: float) -> str:
    """A conversion as a percentage, with one decimal below 10% so a small rate does not read "0%"."""
    return fmt.percent(value, 1 if value < 0.1 else 0)


def lead_sentence(report, leads: pd.DataFrame, unassigned: int | None, quarters: int = FUNNEL_QUARTERS) -> str | None:
    """How the leads created in the window converted (Lead→Opportunity, Lead→Won, from each lead's conversion
    and its deal's outcome, no SAL/SQL dates needed), and how many leads no owner places in a territory.

    ``leads`` is :func:`quotabook.themes.funnel.data.lead_conversion` with no grouping; ``unassigned`` is
    :func:`quotabook.themes.funnel.data.unassigned_leads` (district-wide; None when not known). None without a
    leads table.
    """
    window = window_label(report, quarters)
    they, have = pronoun(unassigned), verb("has", unassigned)
    count = f"{they} {verb('counts', unassigned)}"
    elsewhere = (f"{plural(unassigned, 'lead')} created {window} {have} no owner with a territory, so {they} "
                 f"{verb('belongs', unassigned)} to no region: {count} on the district's pages only, in the group "
                 "Unassigned")
    if leads.empty:  # no leads table, or none of its leads is the region's
        return (
            f"{report.label} holds no lead of its own; {elsewhere}." if unassigned and not report.is_district else None
        )
    total = leads.iloc[-1]
    n = total["Leads"]
    if not n > 0:
        text = f"No lead was created {window}"
    elif not total["Converted"] > 0:
        text = f"None of the {fmt.count(n)} leads created {window} has become an opportunity yet"
    else:
        text = (f"Of the {fmt.count(n)} leads created {window}, {_share(total['Lead→Opp'])} "
                f"({fmt.count(total['Converted'])}) became an opportunity")
        if "Lead→Won" in leads and total["Won"] > 0:
            text += f" and {_share(total['Lead→Won'])} ({fmt.count(total['Won'])}) a won deal"
        elif "Lead→Won" in leads:
            text += ", none of them a won deal yet"
        text += "; recent leads are still converting"
    if unassigned and report.is_district:
        whom = "None of them has an" if unassigned >= n else f"{fmt.count(unassigned)} of them {have} no"
        text += f". {whom} owner with a territory: {count} in the district's figures, in the group Unassigned"
    elif unassigned:
        text += f". Another {elsewhere}"
    return text + "."


def _entered(step: str, n: float) -> str:
    """How many entered a funnel step, with their noun: "1 proposal", "4 proposals"."""
    return plural(n, views.STEP_NOUNS.get(step, "items").removesuffix("s").replace("opportunitie", "opportunity"))


def slowest_sentence(stages: pd.DataFrame, days: pd.DataFrame) -> tuple[str, dict[str, str]]:
    """The CRM stage deals spend longest in (median, won vs lost) and the funnel step slowest against
    the benchmark days for its segment."""
    everything = stages[stages["outcome"] == "all"].dropna(subset=["median_days"])
    if everything.empty:
        return _missing(stages, "Time in stage"), {}
    slow = everything.loc[everything["median_days"].idxmax()]
    longest = extremes(everything.set_index("stage")["median_days"], lambda d: f"{d:.0f}")
    by = stages[stages["stage"] == slow["stage"]].set_index("outcome")["median_days"]
    if len(longest.high) > 1:  # a tie: no single stage is where deals spend longest
        where = "every stage" if longest.tied else names(longest.high)
        text = f"Deals spend the same median {slow['median_days']:.0f} days in {where}"
    else:
        text = f"Deals spend longest in {slow['stage']} (median {slow['median_days']:.0f} days"
        if {"won", "lost"} <= set(by.dropna().index):
            text += f"; lost deals {by['lost']:.0f}, won deals {by['won']:.0f}"
        text += ")"
    rated = days[days["median_days"].notna() & days["high"].notna() & (days["items"] > 0)]
    if len(rated):
        over = rated.assign(_r=rated["median_days"] / rated["high"])
        w = over.loc[over["_r"].idxmax()]
        verdict = "slowest against" if w["_r"] > 1 else "closest to the top of"
        text += (f"; against the time-in-stage benchmarks, {w['segment']} {w['step']} is {verdict} its band at "
                 f"{w['median_days']:.0f} days ({_band(w['low'], w['high'], 'days')})")
    return text + ".", {"Slowest stage": f"{slow['stage']}, {slow['median_days']:.0f} days"}


def pipeline_sentence(report, pipeline: pd.DataFrame, when: str) -> str | None:
    """Who holds the open pipeline, and in which stage most of it sits."""
    totals = pipeline.groupby("owner")["amount"].sum()
    whole = float(totals.sum())
    if whole <= 0:
        return None
    shares = totals / whole
    top = extremes(shares, fmt.percent)
    stages = extremes(pipeline.groupby("stage")["amount"].sum() / whole, fmt.percent)
    holds = "holds" if len(top.high) == 1 else "each hold"
    text = f"{report.money(whole)} was open at {when}; "
    if top.tied and top.count > 1:
        text += f"{names(top.high)} hold {top.high_text} of it each"
    else:
        text += f"{names(top.high)} {holds} {top.high_text} of it"
    if stages.tied and stages.count > 1:
        return text + f", spread evenly over {names(stages.high)} ({stages.high_text} each)."
    if len(stages.high) > 1:
        return text + f", and the largest stages are {names(stages.high)} ({stages.high_text} each)."
    return text + f", and the largest stage is {stages.high[0]} ({stages.high_text})."


# -- the notebook's opening ---------------------------------------------------------------------------------
def funnel_findings(report, quarters: int = FUNNEL_QUARTERS) -> Findings:
    """The opening findings of 02_funnel for ``report`` (a :class:`quotabook.notebook.Report`).

    Sentences, most important first (five at most): win rate against the 22–35% band (CSO Insights 2024, as
    cited); the biggest leak against the benchmark bands by segment; the largest drop-off; how the
    leads converted to opportunities and won deals, with the leads no owner places (the Unassigned group);
    the slowest stage; who holds the open pipeline. Headlines: win rate, biggest leak (or, with every step
    inside its band, the step to watch), slowest stage. Alerts: win rate below its band, a segment step below
    its band (with at least :data:`MIN_ENTERED` entering it). ``quarters``: creation cohorts behind the
    conversion rates (:func:`funnel_window`).
    """
    ds = report.ds
    first, last = funnel_window(report, quarters)
    rates = views.win_rate_by(ds, report.period, by=report.level, catalog=report.catalog)
    sentences, headlines, alerts = [], {}, []
    text, heads, fired = win_rate_sentence(report, rates, rates.attrs.get("source", ""))
    sentences.append(text)
    headlines.update(heads)
    alerts.extend(fired)
    ranked = views.leaks(views.benchmarks_by_segment(ds, first, last, catalog=report.catalog), min_entered=MIN_ENTERED)
    text, heads, fired = leak_sentence(report, ranked, quarters)
    sentences.append(text)
    headlines.update(heads)
    alerts.extend(fired)
    sentences.append(drop_sentence(views.drop_off(ds, first, last, catalog=report.catalog)))
    sentences.append(lead_sentence(report, views.lead_conversion(ds, first, last, catalog=report.catalog),
                                   views.unassigned_leads(ds, first, last), quarters))
    text, heads = slowest_sentence(views.time_in_stage(ds, first, last, catalog=report.catalog),
                                   views.step_days_by_segment(ds, first, last))
    sentences.append(text)
    headlines.update(heads)
    sentences.append(pipeline_sentence(report, *pipeline_snapshot(report)))
    return Findings([s for s in sentences if s][:5], headlines, alerts)
