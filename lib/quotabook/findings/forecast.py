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

import math

import pandas as pd

from ..forecast import study
from . import Findings

__all__ = ["SHOWN_METRICS", "forecast_findings", "table"]

#: The catalog metrics the notebook shows (its glossary).
SHOWN_METRICS = ["closed_amount", "target_amount", "category_forecast", "weighted_forecast",
                 "historical_win_rate_forecast", "run_rate_forecast", "monte_carlo_p10", "monte_carlo_p50",
                 "monte_carlo_p90", "target_probability", "backtest_forecast", "forecast_accuracy", "forecast_bias",
                 "pipeline_inflow_amount", "pipeline_outflow_amount", "net_pipeline_flow", "open_pipeline_amount",
                 "commit_call_amount", "commit_accuracy", "commit_bias"]


def _ok(value) -> bool:
    return value is not None and pd.notna(value) and not (isinstance(value, float) and math.isinf(value))


def _mid(label: str) -> str:
    """The scope label inside a sentence: "the district", but "West" stays "West"."""
    return label[0].lower() + label[1:] if label.startswith("The ") else label


def _names(values: list[str], limit: int = 3) -> str:
    values = [str(v) for v in values]
    if len(values) > limit:
        return ", ".join(values[:limit]) + f" and {len(values) - limit} more"
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def table(rep, built: tuple[pd.DataFrame, dict], *, caption: str):
    """A table from :class:`~quotabook.forecast.ForecastStudy` (``(frame, units)``) formatted for the page: money
    in compact form ("$1.6M", "$542K", right-aligned) so eight columns fit the width, the rest by unit."""
    frame, units = built
    money = [c for c, unit in units.items() if unit == "currency" and c in frame]
    shown = frame.assign(**{c: frame[c].map(rep.money) for c in money})
    styler = rep.table(shown, {c: u for c, u in units.items() if c not in money}, caption=caption)
    return styler.set_properties(subset=money, **{"text-align": "right"}) if money else styler


def _where(rep, actual: float, low: float, high: float) -> str:
    """Where the actual fell against the P10-P90 range, in words that survive rounding ("$4.1M" below
    "$4.1M-$5.9M" reads as a contradiction: it is "at the low end")."""
    if rep.money(actual) == rep.money(low):
        return "at the low end of it"
    if rep.money(actual) == rep.money(high):
        return "at the high end of it"
    return "inside it" if low <= actual <= high else ("below it" if actual < low else "above it")


def _outlook(rep, fx) -> tuple[str, dict, list]:
    o, a = fx.outlook, fx.outlook.attrs
    label, period = rep.label, rep.period.label
    mc = o.set_index("metric") if len(o) else pd.DataFrame()
    has_mc = "monte_carlo_p50" in mc.index
    target, closed = a.get("target"), a.get("closed")
    headlines, alerts = {}, []
    if not _ok(target) or target <= 0:
        text = f"{label} has no target for {period} in the data, so the forecast cannot be set against one"
        if has_mc:
            row = mc.loc["monte_carlo_p50"]
            text += f"; Monte Carlo puts bookings at {rep.money(row['low'])}-{rep.money(row['high'])}"
        return text + ".", headlines, alerts
    if a.get("is_review") and _ok(a.get("actual")):
        actual = a["actual"]
        text = (f"{label} closed {period} at {rep.money(actual)} against a {rep.money(target)} target "
                f"({rep.pct(actual / target)})")
        if has_mc:
            row = mc.loc["monte_carlo_p50"]
            where = _where(rep, actual, row["low"], row["high"])
            text += (f"; on {a['forecast_date']:%B %d} (week {rep.settings.threshold('backtest_week'):g}) the Monte "
                     f"Carlo range was {rep.money(row['low'])}-{rep.money(row['high'])} with a "
                     f"{rep.pct(a['target_probability'])} chance of target, and the outcome landed {where}")
        headlines["Bookings"] = rep.money(actual)
        headlines["Attainment"] = rep.pct(actual / target)
        return text + ".", headlines, alerts
    text = (f"{label} has closed {rep.money(closed)} of its {rep.money(target)} {period} target "
            f"({rep.pct(closed / target)})")
    if has_mc and _ok(a.get("target_probability")):
        row = mc.loc["monte_carlo_p50"]
        prob = a["target_probability"]
        text += (f"; the Monte Carlo forecast puts the quarter at {rep.money(row['low'])}-{rep.money(row['high'])} "
                 f"(median {rep.money(row['forecast'])}), a {rep.pct(prob)} chance of reaching target")
        headlines["Forecast (P50)"] = rep.money(row["forecast"])
        headlines["Chance of target"] = rep.pct(prob)
        limit = rep.settings.threshold("target_probability_alert_below")
        if prob < limit:
            alerts.append(f"{label}: only a {rep.pct(prob)} chance of reaching the {period} target "
                          f"(alert below {rep.pct(limit)})")
    return text + ".", headlines, alerts


