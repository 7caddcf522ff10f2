"""The public API (issue 14, item 8): ``qb.compute``, ``qb.compute_wide`` and ``qb.catalog()`` at the top
level, the README's worked example (run here as written), a short ``repr`` of a Dataset, an unknown
grouping refused with the valid ones, and ISO-only dates."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

import old_crm
import quotabook as qb
from quotabook import metrics
from quotabook.errors import ConfigError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_metric_api_is_at_the_top_level():
    assert qb.compute is metrics.compute and qb.compute_wide is metrics.compute_wide
    assert {"compute", "compute_wide", "catalog"} <= set(qb.__all__)
    assert qb.catalog().get("win_rate").unit == "percent" and len(qb.catalog()) > 100
    with pytest.raises(AttributeError, match="no attribute 'comptue'"):
        qb.comptue  # noqa: B018  (a typo still fails loudly)


def _readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", text, re.S)
    assert match, "README lost its marked API example"
    return match.group(1)


def test_the_readme_example_runs_and_says_what_it_prints():
    out = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(_readme_example(), str(README), "exec"), scope)
    rates = scope["rates"]
    assert list(rates.index) == ["Central", "East", "South", "West"] and rates.attrs["period"] == "FY2026"
    # The numbers the README quotes in its comment, checked against the demo.
    assert rates.loc["East"].round(3).tolist() == [0.296, 128, 305]
    assert (rates["win_rate"] == rates["won_count"] / (rates["won_count"] + rates["lost_count"])).all()
    printed = out.getvalue()
    assert printed.startswith("<Dataset demo · district · as of ") and "Won deals / Closed deals" in printed
    assert scope["east"].region == "East" and scope["east"].reference_date == pd.Timestamp("2026-09-15")


def test_a_dataset_prints_in_a_few_lines():
    ds = old_crm.build()
    text = repr(ds)
    assert text.splitlines()[0] == "<Dataset old-crm · district · as of 2015-02-25 (latest dated event)"
    assert "  opportunities                5 rows" in text and "  activity_goals          (absent)" in text
    assert text.endswith("regions (2): East, West>") and len(text.splitlines()) == 9
    assert "O1" not in text  # no ids, however large the tables
    assert "as of 2014-12-31 (as given)" in repr(ds.for_region("East").as_of("2014-12-31"))


def test_the_demos_repr_is_short():
    assert len(repr(qb.load("demo"))) < 600  # it used to print 100 kB of ids


@pytest.mark.parametrize("by", ["rep", ["region", "reps"], "Region"])
def test_an_unknown_grouping_is_refused_with_the_valid_ones(by):
    with pytest.raises(ConfigError, match=r"cannot group by .*: by is one of district, region, territory, owner"
                                          r" \(owner is the rep\).*segment"):
        qb.compute("win_rate", old_crm.build(), "FY2014", by=by)


def test_any_column_of_the_tables_is_a_grouping():
    wide = qb.compute_wide(["won_count", "lost_count"], old_crm.build(), "FY2014", by="stage")
    assert wide.loc["Closed Won", "won_count"] == 1 and wide.loc["Closed Lost", "lost_count"] == 1


@pytest.mark.parametrize("bad", ["01/02/2026", "2026-09-15T99", "2026-09-15; rm -rf /"])
def test_dates_are_iso_only_in_load(bad):
    with pytest.raises(ConfigError, match=r"is not an ISO date like 2026-09-15"):
        qb.load("demo", as_of=bad)
