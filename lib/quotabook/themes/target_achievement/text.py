"""Findings of the target achievement notebook (theme 1).

:func:`target_achievement_findings` opens the notebook: where the scope stands against target with the
weeks left, which territories (or regions) fall under the coverage bars, how much pipeline closing the gap
takes, how much Commit lacks proof and how concentrated the open forecast is. Once the period is over the
sentences read the result instead: attainment, who reached target, and whether a miss was a volume problem
(too little pipeline going in) or a conversion problem (the "enough at-bats?" test).

Its tables are in :mod:`quotabook.themes.target_achievement.tables`. The next-moves section shows
:mod:`quotabook.themes.target_achievement.moves` (its lists and tables); :func:`move_rules` and :func:`impact_note`
only put the tests behind them and the forecast impact of moves 1 and 2 into words. Every number comes from the metric
catalog, through the views or :mod:`quotabook.themes.target_achievement.moves`; the wording lives here so it is tested.
"""

from __future__ import annotations

import pandas as pd

from ...findings import Findings
from ...text import (
    NO_LOST,
    extremes,
    heading_anchor,
    is_number,
    mid,
    names,
    one_sided,
    part_of,
    plural,
    possessive,
    verb,
)
from . import data as views
from . import moves

__all__ = ["SHOWN_METRICS", "coverage_rules", "impact_note", "move_rules", "period_note", "report_ended",
           "stack_reading", "target_achievement_findings"]

SCOPE_METRICS = ["closed_amount", "commit_amount", "best_case_amount", "total_amount", "target_amount", "attainment",
                 "forecast_attainment", "gap", "coverage", "pipeline_coverage", "open_pipeline_amount", "win_rate",
                 "won_count", "closed_count", "required_new_pipeline", "commit_share", "deal_count",
                 "priced_deal_count", "average_selling_price", "largest_deal_amount", "top_deal_share",
                 "weak_commit_amount", "promotable_best_case_amount", "pipeline_push_amount"]
#: The metrics the notebook shows (its glossary).
SHOWN_METRICS = ["closed_amount", "commit_amount", "best_case_amount", "pipeline_amount", "total_amount",
                 "target_amount", "attainment", "forecast_attainment", "gap", "coverage", "coverage_of_remaining",
                 "pipeline_coverage", "commit_share", "win_rate", "required_new_pipeline", "open_pipeline_amount",
                 "pipeline_push_amount", "deal_count", "average_selling_price", "largest_deal_amount",
                 "top_deal_share", "weak_commit_amount", "promotable_best_case_amount", "pull_in_amount",
                 "expansion_candidate_count"]

#: The section explaining the coverage alerts (its Markdown heading in the notebook), for the index's links.
COVERAGE_ANCHOR = heading_anchor("Attainment and coverage")


# -- small helpers ------------------------------------------------------------------------------------------
def _scope(report) -> tuple[pd.Series, dict[str, str]]:
    """The scope's catalog metrics as one Series (NaN where unavailable) and the unavailable notes."""
    wide = report.metrics(SCOPE_METRICS, by=report.scope_level)
    row = wide.iloc[0] if len(wide) else pd.Series(dtype="float64")
    return row.reindex(SCOPE_METRICS), dict(wide.attrs.get("unavailable", {}))


def _unavailable_sentence(report, unavailable: dict[str, str]) -> str | None:
    """One sentence naming what the data lacks and which figures it costs, grouped by what is missing, or None."""
    if not unavailable:
        return None
    by_need: dict[str, list[str]] = {}
    for name, note in unavailable.items():
        need = note.split("needs", 1)[-1].strip() if "needs" in note else note
        by_need.setdefault(need, []).append(report.catalog.get(name).label)
    parts = [f"{names(labels)} (needs {need})" for need, labels in by_need.items()]
    return f"Not available for this data: {'; '.join(parts)}."


def report_ended(report) -> bool:
    return views.period_ended(report.ds, report.period)


# -- findings ------------------------------------------------------------------------------------------------
def target_achievement_findings(report) -> Findings:
    """Three to five sentences on where the scope stands against target, with headlines and alerts.

    Parameters
    ----------
    rep : :class:`quotabook.notebook.Report` for a region (groups: territories) or the district (regions).
    """
    s, unavailable = _scope(report)
    cov = views.coverage_status(report.ds, report.period, by=report.level)
    if report_ended(report):
        sentences, headlines, alerts = _ended_findings(report, s, cov)
    else:
        sentences, headlines, alerts = _running_findings(report, s, cov)
    sentences = [x for x in sentences if x]
    note = _unavailable_sentence(report, unavailable)
    if note:  # what the data lacks always shows, in the last place
        sentences = [*sentences[:4], note]
    return Findings(sentences=sentences[:5], headlines=headlines, alerts=alerts)


