"""Findings and notes of the won / lost notebook (theme 7; InsightSquared, Scott Cowley).

:func:`won_lost_findings` opens the notebook with what the period's closed deals came to: bookings against
target and how many reps reached their goal, the win rate against the quarter before and the benchmark
band, the top loss reason, where in deal size the team wins, and how long won deals took. Results are
cohorted by close date (InsightSquared), so a finished quarter's figures are final; a running quarter's are to
date. Reasons, deal sizes and sales cycles are read over the trailing four quarters (InsightSquared's "previous
12 months"), trends over up to eight. Every number comes from the catalog through
:mod:`quotabook.themes.won_lost.data`; the wording lives here so it is tested; the goals table is in
:mod:`quotabook.themes.won_lost.tables`.
"""

from __future__ import annotations

import math

import pandas as pd

from ...findings import Findings
from ...metrics import format as fmt
from ...text import NO_LOST, extremes, mid, names, one_sided, part_of, plural, span, verb
from . import data as views

__all__ = ["SHOWN_METRICS", "TREND_QUARTERS", "WINDOW_QUARTERS", "benchmark", "customers_note", "won_lost_findings"]

#: Quarters in the trend charts, and in the window for reasons, deal sizes and sales cycles.
TREND_QUARTERS, WINDOW_QUARTERS = 8, 4
SCOPE_METRICS = ["won_count", "closed_amount", "target_amount", "attainment", "win_rate", "closed_count",
                 "lost_count", "average_deal_size"]
#: The metrics the notebook shows (its glossary).
SHOWN_METRICS = ["won_count", "lost_count", "closed_count", "closed_amount", "lost_amount", "target_amount",
                 "attainment", "gap", "win_rate", "average_deal_size", "sales_cycle_days", "median_sales_cycle_days",
                 "customer_count", "new_customer_count", "run_rate_revenue"]


def _band(low: float, high: float, report) -> str:
    """A deal-size band in words: "under $16K", "$16K–$31K", "$71K and over"."""
    if low <= 0:
        return f"under {report.money(high)}"
    if math.isinf(high):
        return f"of {report.money(low)} and over"
    return f"of {report.money(low)}–{report.money(high)}"


def benchmark(report, metric: str) -> tuple[tuple[float, float] | None, str]:
    """A metric's catalog benchmark band and its source as a reader should see it ("CSO Insights 2024, as
    cited"), or (None, "") when the catalog gives none."""
    bench = report.catalog.get(metric).benchmark
    if bench is None:
        return None, ""
    source = bench.source.split(", as cited")[0]
    return bench.band, (f"{source}, as cited" if "no source named" not in source else "")


def _scope(report) -> pd.Series:
    wide = report.metrics(SCOPE_METRICS, by=report.scope_level)
    return (wide.iloc[0] if len(wide) else pd.Series(dtype="float64")).reindex(SCOPE_METRICS)


def _window(report) -> tuple[str, str]:
    return views.trailing_window(report.ds, report.period, WINDOW_QUARTERS)


# -- sentences ------------------------------------------------------------------------------------------------
def _bookings_sentence(report, s: pd.Series, goals: pd.DataFrame, running: bool) -> str:
    period = report.period.label + report.state.so_far()
    if not s["won_count"] > 0:
        text = f"{report.label} {'won' if report.state.finished else 'has won'} no deal in {period}"
        return text + (f" against a {report.money(s['target_amount'])} target." if s["target_amount"] > 0 else ".")
    text = (f"{report.label} booked {report.money(s['closed_amount'])} from {plural(s['won_count'], 'won deal')} in "
            f"{period} "
            f"(average {report.money(s['average_deal_size'])})")
    if s["target_amount"] > 0:
        text += f", {report.pct(s['attainment'])} of its {report.money(s['target_amount'])} target"
    with_goal = goals[goals["target_amount"] > 0] if "target_amount" in goals else goals.iloc[0:0]
    if len(with_goal):
        hit = int((with_goal["attainment"] >= 1).sum())
        if len(with_goal) == 1:
            did = ("has reached" if running else "reached") if hit else ("has not reached" if running
                                                                            else "did not reach")
            text += f"; its one rep with a goal, {with_goal['owner'].iloc[0]}, {did} it"
        else:
            did = f"{verb('has', hit)} reached" if running else "reached"
            text += f"; {part_of(hit, len(with_goal), 'rep')} {did} their goal"
    return text + "."


