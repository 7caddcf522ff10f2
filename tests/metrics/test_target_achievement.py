"""Theme 1, target achievement: hand-worked number stacks, the coverage examples, the next-move
measures on inline frames, hypothesis invariants on random datasets and a DuckDB SQL cross-check.

The datasets are built with :mod:`quotabook.testing`; ``random_datasets`` is shared with test_won_lost.py.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook.dataset import Dataset
from quotabook.loading import load
from quotabook.metrics import MEASURES, Context, compute, load_catalog
from quotabook.metrics.measures.target_achievement import promotable_best_case_deals, weak_commit_deals
from quotabook.settings import load_settings
from quotabook.testing import build_dataset, deal, targets, wide

SETTINGS = load_settings()
STAGES = {s.name: s for s in SETTINGS.stages}
EVIDENCE_OK = {"economic_buyer": True, "champion": True, "decision_criteria": True, "paper_process": True}
STACK = ["closed_amount", "commit_amount", "best_case_amount", "pipeline_amount", "open_pipeline_amount",
         "target_amount"]


# -- random small datasets (hypothesis) -------------------------------------------------------------------
RANDOM_TERRITORIES = [  # territory -> region -> district, two districts
    {"territory": f"T{i}", "region": f"R{i % 3}", "district": f"D{(i % 3) // 2}", "owner": f"rep{i}"}
    for i in range(5)
]
STAGE_NAMES = list(STAGES)
OPEN_CATEGORIES = ["Pipeline", "Best Case", "Commit", "Omitted"]
FY = pd.Timestamp("2026-01-01")


@st.composite
def random_datasets(draw) -> Dataset:
    """1-5 territories in up to three regions and two districts; 1-30 deals closing in FY2026 or early
    FY2027 with whole-number amounts (so sums compare exactly); targets for the four FY2026 quarters, zero
    allowed; accounts and types so customer and expansion measures have data."""
    n_terr = draw(st.integers(1, 5))
    terr = RANDOM_TERRITORIES[:n_terr]
    deal_rows = draw(st.lists(st.tuples(
        st.integers(0, n_terr - 1),             # territory
        st.integers(0, 455),                    # close date, days after 2026-01-01
        st.integers(0, 200),                    # age at close, days
        st.sampled_from(STAGE_NAMES),
        st.sampled_from(OPEN_CATEGORIES),
        st.integers(0, 500).map(lambda k: k * 1000.0),
        st.integers(0, 5),                      # account
        st.sampled_from(["New Business", "Expansion", "Renewal"]),
    ), min_size=1, max_size=30))
    target_rows = draw(st.lists(st.integers(0, 3000).map(lambda k: k * 1000.0), min_size=4 * n_terr,
                                max_size=4 * n_terr))
    cols = ["t", "close", "age", "stage", "category", "amount", "account", "type"]
    d = pd.DataFrame(deal_rows, columns=cols)
    close = FY + pd.to_timedelta(d["close"], unit="D")
    won = d["stage"].map({n: s.is_won for n, s in STAGES.items()}).astype(bool)
    closed = d["stage"].map({n: s.is_closed for n, s in STAGES.items()}).astype(bool)
    geo = pd.DataFrame(terr)
    opps = pd.DataFrame({
        "opportunity_id": "O" + pd.Series(range(len(d)), dtype="int64").astype(str),
        "territory": d["t"].map(geo["territory"]), "owner": d["t"].map(geo["owner"]),
        "created_date": close - pd.to_timedelta(d["age"], unit="D"),
        "close_date": close, "stage": d["stage"],
        "forecast_category": np.where(won, "Closed", np.where(closed, "Omitted", d["category"])),
        "amount": d["amount"], "is_closed": closed, "is_won": won,
        "account_id": "A" + d["account"].astype(str), "type": d["type"],
    })
    tgt = pd.DataFrame({"period": np.tile([f"2026-Q{q}" for q in range(1, 5)], n_terr),
                        "territory": np.repeat(geo["territory"].to_numpy(), 4), "target_amount": target_rows})
    return build_dataset(opps, territories=terr, targets=tgt, as_of="2026-06-30")


PROPERTY = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- hand-worked: the tiny folder (tests/conftest.py) ------------------------------------------------------
def test_number_stack_on_the_tiny_folder(tiny_folder):
    """Q1 2026: T1 has B won (500) and A open in Commit (1200, pushed twice); T2 has D lost and C dated Q2.
    Targets 1000 / 2000."""
    ds = load(tiny_folder)
    names = [*STACK, "total_amount", "attainment", "gap", "coverage", "pipeline_coverage", "deal_count",
             "largest_deal_amount", "average_selling_price", "top_deal_share", "weak_commit_amount",
             "promotable_best_case_amount", "pull_in_amount", "pipeline_push_amount"]
    got = wide(names, ds, "2026-Q1")
    expected = pd.DataFrame({
        "closed_amount": [500.0, 0.0], "commit_amount": [1200.0, 0.0], "best_case_amount": [0.0, 0.0],
        "pipeline_amount": [0.0, 0.0], "open_pipeline_amount": [1200.0, 0.0], "target_amount": [1000.0, 2000.0],
        "total_amount": [1700.0, 0.0], "attainment": [0.5, 0.0], "gap": [500.0, 2000.0],
        "coverage": [1.7, 0.0], "pipeline_coverage": [2.4, 0.0], "deal_count": [1.0, 0.0],
        "largest_deal_amount": [1200.0, 0.0], "average_selling_price": [1200.0, np.nan],
        "top_deal_share": [1.0, np.nan],
        "weak_commit_amount": [1200.0, 0.0],      # A's close date was pushed (Feb 15 -> Mar 15 -> Mar 30)
        "promotable_best_case_amount": [0.0, 0.0], "pull_in_amount": [0.0, 0.0],  # C is in Discovery
        "pipeline_push_amount": [0.0, 3000.0],    # max(0, 1.5 x target - total)
    }, index=pd.Index(["T1", "T2"], name="territory"))
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    # C (900, Pipeline) is dated Q2: it is the whole of T2's Q2 open pipeline.
    assert wide(["open_pipeline_amount"], ds, "2026-Q2").loc["T2", "open_pipeline_amount"] == 900.0


def test_number_stack_as_of_a_past_date(tiny_folder):
    """As of Feb 15: A was Best Case (1000, Proposal, close Mar 15, last activity Jan 6), B still open in
    Pipeline (500), D already lost; the report date is Feb 15, so A's last activity is 40 days old."""
    ds = load(tiny_folder, as_of="2026-02-15")
    got = wide([*STACK, "coverage", "deal_count", "promotable_best_case_amount", "weak_commit_amount"], ds,
               "2026-Q1")
    t1 = got.loc["T1"]
    assert (t1["closed_amount"], t1["commit_amount"], t1["best_case_amount"], t1["pipeline_amount"]) == (
        0.0, 0.0, 1000.0, 500.0)
    assert t1["open_pipeline_amount"] == 1500.0 and t1["coverage"] == 1.0 and t1["deal_count"] == 1.0
    assert t1["promotable_best_case_amount"] == 0.0  # late stage, but no activity within 14 days
    deals = promotable_best_case_deals(Context(ds, ds.period("2026-Q1"), ("territory",)))
    assert deals.set_index("opportunity_id").loc["A", ["late_stage", "recent_activity"]].tolist() == [True, False]