def _stand_sentence(report, s: pd.Series) -> str:
    """Where the scope stands: closed against target with the time left, and what Commit and the stack add."""
    period, label = report.period.label, report.label
    if not s["target_amount"] > 0:
        if s["closed_amount"] > 0:
            return (f"{label} has closed {report.money(s['closed_amount'])} in {period} but has no target for it: "
                    "attainment and coverage cannot be read.")
        return f"{label} has no target for {period}: attainment and coverage cannot be read."
    if report.state.future:
        when = f"{period} has not started yet"
        return (f"{when}: Closed + Commit covers {report.pct(s['forecast_attainment'])} of {possessive(mid(label))} "
                f"{report.money(s['target_amount'])} target and the full stack {report.times(s['coverage'])}.")
    left = report.state.weeks_left_text(full=False)
    left = f"with {left}" if report.weeks_left else left
    text = (f"{label} has closed {report.money(s['closed_amount'])} of its {report.money(s['target_amount'])} "
            f"{period} target ({report.pct(s['attainment'])}) {left}")
    if is_number(s["forecast_attainment"]):
        # both shares of target in percent, the coverage multiple beside them: "15% of target ... 0.1×" read as
        # two different figures for one stack
        committed, stack = report.pct(s["forecast_attainment"]), report.pct(s["coverage"])
        text += (f"; Closed + Commit and Closed + Commit + Best Case both reach {committed} of target"
                 if committed == stack else
                 f"; Closed + Commit reaches {committed} of target and Closed + Commit + Best Case {stack}")
        text += f" (coverage {report.times(s['coverage'])})" if is_number(s["coverage"]) else ""
    return text + "."


def _coverage_sentence(report, cov: pd.DataFrame) -> str:
    """Which groups fall under the coverage bars (push below 1.5×, alert below 2.5× for two weeks, 3× wanted)."""
    t = report.settings.threshold
    level, status = report.level, cov["status"]
    name = cov[level].astype(str)
    short = name[status == "Short of target"].tolist()
    push = name[status == "Pipeline push"].tolist()
    alert = name[cov["alert"].astype(bool) & (cov["gap"] > 0)].tolist()
    watch = name[status.isin([f"Below {t('coverage_alert_below'):g}×", f"Watch < {t('coverage_target_early'):g}×"])]
    parts = []
    if short:
        parts.append(f"{names(short)} cannot reach target even if every Commit and Best Case deal closes")
    if push:
        parts.append(f"{names(push)} {verb('is', len(push))} under the "
                     f"{t('pipeline_push_below'):g}× coverage line that calls for a pipeline push")
    if alert:
        parts.append(f"open pipeline in {names(alert)} has covered less than {t('coverage_alert_below'):g}× of "
                     f"the remaining target for {int(t('coverage_alert_weeks'))} weeks, which should alert leadership")
    if len(watch):
        parts.append(f"{names(watch.tolist())} {verb('is', len(watch))} under the "
                     f"{t('coverage_target_early'):g}× pipeline coverage wanted early in a quarter")
    if parts:
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."
    covered = int(status.str.startswith("Covered").sum() + (status == "Target reached").sum())
    if covered == 0:
        return ""
    return (f"Every {level} with a target clears the bars: at target already, or open pipeline covering at least "
            f"{t('coverage_target_early'):g}× of what is left.")


