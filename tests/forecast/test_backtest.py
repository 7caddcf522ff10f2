"""Backtests rebuild the past with Dataset.as_of: a change planted after the backtest date is ignored, the
same change planted before it is not; accuracy and bias follow the catalog formulas.

Territory T1, report date 1 Aug 2026, backtested quarter 2026-Q2 (1 Apr - 30 Jun), week 1 = 1 Apr:

- X (created 1 Mar): Discovery 1,000 dated 15 May; won on 10 May. Z (created 1 Mar): Proposal 500 dated
  10 Jun; lost on 10 Jun. K1 won 300 on 1 Feb and K2 lost 300 on 20 Feb (Proposal from 5 Jan): what the
  methods learn from. Q2 actually booked 1,000 (X).
"""

from __future__ import annotations

import pandas as pd
import pytest

from quotabook.forecast.backtest import backtest, completed_quarters, recommend, summarise
from quotabook.metrics import compute_wide
from quotabook.testing import build_dataset, deal, targets

METRICS = ["category_forecast", "weighted_forecast", "historical_win_rate_forecast", "run_rate_forecast",
           "monte_carlo_p50"]


def _row(i, at, stage, amount, close, category="Pipeline", probability=None):
    return {"opportunity_id": i, "changed_at": at, "stage": stage, "amount": amount, "close_date": close,
            "forecast_category": category, "probability": probability}


def _ds(planted=(), planted_deals=()):
    opps = [deal("X", stage="Closed Won", amount=1000, created="2026-03-01", close="2026-05-10"),
            deal("Z", stage="Closed Lost", amount=500, created="2026-03-01", close="2026-06-10"),
            deal("K1", stage="Closed Won", amount=300, created="2026-01-05", close="2026-02-01"),
            deal("K2", stage="Closed Lost", amount=300, created="2026-01-05", close="2026-02-20"),
            *planted_deals]
    history = [_row("X", "2026-03-01", "Discovery", 1000, "2026-05-15"),
               _row("X", "2026-05-10", "Closed Won", 1000, "2026-05-10", "Closed"),
               _row("Z", "2026-03-01", "Proposal", 500, "2026-06-10", "Best Case"),
               _row("Z", "2026-06-10", "Closed Lost", 500, "2026-06-10", "Omitted"),
               _row("K1", "2026-01-05", "Proposal", 300, "2026-02-01"),
               _row("K1", "2026-02-01", "Closed Won", 300, "2026-02-01", "Closed"),
               _row("K2", "2026-01-05", "Proposal", 300, "2026-02-20"),
               _row("K2", "2026-02-20", "Closed Lost", 300, "2026-02-20", "Omitted"), *planted]
    return build_dataset(opps, history=history, targets=targets("2026-Q2", T1=2000, T2=1, T3=1), as_of="2026-08-01")


def _week_one(ds) -> pd.DataFrame:
    got = backtest(ds, quarters=1, weeks=(1,), by="territory", simulations=2000)
    return got[got["territory"] == "T1"].set_index("metric")


def _future_change(when: str):
    """X jumps to Negotiation, 9,000, Commit at 90% on ``when``; Y (created 1 May) is won for 7,000 on 20 May;
    K3 (created 5 Apr) is won for 300 on 25 Apr, which would change the learned win rates."""
    planted = [_row("X", when, "Negotiation", 9000, "2026-05-15", "Commit", 90.0),
               _row("Y", "2026-05-01", "Proposal", 7000, "2026-05-20", "Commit"),
               _row("Y", "2026-05-20", "Closed Won", 7000, "2026-05-20", "Closed"),
               _row("K3", "2026-04-05", "Proposal", 300, "2026-04-25"),
               _row("K3", "2026-04-25", "Closed Won", 300, "2026-04-25", "Closed")]
    planted_deals = [deal("Y", stage="Closed Won", amount=7000, created="2026-05-01", close="2026-05-20"),
                     deal("K3", stage="Closed Won", amount=300, created="2026-04-05", close="2026-04-25")]
    return planted, planted_deals


