"""Shortcuts for histories already in deal and time order (issue 19): time travel and stage runs skip the sort
and group by integer deal numbers, with the same answers as on a shuffled history or object-dtype ids; and
the deals at a period's end are rebuilt once per dataset, whatever the grouping."""

from dataclasses import replace

import pandas as pd
import pytest

from quotabook import load
from quotabook.dataset import deal_codes, in_deal_order
from quotabook.metrics import compute
from quotabook.metrics.history import ordered_history, stage_runs
from quotabook.metrics.measures.funnel import stage_spells
from quotabook.metrics.measures.velocity import aging, stale

T = pd.Timestamp
STATE = ["opportunity_id", "stage", "amount", "close_date", "forecast_category", "probability", "is_closed",
         "is_won", "stage_entered_at"]


def _by_deal(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[STATE].sort_values("opportunity_id").reset_index(drop=True)


def test_in_deal_order_accepts_grouped_dated_rows_and_refuses_the_rest():
    ids = pd.Series(["B", "B", "A", "C"], dtype="str")  # grouped by deal, not sorted by name: codes 0, 0, 1, 2
    at = pd.Series(pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-02", "2026-01-01"]))
    assert in_deal_order(deal_codes(ids), at)
    assert not in_deal_order(deal_codes(ids), at.iloc[[1, 0, 2, 3]].reset_index(drop=True))  # B's dates swapped
    assert not in_deal_order(deal_codes(pd.Series(["B", "A", "B"], dtype="str")), at.iloc[:3])  # B split in two
    assert not in_deal_order(deal_codes(pd.Series(["B", None, "C"], dtype="str")), at.iloc[:3])  # a missing id
    assert in_deal_order(deal_codes(ids.iloc[:1]), at.iloc[:1])


@pytest.mark.parametrize("day", ["2026-01-31", "2026-02-10", "2026-02-19", "2026-02-20", "2026-03-15"])
def test_time_travel_on_a_shuffled_history_is_the_same(tiny_folder, day):
    ds = load(tiny_folder)
    shuffled = ds.opportunity_history.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert not in_deal_order(deal_codes(shuffled["opportunity_id"]), shuffled["changed_at"])
    pd.testing.assert_frame_equal(_by_deal(ds.as_of(day).opportunities),
                                  _by_deal(replace(ds, opportunity_history=shuffled).as_of(day).opportunities))


def test_two_changes_at_the_same_moment_keep_file_order(tiny_folder):
    """Deal B has two rows at one instant: the later row in the file is its state, as a stable sort gives."""
    ds = load(tiny_folder)
    h = ds.opportunity_history
    tie = h[h["opportunity_id"].eq("B")].iloc[[0]].assign(stage="Proposal", forecast_category="Best Case",
                                                          probability=60.0)
    rows = [h.iloc[:4], tie, h.iloc[4:]]  # A's three rows, B's first, B's tie, the rest
    h2 = pd.concat(rows, ignore_index=True)
    b = replace(ds, opportunity_history=h2).as_of("2026-01-31").opportunities.set_index("opportunity_id").loc["B"]
    assert (b.stage, b.forecast_category, b.probability) == ("Proposal", "Best Case", 60.0)
    assert b.stage_entered_at == T("2026-01-10 08:00")


def test_stage_runs_and_spells_the_same_with_text_or_object_ids_in_any_order(tiny_folder):
    ds = load(tiny_folder)
    h = ds.opportunity_history
    as_object = h.assign(opportunity_id=h["opportunity_id"].astype(object))
    shuffled = h.sample(frac=1.0, random_state=5).reset_index(drop=True)
    runs = stage_runs(h, "2026-03-31")
    for other in (as_object, shuffled):
        got = stage_runs(other, "2026-03-31")
        pd.testing.assert_frame_equal(got.assign(opportunity_id=got["opportunity_id"].astype("str")), runs)
    # A: Qualification -> Proposal (Proposal twice in a row is one run); B: Discovery -> Closed Won; C and D
    assert runs["opportunity_id"].tolist() == ["A", "A", "B", "B", "C", "D", "D"]
    assert ordered_history(h, ["stage"])["_g"].tolist() == [1, 1, 1, 2, 2, 3, 4, 4]
    spells = stage_spells(ds)
    same = stage_spells(replace(ds, opportunity_history=shuffled))
    pd.testing.assert_frame_equal(spells, same)
    a = spells[spells["opportunity_id"].eq("A")]
    assert a[["stage", "days"]].values.tolist() == [["Qualification", (T("2026-02-10 11:30") - T("2026-01-05 09:00"))
                                                      / pd.Timedelta(days=1)]]


def test_deals_at_period_end_answer_as_the_full_time_travel_and_are_built_once(tiny_folder):
    ds = load(tiny_folder)
    # Stale after 20 days (Proposal after 10): on Feb 15, A is in Proposal since Feb 10 (5 days), B in
    # Discovery since Jan 10 (36 days: stale), C in Discovery since that day (0 days).
    ds = replace(ds, settings=replace(ds.settings, thresholds={**ds.settings.thresholds, "stale_days": 20,
                                                               "proposal_stale_days": 10}))
    period, last_day = "2026-01-01..2026-02-15", T("2026-02-15")
    assert ds.reference_date > last_day  # the period has ended: its deals are read as of its last day
    full = ds.as_of(last_day)
    expected_aged, expected_stale = int(aging(full)["aged"].sum()), int(stale(full)["stale"].sum())
    assert expected_stale == 1
    for level in ("territory", "region"):
        got = compute(["aged_deal_count", "stale_deal_count"], ds, period, by=level)
        totals = got.groupby("metric")["value"].sum()
        assert (totals["aged_deal_count"], totals["stale_deal_count"]) == (expected_aged, expected_stale)
    assert [k for k in ds.derived if k[0] == "deals_as_of"] == [("deals_as_of", last_day)]
    past = ds.derived[("deals_as_of", last_day)]
    assert past.leads.empty and past.activities.empty and past.as_of_date == last_day


@pytest.mark.parametrize("seed", range(6))
def test_last_states_from_positions_equal_the_grouped_ones(seed):
    """The numpy path of time travel (a history in deal and time order) gives each deal's carried-forward
    state and stage entry exactly as pandas' grouped forward fill: blanks in every field, a first row with
    no stage, repeated stages, one-row deals."""
    import numpy as np

    from quotabook.dataset import _last_states_grouped, _last_states_in_order

    rng = np.random.default_rng(seed)
    n = 400
    deal = np.sort(rng.integers(0, 60, n))
    blank = lambda p: rng.random(n) < p  # noqa: E731
    stage = pd.Series(rng.choice(["Discovery", "Proposal", "Won", "Lost"], n), dtype="str").mask(blank(0.3))
    known = pd.DataFrame({
        "opportunity_id": pd.Series([f"OPP-{d:03d}" for d in deal], dtype="str"),
        "changed_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
        "stage": stage,
        "amount": pd.Series(rng.integers(1, 9, n) * 1000.0).mask(blank(0.4)),
        "close_date": pd.Series(pd.Timestamp("2026-03-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D"))
        .mask(blank(0.5)),
        "forecast_category": pd.Series(rng.choice(["Pipeline", "Commit"], n), dtype="str").mask(blank(0.5)),
        "probability": pd.Series(rng.integers(0, 100, n).astype("float64")).mask(blank(0.5)),
    })
    known["_deal"] = deal_codes(known["opportunity_id"])
    fields = ["stage", "amount", "close_date", "forecast_category", "probability"]
    fast, slow = _last_states_in_order(known, fields), _last_states_grouped(known, fields)
    assert set(fast.columns) == set(slow.columns)
    pd.testing.assert_frame_equal(fast, slow[fast.columns], check_index_type=False)
    assert fast["stage_entered_at"].notna().all()


def test_index_in_finds_positions_as_pandas_does():
    """``frames.index_in`` (Arrow's hash lookup for Arrow text) gives ``Index.get_indexer``'s positions:
    absent values -1, a missing value finding a missing key, object ids through pandas itself."""
    from quotabook.frames import index_in

    keys = pd.Index(pd.Series(["OPP-2", "OPP-1", None], dtype="str"))
    values = pd.Series(["OPP-1", "OPP-9", None, "OPP-2", "OPP-1"], dtype="str")
    assert index_in(values, keys).tolist() == keys.get_indexer(values).tolist() == [1, -1, 2, 0, 1]
    as_objects = pd.Index(keys.astype(object))
    assert index_in(values.astype(object), as_objects).tolist() == [1, -1, 2, 0, 1]
    with pytest.raises(ValueError, match="unique"):
        index_in(values, pd.Index(pd.Series(["OPP-1", "OPP-1"], dtype="str")))


@pytest.mark.parametrize("seed", range(6))
def test_stage_advances_in_order_equal_the_grouped_ones(seed):
    """The deals advancing a stage in a period, read in numpy from a history in deal and time order, are
    those pandas' sort and grouped forward fill find (blank stages carried, a lost stage never an advance,
    a stage the map does not know has no order); a shuffled history takes the pandas path, same answer."""
    import numpy as np

    from quotabook.fiscal import FiscalCalendar
    from quotabook.metrics.measures.funnel import _advances_grouped, advanced_deals
    from quotabook.settings import load_settings

    settings = load_settings()
    stages = settings.stage_table()
    rng = np.random.default_rng(seed)
    n = 500
    deal = np.sort(rng.integers(0, 80, n))
    names = [*stages.index, "Custom stage"]
    history = pd.DataFrame({
        "opportunity_id": pd.Series([f"D{d:03d}" for d in deal], dtype="str"),
        "changed_at": pd.Timestamp("2026-05-01") + pd.to_timedelta(np.arange(n) * 5, unit="h"),
        "stage": pd.Series(rng.choice(names, n), dtype="str").mask(rng.random(n) < 0.25),
    })
    period = FiscalCalendar.from_settings(settings).period("2026-Q3")
    h = history.assign(_deal=deal_codes(history["opportunity_id"]))
    fast = advanced_deals(history, stages, period)
    slow = _advances_grouped(h, stages, period)
    assert len(fast) and fast.tolist() == slow.tolist()
    shuffled = history.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    assert sorted(advanced_deals(shuffled, stages, period)) == sorted(slow)


def _runs_by_groupby(history: pd.DataFrame) -> pd.DataFrame:
    """Stage runs as pandas' grouped forward fill and shift define them (the reference the numpy path of
    ``stage_runs`` must equal)."""
    h = ordered_history(history, ["stage"])
    g = h["_g"].to_numpy()
    stage = h["stage"].groupby(g).ffill()
    known = stage.notna()
    h, stage = h[known], stage[known]
    new_run = stage.ne(stage.groupby(h["_g"].to_numpy()).shift())
    runs = pd.DataFrame({"opportunity_id": h["opportunity_id"], "stage": stage, "entered_at": h["changed_at"],
                         "_g": h["_g"]})[new_run].reset_index(drop=True)
    runs["exited_at"] = runs["entered_at"].groupby(runs.pop("_g").to_numpy()).shift(-1)
    return runs


@pytest.mark.parametrize("seed", range(6))
def test_stage_runs_equal_the_grouped_definition(seed):
    """``stage_runs`` (numpy over row positions) gives the runs of the grouped definition: blank stages
    carried, a deal whose first rows have no stage, repeated stages, a missing deal id, shuffled rows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = 300
    ids = pd.Series([f"D{d:02d}" for d in rng.integers(0, 40, n)], dtype="str").mask(rng.random(n) < 0.02)
    history = pd.DataFrame({
        "opportunity_id": ids,
        "changed_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="h"),
        "stage": pd.Series(rng.choice(["Discovery", "Demo", "Proposal"], n), dtype="str").mask(rng.random(n) < 0.3),
    })
    runs = stage_runs(history)
    reference = _runs_by_groupby(history)
    pd.testing.assert_frame_equal(runs[reference.columns], reference)
    assert runs["is_current"].equals(runs["exited_at"].isna())
    assert stage_runs(history.iloc[:0]).empty and stage_runs(history.drop(columns="stage")).empty


def test_large_frames_are_kept_only_for_a_history_the_limit_allows(tiny_folder, monkeypatch):
    """The backtest's and Commit call's travels (``always=False``) and the whole history's stage runs are kept
    with a dataset for the next level
    only up to ``KEEP_LARGE_DERIVED_UP_TO`` history rows (memory over CPU past it: at a million deals two kept
    copies took the district catalog past 8 GB); the period end's always is; the answers are the same."""
    from quotabook import dataset
    from quotabook.metrics.forecasting import deals
    from quotabook.metrics.history import dataset_stage_runs

    day = T("2026-02-15")
    kept = load(tiny_folder)
    assert len(kept.opportunity_history) <= dataset.KEEP_LARGE_DERIVED_UP_TO
    first = deals.deals_as_of(kept, day, always=False)
    assert deals.deals_as_of(kept, day, always=False) is first  # kept: the next level reads it
    assert dataset_stage_runs(kept) is dataset_stage_runs(kept)
    monkeypatch.setattr(dataset, "KEEP_LARGE_DERIVED_UP_TO", len(kept.opportunity_history) - 1)
    big = load(tiny_folder)
    again = deals.deals_as_of(big, day, always=False)
    assert ("deals_as_of", day) not in big.derived and deals.deals_as_of(big, day, always=False) is not again
    pd.testing.assert_frame_equal(again.opportunities, first.opportunities)
    pd.testing.assert_frame_equal(again.opportunity_history, first.opportunity_history)
    assert deals.deals_as_of(big, day) is deals.deals_as_of(big, day)  # the period end's: always kept
    runs = dataset_stage_runs(big)  # built again by each reader, the same runs
    assert runs is not dataset_stage_runs(big) and ("stage_runs",) not in big.derived
    pd.testing.assert_frame_equal(runs, dataset_stage_runs(kept))
    # the forecast metrics give the same answers whether the travels are kept or not (the demo's history is
    # over the limit patched to 0; the two levels read the backtest and Commit-call weeks' travels)
    names = ["backtest_forecast", "commit_call_amount"]
    expected = {by: compute(names, load("demo"), "2026-Q3", by=by) for by in ("territory", "region")}
    monkeypatch.setattr(dataset, "KEEP_LARGE_DERIVED_UP_TO", 0)
    demo = load("demo")
    for by in ("territory", "region"):
        got = compute(names, demo, "2026-Q3", by=by)
        assert got["value"].notna().all() and got["value"].gt(0).any()
        pd.testing.assert_frame_equal(got, expected[by])
    assert not [k for k in demo.derived if k[0] == "deals_as_of"]
