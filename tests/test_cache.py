"""The pack's region cache: a slice is loaded once per key, any change to the source is a new key."""

import os
import time

import pandas as pd
import pytest

from quotabook import cache, load
from quotabook.settings import load_settings


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"territory": ["T1", "T2"], "region": ["East", "West"], "district": "D", "owner": ["Ann", "Bob"]}) \
        .to_csv(data / "territories.csv", index=False)
    pd.DataFrame({"opportunity_id": ["A", "B"], "owner": ["Ann", "Bob"], "territory": ["T1", "T2"],
                  "created_date": "2026-01-05", "close_date": "2026-03-30", "stage": "Closed Won",
                  "forecast_category": "Closed", "amount": [100, 200], "is_closed": True, "is_won": True}) \
        .to_csv(data / "opportunities.csv", index=False)
    return data


def test_without_the_variable_nothing_is_cached(folder, monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV, raising=False)
    calls = []
    cache.cached(folder, "East", load_settings(), lambda: calls.append(1) or "built")
    cache.cached(folder, "East", load_settings(), lambda: calls.append(1) or "built")
    assert calls == [1, 1]


def test_a_region_is_built_once_per_key_and_a_changed_file_is_a_new_key(folder, monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    first = load(folder, region="East")
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1
    again = load(folder, region="East")
    pd.testing.assert_frame_equal(first.opportunities, again.opportunities)
    load(folder, region="West")
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 2
    key = cache.source_key(folder, "East", load_settings())
    table = folder / "opportunities.csv"
    table.write_text(table.read_text().replace(",100,", ",150,"))
    os.utime(table, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert cache.source_key(folder, "East", load_settings()) != key
    assert load(folder, region="East").opportunities["amount"].tolist() == [150]


def test_databases_and_mappings_are_never_cached(tmp_path):
    settings = load_settings()
    assert cache.source_key("env:CRM_DB", None, settings) is None
    assert cache.source_key("duckdb:///x.db", None, settings) is None
    assert cache.source_key(tmp_path / "salesforce.yaml", None, settings) is None


def test_a_damaged_cache_file_is_rebuilt(folder, monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    load(folder, region="East")
    (damaged,) = (tmp_path / "cache").glob("*.pickle")
    damaged.write_bytes(b"not a pickle")
    assert load(folder, region="East").opportunities["opportunity_id"].tolist() == ["A"]
