"""Quarter over quarter on a hand-built history: each quarter read as it stood then (exact figures worked out
in the comments), no look-ahead, a running quarter compared at the same point, and sentences that agree
with their table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from quotabook import load_settings
from quotabook.dataset import Dataset
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import inline_dataset
from quotabook.trends import tables, text
from quotabook.trends.data import changes, quarter_trend

SETTINGS = load_settings()
TERRITORIES = [{"territory": "T1", "region": "East", "district": "D", "owner": "Ann"}]
TARGETS = [{"period": p, "territory": "T1", "target_amount": a} for p, a in
           (("2025-Q1", 200.0), ("2025-Q2", 100.0), ("2025-Q3", 100.0))]


def _deal(oid, stage, amount, created, close):
    return {"opportunity_id": oid, "owner": "Ann", "territory": "T1", "created_date": created, "close_date": close,
            "stage": stage, "amount": float(amount), "is_closed": stage.startswith("Closed"),
            "is_won": stage == "Closed Won", "forecast_category": "Closed" if stage == "Closed Won" else
            "Omitted" if stage == "Closed Lost" else "Pipeline"}


def _life(oid, stage, amount, created, close):
    """History: opened in Discovery on the created day, dated to close on ``close``; closed that day."""
    rows = [{"opportunity_id": oid, "changed_at": created, "stage": "Discovery", "amount": float(amount),
             "close_date": close, "forecast_category": "Pipeline"}]
    if stage.startswith("Closed"):
        rows.append({"opportunity_id": oid, "changed_at": close, "stage": stage, "amount": float(amount),
                     "close_date": close, "forecast_category": "Closed" if stage == "Closed Won" else "Omitted"})
    return rows


# Q1: W1 won 100 (31 days), L1 lost.        attainment 100/200 = 50%, win rate 1/2, cycle 31, size 100
# Q2: W2 won 60 (60 days), W3 won 40 (70), L2 lost.  attainment 100/100, win rate 2/3, cycle 65, size 50;
#     coverage at its start (31 Mar): W2 open, 60, dated in Q2 → 60 / (100 − 0) = 0.6
# Q3 (running on 15 Jul): nothing closed → attainment 0; coverage at its start (30 Jun): O1 300 / 100 = 3.0
DEALS = [("W1", "Closed Won", 100, "2025-01-10", "2025-02-10"), ("L1", "Closed Lost", 50, "2025-01-05", "2025-03-01"),
         ("W2", "Closed Won", 60, "2025-03-20", "2025-05-19"), ("W3", "Closed Won", 40, "2025-04-01", "2025-06-10"),
         ("L2", "Closed Lost", 10, "2025-04-02", "2025-06-20"), ("O1", "Proposal", 300, "2025-06-15", "2025-08-15")]


def build(deals=DEALS, extra_history=(), targets=TARGETS, as_of="2025-07-15") -> Dataset:
    """The deals as they stand now (``deals``), with the history of :data:`DEALS` plus ``extra_history``."""
    given = {"opportunities": [_deal(*d) for d in deals], "territories": TERRITORIES, "targets": targets,
             "opportunity_history": [r for d in DEALS for r in _life(*d)] + list(extra_history)}
    return inline_dataset(given, as_of=as_of, settings=SETTINGS)


def _table(trend):
    return trend.rows.pivot_table(index="metric", columns="period", values="value", aggfunc="first")


def test_each_quarter_is_read_as_it_stood_at_its_end_and_coverage_at_its_start():
    trend = quarter_trend(build(), "2025-Q3", by="district", quarters=4)
    assert trend.periods == ["2025-Q1", "2025-Q2", "2025-Q3"]  # 2024-Q4 ended before the first deal
    t = _table(trend)
    q1 = t["2025-Q1"].dropna().to_dict()  # no coverage: Q1 began before the first deal
    assert q1 == pytest.approx({"attainment": 0.5, "win_rate": 0.5, "sales_cycle_days": 31.0,
                               "average_deal_size": 100.0})
    assert t["2025-Q2"].to_dict() == pytest.approx({"attainment": 1.0, "win_rate": 2 / 3, "sales_cycle_days": 65.0,
                                                     "average_deal_size": 50.0, "pipeline_coverage": 0.6})
    assert t.loc["attainment", "2025-Q3"] == 0.0 and t.loc["pipeline_coverage", "2025-Q3"] == 3.0
    q3 = trend.rows[trend.rows["period"] == "2025-Q3"]
    assert q3["partial"].all() and not trend.rows.loc[trend.rows["period"] == "2025-Q2", "partial"].any()


def test_a_change_recorded_after_a_quarter_never_changes_it():
    """L2, lost in Q2, is turned into a Q2 win on 5 July: the current data says 110% attainment for Q2, the
    trend keeps what was known when Q2 ended."""
    reopened = [{"opportunity_id": "L2", "changed_at": "2025-07-05", "stage": "Closed Won", "amount": 10.0,
                 "close_date": "2025-06-20", "forecast_category": "Closed"}]
    deals = [d if d[0] != "L2" else ("L2", "Closed Won", 10, "2025-04-02", "2025-06-20") for d in DEALS]
    planted = build(deals, reopened)
    from quotabook.metrics import compute_wide

    assert compute_wide(["attainment"], planted, "2025-Q2", by="district")["attainment"].item() == pytest.approx(1.1)
    trend = quarter_trend(planted, "2025-Q3", by="district", quarters=4)
    assert _table(trend)["2025-Q2"].to_dict() == pytest.approx(
        _table(quarter_trend(build(), "2025-Q3", by="district", quarters=4))["2025-Q2"].to_dict())


def test_a_running_quarter_is_compared_at_the_same_point_of_the_quarter_before():
    trend = quarter_trend(build(), "2025-Q3", by="district", quarters=4)
    c = changes(trend, "2025-Q3")
    # 15 Jul is 14 days into Q3; Q2 on 15 Apr had won nothing yet: attainment 0 then, so no change
    assert c.loc["attainment", "previous"] == 0.0 and c.loc["attainment", "qoq"] == 0.0
    # coverage is read at each quarter's start: 3.0 against 0.6 → +400%
    assert c.loc["pipeline_coverage", "qoq"] == pytest.approx(4.0)
    assert np.isnan(c.loc["attainment", "year_ago"]) and c["partial"].all()


def test_a_finished_quarter_is_compared_with_finished_quarters_in_whole_points():
    trend = quarter_trend(build(as_of="2025-08-01"), "2025-Q2", by="district", quarters=4)
    c = changes(trend, "2025-Q2")
    assert not c["partial"].any()
    # win rate 67% against 50%: +17 points, as the two percentages shown differ
    assert c.loc["win_rate", "qoq"] == pytest.approx(0.17)
    assert c.loc["sales_cycle_days", "qoq"] == pytest.approx(65 / 31 - 1)


def test_without_targets_attainment_and_coverage_say_what_they_need():
    trend = quarter_trend(build(targets=None), "2025-Q2", by="district", quarters=4)
    assert set(trend.unavailable) == {"attainment", "pipeline_coverage"}
    assert "targets" in trend.unavailable["attainment"]
    assert set(trend.rows["metric"]) == {"win_rate", "sales_cycle_days", "average_deal_size"}


def _report(ds, period):
    return Report(ds=ds, period=ds.period(period), region=None, catalog=load_catalog())


@pytest.mark.parametrize(("as_of", "period"), [("2025-08-01", "2025-Q2"), ("2025-07-15", "2025-Q3")])
def test_every_sentence_agrees_with_the_table_beside_it(as_of, period):
    report = _report(build(as_of=as_of), period)
    trend = quarter_trend(report.ds, report.period, by="district", quarters=4)
    table = tables.trend_table(report, trend).data
    sentences = text.trend_sentences(report, trend)
    assert len(sentences) == len(table)
    for sentence, (_, row) in zip(sentences, table.iterrows(), strict=True):
        shown = row.iloc[1]
        if shown == "–":
            assert "no figure" in sentence
            continue
        assert f" {shown}" in sentence, (sentence, shown)
        qoq = row["QoQ"]
        if qoq in ("–",):
            continue
        if qoq == "no change":
            assert "level with" in sentence
        else:
            number = re.sub(r"[^\d]", "", qoq)
            assert f"{number} point" in sentence or f"{number}%" in sentence, (sentence, qoq)
            assert ("above" in sentence) == qoq.startswith("+")
    running = "so far" in " ".join(sentences)
    assert running == (period == "2025-Q3")


def test_the_headline_names_the_biggest_move():
    report = _report(build(as_of="2025-08-01"), "2025-Q2")
    trend = quarter_trend(report.ds, report.period, by="district", quarters=4)
    # attainment 50% → 100% (+50 points, weighted 2 × 0.5 = 1.0) beats the cycle's +110%? no: 65/31 − 1 = 1.10
    assert text.headline(report, trend).startswith("Sales cycle (mean) up 110% on last quarter (worse)")


def _reading_by_reading(ds: Dataset, period: str, quarters: int):
    """The trend's values computed the plain way: every reading on its own time travel of the data."""
    from quotabook.metrics import compute
    from quotabook.metrics.forecasting.deals import without_activity
    from quotabook.trends.data import READ_AT_START, TREND_METRICS

    ref, first = ds.reference_date.normalize(), ds.opportunities["created_date"].min()
    end = [m for m in TREND_METRICS if m not in READ_AT_START]
    values = {}
    for k in range(quarters - 1, -1, -1):
        q = ds.calendar.shift(ds.period(period), -k)
        if q.start > ref or q.last_day < first:
            continue
        readings = [(end, min(q.last_day, ref))]
        if q.start - pd.Timedelta(days=1) >= first:
            readings.append((sorted(READ_AT_START), q.start - pd.Timedelta(days=1)))
        for names, day in readings:
            long = compute(names, without_activity(ds).as_of(day), q, by="district")
            values.update({(q.label, m): v for m, v in zip(long["metric"], long["value"], strict=True)})
    return values


