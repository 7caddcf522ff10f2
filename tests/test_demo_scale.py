"""The scaled demo organisation (``quotabook demo --scale N``): sizes, unique keys, determinism, and that the
files load, validate and feed the metrics like any source.

One 21-territory organisation (a full district and five territories of a second) is written per module
with one worker, about two seconds; the two-worker determinism check is marked slow.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow.parquet as pq
import pytest

import quotabook
from quotabook.cli import main
from quotabook.demo.build import TABLE_ORDER
from quotabook.demo.scale import DISTRICT_SIZE, district_tables, rep_names, write_scaled
from quotabook.metrics import compute
from quotabook.schemas import TABLES

pytestmark = pytest.mark.xdist_group("demo_scale")  # module fixtures built once, on one worker

SEED = 3
TERRITORIES = 21  # one full district and the first five territories of a second


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    write_scaled(TERRITORIES, out, seed=SEED, workers=1)
    return out


@pytest.fixture(scope="module")
def tables(folder) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLE_ORDER}


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_every_table_is_written_with_the_canonical_columns_and_no_temporary_files(folder, tables):
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.parquet" for name in TABLE_ORDER)
    for name, df in tables.items():
        assert list(df.columns) == [c.name for c in TABLES[name].columns], name
        assert len(df) > 0, name


def test_row_counts_are_the_sum_of_the_districts(tables):
    parts = [district_tables(SEED, 0), district_tables(SEED, 1, keep=TERRITORIES - DISTRICT_SIZE)]
    for name in TABLE_ORDER:
        assert len(tables[name]) == sum(p[name].num_rows for p in parts), name
    assert len(tables["territories"]) == TERRITORIES
    assert len(tables["targets"]) == TERRITORIES * tables["targets"]["period"].nunique()
    # A partial district keeps a proportionate share of the deals (5 of 16 territories).
    share = parts[1]["opportunities"].num_rows / parts[0]["opportunities"].num_rows
    assert 0.1 < share < 0.7


def test_names_and_ids_are_unique_across_districts(tables):
    terr = tables["territories"]
    assert terr["territory"].is_unique and terr["owner"].is_unique
    assert terr["district"].nunique() == 2 and terr["region"].nunique() == 4 + 1
    for name, key in (("opportunities", "opportunity_id"), ("activities", "activity_id"), ("leads", "lead_id")):
        assert tables[name][key].is_unique, name
    # Accounts never cross districts: the district tag in the id matches the territory's district.
    o = tables["opportunities"]
    assert (o["account_id"].str.slice(4, 8) == o["territory"].str.slice(1, 5)).all()
    assert (o["opportunity_id"].str.slice(4, 8) == o["territory"].str.slice(1, 5)).all()


def test_every_row_points_at_a_known_territory_rep_or_deal(tables):
    terr, o = tables["territories"], tables["opportunities"]
    assert o["territory"].isin(terr["territory"]).all()
    ids = set(o["opportunity_id"])
    assert tables["opportunity_history"]["opportunity_id"].isin(ids).all()
    linked = tables["activities"]["opportunity_id"].dropna()
    assert linked.isin(ids).all()
    assert tables["leads"]["opportunity_id"].dropna().isin(ids).all()
    assert tables["targets"]["territory"].isin(terr["territory"]).all()
    # Reps are the territories' AEs plus the AEs who left a ramping seat (two per full district).
    reps = set(tables["activities"]["owner"]) | set(o["owner"])
    assert set(terr["owner"]) <= reps
    assert len(reps - set(terr["owner"])) <= 2 * 2


def test_rep_names_are_distinct_well_past_the_first_name_pool():
    names = rep_names(0, 6000)
    assert len(set(names)) == 6000
    assert names[0] == "Olivia Bennett" and names[2500].startswith("Olivia A. ")


def test_a_district_depends_only_on_the_seed_and_its_number(tables):
    again = district_tables(SEED, 0)["opportunities"].to_pandas()
    first = tables["opportunities"][lambda d: d["territory"].str.startswith("D0001-")].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, again, check_dtype=False)
    other = district_tables(SEED + 1, 0)["opportunities"].to_pandas()
    assert not other["amount"].equals(again["amount"])


def test_the_same_seed_writes_the_same_bytes(folder, tmp_path):
    write_scaled(TERRITORIES, tmp_path, seed=SEED, workers=1)
    assert _digests(tmp_path) == _digests(folder)


@pytest.mark.slow
def test_worker_processes_do_not_change_the_output(folder, tmp_path):
    write_scaled(TERRITORIES, tmp_path, seed=SEED, workers=2)
    assert _digests(tmp_path) == _digests(folder)


def test_big_tables_are_streamed_one_row_group_per_district(folder):
    for name in ("opportunities", "opportunity_history", "activities", "leads"):
        assert pq.ParquetFile(folder / f"{name}.parquet").metadata.num_row_groups == 2, name


def test_the_organisation_loads_validates_and_feeds_the_metrics(folder, tables):
    ds = quotabook.load(str(folder), strict=True)
    assert len(ds.opportunities) == len(tables["opportunities"])
    assert ds.rejects.empty
    by_region = compute(["closed_amount", "target_amount", "attainment", "win_rate"], ds, "2026-Q3", by="region")
    wide = by_region.pivot(index="region", columns="metric", values="value")
    assert len(wide) == 5
    assert (wide["target_amount"] > 0).all() and wide["win_rate"].between(0.05, 0.8).all()
    district = compute(["attainment"], ds, "2026-Q3", by="district").set_index("district")["value"]
    assert district.between(0.3, 2.0).all()


def test_cli_writes_a_scaled_organisation_and_validate_accepts_it(tmp_path, capsys):
    out = tmp_path / "org"
    assert main(["demo", "--scale", "3", "--out", str(out), "--seed", str(SEED), "--workers", "1"]) == 0
    assert "wrote 3 territories in 1 districts" in capsys.readouterr().out
    assert len(pd.read_parquet(out / "territories.parquet")) == 3
    assert main(["validate", str(out)]) == 0


@pytest.mark.parametrize("argv, message", [
    (["demo", "--scale", "4"], "--scale needs --out"),
    (["demo", "--scale", "0", "--out", "x"], "at least 1 territory"),
    (["demo", "--scale", "4", "--out", "x", "--csv"], "Parquet only"),
    (["demo", "--deals", "0", "--out", "x"], "at least 1 deal"),
    (["demo", "--deals", "500", "--scale", "3", "--out", "x"], "not both"),
])
def test_cli_rejects_a_scale_it_cannot_write(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_deals_target_sizes_the_organisation(tmp_path, capsys):
    """``--deals N`` writes the territories that hold about N deals: 600 deals is three territories."""
    from quotabook.demo.scale import territories_for_deals

    assert territories_for_deals(600) == 3 and territories_for_deals(1_000_000) == 5279
    assert main(["demo", "--deals", "600", "--out", str(tmp_path / "org"), "--seed", str(SEED), "--workers", "1"]) == 0
    assert "wrote 3 territories" in capsys.readouterr().out
