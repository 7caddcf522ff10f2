"""The territory quota page's calibration table (:mod:`quotabook.themes.territory_quota.tables`) on the worked
example's five territories (:mod:`worked.territory_quota`): eight columns that fit the page, or a sentence when the
data has no TACoS."""

from __future__ import annotations

from quotabook.themes.territory_quota.data import calibration
from quotabook.themes.territory_quota.tables import calibration_table
from worked.territory_quota import Q3, SEED_TERRITORIES, seed_report


def test_calibration_table_fits_eight_columns():
    report = seed_report()
    shown = calibration_table(report, calibration(report.ds, Q3)).data
    assert len(shown.columns) == 8
    assert shown.columns[5:].tolist() == ["Calibrated quota (yearly)", "Target (2026-Q3)",
                                          "2026-Q3 target split by quota"]
    assert shown.iloc[0].tolist() == ["AE1", "$12.0M", "80%", "25%", "80%", "$1.9M", "$100K", "$120K"]


def test_without_tacos_the_table_is_a_sentence():
    bare = [{k: v for k, v in t.items() if k not in ("tam", "propensity")} for t in SEED_TERRITORIES]
    report = seed_report(territories=bare)
    shown = calibration_table(report, calibration(report.ds, Q3)).data
    assert shown.startswith("*Quota calibration is not available for this data (") and "territories.tam" in shown
