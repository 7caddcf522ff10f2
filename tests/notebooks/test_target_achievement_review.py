"""Notebook 00 (target achievement) on a finished quarter and without targets: the stack chart, its subtitle,
the period note and the findings agree with each other and with the page's text ("Once a quarter is over only
Closed remains"; the tick marks a target only where there is one).

The hand-built district (territories T1, T2 in East, T3 in West), 2026-Q3 targets T1 100K, T2 100K, T3 50K:

- T1: won W1 80K (20 Jul); Commit C1 40K dated 15 Sep and Best Case B1 30K dated 25 Sep, both never closed.
- T2: won W2 120K (1 Aug): target reached.
- T3: lost L3 at amount 0 (10 Aug); an open deal O3 dated 20 Sep without an amount.

Read on 15 Oct 2026, 2026-Q3 is over: Closed is 80K + 120K = 200K of 250K (80%); C1, B1 and O3 are three deals
dated in it and still open past its end, worth 70K (O3 has no amount): they are not part of its result.
"""

from __future__ import annotations

import io

import pytest

from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.testing import build_dataset, deal, targets
from quotabook.themes.target_achievement import data as views
from quotabook.themes.target_achievement import tables
from quotabook.themes.target_achievement import text as say
from quotabook.themes.target_achievement.charts import stack_vs_target

K = 1000.0

pytestmark = pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")  # no history


def _deals() -> list[dict]:
    return [
        deal("W1", "T1", close="2026-07-20", stage="Closed Won", amount=80 * K, created="2026-05-01"),
        deal("C1", "T1", close="2026-09-15", stage="Negotiation", category="Commit", amount=40 * K,
             created="2026-05-01"),
        deal("B1", "T1", close="2026-09-25", stage="Proposal", category="Best Case", amount=30 * K,
             created="2026-05-01"),
        deal("W2", "T2", close="2026-08-01", stage="Closed Won", amount=120 * K, created="2026-05-01"),
        deal("L3", "T3", close="2026-08-10", stage="Closed Lost", amount=0.0, created="2026-05-01"),
        {**deal("O3", "T3", close="2026-09-20", stage="Discovery", created="2026-05-01"), "amount": None},
    ]


def _report(as_of: str, *, with_targets: bool = True, region: str | None = None) -> Report:
    goals = targets("2026-Q3", T1=100 * K, T2=100 * K, T3=50 * K) if with_targets else None
    ds = build_dataset(_deals(), targets=goals, as_of=as_of)
    ds = ds if region is None else ds.for_region(region)
    return Report(ds=ds, period=ds.period("2026-Q3"), region=region, catalog=load_catalog())


def _chart(report: Report):
    stack = views.number_stack(report.ds, report.period, by=report.level)
    fig = stack_vs_target(stack, label=report.level, currency=report.currency, scope=report.label)
    fig.savefig(io.BytesIO(), format="svg")  # it draws
    ax = fig.axes[0]
    drawn = [c.get_label() for c in ax.containers]
    ticks = [c for c in ax.collections if c.get_label() == "Target"]
    return fig, ax, drawn, ticks


def test_a_finished_quarters_stack_draws_only_closed_with_its_targets():
    report = _report("2026-10-15", region="East")
    fig, ax, drawn, ticks = _chart(report)
    assert drawn == ["Closed"]  # C1 (Commit) and B1 (Best Case) are open past the end: not part of Q3's result
    assert [round(w) for w in (p.get_width() for p in ax.patches)] == [80 * K, 120 * K]
    assert ax.get_title(loc="left") == "2026-Q3: Closed (final: the period is over); the tick marks each target"
    assert len(ticks) == 1 and sorted(ticks[0].get_offsets()[:, 0].tolist()) == [100 * K, 100 * K]
    assert fig._suptitle.get_text() == "1 of 2 territories in East reached their 2026-Q3 target"


