"""The what-if: zero adjustment is the current forecast call, each adjustment worked by hand, the chance of
target, roll-ups to region and district, the static grids, and the widget callback without a browser."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quotabook.metrics import MEASURES
from quotabook.testing import TERRITORIES, build_dataset, deal, targets, wide
from quotabook.themes.territory_quota import whatif
from quotabook.themes.territory_quota.whatif import EVERY_TERRITORY, Adjustments, WhatIfBase

Q3 = "2026-Q3"


def small_base() -> WhatIfBase:
    """T1 (East): closed 100, one Commit of 200, one Best Case of 400, target 500, win rate 25%, deals of 50.
    T2 (East): closed 300, target 300. T3 (West): nothing, target 100."""
    return WhatIfBase.from_frame(pd.DataFrame({
        "territory": ["T1", "T2", "T3"], "region": ["East", "East", "West"], "district": "D",
        "closed": [100.0, 300.0, 0.0], "commit": [200.0, 0.0, 0.0], "best_case": [400.0, 0.0, 0.0],
        "target": [500.0, 300.0, 100.0], "win_rate": [0.25, 0.5, 0.0], "deal_size": [50.0, 10.0, 0.0]}),
        best_case_share=0.5)


def test_zero_adjustment_is_the_forecast_call():
    got = whatif.project(small_base()).territories.set_index("territory")
    assert got["projected"].tolist() == [100 + 200 + 0.5 * 400, 300.0, 0.0]
    assert got["attainment"].tolist() == pytest.approx([500 / 500, 1.0, 0.0])
    assert (got["change"] == 0).all()


def test_zero_adjustment_equals_the_catalog_forecast_per_territory_region_and_district():
    """On a hand-built dataset: projected = Closed + Commit + best_case_share × Best Case from the catalog."""
    opps = [deal("A", amount=300, stage="Closed Won", close="2026-07-10"),
            deal("B", amount=500, category="Commit"), deal("C", amount=250, category="Commit"),
            deal("D", amount=800, category="Best Case"), deal("E", "T2", amount=90, category="Best Case"),
            deal("F", "T3", amount=700, category="Commit"), deal("G", "T3", amount=999, category="Pipeline")]
    ds = build_dataset(opps, targets=targets(Q3, T1=2000, T2=500, T3=600), as_of="2026-08-01")
    base = whatif.build_base(ds, Q3)
    result = whatif.project(base)
    names = ["closed_amount", "commit_amount", "best_case_amount", "target_amount"]
    for level in ("territory", "region", "district"):
        stack = wide(names, ds, Q3, by=level)
        forecast = stack["closed_amount"] + stack["commit_amount"] + 0.5 * stack["best_case_amount"]
        got = result.by(level).set_index(level)
        assert got["projected"].to_dict() == pytest.approx(forecast.to_dict())
        assert got["target"].to_dict() == pytest.approx(stack["target_amount"].to_dict())
        if "category_forecast" in MEASURES:
            catalog = wide(["category_forecast"], ds, Q3, by=level)["category_forecast"]
            assert got["projected"].to_dict() == pytest.approx(catalog.to_dict())
    # the deal amounts behind the variance: Σ commit² and Σ best case² per territory
    frame = base.frame().set_index("territory")
    assert frame.loc["T1", "commit_sq"] == 500**2 + 250**2 and frame.loc["T1", "best_case_sq"] == 800**2
    assert frame.loc["T3", "commit_sq"] == 700**2


def test_build_base_takes_win_rate_and_deal_size_over_four_quarters():
    """T1 closed in Q4 2025 (won 100, lost) and Q3 2026 (won 300): 2 of 3 won, average won deal 200. Q3 2025
    is five quarters back and left out. T2 has nothing closed and takes the scope's 2 of 3."""
    opps = [deal("A", amount=100, stage="Closed Won", close="2025-11-10", created="2025-01-02"),
            deal("B", amount=50, stage="Closed Lost", close="2025-12-01", created="2025-01-02"),
            deal("C", amount=300, stage="Closed Won", close="2026-07-10"),
            deal("D", amount=999, stage="Closed Lost", close="2025-08-01", created="2025-01-02")]
    base = whatif.build_base(build_dataset(opps, territories=TERRITORIES[:2], as_of="2026-08-01"), Q3)
    frame = base.frame().set_index("territory")
    assert frame.loc["T1", "win_rate"] == pytest.approx(2 / 3) and frame.loc["T1", "deal_size"] == 200.0
    assert frame.loc["T2", "win_rate"] == pytest.approx(2 / 3) and frame.loc["T2", "deal_size"] == 200.0
    assert math.isnan(frame.loc["T1", "target"])                      # no targets table: no target