# -- coverage examples -----------------------------------------------------------------------------------
def test_pipeline_coverage_examples_reproduced_exactly():
    """The worked examples: "$1.5M pipeline / $500K quota = 3x" and "$1.2M weighted / $400K quota = 3x"."""
    opps = [deal("P1", "T1", category="Pipeline", amount=1_000_000), deal("P2", "T1", category="Best Case",
                                                                          amount=300_000),
            deal("P3", "T1", category="Commit", amount=200_000),
            deal("W1", "T2", category="Commit", amount=800_000), deal("W2", "T2", category="Best Case",
                                                                      amount=400_000)]
    ds = build_dataset(opps, targets=targets("2026-Q3", T1=500_000, T2=400_000, T3=1), as_of="2026-07-15")
    got = compute(["pipeline_coverage", "coverage"], ds, "2026-Q3").set_index(["territory", "metric"])
    assert got.loc[("T1", "pipeline_coverage"), ["numerator", "denominator", "value"]].tolist() == [
        1_500_000.0, 500_000.0, 3.0]
    # the stack (Closed + Commit + Best Case) the example weights: 1.2M against a 400K quota
    assert got.loc[("T2", "coverage"), ["numerator", "denominator", "value"]].tolist() == [
        1_200_000.0, 400_000.0, 3.0]