def test_the_backtest_quarters_are_the_last_completed_ones():
    assert [p.label for p in completed_quarters(_ds(), 3)] == ["2026-Q2", "2026-Q1", "2025-Q4"][::-1]


def test_a_change_planted_after_the_backtest_date_is_ignored():
    base = _week_one(_ds())
    planted, planted_deals = _future_change("2026-04-20")
    after = _week_one(_ds(planted, planted_deals))
    pd.testing.assert_series_equal(base["forecast"], after["forecast"])
    assert base["actual"].iloc[0] == 1000.0 and after["actual"].iloc[0] == 1000 + 7000 + 300  # only the actual moves


def test_the_same_change_planted_before_the_backtest_date_moves_the_forecast():
    """Control: on 20 Mar the jump is known on 1 Apr (Y and K3 are still in the future)."""
    base = _week_one(_ds())
    planted, planted_deals = _future_change("2026-03-20")
    before = _week_one(_ds(planted, planted_deals))
    assert before.loc["category_forecast", "forecast"] == 9000 + 250   # X is now Commit; half of Z's Best Case
    assert before.loc["weighted_forecast", "forecast"] == pytest.approx(8100 + 300)  # 9,000 × 90% + 500 × 60%
    assert (before["forecast"] != base["forecast"]).sum() >= 4


def test_accuracy_and_bias_follow_the_catalog_formulas():
    rows = _week_one(_ds())
    # week 1: X is Discovery 1,000 (20%), Z Best Case 500 in Proposal (60%): weighted 200 + 300 = 500
    weighted = rows.loc["weighted_forecast"]
    assert weighted["forecast"] == pytest.approx(500.0)
    assert weighted["accuracy"] == pytest.approx(1 - abs(500 - 1000) / 1000)
    assert weighted["bias"] == pytest.approx((500 - 1000) / 1000)
    category = rows.loc["category_forecast"]     # Z is Best Case: half of it
    assert category["forecast"] == 250.0 and category["accuracy"] == 0.25


def test_summary_ranks_methods_by_mean_accuracy_and_recommends_the_first():
    results = pd.DataFrame({"period": "2026-Q2", "week": [1, 7, 1, 7], "metric": ["a", "a", "b", "b"],
                            "method": ["A", "A", "B", "B"], "accuracy": [0.9, 0.7, 0.6, 0.95],
                            "bias": [0.1, -0.3, -0.4, 0.05]})
    s = summarise(results)
    assert s["metric"].tolist() == ["a", "b"] and s["accuracy"].tolist() == pytest.approx([0.8, 0.775])
    assert s["rank"].tolist() == [1, 2] and recommend(s) == "a"
    assert s.loc[0, "early_accuracy"] == 0.9 and pd.isna(s.loc[0, "late_accuracy"])
    assert recommend(summarise(results.iloc[0:0])) is None


def test_the_catalog_backtest_forecast_is_the_win_rate_method_at_week_backtest_week():
    ds = _ds()
    got = compute_wide(["backtest_forecast", "forecast_accuracy", "forecast_bias", "closed_amount"], ds, "2026-Q2")
    row = backtest(ds, quarters=1, weeks=(7,), metrics=["historical_win_rate_forecast"], by="territory")
    row = row.set_index("territory").loc["T1"]
    assert got.loc["T1", "backtest_forecast"] == pytest.approx(row["forecast"])
    assert got.loc["T1", "forecast_accuracy"] == pytest.approx(row["accuracy"])
    assert got.loc["T1", "forecast_bias"] == pytest.approx(row["bias"])
    running = compute_wide(["backtest_forecast"], ds, "2026-Q3")   # not over yet: nothing to judge
    assert running["backtest_forecast"].isna().all()
