"""Notebook 01 (activity ratios): its findings and charts on hand-built teams whose answers are worked out below.

InsightSquared's SDR team (tests/metrics/test_activity_ratios.py), quarter 2026-Q1, complete: 15,013 dials, 1,265
connects, 73 opportunities, 13 deals, no meetings, no goals, no leads. Dial:Deal 15,013 / 13 = 1,154.8 -> 1,155:1,
the example team's own figure. Dial:Connect 11.87 is within 5% of the example's 12 ("on a par"); Opp:Deal 5.6
beats its 6. Jeff Hornacek dials most (4,285) for 2 deals (2,143 per deal); Jared Dudley needs 662 per deal.
Rules of thumb: 73 deals created and 13 won over 4 reps x 3 months = 6.1 and 1.1 per rep per month; no deal is
open in Negotiation (the final open stage).

The small team (Ann, Bob) has goals for Q1: Ann 2 of 4 dials (50%) and 1 of 1 meeting held; Bob 0 of 10 dials.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset
from quotabook.themes.activity_ratios import data as views
from quotabook.themes.activity_ratios import text as say
from quotabook.themes.activity_ratios.charts import (
    TYPE_COLORS,
    activity_by_type,
    goal_attainment,
    volume_vs_efficiency,
    weekly_activity,
)
from worked.activity_ratios import ACTIVITIES, GOALS, LEADS, OPPORTUNITIES, TERRITORIES, sdr_dataset

ORANGE, BLUE = "#e69f00", "#0072b2"


def report(ds, region: str | None = None, period: str = "2026-Q1") -> Report:
    return Report(ds=ds, period=ds.period(period), region=region, catalog=load_catalog())


@pytest.fixture(scope="module")
def sdr():
    return report(sdr_dataset())


def team(as_of: str | None = None) -> Report:
    return report(build_dataset(as_of=as_of, territories=TERRITORIES, opportunities=OPPORTUNITIES,
                                activities=ACTIVITIES, activity_goals=GOALS, leads=LEADS))


def colours(ax) -> list[str]:
    return [mcolors.to_hex(p.get_facecolor()) for p in ax.patches]


# -- findings -----------------------------------------------------------------------------------------------
def test_findings_on_insightsquareds_team(sdr):
    found = say.activity_ratio_findings(sdr)
    assert found.sentences == [
        "The district's reps made 15,013 dials in 2026-Q1 and won 13 deals: one deal every 1,155 dials "
        "(Dial:Deal 1,155:1), where InsightSquared's example SDR team needed 1,155.",
        "Dial:Connect is the weakest link of the activity chain: at 12:1 it only matches the 12:1 of "
        "InsightSquared's example team (Opportunity:Deal 6:1 against 6:1); coach voicemails, emails, call times, "
        "lists.",
        "Jeff Hornacek dials the most (4,285) but needs 2,143 dials per deal, while Jared Dudley wins one every "
        "662 dials; Jared Dudley's weakest link is Connect:Meeting, which produced no meeting in 2026-Q1: coach "
        "explaining the product.",
        "Activity goals not available: needs table activity_goals.",
        "Against Scott Cowley's bare-minimum rules of thumb, each rep averages per month 6.1 deals created (below "
        "30–40) and 1.1 deals won (below 6–8), and holds 0.0 final-stage deals open (below 3–5).",
    ]
    assert found.headlines == {"Dials per deal": "1,155:1", "Weakest link": "Dial:Connect 12:1"}
    assert found.alerts == []


def test_reps_behind_their_goals_fire_an_alert():
    text, headline, alerts = say.goals_sentence(team(), views.goals_vs_results(team().ds, "2026-Q1"))
    assert text == ("Both reps are behind an activity goal (share of the goal done): Bob (dials 0%) and Ann "
                    "(dials 50%).")
    assert headline == {"Reps behind an activity goal": "2 of 2"}
    assert alerts == [{"message": "The district: both reps behind an activity goal (Bob and Ann)",
                       "level": "warning"}]


def test_a_quarter_under_way_is_read_against_its_pace():
    report = team(as_of="2026-02-14")  # 45 of the quarter's 90 days gone
    assert report.period_progress == pytest.approx(0.5)
    text, headline, _ = say.goals_sentence(report, views.goals_vs_results(report.ds, "2026-Q1"))
    # Ann's 2 of 4 dials is on pace half way through; Bob has none of his 10.
    assert text == ("1 of 2 reps is behind an activity goal (share of the quarter's goal done, with 50% of the "
                    "quarter gone): Bob (dials 0%).")
    assert headline["Reps behind an activity goal"] == "1 of 2"


def test_the_weakest_link_worse_than_the_example_team_names_what_to_coach():
    reference = pd.DataFrame({
        "Step": ["Dial:Connect", "Opportunity:Deal"], "Team": [18.0, 4.0], "Example team": [12.0, 6.0],
        "Team ÷ example": [1.5, 4 / 6], "Reading": ["worse", "better"],
        "Coach on": ["voicemails, emails, call times, lists", "qualifying and closing"],
    }, index=pd.Index(["dial_to_connect", "opportunity_to_deal"], name="metric"))
    text, headline = say.chain_sentence(reference)
    assert text == ("Dial:Connect is the weakest link of the activity chain: 18:1 against 12:1 in InsightSquared's "
                    "example team (Opportunity:Deal 4:1 against 6:1); coach voicemails, emails, call times, lists.")
    assert headline == {"Weakest link": "Dial:Connect 18:1"}


def test_without_activities_the_findings_say_what_is_missing():
    bare = report(build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES))
    found = say.activity_ratio_findings(bare)
    assert found.sentences[0] == "Activity counts not available: needs table activities."
    assert "Activity goals not available" in " ".join(found.sentences)
    assert "Dials per deal" not in found.headlines


# -- charts -------------------------------------------------------------------------------------------------
def test_activity_by_type_one_panel_per_type_in_the_type_colours(sdr):
    fig = activity_by_type(views.activity_counts(sdr.ds, sdr.period), scope="D", period="2026-Q1")
    # one panel per count metric, titled with its catalog label
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Dials", "Connects", "Emails", "Meetings booked",
                                                             "Meetings held"]
    assert list(TYPE_COLORS) == ["dial_count", "connect_count", "email_count", "meeting_booked_count",
                                 "meeting_held_count"]
    for ax, name in zip(fig.axes, TYPE_COLORS, strict=True):
        assert set(colours(ax)) == {TYPE_COLORS[name]}
    dials = fig.axes[0]
    assert [t.get_text() for t in dials.get_yticklabels()] == ["Jared Dudley", "Jeff Hornacek", "Shawn Marlon",
                                                              "Steve Nash"]
    assert dials.yaxis_inverted()  # first rep on top
    assert [p.get_width() for p in dials.patches] == [3973, 4285, 2911, 3844]  # the Total row is not a bar
    assert fig._suptitle.get_text() == ("Jeff Hornacek logs the most dials (4,285), 1.5 times as many as Shawn "
                                        "Marlon (2,911)")


def test_volume_against_efficiency_marks_the_team(sdr):
    counts, chain = views.activity_counts(sdr.ds, sdr.period), views.activity_chain(sdr.ds, sdr.period)
    fig = volume_vs_efficiency(counts, chain)
    left, right = fig.axes
    assert [p.get_width() for p in left.patches] == [3973, 4285, 2911, 3844]
    assert [p.get_width() for p in right.patches] == pytest.approx([3973 / 6, 4285 / 2, 2911 / 4, 3844])
    assert right.lines[0].get_xdata()[0] == pytest.approx(15013 / 13)
    assert fig._suptitle.get_text().replace("\n", " ") == (
        "Jeff Hornacek dials the most (4,285), but Jared Dudley needs the fewest dials per deal (662:1)")


def test_goal_attainment_colours_the_reps_behind():
    report = team()
    fig = goal_attainment(views.goals_vs_results(report.ds, "2026-Q1"))
    dials, meetings = fig.axes
    assert dials.get_title(loc="left") == "Dials" and meetings.get_title(loc="left") == "Meetings held"
    assert colours(dials) == [ORANGE, ORANGE]  # Ann 50%, Bob 0%
    assert colours(meetings)[0] == BLUE  # Ann's one meeting held: goal met
    assert [p.get_width() for p in dials.patches] == [0.5, 0.0]
    assert fig._suptitle.get_text() == "Both reps behind an activity goal; Bob furthest (dials at 0%)"
    running = goal_attainment(views.goals_vs_results(report.ds, "2026-Q1"), progress=0.5)
    assert colours(running.axes[0]) == [BLUE, ORANGE]  # at half time Ann's 50% is on pace
    assert any(line.get_xdata()[0] == 0.5 for line in running.axes[0].lines)  # the pace line


def test_weekly_activity_bars_and_the_trend_title():
    report = team()
    weekly = views.weekly_activity(report.ds, "2026-Q1")
    fig = weekly_activity(weekly)
    assert [len(ax.patches) for ax in fig.axes] == [12, 12, 12]
    assert [p.get_height() for p in fig.axes[0].patches][:2] == [2, 1]
    # No connect in the last four weeks: no trend to state.
    assert fig._suptitle.get_text().startswith("3 dials over 12 whole weeks")
    busy = weekly.assign(connect_count=[1.0] * 12, dial_count=[12.0] * 4 + [10.0] * 8)
    assert weekly_activity(busy)._suptitle.get_text() == (
        "Dial:Connect went from 12:1 in the first 4 weeks to 10:1 in the last 4 weeks")


def test_charts_say_what_is_missing_instead_of_failing():
    empty = views.activity_counts(build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES), "2026-Q1")
    fig = activity_by_type(empty)
    assert fig._suptitle.get_text() == "No activity to show"
    assert "needs table activities" in fig.axes[0].texts[0].get_text()
    no_goals = goal_attainment(views.goals_vs_results(sdr_dataset(), "2026-Q1"))
    assert no_goals._suptitle.get_text() == "Activity goals not available"
    assert np.isnan(views.chain_vs_reference(build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES),
                                             "2026-Q1").loc["dial_to_deal", "Team"])
