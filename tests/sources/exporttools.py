"""The demo district written as CRM exports: Salesforce Data Loader CSVs and a HubSpot deals export, in the
shapes the shipped mappings (``params/sources/*.yaml``) read. Tests build packs from them and compare them with
the same reports built from the Parquet demo. (Test helpers, not a conftest.py.)"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from quotabook.sources.salesforce_replica import to_replica

ROOT = Path(__file__).resolve().parents[2]

#: Workbook stages back to Salesforce's default stage names (one of each; the mapping reads them all).
SALESFORCE_STAGES = {"Qualification": "Prospecting", "Discovery": "Needs Analysis", "Solution": "Value Proposition",
                     "Proposal": "Proposal/Price Quote", "Negotiation": "Negotiation/Review",
                     "Closed Won": "Closed Won", "Closed Lost": "Closed Lost"}
SALESFORCE_TYPES = {"New Business": "New Customer", "Expansion": "Existing Customer - Upgrade", "Renewal": "Renewal"}
#: Workbook stages back to the labels of HubSpot's default sales pipeline.
HUBSPOT_STAGES = {"Qualification": "Appointment Scheduled", "Discovery": "Qualified To Buy",
                  "Solution": "Presentation Scheduled", "Proposal": "Decision Maker Bought-In",
                  "Negotiation": "Contract Sent", "Closed Won": "Closed Won", "Closed Lost": "Closed Lost"}
HUBSPOT_FORECAST = {"Omitted": "OMIT", "Pipeline": "PIPELINE", "Best Case": "BEST_CASE", "Commit": "COMMIT",
                    "Closed": "CLOSED"}
HUBSPOT_TYPES = {"New Business": "newbusiness", "Expansion": "existingbusiness"}


def _salesforce_time(values: pd.Series) -> pd.Series:
    """Datetimes as Data Loader writes them: ``2026-01-05T09:00:00.000+0000``."""
    return pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def _mapping(folder: Path, crm: str, extra: str = "") -> Path:
    path = folder / f"{crm}.yaml"
    path.write_text(f"extends: {ROOT / 'params' / 'sources' / f'{crm}.yaml'}\nfolder: {folder}\n{extra}",
                    encoding="utf-8")
    return path


def _planning(tables: Mapping[str, pd.DataFrame], folder: Path, names: Mapping[str, str]) -> None:
    for table, file in names.items():
        tables[table].to_csv(folder / file, index=False)


def write_salesforce_export(tables: Mapping[str, pd.DataFrame], folder: Path) -> Path:
    """Opportunity, OpportunityHistory, Task, Event and User CSVs with Salesforce API field names and values
    (default stage names, API forecast categories, owner ids), plus the territories and targets CSVs a user
    keeps; returns a mapping YAML that extends the shipped ``salesforce.yaml`` and points at ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    replica = to_replica(tables)
    opp = replica["opportunity"].drop(columns=["ForecastCategoryName"])
    opp = opp.assign(StageName=opp["StageName"].map(SALESFORCE_STAGES), Type=opp["Type"].map(SALESFORCE_TYPES),
                     CreatedDate=_salesforce_time(opp["CreatedDate"]), CloseDate=_day(opp["CloseDate"]),
                     LastActivityDate=_day(opp["LastActivityDate"]))
    opp.to_csv(folder / "Opportunity.csv", index=False)
    hist = replica["opportunity_history"]
    hist.assign(StageName=hist["StageName"].map(SALESFORCE_STAGES), CreatedDate=_salesforce_time(hist["CreatedDate"]),
                CloseDate=_day(hist["CloseDate"])).to_csv(folder / "OpportunityHistory.csv", index=False)
    task = replica["task"]
    task.assign(ActivityDate=_day(task["ActivityDate"]),
                CompletedDateTime=_salesforce_time(task["CompletedDateTime"])).to_csv(folder / "Task.csv", index=False)
    event = replica["event"]
    times = {name: _salesforce_time(event[name]) for name in ("ActivityDateTime", "StartDateTime", "EndDateTime")}
    event.assign(**times, ActivityDate=_day(event["ActivityDate"])).to_csv(folder / "Event.csv", index=False)
    replica["user"].to_csv(folder / "User.csv", index=False)
    _planning(tables, folder, {"territories": "Territories.csv", "targets": "Targets.csv"})
    return _mapping(folder, "salesforce")


def write_hubspot_export(tables: Mapping[str, pd.DataFrame], folder: Path, *, territory: bool = True) -> Path:
    """A HubSpot deals export (labels as column names, the default pipeline's stage labels, probability 0-1,
    amounts as currency strings like ``$12,500.00``) with the territories and targets CSVs; returns a mapping
    YAML that extends the shipped ``hubspot.yaml``. HubSpot exports no stage history or activities.
    ``territory``: include a custom "Territory" deal property (else the mapping derives it from the owner)."""
    folder.mkdir(parents=True, exist_ok=True)
    opps = tables["opportunities"]
    pd.DataFrame({
        "Record ID": opps["opportunity_id"], "Deal Name": opps["name"],
        "Deal Stage": opps["stage"].map(HUBSPOT_STAGES), "Close Date": _day(opps["close_date"]),
        "Create Date": pd.to_datetime(opps["created_date"]).dt.strftime("%Y-%m-%d %H:%M"),
        "Deal owner": opps["owner"], "Amount": opps["amount"].map("${:,.2f}".format),
        "Pipeline": "Sales Pipeline", "Forecast category": opps["forecast_category"].map(HUBSPOT_FORECAST),
        "Deal probability": opps["probability"] / 100, "Deal Type": opps["type"].map(HUBSPOT_TYPES),
        "Currency": opps["currency"], "Last Activity Date": _day(opps["last_activity_date"]),
        **({"Territory": opps["territory"]} if territory else {}),
    }).to_csv(folder / "hubspot-crm-exports-all-deals-2026-11-16.csv", index=False)
    _planning(tables, folder, {"territories": "territories.csv", "targets": "targets.csv"})
    return _mapping(folder, "hubspot")
