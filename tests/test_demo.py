"""The demo district: canonical shape, internal consistency, determinism and realism bands.

One district is generated per module (about a second) and shared by the tests; each assertion is a
cheap vectorised check on it.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pandas as pd
import pytest

from quotabook import demo
from quotabook.fiscal import FiscalCalendar
from quotabook.metrics.catalog import load_catalog
from quotabook.schemas import ACTIVITY_TYPES, TABLES, pandera_schema
from quotabook.settings import load_settings

pytestmark = pytest.mark.xdist_group("demo")  # module fixtures built once, on one worker

SNAPSHOT = pd.Timestamp("2026-11-16")
SETTINGS = load_settings()
STAGES = SETTINGS.stage_table()


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return demo.generate(seed=7, snapshot=SNAPSHOT, settings=SETTINGS)


@pytest.fixture(scope="module")
def opps(tables) -> pd.DataFrame:
    return tables["opportunities"]


@pytest.fixture(scope="module")
def parquet_files(tables, tmp_path_factory) -> list:
    return demo.write(tables, tmp_path_factory.mktemp("demo"))


def _digests(paths) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


# -- shape ------------------------------------------------------------------------------------------
def test_every_table_has_exactly_the_canonical_columns(tables):
    assert list(tables) == list(demo.build.TABLE_ORDER)
    for name, df in tables.items():
        assert list(df.columns) == [c.name for c in TABLES[name].columns], name
        assert len(df) > 0, name


@pytest.mark.parametrize("name", list(demo.build.TABLE_ORDER))
def test_tables_pass_the_canonical_pandera_schema(tables, name):
    df = tables[name]
    pandera_schema(TABLES[name], SETTINGS.stage_names).validate(df, lazy=True)
    if TABLES[name].key:
        assert not df.duplicated(list(TABLES[name].key)).any()


def test_dtypes_are_str_datetime_bool_and_whole_amounts(tables):
    kinds = {"id": "str", "string": "str", "category": "str"}
    for name, df in tables.items():
        for col in TABLES[name].columns:
            s = df[col.name]
            if col.kind in kinds:
                assert s.dtype == "str", (name, col.name, s.dtype)
            elif col.kind in ("date", "datetime"):
                assert pd.api.types.is_datetime64_dtype(s), (name, col.name)
                if col.kind == "date":
                    assert (s.dropna() == s.dropna().dt.normalize()).all(), (name, col.name)
            elif col.kind == "bool":
                assert s.dtype == bool, (name, col.name)
    for name, col in (("opportunities", "amount"), ("opportunity_history", "amount"),
                      ("targets", "target_amount")):
        amount = tables[name][col]
        assert amount.dtype == "float64" and (amount == amount.round()).all() and (amount > 0).all()


def test_references_resolve(tables, opps):
    ids = set(opps["opportunity_id"])
    assert set(tables["opportunity_history"]["opportunity_id"]) == ids
    assert set(tables["activities"]["opportunity_id"].dropna()) <= ids
    assert set(tables["leads"]["opportunity_id"].dropna()) <= ids
    territories = set(tables["territories"]["territory"])
    assert set(opps["territory"]) == territories
    assert set(tables["targets"]["territory"]) == territories


# -- consistency ------------------------------------------------------------------------------------
def test_stage_flags_probability_and_category_follow_the_stage_map(opps):
    stage = STAGES.loc[opps["stage"]]
    assert (opps["is_closed"].to_numpy() == stage["is_closed"].to_numpy()).all()
    assert (opps["is_won"].to_numpy() == stage["is_won"].to_numpy()).all()
    assert (opps["probability"].to_numpy() == stage["probability"].to_numpy()).all()
    lost = opps["is_closed"] & ~opps["is_won"]
    assert (opps.loc[opps["is_won"], "forecast_category"] == "Closed").all()
    assert (opps.loc[lost, "forecast_category"] == "Omitted").all()
    assert opps.loc[~opps["is_closed"], "forecast_category"].isin(["Pipeline", "Best Case", "Commit"]).all()
    assert opps.loc[lost, "loss_reason"].notna().all() and opps.loc[~lost, "loss_reason"].isna().all()


def test_last_history_row_is_the_current_row(tables, opps):
    history = tables["opportunity_history"]
    last = history.groupby("opportunity_id", sort=True).tail(1).set_index("opportunity_id")
    current = opps.set_index("opportunity_id").loc[last.index]
    for col in ("stage", "amount", "close_date", "forecast_category", "probability"):
        assert (last[col] == current[col]).all(), col


def test_history_starts_at_creation_and_moves_forward(tables, opps):
    history = tables["opportunity_history"]
    created = history["opportunity_id"].map(opps.set_index("opportunity_id")["created_date"])
    assert (history["changed_at"] >= created).all()
    first = history.groupby("opportunity_id").head(1)
    assert (first["changed_at"] == created[first.index]).all()
    assert (first["stage"] == "Qualification").all()
    assert (history.groupby("opportunity_id")["changed_at"].diff().dropna() > pd.Timedelta(0)).all()
    rank = history["forecast_category"].map({"Pipeline": 0, "Best Case": 1, "Commit": 2, "Closed": 3,
                                             "Omitted": 3})
    assert (rank.groupby(history["opportunity_id"]).diff().dropna() >= 0).all()


def test_nothing_happens_on_or_after_the_snapshot(tables, opps):
    assert tables["opportunity_history"]["changed_at"].max() < SNAPSHOT
    assert tables["activities"]["activity_date"].max() < SNAPSHOT
    for col in ("created_date", "sal_date", "sql_date", "converted_date", "disqualified_date"):
        assert tables["leads"][col].max() < SNAPSHOT, col
    assert opps["created_date"].max() < SNAPSHOT
    assert opps["last_activity_date"].max() < SNAPSHOT
    assert (opps.loc[opps["is_closed"], "close_date"] < SNAPSHOT).all()
    assert (opps.loc[~opps["is_closed"], "close_date"] > SNAPSHOT).all()


def test_last_activity_date_is_the_latest_activity_on_the_deal(tables, opps):
    acts = tables["activities"].dropna(subset=["opportunity_id"])
    latest = acts.groupby("opportunity_id")["activity_date"].max().dt.normalize()
    assert (opps.set_index("opportunity_id")["last_activity_date"].loc[latest.index] == latest).all()


def test_activities_follow_the_prospecting_flow(tables):
    acts = tables["activities"]
    assert 100_000 <= len(acts) <= 250_000
    assert set(acts["type"]) <= set(ACTIVITY_TYPES)
    counts = acts["type"].value_counts()
    assert 10 <= counts["dial"] / counts["connect"] <= 14  # InsightSquared: about 12:1
    assert counts["connect"] > counts["meeting_booked"]
    assert acts.loc[acts["type"].isin(["dial", "connect"]), "opportunity_id"].isna().all()
    timed = acts["type"].isin(["connect", "meeting_held"])
    assert acts.loc[timed, "duration_s"].notna().all() and acts.loc[~timed, "duration_s"].isna().all()
    hours = acts["activity_date"].dt.hour
    assert hours.between(8, 17).all() and (acts["activity_date"].dt.day_of_week < 5).all()


def test_converted_leads_match_their_opportunity(tables, opps):
    leads = tables["leads"]
    converted = leads.dropna(subset=["opportunity_id"])
    assert converted["converted_date"].notna().all()
    assert leads.loc[leads["opportunity_id"].isna(), "converted_date"].isna().all()
    created = converted["opportunity_id"].map(opps.set_index("opportunity_id")["created_date"])
    assert (converted["converted_date"] == created).all()
    assert not converted["opportunity_id"].duplicated().any()


def test_lead_conversion_rates_sit_in_the_benchmark_bands(tables):
    catalog = load_catalog()
    for segment, leads in tables["leads"].groupby("segment"):
        reached = [leads[c].notna().sum() for c in ("created_date", "sal_date", "sql_date", "converted_date")]
        for metric, a, b in zip(("lead_to_sal", "sal_to_sql", "sql_to_opportunity"), reached[:-1], reached[1:],
                                strict=True):
            low, high = catalog.get(metric).benchmark.for_segment(segment).band
            assert low - 0.02 <= b / a <= high + 0.02, (segment, metric, b / a)


# -- realism ----------------------------------------------------------------------------------------
def test_district_layout(tables):
    terr = tables["territories"]
    assert len(terr) == 16 and terr["district"].nunique() == 1
    per_region = terr.groupby("region").size()
    assert len(per_region) == 4 and per_region.between(3, 5).all()
    assert terr["owner"].is_unique and set(terr["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert (terr["capacity_factor"] == 0.7).sum() in (1, 2)


def test_deal_volume_win_rate_and_cycles(opps):
    in_window = opps["created_date"] >= pd.Timestamp("2025-01-01")
    assert 2_400 <= in_window.sum() <= 3_600
    closed = opps[opps["is_closed"]]
    assert 0.20 <= closed["is_won"].mean() <= 0.35
    by_rep = closed.groupby("owner")["is_won"].mean()
    assert by_rep.min() < 0.22 and by_rep.max() > 0.33  # reps visibly differ
    won = opps[opps["is_won"]]
    cycle = (won["close_date"] - won["created_date"]).dt.days.groupby(won["segment"]).median()
    assert 30 <= cycle["SMB"] <= 60
    assert 60 <= cycle["Mid-Market"] <= 120 and 60 <= cycle["Enterprise"] <= 120
    size = opps[opps["type"] == "New Business"].groupby("segment")["amount"].median()
    assert 10e3 <= size["SMB"] <= 30e3 and 40e3 <= size["Mid-Market"] <= 90e3
    assert 120e3 <= size["Enterprise"] <= 400e3


def test_expansions_land_on_known_accounts(opps):
    by_account = opps.groupby("account_id")
    assert (by_account.size() > 1).sum() > 100
    assert by_account["account_name"].nunique().max() == 1
    assert opps.loc[opps["type"] != "New Business", "lead_source"].eq("Existing Customer").all()


def test_red_flags_have_material(tables, opps):
    history = tables["opportunity_history"]
    prev = history.groupby("opportunity_id")["close_date"].shift()
    open_rows = ~history["stage"].isin(["Closed Won", "Closed Lost"])
    pushes = history[open_rows & (history["close_date"] > prev)].groupby("opportunity_id").size()
    assert (pushes >= 5).sum() >= 5  # InsightSquared's slippage red flag fires
    assert (pushes == 1).sum() > (pushes >= 5).sum()
    commits = opps[opps["forecast_category"] == "Commit"]
    stale = (SNAPSHOT - commits["last_activity_date"]).dt.days > 14
    assert 1 <= stale.sum() < len(commits) / 2  # some, not most, Commits lack recent proof
    missing = ~commits[["economic_buyer", "champion", "decision_criteria", "paper_process"]].all(axis=1)
    assert 0 < missing.sum() < len(commits)


def test_targets_calibrated_and_current_quarter_in_play(tables, opps):
    targets = tables["targets"]
    assert targets.groupby("territory").size().eq(8).all()
    periods = sorted(targets["period"].unique())
    assert periods[0] == "2025-Q1" and periods[-1] == "2026-Q4"
    quarter = FiscalCalendar().labels(opps["close_date"])
    won = opps[opps["is_won"]].assign(period=quarter)
    booked = won.groupby(["territory", "period"])["amount"].sum()
    target = targets.set_index(["territory", "period"])["target_amount"]
    done = target[target.index.get_level_values("period") != "2026-Q4"]
    booked_done = booked.reindex(done.index, fill_value=0)
    attainment = booked_done.groupby("territory").sum() / done.groupby("territory").sum()
    assert 0.85 <= booked_done.sum() / done.sum() <= 1.05
    assert attainment.min() < 0.8 and attainment.max() > 1.2
    # Current quarter: open pipeline dated in-quarter against what is left of each target.
    open_q4 = opps[~opps["is_closed"] & (opps["close_date"] <= pd.Timestamp("2026-12-31"))]
    left = (target.xs("2026-Q4", level="period") - booked.xs("2026-Q4", level="period").reindex(
        target.xs("2026-Q4", level="period").index, fill_value=0)).clip(lower=1)
    coverage = open_q4.groupby("territory")["amount"].sum().reindex(left.index, fill_value=0) / left
    assert (coverage < 1.5).any() and coverage.between(2.5, 4.5).any()
    assert set(open_q4["forecast_category"]) == {"Pipeline", "Best Case", "Commit"}


def test_activity_goals_cover_each_owner_quarter(tables):
    goals = tables["activity_goals"]
    assert set(goals["type"]) == {"dial", "connect", "meeting_held"}
    assert set(goals["owner"]) == set(tables["activities"]["owner"])
    assert goals.groupby(["period", "type"]).size().min() >= 14


# -- determinism and files --------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files_and_another_seed_differs(parquet_files, tmp_path):
    first = _digests(parquet_files)
    again = _digests(demo.write(demo.generate(seed=7, snapshot=SNAPSHOT, settings=SETTINGS), tmp_path / "b"))
    assert first == again and len(first) == 7
    other = _digests(demo.write(demo.generate(seed=8, snapshot=SNAPSHOT, settings=SETTINGS), tmp_path / "c"))
    assert other["opportunities.parquet"] != first["opportunities.parquet"]
    assert other["activities.parquet"] != first["activities.parquet"]


def test_parquet_round_trips(tables, parquet_files):
    assert [p.name for p in parquet_files] == [f"{name}.parquet" for name in tables]
    for path, (name, df) in zip(parquet_files, tables.items(), strict=True):
        pd.testing.assert_frame_equal(pd.read_parquet(path), df, check_dtype=True, obj=name)


def test_csv_round_trips_with_iso_dates_and_lowercase_booleans(tables, tmp_path):
    # Every few rows of each table (formatting is per column, so a spread sample proves it quickly).
    tables = {name: df.iloc[:: max(1, len(df) // 4000)].reset_index(drop=True) for name, df in tables.items()}
    paths = demo.write(tables, tmp_path, formats=("csv",))
    assert [p.suffix for p in paths] == [".csv"] * 7
    head = (tmp_path / "opportunities.csv").read_text().splitlines()[1]
    assert ",true," in head or ",false," in head
    for name, df in tables.items():
        spec = {c.name: c.kind for c in TABLES[name].columns}
        back = pd.read_csv(tmp_path / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
        for col, kind in spec.items():
            text = back[col].dropna()
            if kind == "date":
                assert text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (name, col)
            elif kind == "datetime":
                assert text.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}").all(), (name, col)
            elif kind == "bool":
                assert text.isin(["true", "false"]).all(), (name, col)
            if kind in ("date", "datetime"):
                parsed = pd.to_datetime(back[col]).astype(df[col].dtype)
            elif kind == "bool":
                parsed = back[col].map({"true": True, "false": False}).astype(bool)
            elif kind == "number":
                parsed = pd.to_numeric(back[col]).astype(df[col].dtype)
            else:
                parsed = back[col].astype("str")
            pd.testing.assert_series_equal(parsed, df[col], check_names=False, obj=f"{name}.{col}")


def test_write_rejects_unknown_format(tables, tmp_path):
    with pytest.raises(ValueError, match="xlsx"):
        demo.write(tables, tmp_path, formats=("xlsx",))


def test_other_fiscal_calendar_and_shorter_window():
    settings = dataclasses.replace(SETTINGS, fiscal_start_month=2)
    tables = demo.generate(seed=3, snapshot="2026-05-20", quarters=3, settings=settings)
    assert sorted(tables["targets"]["period"].unique()) == ["2026-Q4", "2027-Q1", "2027-Q2"]
    for name, df in tables.items():
        pandera_schema(TABLES[name], settings.stage_names).validate(df, lazy=True)
    assert tables["opportunities"]["is_won"].any() and (~tables["opportunities"]["is_closed"]).any()
