"""The fast paths of :mod:`quotabook.validation` agree with the slow paths they skip.

``_all_distinct`` (64-bit fingerprints of Arrow text) must never call keys distinct when pandas'
``duplicated`` finds a repeat; ``_clean_text`` must say "already canonical" exactly when stripping (as the
slow coercion does it) would change nothing; ``_rules_hold`` must never vouch for a frame that the pandera
schema rejects. Hypothesis draws the inputs (example counts are modest to keep the file quick); the
bad-input corpus is replayed with every ``_rules_hold`` verdict checked against pandera.
"""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook import validate_source, validation
from quotabook.schemas import TABLES, Column, pandera_schema
from test_bad_inputs import CASES, build, case_meta

QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STR = pd.Series([], dtype="str").dtype  # the canonical text dtype (Arrow-backed, NaN for missing)

# Values that stress the fingerprint: short ids (uniform width), empty strings, multi-byte text, and values
# around and beyond the 64-byte limit; a small pool so that repeats are common.
KEY_POOL = ["A-001", "A-002", "B-001", "", " ", "é", "e\u0301", "日本", "x" * 63, "x" * 64, "x" * 65,
            "y" * 64, "\x00", "\x00\x00", "a\x00", "12345678", "123456789", "1234567\x00"]
keys = st.one_of(st.none(), st.sampled_from(KEY_POOL), st.text(max_size=70))


@st.composite
def chunked_text(draw, values=keys, max_size=30) -> tuple[list, pa.ChunkedArray]:
    """A list of optional strings and the same values as an Arrow chunked array cut into random chunks;
    each chunk may be a slice of a longer array (a nonzero offset), and the type string or large_string."""
    items = draw(st.lists(values, max_size=max_size))
    kind = draw(st.sampled_from([pa.string(), pa.large_string()]))
    cuts = sorted(draw(st.lists(st.integers(0, len(items)), max_size=4)))
    bounds = [0, *cuts, len(items)]
    chunks = []
    for start, stop in pairwise(bounds):
        part = items[start:stop]
        pad_before = draw(st.lists(st.sampled_from(["pad", None, "", "x" * 70]), max_size=2))
        pad_after = draw(st.lists(st.sampled_from(["pad", None, ""]), max_size=2))
        whole = pa.array([*pad_before, *part, *pad_after], type=kind)
        chunks.append(whole.slice(len(pad_before), len(part)))
    return items, pa.chunked_array(chunks, type=kind)


def arrow_series(data: pa.ChunkedArray) -> pd.Series:
    """A ``str`` Series over ``data`` as it is (its chunks kept), like a column read from Parquet."""
    return pd.Series(pd.arrays.ArrowStringArray(data, dtype=STR))


# -- _all_distinct ----------------------------------------------------------------------------------------
@QUICK
@given(chunked_text())
def test_all_distinct_never_hides_a_duplicate(drawn):
    items, data = drawn
    series = arrow_series(data)
    assert series.isna().tolist() == [v is None for v in items]
    assert series.dropna().tolist() == [v for v in items if v is not None]
    duplicated = bool(series.duplicated().any())
    distinct = validation._all_distinct(series)
    if distinct:
        assert not duplicated, f"_all_distinct said distinct for {items!r}"
    # The converse holds whenever no value is over 64 bytes and "" and a missing value do not meet (both
    # fingerprint to 0 by design, which only sends the caller to pandas).
    short = all(v is None or len(v.encode()) <= 64 for v in items)
    if not duplicated and short and not (None in items and "" in items):
        assert distinct, f"_all_distinct missed distinct keys {items!r}"


@QUICK
@given(chunked_text(values=st.sampled_from([*KEY_POOL, None]), max_size=12))
def test_all_distinct_on_a_small_pool_agrees_both_ways(drawn):
    """Repeats across chunks of different layouts (one width vs mixed widths) must fingerprint alike."""
    items, data = drawn
    series = arrow_series(data)
    duplicated = bool(series.duplicated().any())
    distinct = validation._all_distinct(series)
    assert not (distinct and duplicated), items
    if not duplicated and all(v is None or len(v.encode()) <= 64 for v in items) \
            and not (None in items and "" in items):
        assert distinct, items


@QUICK
@given(st.lists(st.one_of(st.none(), st.sampled_from(KEY_POOL)), max_size=12),
       st.sampled_from(["object", "string[python]"]))