@pytest.mark.skipif("weighted_forecast" not in MEASURES, reason="forecast measures not registered")
def test_weighted_pipeline_example():
    """The probability-weighted version: 2.4M at 50% is 1.2M weighted against a 400K quota, 3x."""
    ds = build_dataset([deal("W", "T2", stage="Negotiation", amount=2_400_000, probability=50.0)],
                       targets=targets("2026-Q3", T2=400_000), as_of="2026-07-15")
    got = wide(["weighted_forecast", "target_amount"], ds, "2026-Q3").loc["T2"]
    assert got["weighted_forecast"] / got["target_amount"] == 3.0


def test_coverage_thresholds_short_and_push():
    """Coverage under 1x is mathematically short; under 1.5x calls for a pipeline push of
    1.5 x target - total. Territories at 0.8x, 1.2x, 1.5x."""
    opps = [deal("A", "T1", category="Commit", amount=800), deal("B", "T2", category="Best Case", amount=1200),
            deal("C", "T3", stage="Closed Won", amount=900, close="2026-07-10"),
            deal("C2", "T3", category="Commit", amount=600)]
    ds = build_dataset(opps, targets=targets("2026-Q3", T1=1000, T2=1000, T3=1000), as_of="2026-07-15")
    got = wide(["coverage", "pipeline_push_amount"], ds, "2026-Q3")
    assert got["coverage"].tolist() == [0.8, 1.2, 1.5]
    short = got["coverage"] < 1
    assert short.tolist() == [True, False, False]
    assert got["pipeline_push_amount"].tolist() == [700.0, 300.0, 0.0]
    alert = load_catalog().get("coverage").alert
    assert alert.threshold == "pipeline_push_below" and alert.value(SETTINGS) == 1.5
    fires = [alert.fires(v, SETTINGS) for v in got["coverage"]]
    assert fires == (got["pipeline_push_amount"] > 0).tolist() == [True, True, False]
    # A region's push comes from its own stack: East is 2000 against 2000 -> 1000 more needed.
    assert wide(["pipeline_push_amount"], ds, "2026-Q3", by="region")["pipeline_push_amount"].tolist() == [
        1000.0, 0.0]


