"""``dataset.filter_rows`` gives exactly ``frame[mask].reset_index(drop=True)``.

It filters column by column and, when the mask keeps long runs of rows, cuts Arrow text into slices of the
original buffers; ``_ROWS_PER_RUN`` (how long runs must be on average) is set to 1 here so the slicing
path runs on the small frames hypothesis draws, as well as at its shipped value (the copying path), and
``_COLUMNWISE_FROM`` (below which pandas selects the rows at once) to 0 so that either path runs at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook import dataset

SHIPPED_COLUMNWISE_FROM = dataset._COLUMNWISE_FROM


@pytest.fixture(autouse=True)
def columnwise(monkeypatch):
    """The column-by-column path on the small frames drawn here (shipped, it serves large tables only)."""
    monkeypatch.setattr(dataset, "_COLUMNWISE_FROM", 0)


QUICK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])
STR = pd.Series([], dtype="str").dtype

texts = st.one_of(st.none(), st.sampled_from(["", "A-001", "Zoë", "日本", " x ", "y" * 70]), st.text(max_size=6))


@st.composite
def frames_and_masks(draw) -> tuple[pd.DataFrame, np.ndarray]:
    """A frame of the column kinds tables hold (Arrow text in several chunks, numbers, dates, nullable
    booleans, categories, object integers) under a shuffled index, and a mask: random, all-true,
    all-false or a few long runs."""
    n = draw(st.integers(0, 25))
    text = draw(st.lists(texts, min_size=n, max_size=n))
    cut = draw(st.integers(0, n))
    chunked = pa.chunked_array([pa.array(text[:cut], type=pa.string()), pa.array(text[cut:], type=pa.string())])
    numbers = draw(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, width=32)), min_size=n, max_size=n))
    frame = pd.DataFrame({
        "id": pd.arrays.ArrowStringArray(chunked, dtype=STR),
        "name": pd.Series(text, dtype=STR),
        "amount": pd.Series(numbers, dtype="float64"),
        "count": np.arange(n, dtype="int64"),
        "created_date": pd.Series(pd.date_range("2024-01-01", periods=n, freq="D")).where(
            np.arange(n) % 3 != 1),
        "is_won": pd.Series([None if v is None else len(v) % 2 == 0 for v in text], dtype="boolean"),
        "segment": pd.Categorical([None if v is None else v[:1] for v in text]),
        "counts": pd.Series(list(range(n)), dtype=object),  # object, but not text (text: see below)
    })
    frame.index = draw(st.permutations(list(range(100, 100 + n))))
    frame.attrs["source"] = "test"
    kind = draw(st.sampled_from(["random", "all", "none", "runs"]))
    if kind == "random":
        mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    elif kind == "runs":
        mask = np.zeros(n, dtype=bool)
        for start, length in draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(1, 8)),
                                           max_size=3)):
            mask[start:start + length] = True
    else:
        mask = np.full(n, kind == "all")
    return frame, mask


def _reference(frame: pd.DataFrame, mask) -> pd.DataFrame:
    return frame[np.asarray(mask, dtype=bool)].reset_index(drop=True)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)  # dtypes included: Arrow text stays Arrow text
    assert got.attrs == want.attrs


@pytest.mark.parametrize("rows_per_run", [1, 3, dataset._ROWS_PER_RUN])
@QUICK
@given(drawn=frames_and_masks())
def test_filter_rows_is_boolean_indexing(drawn, rows_per_run, monkeypatch):
    frame, mask = drawn
    monkeypatch.setattr(dataset, "_ROWS_PER_RUN", rows_per_run)
    before = frame.copy()
    _same(dataset.filter_rows(frame, mask), _reference(frame, mask))
    pd.testing.assert_frame_equal(frame, before)  # the input is left as it was


@QUICK
@given(drawn=frames_and_masks())
def test_a_small_frame_selected_by_pandas_at_once_gives_the_same(drawn, monkeypatch):
    frame, mask = drawn
    monkeypatch.setattr(dataset, "_COLUMNWISE_FROM", SHIPPED_COLUMNWISE_FROM)
    _same(dataset.filter_rows(frame, mask), _reference(frame, mask))


@QUICK
@given(drawn=frames_and_masks())
def test_filter_rows_takes_a_boolean_series_mask(drawn, monkeypatch):
    frame, mask = drawn
    monkeypatch.setattr(dataset, "_ROWS_PER_RUN", 1)
    series = pd.Series(mask, index=frame.index)
    _same(dataset.filter_rows(frame, series), _reference(frame, mask))


def test_sliced_text_columns_share_the_original_buffers(monkeypatch):
    """With long runs the text columns are slices (no copy), and still equal boolean indexing."""
    monkeypatch.setattr(dataset, "_ROWS_PER_RUN", 1)
    frame = pd.DataFrame({"id": pd.Series([f"D-{i:04d}" for i in range(50)], dtype=STR),
                          "amount": np.arange(50, dtype="float64")})
    mask = np.zeros(50, dtype=bool)
    mask[5:20] = mask[30:45] = True
    got = dataset.filter_rows(frame, mask)
    _same(got, _reference(frame, mask))
    chunks = pa.chunked_array(got["id"].array.__arrow_array__()).chunks
    assert len(chunks) == 2 and [len(c) for c in chunks] == [15, 15]


def test_duplicate_column_names_fall_back_to_boolean_indexing():
    frame = pd.DataFrame([[1, "a", 2.0], [3, "b", 4.0], [5, None, 6.0]], columns=["x", "y", "x"])
    frame["y"] = frame["y"].astype(STR)
    mask = np.array([True, False, True])
    _same(dataset.filter_rows(frame, mask), _reference(frame, mask))


def test_all_true_mask_on_an_empty_frame_and_a_full_one():
    empty = pd.DataFrame({"id": pd.Series([], dtype=STR), "amount": pd.Series([], dtype="float64")})
    _same(dataset.filter_rows(empty, np.zeros(0, dtype=bool)), _reference(empty, np.zeros(0, dtype=bool)))
    full = pd.DataFrame({"id": pd.Series(["a", None, "c"], dtype=STR)}, index=[7, 3, 5])
    _same(dataset.filter_rows(full, [True, True, True]), _reference(full, [True, True, True]))


@pytest.mark.parametrize("rows_per_run", [1, dataset._ROWS_PER_RUN])
def test_object_text_column_keeps_its_dtype(rows_per_run, monkeypatch):
    monkeypatch.setattr(dataset, "_ROWS_PER_RUN", rows_per_run)
    frame = pd.DataFrame({"extra": pd.Series(["a", None, "b", "c"], dtype=object), "n": np.arange(4)})
    mask = np.array([True, False, True, True])
    _same(dataset.filter_rows(frame, mask), _reference(frame, mask))