def test_each_adjustment_by_hand():
    base = small_base()

    def t1(**kw) -> pd.Series:
        return whatif.project(base, Adjustments(**kw)).territories.set_index("territory").loc["T1"]

    # conversion −10%: Commit lands at 90%, Best Case at 45%
    assert t1(conversion=-0.1)["projected"] == pytest.approx(100 + 0.9 * 200 + 0.45 * 400)
    # conversion +10% cannot push Commit past 100%
    assert t1(conversion=0.1)["projected"] == pytest.approx(100 + 200 + 0.55 * 400)
    assert t1(commit=-0.25)["projected"] == pytest.approx(100 + 0.75 * 200 + 0.5 * 400)
    assert t1(best_case=0.25)["projected"] == pytest.approx(100 + 200 + 0.75 * 400)
    # new pipeline converts at the territory's win rate (25%), scaled by the conversion change
    assert t1(new_pipeline=1000)["projected"] == pytest.approx(500 + 250)
    assert t1(new_pipeline=1000, conversion=0.2)["projected"] == pytest.approx(100 + 200 + 0.6 * 400 + 300)
    quota = t1(quota=0.1)
    assert quota["target"] == pytest.approx(550) and quota["attainment"] == pytest.approx(500 / 550)
    assert t1(commit=-0.25)["change"] == pytest.approx(-50)


def test_adjustments_per_territory_leave_the_others_alone():
    base = small_base()
    got = whatif.project(base, Adjustments(quota={"T2": 0.5}, new_pipeline=pd.Series({"T1": 400.0})))
    frame = got.territories.set_index("territory")
    assert frame["target"].tolist() == [500.0, 450.0, 100.0]
    assert frame["projected"].tolist() == [500 + 100, 300.0, 0.0]
    with pytest.raises(ValueError, match="unknown territories in a what-if adjustment: T9"):
        whatif.project(base, Adjustments(quota={"T9": 0.1}))


def test_chance_of_target_is_the_normal_approximation_of_independent_deals():
    base = small_base()
    frame = whatif.project(base).territories.set_index("territory")
    # T1: Commit certain, Best Case 400 won with p = 0.5: mean 500, sd 200; target 500 -> exactly one half
    assert frame.loc["T1", "probability"] == pytest.approx(0.5)
    assert frame.loc["T2", "probability"] == 1.0          # nothing open, target already won
    assert frame.loc["T3", "probability"] == 0.0          # nothing open, nothing won
    # Commit at 50%: variance 0.25 × 200² + 0.25 × 400²; target 500, mean 400
    got = whatif.project(base, Adjustments(commit=-0.5)).territories.set_index("territory").loc["T1"]
    sd = math.sqrt(0.25 * 200**2 + 0.25 * 400**2)
    assert got["probability"] == pytest.approx(0.5 * math.erfc((500 - 400) / (sd * math.sqrt(2))))


def test_regions_and_district_add_up_means_and_variances():
    result = whatif.project(small_base(), Adjustments(commit=-0.5))
    region = result.by("region").set_index("region")
    terr = result.territories.set_index("territory")
    assert region.loc["East", "projected"] == terr.loc[["T1", "T2"], "projected"].sum()
    assert region.loc["East", "target"] == 800.0
    assert region.loc["East", "attainment"] == pytest.approx(terr.loc[["T1", "T2"], "projected"].sum() / 800)
    sd = math.sqrt(terr.loc[["T1", "T2"], "variance"].sum())
    expected = 0.5 * math.erfc((800 - region.loc["East", "projected"]) / (sd * math.sqrt(2)))
    assert region.loc["East", "probability"] == pytest.approx(expected)
    district = result.by("district")
    assert district["target"].tolist() == [900.0] and district["projected"].sum() == terr["projected"].sum()


def test_project_is_pure():
    base = small_base()
    before = base.frame().copy()
    first = whatif.project(base, Adjustments(conversion=-0.2, quota=0.1)).territories
    second = whatif.project(base, Adjustments(conversion=-0.2, quota=0.1)).territories
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(base.frame(), before)


