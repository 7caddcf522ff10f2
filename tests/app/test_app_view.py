"""The app's page in-process (no server, no browser): it opens on the scope and period asked, offers the
quarters around the as-of date, keeps the scenario when the scope or period changes, and says why a slider
is greyed out."""

from __future__ import annotations

import nbformat
import pytest

from quotabook.app import APP_NOTEBOOK, ENV, period_choices, start_point, view
from quotabook.errors import QuotabookError
from quotabook.loading import load


def test_the_app_notebook_ships_with_the_package_and_calls_view():
    nb = nbformat.read(APP_NOTEBOOK, as_version=4)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["from quotabook.app import view\n\nview()"]


def _parts(app):
    heading, pickers, whatif = app.children
    scope, period = pickers.children
    return heading, scope, period, whatif


def test_view_opens_on_the_scope_and_period_asked_and_keeps_the_scenario_across_scopes(tiny_folder):
    # The tiny folder (tests/conftest.py) is as of 1 Mar 2026: 2026-Q1 is in progress. East = T1: 500 won,
    # deal A 1,200 Commit, target 1,000. West = T2: nothing won or committed in Q1, target 2,000.
    app = view(environ={ENV["data"]: str(tiny_folder), ENV["region"]: "East", ENV["period"]: "2026-Q1"})
    heading, scope, period, whatif = _parts(app)
    assert "What-if: East, 2026-Q1" in heading.value and "Data as of 1 Mar 2026" in heading.value
    assert [value for _, value in scope.options] == ["district", "East", "West"]
    assert list(period.options) == ["2025-Q4", "2026-Q1", "2026-Q2"] and period.value == "2026-Q1"
    assert whatif.level == "territory" and whatif.scope == "East"
    assert "East: projected $1.7K against a target of $1.0K" in whatif.summary.value   # 500 won + 1,200 Commit
    assert "<svg" in whatif.chart.value and "table" in whatif.table.value

    whatif.controls["commit"].value = 0.5            # Commit lands at 50%: 500 + 600
    whatif.controls["quota"].value = 0.1             # target 1,100
    assert "East: projected $1.1K against a target of $1.1K" in whatif.summary.value
    scope.value = "district"                         # the same scenario for the whole district
    assert whatif.controls["commit"].value == 0.5 and whatif.controls["quota"].value == 0.1
    assert whatif.level == "region" and "What-if: The district, 2026-Q1" in heading.value
    # 500 + 50% × 1,200 against (1,000 + 2,000) × 1.1
    assert "The district: projected $1.1K against a target of $3.3K" in whatif.summary.value


def test_a_finished_period_greys_out_what_no_longer_moves_it_and_says_why(tiny_folder):
    app = view(environ={ENV["data"]: str(tiny_folder), ENV["region"]: "East", ENV["period"]: "2026-Q1",
                        ENV["as_of"]: "2026-04-15"})
    heading, _, period, whatif = _parts(app)
    assert list(period.options) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    status = whatif.status.value
    assert "2026-Q1 ended on 31 Mar 2026" in status and "its bookings are final" in status
    # deal A (Commit, due 30 Mar) is still open and dated in Q1, so Commit realisation and conversion still move it
    assert {k for k, c in whatif.controls.items() if c.disabled} == {"best_case", "new_pipeline"}
    assert "New pipeline (new pipeline cannot close in a period that has ended)" in status
    assert "For the quarter in progress pick 2026-Q2 under Period" in heading.value
    whatif.controls["new_pipeline"].value = whatif.controls["new_pipeline"].step
    assert "New pipeline added: none" in whatif.summary.value          # greyed out: no effect
    period.value = "2026-Q2"                                            # the quarter in progress: it moves again
    assert not whatif.controls["new_pipeline"].disabled and "ended" not in whatif.status.value
    assert "New pipeline added: $1.0K in total" in whatif.summary.value


def test_start_point_defaults_to_the_district_and_the_quarter_of_the_as_of_date(tiny_folder):
    full = load(str(tiny_folder), as_of="2026-05-02")
    scope, period = start_point(full)
    assert scope is None and period.label == "2026-Q2"
    assert period_choices(full, full.period("2025-Q1")) == ["2025-Q1", "2026-Q1", "2026-Q2", "2026-Q3"]
    with pytest.raises(QuotabookError, match="North"):
        start_point(full, "North")


def test_the_territory_quota_page_gives_the_exact_command_for_its_scope_and_period(tiny_folder):
    from quotabook.app import app_command
    from quotabook.notebook import start
    from quotabook.themes.territory_quota.whatif import app_instructions

    assert app_command("North East", "2026-Q4", data="my data/crm", as_of="2026-11-15") == \
        "quotabook app --region 'North East' --period 2026-Q4 --data 'my data/crm' --as-of 2026-11-15"
    assert app_command("district", "2026-Q4", data="demo") == "quotabook app --region district --period 2026-Q4"
    running = start("East", "2026-Q1", None, str(tiny_folder))            # as of 1 Mar 2026
    text = app_instructions(running, data=str(tiny_folder))
    assert f"`quotabook app --region East --period 2026-Q1 --data {tiny_folder}`" in text
    assert "has ended" not in text
    ended = start("district", "2026-Q1", "2026-04-15", str(tiny_folder))
    text = app_instructions(ended, data=str(tiny_folder), as_of="2026-04-15")
    assert "`quotabook app --region district --period 2026-Q1 --data" in text and "on The district for 2026-Q1" in text
    assert "2026-Q1 has ended, so new pipeline no longer counts there" in text
    assert f"run `quotabook app --region district --period 2026-Q2 --data {tiny_folder} --as-of 2026-04-15`" in text
