"""quotabook.text: counts with their noun, lists of names, and extremes that name ties as ties."""

from __future__ import annotations

import pandas as pd

from quotabook.metrics import format as fmt
from quotabook.text import NO_LOST, extremes, is_number, mid, names, noun, one_sided, plural, spread


def test_counts_take_the_right_noun():
    assert plural(1, "deal") == "1 deal" and plural(0, "deal") == "0 deals"
    assert plural(1204, "open deal") == "1,204 open deals"
    assert noun("territory") == "territories" and noun("territory", 1) == "territory"
    assert noun("opportunity") == "opportunities" and noun("day") == "days" and noun("closed deal") == "closed deals"


def test_names_and_the_scope_inside_a_sentence():
    assert names([]) == "" and names(["A"]) == "A" and names(["A", "B"]) == "A and B"
    assert names("ABCD", limit=None) == "A, B, C and D"
    assert names(["A", "B", "C", "D", "E"]) == "A, B, C and 2 more"
    assert mid("The district") == "the district" and mid("West") == "West"


def test_extremes_compare_values_as_printed():
    ex = extremes(pd.Series({"East": 0.604, "West": 0.598, "North": 0.9}), fmt.percent)
    assert (ex.low, ex.low_text, ex.high, ex.high_text) == (["East", "West"], "60%", ["North"], "90%")
    assert not ex.tied and ex.count == 3
    level = extremes(pd.Series({"East": 1.0, "West": 1.0, "North": float("nan")}), fmt.percent)
    assert level.tied and level.count == 2
    assert extremes(pd.Series([float("nan")], dtype="float64"), fmt.percent) is None


def test_spread_never_names_one_group_as_both_extremes():
    assert spread(pd.Series({"East": 0.2, "West": 0.6}), fmt.percent, "region") == \
        "East is lowest at 20%, West highest at 60%"
    assert spread(pd.Series({"East": 0.2, "North": 0.2, "West": 0.6}), fmt.percent, "region") == \
        "East and North are lowest at 20%, West highest at 60%"
    assert spread(pd.Series({"East": 1.0, "West": 1.0}), fmt.percent, "region") == "both regions are at 100%"
    assert spread(pd.Series({"A": 80.0, "B": 80.2, "C": 79.9}), lambda d: f"{d:.0f} days", "rep") == \
        "all 3 reps are at 80 days"
    assert spread(pd.Series({"East": 0.5}), fmt.percent, "region") is None


def test_one_sided_win_rates_say_what_is_missing():
    assert one_sided(3, 3) == NO_LOST == "no lost deal is recorded"
    assert one_sided(0, 2) == "no won deal is recorded"
    assert one_sided(1, 2) is None and one_sided(0, 0) is None and one_sided(float("nan"), 2) is None


def test_is_number():
    assert is_number(0) and is_number(1.5) and not is_number(None) and not is_number(float("inf"))
    assert not is_number(pd.NA) and not is_number("x")