def test_scenario_table_and_sensitivity_grid():
    base = small_base()
    grid = whatif.scenario_table(base, by="region")
    assert list(grid["scenario"].cat.categories) == list(whatif.DEFAULT_SCENARIOS)
    east = grid[grid["region"] == "East"].set_index("scenario")
    assert east.loc["As forecast", "attainment"] == pytest.approx(800 / 800)
    assert east.loc["Quota +10%", "attainment"] == pytest.approx(800 / 880)
    sens = whatif.sensitivity_grid(base, conversion=(-0.2, 0.0), quota=(0.0, 0.1))
    assert len(sens) == 4
    row = sens[(sens["conversion"] == 0.0) & (sens["quota"] == 0.1)].iloc[0]
    assert row["target"] == pytest.approx(990.0) and row["projected"] == pytest.approx(800.0)


# -- the widget, without a browser ----------------------------------------------------------------------------
def test_widget_callback_recomputes_on_every_slider_move():
    w = whatif.make_widget(small_base(), level="territory", scope="East")
    assert "East: projected 800 against a target of 900 (89%)" in w.summary.value.replace("$", "")
    w.controls["commit"].value = 0.5                                     # Commit realisation 100% -> 50%
    assert w.adjustments().commit == pytest.approx(-0.5)
    assert "projected $700" in w.summary.value and "−$100" in w.summary.value
    assert "<td style='text-align:left;padding:2px 8px;border-bottom:1px solid #ddd'>T1</td>" in w.table.value
    w.controls["quota"].value = 0.1
    expected = whatif.project(small_base(), Adjustments(commit=-0.5, quota=0.1)).by("district")
    assert f"({expected['projected'].sum() / expected['target'].sum():.0%})" in w.summary.value
    w.apply_to.value = "T2"                                             # now only T2 is adjusted
    assert w.adjustments().quota == {"T2": pytest.approx(0.1)}
    assert "projected $800" in w.summary.value and "target of $930" in w.summary.value
    w._reset()
    assert w.controls["commit"].value == 1.0 and w.controls["best_case"].value == 0.5
    assert w.apply_to.value == EVERY_TERRITORY and "(89%)" in w.summary.value


def test_a_territory_named_all_territories_is_adjusted_alone():
    base = WhatIfBase.from_frame(pd.DataFrame({
        "territory": ["All territories", "T2"], "region": "East", "district": "D", "closed": [100.0, 300.0],
        "commit": [200.0, 0.0], "best_case": [0.0, 0.0], "target": [500.0, 300.0], "win_rate": [0.25, 0.5],
        "deal_size": [50.0, 10.0]}), best_case_share=0.5)
    w = whatif.make_widget(base, level="territory", scope="East")
    assert [label for label, _ in w.apply_to.options] == ["All territories", "All territories", "T2"]
    w.apply_to.value = "All territories"                                # the territory, not every territory
    w.controls["quota"].value = 0.1
    assert w.adjustments().quota == {"All territories": pytest.approx(0.1)}
    assert "target of $850" in w.summary.value                          # 500 × 1.1 + 300


def test_widget_for_a_report_shows_one_row_per_level_and_the_scope_total():
    from quotabook.metrics import load_catalog
    from quotabook.notebook import Report

    opps = [deal("B", amount=500, category="Commit"), deal("F", "T3", amount=700, category="Best Case")]
    ds = build_dataset(opps, targets=targets(Q3, T1=400, T2=100, T3=600), as_of="2026-08-01")
    report = Report(ds=ds, period=ds.period(Q3), region=None, catalog=load_catalog())
    w = whatif.widget(report)
    assert w.level == "region" and w.scope == "The district"
    assert w.table.value.count("<tr>") == 1 + 2 + 1                     # header, East, West, total
    assert "font-weight:bold;" in w.table.value                          # the total row
    assert np.isclose(w.result().territories["projected"].sum(), 500 + 350)


