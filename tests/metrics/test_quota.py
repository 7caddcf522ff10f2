"""Quota calibration: the worked example and the allocation table reproduced exactly, the
fairness check naming its outliers, ramp for new hires, linearity in every input (hypothesis), and the
territory-quota catalog metrics computed from a territories table."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quotabook.dataset import Dataset, empty_table
from quotabook.metrics import compute_wide
from quotabook.metrics.quota import (
    allocation_table,
    calibrated_quota,
    capacity_adjustment,
    fairness_check,
    fairness_outliers,
    owner_tenure_months,
    quota_per_rep,
    quota_sensitivity,
    weighted_opportunity,
)
from quotabook.schemas import TABLES
from quotabook.settings import load_settings

M = 1_000_000
SEED_TABLE = pd.DataFrame({"rep": ["AE1", "AE2", "AE3", "AE4", "AE5"], "tam": [12 * M, 10 * M, 9 * M, 10 * M, 9 * M],
                           "propensity": 0.8, "capacity_factor": 0.8})


def test_worked_example():
    """$50M TAM across 5 AEs, propensity 0.8, 25% conversion: $10M each, weighted $2M, quota $1.6M at 80%."""
    assert weighted_opportunity(50 * M / 5, 0.8, 0.25) == 2 * M
    assert quota_per_rep(50 * M, 5, 0.8, 0.25, 0.8) == 1.6 * M
    assert calibrated_quota(10 * M, 0.8, 0.25, 0.8) == 1_600_000.00


def test_worked_allocation_table_exactly():
    table = allocation_table(SEED_TABLE, 0.25, name="rep")
    assert table["rep"].tolist() == ["AE1", "AE2", "AE3", "AE4", "AE5"]
    assert table["tam"].tolist() == [12 * M, 10 * M, 9 * M, 10 * M, 9 * M]
    assert table["weighted_opportunity"].tolist() == [2.4 * M, 2.0 * M, 1.8 * M, 2.0 * M, 1.8 * M]
    assert table["quota"].tolist() == [1_920_000.0, 1_600_000.0, 1_440_000.0, 1_600_000.0, 1_440_000.0]
    assert table["tam"].sum() == 50 * M
    # the same in the worked example's $M units, to the cent of a million
    in_millions = allocation_table(SEED_TABLE.assign(tam=SEED_TABLE["tam"] / M), 0.25, name="rep")
    assert in_millions["weighted_opportunity"].round(2).tolist() == [2.4, 2.0, 1.8, 2.0, 1.8]
    assert in_millions["quota"].tolist() == [1.92, 1.60, 1.44, 1.60, 1.44]


def test_fairness_names_the_outliers_of_the_seed_table():
    """Mean weighted opportunity 2.0: AE1 is 20% above (outside ±10%); AE3 and AE5 are exactly 10% below,
    which is within the band."""
    table = allocation_table(SEED_TABLE, 0.25, name="rep")
    assert table["deviation"].round(6).tolist() == [0.2, 0.0, -0.1, 0.0, -0.1]
    assert table["fair"].tolist() == [False, True, True, True, True]
    out = fairness_outliers(table, name="rep")
    assert out.to_dict() == {"AE1": "AE1: 20% above the mean"}
    tight = fairness_outliers(table, name="rep", tolerance=0.05)
    assert tight.index.tolist() == ["AE1", "AE3", "AE5"]           # largest deviation first
    assert tight["AE3"] == "AE3: 10% below the mean"
    check = fairness_check(table, name="rep")
    assert check["mean"].iloc[0] == 2.0 * M


def test_ramp_for_new_hires():
    assert capacity_adjustment(tenure_months=6) == 0.70           # 70% in the first 12 months
    assert capacity_adjustment(tenure_months=12) == 1.0
    assert capacity_adjustment(tenure_months=np.inf) == 1.0
    assert capacity_adjustment(0.8, 3) == 0.8                      # a given capacity wins
    got = capacity_adjustment(pd.Series([np.nan, 0.9, np.nan]), [2, 2, 30], ramp_factor=0.6, ramp_months=6)
    assert got.tolist() == [0.6, 0.9, 1.0]
    hires = SEED_TABLE.drop(columns="capacity_factor").assign(tenure_months=[3, 24, 11, 12, np.inf])
    table = allocation_table(hires, 0.25, name="rep")
    assert table["capacity_factor"].tolist() == [0.7, 1.0, 0.7, 1.0, 1.0]
    assert table["quota"].tolist() == [1_680_000.0, 2_000_000.0, 1_260_000.0, 2_000_000.0, 1_800_000.0]


def test_owner_tenure_is_inferred_from_first_deal_or_activity():
    opps = pd.DataFrame({"owner": ["Old", "New", "New"],
                         "created_date": pd.to_datetime(["2025-01-10", "2025-09-01", "2025-10-01"])})
    acts = pd.DataFrame({"owner": ["New", "Late"], "activity_date": pd.to_datetime(["2025-08-15", "2026-05-01"])})
    tenure = owner_tenure_months(opps, acts, "2026-06-30")
    assert tenure["Old"] == np.inf                                  # there from the start of the data
    assert tenure["New"] == pytest.approx(10.5, abs=0.05)           # since Aug 15, 2025
    assert tenure["Late"] == pytest.approx(2.0, abs=0.05)


def test_quota_sensitivity_moves_each_input_alone():
    table = allocation_table(SEED_TABLE, 0.25, name="rep")
    grid = quota_sensitivity(table, (-0.2, 0.1), name="rep").set_index(["rep", "input", "change"])
    assert len(grid) == 5 * 4 * 2
    assert grid.loc[("AE1", "tam", 0.1), "quota"] == 2_112_000.0
    assert grid.loc[("AE1", "conversion", -0.2), "quota_change"] == -384_000.0
    assert grid.loc[("AE2", "capacity_factor", -0.2), "quota"] == 1_280_000.0


@settings(max_examples=60, deadline=None)
@given(tam=st.floats(0, 1e9), propensity=st.floats(0, 1), conversion=st.floats(0, 1), capacity=st.floats(0, 1),
       k=st.floats(0, 5), which=st.integers(0, 3))
def test_quota_scales_linearly_with_each_input(tam, propensity, conversion, capacity, k, which):
    inputs = [tam, propensity, conversion, capacity]
    scaled = list(inputs)
    scaled[which] *= k
    base = tam * propensity * conversion * capacity
    assert calibrated_quota(*scaled) == pytest.approx(k * base, rel=1e-9, abs=0.01)
    table = pd.DataFrame({"territory": ["T"], "tam": [scaled[0]], "propensity": [scaled[1]],
                          "capacity_factor": [scaled[3]]})
    assert allocation_table(table, scaled[2])["quota"].iloc[0] == pytest.approx(k * base, rel=1e-9, abs=0.01)


# -- the catalog metrics of the territory_quota theme ------------------------------------------------------
def seed_dataset(capacity=(0.8,) * 5, region=("East", "East", "East", "West", "West")) -> Dataset:
    """The worked example's five territories, each with one won and three lost deals this year (win rate 25%)."""
    settings_ = load_settings()
    terr = pd.DataFrame({"territory": [f"AE{i}" for i in range(1, 6)], "region": list(region), "district": "D",
                         "owner": [f"rep{i}" for i in range(1, 6)], "tam": SEED_TABLE["tam"], "propensity": 0.8,
                         "capacity_factor": list(capacity)})
    n = np.arange(20)
    opps = pd.DataFrame({"opportunity_id": [f"O{i}" for i in n], "territory": [f"AE{i // 4 + 1}" for i in n],
                         "owner": [f"rep{i // 4 + 1}" for i in n],
                         "created_date": pd.Timestamp("2025-01-02"), "close_date": pd.Timestamp("2026-02-15"),
                         "stage": np.where(n % 4 == 0, "Closed Won", "Closed Lost"), "amount": 1000.0,
                         "is_closed": True, "is_won": n % 4 == 0})
    frames = {name: empty_table(name) for name in TABLES}
    for name, given_ in (("territories", terr), ("opportunities", opps)):
        base = empty_table(name)
        frames[name] = given_.reindex(columns=base.columns).astype(base.dtypes.to_dict())
    return Dataset(**frames, settings=settings_, present=frozenset({"territories", "opportunities"}),
                   as_of_date=pd.Timestamp("2026-03-31"))


