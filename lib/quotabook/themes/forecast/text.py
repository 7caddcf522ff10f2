"""Findings of the forecast notebook (theme 6): will we hit the number, and which
forecast to trust.

:func:`forecast_findings` opens the notebook with five computed sentences: the Monte Carlo range and the
chance of target (or, for a period already over, what it closed at against what the forecast said mid-way);
how far apart the methods are and which groups are forecast short; which method the backtests say has been
most accurate for this team; why the pipeline moved (inflow / outflow) and where it is heading (trend); and
the open deals in the strike zone. Numbers come from :func:`quotabook.forecast.study`, the wording lives
here so it is tested.
"""

from __future__ import annotations

import pandas as pd

from ...findings import Findings
from ...forecast import study
from ...metrics.forecasting.monte_carlo import range_statement
from ...text import extremes, heading_anchor, is_number, mid, names, noun, plural, pronoun, say_date, signed_pct, verb

__all__ = ["SHOWN_METRICS", "forecast_findings"]

#: The catalog metrics the notebook shows (its glossary).
SHOWN_METRICS = ["closed_amount", "target_amount", "category_forecast", "weighted_forecast",
                 "historical_win_rate_forecast", "run_rate_forecast", "monte_carlo_p10", "monte_carlo_p50",
                 "monte_carlo_p90", "target_probability", "backtest_forecast", "forecast_accuracy", "forecast_bias",
                 "pipeline_inflow_amount", "pipeline_outflow_amount", "net_pipeline_flow", "open_pipeline_amount",
                 "commit_call_amount", "commit_accuracy", "commit_bias"]


def _where(report, actual: float, low: float, high: float) -> str:
    """Where the actual fell against the P10-P90 range, in words that survive rounding ("$4.1M" below
    "$4.1M-$5.9M" reads as a contradiction: it is "at the low end")."""
    if report.money(actual) == report.money(low):
        return "at the low end of it"
    if report.money(actual) == report.money(high):
        return "at the high end of it"
    return "inside it" if low <= actual <= high else ("below it" if actual < low else "above it")


def _mc_range(report, fx, row) -> tuple[str, bool]:
    """The Monte Carlo P10-P90 range of ``row`` in words (a single figure, with why, when it has no spread)."""
    return range_statement(row["low"], row["high"], report.money, open_deals=len(fx.scored_deals))


def _outlook(report, fx) -> tuple[str, dict, list]:
    o, a = fx.outlook, fx.outlook.attrs
    label, period = report.label, report.period.label
    mc = o.set_index("metric") if len(o) else pd.DataFrame()
    has_mc = "monte_carlo_p50" in mc.index
    target, closed = a.get("target"), a.get("closed")
    headlines, alerts = {}, []
    if not is_number(target) or target <= 0:
        text = f"{label} has no target for {period} in the data, so the forecast cannot be set against one"
        review = a.get("is_review") and is_number(a.get("actual"))
        if has_mc and review:  # a finished period: what was forecast then, and what it closed
            text += (f"; in week {report.settings.threshold('backtest_week'):g} ({say_date(a['forecast_date'])}) "
                     f"Monte Carlo put bookings at {_mc_range(report, fx, mc.loc['monte_carlo_p50'])[0]}, and it "
                     f"closed {report.money(a['actual'])}")
        elif has_mc:
            text += f"; Monte Carlo puts bookings at {_mc_range(report, fx, mc.loc['monte_carlo_p50'])[0]}"
        return text + ".", headlines, alerts
    if a.get("is_review") and is_number(a.get("actual")):
        actual = a["actual"]
        text = (f"{label} closed {period} at {report.money(actual)} against a {report.money(target)} target "
                f"({report.pct(actual / target)})")
        if has_mc:
            row = mc.loc["monte_carlo_p50"]
            stated, single = _mc_range(report, fx, row)
            where = _where(report, actual, row["low"], row["high"])
            if single:
                where = "at that figure" if report.money(actual) == report.money(row["low"]) else where
            text += (f"; in week {report.settings.threshold('backtest_week'):g} ({say_date(a['forecast_date'])}) the "
                     f"Monte Carlo {'forecast' if single else 'range'} was {stated}, with a "
                     f"{report.pct(a['target_probability'])} chance of target, and the outcome landed {where}")
        headlines["Bookings"] = report.money(actual)
        headlines["Attainment"] = report.pct(actual / target)
        return text + ".", headlines, alerts
    text = (f"{label} has closed {report.money(closed)} of its {report.money(target)} {period} target "
            f"({report.pct(closed / target)})")
    if has_mc and is_number(a.get("target_probability")):
        row = mc.loc["monte_carlo_p50"]
        prob = a["target_probability"]
        stated, single = _mc_range(report, fx, row)
        if single:
            text += (f"; the Monte Carlo forecast puts the quarter at {stated} (a {report.pct(prob)} chance of "
                     "reaching target)")
        else:
            text += (f"; the Monte Carlo forecast puts the quarter at {stated} (median {report.money(row['forecast'])}"
                     "), "
                     f"a {report.pct(prob)} chance of reaching target")
        headlines["Forecast (P50)"] = report.money(row["forecast"])
        headlines["Chance of target"] = report.pct(prob)
        limit = report.settings.threshold("target_probability_alert_below")
        if prob < limit:
            alerts.append({"message": f"{label}: only a {report.pct(prob)} chance of reaching the {period} target "
                                      f"(alert below {report.pct(limit)})",
                           "level": report.catalog.get("target_probability").alert.severity,
                           "anchor": heading_anchor("Will we hit the number?")})
    return text + ".", headlines, alerts


