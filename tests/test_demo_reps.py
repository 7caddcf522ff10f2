"""What the README promises the demo's reps show on the forecast-trust and scorecard pages: one rep whose
Commit calls consistently run high, one who sandbags, and two new hires ramping. If the demo changes, this
fails and the README's list must be updated with it."""

from __future__ import annotations

import pytest

import quotabook as qb
from quotabook.forecast import trust
from quotabook.metrics import compute_wide, load_catalog
from quotabook.notebook import Report
from quotabook.rep_scorecards import text
from quotabook.rep_scorecards.data import scorecards

pytestmark = pytest.mark.xdist_group("demo_reps")  # module fixtures built once, on one worker


@pytest.fixture(scope="module")
def demo():
    return qb.load("demo")


@pytest.fixture(scope="module")
def calls(demo):
    return trust.commit_accuracy(trust.commit_history(demo, quarters=4))


def test_olivia_bennett_over_calls_commit_quarter_after_quarter(calls):
    olivia = calls.loc["Olivia Bennett"]
    assert olivia["accuracy"] < 0.85 and olivia["calls_under"] == 0
    assert olivia["calls_over"] >= 0.75 * olivia["calls"]


def test_priya_raman_lands_under_half_of_her_call_and_aisha_johnson_sandbags(calls):
    assert calls.loc["Priya Raman", "accuracy"] < 0.5 and calls.loc["Priya Raman", "band"] == "red"
    assert calls.loc["Aisha Johnson", "accuracy"] > 1.3 and calls.loc["Aisha Johnson", "band"] == "red"


def test_the_two_new_hires_are_ramping(demo):
    tenure = compute_wide(["rep_tenure_days"], demo, "2026-Q4", by="owner")["rep_tenure_days"]
    assert set(tenure[tenure < 365].index) == {"Jason Park", "Ryan O'Connor"}


def test_the_east_scorecard_flags_the_over_callers(demo):
    east = demo.for_region("East")
    report = Report(ds=east, period=east.period("2026-Q3"), region="East", catalog=load_catalog())
    findings = text.scorecard_findings(report, scorecards(east, "2026-Q3"))
    flagged = [a["message"].split(" over-calls")[0] for a in findings.alerts]
    assert flagged == ["Olivia Bennett", "Priya Raman"]
