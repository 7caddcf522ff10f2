"""Notebook 03 (velocity): its findings, sales velocity arithmetic and charts on a hand-built district.

The district is :func:`worked.velocity.district` (two regions, as of 15 Apr 2026, period 2026-Q1), worked by hand
there; its tables are tested in tests/themes/velocity/test_tables.py.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import pandas as pd
import pytest

from quotabook.charts import category_color
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.themes.velocity import data as views
from quotabook.themes.velocity import integrity_data as integrity_views
from quotabook.themes.velocity import integrity_text as risk
from quotabook.themes.velocity import text as say
from quotabook.themes.velocity.charts import (
    OK_COLOR,
    WARN_COLOR,
    aging_bars,
    cohort_bars,
    no_data,
    sales_cycle_ranges,
    slippage_bars,
    stage_time_bars,
    velocity_bars,
)
from quotabook.themes.velocity.integrity_charts import red_flag_bars
from worked.velocity import district


def make_report(ds, period: str = "2026-Q1", region: str | None = None) -> Report:
    return Report(ds=ds, period=ds.period(period), region=region, catalog=load_catalog())


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report(district())


def plain(text: str) -> str:
    return text.replace("\\$", "$")


# -- findings ------------------------------------------------------------------------------------------------
def test_findings_sentences_are_computed_from_the_hand_worked_district(report):
    f = say.velocity_findings(report)
    assert [plain(s) for s in f.sentences] == [
        "Deals won in 2026-Q1 took 95 days on average from creation to the win (median 95), within the 120-day "
        "alert but over the 90-day goal; West is slowest at 130 days.",
        "Sales velocity is $28 of bookings per day: 2 open deals × 67% win rate × $2K average deal ÷ 95 days of "
        "sales cycle.",
        "50% of the 2 deals open at the end of 2026-Q1 were aged (in their stage over 1.5× the won-deal median), "
        "above the 20% alert; 2 were stale (no stage progress for 60 days, 45 in Proposal).",
        "$2K once expected in 2026-Q1 slipped out of it (1 deal); the 3 deals dated in 2026-Q1 had their close "
        "dates pushed 5 times, 1 of them 5 times or more.",
        # 2026-Q1 is over on 15 Apr: the deals closing soon lie after it, and the sentence says so
        "Outlook as of 15 Apr 2026, after 2026-Q1: 2 of the 2 open deals closing by 14 Jul 2026 carry at least one "
        "red flag, worth $3K; the riskiest is Echo Platform (Bob, $1K): no activity for 257 days.",
    ]
    assert all("$" not in s.replace("\\$", "") for s in f.sentences)       # Markdown-safe: no maths between $ signs


def test_findings_headlines_and_alerts(report):
    f = say.velocity_findings(report)
    assert f.headlines == {"Sales cycle": "95 days", "Aged pipeline": "50%", "Slipped value": "$2K",
                           "Red-flag deals closing soon": "2 ($3K)"}
    assert f.alerts == ["West sales cycle 130 days, above the 120-day alert",
                        "The district: 50% of open deals aged, above the 20% alert",
                        "The district: 1 deal dated in 2026-Q1 pushed 5+ times",
                        {"message": "The district: 2 red-flag deals worth $3K open on 15 Apr 2026 and dated to "
                                    "close by 14 Jul 2026", "level": "warning"}]


def test_findings_for_a_region_in_the_current_quarter_say_so_far_and_today():
    ds = district(as_of="2026-03-15")
    f = say.velocity_findings(make_report(ds, region="East"))
    assert f.sentences[0].startswith("Deals won in 2026-Q1 so far took 60 days on average")
    assert "open on 15 Mar 2026" in f.sentences[2]
    assert say.when_open(make_report(ds)) == "on 15 Mar 2026"


def test_findings_without_history_or_wins_say_what_is_missing():
    f = say.velocity_findings(make_report(district(with_history=False)))
    assert f.sentences[2] == "Pipeline aging is not available (needs table opportunity_history)."
    assert f.sentences[3] == "Slippage is not available (needs table opportunity_history)."
    assert f.headlines["Aged pipeline"] == "–" and f.headlines["Slipped value"] == "–"
    later = say.velocity_findings(make_report(district(as_of="2026-06-01"), period="2026-Q2"))
    assert later.sentences[0] == "No deal was won in 2026-Q2 so far, so there is no sales cycle to measure."
    assert later.sentences[1].startswith("Sales velocity cannot be worked out for 2026-Q2")
    assert later.headlines["Sales cycle"] == "–"


def test_velocity_arithmetic_reproduces_the_formula(report):
    text = plain(say.velocity_arithmetic(report).data)
    assert text == ("**The district, 2026-Q1:** 2 open deals × 66.7% win rate × $2K average deal ÷ 95.0 days = "
                    "**$28 per day** (about $842 a month).")
    table = views.sales_velocity_table(report.ds, report.period, by="district").iloc[0]
    assert table["sales_velocity"] == pytest.approx(2 * (2 / 3) * 2000 / 95)


def test_the_integrity_note_says_what_is_missing_without_history():
    assert "needs table opportunity_history" in risk.integrity_note(make_report(district(with_history=False))).data


# -- charts --------------------------------------------------------------------------------------------------
def _title(fig) -> str:
    return fig._suptitle.get_text()


def _rgba(color) -> tuple:
    return tuple(round(c, 3) for c in mcolors.to_rgba(color))


def test_sales_cycle_chart_marks_the_alert_and_names_the_slowest(report):
    stats = views.sales_cycle_stats(report.ds, report.period, by="region")
    fig = sales_cycle_ranges(stats, label="region", scope="The district", period="2026-Q1", alert_days=120,
                             goal_days=90)
    ax = fig.axes[0]
    assert _title(fig) == "1 of 2 regions average over the 120-day alert; slowest: West (median 130 days)"
    assert ax.get_xlabel() == "Sales cycle (days)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["West  (1 won)", "East  (1 won)"]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [120, 90]


def test_time_in_stage_chart_uses_the_won_and_lost_colours(report):
    fig = stage_time_bars(views.time_in_stage_won_vs_lost(report.ds, report.period), period="2026-Q1")
    ax = fig.axes[0]
    colours = {_rgba(p.get_facecolor()) for p in ax.patches}
    assert colours == {_rgba(category_color("Won")), _rgba(category_color("Lost"))}
    assert _title(fig) == "Lost deals did not linger longer than won ones in any stage"   # 31 vs 95 days


def test_velocity_and_slippage_titles_escape_dollars(report):
    fig = velocity_bars(
        views.sales_velocity_table(report.ds, report.period, by="region"),
        label="region",
        currency="USD",
        period="2026-Q1",
    )
    # West: 1 open × 1/1 won × 3,000 ÷ 130 days = 23.08; East: 1 open × 1/2 won × 1,000 ÷ 60 days = 8.33
    # in the table's one money format: $23 and $8, not a chart-only $23.1 (issue 16)
    assert _title(fig) == r"West books fastest, \$23 a day; East slowest at \$8"
    assert [t.get_text() for t in fig.axes[0].texts] == [r"\$23 per day", r"\$8 per day"]
    assert fig.axes[0].get_xlabel() == "Sales velocity (USD per day)"  # the catalog label and unit
    slip = views.slippage_table(report.ds, report.period, by="region")
    fig = slippage_bars(slip, label="region", currency="USD", period="2026-Q1")
    assert _title(fig) == r"\$2K slipped out of 2026-Q1; East accounts for \$2K"
    assert [round(p.get_width()) for p in fig.axes[0].patches] == [2000, 0]


def test_aging_chart_colours_groups_over_the_alert(report):
    summary = views.aging_summary(report.ds, report.period, by="region")
    fig = aging_bars(summary, label="region", alert_share=0.2, multiple=1.5, when="at the end of 2026-Q1")
    ax = fig.axes[0]
    assert _title(fig) == "1 of 2 regions are over the 20% aging alert; West worst at 100%"
    assert [_rgba(p.get_facecolor()) for p in ax.patches] == [_rgba(WARN_COLOR), _rgba(OK_COLOR)]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["West", "East"]


def test_cohort_chart_flags_slow_cohorts():
    cohorts = pd.DataFrame({"cohort": ["2026-01", "2026-02"], "won": [2, 1], "mean_cycle_days": [40.0, 100.0],
                            "vs_baseline": [-1 / 3, 2 / 3], "slow": [False, True]})
    cohorts.attrs["baseline_cycle_days"] = 60.0
    fig = cohort_bars(cohorts, slowdown=0.2)
    assert _title(fig) == "1 of 2 monthly cohorts ran over 20% slower than the 60-day baseline: 2026-02"
    assert [_rgba(p.get_facecolor()) for p in fig.axes[0].patches] == [_rgba(OK_COLOR), _rgba(WARN_COLOR)]


def test_red_flag_chart_counts_each_flag(report):
    summary = integrity_views.flag_summary(report.ds)
    fig = red_flag_bars(summary, currency="USD")
    assert _title(fig) == r"2 of 2 open deals closing by 14 Jul 2026 carry a red flag, worth \$3K"
    assert [p.get_width() for p in fig.axes[0].patches] == [0, 0, 0, 2]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] == "No activity for 21+ days"


def test_charts_with_nothing_to_plot_say_so():
    empty = pd.DataFrame(columns=["region", "won_deals", "sales_cycle_days", "median_sales_cycle_days", "q1_days",
                                  "q3_days"])
    fig = sales_cycle_ranges(empty, label="region", scope="East", period="2026-Q2", alert_days=120)
    assert _title(fig) == "East won no deal in 2026-Q2: no sales cycle to show"
    assert _title(no_data("Nothing", "at all")) == "Nothing"