# -- the next moves on inline frames ---------------------------------------------------------------------
def test_weak_commit_each_reason():
    """Report date Aug 1, Q3. Activity: stored last_activity_date or linked activities (later of the two)."""
    opps = pd.DataFrame([
        deal("W0", amount=100, category="Commit", last_activity_date="2026-07-29", **EVIDENCE_OK),   # sound
        deal("W1", amount=200, category="Commit", last_activity_date="2026-07-12", **EVIDENCE_OK),   # 20 days
        deal("W2", amount=400, category="Commit", last_activity_date="2026-07-30", **EVIDENCE_OK),   # pushed
        deal("W3", amount=800, category="Commit", stage="Discovery", last_activity_date="2026-07-30",
             **EVIDENCE_OK),                                                                           # early
        deal("W4", amount=1600, category="Commit", last_activity_date="2026-07-30",
             **{**EVIDENCE_OK, "champion": False}),                                                    # no champion
        deal("W5", amount=3200, category="Commit", **EVIDENCE_OK),               # activity exactly 14 days ago
        deal("W6", amount=6400, category="Commit", stage="Closed Won", close="2026-07-20", **EVIDENCE_OK),
        deal("W7", amount=12800, category="Commit", close="2026-10-05", last_activity_date="2026-07-30",
             **EVIDENCE_OK),                                                                           # next Q
        deal("W8", amount=25600, category="Commit", last_activity_date="2026-07-30",
             **{**EVIDENCE_OK, "decision_criteria": None}),                                           # blank flag
    ])
    history = [
        {"opportunity_id": "W0", "changed_at": "2026-05-01", "close_date": "2026-09-30"},
        {"opportunity_id": "W0", "changed_at": "2026-06-01", "close_date": "2026-08-15"},   # pulled in: fine
        {"opportunity_id": "W2", "changed_at": "2026-05-01", "close_date": "2026-07-15"},
        {"opportunity_id": "W2", "changed_at": "2026-06-01", "close_date": "2026-08-15"},   # pushed
    ]
    activities = [
        {"activity_id": "a1", "owner": "Ann", "activity_date": "2026-07-18T09:00", "type": "email",
         "opportunity_id": "W5"},
        {"activity_id": "a2", "owner": "Ann", "activity_date": "2026-08-05T09:00", "type": "email",
         "opportunity_id": "W1"},                                                  # after the report date
    ]
    ds = build_dataset(opps, history=history, activities=activities, as_of="2026-08-01")
    got = wide(["commit_amount", "weak_commit_amount"], ds, "2026-Q3").loc["T1"]
    assert got["commit_amount"] == 100 + 200 + 400 + 800 + 1600 + 3200 + 25600
    assert got["weak_commit_amount"] == 200 + 400 + 800 + 1600 + 25600
    reasons = weak_commit_deals(Context(ds, ds.period("2026-Q3"), ("territory",))).set_index("opportunity_id")
    cols = ["no_recent_activity", "close_date_pushed", "early_stage", "missing_evidence", "weak"]
    assert reasons[cols].astype(int).to_dict("index") == {
        "W0": dict.fromkeys(cols, 0),
        "W1": {**dict.fromkeys(cols, 0), "no_recent_activity": 1, "weak": 1},
        "W2": {**dict.fromkeys(cols, 0), "close_date_pushed": 1, "weak": 1},
        "W3": {**dict.fromkeys(cols, 0), "early_stage": 1, "weak": 1},
        "W4": {**dict.fromkeys(cols, 0), "missing_evidence": 1, "weak": 1},
        "W5": dict.fromkeys(cols, 0),
        "W8": {**dict.fromkeys(cols, 0), "missing_evidence": 1, "weak": 1},
    }


def test_weak_commit_skips_tests_without_data():
    """No activities, no last_activity_date, no evidence flags: only the stage (and history) tests apply."""
    opps = [deal("A", amount=100, category="Commit"), deal("B", amount=200, category="Commit", stage="Solution")]
    ds = build_dataset(opps, as_of="2026-08-01")
    assert wide(["weak_commit_amount"], ds, "2026-Q3").loc["T1", "weak_commit_amount"] == 200.0


