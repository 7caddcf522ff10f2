"""The four deterministic forecast methods on a hand-built pipeline, through the catalog measures.

Report date 1 Aug 2026, period 2026-Q3 (1 Jul - 30 Sep, 92 days). Stage map defaults: Discovery 20%,
Proposal 60%, Negotiation 80%; best_case_share 0.5. Worked by hand:

- T1: W won 1,000 (20 Jul); C Commit 2,000 in Negotiation at 70%; B Best Case 400 in Proposal (no CRM
  probability: 60%); P Pipeline 800 in Discovery (no probability: 20%); O Omitted 5,000 (left out);
  N Commit 3,000 dated 15 Oct (next quarter: left out); L lost 700 (no value).
- T2: C2 Commit 100 in Proposal at 50%.
Category: T1 1,000 + 2,000 + 0.5 × 400 = 3,200; T2 100. Stage-weighted: T1 1,000 + 1,400 + 240 + 160 = 2,800;
T2 50. Region East (T1 + T2) is their sum; West (T3) has nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.metrics.forecasting import methods
from quotabook.metrics.forecasting.deals import closed_deals, elapsed_days, open_pipeline, review_date, week_start
from quotabook.metrics.forecasting.learning import stage_age_win_rates
from quotabook.testing import build_dataset, deal, targets, wide

AS_OF = "2026-08-01"


def _pipeline():
    return [
        deal("W", "T1", stage="Closed Won", amount=1000, close="2026-07-20"),
        deal("C", "T1", category="Commit", amount=2000, probability=70.0),
        deal("B", "T1", stage="Proposal", category="Best Case", amount=400),
        deal("P", "T1", stage="Discovery", category="Pipeline", amount=800),
        deal("O", "T1", stage="Solution", category="Omitted", amount=5000, probability=40.0),
        deal("N", "T1", category="Commit", amount=3000, close="2026-10-15"),
        deal("L", "T1", stage="Closed Lost", amount=700, close="2026-07-25"),
        deal("C2", "T2", stage="Proposal", category="Commit", amount=100, probability=50.0),
    ]


def _history(opps: list[dict]) -> list[dict]:
    """One history row per deal, at creation, in its current state (no deal changed since)."""
    return [{"opportunity_id": d["opportunity_id"], "changed_at": d["created_date"], "stage": d["stage"],
             "amount": d["amount"], "close_date": d["close_date"], "forecast_category": d["forecast_category"]}
            for d in opps]


@pytest.fixture
def ds():
    opps = _pipeline()
    return build_dataset(opps, targets=targets("2026-Q3", T1=3000, T2=500, T3=100), history=_history(opps),
                         as_of=AS_OF)


def test_category_forecast_is_closed_plus_commit_plus_half_of_best_case(ds):
    got = wide(["category_forecast", "closed_amount", "commit_amount", "best_case_amount"], ds, "2026-Q3")
    assert got["category_forecast"].tolist() == [3200.0, 100.0, 0.0]
    again = got["closed_amount"] + got["commit_amount"] + 0.5 * got["best_case_amount"]
    assert got["category_forecast"].tolist() == again.tolist()


def test_best_case_share_comes_from_the_argument_or_the_workbook(ds):
    period = ds.period("2026-Q3")
    assert methods.category(ds, period, best_case_share=1.0)["value"].sum() == 1000 + 2000 + 400 + 100
    assert methods.category(ds, period)["value"].sum() == 3300.0


def test_weighted_forecast_uses_crm_probability_else_the_stage_default(ds):
    got = wide(["weighted_forecast"], ds, "2026-Q3")["weighted_forecast"]
    assert got.tolist() == pytest.approx([2800.0, 50.0, 0.0])
    frame = methods.weighted(ds, ds.period("2026-Q3")).set_index("opportunity_id")
    assert frame.loc[["C", "B", "P", "C2"], "weight"].tolist() == pytest.approx([0.7, 0.6, 0.2, 0.5])
    assert "O" not in frame.index and "N" not in frame.index and "L" not in frame.index


def test_a_region_forecast_is_the_sum_of_its_territories(ds):
    names = ["category_forecast", "weighted_forecast", "historical_win_rate_forecast", "run_rate_forecast"]
    terr = wide(names, ds, "2026-Q3")
    region = wide(names, ds, "2026-Q3", by="region")
    east = terr.loc[["T1", "T2"]].sum()
    pd.testing.assert_series_equal(region.loc["East"], east, check_names=False)


def test_without_closed_history_the_win_rate_method_falls_back_to_the_stage_map(ds):
    """No closed deal has passed through any stage (no history): every cell uses the stage map default."""
    rates = stage_age_win_rates(ds)
    assert set(rates["basis"]) == {"stage map"}
    got = wide(["historical_win_rate_forecast"], ds, "2026-Q3")["historical_win_rate_forecast"]
    # C 2,000 × 80% (Negotiation), B 400 × 60%, P 800 × 20%, plus W 1,000 won; T2: C2 100 × 60%
    assert got.tolist() == pytest.approx([1000 + 1600 + 240 + 160, 60.0, 0.0])


def test_win_rate_method_weights_each_deal_by_its_stage_and_age_band(ds):
    """With rates given, each open deal takes its (stage, age band) cell: deals created 2 Jan are 211 days
    old on 1 Aug (180+ days)."""
    rates = stage_age_win_rates(ds).copy()
    rates.loc[("Negotiation", "180+ days"), "rate"] = 0.25
    rates.loc[("Proposal", "180+ days"), "rate"] = 0.5
    frame = methods.historical_win_rate(ds, ds.period("2026-Q3"), rates).set_index("opportunity_id")
    assert frame.loc["C", "value"] == 500.0 and frame.loc["B", "value"] == 200.0 and frame.loc["C2", "value"] == 50.0


def test_run_rate_adds_what_trailing_quarters_booked_after_the_same_point():
    """15 Aug is the end of day 46 of 92 (half the quarter). Trailing quarters 2025-Q3 .. 2026-Q2; in each, the
    bookings after its halfway point count a quarter: R1 (20 Jun 2026, after 16 May) 1,000 -> 250; R3
    (30 Dec 2025) 400 -> 100; R2 (10 Apr 2026, before halfway) and R4 (2025-Q2, not trailing) do not count.
    Forecast = 500 won in the period + 350."""
    opps = [deal("W", close="2026-07-20", stage="Closed Won", amount=500),
            deal("R1", close="2026-06-20", stage="Closed Won", amount=1000),
            deal("R2", close="2026-04-10", stage="Closed Won", amount=2000),
            deal("R3", close="2025-12-30", stage="Closed Won", amount=400, created="2025-10-01"),
            deal("R4", close="2025-06-30", stage="Closed Won", amount=800, created="2025-04-01")]
    ds = build_dataset(opps, as_of="2026-08-15")
    period = ds.period("2026-Q3")
    assert elapsed_days(period, "2026-08-15") == 46
    frame = methods.run_rate(ds, period)
    assert frame.groupby("component")["value"].sum().to_dict() == {"closed": 500.0, "trailing": 350.0}
    assert wide(["run_rate_forecast"], ds, "2026-Q3").loc["T1", "run_rate_forecast"] == 850.0


def test_run_rate_of_a_finished_period_is_what_it_booked():
    ds = build_dataset([deal("W", close="2026-07-20", stage="Closed Won", amount=500),
                        deal("R1", close="2026-06-29", stage="Closed Won", amount=1000)], as_of="2026-10-20")
    assert methods.run_rate(ds, ds.period("2026-Q3"))["value"].sum() == 500.0


def test_run_rate_of_a_future_period_averages_whole_finished_quarters():
    """Report date 15 Aug 2026 (in Q3); for 2026-Q4 the trailing quarters are 2025-Q3 .. 2026-Q2, whole."""
    ds = build_dataset([deal("R1", close="2026-04-10", stage="Closed Won", amount=1000),
                        deal("Q3", close="2026-07-10", stage="Closed Won", amount=4000)], as_of="2026-08-15")
    period = ds.period("2026-Q4")
    assert [q.label for q in methods.trailing_quarters(ds, period)] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert methods.run_rate(ds, period)["value"].sum() == 250.0


def test_pipeline_selection_and_dates(ds):
    period = ds.period("2026-Q3")
    assert sorted(open_pipeline(ds, period)["opportunity_id"]) == ["B", "C", "C2", "P"]
    assert closed_deals(ds, period)["opportunity_id"].tolist() == ["W"]
    assert week_start(period, 1) == pd.Timestamp("2026-07-01") and week_start(period, 7) == pd.Timestamp("2026-08-12")
    assert review_date(ds, period) == pd.Timestamp(AS_OF)            # the period is running: today
    done = build_dataset(_pipeline(), as_of="2026-11-01")
    assert review_date(done, period) == pd.Timestamp("2026-08-12")   # over: start of week backtest_week (7)


def test_empty_period_forecasts_zero(ds):
    got = wide(["category_forecast", "weighted_forecast", "run_rate_forecast"], ds, "2027-Q3")
    assert np.allclose(got.to_numpy(), 0.0)
