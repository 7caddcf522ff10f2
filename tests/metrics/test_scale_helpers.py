"""The fast paths the metric engine takes on large tables give exactly the pandas answers they replace:
``is_in`` (Arrow membership), ``filter_rows`` (column-wise filtering), ``deal_codes`` (integer group keys)
and ``map_keys`` (lookup of few distinct keys), including missing values and unknown keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.dataset import deal_codes, filter_rows, is_in
from quotabook.metrics.compute import map_keys

IDS = pd.Series(["OPP-3", None, "OPP-1", "OPP-2", "1", None, "OPP-9"], dtype="str", index=[5, 3, 9, 1, 0, 2, 7])


@pytest.mark.parametrize("candidates", [
    {"OPP-1", "OPP-9"},
    ["OPP-2", None],
    pd.Series(["OPP-3", "OPP-3", "OPP-x"], dtype="str"),
    pd.Index(["OPP-1"], dtype="str"),
    [],
    [1, 2],  # not strings: pandas' own isin (a cast would wrongly match "1")
    pd.Series(["1", "OPP-1"], dtype="str"),
])
def test_is_in_matches_pandas_isin(candidates):
    got = is_in(IDS, candidates)
    pd.testing.assert_series_equal(got, IDS.isin(candidates))
    np.testing.assert_array_equal(is_in(pd.Index(IDS), candidates), pd.Index(IDS).isin(candidates))


def test_is_in_leaves_other_dtypes_to_pandas():
    dates = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01"]))
    pd.testing.assert_series_equal(is_in(dates, [pd.Timestamp("2026-02-01")]), dates.isin([pd.Timestamp("2026-02-01")]))


def test_filter_rows_is_boolean_indexing_with_a_fresh_index():
    frame = pd.DataFrame({
        "opportunity_id": IDS.to_numpy(),
        "amount": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0],
        "changed_at": pd.to_datetime([f"2026-01-0{i}" for i in range(1, 8)]),
        "flag": pd.array([True, None, False, True, False, True, None], dtype="boolean"),
        "n": pd.array([1, 2, None, 4, 5, 6, 7], dtype="Int64"),
    }, index=IDS.index).astype({"opportunity_id": "str"})
    frame.attrs["source"] = "test"
    mask = frame["amount"] > 2
    got = filter_rows(frame, mask)
    pd.testing.assert_frame_equal(got, frame[mask].reset_index(drop=True))
    assert got.attrs == {"source": "test"}
    pd.testing.assert_frame_equal(filter_rows(frame, mask & False), frame[mask & False].reset_index(drop=True))


def test_deal_codes_group_like_the_ids():
    codes = deal_codes(IDS)
    assert codes.index.equals(IDS.index)
    assert codes[IDS.isna()].isna().all()
    values = pd.Series(np.arange(len(IDS)), index=IDS.index, dtype="float64")
    by_code = values.groupby(codes).sum()
    by_id = values.groupby(IDS).sum()
    first_id = IDS.groupby(codes).first()
    pd.testing.assert_series_equal(by_code.set_axis(first_id.reindex(by_code.index).to_numpy()).sort_index(),
                                   by_id.rename_axis(None), check_names=False, check_index_type=False)


@pytest.mark.parametrize("table", [
    pd.Series({"OPP-1": "East", "OPP-2": "West", "OPP-3": "East"}, dtype="str"),
    pd.Series({"OPP-1": 1.5, "OPP-3": 2.0}),
    pd.Series({"OPP-1": True, "OPP-2": False}),
])
def test_map_keys_matches_series_map(table):
    got = map_keys(IDS, table)
    expected = IDS.map(table)
    assert got.index.equals(IDS.index)
    assert got.isna().tolist() == expected.isna().tolist()
    assert got.dropna().tolist() == expected.dropna().tolist()


def test_map_keys_reads_dictionary_encoded_keys_as_their_values():
    """Categorical keys (a dictionary-encoded owner column) map to the table's values with the dtype text keys
    give, whether the lookup is one-to-one (where pandas' own ``map`` would answer with categories) or not."""
    keys = pd.Series(["Ann", "Bob", None, "Ann", "Zoe"], dtype="str", index=[4, 3, 2, 1, 0])
    one_to_one = pd.Series({"Ann": "T1", "Bob": "T2", "Zoe": "T3"})
    for table in (one_to_one, pd.Series({"Ann": "T1", "Bob": "T2"}), pd.Series({"Ann": "T1", "Bob": "T1"})):
        pd.testing.assert_series_equal(map_keys(keys.astype("category"), table), map_keys(keys, table))


def test_dictionary_encoded_lead_columns_give_the_text_answers(tiny_folder):
    """Leads whose owner, source and segment are categorical give exactly the answers of text columns at every
    level, blanks included: a lead without owner (Unassigned), a blank and a whitespace source ("(blank)"),
    an owner of no territory, a segment only leads have."""
    import warnings
    from dataclasses import replace

    from quotabook import load
    from quotabook.dataset import canonical_table
    from quotabook.metrics import compute, load_catalog

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load(tiny_folder)
    day = pd.Timestamp("2026-02-02")
    leads = canonical_table("leads", [
        {"lead_id": "L1", "created_date": day, "owner": "Ann", "source": "Web", "segment": "SMB", "sal_date": day},
        {"lead_id": "L2", "created_date": day, "owner": None, "source": None, "segment": None},
        {"lead_id": "L3", "created_date": day, "owner": "Queue", "source": " ", "segment": "Enterprise",
         "sql_date": day},
        {"lead_id": "L4", "created_date": day, "owner": "Bob", "source": "Event", "segment": "Mid-Market",
         "converted_date": day, "opportunity_id": "C"},
        {"lead_id": "L5", "created_date": pd.Timestamp("2025-11-03"), "owner": "Bob", "source": "Web"}])
    text = replace(ds, leads=leads, present=ds.present | {"leads"})
    encoded = replace(text, leads=leads.astype({c: "category" for c in ("owner", "source", "segment")}))
    catalog = load_catalog()
    names = [n for n in catalog.names if catalog.get(n).requires and any(r.startswith("leads") for r in
                                                                         catalog.get(n).requires)]
    assert names
    for by in ("territory", "region", "district", "owner", "lead_source", "segment", ("region", "lead_source")):
        expected = compute(names, text, "2026-Q1", by=by, catalog=catalog)
        got = compute(names, encoded, "2026-Q1", by=by, catalog=catalog)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.attrs["unavailable"] == expected.attrs["unavailable"]