def test_promotable_best_case():
    """History (closed Q1, all 1000): SMB won 3 of 4, Enterprise 0 of 3, overall 3 of 7."""
    hist = [deal(f"H{i}", stage="Closed Won" if i < 3 else "Closed Lost", close="2026-02-10",
                 segment="SMB" if i < 4 else "Enterprise") for i in range(7)]
    best = [
        deal("P0", amount=1000, category="Best Case", segment="SMB", last_activity_date="2026-07-30",
             **EVIDENCE_OK),                                                                        # promote
        deal("P1", amount=900, category="Best Case", segment="SMB", stage="Discovery",
             last_activity_date="2026-07-30", **EVIDENCE_OK),                                       # early
        deal("P2", amount=800, category="Best Case", segment="SMB", last_activity_date="2026-07-01",
             **EVIDENCE_OK),                                                                        # idle
        deal("P3", amount=700, category="Best Case", segment="SMB", last_activity_date="2026-07-30",
             **{**EVIDENCE_OK, "paper_process": False}),                                            # no paper
        deal("P4", amount=600, category="Best Case", segment="Enterprise", last_activity_date="2026-07-30",
             **EVIDENCE_OK),                                                                        # weak rate
        deal("P5", amount=5000, category="Best Case", segment="SMB", last_activity_date="2026-07-30",
             **EVIDENCE_OK),                                      # larger than any closed deal: overall rate
    ]
    ds = build_dataset(hist + best, as_of="2026-08-01")
    got = wide(["best_case_amount", "promotable_best_case_amount"], ds, "2026-Q3").loc["T1"]
    assert got.tolist() == [9000.0, 6000.0]
    deals = promotable_best_case_deals(Context(ds, ds.period("2026-Q3"), ("territory",))).set_index(
        "opportunity_id")
    assert deals["promotable"].to_dict() == {"P0": True, "P1": False, "P2": False, "P3": False, "P4": False,
                                             "P5": True}
    assert deals["similar_win_rate"].to_dict() == pytest.approx(
        {"P0": 0.75, "P1": 0.75, "P2": 0.75, "P3": 0.75, "P4": 0.0, "P5": 3 / 7})


def test_pull_in_amount():
    opps = [deal("N0", stage="Proposal", close="2026-10-10", amount=100),
            deal("N1", close="2026-12-31", amount=200),
            deal("N2", stage="Discovery", close="2026-11-01", amount=400),      # too early a stage
            deal("N3", stage="Closed Won", close="2026-10-02", amount=800),     # closed
            deal("N4", close="2027-01-01", amount=1600),                        # two quarters out
            deal("N5", close="2026-09-30", amount=3200)]                        # already in this quarter
    ds = build_dataset(opps, as_of="2026-08-01")
    assert wide(["pull_in_amount"], ds, "2026-Q3").loc["T1", "pull_in_amount"] == 300.0


def test_expansion_candidates():
    """Q3 2026: recent means won from 2025-10-01 (Q4 2025) to 2026-09-30."""
    nb = {"type": "New Business"}
    opps = [deal("1", "T1", stage="Closed Won", close="2026-07-10", account_id="ACC1", **nb),
            deal("2", "T1", stage="Closed Won", close="2025-10-01", created="2025-09-01", account_id="ACC2", **nb),
            deal("3", "T1", stage="Closed Won", close="2025-09-30", created="2025-09-01", account_id="ACC3", **nb),
            deal("4", "T1", stage="Closed Won", close="2026-08-01", account_id="ACC4", **nb),
            deal("4x", "T1", close="2027-02-01", account_id="ACC4", type="Expansion"),     # open expansion
            deal("5", "T1", stage="Closed Won", close="2026-01-15", account_id="ACC5", **nb),
            deal("5b", "T2", stage="Closed Won", close="2026-07-20", account_id="ACC5", **nb),  # latest: T2
            deal("6", "T1", stage="Closed Lost", close="2026-07-01", account_id="ACC6", **nb),
            deal("7", "T3", stage="Closed Won", close="2026-10-15", account_id="ACC7", **nb),  # after Q3
            deal("8", "T3", stage="Closed Won", close="2026-02-01", account_id="ACC8", **nb),
            deal("8x", "T3", stage="Closed Won", close="2026-03-01", account_id="ACC8", type="Expansion"),
            deal("9", "T3", stage="Closed Won", close="2026-03-01", account_id="ACC9", **nb),
            deal("9n", "T3", close="2026-09-01", account_id="ACC9", **nb)]                   # open, not expansion
    ds = build_dataset(opps, as_of="2026-12-31")
    assert wide(["expansion_candidate_count"], ds, "2026-Q3")["expansion_candidate_count"].tolist() == [
        2.0, 1.0, 2.0]
    assert wide(["expansion_candidate_count"], ds, "2026-Q3", by="region")["expansion_candidate_count"].tolist() \
        == [3.0, 2.0]


