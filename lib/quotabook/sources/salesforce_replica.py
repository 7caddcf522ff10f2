"""The Salesforce-replica shape of a SQL source: Salesforce objects as tables, mapped to canonical columns in SQL.

A replica (a nightly copy of Salesforce in PostgreSQL, a warehouse, DuckDB) holds one table per object,
``opportunity``, ``opportunity_history``, ``task``, ``event``, ``user`` (and optionally ``account``), with
Salesforce field names as columns (``StageName``, ``CloseDate``; matched case-insensitively, so replicas
that lower-case them, like ``stagename``, work too). Salesforce has no territories-to-regions table or
quarterly targets, so those planning tables (``territories``, ``targets``, optional ``leads`` and
``activity_goals``) sit beside the objects in the canonical schema.

How fields become canonical columns (the rules quotabook applies, stated once):

- ``Opportunity.Territory2Id`` is the territory key of ``territories.territory``; ``OwnerId`` → the user's
  ``Name``; ``AccountId`` → the account's ``Name`` when an ``account`` table exists.
- Forecast category: ``ForecastCategoryName`` (UI labels) when present, else the API value of
  ``ForecastCategory`` — API ``Forecast`` is the UI's Commit, ``BestCase`` is Best Case, and ``MostLikely``
  (between the two) is read as :data:`MOST_LIKELY` ("Best Case": the cautious reading).
- Custom fields for what Salesforce lacks: ``Segment__c``, ``Product__c``, ``Loss_Reason__c`` and the
  evidence flags ``Economic_Buyer__c``, ``Champion__c``, ``Decision_Criteria__c``, ``Paper_Process__c``.
- Activities: each ``event`` is a meeting held (seconds from ``EndDateTime`` − ``StartDateTime``, else
  ``DurationInMinutes`` × 60; outcome from ``Outcome__c``); a ``task`` is a connect or a meeting booked
  when its ``Type`` says so ("Connect", "Meeting Booked"), else by ``TaskSubtype``: Call → dial,
  Email/List Email → email, LinkedIn → linkedin, Task → task, anything else → other.
  Outcome is ``CallDisposition``; duration ``CallDurationInSeconds``.
  ``WhatId`` is the opportunity, ``CompletedDateTime`` (else ``ActivityDate``) the time.
- History: ``OpportunityHistory.CreatedDate`` is when the change happened; its ``ForecastCategory`` is an
  API value, mapped as above.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..schemas import TABLES

__all__ = ["MOST_LIKELY", "REPLICA_TABLES", "is_replica", "replica_selects", "to_replica"]

#: The Salesforce objects a replica must hold (``account`` is optional).
REPLICA_TABLES = ("opportunity", "opportunity_history", "task", "event", "user")
#: Where Salesforce's ``MostLikely`` forecast category lands (configurable per call).
MOST_LIKELY = "Best Case"
EVIDENCE_FIELDS = {"economic_buyer": "Economic_Buyer__c", "champion": "Champion__c",
                   "decision_criteria": "Decision_Criteria__c", "paper_process": "Paper_Process__c"}


def is_replica(tables: Mapping[str, Mapping[str, str]]) -> bool:
    """True when the database looks like a Salesforce replica (has ``opportunity``, not ``opportunities``)."""
    return "opportunity" in tables and "opportunities" not in tables


def quote(name: str) -> str:
    """A double-quoted SQL identifier (standard SQL, PostgreSQL and DuckDB)."""
    return '"' + name.replace('"', '""') + '"'


class _Fields:
    """Column lookups for one replica table: ``f("StageName")`` → ``o."StageName"`` or ``NULL``."""

    def __init__(self, alias: str, columns: Mapping[str, str]):
        self.alias, self.columns = alias, columns

    def has(self, name: str) -> bool:
        return name.lower() in self.columns

    def __call__(self, name: str, *fallbacks: str) -> str:
        for candidate in (name, *fallbacks):
            if candidate.lower() in self.columns:
                return f"{self.alias}.{quote(self.columns[candidate.lower()])}"
        return "NULL"


def _api_category(expr: str, most_likely: str) -> str:
    return (f"CASE {expr} WHEN 'Forecast' THEN 'Commit' WHEN 'BestCase' THEN 'Best Case' "
            f"WHEN 'MostLikely' THEN '{most_likely}' WHEN 'Pipeline' THEN 'Pipeline' WHEN 'Closed' THEN 'Closed' "
            f"WHEN 'Omitted' THEN 'Omitted' ELSE {expr} END")


def _owner_join(alias: str, owner_id: str, tables: Mapping[str, Mapping[str, str]]) -> tuple[str, str]:
    user = _Fields(alias, tables["user"])
    return (user("Name"), f"LEFT JOIN {quote(_table_name(tables, 'user'))} {alias} ON {user('Id')} = {owner_id}")


def _table_name(tables: Mapping[str, Mapping[str, str]], name: str) -> str:
    return tables[name].get("__table__", name)


def replica_selects(tables: Mapping[str, Mapping[str, str]], most_likely: str = MOST_LIKELY) -> dict[str, str]:
    """SELECT statements giving ``opportunities``, ``opportunity_history`` and ``activities`` in canonical
    columns. ``tables`` maps each lower-cased table name to {lower-cased column: actual column} (plus
    ``__table__``: the table's actual name)."""
    o = _Fields("o", tables["opportunity"])
    owner, owner_join = _owner_join("u", o("OwnerId"), tables)
    account_name, account_join = "NULL", ""
    if "account" in tables and o.has("AccountId"):
        acc = _Fields("a", tables["account"])
        account_name = acc("Name")
        account_join = f"LEFT JOIN {quote(_table_name(tables, 'account'))} a ON {acc('Id')} = {o('AccountId')}"
    category = (o("ForecastCategoryName") if o.has("ForecastCategoryName")
                else _api_category(o("ForecastCategory"), most_likely))
    evidence = ", ".join(f"{o(field)} AS {name}" for name, field in EVIDENCE_FIELDS.items())
    opportunities = (
        f"SELECT {o('Id')} AS opportunity_id, {o('Name')} AS name, {o('AccountId')} AS account_id, "
        f"{account_name} AS account_name, {owner} AS owner, {o('Territory2Id')} AS territory, "
        f"CAST({o('CreatedDate')} AS DATE) AS created_date, CAST({o('CloseDate')} AS DATE) AS close_date, "
        f"{o('StageName')} AS stage, {category} AS forecast_category, {o('Amount')} AS amount, "
        f"{o('CurrencyIsoCode')} AS currency, {o('Probability')} AS probability, {o('IsClosed')} AS is_closed, "
        f"{o('IsWon')} AS is_won, {o('Type')} AS type, {o('Segment__c')} AS segment, "
        f"{o('LeadSource')} AS lead_source, {o('Product__c')} AS product, {o('Loss_Reason__c')} AS loss_reason, "
        f"CAST({o('LastActivityDate')} AS DATE) AS last_activity_date, {evidence} "
        f"FROM {quote(_table_name(tables, 'opportunity'))} o {owner_join} {account_join}"
    )
    h = _Fields("h", tables["opportunity_history"])
    history = (
        f"SELECT {h('OpportunityId')} AS opportunity_id, {h('CreatedDate')} AS changed_at, "
        f"{h('StageName')} AS stage, {h('Amount')} AS amount, CAST({h('CloseDate')} AS DATE) AS close_date, "
        f"{_api_category(h('ForecastCategory'), most_likely)} AS forecast_category, "
        f"{h('Probability')} AS probability FROM {quote(_table_name(tables, 'opportunity_history'))} h"
        + (f" WHERE NOT COALESCE({h('IsDeleted')}, FALSE)" if h.has("IsDeleted") else "")
    )
    t = _Fields("t", tables["task"])
    t_owner, t_join = _owner_join("tu", t("OwnerId"), tables)
    task_type = (f"CASE WHEN LOWER({t('Type')}) = 'connect' THEN 'connect' "
                 f"WHEN LOWER({t('Type')}) = 'meeting booked' THEN 'meeting_booked' "
                 f"WHEN {t('TaskSubtype')} = 'Call' THEN 'dial' "
                 f"WHEN {t('TaskSubtype')} IN ('Email', 'List Email') THEN 'email' "
                 f"WHEN {t('TaskSubtype')} = 'LinkedIn' THEN 'linkedin' "
                 f"WHEN {t('TaskSubtype')} = 'Task' THEN 'task' ELSE 'other' END")
    when = (f"COALESCE({t('CompletedDateTime')}, CAST({t('ActivityDate')} AS TIMESTAMP))"
            if t.has("CompletedDateTime") else f"CAST({t('ActivityDate')} AS TIMESTAMP)")
    tasks = (
        f"SELECT {t('Id')} AS activity_id, {t_owner} AS owner, {when} AS activity_date, {task_type} AS type, "
        f"{t('WhatId')} AS opportunity_id, {t('AccountId')} AS account_id, {t('CallDisposition')} AS outcome, "
        f"{t('CallDurationInSeconds')} AS duration_s FROM {quote(_table_name(tables, 'task'))} t {t_join}"
    )
    e = _Fields("e", tables["event"])
    e_owner, e_join = _owner_join("eu", e("OwnerId"), tables)
    # Seconds from the start/end times when the replica has them (DurationInMinutes is rounded).
    duration = f"{e('DurationInMinutes')} * 60"
    if e.has("StartDateTime") and e.has("EndDateTime"):
        duration = f"COALESCE(EXTRACT(EPOCH FROM ({e('EndDateTime')} - {e('StartDateTime')})), {duration})"
    events = (
        f"SELECT {e('Id')} AS activity_id, {e_owner} AS owner, "
        f"COALESCE({e('ActivityDateTime', 'StartDateTime')}, CAST({e('ActivityDate')} AS TIMESTAMP)) "
        f"AS activity_date, 'meeting_held' AS type, {e('WhatId')} AS opportunity_id, {e('AccountId')} AS account_id, "
        f"{e('Outcome__c')} AS outcome, {duration} AS duration_s "
        f"FROM {quote(_table_name(tables, 'event'))} e {e_join}"
    )
    return {"opportunities": opportunities, "opportunity_history": history,
            "activities": f"{tasks} UNION ALL {events}"}


# -- the other way: canonical tables as a Salesforce replica (to load a test database or a demo replica) ----
_API = {"Commit": "Forecast", "Best Case": "BestCase", "Pipeline": "Pipeline", "Closed": "Closed",
        "Omitted": "Omitted"}
_SUBTYPE = {"dial": "Call", "connect": "Call", "email": "Email", "linkedin": "LinkedIn", "task": "Task",
            "meeting_booked": "Task"}
_TASK_TYPE = {"dial": "Call", "connect": "Connect", "email": "Email", "meeting_booked": "Meeting Booked"}


def to_replica(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Canonical tables (``opportunities``, ``opportunity_history``, ``activities``, ``territories``, …) as the
    frames of a Salesforce replica: ``opportunity``, ``opportunity_history``, ``task``, ``event``, ``user``,
    ``account``, plus the planning tables unchanged. :func:`replica_selects` reads them back exactly."""
    def full(name: str) -> pd.DataFrame:  # absent optional columns become empty ones
        frame = tables[name]
        return frame.reindex(columns=[*frame.columns, *(c.name for c in TABLES[name].columns
                                                         if c.name not in frame.columns)])

    opps, hist, acts = full("opportunities"), full("opportunity_history"), full("activities")
    names = pd.concat([opps["owner"], acts["owner"], tables["territories"]["owner"]]).dropna().unique()
    user = pd.DataFrame({"Id": [f"005U{i:011d}" for i in range(len(names))], "Name": names})
    uid = dict(zip(user["Name"], user["Id"], strict=True))
    account = (opps[["account_id", "account_name"]].dropna(subset=["account_id"]).drop_duplicates("account_id")
               .rename(columns={"account_id": "Id", "account_name": "Name"}))
    opportunity = pd.DataFrame({
        "Id": opps["opportunity_id"], "Name": opps["name"], "AccountId": opps["account_id"],
        "OwnerId": opps["owner"].map(uid), "Territory2Id": opps["territory"],
        "CreatedDate": pd.to_datetime(opps["created_date"]), "CloseDate": pd.to_datetime(opps["close_date"]),
        "StageName": opps["stage"], "ForecastCategoryName": opps["forecast_category"],
        "ForecastCategory": opps["forecast_category"].map(_API), "Amount": opps["amount"],
        "CurrencyIsoCode": opps["currency"], "Probability": opps["probability"], "IsClosed": opps["is_closed"],
        "IsWon": opps["is_won"], "Type": opps["type"], "Segment__c": opps["segment"],
        "LeadSource": opps["lead_source"], "Product__c": opps["product"], "Loss_Reason__c": opps["loss_reason"],
        "LastActivityDate": pd.to_datetime(opps["last_activity_date"]),
        **{field: opps[name] for name, field in EVIDENCE_FIELDS.items() if name in opps},
    })
    history = pd.DataFrame({
        "Id": [f"008H{i:011d}" for i in range(len(hist))], "OpportunityId": hist["opportunity_id"],
        "CreatedDate": pd.to_datetime(hist["changed_at"]), "StageName": hist["stage"], "Amount": hist["amount"],
        "CloseDate": pd.to_datetime(hist["close_date"]), "ForecastCategory": hist["forecast_category"].map(_API),
        "Probability": hist["probability"], "IsDeleted": False,
    })
    held = acts["type"].eq("meeting_held")
    t, e = acts[~held], acts[held]
    when_t, when_e = pd.to_datetime(t["activity_date"]), pd.to_datetime(e["activity_date"])
    task = pd.DataFrame({
        "Id": t["activity_id"], "OwnerId": t["owner"].map(uid), "Subject": t["type"],
        "ActivityDate": when_t.dt.normalize(), "CompletedDateTime": when_t, "Status": "Completed",
        "TaskSubtype": t["type"].map(_SUBTYPE), "Type": t["type"].map(_TASK_TYPE), "WhatId": t["opportunity_id"],
        "AccountId": t["account_id"], "CallDisposition": t["outcome"],
        "CallDurationInSeconds": t["duration_s"].astype("Int64"),
    })
    seconds = pd.to_timedelta(pd.to_numeric(e["duration_s"]).astype("float64"), unit="s")
    event = pd.DataFrame({
        "Id": e["activity_id"], "OwnerId": e["owner"].map(uid), "Subject": "Meeting",
        "ActivityDate": when_e.dt.normalize(), "ActivityDateTime": when_e, "StartDateTime": when_e,
        "EndDateTime": when_e + seconds, "DurationInMinutes": (seconds.dt.total_seconds() / 60).round().astype("Int64"),
        "WhatId": e["opportunity_id"], "AccountId": e["account_id"], "Outcome__c": e["outcome"],
    })
    out = {"opportunity": opportunity, "opportunity_history": history, "task": task, "event": event, "user": user,
           "account": account}
    for name in ("territories", "targets", "leads", "activity_goals"):
        if name in tables and tables[name] is not None:
            out[name] = tables[name]
    return {name: frame.reset_index(drop=True) for name, frame in out.items()}
