"""Leads never vanish (issue 14): leads no owner places count at district level and in an "Unassigned" group;
Lead→Opportunity and Lead→Won conversion come from converted_date / opportunity_id (cohort by lead created
date) without SAL or SQL dates; ``by="lead_source"`` groups leads and deals alike, blanks as "(blank)".

The tables below are hand-built (not the demo) and the answers worked out in the comments. A random dataset
is cross-checked against an independent DuckDB SQL computation of lead conversion by source.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from quotabook import load
from quotabook.dataset import UNASSIGNED_LEADS, unassigned_lead_count
from quotabook.metrics import compute, compute_wide, load_catalog
from quotabook.metrics.compute import BLANK, UNASSIGNED
from quotabook.testing import build_dataset, frame
from sources.sqltools import write_duckdb
from worked.lead_conversion import LEADS, OPPORTUNITIES, TERRITORIES

T = pd.Timestamp


LEAD_METRICS = ["lead_count", "converted_lead_count", "won_lead_count", "lead_to_opportunity", "lead_to_won"]


@pytest.fixture(scope="module")
def ds():
    return build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, leads=LEADS)


def rows(wide: pd.DataFrame) -> dict:
    """{group: [leads, converted, won]} of a compute_wide of LEAD_METRICS."""
    return {k: v[:3] for k, v in wide[LEAD_METRICS].T.to_dict("list").items()}


def test_district_counts_every_lead_and_converts_without_sal_or_sql(ds):
    wide = compute_wide(LEAD_METRICS, ds, "2026-Q1", by="district")
    assert wide.attrs["unavailable"] == {}
    assert wide.loc["D"].tolist() == pytest.approx([8, 5, 3, 5 / 8, 3 / 8])
    # Not a false 100%: the unconverted ownerless and queue leads are in the denominator.
    assert wide.loc["D", "lead_to_opportunity"] < 1
    # The finer steps still say what they need; the coarse one does not need it.
    long = compute(["lead_to_sal", "sql_to_opportunity", "lead_to_opportunity"], ds, "2026-Q1", by="district")
    assert set(long["metric"]) == {"lead_to_opportunity"}
    assert long.attrs["unavailable"]["lead_to_sal"] == "lead_to_sal not available: needs column leads.sal_date"


def test_unassigned_group_at_every_geographic_level(ds):
    by_t = compute_wide(LEAD_METRICS, ds, "2026-Q1", by="territory")
    assert by_t.index.tolist() == ["T1", "T2", UNASSIGNED]  # the territories first, then the unplaced
    assert rows(by_t) == {"T1": [3, 2, 1], "T2": [2, 2, 1], UNASSIGNED: [3, 1, 1]}
    assert by_t.loc[UNASSIGNED, "lead_to_opportunity"] == pytest.approx(1 / 3)
    by_r = compute_wide(LEAD_METRICS, ds, "2026-Q1", by="region")
    assert rows(by_r) == {"East": [3, 2, 1], "West": [2, 2, 1], UNASSIGNED: [3, 1, 1]}
    # By rep: a placed owner keeps their name (Zed, the queue); only leads with no owner at all are Unassigned.
    by_o = compute_wide(["lead_count"], ds, "2026-Q1", by="owner")["lead_count"]
    assert by_o.to_dict() == {"Ann": 3, "Bob": 1, "Marketing Queue": 1, UNASSIGNED: 2, "Zed": 1}
    # Two levels at once: the unplaced leads are (Unassigned, Unassigned).
    both = compute_wide(["lead_count"], ds, "2026-Q1", by=["region", "territory"])["lead_count"]
    assert both.to_dict() == {("East", "T1"): 3, ("West", "T2"): 2, (UNASSIGNED, UNASSIGNED): 3}


def test_no_unassigned_group_when_every_lead_is_placed(ds):
    placed = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES,
                           leads=frame(LEADS, "leads").query("lead_id in ['L1', 'L4']"))
    assert compute_wide(["lead_count"], placed, "2026-Q1").index.tolist() == ["T1", "T2"]


def test_deal_measures_keep_their_groups(ds):
    """Only leads opt in to the Unassigned group: deal measures list the territories as before."""
    assert compute_wide(["opportunity_count"], ds, "2026-Q1")["opportunity_count"].to_dict() == {"T1": 3, "T2": 2}


@pytest.mark.parametrize("by", ["district", "region", "territory", "owner", "lead_source", "source", "segment",
                                ("region", "territory"), ("lead_source", "region")])
@pytest.mark.parametrize("period", ["2019-Q1", "2026-Q1", "2026-Q2"])
def test_rows_read_equal_rows_counted_across_groups(ds, by, period):
    leads = ds.leads[ds.period(period).contains(ds.leads["created_date"])]
    wide = compute_wide(["lead_count", "converted_lead_count"], ds, period, by=by)
    assert wide["lead_count"].sum() == len(leads)
    converted = leads["converted_date"].notna() | leads["opportunity_id"].notna()
    assert wide["converted_lead_count"].sum() == converted.sum()


def test_leads_from_years_ago(ds):
    old = compute_wide(LEAD_METRICS, ds, "2019-Q1", by="territory")
    # L9 (Ann, converted to F, won); L10 has no owner.
    assert rows(old) == {"T1": [1, 1, 1], "T2": [0, 0, 0], UNASSIGNED: [1, 0, 0]}
    assert np.isnan(old.loc["T2", "lead_to_won"])  # no leads: no rate, not 0%


def test_lead_source_groups_leads_and_deals_with_one_name(ds):
    wide = compute_wide(["lead_count", "converted_lead_count", "won_lead_count", "lead_to_won", "opportunity_count"],
                        ds, "2026-Q1", by="lead_source")
    assert wide.index.name == "lead_source"
    # Leads: Web L1, L3, L5; (blank) L2, L6; Partner L4, L8; Event L7. Deals created in Q1: Web A, D;
    # (blank) B; Partner C, E.
    # Event has leads and no deal, (blank) both: every source is a group of every metric (0, not missing).
    expected = {"Event": [1, 0, 0, 0, 0], "Partner": [2, 2, 1, 0.5, 2], "Web": [3, 2, 2, 2 / 3, 2],
                BLANK: [2, 1, 0, 0, 1], "Referral": [0, 0, 0, np.nan, 0]}  # Referral: L10, from 2019 only
    got = wide.T.to_dict("list")
    assert set(got) == set(expected)
    for source, values in expected.items():
        assert got[source] == pytest.approx(values, nan_ok=True), source
    # The older spelling still works, under its own column name, with the same numbers.
    old = compute_wide(["lead_count", "opportunity_count"], ds, "2026-Q1", by="source")
    assert old.index.name == "source"
    assert old.to_dict() == wide[["lead_count", "opportunity_count"]].to_dict()
    # A whitespace-only deal source is blank too (G, created in Q2).
    q2 = compute_wide(["opportunity_count"], ds, "2026-Q2", by="lead_source")["opportunity_count"]
    assert q2[BLANK] == 1


def test_lead_source_is_unavailable_for_tables_without_it():
    with_calls = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES, leads=LEADS,
                               activities="activity_id,owner,activity_date,type\nX1,Ann,2026-01-10,call\n")
    long = compute(["activity_count", "lead_count"], with_calls, "2026-Q1", by="lead_source")
    assert long.attrs["unavailable"] == {
        "activity_count": "grouping by lead_source not available: needs column lead_source on this table"}
    assert long["value"].sum() == 8


def test_lead_to_won_needs_an_opportunity_link(ds):
    no_link = build_dataset(territories=TERRITORIES, opportunities=OPPORTUNITIES,
                            leads=frame(LEADS, "leads").drop(columns="opportunity_id"))
    long = compute(["lead_to_opportunity", "lead_to_won"], no_link, "2026-Q1", by="district")
    assert long.attrs["unavailable"] == {"lead_to_won": "lead_to_won not available: needs column leads.opportunity_id"}
    # converted_date alone still converts: L1, L4, L5, L8.
    assert long.set_index("metric").loc["lead_to_opportunity", ["numerator", "denominator"]].tolist() == [4, 8]


def test_catalog_declares_the_conversions_once_as_ratios():
    catalog = load_catalog()
    for name, numerator in (("lead_to_opportunity", "converted_lead_count"), ("lead_to_won", "won_lead_count")):
        metric = catalog.get(name)
        assert (metric.type, metric.numerator, metric.denominator) == ("ratio", numerator, "lead_count")
        assert "created date" in metric.purpose  # the cohort rule is part of the definition
    assert catalog.get("lead_conversion").name == "lead_to_opportunity"


# -- region slices --------------------------------------------------------------------------------------------
def test_region_slices_hold_placed_leads_and_know_the_unassigned(ds):
    east, west = ds.for_region("East"), ds.for_region("West")
    assert sorted(east.leads["lead_id"]) == ["L1", "L2", "L3", "L9"]
    assert sorted(west.leads["lead_id"]) == ["L11", "L4", "L8"]  # Zed's L8 goes with his deal's territory
    # Unplaced district-wide: L5, L6, L7 (2026-Q1) and L10 (2019), remembered per created day.
    days = [(pd.Timestamp(0) + pd.Timedelta(days=d), n) for d, n in east.leads.attrs[UNASSIGNED_LEADS]]
    assert days == [(T("2019-03-01"), 1), (T("2026-01-20"), 1), (T("2026-03-01"), 1), (T("2026-03-10"), 1)]
    assert unassigned_lead_count(east.leads, "2026-01-01", "2026-04-01") == 3
    assert unassigned_lead_count(west.leads, "2019-01-01", "2026-03-10") == 3  # the end is left out
    assert unassigned_lead_count(ds.leads, "2019-01-01", "2027-01-01") is None  # the district keeps none aside
    # A slice's leads still concatenate (pandas compares the frames' attrs).
    assert len(pd.concat([east.leads, west.leads])) == 7
    e = compute_wide(LEAD_METRICS, east, "2026-Q1", by="region")
    w = compute_wide(LEAD_METRICS, west, "2026-Q1", by="region")
    # The regions and the Unassigned group are the district's "by region" rows.
    assert rows(e) == {"East": [3, 2, 1]} and rows(w) == {"West": [2, 2, 1]}
    district = compute_wide(LEAD_METRICS, ds, "2026-Q1", by="region")
    assert e.loc["East", "lead_count"] + w.loc["West", "lead_count"] + district.loc[UNASSIGNED, "lead_count"] == 8


@pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")  # deals without history, as of a date
def test_time_travel_cuts_links_made_later_and_keeps_the_unassigned_dates(ds):
    past = ds.as_of("2026-02-05")
    links = past.leads.set_index("lead_id")["opportunity_id"]
    # L2 is linked to B (no converted_date) but B was created on 10 Feb: not converted yet on 5 Feb.
    assert pd.isna(links["L2"])
    assert links["L1"] == "A" and links["L5"] == "D" and links["L8"] == "E"
    east = ds.for_region("East").as_of("2026-02-05")
    assert unassigned_lead_count(east.leads, "2019-01-01", "2027-01-01") == 2  # L10 and L5; L6, L7 came later


def test_one_region_dataset():
    one = build_dataset(territories="territory,region,district,owner\nT1,East,D,Ann\n",
                        opportunities=OPPORTUNITIES.replace(",T2,", ",T1,"), leads=LEADS)
    by_r = compute_wide(LEAD_METRICS, one, "2026-Q1", by="region")
    # Bob and Zed now own deals in T1 only: their leads are placed there; L5, L6, L7 remain unplaced.
    assert rows(by_r) == {"East": [5, 4, 2], UNASSIGNED: [3, 1, 1]}
    assert compute_wide(["lead_count"], one, "2026-Q1", by="district").loc["D", "lead_count"] == 8
    sliced = one.for_region("East")
    assert compute_wide(["lead_count"], sliced, "2026-Q1", by="region")["lead_count"].to_dict() == {"East": 5}


def test_several_districts_keep_the_unplaced_in_an_unassigned_district():
    two = build_dataset(territories=TERRITORIES.replace("T2,West,D,", "T2,West,D2,"),
                        opportunities=OPPORTUNITIES, leads=LEADS)
    by_d = compute_wide(["lead_count"], two, "2026-Q1", by="district")["lead_count"]
    assert by_d.to_dict() == {"D": 3, "D2": 2, UNASSIGNED: 3}


# -- DuckDB cross-check ----------------------------------------------------------------------------------------
def _random_leads(seed: int, n_leads: int = 1500, n_deals: int = 300):
    rng = np.random.default_rng(seed)
    territories = pd.DataFrame({"territory": [f"T{i}" for i in range(1, 7)], "region": ["N", "N", "S", "S", "E", "E"],
                                "district": "D", "owner": [f"rep{i}" for i in range(1, 7)]})
    deal_created = T("2024-07-01") + pd.to_timedelta(rng.integers(0, 700, n_deals), unit="D")
    closed = rng.random(n_deals) < 0.7
    won = closed & (rng.random(n_deals) < 0.4)
    opps = pd.DataFrame({
        "opportunity_id": [f"O{i}" for i in range(n_deals)], "owner": rng.choice(territories["owner"], n_deals),
        "territory": rng.choice(territories["territory"], n_deals), "created_date": deal_created,
        "close_date": deal_created + pd.to_timedelta(rng.integers(1, 120, n_deals), unit="D"),
        "stage": np.where(won, "Closed Won", np.where(closed, "Closed Lost", "Discovery")), "amount": 100.0,
        "is_closed": pd.array(closed, dtype="boolean"), "is_won": pd.array(won, dtype="boolean"),
    })
    created = T("2024-07-01") + pd.to_timedelta(rng.integers(0, 730, n_leads), unit="D")
    linked = rng.random(n_leads) < 0.3
    deal = np.where(linked, rng.choice(opps["opportunity_id"], n_leads), None)
    dated = linked & (rng.random(n_leads) < 0.6)  # some exports link a deal without a converted_date
    owners = np.array([*territories["owner"], "queue", None], dtype=object)
    sources = np.array(["Web", "Event", "Partner", "", " ", None], dtype=object)
    leads = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n_leads)], "created_date": created,
        "source": pd.array(rng.choice(sources, n_leads), dtype="str"),
        "owner": pd.array(rng.choice(owners, n_leads), dtype="str"),
        "converted_date": pd.Series(created + pd.Timedelta(days=5)).where(dated),
        "opportunity_id": pd.array(deal, dtype="str"),
    })
    return territories, opps, leads


@pytest.mark.parametrize("period", ["2025-Q1", "2025-Q3", "2026-Q2"])
def test_lead_conversion_by_source_matches_duckdb_sql(period):
    territories, opps, leads = _random_leads(seed=int(period[-1]))
    ds = build_dataset(territories=territories, opportunities=opps, leads=leads)
    p = ds.period(period)
    ours = compute(["lead_to_opportunity", "lead_to_won"], ds, period, by="lead_source")
    sql = duckdb.sql(f"""
        SELECT COALESCE(NULLIF(TRIM(l.source), ''), '{BLANK}') AS lead_source,
               COUNT(*)::DOUBLE AS leads,
               SUM(CASE WHEN l.converted_date IS NOT NULL OR l.opportunity_id IS NOT NULL THEN 1 ELSE 0 END)::DOUBLE
                 AS converted,
               SUM(CASE WHEN o.is_won THEN 1 ELSE 0 END)::DOUBLE AS won
        FROM leads l LEFT JOIN opps o ON o.opportunity_id = l.opportunity_id
        WHERE l.created_date >= TIMESTAMP '{p.start}' AND l.created_date < TIMESTAMP '{p.end}'
        GROUP BY 1 ORDER BY 1
    """).df().set_index("lead_source")
    for metric, column in (("lead_to_opportunity", "converted"), ("lead_to_won", "won")):
        mine = ours[ours["metric"] == metric].set_index("lead_source")
        mine = mine[mine["denominator"] > 0]  # deal-only sources list no leads
        assert sorted(mine.index) == sorted(sql.index)
        mine = mine.loc[sql.index]
        np.testing.assert_allclose(mine["denominator"], sql["leads"])
        np.testing.assert_allclose(mine["numerator"], sql[column])
        np.testing.assert_allclose(mine["value"].to_numpy(dtype=float), (sql[column] / sql["leads"]).to_numpy())
    # And every lead of the period is counted once across the sources.
    assert sql["leads"].sum() == p.contains(leads["created_date"]).sum()


def test_a_ratio_has_no_row_for_unassigned_leads_where_its_denominator_has_none(ds):
    """Leads per rep divides by rep-months, which the Unassigned leads do not have: no row for them (instead of
    an empty "not available" rep), while the lead counts by rep still list them and the district includes them."""
    long = compute(["leads_per_rep", "lead_count", "lead_to_opportunity"], ds, "2026-Q1", by="owner")
    owners = long.groupby("metric")["owner"].apply(set)
    assert UNASSIGNED in owners["lead_count"] and UNASSIGNED in owners["lead_to_opportunity"]
    assert UNASSIGNED not in owners["leads_per_rep"]
    district = compute(["leads_per_rep"], ds, "2026-Q1", by="district").iloc[0]
    assert district["numerator"] == 8  # every lead of the cohort


@pytest.mark.parametrize("by", ["district", "region", "territory", "owner", "lead_source", ("region", "owner")])
def test_no_lead_lost_on_random_data(by):
    """Random owners (reps, a queue, none) and sources (blank, whitespace, missing): whatever the grouping,
    the groups' leads, conversions and wins add up to the rows of the period."""
    territories, opps, leads = _random_leads(seed=7)
    ds = build_dataset(territories=territories, opportunities=opps, leads=leads)
    p = ds.period("2025-Q4")
    cohort = leads[p.contains(leads["created_date"])]
    won = cohort["opportunity_id"].isin(opps.loc[opps["is_won"].astype(bool), "opportunity_id"])
    wide = compute_wide(["lead_count", "converted_lead_count", "won_lead_count"], ds, p, by=by)
    assert wide.sum().tolist() == [len(cohort), (cohort["converted_date"].notna() | cohort["opportunity_id"].notna())
                                   .sum(), won.sum()]
    # The regions' slices and the district's Unassigned group hold every lead once.
    sliced = sum(compute_wide(["lead_count"], ds.for_region(r), p, by="region")["lead_count"].sum() for r in ds.regions)
    assert sliced + compute_wide(["lead_count"], ds, p, by="region").loc[UNASSIGNED, "lead_count"] == len(cohort)


@pytest.mark.parametrize("region", ["East", "West"])
def test_a_database_region_holds_the_same_leads_as_the_slice(tmp_path, region):
    """The region filter pushed into SQL places leads by the rule of Dataset.for_region: Ann owns T3 (West) and
    T1 (East), the first by name places her leads in East; Zed owns no territory and his latest deal (E, T2)
    places his in West; the queue's and the ownerless leads are in no region."""
    territories = frame(TERRITORIES + "T3,West,D,Ann,SMB\n", "territories")
    opps = frame(OPPORTUNITIES, "opportunities")
    opps = pd.concat([opps, opps.iloc[[4]].assign(opportunity_id="E0", territory="T1",
                                                  created_date=T("2025-06-01"))])  # Zed's older deal, East
    source = write_duckdb(tmp_path / "leads.db", {"territories": territories, "opportunities": opps,
                                                  "leads": frame(LEADS, "leads")})
    pushed = load(source, region=region)
    sliced = load(source).for_region(region)
    assert sorted(pushed.leads["lead_id"]) == sorted(sliced.leads["lead_id"])
    assert sorted(sliced.leads["lead_id"]) == (["L1", "L2", "L3", "L9"] if region == "East" else ["L11", "L4", "L8"])
