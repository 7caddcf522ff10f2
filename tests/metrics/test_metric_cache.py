"""The pack's metric cache: a scope's metric values are computed once per build and shared by its notebooks;
a hit returns the very frame a fresh computation gives, and any change to what decides a value is a miss."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from quotabook import cache
from quotabook.metrics import MEASURES, compute, compute_wide
from quotabook.metrics import cache as metric_cache
from quotabook.metrics.catalog import CATALOG_FILE, Catalog
from quotabook.notebook import start
from quotabook.testing.tiny import write_folder

# Two regions; one rep's lost deal is at amount 0 and an open Commit has no other deal beside it.
TERRITORIES = """\
territory,region,district,owner,segment
N1,North,Z,Ama,SMB
N2,North,Z,Raj,SMB
S1,South,Z,Lee,Enterprise
"""
OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won,loss_reason
K1,Ama,N1,2025-12-01,2026-02-10,Closed Won,Closed,400,true,true,
K2,Ama,N1,2025-12-15,2026-03-05,Closed Won,Closed,250,true,true,
K3,Raj,N2,2026-01-02,2026-01-20,Closed Lost,Omitted,0,true,false,No budget
K4,Raj,N2,2026-01-10,2026-03-25,Proposal,Commit,700,false,false,
K5,Lee,S1,2025-11-20,2026-02-02,Closed Won,Closed,900,true,true,
"""
TARGETS = """\
period,territory,target_amount
2026-Q1,N1,1000
2026-Q1,N2,500
2026-Q1,S1,900
"""
NAMES = ["attainment", "closed_amount", "commit_amount"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "crm", territories=TERRITORIES, opportunities=OPPORTUNITIES, targets=TARGETS)


@pytest.fixture
def pack_cache(tmp_path: Path, monkeypatch) -> Path:
    """A build's cache folder, as the pack sets it for its kernels; each test starts with no file read."""
    monkeypatch.setenv(cache.ENV, str(tmp_path / "build-cache"))
    monkeypatch.setattr(metric_cache, "_READ", {})
    return tmp_path / "build-cache"


@pytest.fixture
def closed_calls(monkeypatch) -> list[int]:
    """Each evaluation of the closed_amount measure appends to the list: a cache hit evaluates nothing."""
    calls: list[int] = []
    measure = MEASURES["closed_amount"]
    monkeypatch.setitem(MEASURES, "closed_amount", lambda ctx: calls.append(1) or measure(ctx))
    return calls


def another_kernel(monkeypatch) -> None:
    """What a sibling notebook's fresh kernel starts with: nothing read from the cache folder yet."""
    monkeypatch.setattr(metric_cache, "_READ", {})


def test_a_hit_returns_the_frame_a_fresh_computation_gives(folder, pack_cache, closed_calls, monkeypatch):
    first = start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    assert first["closed_amount"].to_dict() == {"N1": 650.0, "N2": 0.0}  # K1 + K2; the lost K3 counts nothing
    assert first["attainment"].to_dict() == {"N1": 0.65, "N2": 0.0}
    assert first["commit_amount"].to_dict() == {"N1": 0.0, "N2": 700.0}
    assert closed_calls == [1]
    assert len(list((pack_cache / metric_cache.FOLDER).glob("*.pickle"))) == 1

    another_kernel(monkeypatch)
    again = start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    assert closed_calls == [1]  # read, not recomputed
    pd.testing.assert_frame_equal(again, first)
    assert again.attrs == first.attrs
    monkeypatch.delenv(cache.ENV)
    pd.testing.assert_frame_equal(start("North", "2026-Q1", data=str(folder)).metrics(NAMES), first)


def test_siblings_share_the_metrics_a_ratio_was_built_from(folder, pack_cache, closed_calls, monkeypatch):
    report = start("North", "2026-Q1", data=str(folder))
    report.metrics(["attainment"])  # computes closed_amount and target_amount on the way
    another_kernel(monkeypatch)
    report = start("North", "2026-Q1", data=str(folder))
    long = compute(["closed_amount", "target_amount"], report.ds, "2026-Q1", by="territory")
    assert closed_calls == [1]
    assert long.set_index(["territory", "metric"])["value"].to_dict() == {
        ("N1", "closed_amount"): 650.0, ("N2", "closed_amount"): 0.0,
        ("N1", "target_amount"): 1000.0, ("N2", "target_amount"): 500.0}