def _win_rate_sentence(report, s: pd.Series, trend: pd.DataFrame) -> str:
    if not s["closed_count"] > 0:
        return f"No deal closed in {report.period.label}, so there is no win rate yet."
    text = f"It won {report.pct(s['win_rate'])} of the {plural(s['closed_count'], 'deal')} it closed"
    # Quarters before the period (quarter labels sort in time; a half, a year or a range starts in its first one).
    first = report.ds.calendar.period_of(report.period.start).label
    earlier = trend[(trend["period"] < first) & (trend["closed_count"] > 0)]
    if len(earlier):
        prev = earlier.iloc[-1]
        now, before = round(s["win_rate"], 2), round(prev["win_rate"], 2)  # as the percentages read
        move = "up from" if now > before else "down from" if now < before else "level with"
        text += f", {move} {report.pct(prev['win_rate'])} in {prev['period']}"
    band, source = benchmark(report, "win_rate")
    missing = one_sided(s["won_count"], s["closed_count"])
    if missing == NO_LOST:  # a 100% rate with no loss recorded says what the data lacks, not how the team sells
        return text + f"; {missing} in {report.period.label}, so it is not set against a benchmark."
    if band is not None:
        low, high = band
        where = "below" if s["win_rate"] < low else "above" if s["win_rate"] > high else "within"
        band_words = fmt.band([low], [high]).iloc[0]  # "22–35%", as the funnel page says it
        text += f", {where} the {band_words} benchmark band" + (
            f" ({source})" if source else ""
        )
    return text + "."


def _loss_sentence(report, lost: pd.DataFrame) -> str:
    window = span(lost.attrs.get("period", ""))
    if lost.empty:
        if "lost_by_reason" in lost.attrs.get("unavailable", {}):
            return "Loss reasons are not recorded in this data (needs column opportunities.loss_reason)."
        return f"No deal was lost over {window}."
    top, total = lost.iloc[0], lost["lost_count"].sum()
    value = (f"{report.money(top['lost_amount'])} of value" if top["lost_amount"] > 0
             else "with no amount recorded")  # lost deals zeroed by the CRM: their value is unknown, not $0
    ties = lost.loc[lost["lost_count"] == top["lost_count"], "loss_reason"].astype(str).tolist()
    if top["lost_count"] == total:
        every = {1: "the one lost deal", 2: "both lost deals"}.get(int(total), f"all {total:.0f} lost deals")
        return f"{top['loss_reason']} is the reason given for {every} over {window}, {value}."
    if len(ties) > 1:  # no single top reason
        return (f"{names(ties)} are the top loss reasons over {window}, {top['lost_count']:.0f} of "
                f"{total:.0f} lost deals ({report.pct(top['count_share'])}) each.")
    return (f"{top['loss_reason']} is the top loss reason over {window}: {top['lost_count']:.0f} of "
            f"{plural(total, 'lost deal')} ({report.pct(top['count_share'])}), {value}.")


def _size_sentence(report, bands: pd.DataFrame) -> str:
    """Where in deal size the team wins most and least. Bands with the same win rate are one finding, not a
    best and a worst; closed deals without an amount (which no band can hold) are said to be left out."""
    data = bands[bands["closed_count"] > 0].reset_index(drop=True)
    window = span(bands.attrs.get("period", ""))
    unplaced = {k: n for k, n in (bands.attrs.get("unplaced") or {}).items() if n}
    note = ""
    if unplaced:
        left = names([plural(n, f"{kind} deal") for kind, n in unplaced.items()])
        # a lost deal the CRM zeroed is recorded at 0, not blank: both have no size, and the sentence says so
        note = (f"; {left} at {report.money(0)} or without an amount cannot be placed in a size band and "
                f"{verb('is', sum(unplaced.values()))} left out")
    if len(data) < 2:
        return f"Win rate by deal size cannot be read over {window}{note}." if note else ""
    labels = [_band(low, high, report) for low, high in zip(data["band_low"], data["band_high"], strict=True)]
    ex = extremes(pd.Series(data["win_rate"].to_numpy(), index=labels), report.pct)
    if ex.tied:
        return f"By deal size, it wins {ex.low_text} of deals in every size band ({window}{note})."
    return (f"By deal size, it wins {ex.high_text} of deals {names(ex.high)} and {ex.low_text} of deals "
            f"{names(ex.low)} ({window}{note}).")


