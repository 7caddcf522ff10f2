"""Notebook 02 (funnel): its findings and charts on the hand-built funnel of tests/metrics/test_funnel.py, quarter
2026-Q1 (complete: the data runs to 10 May 2026), cohorts of that quarter alone (``quarters=1``).

Worked by hand:
- Closed in Q1 (close-date cohort): B and F won (East), D and E lost (West): win rate 2 / 4 = 50%, above the
  22–35% band; West 0 of 2, East 2 of 2. A closes in Q1 but is open, so it does not count.
- Against the benchmark bands by segment, only Enterprise Proposal→Won is below (0 of 2 against 15–30%), on far
  fewer than ten deals: named, flagged as thin, no alert.
- Largest drop: Proposal→Won, 3 of 4 proposals (75%).
- Stage spells ended in Q1: Solution 75 days (F, won) is the longest median; SMB Opportunity→Proposal took 36
  days against the benchmark 10–20.
- Open at 31 Mar: A (Ann, Proposal, 1,200) and C (Bob, Negotiation, 900): Ann holds 57% of 2,100.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import pandas as pd
import pytest

from quotabook.charts import category_color
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, frame
from quotabook.themes.funnel import data as views
from quotabook.themes.funnel import text as say
from quotabook.themes.funnel.charts import (
    STATUS_COLORS,
    conversion_vs_band,
    funnel,
    lost_by_stage,
    pipeline_by_rep,
    time_in_stage,
    win_rate,
)
from worked.funnel import HISTORY, LEADS, OPPORTUNITIES, TERRITORIES


def make_report(ds, region: str | None = None, period: str = "2026-Q1") -> Report:
    return Report(ds=ds, period=ds.period(period), region=region, catalog=load_catalog())


@pytest.fixture(scope="module")
def ds():
    """The funnel of tests/metrics/test_funnel.py, its history rows carrying each deal's amount (so the dataset
    can be taken back to the end of the quarter with its amounts)."""
    opps = frame(OPPORTUNITIES, "opportunities")
    history = frame(HISTORY, "opportunity_history")
    history["amount"] = history["opportunity_id"].map(opps.set_index("opportunity_id")["amount"])
    return build_dataset(territories=TERRITORIES, opportunities=opps, opportunity_history=history, leads=LEADS)


@pytest.fixture(scope="module")
def report(ds):
    return make_report(ds)


def colours(patches) -> list[str]:
    return [mcolors.to_hex(p.get_facecolor()) for p in patches]


# -- findings -----------------------------------------------------------------------------------------------
def test_findings_on_the_hand_built_funnel(report):
    found = say.funnel_findings(report, quarters=1)
    assert found.sentences == [
        "The district won 50% of the deals it closed in 2026-Q1 (2 of 4), above the 22–35% benchmark (CSO Insights "
        "2024, as cited); West is lowest at 0% (0 of 2), East highest at 100%.",
        "The funnel leaks most at Enterprise Proposal→Won: 0% (0 of 2) against the 15–30% benchmark for Enterprise, "
        "over the cohorts created 2026-Q1, on only 2: too few to be sure.",
        "The largest share drops at Proposal→Won: 75% of 4 proposals do not go on.",
        # L1 -> A (open) and L6 -> C (open): 2 of the 10 Q1 leads converted, neither deal is won yet.
        "Of the 10 leads created 2026-Q1, 20% (2) became an opportunity, none of them a won deal yet; recent leads "
        "are still converting.",
        "Deals spend longest in Solution (median 75 days); against the time-in-stage benchmarks, SMB "
        "Opportunity→Proposal is slowest against its band at 36 days (10–20 days).",
    ]  # five at most: the pipeline sentence ($2K open at 31 Mar, Ann 57%) gives way to the leads'
    assert say.pipeline_sentence(report, *say.pipeline_snapshot(report)) == (
        "$2K was open at 31 Mar 2026; Ann holds 57% of it, and the largest stage is Proposal (57%).")
    assert found.headlines == {"Win rate": "50%", "Biggest leak": "Enterprise Proposal→Won 0%",
                               "Slowest stage": "Solution, 75 days"}
    assert found.alerts == []  # win rate above its band; the leak rests on 2 deals


def test_a_win_rate_below_the_band_fires_an_alert(ds):
    west = make_report(ds.for_region("West"), region="West")
    text, headline, alerts = say.win_rate_sentence(west, views.win_rate_by(west.ds, west.period, by=west.level),
                                                   "CSO Insights 2024, as cited")
    assert text == ("West won 0% of the deals it closed in 2026-Q1 (0 of 2), below the 22–35% benchmark (CSO "
                    "Insights 2024, as cited).")  # one territory: no lowest / highest
    assert headline == {"Win rate": "0%"}
    assert alerts == [{"message": "West: win rate 0% is below the 22–35% benchmark", "level": "warning"}]


def test_a_leak_on_enough_deals_fires_an_alert(report):
    bench = pd.DataFrame({
        "segment": ["SMB", "Enterprise"], "step": ["Proposal→Won", "Lead→SAL"], "entered": [20.0, 40.0],
        "converted": [2.0, 2.0], "conversion": [0.10, 0.05], "low": [0.25, 0.08], "high": [0.40, 0.15],
    })
    text, headline, alerts = say.leak_sentence(report, views.leaks(bench), quarters=4)
    assert text == ("The funnel leaks most at SMB Proposal→Won: 10% (2 of 20) against the 25–40% benchmark for SMB, "
                    "over the cohorts created 2025-Q2 to 2026-Q1. 1 other segment step is below its band too.")
    assert headline == {"Biggest leak": "SMB Proposal→Won 10%"}
    assert alerts == [{"message": "The district: SMB Proposal→Won conversion 10% is below the 25–40% benchmark",
                       "level": "warning"}]
    inside = bench.assign(converted=[6.0, 4.0], conversion=[0.30, 0.10])
    text, headline, alerts = say.leak_sentence(report, views.leaks(inside), quarters=4)
    assert text.startswith("No step falls below the benchmark band for its segment") and alerts == []
    assert headline == {"Step to watch": "SMB Proposal→Won 30%"}
    # 30% is 20% above a 25% floor, 10% is 25% above an 8% one: SMB Proposal→Won is the closest.
    assert "SMB Proposal→Won at 30% (6 of 20) against 25–40%" in text


def test_the_window_and_the_pipeline_snapshot(report):
    assert say.window_label(report) == "2025-Q2 to 2026-Q1" and say.window_label(report, 1) == "2026-Q1"
    pipeline, when = say.pipeline_snapshot(report)
    assert when == "31 Mar 2026"
    assert pipeline.groupby("owner")["amount"].sum().to_dict() == {"Ann": 1200.0, "Bob": 900.0}


def test_without_leads_or_history_the_findings_still_speak(ds):
    bare = make_report(build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES))
    found = say.funnel_findings(bare, quarters=1)
    assert found.sentences[0].startswith("The district won 50%")
    assert "Time in stage not available: needs table opportunity_history." in found.sentences
    assert "Slowest stage" not in found.headlines


# -- charts -------------------------------------------------------------------------------------------------
def test_funnel_two_cohorts_with_their_counts(ds):
    fig = funnel(views.drop_off(ds, "2026-Q1"), window="2026-Q1")
    leads, opps = fig.axes
    assert [p.get_width() for p in leads.patches] == [10, 6, 4, 2]  # leads, SAL, SQL, converted
    assert [p.get_width() for p in opps.patches] == [5, 4, 1]  # created, Proposal, won
    assert set(colours(opps.patches)) == {category_color("Won")}
    assert fig._suptitle.get_text() == "The biggest drop is Proposal→Won: 75% of 4 proposals do not go on"


def test_conversion_against_the_band_colours_the_leak(ds):
    bench = views.benchmarks_by_segment(ds, "2026-Q1")
    fig = conversion_vs_band(bench, views.leaks(bench))
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == ["SMB", "Mid-Market", "Enterprise"]
    dots = panels[2].collections[0]
    assert mcolors.to_hex(dots.get_facecolors()[-1]) == STATUS_COLORS["below"]  # Enterprise Proposal→Won, 0%
    assert fig._suptitle.get_text() == "Enterprise Proposal→Won leaks most: 0% against 15–30%"


def test_win_rate_bars_against_the_band(ds):
    fig = win_rate(views.win_rate_by(ds, "2026-Q1", by="region"), scope="The district", period="2026-Q1")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() < 1]  # the bars (the band is a full-height span)
    assert [p.get_width() for p in bars] == [1.0, 0.0, 0.5]
    assert colours(bars) == [STATUS_COLORS["above"], STATUS_COLORS["below"], STATUS_COLORS["above"]]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["East", "West", "All of the district"]
    assert fig._suptitle.get_text() == "The district wins 50% of closed deals, above the 22–35% band; West lags at 0%"


def test_lost_deals_by_stage_and_time_in_stage(ds):
    lost = lost_by_stage(views.lost_from_stage(ds, "2026-Q1"))
    assert [p.get_width() for p in lost.axes[0].patches] == [1, 1]
    assert lost._suptitle.get_text() == "Most lost deals drop out of Qualification: 50% of 2"
    stages = time_in_stage(views.time_in_stage(ds, "2026-Q1"))
    ax = stages.axes[0]
    assert {mcolors.to_hex(c.patches[0].get_facecolor()) for c in ax.containers} == {category_color("Won"),
                                                                                    category_color("Lost")}
    # No stage has both won and lost spells in Q1, so the title names the slowest stage instead.
    assert stages._suptitle.get_text() == "Deals spend longest in Solution (median 75 days)"


def test_pipeline_by_rep_stacks_the_stages_and_keeps_dollars_literal(report):
    pipeline, when = say.pipeline_snapshot(report)
    fig = pipeline_by_rep(pipeline, currency="USD", when=when)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Ann", "Bob"]
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(2100)
    assert fig._suptitle.get_text() == r"Ann holds 57% of the open pipeline (\$1K of \$2K)"
    assert ax.get_title(loc="left") == "Open pipeline by rep and stage at 31 Mar 2026"
