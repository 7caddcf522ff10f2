"""Strike zone: win rate and expected value by deal size × age, learned from closed deals, and open deals
scored by their cell.

Nine closed deals created 1 Jan 2026 (report date 1 Aug 2026); amounts 10K..90K give quartile edges 30K, 50K
and 70K. Each deal weighs by the days it was open in an age band:

- under 30K: a won at day 20, b lost at day 45 -> 0-29 days: won 20 of 50 deal-days = 40%, EV 40% × 15K = 6K;
  30-59: only b (lost) -> 0%.
- 30K-50K: c won at day 10, d lost at day 70 -> 0-29: 10 of 40 = 25%.
- 50K-70K: e won, f lost, both at day 35 -> 0-29: 50%.   70K and over: g won and h lost at day 5, i lost at
  day 200 -> 0-29: 5 of 40 = 12.5%.
Overall 4 of 9 won (44%). Open: O4 55K (50%, EV 27.5K, in the zone), O1 25K (40%, 10K), O3 75K (12.5%,
9.4K), O2 35K (25%, 8.75K).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.forecast.strike_zone import score_open_deals, size_bands, strike_zone
from quotabook.testing import build_dataset, deal

CLOSED = [("a", 10, True, 20), ("b", 20, False, 45), ("c", 30, True, 10), ("d", 40, False, 70), ("e", 50, True, 35),
          ("f", 60, False, 35), ("g", 70, True, 5), ("h", 80, False, 5), ("i", 90, False, 200)]
OPEN = [("O1", 25, "2026-07-20"), ("O2", 35, "2026-07-25"), ("O3", 75, "2026-07-29"), ("O4", 55, "2026-07-20")]


def _ds():
    start = pd.Timestamp("2026-01-01")
    opps = [deal(i, stage="Closed Won" if won else "Closed Lost", amount=k * 1000, created="2026-01-01",
                 close=(start + pd.Timedelta(days=days)).strftime("%Y-%m-%d")) for i, k, won, days in CLOSED]
    opps += [deal(i, stage="Proposal", amount=k * 1000, created=c, close="2026-09-15") for i, k, c in OPEN]
    return build_dataset(opps, as_of="2026-08-01")


def test_size_bands_are_rounded_quartiles():
    assert size_bands(pd.Series(np.arange(1, 10) * 10_000.0)) == [30_000.0, 50_000.0, 70_000.0]
    assert size_bands(pd.Series([12_345.0, 12_345.0])) == [12_000.0]
    assert size_bands(pd.Series(dtype="float64")) == []


def test_cells_hold_days_weighted_win_rates_and_expected_values():
    zone = strike_zone(_ds()).set_index(["size_band", "age_band"])
    assert list(zone.index.levels[0]) == ["under $30K", "$30K–$50K", "$50K–$70K", "$70K and over"]
    small = zone.loc[("under $30K", "0-29 days")]
    assert (small["deals"], small["won"]) == (2, 1)
    assert small["win_rate"] == pytest.approx(0.4) and small["expected_value"] == pytest.approx(6000.0)
    assert zone.loc[("under $30K", "30-59 days"), "win_rate"] == 0.0
    assert zone.loc[("$30K–$50K", "0-29 days"), "win_rate"] == pytest.approx(0.25)
    assert zone.loc[("$70K and over", "0-29 days"), "win_rate"] == pytest.approx(0.125)
    assert np.isnan(zone.loc[("$50K–$70K", "60-89 days"), "win_rate"])       # nobody was open that long
    assert zone.loc[("$50K–$70K", "0-29 days"), ["open_deals", "open_amount"]].tolist() == [1, 55_000.0]


def test_open_deals_are_scored_by_their_cell_and_ranked_by_expected_value():
    ds = _ds()
    zone = strike_zone(ds)
    assert zone.attrs["overall_win_rate"] == pytest.approx(4 / 9)
    scored = score_open_deals(ds, ds.period("2026-Q3"), zone)
    assert scored["opportunity_id"].tolist() == ["O4", "O1", "O3", "O2"]
    assert scored["expected_value"].tolist() == pytest.approx([27_500.0, 10_000.0, 9_375.0, 8_750.0])
    assert scored["in_strike_zone"].tolist() == [True, False, False, False]
    assert scored["age_days"].tolist() == [12.0, 12.0, 3.0, 7.0]
    assert score_open_deals(ds, ds.period("2026-Q4"), zone).empty
