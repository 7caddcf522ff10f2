"""Notebook 05 (forecast): findings, tables and charts on a hand-built district.

Territories T1 and T2 in East, T3 in West; report date 15 Aug 2026, 2026-Q3 running (targets 600K, 300K and
400K = 1.3M). Amounts in thousands:

- 2026-Q3: T1 won W1 300 (20 Jul) and has N1 400 in Negotiation, Commit; T2 has P1 200 in Proposal, Best Case;
  T3 has D1 500 in Discovery. Closed 300 of 1,300 (23%).
- 2026-Q2 (completed, for the backtests): T1 won W0 250, T3 won W00 100, T2 lost L0 150: 350 booked.
"""

from __future__ import annotations

import dataclasses

import matplotlib.colors as mcolors
import pytest

from quotabook.charts import category_color
from quotabook.forecast import study
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal, targets
from quotabook.themes.forecast import charts
from quotabook.themes.forecast.tables import table
from quotabook.themes.forecast.text import SHOWN_METRICS, forecast_findings

K = 1000.0
DEALS = [  # id, territory, created, close, stage, amount (K), category
    ("W1", "T1", "2026-06-01", "2026-07-20", "Closed Won", 300, "Closed"),
    ("N1", "T1", "2026-06-15", "2026-09-10", "Negotiation", 400, "Commit"),
    ("P1", "T2", "2026-07-01", "2026-09-20", "Proposal", 200, "Best Case"),
    ("D1", "T3", "2026-07-10", "2026-09-25", "Discovery", 500, "Pipeline"),
    ("W0", "T1", "2026-04-01", "2026-05-20", "Closed Won", 250, "Closed"),
    ("L0", "T2", "2026-04-01", "2026-06-10", "Closed Lost", 150, "Omitted"),
    ("W00", "T3", "2026-03-01", "2026-06-20", "Closed Won", 100, "Closed"),
]


def dataset(*, history: bool = True, as_of: str = "2026-08-15", deals=DEALS):
    opps = [deal(i, t, created=c, close=d, stage=s, amount=a * K, category=f) for i, t, c, d, s, a, f in deals]
    rows = []
    for i, _t, created, close, stage, amount, category in deals:
        closed = stage.startswith("Closed")
        rows.append({"opportunity_id": i, "changed_at": created, "stage": "Proposal" if closed else stage,
                     "amount": amount * K, "close_date": close,
                     "forecast_category": "Pipeline" if closed else category})
        if closed:
            rows.append({"opportunity_id": i, "changed_at": close, "stage": stage, "amount": amount * K,
                         "close_date": close, "forecast_category": category})
    goals = targets("2026-Q3", T1=600 * K, T2=300 * K, T3=400 * K) + targets("2026-Q2", T1=500 * K, T2=200 * K,
                                                                               T3=100 * K)
    return build_dataset(opps, targets=goals, history=rows if history else None, as_of=as_of)


def make_report(region: str | None = None, **kwargs) -> Report:
    ds = dataset(**kwargs)
    ds = ds.for_region(region)
    return Report(ds=ds, period=ds.period("2026-Q3"), region=region, catalog=load_catalog())


# -- findings --------------------------------------------------------------------------------------------------
def test_findings_read_the_outlook_methods_backtest_pipeline_and_strike_zone():
    report = make_report()
    fx = study(report)
    f = forecast_findings(report)
    mc = fx.outlook.set_index("metric").loc["monte_carlo_p50"]
    prob = fx.outlook.attrs["target_probability"]
    assert f.sentences[0] == (
        f"The district has closed $300K of its $1.3M 2026-Q3 target (23%); the Monte Carlo forecast puts the "
        f"quarter at {report.money(mc['low'])}–{report.money(mc['high'])} (median {report.money(mc['forecast'])}), a "
        f"{report.pct(prob)} chance of reaching target.")
    # category: 300 + 400 + half of 200 = 800; stage-weighted: 300 + 400 × 80% + 200 × 60% + 500 × 20% = 840
    by_metric = fx.outlook.set_index("metric")["forecast"]
    assert by_metric["category_forecast"] == 800 * K and by_metric["weighted_forecast"] == pytest.approx(840 * K)
    assert f.sentences[1].startswith(f"The 5 methods range from {report.money(by_metric.min())} (")
    best = fx.backtest_summary.iloc[0]
    assert f.sentences[2].startswith(f"Rerun on the pipeline as it stood in the last quarter, "
                                     f"{best['method']} has been the most accurate forecast for the district")
    assert f.sentences[3].startswith("Since 2026-Q3 began its pipeline went from ")
    assert "open deals dated in 2026-Q3" in f.sentences[4]
    assert f.headlines["Forecast (P50)"] == report.money(mc["forecast"])
    assert f.headlines["Chance of target"] == report.pct(prob)
    assert f.headlines["Most accurate method"].startswith(best["method"])
    if prob < 0.5:
        assert {"message": f"The district: only a {report.pct(prob)} chance of reaching the 2026-Q3 target (alert "
                           "below 50%)", "level": "critical", "anchor": "Will-we-hit-the-number?"} in f.alerts


