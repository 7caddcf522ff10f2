"""History helpers: close-date pushes (tiny folder deal A pushed twice), slippage out of a period, stage
runs and durations, won-deal medians, days in the current stage, and hypothesis invariants of push counts."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook.loading import load
from quotabook.metrics.history import (
    close_date_pushes,
    days_between,
    days_in_current_stage,
    push_events,
    slipped_out,
    stage_days,
    stage_entered_at,
    stage_runs,
    won_stage_median_days,
)
from quotabook.testing.tiny import ACTIVITIES, HISTORY, OPPORTUNITIES, TARGETS, TERRITORIES, write_folder

T = pd.Timestamp


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny folder of conftest, loaded once for the module."""
    folder = write_folder(tmp_path_factory.mktemp("tiny"), territories=TERRITORIES, opportunities=OPPORTUNITIES,
                          opportunity_history=HISTORY, activities=ACTIVITIES, targets=TARGETS)
    return load(folder)


def history(*rows) -> pd.DataFrame:
    """History rows ``(deal, changed_at, stage, close_date, amount)``; None leaves a field blank."""
    h = pd.DataFrame(rows, columns=["opportunity_id", "changed_at", "stage", "close_date", "amount"])
    return h.assign(changed_at=pd.to_datetime(h["changed_at"]), close_date=pd.to_datetime(h["close_date"]),
                    amount=h["amount"].astype("float64"))


# -- pushes ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("day", "pushes"), [("2026-01-31", 0), ("2026-02-09", 0), ("2026-02-10", 1),
                                             ("2026-02-28", 1), ("2026-03-01", 2), ("2026-03-15", 2)])
def test_deal_a_of_the_tiny_folder_is_pushed_once_then_twice(tiny, day, pushes):
    ds = tiny
    assert close_date_pushes(ds.opportunity_history, as_of=day)["A"] == pushes
    # the same count from a dataset rebuilt as of that day (its history is already cut)
    assert close_date_pushes(ds.as_of(day).opportunity_history)["A"] == pushes


def test_tiny_folder_push_counts_and_events(tiny):
    hist = tiny.opportunity_history
    counts = close_date_pushes(hist, as_of="2026-03-15")
    assert counts.to_dict() == {"A": 2, "B": 0, "C": 0, "D": 0}
    events = push_events(hist)
    assert events["opportunity_id"].tolist() == ["A", "A"]
    assert events["previous_close_date"].tolist() == [T("2026-02-15"), T("2026-03-15")]
    assert events["days_moved"].tolist() == [28, 15]
    # asked for given deals: exactly those, in that order, 0 for a deal without history
    assert close_date_pushes(hist, deals=["C", "A", "Z"]).tolist() == [0, 2, 0]


def test_only_moves_later_are_pushes_and_blank_dates_carry_forward():
    h = history(("X", "2026-01-01", "Discovery", "2026-03-01", 10),
                ("X", "2026-01-10", "Discovery", "2026-02-01", None),   # pulled in: not a push
                ("X", "2026-01-20", "Solution", None, None),            # blank date: carried, not a push
                ("X", "2026-01-25", "Solution", "2026-02-01", None),    # same date: not a push
                ("X", "2026-02-01", "Proposal", "2026-04-01", None),    # later than 2026-02-01: a push
                ("Y", "2026-01-03", "Discovery", "2026-05-01", 5))
    shuffled = h.sample(frac=1, random_state=3)                         # order of rows does not matter
    assert close_date_pushes(shuffled).to_dict() == {"X": 1, "Y": 0}
    assert push_events(shuffled)["days_moved"].tolist() == [59]


# -- slippage -------------------------------------------------------------------------------------------------
def _opps(**close_dates: str) -> pd.DataFrame:
    return pd.DataFrame({"opportunity_id": list(close_dates), "close_date": pd.to_datetime(list(close_dates.values())),
                         "amount": 999.0})


