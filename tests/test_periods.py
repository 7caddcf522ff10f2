"""Periods beyond the quarter (issue 14, item 7): halves, fiscal years and date ranges, in the calendar's
fiscal year (start month and year label), accepted by ``ds.period``, ``compute``, packs and the CLI; targets
of a longer period are the sum of its quarters'; quarter-only metrics say so; periods stay within dates
pandas can hold."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pandas as pd
import pytest

import old_crm
import quotabook as qb
from quotabook.cli import main
from quotabook.errors import ConfigError
from quotabook.fiscal import FiscalCalendar
from quotabook.metrics.compute import QUARTER_ONLY

T = pd.Timestamp


# -- the calendar ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("year_label", "text", "label", "first", "last", "quarters"), [
    # February start, years named by the calendar year they end in: FY2015 = Feb 2014 - Jan 2015.
    ("end", "2015", "FY2015", "2014-02-01", "2015-01-31", ("2015-Q1", "2015-Q2", "2015-Q3", "2015-Q4")),
    ("end", "FY2015", "FY2015", "2014-02-01", "2015-01-31", ("2015-Q1", "2015-Q2", "2015-Q3", "2015-Q4")),
    ("end", "2015-H2", "2015-H2", "2014-08-01", "2015-01-31", ("2015-Q3", "2015-Q4")),
    ("end", "2015-Q4", "2015-Q4", "2014-11-01", "2015-01-31", ("2015-Q4",)),
    # ... named by the year they start in: FY2015 = Feb 2015 - Jan 2016.
    ("start", "fy2015", "FY2015", "2015-02-01", "2016-01-31", ("2015-Q1", "2015-Q2", "2015-Q3", "2015-Q4")),
    ("start", "2015-h1", "2015-H1", "2015-02-01", "2015-07-31", ("2015-Q1", "2015-Q2")),
    # A date range of whole quarters lists them; one cutting a quarter has none.
    ("start", "2015-02-01..2015-07-31", "2015-02-01..2015-07-31", "2015-02-01", "2015-07-31",
     ("2015-Q1", "2015-Q2")),
    ("start", "2015-01-01..2015-06-30", "2015-01-01..2015-06-30", "2015-01-01", "2015-06-30", ()),
    ("end", "2015-03-05..2015-03-05", "2015-03-05..2015-03-05", "2015-03-05", "2015-03-05", ()),
])
def test_every_period_form_in_a_february_fiscal_year(year_label, text, label, first, last, quarters):
    p = FiscalCalendar(2, year_label).period(text)
    assert (p.label, p.start, p.last_day, p.quarters) == (label, T(first), T(last), quarters)
    assert p.kind == {"FY": "year", "H": "half", "Q": "quarter"}.get(
        "FY" if label.startswith("FY") else label[5:6], "range")
    assert p.whole_quarters == bool(quarters)


def test_a_period_is_its_quarters_end_to_end():
    cal = FiscalCalendar(2, "end")
    for text in ("2015", "2015-H1", "2015-H2"):
        p = cal.period(text)
        parts = [cal.period(q) for q in p.quarters]
        assert parts[0].start == p.start and parts[-1].end == p.end
        assert all(a.end == b.start for a, b in itertools.pairwise(parts))
        assert p.weeks == int(-(-(p.end - p.start).days // 7))


def test_quarter_helpers_stay_quarterly_for_longer_periods():
    cal = FiscalCalendar(2, "end")
    assert cal.week_of_quarter("2014-11-08") == 2  # 2015-Q4 began 1 Nov 2014
    assert cal.shift("FY2015", 1).label == "2016-Q1"  # the quarter after the year
    assert cal.shift("2015-H1", -4).label == "2014-Q2"  # counted back from the half's last quarter
    assert [p.label for p in cal.range("2014-Q4", "2015-H1")] == ["2014-Q4", "2015-Q1", "2015-Q2"]
    assert cal.last_quarter("2015-02-10..2015-03-01").label == "2016-Q1"  # FY2016 began Feb 2015


@pytest.mark.parametrize("bad", ["9999-Q4", "0001-Q1", "2263-Q1", "1899", "FY2201", "2015-H3", "2015-Q0",
                                 "Q3 2015", "2015Q3", "FY15", "2015-07-01..2015-01-01", "2015-07-01..2015-13-01",
                                 "2015-07-01..", "2015-07-01...2015-08-01", "07/01/2015..08/01/2015", ""])
def test_bad_periods_are_config_errors(bad):
    with pytest.raises(ConfigError, match="period"):
        FiscalCalendar(2, "end").period(bad)


def test_a_bad_period_stops_a_pack_at_planning(tmp_path, capsys):
    data = old_crm.write(tmp_path / "crm")
    for bad in ("9999-Q4", "2263-Q1", "2017-H3"):
        assert main(["pack", "--period", bad, "--data", str(data), "--out", str(tmp_path / "r"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "configuration error" in err and "period" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


# -- metrics for longer periods ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def crm():
    return old_crm.build()


def test_ds_period_accepts_every_form(crm):
    assert crm.period("2015").label == "FY2015" and crm.period("2015-H1").quarters == ("2015-Q1", "2015-Q2")
    assert crm.period("2014-10-01..2015-03-31").quarters == ("2014-Q4", "2015-Q1")


def test_a_years_and_halfs_target_is_the_sum_of_its_quarters(crm):
    # Targets: 2,000 per territory in 2014-Q4 and 2,500 in 2015-Q1 (none later).
    for period, target in [("2014-Q4", 2000), ("FY2015", 2500), ("2015-H1", 2500), ("FY2014", 2000),
                           ("2014-10-01..2015-03-31", 4500)]:
        wide = qb.compute_wide("target_amount", crm, period, by="territory")
        assert wide["target_amount"].tolist() == [target, target], period


def test_a_range_cutting_a_quarter_has_no_target_and_says_why(crm):
    wide = qb.compute_wide(["closed_amount", "target_amount", "attainment"], crm, "2014-11-15..2015-02-15",
                           by="district")
    assert wide.loc["D", "closed_amount"] == 4000  # O1 (20 Nov 2014) and O3 (10 Feb 2015)
    unavailable = wide.attrs["unavailable"]
    assert set(unavailable) == {"target_amount", "attainment"}
    assert "whole fiscal quarters (targets are set per quarter" in unavailable["target_amount"]


def test_win_rate_by_region_for_a_fiscal_year(crm):
    # FY2014 (the calendar year 2014 with a January start): East won O1 and lost O2; West closed nothing.
    wide = qb.compute_wide(["win_rate", "won_count", "lost_count"], crm, "2014", by="region")
    assert wide.loc["East"].tolist() == [0.5, 1, 1]
    assert pd.isna(wide.loc["West", "win_rate"]) and wide.loc["West", "won_count"] == 0


@pytest.mark.parametrize("period", ["FY2015", "2015-H1", "2015-01-01..2015-03-31"])
def test_quarter_only_metrics_say_so_for_longer_periods(crm, period):
    long = qb.compute(list(QUARTER_ONLY), crm, period, by="district")
    assert long.empty
    for name, why in QUARTER_ONLY.items():
        note = long.attrs["unavailable"][name]
        assert note.startswith(f"{name} not available: needs a fiscal quarter") and why in note
    with pytest.raises(qb.MetricUnavailable, match="needs a fiscal quarter"):
        qb.compute("monte_carlo_p50", crm, period, by="district", skip_unavailable=False)


def test_metrics_built_on_a_quarter_only_metric_follow_it(crm):
    wide = qb.compute_wide(["forecast_accuracy", "closed_amount"], crm, "FY2015", by="district")
    assert "forecast_accuracy" in wide.attrs["unavailable"] and wide.loc["D", "closed_amount"] == 3000


def test_a_quarter_keeps_its_quarter_only_metrics(crm):
    wide = qb.compute_wide(["pull_in_amount"], crm, "2014-Q4", by="district")
    assert "pull_in_amount" not in wide.attrs["unavailable"]
    assert wide.loc["D", "pull_in_amount"] == 0  # O5 (Proposal, 2015-Q2) is not in the next quarter


def test_the_fiscal_year_follows_the_workbooks_start_month(crm):
    feb = dataclasses.replace(crm, settings=dataclasses.replace(crm.settings, fiscal_start_month=2,
                                                                fiscal_year_label="end"))
    # FY2015 = Feb 2014 - Jan 2015: O1 won and O2 lost (Nov/Dec 2014); O3 (Feb 2015) is FY2016.
    assert qb.compute_wide("closed_amount", feb, "FY2015", by="district").loc["D", "closed_amount"] == 1000
    assert qb.compute_wide("closed_amount", feb, "FY2016", by="district").loc["D", "closed_amount"] == 3000


@pytest.mark.parametrize(("text", "label"), [("2014", "FY2014"), ("FY2014", "FY2014"), ("2014-h2", "2014-H2"),
                                             ("2014-07-01..2014-12-31", "2014-07-01..2014-12-31")])
def test_a_pack_plans_any_period_into_its_own_folder(tmp_path, text, label):
    from quotabook.pack.plan import make_plan

    fixtures = Path(__file__).parent / "pack" / "fixtures"
    data = old_crm.write(tmp_path / "crm")
    plan = make_plan(text, data=str(data), out=tmp_path / "r", pack=fixtures / "pack.yaml",
                     notebooks_dir=fixtures / "notebooks", regions=["East", "district"])
    assert plan.period == label and plan.out_dir == (tmp_path / "r" / label).resolve()
    assert {(r.parameters["period"], r.parameters["as_of"]) for r in plan.runs} == {(label, "2015-02-25")}


@pytest.mark.parametrize("period", ["FY2015", "2015-H1"])
def test_a_longer_periods_win_rate_is_compared_with_the_quarter_before_it(crm, period):
    from quotabook.metrics import load_catalog
    from quotabook.notebook import Report
    from quotabook.themes.won_lost import text as won_lost

    report = Report(ds=crm, period=crm.period(period), region=qb.ALL_REGIONS, catalog=load_catalog())
    # Only O3 (won, 10 Feb 2015) closed in the period; 2014-Q4 closed O1 (won) and O2 (lost): 50%. A quarter
    # inside the period (2015-Q1, 100%) is not "before" it.
    sentences = won_lost.won_lost_findings(report).sentences
    assert "It won 100% of the 1 deal it closed, up from 50% in 2014-Q4" in " ".join(sentences)
