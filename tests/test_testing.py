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


# -- the inline builders ----------------------------------------------------------------------------------
def test_build_dataset_takes_rows_frames_or_csv_and_leaves_the_rest_absent():
    from quotabook.testing import TERRITORIES, build_dataset, deal, frame, targets

    ds = build_dataset([deal("A", stage="Closed Won", amount=500), deal("B", "T3")],
                       targets=targets("2026-Q3", T1=1000, T3=0),
                       activities="activity_id,owner,activity_date,type\n1,Ann,2026-07-01T09:00:00,dial\n",
                       as_of="2026-08-01")
    assert ds.present == frozenset({"opportunities", "territories", "targets", "activities"})
    assert ds.territories["territory"].tolist() == [t["territory"] for t in TERRITORIES]
    assert ds.opportunities[["opportunity_id", "owner", "is_closed", "is_won", "forecast_category"]].to_dict(
        "records") == [{"opportunity_id": "A", "owner": "Ann", "is_closed": True, "is_won": True,
                        "forecast_category": "Closed"},
                       {"opportunity_id": "B", "owner": "Cy", "is_closed": False, "is_won": False,
                        "forecast_category": "Pipeline"}]
    assert ds.targets["target_amount"].tolist() == [1000.0, 0.0]
    assert ds.activities["activity_date"].tolist() == [pd.Timestamp("2026-07-01 09:00")]
    assert ds.leads.empty and "leads" not in ds.present

    csv = frame("opportunity_id,amount,is_won,close_date\nX,12.5,true,2026-01-31\nY,,false,\n", "opportunities")
    assert csv["amount"].tolist()[0] == 12.5 and pd.isna(csv["amount"].tolist()[1])
    assert csv["is_won"].tolist() == [True, False]
    assert str(csv["close_date"].dtype).startswith("datetime64")


def test_build_dataset_refuses_a_table_it_does_not_know_and_deal_a_stage_outside_the_map():
    from quotabook.testing import build_dataset, deal

    with pytest.raises(TypeError, match="no canonical table oportunities"):
        build_dataset(oportunities=[deal("A")])
    with pytest.raises(ValueError, match="stage 'Signed' is not in the stage map"):
        deal("A", stage="Signed")


def test_a_dataset_without_territories_says_so():
    from quotabook.testing import build_dataset, deal

    ds = build_dataset([deal("A")], territories=None)
    assert "territories" not in ds.present and ds.territories.empty