QUOTA_METRICS = ["tam_amount", "propensity", "expected_conversion", "capacity_factor", "weighted_opportunity",
                 "quota", "fairness_variance"]


def test_catalog_quota_reproduces_the_allocation_table():
    got = compute_wide(QUOTA_METRICS, seed_dataset(), "2026-Q1")
    assert got["expected_conversion"].tolist() == [0.25] * 5
    assert got["weighted_opportunity"].round(2).tolist() == [2.4 * M, 2.0 * M, 1.8 * M, 2.0 * M, 1.8 * M]
    assert got["quota"].round(2).tolist() == [1_920_000.0, 1_600_000.0, 1_440_000.0, 1_600_000.0, 1_440_000.0]
    assert got["fairness_variance"].round(9).tolist() == [0.2, 0.0, 0.1, 0.0, 0.1]
    district = compute_wide(QUOTA_METRICS, seed_dataset(), "2026-Q1", by="district").loc["D"]
    assert district["tam_amount"] == 50 * M and district["quota"] == pytest.approx(8 * M)
    assert district["fairness_variance"] == pytest.approx(0.2)


def test_region_quota_is_the_sum_of_its_territories_with_uneven_capacity():
    ds = seed_dataset(capacity=(0.7, 1.0, 0.8, 0.9, 0.6))
    terr = compute_wide(["quota"], ds, "2026-Q1")["quota"]
    region = compute_wide(["quota", "capacity_factor"], ds, "2026-Q1", by="region")
    assert region.loc["East", "quota"] == pytest.approx(terr[["AE1", "AE2", "AE3"]].sum())
    assert region.loc["West", "quota"] == pytest.approx(terr[["AE4", "AE5"]].sum())
    # capacity weighted by TAM x propensity: (12 x 0.7 + 10 x 1.0 + 9 x 0.8) / 31
    assert region.loc["East", "capacity_factor"] == pytest.approx((12 * 0.7 + 10 + 9 * 0.8) / 31)


