"""Pipeline trend: the one-pass weekly snapshots agree with Dataset.as_of, and the trend sums open pipeline by
stage against the quarter's target."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from quotabook.errors import DataQualityWarning
from quotabook.forecast.trend import pipeline_trend, snapshots, trend_dates
from quotabook.loading import load
from quotabook.testing import build_dataset, deal, targets

from .test_waterfall import _dataset, random_story


def _open_by_stage(ds, date) -> pd.Series:
    o = ds.as_of(date).opportunities
    o = o[~o["is_closed"] & o["forecast_category"].ne("Omitted")]
    return o.groupby("stage")["amount"].sum().sort_index()


def _snapshot_by_stage(snap, date) -> pd.Series:
    s = snap[(snap["date"] == pd.Timestamp(date)) & snap["is_open"] & snap["forecast_category"].ne("Omitted")]
    return s.groupby("stage")["amount"].sum().sort_index()


def test_snapshots_match_as_of_on_the_tiny_folder(tiny_folder):
    ds = load(tiny_folder)
    dates = ["2026-01-06", "2026-02-10", "2026-02-19", "2026-02-20", "2026-03-01", "2026-04-01"]
    snap = snapshots(ds, dates)
    for date in dates:  # a handful of dates, each compared whole
        pd.testing.assert_series_equal(_snapshot_by_stage(snap, date), _open_by_stage(ds, date), check_names=False)


def test_a_deal_without_history_is_open_until_it_closed():
    """As Dataset.as_of does: no history, closed on 20 Jul -> open in the first open stage before that."""
    ds = build_dataset([deal("N", stage="Closed Won", amount=700, created="2026-07-01", close="2026-07-20")],
                       history=[{"opportunity_id": "other", "changed_at": "2026-01-01", "stage": "Proposal"}],
                       as_of="2026-08-01")
    snap = snapshots(ds, ["2026-07-10", "2026-07-25"]).set_index("date")
    assert snap.loc["2026-07-10", ["stage", "is_open"]].tolist() == ["Qualification", True]
    assert not snap.loc["2026-07-25", "is_open"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert _open_by_stage(ds, "2026-07-10").to_dict() == {"Qualification": 700.0}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_story())
def test_snapshots_match_as_of_on_random_histories(story):
    ds = _dataset(story, as_of="2026-10-31")
    dates = ["2026-05-01", "2026-06-15", "2026-08-01", "2026-10-31"]
    snap = snapshots(ds, dates)
    for date in dates:
        pd.testing.assert_series_equal(_snapshot_by_stage(snap, date), _open_by_stage(ds, date), check_names=False,
                                       check_dtype=False, check_index_type=False)


def test_trend_is_weekly_by_open_stage_with_the_quarter_target():
    """Report date 20 Jul 2026: weeks from 1 Oct 2025 (three quarters before 2026-Q3) to 15 Jul."""
    opps = [deal("A", stage="Proposal", amount=1000, created="2026-07-02", close="2026-09-01"),
            deal("B", stage="Solution", amount=500, created="2026-06-01", close="2026-08-01",
                 category="Omitted")]
    ds = build_dataset(opps, targets=targets("2026-Q2", T1=100) + targets("2026-Q3", T1=300), as_of="2026-07-20")
    dates = trend_dates(ds, ds.period("2026-Q3"))
    assert dates[0] == pd.Timestamp("2025-10-01") and dates[-1] == pd.Timestamp("2026-07-15")
    trend = pipeline_trend(ds, ds.period("2026-Q3"))
    assert list(trend["stage"].cat.categories) == ds.settings.open_stages
    last = trend[trend["date"] == "2026-07-15"].set_index("stage")
    assert last.loc["Proposal", "amount"] == 1000.0 and last["amount"].sum() == 1000.0   # B is Omitted
    assert last["target"].iloc[0] == 300.0 and last["quarter"].iloc[0] == "2026-Q3"
    june = trend[trend["date"] == "2026-06-24"]
    assert june["pipeline"].iloc[0] == 0.0 and june["target"].iloc[0] == 100.0
    assert pd.isna(trend[trend["date"] == "2025-10-01"]["target"].iloc[0])


@pytest.mark.parametrize("region", ["West"])
def test_trend_on_the_demo_matches_as_of_at_its_last_week(region):
    ds = load("demo", region=region, as_of="2026-11-16")
    trend = pipeline_trend(ds, ds.period("2026-Q4"))
    last_date = trend["date"].max()
    got = trend[trend["date"] == last_date].set_index("stage")["amount"]
    expected = _open_by_stage(ds, last_date).reindex(got.index.astype(str), fill_value=0.0)
    assert got.to_numpy() == pytest.approx(expected.to_numpy())