def test_open_pipeline_leaves_out_omitted_and_works_without_categories():
    opps = [deal("A", category="Pipeline", amount=100), deal("B", category="Omitted", amount=200),
            deal("C", category="Commit", amount=400), deal("D", stage="Closed Won", amount=800)]
    ds = build_dataset(opps, as_of="2026-08-01")
    assert wide(["open_pipeline_amount"], ds, "2026-Q3").loc["T1", "open_pipeline_amount"] == 500.0
    blank = replace(ds, opportunities=ds.opportunities.assign(forecast_category=pd.NA))
    assert wide(["open_pipeline_amount"], blank, "2026-Q3").loc["T1", "open_pipeline_amount"] == 700.0


# -- not available ---------------------------------------------------------------------------------------------
def test_metrics_needing_absent_columns_are_listed_as_unavailable(tiny_folder):
    ds = load(tiny_folder)
    blank = replace(ds, opportunities=ds.opportunities.assign(forecast_category=pd.NA))
    names = ["closed_amount", "open_pipeline_amount", "commit_amount", "best_case_amount", "coverage",
             "deal_count", "weak_commit_amount", "pipeline_push_amount", "expansion_candidate_count"]
    got = compute(names, blank, "2026-Q1")
    assert set(got["metric"]) == {"closed_amount", "open_pipeline_amount"}
    unavailable = got.attrs["unavailable"]
    assert set(unavailable) == set(names) - {"closed_amount", "open_pipeline_amount"}
    assert unavailable["commit_amount"] == "commit_amount not available: needs column opportunities.forecast_category"
    assert unavailable["expansion_candidate_count"].endswith("not available: needs column opportunities.account_id")
    no_targets = replace(ds, present=ds.present - {"targets"})
    assert compute(["attainment"], no_targets, "2026-Q1").attrs["unavailable"] == {
        "attainment": "attainment not available: needs table targets"}


# -- properties on random datasets --------------------------------------------------------------------------
ADDITIVE = [*STACK, "deal_count", "weak_commit_amount", "promotable_best_case_amount", "pull_in_amount",
            "expansion_candidate_count"]


@PROPERTY
@given(random_datasets(), st.sampled_from(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]))
def test_roll_ups_and_identities_on_random_datasets(ds, period):
    names = [*ADDITIVE, "total_amount", "largest_deal_amount", "attainment", "commit_share", "top_deal_share"]
    terr = wide(names, ds, period)
    region = wide(names, ds, period, by="region")
    district = wide(names, ds, period, by="district")
    geo = ds.territories.set_index("territory")
    # territory -> region -> district: amounts and counts add up exactly; the largest deal is the max
    pd.testing.assert_frame_equal(terr[ADDITIVE].groupby(geo["region"]).sum(), region[ADDITIVE], check_names=False)
    region_district = ds.territories.drop_duplicates("region").set_index("region")["district"]
    pd.testing.assert_frame_equal(region[ADDITIVE].groupby(region_district).sum(), district[ADDITIVE],
                                  check_names=False)
    pd.testing.assert_series_equal(terr["largest_deal_amount"].groupby(geo["region"]).max(),
                                   region["largest_deal_amount"], check_names=False)
    for frame in (terr, region, district):
        assert (frame["total_amount"] == frame["closed_amount"] + frame["commit_amount"]
                + frame["best_case_amount"]).all()
        # shares in [0, 1] where defined; attainment is at most 1 exactly when closed <= target
        for share in ("commit_share", "top_deal_share"):
            assert frame[share].dropna().between(0, 1).all()
        attainment = frame["attainment"].dropna()
        assert (attainment >= 0).all()
        assert ((attainment <= 1) == (frame.loc[attainment.index, "closed_amount"]
                                      <= frame.loc[attainment.index, "target_amount"])).all()
        assert (frame["weak_commit_amount"] <= frame["commit_amount"]).all()
        assert (frame["promotable_best_case_amount"] <= frame["best_case_amount"]).all()