def _needs_sentence(report, s: pd.Series) -> str:
    """The pipeline closing the gap takes at the period's win rate, against what is open, and any push."""
    if not s["gap"] > 0:
        return (f"{report.label} is already at target: {report.money(-s['gap'])} above it."
                if s["target_amount"] > 0 else "")
    missing = one_sided(s["won_count"], s["closed_count"])
    if missing:  # a 100% (or 0%) win rate from one side of the ledger cannot size a pipeline
        return (f"{report.money(s['gap'])} is left to win; {missing} in {report.period.label}, so its win rate "
                f"({report.pct(s['win_rate'])}) cannot size the pipeline it takes; "
                f"{report.money(s['open_pipeline_amount'])} is open.")
    if not is_number(s["required_new_pipeline"]) or not s["win_rate"] > 0:
        return (f"{report.money(s['gap'])} is left to win; no deal has closed yet in {report.period.label}, so there "
                "is "
                "no win rate to size the pipeline it takes.")
    text = (
        f"At the period's {report.pct(s['win_rate'])} win rate, winning the remaining {report.money(s['gap'])} "
        "takes "
        f"{report.money(s['required_new_pipeline'])} of pipeline; {report.money(s['open_pipeline_amount'])} is open"
    )
    if s["pipeline_push_amount"] > 0:
        text += (f", and lifting the stack to {report.settings.threshold('pipeline_push_below'):g}× target needs "
                 f"{report.money(s['pipeline_push_amount'])} more")
    return text + "."


def _confidence_sentence(report, s: pd.Series) -> str:
    """Commit share, the Commit without proof, and the Best Case ready to move up (next moves 1 and 2)."""
    if not is_number(s["commit_amount"]) or not (s["commit_amount"] + s["best_case_amount"]) > 0:
        return ""
    text = f"Commit is {report.pct(s['commit_share'])} of the open forecast"
    if s["weak_commit_amount"] > 0:
        share = s["weak_commit_amount"] / s["commit_amount"] if s["commit_amount"] > 0 else float("nan")
        text += (f"; {report.money(s['weak_commit_amount'])} of the {report.money(s['commit_amount'])} Commit "
                 f"({report.pct(share)}) lacks recent proof and should be reclassified")
    if s["promotable_best_case_amount"] > 0:
        text += f", while {report.money(s['promotable_best_case_amount'])} of Best Case is ready to promote"
    return text + "."


def _concentration_sentence(report, s: pd.Series, level: str) -> str:
    """How many deals carry the open forecast, their average size and the largest deal's share."""
    if not s["deal_count"] > 0:
        return ""
    # Open deals kept without an amount (quotabook.kept) are deals, but their value is unknown.
    unpriced = s["deal_count"] - s.get("priced_deal_count", s["deal_count"])
    if unpriced >= s["deal_count"]:
        return f"{s['deal_count']:.0f} deals carry Commit + Best Case, none with an amount: their value is unknown."
    left_out = f", {unpriced:.0f} without an amount left out" if unpriced > 0 else ""
    conc = views.concentration(report.ds, report.period, by=level)
    priced = s.get("priced_deal_count", s["deal_count"])
    if s["deal_count"] == 1 and priced == 1:
        text = (f"1 deal carries all of Commit + Best Case ({report.money(s['largest_deal_amount'])}): the forecast "
                "rests on it alone")
    else:
        text = (f"{plural(s['deal_count'], 'deal')} carry Commit + Best Case (average "
                f"{report.money(s['average_selling_price'])}{left_out}); the largest, "
                f"{report.money(s['largest_deal_amount'])}, is {report.pct(s['top_deal_share'])} of it")
    # One deal (with an amount) is always all of its group's forecast: nothing to compare.
    conc = conc[conc["priced_deal_count"] > 1]
    ex = extremes(conc.set_index(level)["top_deal_share"], report.pct) if len(conc) > 1 else None
    if ex is not None and not ex.tied and len(ex.high) == 1:  # a tie names no "highest"
        top = conc.set_index(level).loc[ex.high[0]]
        with_amount = " with an amount" if top["priced_deal_count"] < top["deal_count"] else ""
        text += (f"; concentration is highest in {ex.high[0]}, where the largest of its "
                 f"{top['priced_deal_count']:.0f} deals{with_amount} is {report.pct(top['top_deal_share'])} of its "
                 "Commit + Best Case")
    return text + "."


def _running_findings(report, s: pd.Series, cov: pd.DataFrame) -> tuple[list[str], dict, list]:
    sentences = [_stand_sentence(report, s), _coverage_sentence(report, cov), _needs_sentence(report, s),
                 _confidence_sentence(report, s), _concentration_sentence(report, s, report.level)]
    if sum(bool(x) for x in sentences) < 3 and s["won_count"] > 0:  # little to read: say what has been won
        missing = one_sided(s["won_count"], s["closed_count"])
        rate = (f" ({missing}, so its {report.pct(s['win_rate'])} win rate says little)" if missing == NO_LOST
                else f" at a {report.pct(s['win_rate'])} win rate" if is_number(s["win_rate"]) else "")
        sentences.append(f"{report.state.so_far('So far it') or 'It'} has won {plural(s['won_count'], 'deal')}{rate}.")
    headlines = {"Attainment": report.pct(s["attainment"]), "Forecast attainment": report.pct(s["forecast_attainment"]),
                 "Coverage": report.times(s["coverage"]), "Pipeline coverage": report.times(s["pipeline_coverage"])}
    return sentences, headlines, _alerts(report, cov)


