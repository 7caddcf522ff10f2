"""The catalog drives what readers see: table headers, units and formats, chart axes, the glossary and alerts.

Tables are built by hand (a CRM whose groups are "North" and "South", a group with nothing closed, a missing
coverage reading), so every expected header, cell and alert is worked out from the catalog entry it comes from.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from quotabook.metrics import load_catalog
from quotabook.metrics.catalog import CATALOG_FILE, label, use_catalog
from quotabook.notebook import Report
from quotabook.settings import load_settings
from quotabook.themes.funnel.charts import win_rate as win_rate_chart
from quotabook.themes.funnel.charts import win_rate_bars
from quotabook.themes.won_lost.charts import win_rate_line


def _report(catalog, **thresholds) -> Report:
    settings = load_settings()
    if thresholds:
        settings = replace(settings, thresholds={**settings.thresholds, **thresholds})
    ds = SimpleNamespace(settings=settings, currency="USD", opportunities=pd.DataFrame({"name": []}))
    return Report(ds=ds, period=None, region="East", catalog=catalog)


def _rates() -> pd.DataFrame:
    """Win rate per group as :func:`quotabook.themes.funnel.data.win_rate_by` returns it: North 3 of 10, South nothing
    closed, Total 3 of 10."""
    return pd.DataFrame({"group": ["North", "South", "Total"], "won_count": [3.0, 0.0, 3.0],
                         "closed_count": [10.0, 0.0, 10.0], "win_rate": [0.3, np.nan, 0.3], "low": 0.22,
                         "high": 0.35, "status": ["within", "no data", "within"]})


@pytest.fixture(autouse=True)
def _packaged_catalog():
    yield
    use_catalog(None)  # no test leaves its catalog active for the next


def test_metric_columns_take_label_and_format_from_the_catalog_and_names_from_the_shared_map():
    report = _report(load_catalog())
    frame = pd.DataFrame({"territory": ["T1", "T2"], "closed_amount": [1_234_567.0, 42_377.0],
                          "win_rate": [0.3125, np.nan], "dial_to_connect": [11.5, 12.49], "note": ["a", "b"]})
    data = report.table(frame).data
    assert data.columns.tolist() == ["Territory", "Closed", "Win rate", "Dial:Connect", "note"]
    assert data["Closed"].tolist() == ["$1.2M", "$42K"]
    assert data["Win rate"].tolist() == ["31%", "–"]
    assert data["Dial:Connect"].tolist() == ["12:1", "12:1"]
    assert report.shown_metrics == ["closed_amount", "win_rate", "dial_to_connect"]


def test_a_column_headed_otherwise_is_mapped_to_its_metric_and_unit_columns_are_not_metrics():
    report = _report(load_catalog())
    frame = pd.DataFrame({"Rep": ["Ann"], "Team ratio": [6.0], "Rep ÷ team": [2.0], "Velocity": [42_377.0]})
    data = report.table(frame, {"Team ratio": "opportunity_to_deal", "Rep ÷ team": "ratio"},
                        units={"Velocity": "currency_per_day"}).data
    assert data.iloc[0].tolist() == ["Ann", "6:1", "2.0×", "$42K per day"]
    assert report.shown_metrics == ["opportunity_to_deal"]
    with pytest.raises(KeyError, match="win_rate"):
        report.table(frame, ["win_rate"])


def test_a_mapping_shared_by_several_tables_shows_only_the_metrics_of_the_columns_present():
    """A header -> metric mapping kept for a table whose columns vary (a cohort table without SAL dates has
    no Lead→SAL column) adds to the glossary only the metrics of the columns the frame holds."""
    report = _report(load_catalog())
    frame = pd.DataFrame({"Cohort": ["2026-01"], "Leads": [4.0], "Lead→Opp": [0.5]})
    data = report.table(frame, {"Leads": "count", "Lead→SAL": "lead_to_sal", "Lead→Opp": "lead_to_opportunity"}).data
    assert data.iloc[0].tolist() == ["2026-01", "4", "50%"]
    assert report.shown_metrics == ["lead_to_opportunity"]


def test_the_glossary_lists_the_metrics_the_page_showed_and_the_explicit_list_still_works():
    report = _report(load_catalog())
    report.table(pd.DataFrame({"owner": ["Ann"], "won_count": [2.0]}))
    label("win_rate")  # no catalog made active: a chart label records nothing on this report
    shown = report.glossary().markdown()
    assert "**Won deals** (`won_count`)" in shown
    assert "`win_rate`" not in shown and "`closed_amount`" not in shown
    assert "**Win rate** (`win_rate`)" in report.glossary(["win_rate"]).markdown()


def test_metrics_computed_for_the_page_join_its_glossary_unless_unavailable():
    from quotabook.metrics import compute
    from quotabook.testing import inline_dataset

    ds = inline_dataset({
        "territories": [{"territory": "T1", "region": "North", "district": "D", "owner": "Ann", "segment": "SMB"}],
        "opportunities": [{"opportunity_id": "A", "owner": "Ann", "territory": "T1", "created_date": "2026-01-05",
                           "close_date": "2026-02-20", "stage": "Won", "forecast_category": "Closed",
                           "amount": 0.0, "is_closed": True, "is_won": True}],
        "activities": None}, as_of="2026-03-01")
    report = _report(load_catalog())
    use_catalog(report.catalog, report.shown_metrics)
    compute(["won_count", "dial_count"], ds, "2026-Q1", by="region")  # no activities: dials are unavailable
    assert report.shown_metrics == ["won_count"]
    use_catalog(None)
    compute(["closed_count"], ds, "2026-Q1", by="region")  # no page active: nothing recorded
    assert report.shown_metrics == ["won_count"]


def test_a_label_change_is_a_catalog_only_edit(tmp_path):
    text = CATALOG_FILE.read_text(encoding="utf-8")
    assert text.count("  label: Win rate\n") == 1
    edited = tmp_path / "catalog.yaml"
    edited.write_text(text.replace("  label: Win rate\n", "  label: Close rate\n"), encoding="utf-8")
    catalog = load_catalog(edited)
    report = _report(catalog)
    use_catalog(report.catalog, report.shown_metrics)  # what quotabook.notebook.start does

    header = report.table(_rates()[["group", "win_rate"]]).data.columns.tolist()
    axis = win_rate_chart(_rates(), scope="East", period="2026-Q1").axes[0].get_xlabel()
    glossary = report.glossary().markdown()
    # the axes-level charts a notebook composes itself read the same catalog
    _, (left, right) = plt.subplots(1, 2)
    win_rate_bars(_rates(), ax=left)
    win_rate_line(pd.DataFrame({"period": ["2026-Q1"], "won_count": [3], "closed_count": [10], "win_rate": [0.3]}),
                  ax=right)
    plt.close(left.figure)

    assert header == ["group", "Close rate"]
    assert axis == left.get_xlabel() == right.get_ylabel() == "Close rate"
    assert right.lines[0].get_label() == "Close rate"
    assert "**Close rate** (`win_rate`)" in glossary and "Win rate" not in glossary


def test_alerts_read_threshold_direction_and_weeks_from_the_catalog():
    catalog, settings = load_catalog(), load_settings()
    push, bar = settings.threshold("pipeline_push_below"), settings.threshold("coverage_alert_below")
    weeks = int(settings.threshold("coverage_alert_weeks"))
    assert weeks == 2  # the history below is one week back
    now = pd.DataFrame({"coverage": [push - 0.01, push, np.nan], "pipeline_coverage": [bar - 0.5, bar - 0.1, 1.0],
                        "win_rate": [0.0, 0.0, 0.0]}, index=pd.Index(["North", "South", "West"], name="region"))
    week_before = pd.DataFrame({"pipeline_coverage": [bar - 0.2, bar]}, index=["North", "South"])  # West unread
    fired = catalog.alerts(now, settings, history=[week_before])
    rows = fired[["group", "metric", "threshold", "when", "weeks"]].values.tolist()
    # coverage fires strictly below its line (South sits on it; West's missing value never fires); pipeline
    # coverage must stay under its bar for two readings: North was under both, South not last week, West
    # has no reading last week
    assert rows == [["North", "coverage", push, "below", 1], ["North", "pipeline_coverage", bar, "below", 2]]
    assert catalog.alerts(now, settings).query("metric == 'pipeline_coverage'").empty  # no history: no run
    one = catalog.alerts(now.loc["North"], settings)  # one group's Series
    assert one["metric"].tolist() == ["coverage"] and one["value"].tolist() == [pytest.approx(push - 0.01)]
    assert list(catalog.alerts(now[["win_rate"]], settings).columns) == ["group", "metric", "label", "value",
                                                                         "threshold", "when", "weeks"]


def test_alerts_of_every_direction():
    catalog, settings = load_catalog(), load_settings()
    aging = settings.threshold("aging_alert_share")        # above
    pushes = settings.threshold("slippage_red_flag_pushes")  # at or above
    values = pd.DataFrame({"pipeline_aging_share": [aging, aging + 0.01],
                           "close_date_push_count": [pushes - 1, pushes]}, index=["a", "b"])
    fired = catalog.alerts(values, settings)
    assert fired[["group", "metric"]].values.tolist() == [["b", "pipeline_aging_share"], ["b", "close_date_push_count"]]


def test_rule_of_thumb_bands_are_the_catalogs_and_a_workbook_band_still_overrides(tmp_path):
    from quotabook.themes.activity_ratios.data import rule_bands

    ds = SimpleNamespace(settings=load_settings())
    catalog = load_catalog()
    bands = rule_bands(ds, catalog)
    assert bands["leads"] == catalog.get("leads_per_rep").benchmark.band == (70.0, 80.0)
    assert bands["deals_won"] == catalog.get("deals_won_per_rep").benchmark.band
    assert bands["suspects_added"] == (300.0, 300.0)  # no metric: the workbook's band
    text = CATALOG_FILE.read_text(encoding="utf-8")
    old = "benchmark: {band: [70, 80]"
    assert text.count(old) == 1
    edited = tmp_path / "catalog.yaml"
    edited.write_text(text.replace(old, "benchmark: {band: [50, 60]"), encoding="utf-8")
    assert rule_bands(ds, load_catalog(edited))["leads"] == (50.0, 60.0)  # a catalog-only edit
    mine = replace(ds.settings, benchmarks={**ds.settings.benchmarks,
                                            "rules_of_thumb_per_rep_month": {"leads": [10, 20]}})
    assert rule_bands(SimpleNamespace(settings=mine), catalog)["leads"] == (10.0, 20.0)


def test_the_pack_gets_the_whole_table_raw_and_masked(monkeypatch):
    import quotabook.notebook as notebook

    got = []
    monkeypatch.setattr(notebook, "record_table", lambda frame, **kw: got.append((frame, kw)))
    report = _report(load_catalog())
    frame = pd.DataFrame({"owner": [f"rep{i}@acme.com" for i in range(3)], "closed_amount": [1_234_567.5, 0.0, 1.0]})
    report.table(frame, caption="Closed by rep", max_rows=2)  # the page shows 2 rows, the export holds 3
    report.table(frame.iloc[0:0], caption="Nothing")  # an empty table exports nothing
    report.table(frame, name="Scorecard")
    ((exported, kw), (_, named)) = got
    assert exported["Closed"].tolist() == [1_234_567.5, 0.0, 1.0]  # unrounded, not "$1.2M"
    assert exported.columns.tolist() == ["Rep", "Closed"] and exported["Rep"].tolist() == ["r***@acme.com"] * 3
    assert kw == {"units": {"Closed": "currency"}, "title": "Closed by rep", "currency": "USD"}
    assert named["title"] == "Scorecard"
