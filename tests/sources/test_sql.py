"""SQL sources on DuckDB: canonical and Salesforce-replica shapes, the region filter in the query, secrets kept out."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

import quotabook
from quotabook.errors import SourceError
from quotabook.settings import load_settings
from quotabook.sources.salesforce_replica import to_replica
from quotabook.sources.sql import mask_url, read_sql, sql_regions
from quotabook.validation import validate_tables

from .sqltools import demo_tables, report, write_duckdb

SETTINGS = load_settings()

TERRITORIES = pd.DataFrame({"territory": ["T1", "T2", "T3"], "region": ["East", "West", "East"],
                            "district": "D", "owner": ["Ann", "Bob", "Cid"]})
OPPORTUNITIES = pd.DataFrame({
    "opportunity_id": ["A", "B", "C"], "owner": ["Ann", "Bob", "Cid"], "territory": ["T1", "T2", "T3"],
    "created_date": pd.to_datetime(["2026-01-05", "2026-01-10", "2026-02-01"]),
    "close_date": pd.to_datetime(["2026-08-30", "2026-07-20", "2026-09-10"]),
    "stage": ["Proposal", "Closed Won", "Discovery"], "forecast_category": ["Commit", "Closed", "Best Case"],
    "amount": [1200.0, 500.0, 300.0], "is_closed": [False, True, False], "is_won": [False, True, False]})
HISTORY = pd.DataFrame({"opportunity_id": ["A", "A", "B", "C"],
                        "changed_at": pd.to_datetime(["2026-01-05", "2026-03-01", "2026-01-10", "2026-02-01"]),
                        "stage": ["Discovery", "Proposal", "Closed Won", "Discovery"],
                        "amount": [1000.0, 1200.0, 500.0, 300.0],
                        "close_date": pd.to_datetime(["2026-08-30"] * 4),
                        "forecast_category": ["Pipeline", "Commit", "Closed", "Best Case"],
                        "probability": [20.0, 60.0, 100.0, 20.0]})
ACTIVITIES = pd.DataFrame({"activity_id": ["X1", "X2", "X3", "X4"], "owner": ["Ann", "Bob", "Ann", "Zed"],
                           "activity_date": pd.to_datetime(["2026-03-01 10:00", "2026-03-02 11:00",
                                                            "2026-03-03 12:00", "2026-03-04 09:30"]),
                           "type": ["dial", "meeting_held", "connect", "email"],
                           "opportunity_id": ["A", "B", None, None], "account_id": None,
                           "outcome": ["No Answer", "Completed", "Meeting Booked", "Sent"],
                           "duration_s": pd.array([None, 1813, 95, None], dtype="Int64")})
TARGETS = pd.DataFrame({"period": ["2026-Q3"] * 3, "territory": ["T1", "T2", "T3"],
                        "target_amount": [2000.0, 1000.0, 800.0]})
SMALL = {"territories": TERRITORIES, "opportunities": OPPORTUNITIES, "opportunity_history": HISTORY,
         "activities": ACTIVITIES, "targets": TARGETS}


@pytest.fixture
def canonical_db(tmp_path):
    return write_duckdb(tmp_path / "canonical.db", SMALL)


@pytest.fixture
def replica_db(tmp_path):
    return write_duckdb(tmp_path / "replica.db", to_replica(SMALL))


def counts(raw) -> dict[str, int]:
    return {name: len(frame) for name, (frame, _) in raw.tables.items()}


@pytest.mark.parametrize("shape", ["canonical_db", "replica_db"])
def test_both_shapes_read_into_the_same_valid_canonical_tables(shape, request):
    raw = read_sql(request.getfixturevalue(shape), SETTINGS, None)
    assert counts(raw) == {"opportunities": 3, "opportunity_history": 4, "activities": 4, "territories": 3,
                           "targets": 1 * 3}
    report_ = validate_tables(raw.tables, SETTINGS.stage_names)
    assert report_.ok, report_.summary()
    opps = report_.tables["opportunities"].data.sort_values("opportunity_id").reset_index(drop=True)
    assert opps["forecast_category"].tolist() == ["Commit", "Closed", "Best Case"]
    assert opps["owner"].tolist() == ["Ann", "Bob", "Cid"]
    acts = report_.tables["activities"].data.set_index("activity_id")
    assert acts.loc["X2", "duration_s"] == 1813 and acts.loc["X3", "type"] == "connect"
    assert acts.loc["X1", "activity_date"] == pd.Timestamp("2026-03-01 10:00")


def test_replica_origins_name_the_salesforce_object(replica_db):
    raw = read_sql(replica_db, SETTINGS, None)
    assert raw.tables["opportunities"][1] == f"table opportunity in {replica_db}"
    assert raw.tables["activities"][1] == f"table task+event in {replica_db}"


@pytest.mark.parametrize("shape", ["canonical_db", "replica_db"])
def test_region_rows_are_filtered_in_the_query_and_match_the_dataset_slice(shape, request, caplog):
    source = request.getfixturevalue(shape)
    with caplog.at_level(logging.DEBUG, logger="quotabook.sources.sql"):
        raw = read_sql(source, SETTINGS, "East")
    # Only East's rows crossed the connection: each table's query carried the region as a bound parameter.
    assert counts(raw) == {"opportunities": 2, "opportunity_history": 3, "activities": 2, "territories": 2,
                           "targets": 2}
    table_queries = [r for r in caplog.records if "$region" in r.getMessage() or ":region" in r.getMessage()]
    # (the sixth: the other regions' deals that East's activities are on, for validation; none here)
    assert len(table_queries) == 6 and all("'region': 'East'" in r.getMessage() for r in table_queries)
    east = validate_tables(raw.tables, SETTINGS.stage_names)
    expected = quotabook.load(source).for_region("East")
    for name in ("opportunities", "opportunity_history", "activities", "territories", "targets"):
        got = east.tables[name].data
        assert sorted(got.iloc[:, 0]) == sorted(getattr(expected, name).iloc[:, 0]), name


def test_a_rep_in_two_regions_has_the_same_activities_in_the_query_as_in_the_slice(tmp_path):
    """Ann owns T1 (East) and T4, T5 (West): every activity of hers counts in East, her first territory by name,
    even X6 on Bob's West deal B, in the region read by SQL as in Dataset.for_region (East's read keeps X6's
    link to a deal it does not hold, as the whole source sliced does); Dan owns no territory, only a deal in
    East (T3): his activity counts there; Zed owns neither and is in no region (issues 15, 16)."""
    territories = pd.concat([TERRITORIES, pd.DataFrame({"territory": ["T4", "T5"], "region": "West",
                                                        "district": "D", "owner": "Ann"})], ignore_index=True)
    opps = pd.concat([OPPORTUNITIES, OPPORTUNITIES.iloc[[2]].assign(opportunity_id="D1", owner="Dan")],
                     ignore_index=True)
    acts = pd.concat([ACTIVITIES, ACTIVITIES.iloc[[3]].assign(activity_id="X5", owner="Dan"),
                      ACTIVITIES.iloc[[0]].assign(activity_id="X6", opportunity_id="B")], ignore_index=True)
    source = write_duckdb(tmp_path / "two.db", {**SMALL, "territories": territories, "opportunities": opps,
                                                "activities": acts})
    with pytest.warns(quotabook.DataQualityWarning, match=r"\(Ann\)"):
        whole = quotabook.load(source)
        sliced = {region: whole.for_region(region).activities for region in ("East", "West")}
    assert {r: sorted(a["activity_id"]) for r, a in sliced.items()} == {"East": ["X1", "X3", "X5", "X6"],
                                                                        "West": ["X2"]}
    for region, expected in sliced.items():
        raw = read_sql(source, SETTINGS, region)
        assert sorted(raw.tables["activities"][0]["activity_id"]) == sorted(expected["activity_id"]), region
        part = quotabook.load(source, region=region).activities
        pd.testing.assert_frame_equal(part.sort_values("activity_id").reset_index(drop=True),
                                      expected.sort_values("activity_id").reset_index(drop=True), check_dtype=False)
    assert raw.outside_ids == {"opportunities": frozenset()}  # West's activities are all on West deals
    assert read_sql(source, SETTINGS, "East").outside_ids == {"opportunities": frozenset({"B"})}


def test_a_replica_with_lower_cased_fields_and_api_forecast_categories(tmp_path):
    frames = to_replica(SMALL)
    opp = frames["opportunity"].drop(columns=["ForecastCategoryName"])
    opp.loc[2, "ForecastCategory"] = "MostLikely"
    frames["opportunity"] = opp.rename(columns=str.lower)
    source = write_duckdb(tmp_path / "lower.db", frames)
    opps = read_sql(source, SETTINGS, None).tables["opportunities"][0].sort_values("opportunity_id")
    assert opps["forecast_category"].tolist() == ["Commit", "Closed", "Best Case"]  # Forecast → Commit
    commit = read_sql(source, SETTINGS, None, most_likely="Commit").tables["opportunities"][0]
    assert commit.set_index("opportunity_id").loc["C", "forecast_category"] == "Commit"


def test_regions_are_listed_from_the_territories_table(canonical_db, replica_db):
    assert sql_regions(canonical_db, SETTINGS) == ["East", "West"] == sql_regions(replica_db, SETTINGS)


def test_a_missing_environment_variable_is_named_never_a_value(monkeypatch):
    monkeypatch.delenv("QB_NOPE", raising=False)
    with pytest.raises(SourceError, match=r"environment variable QB_NOPE is not set"):
        read_sql("env:QB_NOPE", SETTINGS, None)


def test_a_url_given_directly_is_refused():
    with pytest.raises(SourceError, match="env:VAR"):
        read_sql("postgresql://u:hunter2@localhost/db", SETTINGS, None)


def test_an_unreachable_server_error_masks_the_password(monkeypatch):
    monkeypatch.setenv("QB_DEAD", "postgresql+psycopg://qb:Canary-Pw-1234@127.0.0.1:9/nowhere")
    with pytest.raises(SourceError) as err:
        read_sql("env:QB_DEAD", SETTINGS, "East")
    assert "Canary-Pw-1234" not in str(err.value) and "qb:***@127.0.0.1:9/nowhere" in str(err.value)
    assert "$QB_DEAD" in str(err.value)


def test_masked_urls_hide_passwords_and_secret_query_values():
    assert mask_url("postgresql://qb:s3cret@db:5432/crm") == "postgresql://qb:***@db:5432/crm"
    assert "=tok&" not in mask_url("snowflake://u@acct/db?token=tok&warehouse=wh")
    assert mask_url("duckdb:///x.db") == "duckdb:///x.db"
    assert mask_url("duckdb:///md.db?motherduck_token=Canary-77&saas_mode=true") == "duckdb:///md.db?***"


def test_a_missing_duckdb_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="DuckDB database not found"):
        read_sql(f"duckdb:///{tmp_path}/none.db", SETTINGS, None)


def test_a_database_without_opportunities_reports_the_missing_table(tmp_path):
    source = write_duckdb(tmp_path / "t.db", {"territories": TERRITORIES})
    raw = read_sql(source, SETTINGS, None)
    assert [p["message"] for p in raw.problems] == [f"required table 'opportunities' not found in {source}"]


@pytest.mark.slow
def test_the_demo_as_a_duckdb_replica_gives_the_parquet_region_report_exactly(tmp_path, caplog):
    source = write_duckdb(tmp_path / "demo.db", to_replica(demo_tables()))
    with caplog.at_level(logging.DEBUG, logger="quotabook.sources.sql"):
        from_db = quotabook.load(source, region="East", strict=True)
    fetched = sum(int(r.getMessage().split()[1]) for r in caplog.records if r.getMessage().startswith("read "))
    parquet = quotabook.load("demo", region="East")
    assert fetched < sum(len(t) for t in demo_tables().values()) / 2  # East only, pushed down
    pd.testing.assert_frame_equal(report(from_db), report(parquet))
    assert from_db.regions == ["East"]


def test_the_region_is_a_bound_parameter_not_sql_text(canonical_db):
    raw = read_sql(canonical_db, SETTINGS, "East' OR '1'='1")
    assert set(counts(raw).values()) == {0}


def test_connection_strings_are_masked_by_parsing_them():
    from quotabook.privacy import connection_secrets, mask_connection, redact_secrets

    unencoded = "postgresql+psycopg://alice:p@ss/w0rd#S3cret@127.0.0.1:1/crm"
    assert mask_connection(unencoded).startswith("postgresql+psycopg://***")  # ambiguous: never echoed
    assert "ss" not in mask_connection(unencoded).split("(")[0]
    assert connection_secrets(unencoded) == ["p@ss/w0rd#S3cret"]  # the whole password; SQLAlchemy's "p" is too short
    dsn = "host=db port=5432 dbname=crm user=alice password='Dsn PW_k8' sslpassword=KeyPw99"
    assert sorted(mask_connection(dsn).split()) == sorted(["host=db", "port=5432", "dbname=crm", "user=alice",
                                                          "password=***", "sslpassword=***"])
    assert connection_secrets(dsn) == ["Dsn PW_k8", "KeyPw99"]
    encoded = "postgresql://u:p%40ss%2Fw0rd@h/db?api_key=K3y-9&application_name=qb"
    assert mask_connection(encoded) == "postgresql://u:***@h/db?api_key=***&application_name=qb"
    assert connection_secrets(encoded) == ["p%40ss%2Fw0rd", "p@ss/w0rd", "K3y-9"]
    odbc = "mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BSERVER%3Ddb%3BUID%3Dqb%3BPWD%3DOdbc-Pw-71%3B"
    assert "Odbc-Pw-71" not in mask_connection(odbc) and "SERVER%3Ddb" in mask_connection(odbc)
    assert connection_secrets(odbc) == ["Odbc-Pw-71"]
    # Free text: URL passwords up to the last "@", secret key=value pairs, listed secrets; a 1-char one is not
    # replaced on its own (the message would lose every "p").
    text = 'psql failed for postgresql://a:p@ss/x@h/db; "passwd": "hunter22", token=abcd pwd=z apple'
    assert redact_secrets(text, ["p"]) == ('psql failed for postgresql://a:***@h/db; "passwd": ***, token=*** '
                                           'pwd=*** apple')
    assert redact_secrets("no secret in this plain message", ["n", "in"]) == "no secret in this plain message"


def test_an_ambiguous_url_or_a_dsn_is_refused_before_connecting(monkeypatch):
    for value, hint in [("postgresql+psycopg://alice:p@ss/w0rd#S3cret@127.0.0.1:1/crm", "percent-encode"),
                        ("host=127.0.0.1 port=1 dbname=crm user=alice password=DsnPW_k8", "not a URL")]:
        monkeypatch.setenv("QB_BAD", value)
        with pytest.raises(SourceError) as err:
            read_sql("env:QB_BAD", SETTINGS, None)
        message = str(err.value)
        assert hint in message and "$QB_BAD" in message
        assert "S3cret" not in message and "DsnPW_k8" not in message and "w0rd" not in message
        assert "resolve host" not in message  # never tried the host made of the password's tail