def _alerts(report, cov: pd.DataFrame) -> list[dict]:
    """The catalog alerts that fire while the period runs (:meth:`~quotabook.metrics.catalog.Catalog.alerts`):
    coverage under the pipeline-push line (critical under 1×: Closed + Commit + Best Case short of target) and
    pipeline coverage under its bar for the weeks the workbook asks (evaluated with its weekly readings by
    :func:`~quotabook.themes.target_achievement.data.coverage_status`, the ``alert`` column). None before the period
    starts (an ``as_of`` before the quarter: no deal could have been worked yet), nor for a group with no target
    or its target reached."""
    out = []
    if report.period.start > report.ds.reference_date:  # the quarter has not started: nothing is late yet
        return out
    live = cov[(cov["gap"] > 0) & (cov["target_amount"] > 0)].set_index(report.level)
    fired = report.catalog.alerts(live[["coverage"]], report.settings)
    severity = report.catalog.get("coverage").alert.severity
    for group, value, limit in fired[["group", "value", "threshold"]].itertuples(index=False):
        out.append({"message": f"{group}: coverage {report.times(value, 2)} is under the {limit:g}× pipeline-push line",
                    # under 1× the quarter is mathematically short: more than the catalog's push-line severity
                    "level": "critical" if value < 1 else severity, "anchor": COVERAGE_ANCHOR})
    pipeline = report.catalog.get("pipeline_coverage").alert
    limit, weeks = pipeline.value(report.settings), pipeline.weeks(report.settings) or 1
    for group, value in live.loc[live["alert"].astype(bool), "pipeline_coverage"].items():
        out.append(
            {
                "message": f"{group}: pipeline coverage {report.times(value, 2)} under {limit:g}× for {weeks} weeks",
                "level": pipeline.severity,
                "anchor": COVERAGE_ANCHOR,
            }
        )
    return out


def _ended_findings(report, s: pd.Series, cov: pd.DataFrame) -> tuple[list[str], dict, list]:
    period, label, level = report.period.label, report.label, report.level
    headlines = {"Attainment": report.pct(s["attainment"]), "Closed": report.money(s["closed_amount"]),
                 report.catalog.get("win_rate").label: report.pct(s["win_rate"])}
    if not s["target_amount"] > 0:
        return [f"{label} has no target for {period}: it closed {report.money(s['closed_amount'])}."], headlines, []
    over = "above" if s["gap"] <= 0 else "short of"
    first = (f"{label} closed {period} at {report.money(s['closed_amount'])} against a "
             f"{report.money(s['target_amount'])} "
             f"target ({report.pct(s['attainment'])}), {report.money(abs(s['gap']))} {over} it.")
    with_target = cov[cov["target_amount"] > 0].sort_values("attainment", ascending=False, kind="stable")
    hit = with_target[with_target["status"] == "Target reached"]
    second = ""
    if len(with_target) > 1:
        ex = extremes(with_target.set_index(level)["attainment"], report.pct)
        second = f"{part_of(len(hit), len(with_target), level)} reached target; "
        if ex is None:
            second = second.removesuffix("; ") + "."
        elif ex.tied:
            second += f"{'both' if ex.count == 2 else 'all'} ended at {ex.high_text}."
        else:
            second += (f"{names(ex.high)} led at {ex.high_text} and {names(ex.low)} ended at {ex.low_text}.")
    early = report.settings.threshold("coverage_target_early")
    volume = with_target.loc[with_target["status"] == "Missed: volume", level].astype(str).tolist()
    conversion = with_target.loc[with_target["status"] == "Missed: conversion", level].astype(str).tolist()
    parts = []
    if volume:
        parts.append(f"{names(volume)} went in with under {early:g}× pipeline coverage (a volume problem)")
    if conversion:
        parts.append(f"{names(conversion)} had {early:g}× or more going in but did not convert it")
    third = ("Of the misses, " + "; ".join(parts) + ".") if parts else ""
    fourth = ""
    if is_number(s["win_rate"]):
        missing = one_sided(s["won_count"], s["closed_count"])
        won = f"({plural(s['won_count'], 'won deal')}; {missing})" if missing else f"({s['won_count']:.0f} won)"
        rate = f"{report.pct(s['win_rate'])} of the deals it closed {won}"
        if not s["won_count"] > 0:  # "0% ... (0 won deals; no won deal is recorded)" said it three times
            rate = f"none of the {plural(s['closed_count'], 'deal')} it closed"
        fourth = (f"It won {rate}; nothing more can close in "
                  f"{period}, so the next moves at the end of this page are for {moves.outlook_label(report)}.")
    return [first, second, third, fourth], headlines, []