@PROPERTY
@given(random_datasets())
def test_nothing_double_counted_across_quarters(ds):
    o = ds.opportunities
    fy = o["close_date"].between("2026-01-01", "2026-12-31")
    quarters = pd.concat([wide(["closed_amount", "target_amount"], ds, f"2026-Q{q}", by="district")
                          for q in range(1, 5)])
    assert quarters["closed_amount"].sum() == o.loc[fy & o["is_won"].astype(bool), "amount"].sum()
    assert quarters["target_amount"].sum() == ds.targets["target_amount"].sum()


# -- independent DuckDB SQL ---------------------------------------------------------------------------------
SQL = """
WITH o AS (SELECT * FROM opps WHERE close_date >= $start AND close_date < $end),
stack AS (
    SELECT t.territory,
           COALESCE(SUM(o.amount) FILTER (WHERE o.is_won), 0) AS closed_amount,
           COALESCE(SUM(o.amount) FILTER (WHERE NOT o.is_closed AND o.forecast_category = 'Commit'), 0)
               AS commit_amount,
           COALESCE(SUM(o.amount) FILTER (WHERE NOT o.is_closed AND o.forecast_category = 'Best Case'), 0)
               AS best_case_amount,
           COUNT(o.opportunity_id) FILTER (WHERE o.is_won) AS won,
           COUNT(o.opportunity_id) FILTER (WHERE o.is_closed AND NOT o.is_won) AS lost
    FROM terr t LEFT JOIN o ON o.territory = t.territory
    GROUP BY t.territory),
goal AS (SELECT territory, SUM(target_amount) AS target_amount FROM tgt WHERE period = $label GROUP BY territory)
SELECT s.territory, s.closed_amount, s.commit_amount, s.best_case_amount,
       COALESCE(g.target_amount, 0) AS target_amount,
       s.closed_amount / NULLIF(COALESCE(g.target_amount, 0), 0) AS attainment,
       s.won / NULLIF(s.won + s.lost, 0) AS win_rate
FROM stack s LEFT JOIN goal g USING (territory)
ORDER BY s.territory
"""


def duckdb_stack(ds: Dataset, period: str) -> pd.DataFrame:
    """Closed, commit, best case, target, attainment and win rate per territory, in SQL."""
    p = ds.period(period)
    o = ds.opportunities
    con = duckdb.connect()
    con.register("opps", pd.DataFrame({
        "opportunity_id": o["opportunity_id"].astype(object), "territory": o["territory"].astype(object),
        "forecast_category": o["forecast_category"].astype(object), "close_date": o["close_date"],
        "amount": o["amount"].astype("float64"), "is_closed": o["is_closed"].astype(bool),
        "is_won": o["is_won"].astype(bool)}))
    con.register("terr", pd.DataFrame({"territory": ds.territories["territory"].astype(object)}))
    t = ds.targets
    con.register("tgt", pd.DataFrame({"period": t["period"].astype(object), "territory": t["territory"].astype(object),
                                      "target_amount": t["target_amount"].astype("float64")}))
    out = con.execute(SQL, {"start": p.start.to_pydatetime(), "end": p.end.to_pydatetime(), "label": p.label}).df()
    return out.set_index("territory").astype("float64")


def assert_matches_duckdb(ds: Dataset, period: str) -> None:
    names = ["closed_amount", "commit_amount", "best_case_amount", "target_amount", "attainment", "win_rate"]
    ours = wide(names, ds, period)
    sql = duckdb_stack(ds, period)
    pd.testing.assert_frame_equal(ours, sql[names], check_names=False, check_index_type=False, rtol=1e-12)


def test_duckdb_agrees_on_the_tiny_folder(tiny_folder):
    ds = load(tiny_folder)
    for period in ("2026-Q1", "2026-Q2"):
        assert_matches_duckdb(ds, period)


@PROPERTY
@given(random_datasets(), st.sampled_from(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]))
def test_duckdb_agrees_on_random_datasets(ds, period):
    assert_matches_duckdb(ds, period)
