"""quotabook.testing.crm_export: a realistic export that loads cleanly and holds what real exports hold."""

from __future__ import annotations

import pandas as pd
import pytest

from quotabook.loading import load
from quotabook.settings import load_settings
from quotabook.testing import OPTIONAL_TABLES, STAGES, crm_export


@pytest.fixture(scope="module")
def export():
    return crm_export()


def test_the_export_loads_without_a_single_reject_through_its_own_stage_map(export, tmp_path):
    folder = export.write(tmp_path / "crm")
    settings = load_settings(folder / "workbook.yaml")
    assert settings.stage_names == [s["name"] for s in STAGES]
    ds = load(folder, settings=settings)
    assert ds.report.ok, ds.report.summary()
    assert {name: len(getattr(ds, name)) for name in export.tables} == {
        name: len(frame) for name, frame in export.tables.items()}
    assert ds.regions == ["Benelux", "Iberia", "Nordics"] == export.regions


def test_it_holds_what_real_exports_hold(export):
    deals = export.tables["opportunities"]
    lost = deals["is_closed"] & ~deals["is_won"]
    assert set(deals["stage"]) <= {s["name"] for s in STAGES} and "Closed Won" not in set(deals["stage"])
    assert deals["created_date"].min() >= pd.Timestamp("2014-01-01")
    assert deals["created_date"].max() <= export.exported_on
    assert 0.3 < (deals.loc[lost, "amount"] == 0).mean() < 0.7       # about half the losses zeroed
    assert (~deals["is_closed"]).sum() > 20                           # an open pipeline
    assert deals["lead_source"].isna().any() and deals.loc[lost, "loss_reason"].isna().any()
    leads = export.tables["leads"]
    assert leads["owner"].isna().any() and leads["source"].isna().any()
    assert leads["opportunity_id"].dropna().isin(deals["opportunity_id"]).all()
    history = export.tables["opportunity_history"]
    assert (history.groupby("opportunity_id")["changed_at"].diff().dropna() >= pd.Timedelta(0)).all()
    assert export.tables["activities"]["opportunity_id"].isna().any()  # dials not linked to a deal
    assert {"2014-Q1", "2016-Q4"} <= set(export.tables["targets"]["period"])


def test_the_same_state_gives_the_same_export_and_lost_at_zero_changes_only_amounts():
    one, two = crm_export(random_state=3), crm_export(random_state=3)
    for name in one.tables:
        pd.testing.assert_frame_equal(one.tables[name], two.tables[name])
    zeroed = crm_export(random_state=3, lost_at_zero=1.0).tables["opportunities"]
    lost = zeroed["is_closed"] & ~zeroed["is_won"]
    assert (zeroed.loc[lost, "amount"] == 0).all()
    pd.testing.assert_frame_equal(zeroed.drop(columns="amount"), one.tables["opportunities"].drop(columns="amount"))


def test_tables_and_columns_can_be_left_out_and_unknown_names_are_refused(export):
    bare = export.without(*OPTIONAL_TABLES).without_columns("opportunities", "segment", "probability")
    assert set(bare.tables) == {"opportunities", "territories"}
    assert {"segment", "probability"}.isdisjoint(bare.tables["opportunities"].columns)
    assert set(export.tables) == {"opportunities", "territories", *OPTIONAL_TABLES}  # the original is unchanged
    with pytest.raises(KeyError, match="no table"):
        export.without("quotas")
    with pytest.raises(KeyError, match="has no column"):
        export.without_columns("leads", "amount")
