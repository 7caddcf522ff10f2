"""Forecast trust against hand-worked histories: Commit accuracy and bias per rep, their bands, and how often
past Monte Carlo ranges held the outcome (exact figures worked out in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook import load_settings
from quotabook.dataset import Dataset
from quotabook.errors import MetricUnavailable
from quotabook.forecast import trust
from quotabook.metrics import compute_wide
from quotabook.testing import inline_dataset

SETTINGS = load_settings()
TERRITORIES = [{"territory": "T1", "region": "East", "district": "D", "owner": "Ann"},
               {"territory": "T2", "region": "East", "district": "D", "owner": "Bob"}]


def _deal(oid, owner, territory, stage, category, amount, created, close):
    won, closed = stage == "Closed Won", stage.startswith("Closed")
    return {"opportunity_id": oid, "owner": owner, "territory": territory, "created_date": created,
            "close_date": close, "stage": stage, "forecast_category": category, "amount": float(amount),
            "is_closed": closed, "is_won": won}


def _change(oid, when, stage, category, amount=None, close=None):
    return {"opportunity_id": oid, "changed_at": when, "stage": stage, "forecast_category": category,
            "amount": amount, "close_date": close}


# 2025-Q1 runs 1 Jan – 31 Mar (fiscal year from January). Call weeks start on 8 Jan (week 2), 5 Feb (week 6)
# and 5 Mar (week 10).
#   Ann: A1 100 in Commit throughout, won 15 Mar; A2 100 in Commit until lost on 20 Feb.
#        calls: wk2 200, wk6 200, wk10 100 (A2 gone); won 100 each time → 0.5, 0.5, 1.0; overall 300/500 = 0.6.
#   Bob: B1 50 in Best Case until 1 Mar, then Commit; won 20 Mar at 80.
#        calls: wk2 0, wk6 0 (no Commit, nothing won yet: no call), wk10 50 → 80/50 = 1.6 (a sandbag).
OPPORTUNITIES = [
    _deal("A1", "Ann", "T1", "Closed Won", "Closed", 100, "2024-12-01", "2025-03-15"),
    _deal("A2", "Ann", "T1", "Closed Lost", "Omitted", 100, "2024-12-01", "2025-02-20"),
    _deal("B1", "Bob", "T2", "Closed Won", "Closed", 80, "2024-12-05", "2025-03-20"),
    _deal("C1", "Bob", "T2", "Discovery", "Pipeline", 40, "2025-04-10", "2025-05-30"),
]
HISTORY = [
    _change("A1", "2024-12-01", "Proposal", "Commit", 100, "2025-03-15"),
    _change("A1", "2025-03-15", "Closed Won", "Closed"),
    _change("A2", "2024-12-01", "Proposal", "Commit", 100, "2025-03-20"),
    _change("A2", "2025-02-20", "Closed Lost", "Omitted", close="2025-02-20"),
    _change("B1", "2024-12-05", "Solution", "Best Case", 50, "2025-03-20"),
    _change("B1", "2025-03-01", "Negotiation", "Commit"),
    _change("B1", "2025-03-20", "Closed Won", "Closed", 80),
    _change("C1", "2025-04-10", "Discovery", "Pipeline", 40, "2025-05-30"),
]


def build(opportunities=OPPORTUNITIES, history=HISTORY, targets=None, as_of="2025-04-10") -> Dataset:
    given = {"opportunities": opportunities, "territories": TERRITORIES, "opportunity_history": history,
             "targets": targets}
    return inline_dataset(given, as_of=as_of, settings=SETTINGS)


def test_commit_calls_are_rebuilt_as_they_stood_each_call_week():
    history = trust.commit_history(build(), quarters=1)
    calls = history.set_index(["owner", "week"])[["call", "won"]]
    assert calls.loc["Ann"].to_dict("index") == {2: {"call": 200.0, "won": 100.0}, 6: {"call": 200.0, "won": 100.0},
                                                 10: {"call": 100.0, "won": 100.0}}
    assert calls.loc["Bob"].to_dict("index") == {2: {"call": 0.0, "won": 80.0}, 6: {"call": 0.0, "won": 80.0},
                                                 10: {"call": 50.0, "won": 80.0}}
    assert set(history["period"]) == {"2025-Q1"}
    assert history.loc[history["owner"].eq("Ann") & history["week"].eq(2), "as_of"].item() == pd.Timestamp("2025-01-08")


def test_commit_accuracy_is_won_over_call_summed_over_calls_with_bands():
    summary = trust.commit_accuracy(trust.commit_history(build(), quarters=1))
    ann, bob = summary.loc["Ann"], summary.loc["Bob"]
    assert (ann["call"], ann["won"], ann["calls"]) == (500.0, 300.0, 3)
    assert ann["accuracy"] == pytest.approx(0.6) and ann["bias"] == pytest.approx(200 / 300)
    assert (ann["band"], ann["calls_over"], ann["calls_under"]) == ("red", 2, 0)
    assert bob["accuracy"] == pytest.approx(1.6) and bob["bias"] == pytest.approx(-30 / 80)
    assert (bob["calls"], bob["band"], bob["calls_under"]) == (1, "red", 1)
    assert list(summary.index) == ["Bob", "Ann"]  # worst first: |1.6 − 1| > |0.6 − 1|
    at_week_10 = trust.commit_accuracy(trust.commit_history(build(), quarters=1), week=10)
    assert at_week_10.loc["Ann", "accuracy"] == 1.0 and at_week_10.loc["Ann", "band"] == "green"


def test_the_team_figure_reconciles_with_its_reps():
    history = trust.commit_history(build(), quarters=1, by="region")
    team = trust.commit_accuracy(history, by="region").loc["East"]
    # East: calls 200, 200, 150; won 180 each time → 540 / 550
    assert (team["call"], team["won"]) == (550.0, 540.0) and team["band"] == "green"


def test_the_catalog_metrics_give_the_same_call_and_accuracy():
    wide = compute_wide(["commit_call_amount", "closed_amount", "commit_accuracy", "commit_bias"], build(),
                        "2025-Q1", by="owner")  # default commit_call_week: 6
    assert wide.loc["Ann"].tolist() == pytest.approx([200.0, 100.0, 0.5, 1.0])
    assert wide.loc["Bob", "commit_call_amount"] == 0.0 and np.isnan(wide.loc["Bob", "commit_accuracy"])


@pytest.mark.parametrize(("accuracy", "band"), [(0.85, "green"), (0.846, "green"), (1.15, "green"), (1.154, "green"),
                                                (0.844, "amber"), (0.70, "amber"), (1.30, "amber"), (0.69, "red"),
                                                (1.31, "red"), (np.nan, "")])
def test_bands_follow_the_percentage_a_reader_sees(accuracy, band):
    assert trust.accuracy_band([accuracy])[0] == band


def test_no_history_or_no_categories_says_what_is_missing():
    with pytest.raises(MetricUnavailable, match="opportunity_history"):
        trust.commit_history(build(history=None))
    no_categories = [{**d, "forecast_category": None} for d in OPPORTUNITIES]
    assert "forecast_category" in trust.calls_unavailable(build(opportunities=no_categories))
    assert trust.calls_unavailable(build()) is None


def test_a_future_change_is_ignored_by_past_calls():
    """No look-ahead: a Commit recorded after the quarter never changes a call made during it."""
    planted = [*HISTORY, _change("A2", "2025-04-05", "Negotiation", "Commit", 999, "2025-03-30"),
               _change("B1", "2025-04-06", "Negotiation", "Commit", 999, "2025-03-30")]
    assert trust.commit_history(build(history=planted), quarters=1).equals(trust.commit_history(build(), quarters=1))


def test_range_calibration_counts_outcomes_inside_p10_p90():
    rows = pd.DataFrame({"period": ["Q1", "Q1", "Q2", "Q2", "Q3"], "territory": list("ABABA"),
                         "p10": [10, 10, 10, 10, 10], "p90": [20, 20, 20, 20, 20], "actual": [15, 5, 20, 25, 10],
                         "target": [12, 30, np.nan, 20, 0], "target_probability": [0.9, 0.2, 0.5, 0.6, 0.1]})
    rows["inside"] = (rows["actual"] >= rows["p10"]) & (rows["actual"] <= rows["p90"])
    rows["reached"] = (rows["actual"] >= rows["target"]).astype(float).where(rows["target"] > 0)
    s = trust.summarise_calibration(rows)
    # inside: 15, 20 and 10 → 3 of 5; below: 5 → 1 of 5; above: 25 → 1 of 5
    assert (s["ranges"], s["quarters"], s["inside"], s["below"], s["above"]) == (5, 3, 0.6, 0.2, 0.2)
    # scored: A/Q1 reached (0.9 → 0.01), B/Q1 not (0.2 → 0.04), B/Q2 reached (0.6 → 0.16): mean 0.07
    assert s["chances"] == 3 and s["brier"] == pytest.approx(0.07)
    assert "60% of the time (5 ranges tested" in trust.trust_statement(s)
    assert "too few to judge" in trust.trust_statement(s)


def test_range_calibration_replays_monte_carlo_on_past_quarters():
    ds = build(targets=[{"period": "2025-Q1", "territory": "T1", "target_amount": 150.0},
                        {"period": "2025-Q1", "territory": "T2", "target_amount": 50.0}])
    rows = trust.range_calibration(ds, quarters=1, week=2, simulations=500)
    assert list(rows["territory"]) == ["T1", "T2"] and set(rows["period"]) == {"2025-Q1"}
    t1 = rows.set_index("territory").loc["T1"]
    # On 8 Jan T1 had A1 and A2 open (100 each): the range lies within 0–200, and 100 was won of a 150 target.
    assert 0 <= t1["p10"] <= t1["p90"] <= 200 and t1["actual"] == 100.0 and t1["reached"] == 0.0
    assert rows.set_index("territory").loc["T2", "reached"] == 1.0


def test_an_untested_range_is_said_to_be_untested():
    assert "untested" in trust.trust_statement(trust.summarise_calibration(pd.DataFrame()))


@pytest.mark.parametrize(("inside", "below", "above", "verdict"), [
    (0.80, 0.1, 0.1, "about as wide as it should be"),
    (0.72, 0.2, 0.08, "a little narrow (more outcomes landed below P10"),
    (0.50, 0.1, 0.4, "too narrow (more outcomes landed above P90"), (0.90, 0.05, 0.05, "a little wider than it needs"),
    (1.00, 0.0, 0.0, "much wider than it needs")])
def test_the_trust_statement_reads_the_calibration(inside, below, above, verdict):
    summary = {"ranges": 40, "quarters": 8, "inside": inside, "below": below, "above": above, "brier": np.nan,
               "chances": 0}
    assert verdict in trust.trust_statement(summary)


def test_the_forecast_page_names_who_over_calls_and_who_sandbags():
    from quotabook.forecast.study import ForecastStudy

    fx = ForecastStudy(build(), build().period("2025-Q1"), "territory", "region")
    note = fx.trust_note()
    assert "**Over-call**" in note and "Ann (60%)" in note and "**Sandbag**" in note and "Bob (160%)" in note
    assert "0 of 2 reps called within 85–115% overall." in note
    frame, units = fx.trust_table()
    assert list(frame["Owner"]) == ["Bob", "Ann", "District (team)"] and "Call now" not in frame  # finished: no haircut
    assert frame.set_index("Owner").loc["Ann", ["Week 2", "Week 6", "Week 10"]].tolist() == [0.5, 0.5, 1.0]
    assert units["Accuracy"] == "percent"
    live = ForecastStudy(build(as_of="2025-03-10"), build().period("2025-Q1"), "territory", "region")
    assert "untested" in live.trust_note() or "no record" in live.trust_note()


def test_the_trust_table_is_empty_not_broken_without_calls():
    from quotabook.forecast.study import ForecastStudy

    no_categories = [{**d, "forecast_category": None} for d in OPPORTUNITIES]
    ds = build(opportunities=no_categories)
    fx = ForecastStudy(ds, ds.period("2025-Q1"), "territory", "region")
    frame, _ = fx.trust_table()
    assert frame.empty and list(frame.columns[:4]) == ["Owner", "Week 2", "Week 6", "Week 10"]
    assert fx.trust_note().startswith("Commit accuracy not available: needs ")


def test_team_rows_add_up_their_reps_calls():
    from quotabook.forecast.study import ForecastStudy

    fx = ForecastStudy(build(), build().period("2025-Q1"), "region", "district")
    frame = fx.trust_table()[0].set_index("Owner")
    # East: Ann and Bob; calls 200 + 0, 200 + 0, 100 + 50 = 550 against 180 won three times = 540
    for team in ("East (team)", "District (team)"):
        assert frame.loc[team, "Accuracy"] == pytest.approx(540 / 550) and frame.loc[team, "Band"] == "green"
    assert frame.loc["East (team)", "Week 10"] == pytest.approx(180 / 150)
    assert list(frame.index[:2]) == ["Bob", "Ann"]  # reps first, worst first; then the teams


def test_in_a_pack_the_call_history_is_rebuilt_once_per_scope_and_reads_back_equal(tmp_path, monkeypatch):
    """The forecast page and the rep scorecards both read the call history (twelve datasets rebuilt as of past
    call weeks): in a pack build the second reads the first's result from the build's cache folder."""
    from quotabook import cache
    from quotabook.metrics import cache as metric_cache
    from quotabook.notebook import start
    from quotabook.testing.tiny import write_folder

    def csv(rows) -> str:
        return pd.DataFrame(rows).to_csv(index=False)

    folder = write_folder(tmp_path / "crm", territories=csv(TERRITORIES), opportunities=csv(OPPORTUNITIES),
                          opportunity_history=csv(HISTORY))
    monkeypatch.setenv(cache.ENV, str(tmp_path / "build-cache"))
    monkeypatch.setattr(metric_cache, "_READ", {})
    rebuilt: list[int] = []
    monkeypatch.setattr(trust, "_lean", lambda ds, at, lean=trust._lean: rebuilt.append(1) or lean(ds, at))

    first = trust.commit_history(start("East", "2025-Q2", as_of="2025-04-10", data=str(folder)).ds, quarters=1)
    assert rebuilt == [1]
    assert first.set_index(["owner", "week"])["call"].to_dict() == {  # the hand-worked calls above
        ("Ann", 2): 200.0, ("Ann", 6): 200.0, ("Ann", 10): 100.0, ("Bob", 2): 0.0, ("Bob", 6): 0.0, ("Bob", 10): 50.0}

    monkeypatch.setattr(metric_cache, "_READ", {})  # a sibling notebook's fresh kernel
    again = trust.commit_history(start("East", "2025-Q2", as_of="2025-04-10", data=str(folder)).ds, quarters=1)
    assert rebuilt == [1]  # read back, not rebuilt
    pd.testing.assert_frame_equal(again, first)

    trust.commit_history(start("East", "2025-Q2", as_of="2025-04-10", data=str(folder)).ds, quarters=1, weeks=(6,))
    assert rebuilt == [1, 1]  # other call weeks: another result
    monkeypatch.delenv(cache.ENV)  # outside a pack: computed every time
    trust.commit_history(start("East", "2025-Q2", as_of="2025-04-10", data=str(folder)).ds, quarters=1)
    assert rebuilt == [1, 1, 1]