# -- new pipeline: in total or per territory, said in words ------------------------------------------------------
def test_new_pipeline_in_total_is_split_evenly_and_per_territory_adds_to_each():
    """small_base: win rates 25%, 50%, 0%. $300 in total is $100 each: 0.25×100 + 0.5×100 = +$75. $300 per
    territory: 0.25×300 + 0.5×300 = +$225. Switching the mode converts the amount: the projection stays."""
    w = whatif.make_widget(small_base(), level="territory", scope="East")
    assert w.pipeline_mode.value == "total"
    w.controls["new_pipeline"].value = 3000
    assert "change vs the forecast call +$750" in w.summary.value
    assert "New pipeline added: $3.0K in total, $1.0K to each of the 3 territories" in w.summary.value
    w.pipeline_mode.value = "each"                                   # $3,000 in total is $1,000 per territory
    assert w.controls["new_pipeline"].value == 1000 and "+$750" in w.summary.value
    assert "New pipeline added: $1.0K to each of the 3 territories, $3.0K in total" in w.summary.value
    w.controls["new_pipeline"].value = 3000
    assert "+$2.3K" in w.summary.value  # 0.25×3,000 + 0.5×3,000 = 2,250, rounded half up as every page rounds
    w.apply_to.value = "T2"                                          # one territory: the amount goes there
    assert "New pipeline added: $3.0K to T2 only" in w.summary.value and "+$1.5K" in w.summary.value


def test_the_pipeline_amount_in_words():
    assert whatif.spread_new_pipeline(400_000, 16, "total") == 25_000
    assert whatif.spread_new_pipeline(400_000, 16, "each") == 400_000
    assert whatif.new_pipeline_text(400_000, 16, "total", "USD") == \
        "$400K in total, $25K to each of the 16 territories"
    assert whatif.new_pipeline_text(0, 16, "each", "USD") == "none"
    with pytest.raises(ValueError, match="total, each"):
        whatif.spread_new_pipeline(1, 2, "per rep")


# -- what a period still responds to -----------------------------------------------------------------------------
def test_inert_controls_by_what_is_left_open_and_whether_the_period_ended():
    from quotabook.fiscal import FiscalCalendar

    base = small_base()                                     # Commit and Best Case open, win rates, targets
    q3 = FiscalCalendar().period(Q3)
    assert whatif.inert_controls(base, q3.state("2026-08-01")) == {}
    ended = whatif.inert_controls(base, q3.state("2026-10-05"))
    assert ended == {"new_pipeline": "new pipeline cannot close in a period that has ended"}
    assert "Still moving it: conversion change, Commit realisation, Best Case realisation and quota change. " \
        "Greyed out: New pipeline (new pipeline cannot close" in whatif.inert_note(base, q3.state("2026-10-05"), ended)
    quota_only = {"conversion": "a", "commit": "b", "best_case": "c", "new_pipeline": "d"}
    assert "Only the quota change still moves it." in whatif.inert_note(base, None, quota_only)
    assert whatif.inert_note(base, q3.state("2026-08-01"), {}) == ""
    closed = WhatIfBase.from_frame(pd.DataFrame({"territory": ["T1"], "region": "R", "district": "D",
                                                 "closed": [50.0], "commit": [0.0], "best_case": [0.0],
                                                 "target": [np.nan], "win_rate": [0.0]}), period=Q3)
    inert = whatif.inert_controls(closed, q3.state("2026-10-05"))
    assert list(inert) == ["commit", "best_case", "new_pipeline", "conversion", "quota"]
    note = whatif.inert_note(closed, q3.state("2026-10-05"), inert)
    assert note.startswith("<b>2026-Q3 ended on 30 Sep 2026</b>: with the data as of 5 Oct 2026")
    assert "Nothing moves it any more" in note and "Quota change (no target is set for 2026-Q3)" in note
    running = whatif.inert_controls(closed, q3.state("2026-08-01"))
    assert running["new_pipeline"].startswith("no deal was won in the last four quarters")


def test_the_widget_greys_out_inert_sliders_and_draws_projected_against_target_per_territory():
    from quotabook.fiscal import FiscalCalendar

    w = whatif.make_widget(small_base(), level="territory", scope="East",
                           state=FiscalCalendar().period(Q3).state("2026-10-05"))
    assert w.controls["new_pipeline"].disabled and w.pipeline_mode.disabled
    assert not any(w.controls[k].disabled for k in ("conversion", "commit", "best_case", "quota"))
    w.controls["new_pipeline"].value = 5000                       # greyed out: counts as nothing
    assert "change vs the forecast call –" in w.summary.value
    # T1 500 of 500, T2 300 of 300, T3 0 of 100: one of three short, by $100
    assert "1 of 3 territories are projected short of target; T3 by $100" in w.chart.value
    assert "<svg" in w.chart.value