def test_a_finished_quarter_is_judged_against_what_it_booked():
    report = make_report(as_of="2026-10-20")
    fx = study(report)
    assert fx.is_review and str(fx.forecast_date.date()) == "2026-08-12"   # week 7 of 2026-Q3
    f = forecast_findings(report)
    assert f.sentences[0].startswith("The district closed 2026-Q3 at $300K against a $1.3M target (23%); in week "
                                     "7 (12 Aug 2026) the Monte Carlo range was ")
    assert f.sentences[1].startswith("In week 7 (12 Aug 2026) the 5 methods ranged from ")
    assert f.headlines["Bookings"] == "$300K" and f.headlines["Attainment"] == "23%"
    # one as-of date per page: the forecast made mid-quarter is dated as such, never "as of" another day
    fig = charts.outlook_ranges(fx.outlook, scope=report.label, period="2026-Q3", currency="USD")
    assert fig.axes[0].get_title(loc="left") == "Forecast of 2026-Q3 bookings by method as it stood in week 7 " \
                                                 "(12 Aug 2026)"
    assert "as of" not in " ".join(f.sentences)


def test_a_finished_quarters_strike_zone_looks_ahead_to_the_quarter_in_progress():
    # Q4N, a 250K Commit at Negotiation dated 30 Nov, is open on 20 Oct; Q3's open deals are past (Q3 is over)
    report = make_report(
        as_of="2026-10-20", deals=[*DEALS, ("Q4N", "T1", "2026-09-01", "2026-11-30", "Negotiation", 250, "Commit")]
    )
    fx = study(report)
    assert fx.looks_ahead and fx.deals_period.label == "2026-Q4"
    assert fx.ranked_deals["opportunity_id"].tolist() == ["Q4N"]
    assert fx.deals_caption() == ("Outlook: open deals dated in 2026-Q4 with the highest expected value, as of "
                                  "20 Oct 2026")
    said = forecast_findings(report).sentences[-1]
    assert said.startswith("Outlook for 2026-Q4, as of 20 Oct 2026: ") and "2026-Q3" not in said
    assert "work those first" not in said and "work it first" not in said
    # while the quarter runs the list is its own, with no outlook
    live = study(make_report())
    assert not live.looks_ahead
    assert live.deals_caption() == "Open deals dated in 2026-Q3 with the highest expected value"


def test_a_region_reads_its_territories():
    report = make_report("East")
    f = forecast_findings(report)
    assert f.sentences[0].startswith("East has closed $300K of its $900K 2026-Q3 target (33%)")
    assert list(study(report).by_level.index) == ["T1", "T2"]


@pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")
def test_without_history_the_note_names_what_is_missing_and_nothing_crashes():
    report = make_report(history=False)
    fx = study(report)
    assert "Historical win-rate forecast (needs table opportunity_history)" in fx.note()
    f = forecast_findings(report)
    assert 3 <= len(f.sentences) <= 5
    assert "historical_win_rate_forecast" not in set(fx.outlook["metric"])


def test_tables_fit_the_page():
    report = make_report()
    fx = study(report)
    for frame, units in (fx.methods_table(), fx.backtest_table(), fx.flows_table(), fx.deals_table()):
        assert len(frame.columns) <= 8
        assert set(units) <= set(frame.columns)
    shown = table(report, fx.methods_table(), caption="Forecast").data
    assert shown.loc[2, "Category"] == "$800K" and shown.loc[0, "Target"] == "$900K"   # compact money fits
    assert shown.loc[0, "Chance of target"].endswith("%")
    methods, _ = fx.methods_table()
    assert methods["Region"].tolist() == ["East", "West", "District (total)"]
    assert methods.loc[2, "Category"] == 800 * K and methods.loc[0, "Target"] == 900 * K
    flows, _ = fx.flows_table()
    assert flows.iloc[-1]["End"] == pytest.approx(flows.iloc[-1]["Start"] + flows.iloc[-1]["Net flow"])
    assert set(SHOWN_METRICS) <= set(load_catalog().names)