def test_a_finished_quarters_text_names_the_deals_left_open_past_its_end():
    report = _report("2026-10-15")
    assert views.open_past_end(report.ds, report.period) == (3, 70 * K)  # C1, B1 and O3 (no amount)
    note = say.period_note(report).data
    assert note == ("*2026-Q3 is over: Closed is final, so the coverage section shows how well covered each region "
                    "was the day before the quarter began. 3 deals dated in it (\\$70K) are still open past its end: "
                    "not part of its result, overdue and in need of a new close date.*")
    f = say.target_achievement_findings(report)
    assert f.sentences[0] == "The district closed 2026-Q3 at $200K against a $250K target (80%), $50K short of it."
    assert f.sentences[-1].startswith("It won 67% of the deals it closed (2 won); nothing more can close in 2026-Q3")
    over = tables.needs_table(report, views.pipeline_needs(report.ds, report.period, by=report.level)).data
    said = " ".join([note, over, *f.sentences, say.move_rules(report).data])
    assert "nothing is left open" not in said and "nothing in it was left open" not in said


def test_a_finished_quarter_with_nothing_open_names_no_overdue_deal():
    closed_only = build_dataset([d for d in _deals() if d["opportunity_id"] in ("W1", "W2")],
                                targets=targets("2026-Q3", T1=100 * K, T2=100 * K), as_of="2026-10-15")
    report = Report(ds=closed_only, period=closed_only.period("2026-Q3"), region=None, catalog=load_catalog())
    assert views.open_past_end(report.ds, report.period) == (0, 0.0)
    assert "still open past its end" not in say.period_note(report).data


def test_a_running_quarter_has_no_deal_past_its_end_and_draws_every_category():
    report = _report("2026-08-19", region="East")
    assert views.open_past_end(report.ds, report.period) == (0, 0.0)
    _fig, ax, drawn, ticks = _chart(report)
    assert drawn == ["Closed", "Commit", "Best Case"] and len(ticks) == 1
    assert ax.get_title(loc="left") == ("2026-Q3: Closed, Commit, Best Case closing in the period; the tick marks "
                                        "each target")


@pytest.mark.parametrize("as_of, subtitle, title", [
    ("2026-08-19", "2026-Q3: Closed, Commit, Best Case closing in the period",
     "The district has no target for 2026-Q3: the bars show the forecast categories only"),
    ("2026-10-15", "2026-Q3: Closed (final: the period is over)",
     "The district has no target for 2026-Q3: the bars show what it closed"),
])
def test_without_targets_the_stack_has_no_tick_and_says_nothing_of_one(as_of, subtitle, title):
    report = _report(as_of, with_targets=False)
    fig, ax, _drawn, ticks = _chart(report)
    assert ticks == []
    assert ax.get_title(loc="left") == subtitle and "tick" not in subtitle
    assert fig._suptitle.get_text() == title


def test_a_target_of_zero_is_no_target_and_gets_no_tick():
    """A targets table holding a row of 0 for a territory: nothing to reach, so no tick at $0 on its bar."""
    ds = build_dataset(_deals(), targets=targets("2026-Q3", T1=100 * K, T2=0.0, T3=0.0),
                       as_of="2026-08-19").for_region("East")
    report = Report(ds=ds, period=ds.period("2026-Q3"), region="East", catalog=load_catalog())
    _fig, _ax, _drawn, ticks = _chart(report)
    assert len(ticks) == 1 and ticks[0].get_offsets()[:, 0].tolist() == [100 * K]  # T1 only


def test_a_running_quarter_with_nothing_open_says_so_rather_than_closed_closing():
    """Only Closed to draw while the quarter runs: "Closed closing in the period" said nothing true."""
    ds = build_dataset([d for d in _deals() if d["opportunity_id"] in ("W1", "W2")],
                       targets=targets("2026-Q3", T1=100 * K, T2=100 * K), as_of="2026-08-19")
    report = Report(ds=ds, period=ds.period("2026-Q3"), region=None, catalog=load_catalog())
    _fig, ax, drawn, _ticks = _chart(report)
    assert drawn == ["Closed"]
    assert ax.get_title(loc="left") == ("2026-Q3: Closed so far (no open amount is dated in the period); the tick "
                                        "marks each target")
