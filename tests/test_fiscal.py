import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotabook.errors import ConfigError
from quotabook.fiscal import FiscalCalendar


def test_calendar_year_quarter_bounds():
    q3 = FiscalCalendar(1).period("2026-Q3")
    assert (q3.start, q3.end) == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    assert q3.last_day == pd.Timestamp("2026-09-30")
    assert q3.weeks == 14  # 92 days: 13 full weeks and one partial


def test_february_start_names_the_year_by_its_end():
    cal = FiscalCalendar(2, "end")
    assert cal.period("2027-Q1").start == pd.Timestamp("2026-02-01")
    assert cal.period_of("2026-01-31").label == "2026-Q4"
    assert FiscalCalendar(2, "start").period("2026-Q1").start == pd.Timestamp("2026-02-01")


def test_week_of_quarter_counts_from_one():
    cal = FiscalCalendar(1)
    dates = pd.Series(pd.to_datetime(["2026-07-01", "2026-07-07", "2026-07-08", "2026-09-30"]))
    assert cal.week_of_quarter(dates).tolist() == [1, 1, 2, 14]
    assert cal.week_of_quarter("2026-11-16") == 7


def test_shift_and_range_cross_year_boundaries():
    cal = FiscalCalendar(1)
    assert cal.shift("2026-Q1", -1).label == "2025-Q4"
    assert [p.label for p in cal.range("2025-Q4", "2026-Q2")] == ["2025-Q4", "2026-Q1", "2026-Q2"]


@pytest.mark.parametrize("bad", ["2026Q3", "2026-Q5", "Q3-2026", ""])
def test_bad_period_label_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="not a fiscal quarter"):
        FiscalCalendar(1).period(bad)


@given(st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2100-01-01").date()),
       st.integers(1, 12), st.sampled_from(["end", "start"]))
def test_every_date_lies_inside_its_own_quarter(day, start_month, label):
    cal = FiscalCalendar(start_month, label)
    p = cal.period_of(day)
    assert p.start <= pd.Timestamp(day) < p.end
    assert 1 <= cal.week_of_quarter(pd.Timestamp(day)) <= 14
    assert cal.labels(pd.Series([pd.Timestamp(day)])).iloc[0] == p.label


@pytest.mark.parametrize("year_label", ["end", "start"])
def test_period_of_one_date_is_the_quarter_its_label_names(year_label):
    """``period_of`` works the label out on the one date; ``labels`` does it for a column: they agree on every
    fiscal start month, across year ends, on quarters' first and last days and at any time of day."""
    days = pd.DatetimeIndex([*pd.date_range("2019-12-25", "2021-01-05", freq="5D"), "2026-03-31 23:59",
                             "2026-04-01", "2026-07-01 08:00", "2030-12-31"])
    for start_month in range(1, 13):
        cal = FiscalCalendar(start_month=start_month, year_label=year_label)
        labels = cal.labels(pd.Series(days))
        assert [cal.period_of(day).label for day in days] == labels.tolist()
