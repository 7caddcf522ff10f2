"""The territory quota notebook (04): its findings on the worked example's five territories
(:mod:`worked.territory_quota`) and the charts' titles, axes and colours; data without TACoS gives sentences, not
errors. The calibration table is tested in tests/themes/territory_quota/test_tables.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from quotabook.charts.base import category_color
from quotabook.themes.territory_quota import charts, whatif
from quotabook.themes.territory_quota.data import calibration
from quotabook.themes.territory_quota.text import territory_quota_findings
from worked.territory_quota import Q3, SEED_TERRITORIES, M, seed_report


def test_calibration_reproduces_the_worked_allocation_and_splits_the_target_by_it():
    cal = calibration(seed_report().ds, Q3).set_index("territory")
    assert cal["conversion"].tolist() == [0.25] * 5
    assert cal.loc[["AE1", "AE2", "AE3", "AE4", "AE5"], "quota"].tolist() == [1_920_000.0, 1_600_000.0,
                                                                                1_440_000.0, 1_600_000.0, 1_440_000.0]
    assert cal.loc["AE1", "weighted_opportunity"] == pytest.approx(2.4 * M)
    assert cal.loc["AE1", "calibrated_target"] == pytest.approx(1.92 / 8 * 500_000)        # $120K
    assert cal.loc["AE3", "target_gap"] == pytest.approx(100_000 - 90_000)
    assert cal.loc["AE1", "deviation"] == pytest.approx(0.2) and not cal.loc["AE1", "fair"]
    assert cal.loc["AE3", "fair"]                                                           # exactly −10%: within


def test_findings_on_the_worked_example_territories():
    report = seed_report()
    found = territory_quota_findings(report)
    assert found.sentences == [
        "Split in proportion to each territory's yearly calibrated quota (its addressable market, TACoS, × "
        "propensity × win rate × capacity), AE3's 2026-Q3 target of "
        "$100K would be $90K: it carries $10K more than its opportunity supports, while AE1 carries $20K less.",
        "1 of 5 territories sits outside the ±10% fairness band of weighted opportunity (TACoS × propensity) — "
        "AE1: 20% above the mean: review the account split before the next planning cycle.",
        "No territory is on a new-hire ramp; the lowest capacity is AE1 at 80%, which scales its calibrated quota "
        "down by the same share.",
        "At the forecast call (Closed + Commit + 50% of Best Case) East projects $80K against $500K (16%), a 0% "
        "chance of reaching target; if every open deal converts 20% less often it projects 13% (0% chance).",
        # four territories project nothing on the call: a tie, so none is "the" furthest from target
        "Furthest from target on the forecast call: AE2, AE3, AE4 and 1 more, each at 0%.",
    ]
    assert found.headlines == {"Calibrated quota (yearly)": "$8.0M a year, beside a $500K 2026-Q3 target",
                               "Outside fairness band": "1 of 5",
                               "Projected attainment": "16%", "Chance of target": "0%"}
    assert found.alerts == [{"message": "Fairness: 1 of 5 territories outside ±10% of the mean weighted opportunity "
                                        "(AE1: 20% above the mean)", "level": "warning"}]


def test_findings_name_new_hires_on_the_ramp_and_a_closed_period():
    ramping = [{**t, "capacity_factor": 0.7 if t["territory"] in ("AE2", "AE4") else 1.0} for t in SEED_TERRITORIES]
    found = territory_quota_findings(seed_report(territories=ramping, open_deals=False, as_of="2026-10-15"))
    assert ("AE2 and AE4 run at 70% capacity, the ramp level for new hires, so their calibrated quota is 30% below "
            "a fully ramped seller's.") in found.sentences
    assert found.sentences[-1] == ("2026-Q3 is over for East: bookings are final at 0% of target, so "
                                   "only the quota moves the what-if (a 10% lower quota would have meant 0%).")
    assert found.headlines["Attainment (final)"] == "0%" and "Chance of target" not in found.headlines
    # on 1 Aug nothing open is dated in 2026-Q3 either, but two months are left: its bookings are not final
    running = territory_quota_findings(seed_report(territories=ramping, open_deals=False))
    assert running.sentences[-1] == (
        "No open Commit or Best Case is dated in 2026-Q3 for East: bookings stand at 0% of target unless new deals "
        "close before it ends, so only the quota moves the what-if (a 10% lower quota would mean 0%).")
    assert "Attainment (final)" not in running.headlines


def test_without_tacos_the_notebook_says_so_instead_of_failing():
    bare = [{k: v for k, v in t.items() if k not in ("tam", "propensity")} for t in SEED_TERRITORIES]
    report = seed_report(territories=bare)
    found = territory_quota_findings(report)
    assert found.sentences[0].startswith("Quota calibration is not available for this data (")
    assert "territories.tam" in found.sentences[0] and found.alerts == []
    cal = calibration(report.ds, Q3)
    fig = charts.calibration_bars(cal, currency="USD", scope="East", period=Q3)
    assert isinstance(fig, Figure) and "needs column territories.tam" in fig.axes[0].texts[0].get_text()


def _bar_colors(ax) -> set[str]:
    return {to_hex(p.get_facecolor()) for p in ax.patches if p.get_width() != 0}


def test_calibration_and_fairness_charts():
    report = seed_report()
    cal = calibration(report.ds, Q3)
    fig = charts.calibration_bars(cal, currency="USD", scope="East", period=Q3)
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == (r"AE3 carries \$10K more target than its calibrated quota supports; AE1 "
                                        r"\$20K less")
    assert ax.get_xlabel() == "Target (USD)" and ax.get_yticklabels()[0].get_text() == "AE3"
    assert {category_color("Target"), charts.COLORS[0]} <= _bar_colors(ax)
    fig = charts.fairness_bars(cal, tolerance=0.1, scope="East")
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == ("1 of 5 territories sits outside the ±10% fairness band; AE1 is 20% above "
                                        "the mean")
    colors = {to_hex(p.get_facecolor()): p.get_width() for p in ax.patches if p.get_height() == 0.65}
    assert colors[charts.UNFAIR_COLOR] == pytest.approx(0.2)


def test_what_if_heatmaps():
    report = seed_report()
    base = whatif.build_base(report.ds, report.period)
    grid = whatif.scenario_table(base, by="territory")
    fig = charts.scenario_heatmap(grid, by="territory", scope="East", period=Q3)
    ax = fig.axes[0]
    assert fig._suptitle.get_text().startswith("All 5 territories fall short of target at the forecast call")
    assert len(ax.texts) == 5 * len(whatif.DEFAULT_SCENARIOS)
    assert ax.texts[2].get_text() == "80%\n16%"     # AE1 as forecast: 60K + half of 40K; sd 20K, 1 sd short
    sens = charts.sensitivity_heatmap(whatif.sensitivity_grid(base), scope="East", period=Q3)
    assert sens.axes[0].get_xlabel() == "Quota change" and sens.axes[0].get_ylabel() == "Conversion change"
    assert sens._suptitle.get_text() == "East falls short of target in every combination of ±20% conversion and quota"
    empty = charts.scenario_heatmap(grid.assign(attainment=np.nan), by="territory", scope="East", period=Q3)
    assert empty.axes[0].texts[0].get_text() == "No target is set for the period."


def _closed_only(closed: float) -> whatif.WhatIfBase:
    """One territory with ``closed`` won against a target of 100 and nothing open."""
    return whatif.WhatIfBase.from_frame(pd.DataFrame({"territory": ["T1"], "region": "R", "district": "D",
                                                      "closed": [closed], "commit": [0.0], "best_case": [0.0],
                                                      "target": [100.0]}))


def test_closed_period_sensitivity_says_only_the_quota_moves():
    fig = charts.sensitivity_heatmap(whatif.sensitivity_grid(_closed_only(95.0)), scope="West", period=Q3)
    assert fig._suptitle.get_text().replace("\n", " ") == ("West: nothing open can still land in 2026-Q3; only a "
                                                          "quota at least 10% lower would have reached target")
    # reached at this quota with nothing to spare (the solo region of a 2016 export: 100.2%): no "0% higher"
    fig = charts.sensitivity_heatmap(whatif.sensitivity_grid(_closed_only(100.2)), scope="Iberia", period=Q3)
    assert fig._suptitle.get_text().replace("\n", " ") == ("Iberia: nothing open can still land in 2026-Q3; target "
                                                          "is reached at this quota, not at one 10% higher")