def test_missing_capacity_falls_back_to_the_ramp_of_new_owners():
    ds = seed_dataset(capacity=(np.nan, 0.9, np.nan, np.nan, np.nan))
    # rep1 appears mid-way (first deal three months before the report date); the others were there first
    opps = ds.opportunities.copy()
    opps.loc[opps["owner"] == "rep1", "created_date"] = pd.Timestamp("2025-12-31")
    got = compute_wide(["capacity_factor"], replace(ds, opportunities=opps), "2026-Q1")["capacity_factor"]
    assert got.tolist() == [0.7, 0.9, 1.0, 1.0, 1.0]


def test_quota_metrics_without_tam_are_not_available():
    ds = seed_dataset()
    missing = compute_wide(QUOTA_METRICS, replace(ds, territories=ds.territories.assign(tam=np.nan)), "2026-Q1")
    assert missing.attrs["unavailable"]["tam_amount"] == "tam_amount not available: needs column territories.tam"
    assert {"weighted_opportunity", "quota", "fairness_variance"} <= set(missing.attrs["unavailable"])


def test_quota_rolls_up_exactly_when_territories_convert_differently():
    """Trailing win rates differ per territory (AE1 wins 3 of 4, the others 1 of 4): a region's quota is still
    the sum of its territories', and AE1's conversion counts the four quarters up to the period."""
    ds = seed_dataset(capacity=(0.7, 1.0, 0.8, 0.9, 0.6))
    opps = ds.opportunities.copy()
    opps.loc[opps["opportunity_id"].isin(["O1", "O2"]), ["stage", "is_won"]] = ["Closed Won", True]
    opps.loc[opps["opportunity_id"] == "O1", "close_date"] = pd.Timestamp("2025-06-30")   # 3 quarters back
    ds = replace(ds, opportunities=opps)
    terr = compute_wide(["expected_conversion", "quota"], ds, "2026-Q1")
    assert terr["expected_conversion"].tolist() == [0.75, 0.25, 0.25, 0.25, 0.25]
    region = compute_wide(["quota", "weighted_opportunity"], ds, "2026-Q1", by="region")
    assert region.loc["East", "quota"] == pytest.approx(terr.loc[["AE1", "AE2", "AE3"], "quota"].sum(), rel=1e-12)
    assert region.loc["West", "quota"] == pytest.approx(terr.loc[["AE4", "AE5"], "quota"].sum(), rel=1e-12)
    # a quarter later O1 (Q2 2025) leaves the four-quarter window: AE1 is 2 of 3
    later = compute_wide(["expected_conversion"], ds, "2026-Q2")
    assert later.loc["AE1", "expected_conversion"] == pytest.approx(2 / 3)
