"""What the velocity notebook (03) says: its findings and the sales velocity arithmetic
(its tables are in :mod:`quotabook.themes.velocity.tables`).

The findings compare the sales cycle with the velocity alert (alert above 120
days), the aged share of open deals with the 20% alert, the value that slipped out of the period,
and the red-flag deals closing soon (InsightSquared). Every number comes from the metric catalog
(:meth:`Report.metrics`) or the velocity and integrity views; thresholds come from the workbook settings.
A metric the data cannot support (no change history) becomes a sentence saying so.
"""

from __future__ import annotations

import pandas as pd

from ...errors import unavailable_sentence
from ...findings import Findings
from ...text import NO_LOST, extremes, names, noun, one_sided, plural, say_date, verb
from . import data as views
from .integrity_data import flag_summary, riskiest_deals
from .integrity_text import integrity_sentence, md_text, red_flag_alert

__all__ = ["SCOPE_METRICS", "unavailable_note", "velocity_arithmetic", "velocity_findings", "when_open"]

SCOPE_METRICS = list(dict.fromkeys(["sales_cycle_days", "median_sales_cycle_days", *views.VELOCITY_FACTORS,
                                    "sales_velocity", "pipeline_aging_share", "aged_deal_count", "stale_deal_count",
                                    "slipped_amount", "won_count", "closed_count"]))


# -- wording helpers --------------------------------------------------------------------------------------
def _ongoing(report) -> bool:
    """Whether the period is not over at the report date (running, or not started): point-in-time counts
    are then taken on the report date, not at the period's end."""
    return not report.state.finished


def when_open(report) -> str:
    """When the point-in-time counts (aged, stale, open deals) are taken: the period's end, or today."""
    return f"on {say_date(report.as_of)}" if _ongoing(report) else f"at the end of {report.period.label}"


def _days(x: float) -> str:
    return f"{x:,.0f} days"


def _scope(report) -> tuple[pd.Series, dict]:
    """The scope's row of :data:`SCOPE_METRICS` and the notes of the metrics the data cannot support."""
    wide = report.metrics(SCOPE_METRICS, by=report.scope_level)
    row = wide.iloc[0] if len(wide) else pd.Series(dtype="float64")
    return row, dict(wide.attrs.get("unavailable", {}))


def _why(note: str) -> str:
    """What a metric needs, from its "<metric> not available: needs ..." note."""
    return note.split("not available: ", 1)[-1]


def _value(row: pd.Series, name: str) -> float:
    value = row.get(name, float("nan"))
    return float(value) if pd.notna(value) else float("nan")


# -- the findings ------------------------------------------------------------------------------------------
def _cycle(report, row: pd.Series, groups: pd.Series) -> tuple[str, list]:
    """The sales cycle against the velocity alert and the goal, the slowest group, and the alerts fired."""
    mean, median = _value(row, "sales_cycle_days"), _value(row, "median_sales_cycle_days")
    metric = report.catalog.get("sales_cycle_days")
    alert = metric.alert.value(report.settings)
    so_far = report.state.so_far()
    if pd.isna(mean):
        return f"No deal was won in {report.period.label}{so_far}, so there is no sales cycle to measure.", []
    goal = metric.benchmark.band[1] if metric.benchmark else None
    if metric.alert.fires(mean, report.settings):
        status = f"above the {alert:g}-day velocity alert"
    elif goal is not None and mean > goal:
        status = f"within the {alert:g}-day alert but over the {goal:g}-day goal"
    else:
        status = f"inside the {goal:g}-day goal" if goal is not None else f"within the {alert:g}-day alert"
    text = (f"Deals won in {report.period.label}{so_far} took {_days(mean)} on average from creation to the win "
            f"(median {median:,.0f}), {status}")
    groups = groups.dropna()
    slow = extremes(groups, _days)
    if slow is not None and slow.count > 1:  # a tie names no slowest group
        level = noun(report.level)
        text += (f"; {'both' if slow.count == 2 else 'all'} {level} took {slow.high_text}" if slow.tied else
                 f"; {names(slow.high)} {verb('is', len(slow.high))} slowest at {slow.high_text}")
    alerts = (
        [f"{report.label} sales cycle {_days(mean)}, above the {alert:g}-day alert"]
        if status.startswith("above")
        else []
    )
    alerts += [f"{name} sales cycle {_days(days)}, above the {alert:g}-day alert"
               for name, days in groups[groups > alert].items()]
    return text + ".", alerts


def _velocity(report, row: pd.Series) -> str:
    vel = _value(row, "sales_velocity")
    if pd.isna(vel):
        return f"Sales velocity cannot be worked out for {report.period.label}: it needs deals won in the period."
    deals = plural(_value(row, "open_deal_count"), "open deal")
    text = (f"Sales velocity is {report.money(vel)} of bookings per day: {deals} "
            f"× {report.pct(_value(row, 'win_rate'))} win rate × {report.money(_value(row, 'average_deal_size'))} "
            f"average deal ÷ {_days(_value(row, 'sales_cycle_days'))} of sales cycle")
    missing = one_sided(_value(row, "won_count"), _value(row, "closed_count"))
    if missing == NO_LOST:  # the 100% win rate, and the velocity with it, overstate
        text += f"; {missing}, so the win rate and the velocity built on it are overstated"
    return text + "."


