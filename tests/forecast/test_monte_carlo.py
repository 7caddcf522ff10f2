"""Monte Carlo: the simulated mean matches the sum of expected values, a seed reproduces the run, groups add
up, and the catalog measures give ordered percentiles and the chance of target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.metrics.forecasting.monte_carlo import landing_odds, simulate, summarise
from quotabook.testing import build_dataset, deal, targets, wide


def test_mean_equals_the_sum_of_expected_values():
    rng = np.random.default_rng(7)
    amounts = rng.integers(1, 200, 2_000) * 1000.0
    p = rng.random(2_000)
    sims = simulate(amounts, p, simulations=4_000, seed=11)[0]
    expected = float((amounts * p).sum())
    standard_error = float(np.sqrt((amounts**2 * p * (1 - p)).sum() / 4_000))
    assert abs(sims.mean() - expected) < 4 * standard_error
    assert sims.std() == pytest.approx(np.sqrt((amounts**2 * p * (1 - p)).sum()), rel=0.05)


def test_the_same_seed_reproduces_the_simulation():
    amounts, p = np.array([100.0, 250.0, 40.0]), np.array([0.3, 0.5, 0.9])
    first = simulate(amounts, p, simulations=500, seed=3)
    assert np.array_equal(first, simulate(amounts, p, simulations=500, seed=3))
    assert not np.array_equal(first, simulate(amounts, p, simulations=500, seed=4))


def test_certain_and_impossible_deals_are_exact():
    sims = simulate([100.0, 200.0, 300.0], [1.0, 0.0, 1.0], simulations=50, seed=1)
    assert np.all(sims == 400.0)


def test_groups_get_their_own_deals_and_add_up_to_the_whole():
    """Deals of group 1 sit in two blocks of 64 and share one with group 0: each group sums only its own."""
    amounts = np.ones(200)
    groups = np.r_[np.zeros(100, dtype=int), np.ones(100, dtype=int)]
    p = np.r_[np.zeros(100), np.ones(100)]
    sims = simulate(amounts, p, groups, 3, simulations=20, seed=5)
    assert sims.shape == (3, 20)
    assert np.all(sims[0] == 0) and np.all(sims[1] == 100) and np.all(sims[2] == 0)
    mixed = simulate(amounts, np.full(200, 0.5), groups, 2, simulations=2_000, seed=5)
    assert mixed.mean(axis=1) == pytest.approx([50.0, 50.0], rel=0.03)


def test_summary_gives_percentiles_and_the_chance_of_target():
    simulated = np.array([[0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]])
    got = summarise(simulated, [50.0], [550.0], index=["T1"])
    assert got.loc["T1", ["p10", "p50", "p90", "mean"]].tolist() == [150.0, 550.0, 950.0, 550.0]
    assert got.loc["T1", "target_probability"] == pytest.approx(6 / 11)
    assert np.isnan(summarise(simulated, [0.0], [0.0])["target_probability"].iloc[0])  # no target: no chance


def _ds():
    """No history: every open deal lands with its stage map default (no slip learned). T1: won 500 and
    Negotiation 1,000 at 80%, Discovery 2,000 at 20%; T2: Proposal 400 at 60%; targets 1,500 and 100."""
    opps = [deal("W", "T1", stage="Closed Won", amount=500, close="2026-07-10"),
            deal("N", "T1", stage="Negotiation", amount=1000), deal("D", "T1", stage="Discovery", amount=2000),
            deal("P", "T2", stage="Proposal", amount=400)]
    return build_dataset(opps, targets=targets("2026-Q3", T1=1500, T2=100, T3=50), as_of="2026-08-01")


def test_landing_odds_are_the_win_rate_times_one_minus_the_slip_rate():
    ds = _ds()
    odds = landing_odds(ds, ds.period("2026-Q3")).set_index("opportunity_id")
    assert odds.loc[["N", "D", "P"], "p_land"].tolist() == pytest.approx([0.8, 0.2, 0.6])
    assert (odds["slip_rate"] == 0).all()


def test_catalog_measures_are_ordered_and_reach_target_as_hand_worked():
    """T1 lands 500 + {0, 1,000} + {0, 2,000}: at least its 1,500 target unless both N and D are lost,
    1 - 0.2 × 0.8 = 84%. T2 reaches 100 when P lands (60%). T3 has nothing: its percentiles are 0 and its
    chance of reaching 50 is 0."""
    names = ["monte_carlo_p10", "monte_carlo_p50", "monte_carlo_p90", "target_probability"]
    got = wide(names, _ds(), "2026-Q3")
    assert (got["monte_carlo_p10"] <= got["monte_carlo_p50"]).all()
    assert (got["monte_carlo_p50"] <= got["monte_carlo_p90"]).all()
    assert got.loc["T1", "monte_carlo_p50"] == 1500.0 and got.loc["T1", "monte_carlo_p90"] == 3500.0
    assert got.loc["T1", "target_probability"] == pytest.approx(0.84, abs=0.02)
    assert got.loc["T2", "target_probability"] == pytest.approx(0.6, abs=0.02)
    assert got.loc["T3"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert got.equals(wide(names, _ds(), "2026-Q3"))   # the seed is fixed: the same run every time


def test_a_region_runs_one_joint_simulation_of_its_territories():
    """East = T1 + T2; its median is not the sum of theirs, but its mean is the sum of expected values."""
    ds = _ds()
    region = wide(["monte_carlo_p50", "target_probability"], ds, "2026-Q3", by="region").loc["East"]
    assert region["monte_carlo_p50"] in {1500.0, 1900.0, 2500.0, 2900.0, 3500.0, 3900.0}
    odds = landing_odds(ds, ds.period("2026-Q3"))
    simulated = simulate(odds["amount"], odds["p_land"], simulations=20_000, seed=2)
    mean = summarise(simulated, [500.0])["mean"].iloc[0]
    assert mean == pytest.approx(500 + 1000 * 0.8 + 2000 * 0.2 + 400 * 0.6, rel=0.01)
    assert 0.0 <= region["target_probability"] <= 1.0


def test_percentiles_are_reproducible_with_the_workbook_simulation_count():
    ds = _ds()
    first = wide(["monte_carlo_p50"], ds, "2026-Q3")
    assert pd.Series(first["monte_carlo_p50"]).equals(wide(["monte_carlo_p50"], ds, "2026-Q3")["monte_carlo_p50"])