@pytest.mark.parametrize(("as_of", "period"), [("2025-08-01", "2025-Q2"), ("2025-07-15", "2025-Q3")])
def test_readings_on_one_day_share_one_time_travel_and_equal_their_own(monkeypatch, as_of, period):
    """A quarter's start (coverage) is the last day of the quarter before (its outcomes): the two readings
    share one travel, and every value equals the one its reading gets on a travel of its own."""
    days = []
    travel = Dataset.as_of

    def counted(self, date):
        days.append(pd.Timestamp(date))
        return travel(self, date)

    ds = build(as_of=as_of)
    expected = _reading_by_reading(ds, period, quarters=4)
    monkeypatch.setattr(Dataset, "as_of", counted)
    trend = quarter_trend(ds, period, by="district", quarters=4)
    got = {(r.period, r.metric): r.value for r in trend.rows.itertuples()}
    assert got.keys() == expected.keys()
    assert got == pytest.approx(expected, nan_ok=True)
    read = [pd.Timestamp(d) for d in trend.rows["read_at"]]
    same_point = [] if trend.same_point is None else list(trend.same_point["read_at"])
    assert len(days) == len(set(days)) == len(set(read) | set(same_point))  # each day travelled once
    # 31 Mar ends Q1 (its outcomes) and begins Q2 (its coverage): one day, two readings
    assert (trend.rows["read_at"] == pd.Timestamp("2025-03-31")).sum() == 5


def test_a_dataset_asked_for_another_trend_gets_that_trend_not_the_one_kept_before():
    """The travels kept with a dataset are keyed by day: a second trend on the same dataset (another period,
    another span) equals the same trend asked of a fresh copy of the data."""
    ds = build(as_of="2025-08-01")
    first = quarter_trend(ds, "2025-Q3", by="district", quarters=4)
    second = quarter_trend(ds, "2025-Q2", by="district", quarters=2)
    pd.testing.assert_frame_equal(second.rows, quarter_trend(build(as_of="2025-08-01"), "2025-Q2", by="district",
                                                             quarters=2).rows)
    assert second.periods == ["2025-Q1", "2025-Q2"] and first.periods == ["2025-Q1", "2025-Q2", "2025-Q3"]