# -- notes -----------------------------------------------------------------------------------------------------
def period_note(report):
    """Markdown: how to read this page's figures for where the period stands (the date and the weeks left
    are stated once, at the top of the page: :meth:`quotabook.notebook.Report.as_of_statement`)."""
    noun = report.period.noun
    if report.state.finished:
        text = (f"*{report.period.label} is over: Closed is final, so the coverage section shows how well covered each "
                f"{report.level} was the day before the {noun} began.")
        overdue, amount = views.open_past_end(report.ds, report.period)
        if overdue:  # dated in the period, never closed: not part of its result, and not "nothing left open"
            value = report.money(amount) if amount > 0 else "no amount recorded"
            text += (f" {plural(overdue, 'deal')} dated in it ({value}) "
                     f"{verb('is', overdue)} still open past its end: not part of its result, "
                     "overdue and in need of a new close date.")
        text += "*"
    elif report.state.future:
        text = (f"*{report.period.label} has not started: nothing in it is closed yet, and Commit, Best Case and "
                "Pipeline are the open deals dated in it.*")
    else:
        text = (f"*{report.period.label} is under way: Closed counts the deals won so far; Commit, Best Case and "
                f"Pipeline are the open deals dated in the rest of the {noun}.*")
    return report.markdown(text)


def stack_reading(report, stack: pd.DataFrame):
    """Markdown: how to read the number-stack chart, saying only what the chart draws
    (:func:`quotabook.themes.target_achievement.charts.stack_vs_target`): the open categories while the period
    runs, Closed alone once it is over, and the target's tick only where a target above zero is drawn, so a
    page without targets never speaks of a tick.

    ``stack``: :func:`quotabook.themes.target_achievement.data.number_stack` by ``report.level``.
    """
    level, period = report.level, report.period.label
    if report_ended(report):
        text = (f"{period} is over, so each bar shows only **Closed**, its result: a deal dated in it and still open "
                "did not close in it.")
    elif not stack.reindex(columns=["Commit", "Best Case", "Pipeline"]).fillna(0).gt(0).any().any():
        text = f"No open amount is dated in {period}, so each bar shows only **Closed**, won so far."
    else:
        text = ("Each bar stacks the money already won (**Closed**) with what the account executives commit to close "
                "(**Commit**), the upside (**Best Case**) and the rest of the open pipeline dated in the "
                f"{report.period.noun} (**Pipeline**).")
    with_target = stack["Target"].fillna(0).gt(0)
    if not with_target.any():
        return report.markdown(f"{text} No {level} has a target for {period}, so no target is marked.")
    text += " The orange tick marks the target"
    without = stack.loc[~with_target, level].astype(str).tolist()
    if without:
        text += f" ({names(without)} {verb('has', len(without))} none, so no tick)"
    if report_ended(report):
        return report.markdown(f"{text}: a bar short of its tick missed it.")
    return report.markdown(
        f"{text}. A {level} whose Closed + Commit + Best Case stops short of its tick cannot get there on conversion "
        "alone: it needs new or larger deals. Pipeline beyond the tick is the cushion against deals that slip or "
        "are lost.")


