"""Notebook 06 (won / lost): its findings, notes and charts on the hand-built district of
:mod:`worked.won_lost` (its answers worked by hand there); the goals table is tested in
tests/themes/won_lost/test_tables.py."""

from __future__ import annotations

import io

import matplotlib.colors as mcolors
import numpy as np
import pytest

from quotabook.charts import category_color
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal
from quotabook.themes.won_lost import data as views
from quotabook.themes.won_lost import tables
from quotabook.themes.won_lost import text as say
from quotabook.themes.won_lost.charts import (
    bookings_bars,
    closed_vs_goals_bars,
    customers_and_run_rate,
    lost_reason_bars,
    sales_cycle_bars,
    win_rate_by_size_bars,
    win_rate_trend,
)
from worked.won_lost import K, make_report


# -- findings --------------------------------------------------------------------------------------------------
def test_findings_read_bookings_win_rate_losses_deal_size_and_cycle():
    report = make_report()
    f = say.won_lost_findings(report)
    bands = views.win_rate_by_deal_size(report.ds, "2026-Q2", "2026-Q3")
    best, worst = bands.loc[bands["win_rate"].idxmax()], bands.loc[bands["win_rate"].idxmin()]
    assert f.sentences[:3] == [
        "The district booked $1.3M from 3 won deals in 2026-Q3 (average $433K), 52% of its $2.5M target; "
        "1 of 3 reps reached their goal.",
        "It won 50% of the 6 deals it closed, up from 33% in 2026-Q2, above the 22–35% benchmark band "
        "(CSO Insights 2024, as cited).",
        # Price and Budget both lost 2 of 5: a tie, so neither is "the" top reason
        "Price and Budget are the top loss reasons over 2026-Q2 to 2026-Q3, 2 of 5 lost deals (40%) each.",
    ]
    assert f.sentences[3].startswith(f"By deal size, it wins {best['win_rate']:.0%} of deals ")
    assert f" and {worst['win_rate']:.0%} of deals " in f.sentences[3]
    assert f.sentences[4] == ("Won deals took 57 days from creation on average over 2026-Q2 to 2026-Q3; Ann is "
                              "fastest at 47 days and Bob slowest at 89.")
    assert f.headlines == {"Bookings": "$1.3M", "Win rate": "50%", "Average deal size": "$433K",
                           "Attainment": "52%"}
    assert f.alerts == []


def test_a_sales_cycle_over_the_alert_fires():
    f = say.won_lost_findings(make_report(slow_bob=True))  # B1 created 2 Jan, won 31 Jul: 210 days
    assert f.alerts == [{"message": "Sales cycle over 120 days: Bob (210 days)", "level": "warning"}]


def test_a_running_quarter_is_to_date():
    report = make_report(as_of="2026-08-25")
    f = say.won_lost_findings(report)
    assert f.sentences[0].startswith("The district booked $1.3M from 3 won deals in 2026-Q3 so far")
    assert f.sentences[0].endswith("; 1 of 3 reps has reached their goal.")
    assert views.quarter_in_progress(report.ds, report.period) == "2026-Q3"


# -- notes -----------------------------------------------------------------------------------------------------
def test_customers_note_counts_customers_or_says_what_is_missing():
    report = make_report()
    customers = views.customers_over_time(report.ds, "2026-Q2", "2026-Q3")
    text = say.customers_note(report, customers).data.replace("\\$", "$")  # Markdown escapes the dollars
    # Accounts won: A0 in Q2; A1, A2, B1 in Q3. Run rate: Q3 bookings 1,300 × 4.
    assert text.startswith("At the end of 2026-Q3, the district had a revenue run rate of $5.2M a year")
    assert "4 customers, 3 of them new in the quarter" in text
    running = make_report(as_of="2026-08-25")  # the quarter still runs: the present tense, 'to date'
    text = say.customers_note(running, views.customers_over_time(running.ds, "2026-Q2", "2026-Q3")).data
    assert text.startswith("At 2026-Q3 to date, the district has a revenue run rate of ")
    bare = make_report(accounts=False)
    text = say.customers_note(bare, views.customers_over_time(bare.ds, "2026-Q2", "2026-Q3")).data.replace("\\$", "$")
    assert "Customers and New customers are not available for this data" in text
    assert "opportunities.account_id" in text and "run rate of $5.2M" in text


def test_benchmark_gives_the_band_and_a_reader_facing_source():
    assert say.benchmark(make_report(), "win_rate") == ((0.22, 0.35), "CSO Insights 2024, as cited")
    assert say.benchmark(make_report(), "won_count") == (None, "")


# -- charts ------------------------------------------------------------------------------------------------------
def _same(a, b) -> bool:
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def test_closed_vs_goals_chart_draws_won_bars_and_target_ticks():
    report = make_report()
    fig = closed_vs_goals_bars(views.closed_vs_goals(report.ds, report.period), currency="USD", scope=report.label)
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == "The district: 1 of 3 reps reached their 2026-Q3 goal; Ann leads at 120%"
    assert [p.get_width() for p in ax.patches] == [1200 * K, 100 * K, 0.0]
    assert all(_same(p.get_facecolor(), category_color("Won")) for p in ax.patches)
    ticks = ax.collections[0]
    assert _same(ticks.get_facecolor()[0], category_color("Target"))
    assert [t.get_text() for t in ax.texts] == ["2 won · 120%", "1 won · 20%", "0 won · 0%"]