def test_all_distinct_without_arrow_is_pandas_is_unique(items, dtype):
    series = pd.Series(items, dtype=dtype)
    assert validation._all_distinct(series) == (not series.duplicated().any())


def test_all_distinct_equal_values_in_chunks_of_different_layout():
    """The same id in a one-width chunk (word-wise fingerprint) and a mixed-width chunk (byte-wise)."""
    for value in ["A-001", "x" * 64, "12345678", "日本語", "\x00"]:
        data = pa.chunked_array([pa.array([value, value + "#"]),
                                 pa.array(["zz", value, "a much longer value"])])
        series = arrow_series(data)
        assert series.duplicated().any()
        assert not validation._all_distinct(series), value


# -- _clean_text ------------------------------------------------------------------------------------------
SPACES = [" ", "\xa0", "\x1f", "\x1c", "\t", "\n", "\r", "\x0b", "\x85", "\u3000", "\u2028", "\u200b", "\ufeff",
          "\x00"]
cores = st.one_of(st.sampled_from(["", "Acme", "é", "日本", "a b", "x" * 70, "\x7f", "Zoë Ünal", "\U0001f600"]),
                  st.text(max_size=8))
cells = st.one_of(
    st.none(),
    st.builds(lambda a, core, b: a + core + b, st.text(st.sampled_from(SPACES), max_size=2), cores,
              st.text(st.sampled_from(SPACES), max_size=2)),
)


def _slow_text(series: pd.Series) -> pd.Series:
    """The slow coercion of a text column (``coerce_column`` past the fast path): strip, then "" is missing."""
    text = series.astype("string").str.strip()
    return text.mask(text == "").astype("str")


@QUICK
@given(chunked_text(values=cells, max_size=20))
def test_clean_text_exactly_when_stripping_changes_nothing(drawn):
    items, data = drawn
    series = arrow_series(data)
    present = series.dropna()
    stripped = series.str.strip()  # pandas' own strip on the same (str) dtype
    expected = (len(series) > 0 and len(present) > 0 and not (present == "").any()
                and stripped.equals(series))
    assert validation._clean_text(series) == expected, items
    if expected:  # the slow path would hand back the very same values
        pd.testing.assert_series_equal(_slow_text(series), series)
        out, failed, reason = validation.coerce_column(series, Column("name", "string"))
        assert out is series and not failed.any() and reason is None


@QUICK
@given(st.lists(cells, max_size=10))
def test_clean_text_agrees_with_the_slow_coercion(items):
    """Whatever the fast path decides, ``coerce_column`` gives what the slow path gives."""
    series = pd.Series(items, dtype=STR)
    out, failed, _ = validation.coerce_column(series, Column("name", "string"))
    pd.testing.assert_series_equal(out, _slow_text(series), check_names=False)
    assert not failed.any()


@pytest.mark.parametrize("dtype", ["object", "string[python]", "string[pyarrow]"])
def test_clean_text_only_vouches_for_the_canonical_dtype(dtype):
    assert not validation._clean_text(pd.Series(["Acme", "Beta"], dtype=dtype))
    assert validation._clean_text(pd.Series(["Acme", "Beta"], dtype=STR))


@pytest.mark.parametrize("values", [[], [None], [None, None], [""], ["a", ""], ["a", None, ""]])
def test_clean_text_refuses_empty_missing_and_blank_columns(values):
    assert not validation._clean_text(pd.Series(values, dtype=STR))


# -- _rules_hold ------------------------------------------------------------------------------------------
STAGES = ["Prospecting", "Qualification", "Closed Won", "Closed Lost"]


def _pool(col: Column) -> list:
    """Raw text for a column: two valid values first, then values breaking its rules, values that do not
    parse, and blanks."""
    if col.kind in ("date", "datetime"):
        return ["2024-01-05", "2024-03-31", "2023-12-31", "2025-06-30 12:00:00", "", None, "13/13/2024"]
    if col.kind == "number":
        low, high = col.min if col.min is not None else -5, col.max if col.max is not None else 5
        return [str(low), str(high), str(low - 1), str(high + 1), str((low + high) / 2), "abc", "", None]
    if col.kind == "bool":
        return ["true", "false", "yes", "maybe", "", None]
    if col.allowed:
        return [*col.allowed[:3], "Unknown", "", None]
    if col.name == "stage":
        return [*STAGES[:3], "Not A Stage", "", None]
    if col.name == "period":
        return ["2026-Q3", "2025-Q1", "2026-Q5", "2026Q3", "Q3 2026", "", None]
    return ["A-1", "A-2", " B-1 ", "", None]


