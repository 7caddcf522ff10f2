"""Activities in pandas and activities on disk (DuckDB over Parquet) give the same answers.

A source whose activity table is larger than ``$QUOTABOOK_ACTIVITIES_IN_MEMORY`` rows keeps it in a Parquet
file of its validated rows and computes every activity metric from DuckDB aggregations
(:class:`quotabook.activities.ActivityStore`). These tests build small organisations at random (two regions,
a rep owning territories in both, activities on deals, on no deal and on deals of another region, timestamps
late in the evening, goals for some types), write them as Parquet, load them both ways and require every
catalog metric that reads activities to be identical, by every level, for the district, each region and a
past date. Validation in batches must report the same rejected rows (file, row, column, reason) as validation
of the whole table.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import quotabook as qb
from quotabook.activities import LIMIT_ENV, activity_counts, activity_spans, deal_last_activity, summarise
from quotabook.chunked import validate_on_disk
from quotabook.errors import DataQualityWarning
from quotabook.metrics.catalog import load_catalog
from quotabook.schemas import ACTIVITY_TYPES
from quotabook.settings import load_settings
from quotabook.themes.activity_ratios.data import weekly_activity
from quotabook.validation import validate_tables

PROPERTY = settings(max_examples=5, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TERRITORIES = pd.DataFrame({
    "territory": ["N-1", "N-2", "S-1"], "region": ["North", "North", "South"], "district": ["Test"] * 3,
    "owner": ["Ines", "Omar", "Ines"], "segment": ["SMB", "SMB", "Enterprise"]})
OWNERS = ["Ines", "Omar", "Pia"]  # Pia owns no territory: her deals place her
ACTIVITY_METRICS = [m.name for m in load_catalog() if any(s.startswith("activities.") for s in m.source)]


def organisation(seed: int, n_acts: int) -> dict[str, pd.DataFrame]:
    """Deals in three territories (Pia's in S-1), their activities, goals and targets, from ``seed``."""
    rng = np.random.default_rng(seed)
    n_deals = 12
    created = pd.Timestamp("2025-10-01") + pd.to_timedelta(rng.integers(0, 300, n_deals), unit="D")
    stage = rng.choice(["Discovery", "Proposal", "Closed Won", "Closed Lost"], n_deals)
    closed = np.isin(stage, ["Closed Won", "Closed Lost"])
    opps = pd.DataFrame({
        "opportunity_id": [f"D{i:02d}" for i in range(n_deals)],
        "owner": rng.choice(OWNERS, n_deals), "territory": rng.choice(TERRITORIES["territory"], n_deals),
        "created_date": created, "close_date": created + pd.to_timedelta(rng.integers(5, 120, n_deals), unit="D"),
        "stage": stage, "forecast_category": np.where(closed, "Closed", "Commit"),
        "amount": rng.integers(1, 50, n_deals) * 1000.0, "is_closed": closed, "is_won": stage == "Closed Won"})
    opps.loc[opps["owner"] == "Pia", "territory"] = "S-1"
    deal = rng.integers(-4, n_deals, n_acts)  # negative: on no deal
    acts = pd.DataFrame({
        "activity_id": [f"A{i:04d}" for i in range(n_acts)],
        "owner": rng.choice(OWNERS, n_acts),
        # seconds over a year, so some activities fall at 23:59 and the day boundaries matter
        "activity_date": pd.Timestamp("2025-10-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, n_acts), unit="s"),
        "type": rng.choice(ACTIVITY_TYPES[:6], n_acts),
        "opportunity_id": pd.Series([f"D{d:02d}" if d >= 0 else None for d in deal], dtype="str"),
        "outcome": rng.choice(["Connected", "Left message", None], n_acts)})
    goals = pd.DataFrame({"period": "2026-Q2", "owner": ["Ines", "Omar", "Ines"],
                          "type": ["dial", "dial", "meeting_booked"], "goal": [40.0, 30.0, 5.0]})
    targets = pd.DataFrame({"period": "2026-Q2", "territory": TERRITORIES["territory"],
                            "target_amount": [50000.0, 40000.0, 30000.0]})
    return {"territories": TERRITORIES, "opportunities": opps, "activities": acts, "activity_goals": goals,
            "targets": targets}


def write(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def load_both(folder: Path, monkeypatch, **kwargs) -> tuple[qb.Dataset, qb.Dataset]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        monkeypatch.setenv(LIMIT_ENV, "100000000")
        in_memory = qb.load(folder, **kwargs)
        monkeypatch.setenv(LIMIT_ENV, "0")
        on_disk = qb.load(folder, **kwargs)
    assert in_memory.activity_store is None
    if len(in_memory.activities) or len(on_disk.report.tables["activities"].rejects):  # an empty table stays
        assert on_disk.activity_store is not None and on_disk.activities.empty
    return in_memory, on_disk


ALL_LEVELS = ("district", "region", "territory", "owner", ("owner", "type"), "type", "segment", "outcome")


def same_metrics(a: qb.Dataset, b: qb.Dataset, period: str, levels=ALL_LEVELS) -> None:
    for by in levels:
        x = qb.compute(ACTIVITY_METRICS, a, period, by=by)
        y = qb.compute(ACTIVITY_METRICS, b, period, by=by)
        pd.testing.assert_frame_equal(x, y, check_exact=True)
        assert x.attrs["unavailable"] == y.attrs["unavailable"]


#: Day windows of the grain: a quarter, a window starting at noon (days are cut by their midnight), none.
WINDOWS = ((pd.Timestamp("2026-04-01"), pd.Timestamp("2026-07-01")),
           (pd.Timestamp("2026-05-10 12:00"), pd.Timestamp("2026-05-20")), (pd.Timestamp("2031-01-01"),
                                                                             pd.Timestamp("2031-04-01")))


def same_grains(a: qb.Dataset, b: qb.Dataset) -> None:
    """The grain of a few days and the spans per owner × type are the same in pandas and DuckDB, and are what
    the whole day grain gives: its rows of those days, and its rows added up per owner × type."""
    whole = activity_counts(a)
    for extra in ((), ("outcome",)):
        for window in WINDOWS:
            cut = activity_counts(a, extra, days=window)
            pd.testing.assert_frame_equal(cut, activity_counts(b, extra, days=window), check_exact=True)
            full = activity_counts(a, extra)
            expected = full[(full["activity_date"] >= window[0]) & (full["activity_date"] < window[1])]
            pd.testing.assert_frame_equal(cut, expected.reset_index(drop=True), check_exact=True)
        spans = activity_spans(a, extra)
        pd.testing.assert_frame_equal(spans, activity_spans(b, extra), check_exact=True)
    keys = ["owner", "type"]
    per_pair = whole.groupby(keys, dropna=False, sort=True).agg(
        activity_date=("activity_date", "min"), rows=("rows", "sum"), first_at=("first_at", "min"),
        last_at=("last_at", "max")).reset_index()
    pd.testing.assert_frame_equal(activity_spans(a), per_pair, check_exact=True, check_dtype=False)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), n_acts=st.integers(0, 400))
def test_every_activity_metric_is_the_same_in_pandas_and_duckdb(tmp_path_factory, monkeypatch, seed, n_acts):
    folder = write(organisation(seed, n_acts), tmp_path_factory.mktemp("org"))
    a, b = load_both(folder, monkeypatch)
    pd.testing.assert_frame_equal(summarise(a.activities), activity_counts(b), check_exact=True)
    same_grains(a, b)
    pd.testing.assert_series_equal(deal_last_activity(a), deal_last_activity(b), check_exact=True)
    assert a.reference_date == b.reference_date
    pd.testing.assert_frame_equal(a.counts, b.counts)
    same_metrics(a, b, "2026-Q2")
    same_metrics(a, b, "2026", ("region", ("owner", "type")))
    few = ("territory", ("owner", "type"))
    for region in a.regions:
        same_metrics(a.for_region(region), b.for_region(region), "2026-Q2", few)
    past = pd.Timestamp("2026-05-20")
    same_metrics(a.as_of(past), b.as_of(past), "2026-Q2", few)
    same_metrics(a.for_region("South").as_of(past), b.for_region("South").as_of(past), "2026-Q2", few)
    pd.testing.assert_frame_equal(weekly_activity(a, "2026-Q2"), weekly_activity(b, "2026-Q2"))


def test_a_hand_counted_day_grain(tmp_path, monkeypatch):
    """Three dials by Omar, two of them on one day (one at 23:59), and an email: two grain rows of dials."""
    tables = organisation(1, 0)
    deal, other = tables["opportunities"]["opportunity_id"].iloc[:2]
    tables["activities"] = pd.DataFrame({
        "activity_id": ["A1", "A2", "A3", "A4"], "owner": ["Omar"] * 4,
        "activity_date": pd.to_datetime(["2026-04-02 09:00", "2026-04-02 23:59", "2026-04-03 00:00",
                                         "2026-04-03 10:00"]),
        "type": ["dial", "dial", "dial", "email"],
        "opportunity_id": pd.Series([deal, None, deal, other], dtype="str")})
    _, b = load_both(write(tables, tmp_path / "org"), monkeypatch)
    counts = activity_counts(b)
    dials = counts[counts["type"] == "dial"]
    assert dials["activity_date"].tolist() == [pd.Timestamp("2026-04-02"), pd.Timestamp("2026-04-03")]
    assert dials["rows"].tolist() == [2, 1]
    assert dials["last_at"].iloc[0] == pd.Timestamp("2026-04-02 23:59")
    wide = qb.compute_wide(["dial_count", "email_count"], b, "2026-Q2", by="owner")
    assert wide.loc["Omar", "dial_count"] == 3 and wide.loc["Omar", "email_count"] == 1
    # Answers the store gives without a query (from the spans its date read, or its cutoff) are the queried ones.
    store = b.activity_store
    assert store.last_by_deal().to_dict() == {deal: pd.Timestamp("2026-04-03 00:00"),
                                              other: pd.Timestamp("2026-04-03 10:00")}
    assert store.rows() == 4 == replace(store, _memo={}).rows()
    for before in ("2026-04-03 10:00", "2026-04-03 10:00:01", "2026-04-04"):
        fresh = replace(store, _memo={})
        pd.testing.assert_series_equal(store.last_by_deal(pd.Timestamp(before)),
                                       fresh.last_by_deal(pd.Timestamp(before)))
    past = store.as_of(pd.Timestamp("2026-04-03"))
    assert past.last_by_deal(pd.Timestamp("2026-04-05")).equals(replace(past, _memo={}).last_by_deal(None))


@pytest.mark.parametrize("batch_rows", [2, 3, 1000])
def test_batches_report_the_rows_one_table_would(tmp_path, batch_rows):
    """Bad rows found a batch at a time are the rows validation of the whole table rejects, at their rows in
    the file: a bad date, an unknown type, an unknown deal, a rejected deal's activity (kept, detached), an id
    repeated with other values in another batch, and an exact copy of an earlier row."""
    tables = organisation(3, 12)
    opps = tables["opportunities"].astype({"amount": "object"})
    opps.loc[0, "amount"] = "lots"  # D00 rejected: its activities are kept without their deal
    acts = tables["activities"].astype({"activity_date": "object", "type": "object"})
    acts.loc[1, "activity_date"] = "not a day"
    acts.loc[2, "type"] = "fax"
    acts.loc[3, "opportunity_id"] = "NOPE"
    acts.loc[4, "opportunity_id"] = "D00"
    acts.loc[9, "activity_id"] = acts.loc[0, "activity_id"]  # same id, other values: both rejected
    acts.loc[11] = acts.loc[6]  # an exact copy: the first is kept
    folder = tmp_path / "bad"
    folder.mkdir()
    opps.astype({"amount": "str"}).to_parquet(folder / "opportunities.parquet", index=False)
    acts.astype({"activity_date": "str"}).to_parquet(folder / "activities.parquet", index=False)
    stages = load_settings().stage_names
    raw = {"opportunities": (pd.read_parquet(folder / "opportunities.parquet"), "opps"),
           "activities": (pd.read_parquet(folder / "activities.parquet"), "acts")}
    whole = validate_tables(raw, stages)
    refs = {"opportunities": whole.tables["opportunities"]}
    result, store, problems = validate_on_disk("activities", folder / "activities.parquet", "acts", refs, stages,
                                               batch_rows=batch_rows)
    key = ["file", "row", "column", "reason"]
    expected = whole.tables["activities"].rejects[key].sort_values(key).reset_index(drop=True)
    assert set(expected["reason"]) >= {"bad_date", "unknown_value", "unknown_opportunity", "duplicate_id"}
    pd.testing.assert_frame_equal(result.rejects[key].sort_values(key).reset_index(drop=True), expected,
                                  check_dtype=False)
    assert (result.read, result.used, result.rejected_rows) == (
        whole.tables["activities"].read, whole.tables["activities"].used, whole.tables["activities"].rejected_rows)
    assert result.detached["value"].tolist() == ["D00"] and problems == []
    kept = whole.tables["activities"].data
    pd.testing.assert_frame_equal(store.counts(), summarise(kept), check_exact=True)


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), n_acts=st.integers(1, 300))
def test_activities_reconcile_from_rep_to_district_in_pandas_and_duckdb(tmp_path_factory, monkeypatch, seed, n_acts):
    """Pia owns no territory (issue 16): every activity of the quarter is in the district, once in the regions
    (plus Unassigned), once in the reps; each region's slice is its row of the district's "by region"."""
    tables = organisation(seed, n_acts)
    folder = write(tables, tmp_path_factory.mktemp("org"))
    acts = tables["activities"]
    in_q2 = int(((acts["activity_date"] >= "2026-04-01") & (acts["activity_date"] < "2026-07-01")).sum())
    for ds in load_both(folder, monkeypatch):
        by = {level: qb.compute_wide(["activity_count"], ds, "2026-Q2", by=level)["activity_count"]
              for level in ("owner", "territory", "region", "district")}
        assert {level: int(v.sum()) for level, v in by.items()} == dict.fromkeys(by, in_q2)
        assert by["owner"].index[:2].tolist() == ["Ines", "Omar"]  # the territory owners first, then Pia
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            for region in ds.regions:
                part = qb.compute_wide(["activity_count"], ds.for_region(region), "2026-Q2", by="region")
                if "activity_count" in part:
                    assert part["activity_count"].to_dict() == {region: by["region"][region]}
                else:  # a slice holding no activity at all says "not available" (its row is 0)
                    assert by["region"][region] == 0 and "activity_count" in part.attrs["unavailable"]
