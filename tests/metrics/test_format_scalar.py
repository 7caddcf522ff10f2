"""One number formatted alone (the scalar path charts use for every tick and bar label) reads exactly as the
same number does inside a Series (the vectorised path tables use)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quotabook.metrics import format as fmt


def _values() -> list[float]:
    """Hard cases (halves at every scale and decimals, scale bounds, signs, zero, missing) and random amounts
    spread over fifteen orders of magnitude."""
    rng = np.random.default_rng(20261206)
    edges = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, 2.675, 0.045, 0.285, 7.5, 999.5, 999.4999, 1000.0, 9999.5, 99_950.0,
             999_499.0, 999_500.0, 999_950.0, 1e6, 1_049_999.0, 1_050_000.0, 999_949_999.0, 999_950_000.0, 1e9,
             2.5e9, 1.25e12, -1500.0, -0.4, -999.5, 2142.5, 0.04999, 0.05, 1 / 3, 2 / 3, 4285 / 2, 15013 / 13,
             np.nan, np.inf, -np.inf]
    spread = rng.uniform(-1, 1, 4000) * 10.0 ** rng.integers(-3, 12, 4000)
    halves = (rng.integers(-20_000, 20_000, 2000) + 0.5) * 10.0 ** rng.integers(-3, 4, 2000)
    return edges + spread.tolist() + halves.tolist()


FORMATS = {
    "currency USD": lambda v: fmt.currency(v, "USD"),
    "currency SEK": lambda v: fmt.currency(v, "SEK"),
    "currency bare": lambda v: fmt.currency(v),
    "currency 2 decimals": lambda v: fmt.currency(v, "EUR", decimals=2),
    "currency 0 decimals": lambda v: fmt.currency(v, "USD", decimals=0),
    "percent": fmt.percent,
    "percent 1 decimal": lambda v: fmt.percent(v, decimals=1),
    "count": fmt.count,
    "count 2 decimals": lambda v: fmt.count(v, decimals=2),
    "multiple": fmt.multiple,
    "days": fmt.days,
    "n_to_1": fmt.n_to_1,
    "n_to_1 no separator": lambda v: fmt.n_to_1(v, thousands=False),
    "round_half_up": fmt.round_half_up,
    "round_half_up 2": lambda v: fmt.round_half_up(v, 2),
}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_one_number_reads_as_it_does_in_a_series(name):
    values = _values()
    format_ = FORMATS[name]
    together = format_(pd.Series(values, dtype="float64")).tolist()
    alone = [format_(v) for v in values]
    if name.startswith("round_half_up"):  # numbers: NaN equals NaN here
        np.testing.assert_array_equal(np.array(alone, dtype="float64"), np.array(together, dtype="float64"))
        assert all(isinstance(v, float) for v in alone)
    else:
        mismatches = [(v, a, t) for v, a, t in zip(values, alone, together, strict=True) if a != t]
        assert mismatches == []
        assert all(isinstance(v, str) for v in alone)


def test_hand_worked_scalars():
    assert fmt.currency(999_950.0, "USD") == "$1,000K"  # the K scale rounds up within its own scale
    assert fmt.currency(1_050_000.0, "USD") == "$1.1M"  # half up, never to even
    assert fmt.currency(-1500.0, "USD") == "-$2K"
    assert fmt.currency(-0.4, "USD") == "$0"  # no sign on a figure that prints as zero
    assert fmt.currency(np.nan, "USD") == fmt.MISSING == fmt.percent(np.inf)
    assert fmt.n_to_1(0.4) == "0.4:1" and fmt.n_to_1(2142.5) == "2,143:1"
    assert fmt.n_to_1(15013 / 13, thousands=False) == "1155:1"
    assert fmt.percent(0.285) == "29%" and fmt.days(15.85) == "15.9 days" and fmt.multiple(2.95) == "3.0×"
    assert fmt.round_half_up(-0.5) == -1.0 and fmt.round_half_up(2.675, 2) == 2.68


@pytest.mark.parametrize("value", [np.int64(1_234_567), 7, np.float32(0.5), True, "1200", None, 10**30])
def test_other_scalars_read_as_a_series_of_them_does(value):
    """Integers, NumPy scalars, and what only the Series path takes (text, None, bools, huge integers, pd.NA)."""
    together = fmt.currency(pd.Series([value], dtype=object), "USD").tolist()[0]
    assert fmt.currency(value, "USD") == together