def test_value_slipped_out_of_a_quarter():
    q1 = (T("2026-01-01"), T("2026-04-01"))
    h = history(
        ("in_then_out", "2025-12-01", "Discovery", "2026-03-20", 100),
        ("in_then_out", "2026-03-25", "Discovery", "2026-04-10", 150),    # pushed out (and resized): slipped
        ("created_in_q", "2026-02-01", "Discovery", "2026-03-01", 200),   # created in Q1, expected in it
        ("created_in_q", "2026-02-20", "Discovery", "2026-05-01", 250),   # ... then pushed out
        ("out_before_q", "2025-11-01", "Discovery", "2026-02-01", 300),
        ("out_before_q", "2025-12-15", "Discovery", "2026-06-01", 300),   # left Q1 before Q1 began
        ("out_and_back", "2026-01-05", "Discovery", "2026-03-01", 400),
        ("out_and_back", "2026-02-01", "Discovery", "2026-05-01", 400),
        ("out_and_back", "2026-03-01", "Discovery", "2026-03-30", 400),   # back in: not slipped
        ("pulled_in", "2026-01-05", "Discovery", "2026-03-01", 500),
        ("pulled_in", "2026-02-01", "Discovery", "2025-12-20", 500),      # moved earlier: not slipped
    )
    now = _opps(in_then_out="2026-04-10", created_in_q="2026-05-01", out_before_q="2026-06-01",
                out_and_back="2026-03-30", pulled_in="2025-12-20")
    s = slipped_out(h, now, *q1).set_index("opportunity_id")
    assert sorted(s.index) == ["created_in_q", "in_then_out"]
    # the value that left is the amount of the last state that still expected the deal in the period
    assert s.loc["in_then_out", "slipped_amount"] == 100.0
    assert s.loc["created_in_q", "slipped_amount"] == 200.0
    assert s.loc["in_then_out", "expected_close_date"] == T("2026-03-20")
    assert s.loc["in_then_out", "days_slipped"] == 21


def test_slippage_seen_from_inside_the_quarter(tiny):
    """Deal A of the tiny folder stays in Q1 (Feb 15 -> Mar 15 -> Mar 30): it slips out of nothing; but
    seen from Q1's point of view as of Feb 9 it was expected Feb 15, and as of Feb 10 still in Q1."""
    ds = tiny
    q1 = ds.period("2026-Q1")
    assert slipped_out(ds.opportunity_history, ds.opportunities, q1.start, q1.end).empty
    h = history(("A", "2026-01-05", "Qualification", "2026-02-15", 1000),
                ("A", "2026-02-10", "Proposal", "2026-04-15", None))
    s = slipped_out(h, _opps(A="2026-04-15"), q1.start, q1.end)
    assert s["opportunity_id"].tolist() == ["A"] and s["slipped_amount"].tolist() == [1000.0]


# -- stages ---------------------------------------------------------------------------------------------------
def test_stage_runs_of_the_tiny_folder(tiny):
    ds = tiny
    runs = stage_runs(ds.opportunity_history, reference_date="2026-03-01").set_index(["opportunity_id", "stage"])
    a_qual = runs.loc[("A", "Qualification")]
    assert a_qual["entered_at"] == T("2026-01-05 09:00") and a_qual["exited_at"] == T("2026-02-10 11:30")
    assert a_qual["days"] == pytest.approx(36 + 2.5 / 24)
    a_prop = runs.loc[("A", "Proposal")]           # two Proposal rows, one run; current
    assert a_prop["is_current"] and a_prop["days"] == pytest.approx((T("2026-03-01") - T("2026-02-10 11:30")).days
                                                                     + 12.5 / 24)
    assert len(runs) == 7
    medians = won_stage_median_days(ds.opportunity_history, ds.opportunities, ds.settings.open_stages)
    assert medians.to_dict() == pytest.approx({"Discovery": 41 + 7 / 24})   # B: Jan 10 08:00 -> Feb 20 15:00