def test_another_scope_period_or_grouping_is_another_frame(folder, pack_cache, closed_calls):
    north = start("North", "2026-Q1", data=str(folder))
    north.metrics(["closed_amount"])
    north.metrics(["closed_amount"], by="owner")
    north.metrics(["closed_amount"], period="2026-Q2")
    south = start("South", "2026-Q1", data=str(folder)).metrics(["closed_amount"])
    assert south["closed_amount"].to_dict() == {"S1": 900.0}
    assert closed_calls == [1, 1, 1, 1]
    assert len(list((pack_cache / metric_cache.FOLDER).glob("*.pickle"))) == 4


def test_a_changed_as_of_date_misses(folder, pack_cache, closed_calls, monkeypatch):
    start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    another_kernel(monkeypatch)
    earlier = start("North", "2026-Q1", as_of="2026-03-01", data=str(folder)).metrics(NAMES)
    assert closed_calls == [1, 1]
    assert earlier["closed_amount"].to_dict() == {"N1": 400.0, "N2": 0.0}  # K2 was not won yet


def test_changed_data_misses(folder, pack_cache, closed_calls, monkeypatch):
    start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    table = folder / "opportunities.csv"
    table.write_text(table.read_text().replace("Closed,400,", "Closed,450,"))
    os.utime(table, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    another_kernel(monkeypatch)
    changed = start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    assert closed_calls == [1, 1]
    assert changed["closed_amount"].to_dict() == {"N1": 700.0, "N2": 0.0}


def test_changed_settings_miss(folder, pack_cache, closed_calls, monkeypatch, tmp_path):
    start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    workbook = Path(__file__).resolve().parents[2] / "params" / "workbook.yaml"
    edited = tmp_path / "workbook.yaml"
    edited.write_text(workbook.read_text(encoding="utf-8").replace("stale_days: 60", "stale_days: 30", 1),
                      encoding="utf-8")
    monkeypatch.setenv("QUOTABOOK_WORKBOOK", str(edited))
    another_kernel(monkeypatch)
    start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    assert closed_calls == [1, 1]


def test_a_changed_catalog_misses(folder, pack_cache, closed_calls, monkeypatch):
    report = start("North", "2026-Q1", data=str(folder))
    report.metrics(NAMES)
    text = CATALOG_FILE.read_text(encoding="utf-8")
    old = "  formula: Sum of amount over won deals whose close date falls in the period."
    assert old in text
    edited = Catalog.from_yaml(text.replace(old, old.replace("Sum", "Total"), 1))
    another_kernel(monkeypatch)
    wide = compute_wide(NAMES, report.ds, report.period, by="territory", catalog=edited)
    assert closed_calls == [1, 1]
    assert wide["closed_amount"].to_dict() == {"N1": 650.0, "N2": 0.0}


def test_derived_or_altered_datasets_are_computed_afresh(folder, pack_cache, closed_calls):
    report = start("North", "2026-Q1", data=str(folder))
    report.metrics(["closed_amount"])
    assert compute_wide(["closed_amount"], report.ds.as_of("2026-02-15"), report.period)["closed_amount"].to_dict() \
        == {"N1": 400.0, "N2": 0.0}
    fewer = replace(report.ds, opportunities=report.ds.opportunities.iloc[1:])
    assert compute_wide(["closed_amount"], fewer, report.period)["closed_amount"].to_dict() == {"N1": 250.0, "N2": 0.0}
    report.ds.opportunities = report.ds.opportunities.iloc[:1]  # the registered dataset's table swapped in place
    assert report.metrics(["closed_amount"])["closed_amount"].to_dict() == {"N1": 400.0, "N2": 0.0}
    assert closed_calls == [1, 1, 1, 1]
    assert len(list((pack_cache / metric_cache.FOLDER).glob("*.pickle"))) == 1


def test_outside_a_pack_and_for_databases_nothing_is_cached(folder, closed_calls, monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV, raising=False)
    report = start("North", "2026-Q1", data=str(folder))
    report.metrics(NAMES)
    report.metrics(NAMES)
    assert closed_calls == [1, 1]
    monkeypatch.setenv(cache.ENV, str(tmp_path / "build-cache"))
    assert metric_cache.register(report.ds, "duckdb:///crm.db", "North") is None


def test_a_damaged_file_is_recomputed_and_replaced(folder, pack_cache, closed_calls, monkeypatch):
    first = start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    (stored,) = (pack_cache / metric_cache.FOLDER).glob("*.pickle")
    stored.write_bytes(b"not a pickle")
    another_kernel(monkeypatch)
    pd.testing.assert_frame_equal(start("North", "2026-Q1", data=str(folder)).metrics(NAMES), first)
    assert closed_calls == [1, 1]
    another_kernel(monkeypatch)
    start("North", "2026-Q1", data=str(folder)).metrics(NAMES)
    assert closed_calls == [1, 1]  # the recomputed values were written back


# -- whole results of views (remember): the quarter trend two pages of a scope show -----------------------------

def test_the_quarter_trend_is_computed_once_per_scope_and_reads_back_equal(folder, pack_cache, closed_calls,
                                                                         monkeypatch):
    from quotabook.trends.data import quarter_trend

    report = start("North", "2026-Q1", data=str(folder))
    first = quarter_trend(report.ds, report.period, by="region")
    computed = len(closed_calls)
    assert computed > 0  # attainment per quarter, each on the data as it stood then
    assert len(list((pack_cache / metric_cache.RESULTS).glob("quarter_trend-*.pickle"))) == 1

    assert {"attainment", "win_rate", "pipeline_coverage"} <= set(report.shown_metrics)  # for the page's glossary

    another_kernel(monkeypatch)
    sibling = start("North", "2026-Q1", data=str(folder))
    again = quarter_trend(sibling.ds, report.period, by="region")
    assert len(closed_calls) == computed  # read back, nothing evaluated
    assert sibling.shown_metrics == report.shown_metrics  # the sibling page's glossary lists the same metrics
    pd.testing.assert_frame_equal(again.rows, first.rows)
    assert (again.periods, again.unavailable, again.by) == (first.periods, first.unavailable, first.by)
    q1 = again.rows[(again.rows["metric"] == "attainment") & (again.rows["period"] == "2026-Q1")]
    assert q1["value"].tolist() == [pytest.approx(650 / 1500)]  # K1 + K2 against N1 + N2's targets

    quarter_trend(report.ds, report.period, by="territory")  # another grouping: another result
    quarter_trend(start("South", "2026-Q1", data=str(folder)).ds, report.period, by="region")  # another scope
    assert len(list((pack_cache / metric_cache.RESULTS).glob("quarter_trend-*.pickle"))) == 3


def test_remember_gives_the_warnings_again_and_recomputes_what_it_cannot_read(folder, pack_cache, monkeypatch):
    from quotabook.errors import DataQualityWarning

    ds = start("North", "2026-Q1", data=str(folder)).ds
    made: list[int] = []

    def make() -> dict:
        made.append(1)
        import warnings

        warnings.warn("2 deal(s) shown open", DataQualityWarning, stacklevel=1)
        return {"rows": pd.DataFrame({"x": [1.5, None]})}

    for _ in range(2):
        with pytest.warns(DataQualityWarning, match="2 deal"):
            value = metric_cache.remember(ds, "view", ["2026-Q1"], make)
        pd.testing.assert_frame_equal(value["rows"], pd.DataFrame({"x": [1.5, None]}))
    assert made == [1]

    for kept in (pack_cache / metric_cache.RESULTS).glob("view-*.pickle"):
        kept.write_bytes(b"not a pickle")
    with pytest.warns(DataQualityWarning):
        metric_cache.remember(ds, "view", ["2026-Q1"], make)
    assert made == [1, 1]
    with pytest.warns(DataQualityWarning):
        metric_cache.remember(ds, "view", ["2026-Q2"], make)  # other parts: another result
    assert made == [1, 1, 1]


def test_remember_outside_a_pack_or_for_a_derived_dataset_only_computes(folder, pack_cache, monkeypatch):
    ds = start("North", "2026-Q1", data=str(folder)).ds
    made: list[int] = []
    for data in (ds.as_of("2026-02-01"), ds.as_of("2026-02-01")):  # derived: no key
        metric_cache.remember(data, "view", [], lambda: made.append(1))
    monkeypatch.delenv(cache.ENV)
    metric_cache.remember(ds, "view", [], lambda: made.append(1))
    metric_cache.remember(ds, "view", [], lambda: made.append(1))
    assert made == [1, 1, 1, 1]
    assert not list((pack_cache / metric_cache.RESULTS).glob("view-*"))  # (start() keeps its own results there)