def _aging(report, row: pd.Series, unavailable: dict) -> tuple[str, list]:
    if "pipeline_aging_share" in unavailable:
        return f"Pipeline aging is not available ({_why(unavailable['pipeline_aging_share'])}).", []
    share, t = _value(row, "pipeline_aging_share"), report.settings.threshold
    if pd.isna(share):
        return f"No deal was open {when_open(report)}, so nothing was aged or stale.", []
    limit = t("aging_alert_share")
    over = report.catalog.get("pipeline_aging_share").alert.fires(share, report.settings)
    text = (f"{report.pct(share)} of the {plural(_value(row, 'open_deal_count'), 'deal')} open {when_open(report)} "
            "were aged "
            f"(in their stage over {t('aging_stage_multiple'):g}× the won-deal median), "
            f"{'above' if over else 'within'} the {report.pct(limit)} alert; "
            f"{_value(row, 'stale_deal_count'):,.0f} were stale (no stage progress for {t('stale_days'):g} days, "
            f"{t('proposal_stale_days'):g} in Proposal).")
    alerts = (
        [f"{report.label}: {report.pct(share)} of open deals aged, above the {report.pct(limit)} alert"] if over else []
    )
    return text, alerts


def _slippage(report, unavailable: dict) -> tuple[str, list]:
    if "slipped_amount" in unavailable:
        return f"Slippage is not available ({_why(unavailable['slipped_amount'])}).", []
    s = views.slippage_table(report.ds, report.period, by=report.scope_level).iloc[0]
    red = report.settings.threshold("slippage_red_flag_pushes")
    p = report.period.label
    if s["slipped_amount"] > 0:
        text = (f"{report.money(s['slipped_amount'])} once expected in {p} slipped out of it "
                f"({plural(s['slipped_deals'], 'deal')})")
    else:
        text = f"Nothing expected in {p} slipped out of it"
    text += (f"; the {plural(s['deals'], 'deal')} dated in {p} had their close dates pushed "
             f"{s['close_date_push_count']:,.0f} times, {s['red_flag_deals']} of them {red:g} times or more.")
    alerts = [f"{report.label}: {plural(s['red_flag_deals'], 'deal')} dated in {p} pushed {red:g}+ times"] \
        if s["red_flag_deals"] else []
    return text, alerts


def velocity_findings(report) -> Findings:
    """The notebook's opening findings: sales cycle vs the alert, sales velocity, aged share vs 20%, value
    slipped, and red-flag deals closing soon; with four headlines and the alerts fired."""
    row, unavailable = _scope(report)
    groups = report.metrics(["sales_cycle_days"], by=report.level).get("sales_cycle_days", pd.Series(dtype="float64"))
    cycle, cycle_alerts = _cycle(report, row, groups)
    aging, aging_alerts = _aging(report, row, unavailable)
    slippage, slip_alerts = _slippage(report, unavailable)
    flags = flag_summary(report.ds)
    riskiest = riskiest_deals(report.ds, 1)
    sentences = [md_text(s) for s in (cycle, _velocity(report, row), aging, slippage,
                                      integrity_sentence(report, flags, riskiest))]
    a = flags.attrs
    headlines = {
        "Sales cycle": "–" if pd.isna(_value(row, "sales_cycle_days")) else _days(_value(row, "sales_cycle_days")),
        "Aged pipeline": "–"
        if "pipeline_aging_share" in unavailable
        else report.pct(_value(row, "pipeline_aging_share")),
        "Slipped value": "–" if "slipped_amount" in unavailable else report.money(_value(row, "slipped_amount")),
        "Red-flag deals closing soon": f"{a['at_risk']} ({report.money(a['at_risk_amount'])})",
    }
    alerts = cycle_alerts + aging_alerts + slip_alerts + [x for x in [red_flag_alert(report, flags)] if x]
    return Findings(sentences, headlines, alerts)


# -- text for the sections --------------------------------------------------------------------------------
def velocity_arithmetic(report):
    """The sales velocity formula with the scope's own numbers, as Markdown (or why it cannot be worked out)."""
    row, _ = _scope(report)
    if pd.isna(_value(row, "sales_velocity")):
        return report.markdown(md_text(_velocity(report, row)))
    return report.markdown(md_text(
        f"**{report.label}, {report.period.label}:** {_value(row, 'open_deal_count'):,.0f} open deals × "
        f"{report.pct(_value(row, 'win_rate'), 1)} win rate × {report.money(_value(row, 'average_deal_size'))} average "
        f"deal ÷ {_value(row, 'sales_cycle_days'):,.1f} days = **{report.money(_value(row, 'sales_velocity'))} per "
        "day**"
        f" (about {report.money(_value(row, 'sales_velocity') * 30)} a month)."))


def unavailable_note(report, *frames: pd.DataFrame):
    """Markdown listing what the frames could not compute (``attrs["unavailable"]``), or None when all could."""
    notes = dict.fromkeys(unavailable_sentence(n) for f in frames for n in f.attrs.get("unavailable", {}).values())
    return report.markdown(". ".join(notes) + ".") if notes else None