def test_a_deal_back_in_a_stage_counts_once_with_its_days_added():
    h = history(("X", "2026-01-01", "Discovery", None, None), ("X", "2026-01-11", "Solution", None, None),
                ("X", "2026-01-15", "Discovery", None, None), ("X", "2026-01-20", "Proposal", None, None),
                ("Y", "2026-01-01", "Discovery", None, None), ("Y", "2026-01-04", "Proposal", None, None))
    runs = stage_runs(h)
    assert runs["stage"].tolist() == ["Discovery", "Solution", "Discovery", "Proposal", "Discovery", "Proposal"]
    assert stage_days(runs, how="mean").to_dict() == {"Discovery": (15 + 3) / 2, "Solution": 4.0}
    assert stage_days(runs, deals=["Y"], how="median").to_dict() == {"Discovery": 3.0}
    assert stage_days(runs, stages=["Solution"]).to_dict() == {"Solution": 4.0}


def test_stage_entered_at_matches_as_of_and_falls_back_to_creation(tiny):
    ds = tiny
    now = ds.as_of(ds.reference_date)
    computed = stage_entered_at(ds.opportunities, ds.opportunity_history)
    assert computed.tolist() == now.opportunities["stage_entered_at"].tolist()
    no_history = stage_entered_at(ds.opportunities, ds.opportunity_history.iloc[:0])
    assert no_history.tolist() == ds.opportunities["created_date"].tolist()


def test_days_in_current_stage_are_whole_calendar_days_never_negative(tiny):
    past = tiny.as_of("2026-02-10")
    days = days_in_current_stage(past.opportunities, past.opportunity_history, past.reference_date)
    by_deal = dict(zip(past.opportunities["opportunity_id"], days, strict=True))
    assert by_deal["A"] == 0        # entered Proposal at 11:30 that very day
    assert by_deal["B"] == 31       # Discovery since Jan 10
    assert days_between(pd.Series(pd.to_datetime(["2026-03-02 23:00", None])), "2026-03-01").tolist()[0] == 0
    assert np.isnan(days_between(pd.Series(pd.to_datetime(["2026-03-02 23:00", None])), "2026-03-01").iloc[1])


# -- invariants (hypothesis) ---------------------------------------------------------------------------------
_rows = st.lists(st.tuples(st.integers(0, 3),                     # deal
                           st.integers(0, 120),                   # changed_at, days after 2026-01-01
                           st.one_of(st.none(), st.integers(0, 200))),  # close date (days) or blank
                 min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows, days=st.lists(st.integers(-5, 130), min_size=2, max_size=4))
def test_push_counts_are_never_negative_and_never_fall_as_the_date_moves_on(rows, days):
    base = T("2026-01-01")
    h = pd.DataFrame({"opportunity_id": [f"D{r[0]}" for r in rows],
                      "changed_at": [base + pd.Timedelta(days=r[1], hours=9) for r in rows],
                      "close_date": [pd.NaT if r[2] is None else base + pd.Timedelta(days=r[2]) for r in rows]})
    deals = sorted(set(h["opportunity_id"]))
    counts = [close_date_pushes(h, as_of=base + pd.Timedelta(days=d), deals=deals) for d in sorted(days)]
    for earlier, later in pairwise(counts):
        assert (earlier >= 0).all()
        assert (later >= earlier).all()
    # and the count as of the last day equals a plain reading of each deal's dates
    last = base + pd.Timedelta(days=max(days))
    for deal in deals:  # a reference computation in the test, deal by deal
        dates = h[(h["opportunity_id"] == deal) & (h["changed_at"] < last + pd.Timedelta(days=1))]
        dates = dates.sort_values("changed_at", kind="stable")["close_date"].ffill()
        expected = int((dates > dates.shift()).sum())
        assert counts[-1][deal] == expected