def _methods(report, fx) -> str | None:
    o = fx.outlook.dropna(subset=["forecast"])
    if len(o) < 2:
        return None
    spread = extremes(o.set_index("method")["forecast"], report.money)
    n = len(o)
    if spread.tied:  # every method says the same: no lowest and highest to name
        text = (f"{_then(report, fx)} all {n} methods gave {spread.low_text}" if fx.is_review else
                f"All {n} methods give {spread.low_text}")
    else:
        ranged = f"{_then(report, fx)} the {n} methods ranged" if fx.is_review else f"The {n} methods range"
        text = (f"{ranged} from {spread.low_text} ({names(spread.low)}) to {spread.high_text} "
                f"({names(spread.high)})")
    g = fx.by_level
    if {"monte_carlo_p50", "target_amount"} <= set(g.columns) and len(g):
        targeted = g[g["target_amount"] > 0]  # a group without a target neither reaches nor misses one
        if targeted.empty:
            whom = f"its one {report.level} has" if len(g) == 1 else f"none of the {plural(len(g), report.level)} has"
            return text + f"; {whom} a target above zero to measure {pronoun(len(g), case='object')} against."
        short = targeted.index[targeted["monte_carlo_p50"] < targeted["target_amount"]]
        n = len(targeted)
        untargeted = f" ({len(g) - n} without a target)" if n < len(g) else ""
        groups = {1: f"its one {report.level}", 2: f"both {noun(report.level)}"}.get(
            n, f"all {plural(n, report.level)}"
        )
        groups += " with a target" if untargeted else ""
        be = "was" if fx.is_review else "is"  # a review's median was a forecast
        are = verb(be, n)
        if len(short) == n:
            text += f"; {groups} {are} short of target on the Monte Carlo median{untargeted}"
        elif len(short):
            are = verb(be, len(short))
            text += (f"; {len(short)} of {plural(n, report.level)} {are} short of target on the Monte Carlo "
                     f"median{untargeted}: {names(list(short))}")
        else:
            # a review's median was a forecast, not the result ("reached target" beside a 0% attainment)
            text += f"; {groups} {are} forecast to reach target on the Monte Carlo median{untargeted}"
    return text + "."


def _backtest(report, fx) -> tuple[str, dict, list]:
    s = fx.backtest_summary
    if s.empty:
        return (f"There is no completed quarter in the data to backtest the methods for {mid(report.label)}.",
                {}, [])
    best, worst = s.iloc[0], s.iloc[-1]
    quarters = fx.backtest.dropna(subset=["accuracy"])["period"].nunique()
    when = "the last quarter" if quarters == 1 else f"each of the last {quarters} quarters"
    limit = report.settings.threshold("forecast_accuracy_alert_below")
    lead = ("so it is the one to lead with" if best["accuracy"] >= limit else  # never "lead with" an 8% method
            f"but under the {report.pct(limit)} alert line, so treat every method's forecast as indicative")
    text = (f"Rerun on the pipeline as it stood in {when}, {best['method']} has been "
            f"the most accurate forecast for {mid(report.label)} ({report.pct(best['accuracy'])} on average, bias "
            f"{signed_pct(best['bias'])}), {lead}")
    if len(s) > 1:
        direction = "over-calls" if worst["bias"] > 0 else "under-calls"
        text += (f"; {worst['method']} has been the least accurate ({report.pct(worst['accuracy'])}) and "
                 f"{direction} by {abs(worst['bias']):.0%}")
    headlines = {"Most accurate method": f"{best['method']} ({report.pct(best['accuracy'])})"}
    alerts = []
    if best["accuracy"] < limit:
        alerts.append(f"{report.label}: even the most accurate forecast method has been only "
                      f"{report.pct(best['accuracy'])} accurate (alert below {report.pct(limit)})")
    return text + ".", headlines, alerts


