"""``read_raw``: one entry point per source kind, and multi-currency for every kind."""

import sys
import types

import pytest

from quotabook import ConfigError, SourceError, load_settings, validate_source
from quotabook.sources import RawSource, read_raw, source_regions
from quotabook.sources.currency import load_rates
from quotabook.testing.tiny import OPPORTUNITIES, TERRITORIES, write_folder


@pytest.fixture
def settings():
    return load_settings()


@pytest.fixture
def fake_sql(monkeypatch):
    calls = []
    module = types.ModuleType("quotabook.sources.sql")
    module.read_sql = lambda source, settings, region: calls.append(("read", source, region)) or RawSource(label="db")
    module.sql_regions = lambda source, settings: calls.append(("regions", source)) or ["East"]
    monkeypatch.setitem(sys.modules, "quotabook.sources.sql", module)
    return calls


def test_a_folder_reads_its_canonical_files(tiny_folder, settings):
    raw = read_raw(tiny_folder, settings)
    assert set(raw.tables) == {"territories", "opportunities", "opportunity_history", "activities", "targets"}
    assert raw.tables["opportunities"][1].endswith("opportunities.csv") and not raw.problems


@pytest.mark.parametrize("source", ["duckdb:///tmp/x.db", "env:QB_DB_URL"])
def test_database_sources_go_to_the_sql_reader_with_the_region(fake_sql, settings, source):
    assert read_raw(source, settings, region="East").label == "db"
    assert source_regions(source, settings) == ["East"]
    assert fake_sql == [("read", source, "East"), ("regions", source)]


def test_a_connection_string_passed_directly_is_refused_without_echoing_the_password(settings):
    with pytest.raises(SourceError) as err:
        read_raw("postgresql://ann:s3cret@db.example.com/crm", settings)
    assert "env:VARNAME" in str(err.value) and "s3cret" not in str(err.value)


def test_a_missing_mapping_file_is_a_source_error(tmp_path, settings):
    with pytest.raises(SourceError, match="mapping file not found"):
        read_raw(tmp_path / "nope.yaml", settings)


def test_regions_of_a_file_source_come_from_its_territories(tiny_folder, settings):
    assert source_regions(tiny_folder, settings) == ["East", "West"]


def _with_currency(codes: list[str]) -> str:
    lines = OPPORTUNITIES.splitlines()
    body = [f"{line},{code}" for line, code in zip(lines[1:], codes, strict=True)]
    return "\n".join([lines[0] + ",currency", *body]) + "\n"


def test_a_folder_with_a_currency_column_is_converted_with_the_params_rates(tmp_path):
    folder = write_folder(tmp_path / "f", territories=TERRITORIES,
                          opportunities=_with_currency(["EUR", "USD", "", "GBP"]))
    report, tables = validate_source(folder)
    assert report.ok, report.summary()
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps["amount"].to_dict() == {"A": 1296.0, "B": 500.0, "C": 900.0, "D": 381.0}  # 1.08 and 1.27 per USD
    assert set(opps["currency"]) == {"USD"} and opps.loc["A", "original_currency"] == "EUR"


def test_an_unknown_currency_in_a_folder_is_rejected_and_counted(tmp_path):
    folder = write_folder(tmp_path / "f", territories=TERRITORIES,
                          opportunities=_with_currency(["EUR", "ZZZ", "", "USD"]))
    report, _ = validate_source(folder)
    rec = report.rejects.iloc[0]
    assert (rec["row"], rec["column"], rec["reason"]) == (2, "currency", "unknown_currency")
    assert "currency_rates.yaml" in rec["message"]
    counts = report.counts().set_index("table").loc["opportunities"]
    assert (counts["read"], counts["used"], counts["rejected"]) == (4, 3, 1)


def test_rates_are_rebased_on_the_reporting_currency(settings):
    rates = load_rates({"base": "EUR", "rates": {"USD": 0.5, "GBP": 1.0}}, settings)
    assert rates == {"EUR": 2.0, "USD": 1.0, "GBP": 2.0}


def test_a_bad_rate_names_its_key(settings):
    with pytest.raises(ConfigError) as err:
        load_rates({"rates": {"EUR": "lots"}}, settings, file="m.yaml", key="currency.rates")
    assert err.value.key == "currency.rates.EUR" and "positive number" in str(err.value)


def test_a_project_relative_mapping_path_is_found_from_a_subfolder(tmp_path, monkeypatch, settings):
    (tmp_path / "params" / "sources").mkdir(parents=True)
    (tmp_path / "params" / "sources" / "m.yaml").write_text("tables: {deals: {file: a.csv}}\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(ConfigError) as err:  # found (then refused for its content), not "not found"
        read_raw("params/sources/m.yaml", settings)
    assert err.value.key == "tables.deals"