def coverage_rules(report):
    """Markdown: the bars the coverage chart and the status column read against, with the workbook's values."""
    t = report.settings.threshold
    push, alert, weeks = t("pipeline_push_below"), t("coverage_alert_below"), int(t("coverage_alert_weeks"))
    early, mature = t("coverage_target_early"), t("coverage_target_mature")
    return report.markdown(
        f"- **Coverage** under 1× — the quarter is mathematically short; under {push:g}× — launch a fast-turn "
        "pipeline push (status *Short of target* / *Pipeline push*).\n"
        f"- **Pipeline coverage** of {early:g}× early in a quarter, {mature:g}× for a mature recurring-revenue "
        f"business; under {alert:g}× at {weeks} readings in a row, a week apart, alerts leadership (status "
        f"*Alert*; *Below* when only the latest reading is under it; *Watch* under {early:g}×).\n"
        f"- Once the quarter is over: *Missed: volume* — it went in with under {early:g}× pipeline coverage, too "
        "few at-bats; *Missed: conversion* — the pipeline was there and was not converted.")


def move_rules(report):
    """Markdown: the tests behind the four next-move lists, with the workbook's values; once the period is
    over, followed by the outlook heading (:func:`quotabook.themes.target_achievement.moves.outlook_note`): the lists
    are then the quarter in progress's, said once for the page rather than under every table."""
    outlook = moves.outlook_note(report)
    report = moves.moves_report(report)
    t = report.settings.threshold
    stage = next((s.name for s in sorted(report.settings.stages, key=lambda s: s.order)
                  if s.order >= t("commit_min_stage_order")), "the late stages")
    days, bar = int(t("commit_proof_days")), t("pipeline_push_below")
    following = report.ds.calendar.shift(report.period, 1).label
    return report.markdown(
        f"- **1. Weak Commit**: no activity in the last {days} days, a close date pushed out at least once, a "
        f"stage before {stage}, or an evidence flag missing (economic buyer, champion, decision criteria, paper "
        "process). Any one of them puts the deal on the list.\n"
        f"- **2. Best Case to promote**: at {stage} or later, activity within {days} days, similar closed deals "
        "(same segment, type and size half) won at least as often as deals overall, and every evidence flag in "
        "place. Deals one test short follow the ready ones; their *Why* names the test they miss.\n"
        f"- **3. Plays**: *pull-in*, open deals at {stage} or later dated {following}; *expansion*, accounts won "
        "in the last four quarters with no open expansion deal.\n"
        f"- **4. Pipeline push**: Closed + Commit + Best Case under {bar:g}× target while the target is not won."
        + (f"\n\n{outlook}" if outlook else ""))


def impact_note(report):
    """Markdown: how moves 1 and 2 change the scope's Closed + Commit and its forecast attainment
    (:func:`quotabook.themes.target_achievement.moves.impact`), and which groups reach target on the current Commit
    only, without proof. For the period the moves are for
    (:func:`quotabook.themes.target_achievement.moves.moves_report`: the quarter in progress once the report's own
    period is over)."""
    report = moves.moves_report(report)
    if not report.ds.has("opportunities", "forecast_category"):  # no Commit or Best Case for the moves to change
        return report.markdown(moves.nothing_to_do(report, "impact"))
    scope = moves.impact(report.ds, report.period, by=report.scope_level)
    if scope.empty:
        return report.markdown(f"*No forecast to move in {report.period.label}.*")
    s, label = scope.iloc[0], mid(report.label)
    weak, promoted = -s["reclassified"], s["promoted"]
    if not (weak > 0 or promoted > 0):
        return report.markdown(f"No Commit lacks proof and no Best Case is ready to promote: {possessive(label)} "
                               f"Closed + Commit stays at {report.money(s['forecast'])}.")
    moved = [f"reclassifying {report.money(weak)} of weak Commit" if weak > 0 else "",
             f"promoting {report.money(promoted)} of Best Case" if promoted > 0 else ""]
    text = " and ".join(m for m in moved if m)
    text = (text[0].upper() + text[1:] + f" takes {possessive(label)} Closed + Commit from "
            f"{report.money(s['forecast'])} to {report.money(s['forecast_after'])}")
    if is_number(s["forecast_attainment"]):
        text += f" ({report.pct(s['forecast_attainment'])} of target to {report.pct(s['attainment_after'])})"
    groups = moves.impact(report.ds, report.period, by=report.level)
    lose = groups.loc[(groups["forecast_attainment"] >= 1) & (groups["attainment_after"] < 1), report.level].tolist()
    if lose:
        text += (f". {names(lose, 4)} {verb('reaches', len(lose))} target on the current Commit but "
                 "not on proof alone: get that proof before the forecast call")
    return report.markdown(text + ".")