def _pipeline(report, fx) -> tuple[str | None, list]:
    t = fx.steps.set_index("key")["amount"]
    change = fx.trend_change
    parts = []
    if t.abs().sum() > 0:
        outflow = -t[["decreased", "won", "lost", "slipped_out"]].sum()
        parts.append(f"Since {report.period.label} began its pipeline went from {report.money(t['start'])} to "
                     f"{report.money(t['end'])}: {report.money(t[['created', 'pulled_in', 'increased']].sum())} came "
                     "in "
                     f"and {report.money(outflow)} went out ({report.money(-t['won'])} won, {report.money(-t['lost'])} "
                     "lost, "
                     f"{report.money(-t['slipped_out'])} slipped out)")
    alerts = []
    if change and is_number(change.get("change_13w")):
        moved = f"{abs(change['change_13w']):.0%}"
        word = ("unchanged on" if moved == "0%" else
                f"{'up' if change['change_13w'] > 0 else 'down'} {moved} on")
        # a finished period's page dates the figure: it is the as-of date's, after the period
        when = f" on {say_date(report.as_of)}" if fx.is_review else ""
        parts.append(f"all open pipeline stands at {report.money(change['now'])}{when}, {word} 13 weeks earlier")
        limit = report.settings.threshold("pipeline_trend_alert_below")
        if change["change_13w"] < limit:
            alerts.append(f"{report.label}: open pipeline shrank {abs(change['change_13w']):.0%} over 13 weeks")
    if not parts:
        return None, alerts
    return "; ".join(parts) + ".", alerts


def _then(report, fx) -> str:
    """When a review's forecast was made: "In week 7 (12 Aug 2026)" (never "as of": a page has one as-of date)."""
    return f"In week {report.settings.threshold('backtest_week'):g} ({say_date(fx.forecast_date)})"


def _strike_zone(report, fx) -> str | None:
    """The open deals in the strike zone: the period's while it runs; a finished period's review names those of
    the quarter in progress (:attr:`~quotabook.forecast.ForecastStudy.ranked_deals`), labelled as its outlook."""
    d = fx.ranked_deals
    if d.empty or d["win_rate"].isna().all():
        return None
    zone = d[d["in_strike_zone"]]
    overall = fx.zone.attrs.get("overall_win_rate")
    if not overall > 0:  # nothing won to learn from: every cell "wins at least" 0%, which says nothing
        return None
    period = (fx.deals_period if fx.looks_ahead else report.period).label
    lead = f"Outlook for {period}, as of {say_date(report.as_of)}: " if fx.looks_ahead else ""
    deals = "the 1 open deal" if len(d) == 1 else f"the {len(d)} open deals"
    if zone.empty:
        text = (f"none of {deals} dated in {period} sits in the strike zone (sizes and ages where similar deals "
                f"won at least the overall {report.pct(overall)}).")
        return lead + text if lead else text[0].upper() + text[1:]
    sit = verb("sits", len(zone))
    first = (f"the {period} {noun('deal', len(zone))} to work first" if fx.looks_ahead
             else f"work {'it' if len(zone) == 1 else 'those'} first")
    return (f"{lead}{len(zone)} of {deals} dated in {period} ({report.money(zone['amount'].sum())}) {sit} in the "
            f"strike zone, sizes and ages where similar deals won at least the overall {report.pct(overall)}: "
            f"{first}.")


def forecast_findings(report) -> Findings:
    """Three to five sentences on the forecast of ``report``'s scope and period, with headlines and alerts."""
    fx = study(report)
    first, headlines, alerts = _outlook(report, fx)
    third, more_headlines, more_alerts = _backtest(report, fx)
    fourth, pipeline_alerts = _pipeline(report, fx)
    sentences = [first, _methods(report, fx), third, fourth, _strike_zone(report, fx)]
    headlines.update(more_headlines)
    return Findings([s for s in sentences if s][:5], headlines, [*alerts, *more_alerts, *pipeline_alerts])