def _methods(rep, fx) -> str | None:
    o = fx.outlook.dropna(subset=["forecast"])
    if len(o) < 2:
        return None
    low, high = o.loc[o["forecast"].idxmin()], o.loc[o["forecast"].idxmax()]
    verb = f"On {fx.forecast_date:%B %d} the {len(o)} methods ranged" if fx.is_review else \
        f"The {len(o)} methods range"
    text = (f"{verb} from {rep.money(low['forecast'])} ({low['method']}) to "
            f"{rep.money(high['forecast'])} ({high['method']})")
    g = fx.by_level
    if {"monte_carlo_p50", "target_amount"} <= set(g.columns) and len(g):
        short = g.index[(g["target_amount"] > 0) & (g["monte_carlo_p50"] < g["target_amount"])]
        plural = {"territory": "territories", "region": "regions"}.get(rep.level, rep.level + "s")
        are = "were" if fx.is_review else "are"
        if len(short) == len(g):
            text += f"; all {len(g)} {plural} {are} short of target on the Monte Carlo median"
        elif len(short):
            are = are if len(short) > 1 else {"are": "is", "were": "was"}[are]
            text += f"; {len(short)} of {len(g)} {plural} {are} short of target on the Monte Carlo median: " \
                    f"{_names(list(short))}"
        else:
            text += f"; all {len(g)} {plural} {'reached' if fx.is_review else 'reach'} target on the Monte Carlo median"
    return text + "."


def _backtest(rep, fx) -> tuple[str, dict, list]:
    s = fx.backtest_summary
    if s.empty:
        return (f"There is not yet a completed quarter in the data to backtest the methods for {_mid(rep.label)}.",
                {}, [])
    best, worst = s.iloc[0], s.iloc[-1]
    quarters = fx.backtest.dropna(subset=["accuracy"])["period"].nunique()
    when = "the last quarter" if quarters == 1 else f"each of the last {quarters} quarters"
    text = (f"Rerun on the pipeline as it stood in {when}, {best['method']} has been "
            f"the most accurate forecast for {_mid(rep.label)} ({rep.pct(best['accuracy'])} on average, bias "
            f"{best['bias']:+.0%}), so it is the one to lead with")
    if len(s) > 1:
        direction = "over-calls" if worst["bias"] > 0 else "under-calls"
        text += (f"; {worst['method']} has been the least accurate ({rep.pct(worst['accuracy'])}) and "
                 f"{direction} by {abs(worst['bias']):.0%}")
    headlines = {"Most accurate method": f"{best['method']} ({rep.pct(best['accuracy'])})"}
    alerts = []
    limit = rep.settings.threshold("forecast_accuracy_alert_below")
    if best["accuracy"] < limit:
        alerts.append(f"{rep.label}: even the most accurate forecast method has been only "
                      f"{rep.pct(best['accuracy'])} accurate (alert below {rep.pct(limit)})")
    return text + ".", headlines, alerts


def _pipeline(rep, fx) -> tuple[str | None, list]:
    t = fx.steps.set_index("key")["amount"]
    change = fx.trend_change
    parts = []
    if t.abs().sum() > 0:
        outflow = -t[["decreased", "won", "lost", "slipped_out"]].sum()
        parts.append(f"Since {rep.period.label} began its pipeline went from {rep.money(t['start'])} to "
                     f"{rep.money(t['end'])}: {rep.money(t[['created', 'pulled_in', 'increased']].sum())} came in "
                     f"and {rep.money(outflow)} went out ({rep.money(-t['won'])} won, {rep.money(-t['lost'])} lost, "
                     f"{rep.money(-t['slipped_out'])} slipped out)")
    alerts = []
    if change and _ok(change.get("change_13w")):
        word = "up" if change["change_13w"] >= 0 else "down"
        parts.append(f"all open pipeline stands at {rep.money(change['now'])}, {word} "
                     f"{abs(change['change_13w']):.0%} on 13 weeks earlier")
        limit = rep.settings.threshold("pipeline_trend_alert_below")
        if change["change_13w"] < limit:
            alerts.append(f"{rep.label}: open pipeline shrank {abs(change['change_13w']):.0%} over 13 weeks")
    if not parts:
        return None, alerts
    return "; ".join(parts) + ".", alerts


def _strike_zone(rep, fx) -> str | None:
    d = fx.scored_deals
    if d.empty or d["win_rate"].isna().all():
        return None
    zone = d[d["in_strike_zone"]]
    overall = fx.zone.attrs.get("overall_win_rate")
    return (f"{len(zone)} of the {len(d)} open deals dated in {rep.period.label} ({rep.money(zone['amount'].sum())}) "
            f"sit in the strike zone, sizes and ages where similar deals won at least the overall "
            f"{rep.pct(overall)}: work those first.")


def forecast_findings(rep) -> Findings:
    """Three to five sentences on the forecast of ``rep``'s scope and period, with headlines and alerts."""
    fx = study(rep)
    first, headlines, alerts = _outlook(rep, fx)
    third, more_headlines, more_alerts = _backtest(rep, fx)
    fourth, pipeline_alerts = _pipeline(rep, fx)
    sentences = [first, _methods(rep, fx), third, fourth, _strike_zone(rep, fx)]
    headlines.update(more_headlines)
    return Findings([s for s in sentences if s][:5], headlines, [*alerts, *more_alerts, *pipeline_alerts])