def _cycle_sentence(report, cycle: pd.DataFrame) -> str:
    data = cycle[cycle["won_count"] > 0]
    if data.empty:
        return ""
    mean = (data["sales_cycle_days"] * data["won_count"]).sum() / data["won_count"].sum()
    text = f"Won deals took {mean:.0f} days from creation on average over {span(cycle.attrs.get('period', ''))}"
    ex = extremes(data.set_index("owner")["sales_cycle_days"], lambda d: f"{d:.0f}")
    if ex.count < 2:
        return text + "."
    if ex.tied:  # no fastest or slowest to name
        return text + f"; {'both' if ex.count == 2 else f'all {ex.count}'} reps took {ex.low_text} days."
    fast = f"{names(ex.low)} {verb('is', len(ex.low))} fastest at {ex.low_text} days"
    return text + f"; {fast} and {names(ex.high)} slowest at {ex.high_text}."


def _alerts(report, cycle: pd.DataFrame) -> list[dict]:
    """sales_cycle_days' catalog alert (above velocity_alert_days), per rep over the window."""
    limit = report.settings.threshold("velocity_alert_days")
    slow = cycle[(cycle["won_count"] > 0) & (cycle["sales_cycle_days"] > limit)]
    if slow.empty:
        return []
    who = names([f"{r.owner} ({r.sales_cycle_days:.0f} days)" for r in slow.itertuples()])
    return [{"message": f"Sales cycle over {limit:g} days: {who}", "level": "warning"}]


def won_lost_findings(report) -> Findings:
    """Three to five sentences on what the period's closed deals came to, with headlines and alerts.

    Parameters
    ----------
    rep : :class:`quotabook.notebook.Report` for a region or the district.
    """
    s = _scope(report)
    running = report.state.running
    first, last = _window(report)
    trend_first, _ = views.trailing_window(report.ds, report.period, TREND_QUARTERS)
    goals = views.closed_vs_goals(report.ds, report.period)
    trend = views.win_rate_over_time(report.ds, trend_first, last)
    lost = views.lost_by_reason(report.ds, first, last)
    bands = views.win_rate_by_deal_size(report.ds, first, last)
    cycle = views.sales_cycle_by_rep(report.ds, first, last)
    sentences = [_bookings_sentence(report, s, goals, running), _win_rate_sentence(report, s, trend),
                 _loss_sentence(report, lost), _size_sentence(report, bands), _cycle_sentence(report, cycle)]
    headlines = {
        "Bookings": report.money(s["closed_amount"]),
        report.catalog.get("win_rate").label: report.pct(s["win_rate"]),
        "Average deal size": report.money(s["average_deal_size"]),
    }
    if s["target_amount"] > 0:
        headlines["Attainment"] = report.pct(s["attainment"])
    return Findings(sentences=[x for x in sentences if x][:5], headlines=headlines, alerts=_alerts(report, cycle))


# -- notes -----------------------------------------------------------------------------------------------------


def customers_note(report, customers: pd.DataFrame):
    """Markdown: customers and run rate at the end of the period, or what the data lacks for them."""
    unavailable = customers.attrs.get("unavailable", {})
    if customers.empty:
        return report.markdown("*Customers and run rate: no quarter with data in the window.*")
    last = customers.iloc[-1]
    state = report.ds.period(last["period"]).state(report.as_of)
    when = state.to_date()
    parts = []
    if "run_rate_revenue" in customers:
        parts.append(f"a revenue run rate of {report.money(last['run_rate_revenue'])} a year (the last three months' "
                     "bookings × 4)")
    if "customer_count" in customers:
        parts.append(f"{last['customer_count']:.0f} customers, {last['new_customer_count']:.0f} of them new in the "
                     f"quarter (counted from the first quarter of data, {customers['period'].iloc[0]})")
    has = "had" if not (state.running or state.future) else "has"  # a finished quarter is told in the past
    text = f"At {when}, {mid(report.label)} {has} " + " and ".join(parts) + "." if parts else ""
    by_need: dict[str, list[str]] = {}
    for name, note in unavailable.items():
        by_need.setdefault(note.split("not available: ")[-1], []).append(report.catalog.get(name).label)
    missing = [f"{names(labels)} {verb('is', len(labels))} not available for this data ({need})"
               for need, labels in by_need.items()]
    if missing:
        text = (text + " " if text else "") + "; ".join(missing) + "."
    return report.markdown(text)