# -- charts ------------------------------------------------------------------------------------------------------
def _same(c1, c2) -> bool:
    return mcolors.to_hex(c1) == mcolors.to_hex(c2)


def test_outlook_chart_draws_each_method_the_range_and_the_target():
    report = make_report()
    fx = study(report)
    fig = charts.outlook_ranges(fx.outlook, scope=report.label, period="2026-Q3", currency="USD")
    ax = fig.axes[0]
    title = fig._suptitle.get_text()
    assert title.startswith("The district: ") and "chance of reaching the" in title
    assert [t.get_text() for t in ax.get_yticklabels()] == fx.outlook["method"].tolist()
    target = [line for line in ax.get_lines() if line.get_label() == "Target"]
    assert target and _same(target[0].get_color(), category_color("Target"))
    assert target[0].get_xdata()[0] == 1300 * K
    ranges = [p for p in ax.patches if p.get_width() > 0]
    assert len(ranges) == 1 and _same(ranges[0].get_facecolor(), "#a6cee3")


def test_methods_chart_marks_each_method_per_group():
    report = make_report()
    fig = charts.methods_by_group(study(report).by_level, level="region", currency="USD")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["East", "West"]
    colours = {c.get_label(): mcolors.to_hex(c.get_facecolor()[0]) for c in ax.collections}
    assert colours["Category"] == mcolors.to_hex(charts.METHOD_COLORS["category_forecast"])
    assert colours["Target"] == mcolors.to_hex(category_color("Target"))


def test_backtest_chart_draws_the_best_method_thickest_over_the_benchmark_band():
    report = make_report()
    fx = study(report)
    fig = charts.backtest_lines(fx.backtest, fx.backtest_summary, scope=report.label, benchmark=(0.75, 0.85))
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    best = fx.backtest_summary.iloc[0]["method"]
    assert lines[best].get_linewidth() == 3.0
    assert fig._suptitle.get_text().startswith(f"{best} has been the most accurate forecast for the district")
    assert ax.get_ylabel() == "Accuracy"


def test_waterfall_bars_reconcile_and_wear_the_won_and_lost_colours():
    report = make_report()
    fx = study(report)
    fig = charts.pipeline_waterfall(fx.steps, scope=report.label, period="2026-Q3", currency="USD")
    bars = fig.axes[0].patches
    assert len(bars) == 9
    assert _same(bars[5].get_facecolor(), category_color("Won")) and _same(bars[6].get_facecolor(), category_color(
        "Lost"))
    assert bars[-1].get_height() == pytest.approx(fx.steps["amount"].iloc[:-1].sum())


def test_trend_and_strike_zone_charts():
    report = make_report()
    fx = study(report)
    fig = charts.pipeline_trend_area(fx.trend, scope=report.label, currency="USD", multiple=3.0)
    ax = fig.axes[0]
    assert any(line.get_label() == "3× the quarter's target" for line in ax.get_lines())
    assert fig._suptitle.get_text().startswith("The district's pipeline is ")
    heat = charts.strike_zone_heatmap(fx.zone, currency="USD")
    texts = [t.get_text() for t in heat.axes[0].texts]
    assert any(t.endswith("open") for t in texts) and heat._suptitle.get_text().startswith("Strike zone: deals ")


def test_groups_without_a_target_are_never_said_to_reach_it():
    """Every 2026-Q3 target is 0 (issue 15): no territory 'reached target on the Monte Carlo median'."""
    ds = dataset()
    ds = dataclasses.replace(ds, targets=ds.targets.assign(
        target_amount=ds.targets["target_amount"].where(ds.targets["period"] != "2026-Q3", 0.0)))
    report = Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())
    text = " ".join(forecast_findings(report).sentences)
    assert "target on the Monte Carlo median" not in text
    assert "; none of the 2 regions has a target above zero to measure them against." in text
