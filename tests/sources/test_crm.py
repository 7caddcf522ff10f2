"""The shipped Salesforce and HubSpot mappings, on small fixtures in each CRM's export format and on the
public Salesforce DTC sample (skipped when absent)."""

from pathlib import Path

import pandas as pd
import pytest

from quotabook import load, validate_source
from quotabook.metrics import compute

DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
ROOT = Path(__file__).resolve().parents[2]
DTC = ROOT.parent / "shared" / "data" / "public" / "salesforce_dtc_sample"


def test_salesforce_export_maps_ids_to_owner_names_and_territories():
    report, tables = validate_source(DATA / "salesforce.yaml")
    assert report.ok, report.summary()
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["006A", "owner"] == "Ann Smith" and opps.loc["006C", "territory"] == "T2"
    assert opps.loc["006A", "stage"] == "Proposal" and opps.loc["006C", "stage"] == "Discovery"
    assert opps.loc["006B", "type"] == "Expansion" and opps.loc["006A", "type"] == "New Business"
    assert opps["type"].isna().sum() == 2  # blank, and a custom type left blank by the "*" rule


def test_salesforce_api_forecast_is_commit_and_converted_amounts_keep_the_original():
    _, tables = validate_source(DATA / "salesforce.yaml")
    hist = tables["opportunity_history"]
    assert hist.loc[hist["opportunity_id"].eq("006A"), "forecast_category"].tolist() == ["Pipeline", "Commit"]
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["006B", "amount"] == 540 and opps.loc["006B", "original_amount"] == 500  # EUR 500 x 1.08
    assert hist.loc[hist["opportunity_id"].eq("006B"), "amount"].tolist() == [540, 540]


def test_salesforce_tasks_and_events_become_activities():
    _, tables = validate_source(DATA / "salesforce.yaml")
    acts = tables["activities"].set_index("activity_id")
    assert acts["type"].to_dict() == {"00T1": "dial", "00T2": "email", "00T3": "dial", "00T4": "dial",
                                      "00U1": "meeting_held", "00U2": "meeting_held"}
    assert acts.loc["00U1", "duration_s"] == 3600 and acts.loc["00U2", "owner"] == "Bob Jones"
    # WhatId of an account (001…) is not a deal: the activity is kept, with no deal.
    assert pd.isna(acts.loc["00T4", "opportunity_id"]) and acts.loc["00T1", "opportunity_id"] == "006A"


def test_an_unknown_task_subtype_names_the_export_row_inside_the_combined_table(tmp_path):
    import shutil

    folder = tmp_path / "salesforce"
    shutil.copytree(DATA / "salesforce", folder)
    task = folder / "Task.csv"
    task.write_text(task.read_text() + "00T5,006A,005A,2026-02-18,Smoke Signal,Completed,\n")
    mapping = tmp_path / "sf.yaml"
    mapping.write_text(f"extends: {ROOT / 'params/sources/salesforce.yaml'}\nfolder: salesforce\n")
    report, _ = validate_source(mapping)
    rec = report.rejects.iloc[0]
    assert (rec["table"], rec["row"], rec["column"], rec["reason"]) == ("activities", 5, "type", "unknown_value")
    assert "(Task.csv row 5)" in rec["message"] and "Task.csv (rows 1-5) + " in rec["file"]
    counts = report.counts().set_index("table").loc["activities"]
    assert (counts["read"], counts["used"], counts["rejected"]) == (7, 6, 1)


def test_hubspot_export_with_bom_semicolons_excel_dates_and_euro_strings_reads_cleanly():
    report, tables = validate_source(DATA / "hubspot.yaml")
    assert report.ok, report.summary()
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["101", "amount"] == 1296 and opps.loc["101", "original_currency"] == "EUR"  # 1.200,00 €
    assert str(opps.loc["102", "close_date"].date()) == "2026-02-20"  # Excel serial 46073
    assert opps.loc["101", "stage"] == "Negotiation" and opps.loc["103", "stage"] == "Discovery"
    assert opps.loc["101", "probability"] == 90 and opps.loc["101", "forecast_category"] == "Commit"
    assert bool(opps.loc["102", "is_won"]) and opps.loc["102", "type"] == "Expansion"


@pytest.mark.parametrize("mapping", ["salesforce.yaml", "hubspot.yaml"])
def test_load_from_a_mapping_builds_a_dataset_whose_metrics_compute(mapping):
    ds = load(DATA / mapping)
    got = compute(["closed_amount", "target_amount", "attainment"], ds, "2026-Q1").set_index(["territory", "metric"])
    closed = 540 if mapping == "salesforce.yaml" else 500
    assert got.loc[("T1", "closed_amount"), "value"] == closed
    assert got.loc[("T1", "attainment"), "value"] == pytest.approx(closed / 1000)
    assert ds.for_region("West").opportunities["opportunity_id"].tolist() == (
        ["006C", "006D"] if mapping == "salesforce.yaml" else ["103", "104"])


def test_validate_command_takes_a_mapping_source(capsys):
    from quotabook.cli import main

    assert main(["validate", "--source", str(DATA / "hubspot.yaml")]) == 0
    out = capsys.readouterr().out
    assert "hubspot-crm-exports-all-deals.csv" in out and "no problems found" in out


@pytest.mark.skipif(not DTC.is_dir(), reason="the public Salesforce DTC sample is not on this machine")
def test_salesforce_mapping_reads_the_public_dtc_sample_without_rejects(tmp_path):
    mapping = tmp_path / "dtc.yaml"
    mapping.write_text(f"extends: {ROOT / 'params/sources/salesforce.yaml'}\nfolder: {DTC}\n"
                       f"tables:\n  territories:\n    file: {DATA / 'dtc_territories.csv'}\n")
    report, tables = validate_source(mapping)
    assert report.ok, report.summary(limit=10)
    counts = report.counts().set_index("table")
    assert counts.loc["opportunities", "used"] == 1999 and counts.loc["opportunity_history", "used"] == 387
    assert counts.loc["activities", "used"] == 1999 * 2  # tasks + events
    opps = tables["opportunities"]
    assert opps["stage"].eq("Closed Won").sum() == 1345  # counts from the sample's README
    assert opps["forecast_category"].eq("Commit").sum() == 17  # API "Forecast"
    assert opps["owner"].nunique() == 18
    assert set(tables["activities"]["type"]) == {"dial", "task", "email", "meeting_held"}


def test_salesforce_most_likely_reads_the_same_through_the_mapping_and_a_replica():
    from quotabook.sources.mapping import load_mapping
    from quotabook.sources.salesforce_replica import MOST_LIKELY

    mapping = load_mapping(ROOT / "params" / "sources" / "salesforce.yaml")
    for table in ("opportunities", "opportunity_history"):
        values = mapping.raw["tables"][table]["values"]["forecast_category"]
        assert values["MostLikely"] == values["Most Likely"] == MOST_LIKELY == "Best Case"
