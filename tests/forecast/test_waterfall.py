"""Pipeline inflow / outflow: a hand-built quarter with one deal per step, and a property test that the steps
reconcile exactly with the pipeline rebuilt independently at both dates, on random histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook.metrics.forecasting.waterfall import (
    FLOW_COLUMNS,
    INFLOWS,
    OUTFLOWS,
    flows,
    period_flows,
    waterfall_steps,
)
from quotabook.testing import build_dataset, deal, stage_map, wide

STAGES = stage_map()
STAGE_NAMES = list(STAGES)

# Period 2026-Q3; window from the end of 30 Jun to the end of 31 Aug. (id, created, history rows, final deal)
# history rows: (changed_at, stage, amount, close_date, forecast_category)
STORY = {
    "S": [("2026-06-01", "Proposal", 1000, "2026-09-10", "Pipeline"), ("2026-08-01", "Proposal", 1500, "2026-09-10",
                                                                       "Pipeline")],      # increased 500
    "D": [("2026-06-01", "Proposal", 800, "2026-09-10", "Pipeline"), ("2026-08-01", "Proposal", 600, "2026-09-10",
                                                                      "Pipeline")],       # decreased 200
    "WN": [("2026-06-01", "Negotiation", 700, "2026-08-20", "Commit"), ("2026-08-10", "Closed Won", 900,
                                                                        "2026-08-10", "Closed")],  # +200, won 900
    "LS": [("2026-06-01", "Solution", 400, "2026-08-20", "Pipeline"), ("2026-07-20", "Closed Lost", 400,
                                                                       "2026-07-20", "Omitted")],  # lost 400
    "SL": [("2026-06-01", "Solution", 300, "2026-08-30", "Pipeline"), ("2026-08-05", "Solution", 300, "2026-10-15",
                                                                       "Pipeline")],      # slipped out 300
    "OM": [("2026-06-01", "Solution", 900, "2026-08-30", "Pipeline"), ("2026-08-02", "Solution", 900, "2026-08-30",
                                                                       "Omitted")],       # slipped out 900
    "PI": [("2026-06-01", "Discovery", 250, "2026-11-01", "Pipeline"), ("2026-07-10", "Discovery", 250, "2026-09-01",
                                                                        "Pipeline")],     # pulled in 250
    "CR": [("2026-07-15", "Discovery", 600, "2026-09-15", "Pipeline")],                   # created 600
    "TH": [("2026-07-20", "Proposal", 350, "2026-08-20", "Pipeline"), ("2026-08-20", "Closed Won", 350, "2026-08-20",
                                                                       "Closed")],        # created and won 350
    "OLD": [("2026-05-01", "Proposal", 200, "2026-06-15", "Pipeline"), ("2026-06-15", "Closed Won", 200,
                                                                        "2026-06-15", "Closed")],  # before: no flow
}


def _dataset(story, as_of="2026-08-31", territory_of=None):
    history, opps = [], []
    for i, rows in story.items():
        history += [{"opportunity_id": i, "changed_at": at, "stage": s, "amount": float(a), "close_date": c,
                     "forecast_category": f} for at, s, a, c, f in rows]
        _at, s, a, c, f = rows[-1]
        opps.append(deal(i, (territory_of or {}).get(i, "T1"), stage=s, amount=a, close=c, category=f,
                         created=rows[0][0]))
    return build_dataset(opps, history=history, as_of=as_of)


def test_each_step_on_the_hand_built_quarter():
    ds = _dataset(STORY)
    per_deal = flows(ds, ds.period("2026-Q3"), "2026-06-30", "2026-08-31").set_index("opportunity_id")
    totals = per_deal[FLOW_COLUMNS].sum()
    assert totals.to_dict() == {"start": 4100.0, "created": 950.0, "pulled_in": 250.0, "increased": 700.0,
                                "decreased": 200.0, "won": 1250.0, "lost": 400.0, "slipped_out": 1200.0,
                                "end": 2950.0}
    assert per_deal.loc["TH", ["created", "won"]].tolist() == [350.0, 350.0]
    assert per_deal.loc["WN", ["start", "increased", "won"]].tolist() == [700.0, 200.0, 900.0]
    assert "OLD" not in per_deal.index
    steps = waterfall_steps(per_deal.reset_index())
    assert steps["step"].tolist() == ["Start", "Created", "Pulled in", "Increased", "Decreased", "Won", "Lost",
                                      "Slipped out", "End"]
    assert steps["amount"].iloc[:-1].sum() == steps["amount"].iloc[-1] == 2950.0
    assert steps.loc[5, ["bottom", "top"]].tolist() == [4100 + 950 + 250 + 700 - 200 - 1250, 4100 + 950 + 250 + 700
                                                        - 200]


def test_catalog_inflow_and_outflow_cover_the_period_up_to_the_report_date():
    """Report date 31 Aug: the window runs from the end of 30 Jun; net flow = end - start."""
    ds = _dataset(STORY, territory_of={"CR": "T2"})
    got = wide(["pipeline_inflow_amount", "pipeline_outflow_amount", "net_pipeline_flow"], ds, "2026-Q3")
    assert got.loc["T1"].tolist() == [350 + 250 + 700, 200 + 1250 + 400 + 1200, 2350 - 4100]
    assert got.loc["T2"].tolist() == [600.0, 0.0, 600.0]
    region = wide(["net_pipeline_flow"], ds, "2026-Q3", by="region")["net_pipeline_flow"]
    assert region["East"] == 2950 - 4100
    assert period_flows(ds, ds.period("2026-Q4")).empty   # the period has not begun: no flow yet


@st.composite
def random_story(draw):
    """Up to ten deals with one to four states each between 1 May and 28 Oct 2026 (whole-number amounts)."""
    story = {}
    for i in range(draw(st.integers(1, 10))):
        days = sorted(draw(st.lists(st.integers(0, 180), min_size=1, max_size=4, unique=True)))
        rows = []
        for d in days:
            stage = draw(st.sampled_from(STAGE_NAMES))
            close = pd.Timestamp("2026-05-01") + pd.Timedelta(days=draw(st.integers(0, 240)))
            category = "Closed" if STAGES[stage].is_won else draw(st.sampled_from(["Pipeline", "Commit", "Omitted"]))
            at = pd.Timestamp("2026-05-01") + pd.Timedelta(days=d)
            rows.append((at.strftime("%Y-%m-%d"), stage, draw(st.integers(0, 50)) * 100, close.strftime("%Y-%m-%d"),
                         category))
        story[f"R{i}"] = rows
    return story


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_story(), st.integers(0, 60), st.integers(0, 60))
def test_the_waterfall_reconciles_exactly_on_random_histories(story, start_offset, length):
    ds = _dataset(story, as_of="2026-10-31")
    period = ds.period("2026-Q3")
    d0 = pd.Timestamp("2026-06-15") + pd.Timedelta(days=start_offset)
    d1 = d0 + pd.Timedelta(days=length)
    per_deal = flows(ds, period, d0, d1)

    def pipeline(at) -> float:
        o = ds.as_of(at).opportunities
        keep = period.contains(o["close_date"]) & ~o["is_closed"] & o["forecast_category"].ne("Omitted")
        return float(o.loc[keep, "amount"].sum())

    totals = per_deal[FLOW_COLUMNS].sum() if len(per_deal) else pd.Series(0.0, index=FLOW_COLUMNS)
    assert totals["start"] == pipeline(d0) and totals["end"] == pipeline(d1)
    assert totals["start"] + totals[INFLOWS].sum() - totals[OUTFLOWS].sum() == totals["end"]
    by_deal = per_deal["start"] + per_deal["inflow"] - per_deal["outflow"]
    assert np.array_equal(by_deal.to_numpy(), per_deal["end"].to_numpy())
    assert (per_deal[FLOW_COLUMNS].to_numpy() >= 0).all()