@st.composite
def coerced_tables(draw):
    """A table spec, a frame of its columns coerced as ``validate_table`` coerces them, and stages."""
    spec = draw(st.sampled_from(list(TABLES.values())))
    optional = [c for c in spec.columns if not c.required]
    dropped = set(draw(st.lists(st.sampled_from([c.name for c in optional]), max_size=3))) if optional else set()
    columns = [c for c in spec.columns if c.name not in dropped]
    n = draw(st.integers(1, 6))
    # Most columns draw valid values only (the first two of each pool), so that many frames pass the fast
    # checks and the few broken cells left are the ones that must not slip through.
    pools = {c.name: _pool(c) if draw(st.integers(0, 3)) == 0 else _pool(c)[:2] for c in columns}
    raw = pd.DataFrame({c.name: pd.Series(draw(st.lists(st.sampled_from(pools[c.name]), min_size=n, max_size=n)),
                                          dtype=object) for c in columns})
    raw = raw.astype("str")  # text as read from CSV (missing is NaN)
    data = pd.DataFrame(index=raw.index)
    for col in columns:
        data[col.name], _, _ = validation.coerce_column(raw[col.name], col)
    stages = draw(st.sampled_from([None, STAGES]))
    return spec, data, stages


def _pandera_fails(spec, data, stages) -> bool:
    import pandera.errors as pa_errors

    try:
        pandera_schema(spec, stages).validate(data, lazy=True)
    except pa_errors.SchemaErrors:
        return True
    return False


@settings(QUICK, max_examples=40)
@given(coerced_tables())
def test_rules_hold_never_vouches_for_a_frame_pandera_rejects(drawn):
    spec, data, stages = drawn
    if validation._rules_hold(spec, data, stages):
        assert not _pandera_fails(spec, data, stages), f"{spec.name}:\n{data.to_string()}"


@pytest.mark.parametrize("name", list(TABLES))
def test_rules_hold_vouches_for_a_clean_table(name):
    """The fast path is taken at all: a table of valid values passes without pandera."""
    spec = TABLES[name]
    raw = pd.DataFrame({c.name: [_pool(c)[0], _pool(c)[0 if c.kind in ("date", "datetime") else 1]]
                        for c in spec.columns}, dtype="str")
    if {"is_won", "is_closed"} <= set(raw):
        raw["is_won"], raw["is_closed"] = "true", "true"
    data = pd.DataFrame({c.name: validation.coerce_column(raw[c.name], c)[0] for c in spec.columns})
    assert not _pandera_fails(spec, data, STAGES)
    assert validation._rules_hold(spec, data, STAGES)


# The row rules of the pandera schema, as reject reasons: the corpus cases expecting one reach pandera.
PANDERA_REASONS = {"missing_value", "negative_amount", "out_of_range", "unknown_value", "unknown_stage", "bad_period",
                   "close_before_create", "dates_out_of_order", "won_but_not_closed"}
RULE_CASES = [name for name in CASES if {p["reason"] for p in case_meta(name)["problems"]} & PANDERA_REASONS]


@pytest.mark.parametrize("name", RULE_CASES)
def test_rules_hold_on_the_bad_input_corpus(name, tmp_path, monkeypatch):
    """Every ``_rules_hold`` verdict made while validating a corpus case whose problems are row rules agrees
    with pandera: a table it vouches for passes the schema, and the table breaking a rule is doubted."""
    real = validation._rules_hold
    wrong: list[str] = []
    doubted: list[str] = []

    def checked(spec, data, stages):
        verdict = real(spec, data, stages)
        if not verdict:
            doubted.append(spec.name)
        elif _pandera_fails(spec, data, stages):
            wrong.append(f"{spec.name}:\n{data.to_string()}")
        return verdict

    monkeypatch.setattr(validation, "_rules_hold", checked)
    source, _ = build(name, tmp_path)
    report, _ = validate_source(source)
    assert not wrong, f"_rules_hold vouched for a table pandera rejects: {wrong}"
    rule_tables = set(report.rejects.loc[report.rejects["reason"].isin(PANDERA_REASONS), "table"])
    assert rule_tables <= set(doubted), (rule_tables, doubted)