def test_win_rate_trend_plots_the_rates_against_the_band():
    report = make_report()
    trend = views.win_rate_over_time(report.ds, "2026-Q2", "2026-Q3")
    fig = win_rate_trend(trend, scope=report.label, benchmark=(0.22, 0.35), benchmark_source="CSO Insights 2024")
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == ("The district won 50% of the deals it closed in 2026-Q3, up from 33% in "
                                        "2026-Q2")
    assert np.allclose(ax.get_lines()[0].get_ydata(), [1 / 3, 0.5])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026-Q2", "2026-Q3"]


def test_lost_reason_bars_use_the_lost_colour_most_frequent_first():
    report = make_report()
    fig = lost_reason_bars(views.lost_by_reason(report.ds, "2026-Q2", "2026-Q3"), currency="USD", scope=report.label)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Price", "Budget", "Timing"]
    assert [p.get_width() for p in ax.patches] == [2.0, 2.0, 1.0]
    assert all(_same(p.get_facecolor(), category_color("Lost")) for p in ax.patches)
    assert fig._suptitle.get_text() == ("Price and Budget are the district's top loss reasons: 2 of 5 lost deals "
                                        "(40%) each")  # a tie, as the findings say


def test_win_rate_by_size_labels_bands_in_compact_money():
    report = make_report()
    bands = views.win_rate_by_deal_size(report.ds, "2026-Q2", "2026-Q3", edges=[0, 150 * K, np.inf])
    fig = win_rate_by_size_bars(bands, currency="USD", scope=report.label)
    ax = fig.axes[0]
    # Under 150K: A0 won; BL0, CL0, BL2 lost; B1 won -> 2 of 5. 150K and over: A1, A2 won; BL1, CL1 lost -> 2 of 4.
    assert [t.get_text() for t in ax.get_xticklabels()] == [r"under \$150K", r"\$150K+"]
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.4, 0.5]


def test_sales_cycle_bars_rank_the_fastest_rep_first_with_goal_and_alert_lines():
    report = make_report()
    fig = sales_cycle_bars(views.sales_cycle_by_rep(report.ds, "2026-Q2", "2026-Q3"), scope=report.label, goal_days=90,
                           alert_days=120)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Ann (3 won)", "Bob (1 won)"]
    assert [round(p.get_width(), 2) for p in ax.patches] == [46.67, 89.0]
    assert {line.get_label() for line in ax.get_lines()} == {"Goal: under 90 days", "Alert: over 120 days"}


def test_bookings_and_customers_charts_mark_a_running_quarter_and_missing_data():
    report = make_report()
    trend = views.bookings_trend(report.ds, "2026-Q2", "2026-Q3")
    fig = bookings_bars(trend, currency="USD", scope=report.label, to_date="2026-Q3")
    left = fig.axes[0]
    assert [p.get_height() for p in left.patches] == [100 * K, 1300 * K]
    assert left.get_xticklabels()[1].get_text() == "2026-Q3\n(to date)"
    assert fig._suptitle.get_text() == r"The district booked \$1.3M in 2026-Q3 so far"
    bare = make_report(accounts=False)
    fig = customers_and_run_rate(views.customers_over_time(bare.ds, "2026-Q2", "2026-Q3"), currency="USD",
                                 scope=bare.label)
    assert fig.axes[1].texts[0].get_text() == "Customers: not available for this data"
    assert fig._suptitle.get_text() == r"The district at the end of 2026-Q3: run rate \$5.2M a year"


@pytest.mark.parametrize("chart", [win_rate_trend, sales_cycle_bars])
def test_charts_with_nothing_closed_say_so(chart):
    ds = build_dataset([deal("O1", close="2026-08-15")], as_of="2026-08-20")
    frame = (views.win_rate_over_time(ds, "2026-Q3") if chart is win_rate_trend
             else views.sales_cycle_by_rep(ds, "2026-Q3"))
    fig = chart(frame, scope="East")
    assert not fig.axes[0].axison


def test_goals_table_and_chart_without_targets_leave_the_goal_empty():
    ds = build_dataset([deal("W1", close="2026-07-20", stage="Closed Won", amount=600 * K, created="2026-05-01")],
                       as_of="2026-10-15")
    report = Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())
    goals = views.closed_vs_goals(ds, report.period)
    table = tables.goals_table(report, goals).data
    assert table["Rep"].tolist() == ["Ann", "Bob", "Cy"] and set(table["Goal"]) == {"–"}
    fig = closed_vs_goals_bars(goals, currency="USD", scope=report.label)
    assert fig._suptitle.get_text() == "The district: won value per rep in 2026-Q3"  # not "0 of 0 reps reached"
    assert fig.axes[0].get_title(loc="left").endswith("Goals not available: needs table targets.")
    fig.savefig(io.BytesIO(), format="svg")  # drawing it raised matplotlib's ConversionError (issue 14)
    first = say.won_lost_findings(report).sentences[0]
    assert first == "The district booked $600K from 1 won deal in 2026-Q3 (average $600K)."
